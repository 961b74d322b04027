import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { downloadVideoProperties } from '../common.descriptions';
import { getIdParameter } from '../../helpers/ids';
import { errorJson, toNodeError } from '../../helpers/utils';
import { fetchGeneration, isSucceeded, normalizeVideo } from '../../../shared/video';
import { attachVideo, readMaxDownloadBytes } from '../../helpers/wait';

const generationIdProperty: INodeProperties = {
	displayName: 'Generation ID',
	name: 'generationId',
	type: 'string',
	default: '',
	required: true,
	placeholder: 'e.g. c10ee155-6202-4cec-9a40-dde536e2ab4e',
	description: 'The ID BHuman returned for the video when it was generated',
};

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['video'], operation: ['get'] } },
	[generationIdProperty, ...downloadVideoProperties()],
);

/** GET /api/ai_studio/generated_video_by_id: one generation, its status and its URLs. */
export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]) {
	const returnData: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			returnData.push(await getGeneration.call(this, itemIndex));
		} catch (caught) {
			const error = toNodeError.call(this, caught, itemIndex);
			if (!this.continueOnFail()) throw error;
			returnData.push({ json: errorJson(error), pairedItem: { item: itemIndex } });
		}
	}
	return returnData;
}

async function getGeneration(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData> {
	const id = getIdParameter.call(this, generationIdProperty, itemIndex);
	const download = this.getNodeParameter('downloadVideo', itemIndex, false) as boolean;
	const maxBytes = download ? readMaxDownloadBytes.call(this, itemIndex) : 0;
	const record = await fetchGeneration.call(this, id, itemIndex);
	const json = normalizeVideo(record);
	const item: INodeExecutionData = { json, pairedItem: { item: itemIndex } };
	if (download && isSucceeded(json.status) && typeof json.mp4Url === 'string') {
		const property = this.getNodeParameter('binaryPropertyName', itemIndex, 'data') as string;
		await attachVideo.call(this, item, id, json.mp4Url, property, itemIndex, maxBytes);
	}
	return item;
}
