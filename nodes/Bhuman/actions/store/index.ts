import type { INodeProperties } from 'n8n-workflow';
import * as getSettings from './getSettings.operation';

export { getSettings };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['store'] } },
		options: [
			{
				name: 'Get Categories and Tags',
				value: 'getSettings',
				description: "Get the categories and tags of BHuman's store",
				action: 'Get store categories and tags',
			},
		],
		default: 'getSettings',
	},
	...getSettings.description,
];
