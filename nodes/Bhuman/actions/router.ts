import type {
	IExecuteFunctions,
	INodeExecutionData,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { callbackWebhook } from '../helpers/callbacks';

export { callbackWaitingTooltip, callbackWebhooks } from '../helpers/callbacks';
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

/** The value n8n gives its "Custom API Call" option. */
const CUSTOM_API_CALL = '__CUSTOM_API_CALL__';

/** Dispatches to the operation's file; each operation handles all input items. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	// A saved workflow can still hold a value this version does not know (its operation is then
	// hidden, so it is read with a fallback).
	const { resource, operation } = {
		resource: this.getNodeParameter('resource', 0),
		operation: this.getNodeParameter('operation', 0, ''),
	} as BHumanType;

	// n8n adds "Custom API Call" to the lists (the credential has `authenticate`): it is the HTTP
	// Request node's job, with this credential.
	if ([resource, operation].includes(CUSTOM_API_CALL as never)) {
		throw new NodeOperationError(
			this.getNode(),
			'Custom API Call is made with the HTTP Request node',
			{
				description:
					'Add an HTTP Request node, set Authentication → Predefined Credential Type → BHuman API and pick this credential: it sends the BHuman key to the URL you give.',
			},
		);
	}
	const table = operations as Record<string, Record<string, Operation | undefined> | undefined>;
	if (!table[resource]) {
		throw new NodeOperationError(this.getNode(), `The resource "${resource}" is not supported`);
	}
	const handler = table[resource]?.[operation];
	if (!handler || typeof handler.execute !== 'function') {
		throw new NodeOperationError(
			this.getNode(),
			`The operation "${operation}" of the resource "${resource}" is not supported`,
		);
	}
	return [await handler.execute.call(this, items)];
}

/**
 * A call to the resume URL of an execution waiting at this node: Generate's "Until BHuman Calls
 * Back" (the node's only webhook).
 */
export async function webhookRouter(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	return await callbackWebhook.call(this);
}
