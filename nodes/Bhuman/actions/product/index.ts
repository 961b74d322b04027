import type { INodeProperties } from 'n8n-workflow';
import * as getAll from './getAll.operation';
import * as use from './use.operation';

export { getAll, use };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['product'] } },
		options: [
			{
				name: 'Get Many',
				value: 'getAll',
				description: "List the products of BHuman's store",
				action: 'Get many products',
			},
			{
				name: 'Use',
				value: 'use',
				description: 'Use a store product in a workspace: creates or fills a video instance',
				action: 'Use a product',
			},
		],
		default: 'getAll',
	},
	...getAll.description,
	...use.description,
];
