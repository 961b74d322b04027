import type { INodeProperties } from 'n8n-workflow';
import * as get from './get.operation';
import * as getAll from './getAll.operation';

export { get, getAll };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['videoInstance'] } },
		options: [
			{
				name: 'Get',
				value: 'get',
				description: 'Get a video instance by ID',
				action: 'Get a video instance',
			},
			{
				name: 'Get Many',
				value: 'getAll',
				description: 'List the video instances of your account',
				action: 'Get many video instances',
			},
		],
		default: 'getAll',
	},
	...get.description,
	...getAll.description,
];
