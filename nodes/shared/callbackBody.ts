/**
 * BHuman's generation callbacks as they arrive: the posted body read and checked, its generation
 * id and event named. Shared by the BHuman Trigger and Generate's "Until BHuman Calls Back".
 */
import type { IDataObject } from 'n8n-workflow';
import { isFailed, isSucceeded } from './video';

/** The event of a `whatsapp.ready` callback (sent after the video's own, for WhatsApp campaigns). */
export const WHATSAPP_READY = 'whatsapp.ready';

/** BHuman's generation ids are UUIDs (any version, any letter case). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Longest event name accepted. */
const MAX_EVENT_LENGTH = 100;

export type ParsedCallback =
	| { ok: true; body: IDataObject; id: string; event: string }
	| { ok: false; reason: string };

/** The part of n8n's request object the trigger reads. */
export interface CallbackRequest {
	body?: unknown;
	rawBody?: unknown;
}

function isPlainObject(value: unknown): value is IDataObject {
	return (
		typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value)
	);
}

function text(value: unknown): string | undefined {
	return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * The callback's JSON object. n8n parses `application/json` bodies itself; any
 * other content type leaves a string (text/plain) or only the raw bytes, which
 * are parsed here, so a sender with the wrong content type still gets through.
 */
function bodyOf(request: CallbackRequest): { body: IDataObject } | { reason: string } {
	const parsed = request.body;
	if (isPlainObject(parsed) && Object.keys(parsed).length > 0) return { body: parsed };

	let raw: string | undefined;
	if (typeof parsed === 'string') raw = parsed;
	else if (Buffer.isBuffer(parsed)) raw = parsed.toString('utf8');
	else if (Buffer.isBuffer(request.rawBody)) raw = request.rawBody.toString('utf8');

	if (raw === undefined || raw.trim() === '') return { reason: 'The callback body is empty' };
	let value: unknown;
	try {
		value = JSON.parse(raw);
	} catch {
		return { reason: 'The callback body is not JSON' };
	}
	if (!isPlainObject(value)) return { reason: 'The callback body is not a JSON object' };
	return { body: value };
}

/**
 * The event of a render state: `video.succeeded` for either success state BHuman names
 * (`succeeded`, `completed`), `video.failed`, otherwise `video.<state>` as sent.
 */
export function videoEvent(status: string): string {
	if (isSucceeded(status)) return 'video.succeeded';
	return isFailed(status) ? 'video.failed' : `video.${status}`;
}

/** The event a callback body announces: its `event`, or that of its `status`. */
export function eventOf(body: IDataObject): string | undefined {
	const event = text(body.event);
	const status = text(body.status);
	if (event && !(event.startsWith('video.') && status)) return event;
	return status ? videoEvent(status) : undefined;
}

/**
 * The callback URL's query as BHuman called it. BHuman's 2023 Swagger says it adds "an id
 * parameter as a querystring" to callback_url: appended naively to a URL that already has a
 * query (`…?token=abc`), it lands inside the last value (`token=abc?id=<id>`). Each value is cut
 * at its first '?', and what follows is read as more parameters (never over one already given).
 */
export function callbackQuery(query: IDataObject | undefined): Record<string, string> {
	const result: Record<string, string> = {};
	const appended: Array<[string, string]> = [];
	for (const [key, raw] of Object.entries(query ?? {})) {
		const value = Array.isArray(raw) ? raw[0] : raw;
		if (typeof value !== 'string') continue;
		const cut = value.indexOf('?');
		result[key] = cut < 0 ? value : value.slice(0, cut);
		if (cut >= 0) appended.push(...new URLSearchParams(value.slice(cut + 1)));
	}
	for (const [key, value] of appended) if (!(key in result)) result[key] = value;
	return result;
}

/** A generation id as given (body or query): lower-cased UUID, or why it is refused. */
function readId(value: unknown, where: string): { id?: string; reason?: string } {
	if (value === undefined || value === null || value === '') return {};
	if (typeof value !== 'string' || value.trim() === '')
		return { reason: `The callback id${where} is not a string` };
	// One spelling per generation: the same id in another letter case is the same delivery.
	const id = value.trim().toLowerCase();
	return UUID.test(id) ? { id } : { reason: `The callback id${where} is not a UUID` };
}

/**
 * Reads and checks one callback: a JSON object with a status or event, and a UUID generation id
 * (lower-cased) in the body or, when the body has none, in the URL's `id` parameter (BHuman may
 * add it there). Ids in both that differ are refused: which generation it is about is unknown.
 */
export function parseCallback(request: CallbackRequest, queryId?: string): ParsedCallback {
	const result = bodyOf(request);
	if ('reason' in result) return { ok: false, reason: result.reason };
	const { body } = result;

	const inBody = readId(body.id, '');
	if (inBody.reason) return { ok: false, reason: inBody.reason };
	const inQuery = readId(queryId, ' in the URL');
	if (inQuery.reason) return { ok: false, reason: inQuery.reason };
	if (inBody.id && inQuery.id && inBody.id !== inQuery.id) {
		return {
			ok: false,
			reason: `The callback names two generations: ${inBody.id} in its body, ${inQuery.id} in its URL`,
		};
	}
	const id = inBody.id ?? inQuery.id;
	if (!id) return { ok: false, reason: 'The callback has no id' };

	const event = eventOf(body);
	if (!event) return { ok: false, reason: 'The callback has neither a status nor an event' };
	if (event.length > MAX_EVENT_LENGTH)
		return { ok: false, reason: 'The callback event is too long' };

	return { ok: true, body, id, event };
}
