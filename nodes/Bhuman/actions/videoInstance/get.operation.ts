import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { videoInstanceLocator } from '../common.descriptions';
import { getIdParameter } from '../../helpers/ids';
import { forEachItem } from '../../helpers/utils';
import { bhumanApiRequest, firstRecord, notFoundError } from '../../transport';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['videoInstance'], operation: ['get'] } },
	[videoInstanceLocator],
);

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]) {
	return await forEachItem.call(this, items, async (itemIndex) => {
		const id = getIdParameter.call(this, videoInstanceLocator, itemIndex);
		const notFound = `Video instance ${id}`;
		// The guide documents a one-element list; a bare object is accepted too.
		const body = await bhumanApiRequest.call(this, 'GET', '/api/ai_studio/video_instance', {
			qs: { id },
			itemIndex,
			notFound,
		});
		const instance = firstRecord(body) as IDataObject | undefined;
		if (!instance) throw notFoundError.call(this, notFound, itemIndex);
		return instance;
	});
}
