import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import * as campaign from './campaign';
import * as product from './product';
import * as savedWebhook from './savedWebhook';
import * as speakeasyProject from './speakeasyProject';
import * as store from './store';
import * as video from './video';
import * as videoInstance from './videoInstance';
import * as workspace from './workspace';

type Operation = {
	execute: (this: IExecuteFunctions, items: INodeExecutionData[]) => Promise<INodeExecutionData[]>;
};

const resources: Record<string, Record<string, unknown>> = {
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
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;

	const handler = resources[resource]?.[operation] as Operation | undefined;
	if (!handler || typeof handler.execute !== 'function') {
		throw new NodeOperationError(
			this.getNode(),
			`The operation "${operation}" of the resource "${resource}" is not supported`,
		);
	}
	return [await handler.execute.call(this, items)];
}
