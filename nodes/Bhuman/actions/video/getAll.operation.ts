import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { returnAllOrLimit, videoInstanceLocator } from '../common.descriptions';
import { getIdParameter } from '../../helpers/ids';
import { forEachItem, getLimit } from '../../helpers/utils';
import { normalizeVideo } from '../../../shared/video';
import { bhumanApiRequestAllItems } from '../../transport';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['video'], operation: ['getAll'] } },
	[
		{
			...videoInstanceLocator,
			description: 'The video instance whose generated videos to list',
		},
		...returnAllOrLimit,
	],
);

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]) {
	return await forEachItem.call(this, items, async (itemIndex) => {
		const id = getIdParameter.call(this, videoInstanceLocator, itemIndex);
		const videos = await bhumanApiRequestAllItems.call(
			this,
			'/api/ai_studio/generated_video_by_video_instance_id',
			{
				qs: { video_instance_id: id },
				itemIndex,
				limit: getLimit.call(this, itemIndex),
				notFound: `Video instance ${id}`,
			},
		);
		return videos.map(normalizeVideo);
	});
}
