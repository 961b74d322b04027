import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import * as campaign from './campaign';
import type { BHumanType, NodeMap } from './node.type';
import * as product from './product';
import * as savedWebhook from './savedWebhook';
import * as speakeasyProject from './speakeasyProject';
import * as store from './store';
import * as video from './video';
import * as videoInstance from './videoInstance';
import * as workspace from './workspace';

export type Operation = {
	execute: (this: IExecuteFunctions, items: INodeExecutionData[]) => Promise<INodeExecutionData[]>;
};

/** Typed by the NodeMap: a resource folder that lacks an operation's module does not compile. */
export const operations: { [R in keyof NodeMap]: { [O in NodeMap[R]]: Operation } } = {
	campaign,
	product,
	savedWebhook,
	speakeasyProject,
	store,
	video,
	videoInstance,
	workspace,
};

/** Dispatches to the operation's file; each operation handles all input items. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const { resource, operation } = {
		resource: this.getNodeParameter('resource', 0),
		operation: this.getNodeParameter('operation', 0),
	} as BHumanType;

	// A saved workflow can still hold a value this version does not know.
	const handler = (operations as Record<string, Record<string, Operation | undefined> | undefined>)[
		resource
	]?.[operation];
	if (!handler || typeof handler.execute !== 'function') {
		throw new NodeOperationError(
			this.getNode(),
			`The operation "${operation}" of the resource "${resource}" is not supported`,
		);
	}
	return [await handler.execute.call(this, items)];
}
