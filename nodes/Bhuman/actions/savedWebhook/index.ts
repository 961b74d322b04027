import type { INodeProperties } from 'n8n-workflow';
import * as create from './create.operation';
import * as getAll from './getAll.operation';

export { create, getAll };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['savedWebhook'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				description: 'Save a webhook URL in BHuman (never retried)',
				action: 'Create a saved webhook',
			},
			{
				name: 'Get Many',
				value: 'getAll',
				description: 'List the webhooks saved in BHuman',
				action: 'Get many saved webhooks',
			},
		],
		default: 'getAll',
	},
	...create.description,
	...getAll.description,
];
