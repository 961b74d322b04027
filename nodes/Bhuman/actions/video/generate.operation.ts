import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { executeGenerate } from '../../helpers/generate';
import { deliveryProperties, rowProperties, videoInstanceLocator } from '../common.descriptions';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['video'], operation: ['generate'] } },
	[
		{ ...videoInstanceLocator, description: 'The video instance to personalize' },
		...rowProperties,
		...deliveryProperties,
	],
);

/** POST /api/ai_studio/try_sample: one personalized video per row. */
export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]) {
	return await executeGenerate.call(this, items, {
		path: '/api/ai_studio/try_sample',
		bodyField: 'video_instance_id',
		outputField: 'videoInstanceId',
		listAll: 'Video → Get Many for video instance',
		list: {
			path: '/api/ai_studio/generated_video_by_video_instance_id',
			param: 'video_instance_id',
		},
		locator: videoInstanceLocator,
	});
}
