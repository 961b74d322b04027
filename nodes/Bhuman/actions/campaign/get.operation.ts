import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { campaignLocator } from '../common.descriptions';
import { getIdParameter } from '../../helpers/ids';
import { forEachItem } from '../../helpers/utils';
import { bhumanApiRecord } from '../../transport';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['campaign'], operation: ['get'] } },
	[campaignLocator],
);

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]) {
	return await forEachItem.call(this, items, async (itemIndex) => {
		const id = getIdParameter.call(this, campaignLocator, itemIndex);
		return await bhumanApiRecord.call(this, 'GET', '/api/ai_studio/campaign', {
			qs: { id },
			itemIndex,
			notFound: `Campaign ${id}`,
			recordId: id,
		});
	});
}
