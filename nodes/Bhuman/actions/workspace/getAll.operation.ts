import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { returnAllOrLimit, workspaceLocator } from '../common.descriptions';
import { getOptionalIdParameter } from '../../helpers/ids';
import { forEachItem, getLimit } from '../../helpers/utils';
import { bhumanApiList } from '../../transport';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['workspace'], operation: ['getAll'] } },
	[
		...returnAllOrLimit,
		{
			displayName: 'Filters',
			name: 'filters',
			type: 'collection',
			placeholder: 'Add Filter',
			default: {},
			options: [
				{
					...workspaceLocator,
					required: false,
					description: 'Only this workspace',
				},
			],
		},
	],
);

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]) {
	return await forEachItem.call(this, items, async (itemIndex) => {
		const id = getOptionalIdParameter.call(this, workspaceLocator, itemIndex, 'filters');
		const limit = getLimit.call(this, itemIndex);
		const { records: workspaces } = await bhumanApiList.call(this, '/api/workspace', {
			qs: id ? { id } : undefined,
			itemIndex,
			notFound: id ? `Workspace ${id}` : undefined,
		});
		// The workspace list is not paged by BHuman: Limit is applied here.
		return limit === undefined ? workspaces : workspaces.slice(0, limit);
	});
}
