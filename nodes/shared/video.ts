import type { IDataObject } from 'n8n-workflow';
import { bhumanApiRecord, type BHumanContext } from '../Bhuman/transport';

/**
 * Render states after which BHuman does not change a generation any more. BHuman's sources name
 * `succeeded` (README, polling table) and `completed` (docs site) for a finished video, `failed`
 * for a failed one; `preparing`, `queued`, `processing` and any other state are not final. The
 * output's `status` is always the state as BHuman sent it.
 */
const SUCCEEDED_STATES = ['succeeded', 'completed'];
const FAILED_STATES = ['failed'];

function state(status: unknown): string {
	return typeof status === 'string' ? status.trim().toLowerCase() : '';
}

/** Whether BHuman's render state says the video is ready. */
export function isSucceeded(status: unknown): boolean {
	return SUCCEEDED_STATES.includes(state(status));
}

/** Whether BHuman's render state says the render failed. */
export function isFailed(status: unknown): boolean {
	return FAILED_STATES.includes(state(status));
}

/** Whether BHuman's render state is final (ready or failed). */
export function isFinal(status: unknown): boolean {
	return isSucceeded(status) || isFailed(status);
}

function text(value: unknown): string | undefined {
	return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * One shape for a generated video wherever it comes from (a list, polling by id,
 * a callback), so one downstream workflow serves them all. BHuman's own fields
 * are kept; the normalized ones are added in camelCase.
 */
export function normalizeVideo(record: IDataObject): IDataObject {
	const normalized: IDataObject = {
		status: record.status,
		pageUrl: text(record.share_url) ?? text(record.video_url) ?? text(record.vimeo_url) ?? null,
		mp4Url: text(record.url) ?? null,
		thumbnailUrl: text(record.thumbnail) ?? null,
		gifUrl: text(record.gif) ?? null,
		whatsappVideoUrl: text(record.whatsapp_video_url) ?? null,
		message: text(record.message) ?? null,
	};
	if (record.id !== undefined) normalized.id = record.id;
	if (record.video_instance_id !== undefined) normalized.videoInstanceId = record.video_instance_id;
	if (record.campaign_id !== undefined) normalized.campaignId = record.campaign_id;
	if (record.row_index !== undefined) normalized.rowIndex = record.row_index;
	return { ...record, ...normalized };
}

/** BHuman's record of one generation (GET /generated_video_by_id): polling, Video → Get, the trigger's verification. */
export async function fetchGeneration(
	this: BHumanContext,
	id: string,
	itemIndex?: number,
	deadline?: number,
): Promise<IDataObject> {
	return await bhumanApiRecord.call(this, 'GET', '/api/ai_studio/generated_video_by_id', {
		qs: { id },
		itemIndex,
		deadline,
		notFound: `Generation ${id}`,
		recordId: id,
	});
}
