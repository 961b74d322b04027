/**
 * Memory of accepted deliveries, kept in the workflow's static data so it lives
 * wherever the workflow does (nothing is held in this module between calls).
 */
import type { IDataObject } from 'n8n-workflow';

/** How many (event, id) keys are remembered per trigger node. */
export const MAX_REMEMBERED = 1000;

const STATIC_KEY = 'deliveries';

/** One delivery: BHuman may send the same (event, id) more than once. */
export function deliveryKey(event: string, id: string): string {
	return `${event} ${id}`;
}

function remembered(staticData: IDataObject): string[] {
	const list = staticData[STATIC_KEY];
	return Array.isArray(list) ? list.filter((key): key is string => typeof key === 'string') : [];
}

export function seenBefore(staticData: IDataObject, key: string): boolean {
	return remembered(staticData).includes(key);
}

/**
 * Adds a key, keeping the newest MAX_REMEMBERED. A new array is assigned (not
 * pushed into), so n8n's observable static data marks itself changed and saves it.
 */
export function remember(staticData: IDataObject, key: string): void {
	const list = remembered(staticData).filter((existing) => existing !== key);
	list.push(key);
	staticData[STATIC_KEY] =
		list.length > MAX_REMEMBERED ? list.slice(list.length - MAX_REMEMBERED) : list;
}
