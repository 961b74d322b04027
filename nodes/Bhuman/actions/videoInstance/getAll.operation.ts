import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { returnAllOrLimit } from '../common.descriptions';
import { forEachItem, getLimit } from '../../helpers/utils';
import { bhumanApiRequestAllItems } from '../../transport';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['videoInstance'], operation: ['getAll'] } },
	returnAllOrLimit,
);

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]) {
	return await forEachItem.call(
		this,
		items,
		async (itemIndex) =>
			await bhumanApiRequestAllItems.call(this, '/api/ai_studio/video_instances', {
				itemIndex,
				limit: getLimit.call(this, itemIndex),
			}),
	);
}
