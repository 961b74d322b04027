/**
 * Memory of accepted deliveries, in two layers:
 *
 * - the workflow's static data: saved by n8n with the workflow, so it survives restarts and is
 *   shared by every n8n process that reads the same database. It holds the newest
 *   MAX_REMEMBERED keys.
 * - a process-wide cache of recent keys (this module's state). n8n loads static data when a
 *   request arrives and saves it whole once the request was handled, so callbacks handled at the
 *   same time each save what they loaded plus their own key, and the last save wins: a batch's
 *   callbacks, which arrive together, forgot each other. The cache sees every key this process
 *   accepted and is merged into every save, so the last save of a burst holds all of them.
 *
 * Module-level state is deliberate here, and only here: it is a cache, bounded in time
 * (CACHE_TTL_MS) and size (CACHE_MAX_KEYS), never the only memory, and losing it (a restart,
 * another process) leaves the static data as before.
 */
import type { IDataObject } from 'n8n-workflow';

/** How many (event, id) keys the static data of one trigger node keeps. */
export const MAX_REMEMBERED = 1000;
/** How long, and how many keys (all triggers of the process together), the cache keeps. */
export const CACHE_TTL_MS = 24 * 60 * 60 * 1000;
export const CACHE_MAX_KEYS = 10_000;

const STATIC_KEY = 'deliveries';

/** `<scope>\n<key>` → when it was accepted; Map order is insertion order, oldest first. */
const cache = new Map<string, number>();

/** One delivery: BHuman may send the same (event, id) more than once, in any letter case. */
export function deliveryKey(event: string, id: string): string {
	return `${event} ${id.toLowerCase()}`;
}

/** The cache's part for one trigger node of one workflow. */
export function cacheScope(workflowId: string | undefined, nodeName: string): string {
	return `${workflowId ?? ''}\u0000${nodeName}`;
}

/** Forgets what the cache holds, as a restart does (tests). */
export function clearDeliveryCache(): void {
	cache.clear();
}

function prune(now: number): void {
	for (const [entry, at] of cache) {
		if (cache.size <= CACHE_MAX_KEYS && now - at < CACHE_TTL_MS) break;
		cache.delete(entry);
	}
}

/** The keys of `scope` still in the cache, oldest first. */
function cachedKeys(scope: string): string[] {
	const prefix = `${scope}\n`;
	const keys: string[] = [];
	for (const entry of cache.keys()) {
		if (entry.startsWith(prefix)) keys.push(entry.slice(prefix.length));
	}
	return keys;
}

function remembered(staticData: IDataObject): string[] {
	const list = staticData[STATIC_KEY];
	return Array.isArray(list) ? list.filter((key): key is string => typeof key === 'string') : [];
}

/** Whether `key` was accepted before: in the static data, or (with a scope) in the cache. */
export function seenBefore(staticData: IDataObject, key: string, scope?: string): boolean {
	if (scope !== undefined) {
		prune(Date.now());
		if (cache.has(`${scope}\n${key}`)) return true;
	}
	return remembered(staticData).includes(key);
}

/**
 * Adds a key: to the cache (with a scope), then to the static data together with every key of
 * the scope the cache holds, keeping the newest MAX_REMEMBERED. A new array is assigned (not
 * pushed into), so n8n's observable static data marks itself changed and saves it.
 */
export function remember(staticData: IDataObject, key: string, scope?: string): void {
	let newer = [key];
	if (scope !== undefined) {
		const now = Date.now();
		const entry = `${scope}\n${key}`;
		cache.delete(entry);
		cache.set(entry, now);
		prune(now);
		newer = cachedKeys(scope);
	}
	const fresh = new Set(newer);
	const list = [...remembered(staticData).filter((existing) => !fresh.has(existing)), ...newer];
	staticData[STATIC_KEY] =
		list.length > MAX_REMEMBERED ? list.slice(list.length - MAX_REMEMBERED) : list;
}
