import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { campaignLocator, returnAllOrLimit } from '../common.descriptions';
import { getIdParameter } from '../../helpers/ids';
import { forEachItem, getLimit } from '../../helpers/utils';
import { normalizeVideo } from '../../../shared/video';
import { bhumanApiRequestAllItems } from '../../transport';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['campaign'], operation: ['getGeneratedVideos'] } },
	[campaignLocator, ...returnAllOrLimit],
);

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]) {
	return await forEachItem.call(this, items, async (itemIndex) => {
		const id = getIdParameter.call(this, campaignLocator, itemIndex);
		const videos = await bhumanApiRequestAllItems.call(
			this,
			'/api/ai_studio/generated_video_by_campaign_id',
			{
				qs: { campaign_id: id },
				itemIndex,
				limit: getLimit.call(this, itemIndex),
				notFound: `Campaign ${id}`,
			},
		);
		return videos.map(normalizeVideo);
	});
}
