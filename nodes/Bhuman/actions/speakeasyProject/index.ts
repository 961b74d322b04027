import type { INodeProperties } from 'n8n-workflow';
import * as getAll from './getAll.operation';
import * as importProject from './import.operation';

export { getAll, importProject as import };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['speakeasyProject'] } },
		options: [
			{
				name: 'Get Many',
				value: 'getAll',
				description: 'List the Speakeasy (dubbing) projects that can be imported',
				action: 'Get many speakeasy projects',
			},
			{
				name: 'Import',
				value: 'import',
				description: 'Import a Speakeasy project into your account (never retried)',
				action: 'Import a speakeasy project',
			},
		],
		default: 'getAll',
	},
	...getAll.description,
	...importProject.description,
];
