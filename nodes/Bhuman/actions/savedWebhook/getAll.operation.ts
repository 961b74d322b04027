import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { returnAllOrLimit } from '../common.descriptions';
import { forEachItem, getUnpagedList } from '../../helpers/utils';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['savedWebhook'], operation: ['getAll'] } },
	returnAllOrLimit,
);

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]) {
	// BHuman documents no paging for this list: Limit is applied by the node.
	return await forEachItem.call(
		this,
		items,
		async (itemIndex) => await getUnpagedList.call(this, '/api/ai_studio/webhook', itemIndex),
	);
}
