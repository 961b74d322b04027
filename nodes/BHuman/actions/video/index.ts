import type { INodeProperties } from 'n8n-workflow';
import * as getAll from './getMany.operation';

export { getAll };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['video'] } },
		options: [
			{
				name: 'Get Many',
				value: 'getAll',
				description: 'List the videos generated from a video instance',
				action: 'Get many generated videos',
			},
		],
		default: 'getAll',
	},
	...getAll.description,
];
