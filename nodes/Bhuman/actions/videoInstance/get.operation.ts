import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { videoInstanceLocator } from '../common.descriptions';
import { getIdParameter } from '../../helpers/ids';
import { forEachItem } from '../../helpers/utils';
import { bhumanApiRecord } from '../../transport';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['videoInstance'], operation: ['get'] } },
	[videoInstanceLocator],
);

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]) {
	return await forEachItem.call(this, items, async (itemIndex) => {
		const id = getIdParameter.call(this, videoInstanceLocator, itemIndex);
		// The guide documents a one-element list; the transport reads every form of a record.
		return await bhumanApiRecord.call(this, 'GET', '/api/ai_studio/video_instance', {
			qs: { id },
			itemIndex,
			notFound: `Video instance ${id}`,
			recordId: id,
		});
	});
}
