/**
 * The trigger's view of BHuman's callbacks (read by ../shared/callbackBody): which Events
 * choice they fall under, and the same output shape as the BHuman node's video records.
 */
import type { IDataObject } from 'n8n-workflow';
import { WHATSAPP_READY } from '../shared/callbackBody';
import { normalizeVideo } from '../shared/video';

export { WHATSAPP_READY };

/** Values of the Events parameter. Every event not named here counts as `other`. */
export const EVENT_FILTERS = ['video.succeeded', 'video.failed', WHATSAPP_READY, 'other'] as const;

/** Which Events choice an event falls under. */
export function filterOf(event: string): (typeof EVENT_FILTERS)[number] {
	return (EVENT_FILTERS as readonly string[]).includes(event) && event !== 'other'
		? (event as (typeof EVENT_FILTERS)[number])
		: 'other';
}

/**
 * The trigger's output item: the field names of the BHuman node's video output
 * (so one downstream workflow serves both), the event, whether BHuman confirmed
 * it, and the posted body untouched.
 *
 * @param source  the record the fields come from: BHuman's own record when the
 *                callback was verified, otherwise the posted body
 */
export function callbackOutput(
	id: string,
	event: string,
	body: IDataObject,
	source: IDataObject,
	verified: boolean,
): IDataObject {
	const video = normalizeVideo(source);
	const campaignId = source.campaign_id ?? body.campaign_id;
	return {
		id,
		event,
		status: typeof video.status === 'string' ? video.status : null,
		pageUrl: video.pageUrl,
		mp4Url: video.mp4Url,
		thumbnailUrl: video.thumbnailUrl,
		gifUrl: video.gifUrl,
		whatsappVideoUrl: video.whatsappVideoUrl,
		message: video.message,
		campaignId: typeof campaignId === 'string' && campaignId !== '' ? campaignId : null,
		verified,
		body,
	};
}
