import type { INodeProperties } from 'n8n-workflow';
import * as generate from './generate.operation';
import * as get from './get.operation';
import * as getAll from './getAll.operation';
import * as getGeneratedVideos from './getGeneratedVideos.operation';

export { generate, get, getAll, getGeneratedVideos };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['campaign'] } },
		options: [
			{
				name: 'Generate',
				value: 'generate',
				description: 'Generate one campaign video per input item',
				action: 'Generate campaign videos',
			},
			{
				name: 'Get',
				value: 'get',
				description: 'Get a campaign by ID',
				action: 'Get a campaign',
			},
			{
				name: 'Get Generated Videos',
				value: 'getGeneratedVideos',
				description: 'List the videos generated for a campaign',
				action: 'Get the generated videos of a campaign',
			},
			{
				name: 'Get Many',
				value: 'getAll',
				description: 'List your campaigns',
				action: 'Get many campaigns',
			},
		],
		default: 'getAll',
	},
	...generate.description,
	...get.description,
	...getAll.description,
	...getGeneratedVideos.description,
];
