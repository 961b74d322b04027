import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import * as campaign from './actions/campaign';
import * as product from './actions/product';
import * as savedWebhook from './actions/savedWebhook';
import * as speakeasyProject from './actions/speakeasyProject';
import { callbackWaitingTooltip, callbackWebhooks, router, webhookRouter } from './actions/router';
import * as store from './actions/store';
import * as video from './actions/video';
import * as videoInstance from './actions/videoInstance';
import * as workspace from './actions/workspace';
import * as listSearch from './methods/listSearch';

export class Bhuman implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'BHuman',
		name: 'bhuman',
		icon: { light: 'file:../../icons/bhuman.svg', dark: 'file:../../icons/bhuman.dark.svg' },
		group: ['transform'],
		// 1.1: n8n evaluates an expression of a version-1 node on every call of its webhook (its
		// binary-data option), which n8n 2.x's expression engine fails in a workflow with the
		// combined binary mode: Until BHuman Calls Back could not be resumed there. Same behaviour.
		// No defaultVersion: the editor adds the last version, and n8n adds "Custom API Call" only
		// to a node whose defaultVersion is unset or equals its version.
		version: [1, 1.1],
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description:
			'Generate personalized videos with BHuman and read your video instances, videos, workspaces and store',
		defaults: { name: 'BHuman' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'bhumanApi', required: true }],
		// Generate's "Until BHuman Calls Back": BHuman calls the waiting execution's resume URL.
		webhooks: callbackWebhooks,
		// The editor's output panel while it waits (under "Waiting for input"), as for the Wait node.
		waitingNodeTooltip: callbackWaitingTooltip,
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Campaign', value: 'campaign' },
					{ name: 'Product', value: 'product' },
					{ name: 'Saved Webhook', value: 'savedWebhook' },
					{ name: 'Speakeasy Project', value: 'speakeasyProject' },
					{ name: 'Store', value: 'store' },
					{ name: 'Video', value: 'video' },
					{ name: 'Video Instance', value: 'videoInstance' },
					{ name: 'Workspace', value: 'workspace' },
				],
				default: 'video',
			},
			...campaign.description,
			...product.description,
			...savedWebhook.description,
			...speakeasyProject.description,
			...store.description,
			...video.description,
			...videoInstance.description,
			...workspace.description,
		],
	};

	methods = { listSearch };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await webhookRouter.call(this);
	}
}
