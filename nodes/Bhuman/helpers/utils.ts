import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { bhumanApiList } from '../transport';
import { itemLabel } from './ids';

/** Errors list at most this many generation IDs; the rest are counted (an error must stay small enough to save). */
const LISTED_IDS = 20;

/** Generation ids for an error message, one a line: LISTED_IDS at most, the rest counted. */
export function listIds(ids: string[]): string {
	const more = ids.length - LISTED_IDS;
	return `${ids.slice(0, LISTED_IDS).join('\n')}${more > 0 ? `\n… and ${more} more` : ''}`;
}

/** Puts `message` before the error's own and adds `parts` to its description. */
export function explain<T extends NodeApiError | NodeOperationError>(
	error: T,
	message: string,
	parts: string[],
): T {
	error.message = `${message}: ${error.message}`;
	error.description = [error.description ?? '', ...parts].filter(Boolean).join('\n\n');
	return error;
}

/** The error as an output item's json for Continue On Fail. */
export function errorJson(error: Error & { description?: string | null }): IDataObject {
	const json: IDataObject = { error: error.message };
	if (error.description) json.description = error.description;
	const httpCode = (error as NodeApiError).httpCode;
	if (httpCode) json.httpCode = httpCode;
	return json;
}

/** The error as a node error that names its item. */
export function toNodeError(
	this: IExecuteFunctions,
	error: unknown,
	itemIndex: number,
): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		error.context.itemIndex ??= itemIndex;
		return error;
	}
	return new NodeOperationError(this.getNode(), error as Error, { itemIndex });
}

/**
 * n8n's Retry On Fail runs the whole node again after an error (and, with Continue On Fail, after an
 * output whose first item holds an error): requests that create something in the user's account
 * (`what` names them) would be sent again for the items that had succeeded. Nothing is sent while
 * it is on. `retried` says which requests the node does retry, itself.
 */
export function refuseRetryOnFail(
	this: IExecuteFunctions,
	operation: string,
	what: string,
	retried = 'Requests that create something are never retried; read requests are retried by the node itself.',
) {
	if (this.getNode().retryOnFail !== true) return;
	throw new NodeOperationError(
		this.getNode(),
		`${operation} does not run with "Retry On Fail" on: a retry would ${what} again`,
		{
			description: `Turn it off in the node's Settings → Retry On Fail. Nothing was sent to BHuman. ${retried}`,
		},
	);
}

/**
 * Reads every item's input before any request is sent, so bad input stops the node first. Each
 * entry gives the item's value or throws its error (for Continue On Fail, in forEachItem).
 */
export function prepareEach(
	this: IExecuteFunctions,
	items: INodeExecutionData[],
	read: (itemIndex: number) => IDataObject,
): Array<() => IDataObject> {
	const prepared = items.map((_, itemIndex): (() => IDataObject) => {
		try {
			const value = read(itemIndex);
			return () => value;
		} catch (caught) {
			const error = toNodeError.call(this, caught, itemIndex);
			return () => {
				throw error;
			};
		}
	});
	if (!this.continueOnFail()) prepared.forEach((entry) => entry());
	return prepared;
}

/** A list BHuman does not page (store products, Speakeasy projects, saved webhooks): Limit applied here. */
export async function getUnpagedList(
	this: IExecuteFunctions,
	path: string,
	itemIndex: number,
): Promise<IDataObject[]> {
	const limit = getLimit.call(this, itemIndex); // before the request: an expression may give anything
	const { records } = await bhumanApiList.call(this, path, { itemIndex });
	return limit === undefined ? records : records.slice(0, limit);
}

/**
 * Runs `run` once per input item. Each record it returns becomes an output item
 * paired to that input item. With Continue On Fail, an item's error becomes its
 * output item; otherwise it stops the node, naming the item.
 */
export async function forEachItem(
	this: IExecuteFunctions,
	items: INodeExecutionData[],
	run: (itemIndex: number) => Promise<IDataObject | IDataObject[]>,
): Promise<INodeExecutionData[]> {
	const returnData: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const result = await run(itemIndex);
			for (const json of Array.isArray(result) ? result : [result]) {
				returnData.push({ json, pairedItem: { item: itemIndex } });
			}
		} catch (caught) {
			const error = toNodeError.call(this, caught, itemIndex);
			if (!this.continueOnFail()) throw error;
			returnData.push({ json: errorJson(error), pairedItem: { item: itemIndex } });
		}
	}
	return returnData;
}

/**
 * Return All / Limit of a Get Many operation: undefined means all. Read before
 * the item's request: a Limit from an expression can be anything.
 */
export function getLimit(this: IExecuteFunctions, itemIndex: number): number | undefined {
	const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
	if (returnAll) return undefined;
	const limit = this.getNodeParameter('limit', itemIndex, 50);
	if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
		throw new NodeOperationError(
			this.getNode(),
			`Limit of ${itemLabel(itemIndex)} must be a whole number of at least 1, not ${String(limit).slice(0, 40)}`,
			{ itemIndex, description: 'Or turn Return All on.' },
		);
	}
	return limit;
}
