import type { INodeProperties } from 'n8n-workflow';
import * as generate from './generate.operation';
import * as get from './get.operation';
import * as getAll from './getAll.operation';

export { generate, get, getAll };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['video'] } },
		options: [
			{
				name: 'Generate',
				value: 'generate',
				description: 'Generate one personalized video per input item from a video instance',
				action: 'Generate personalized videos',
			},
			{
				name: 'Get',
				value: 'get',
				description: 'Get a generated video by its generation ID: status and URLs',
				action: 'Get a generated video',
			},
			{
				name: 'Get Many',
				value: 'getAll',
				description: 'List the videos generated from a video instance',
				action: 'Get many generated videos',
			},
		],
		default: 'generate',
	},
	...generate.description,
	...get.description,
	...getAll.description,
];
