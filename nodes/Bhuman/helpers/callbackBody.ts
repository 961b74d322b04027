/**
 * BHuman's generation callbacks as they arrive: the posted body read and checked, its generation
 * id and event named. Shared by the BHuman Trigger and Generate's "Until BHuman Calls Back".
 */
import type { IDataObject } from 'n8n-workflow';

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

/** The event a callback body announces: its `event`, or `video.<status>`. */
export function eventOf(body: IDataObject): string | undefined {
	const event = text(body.event);
	if (event) return event;
	const status = text(body.status);
	return status ? `video.${status}` : undefined;
}

/** Reads and checks one callback: a JSON object with a UUID `id` (lower-cased) and a status or event. */
export function parseCallback(request: CallbackRequest): ParsedCallback {
	const result = bodyOf(request);
	if ('reason' in result) return { ok: false, reason: result.reason };
	const { body } = result;

	if (body.id === undefined || body.id === null || body.id === '') {
		return { ok: false, reason: 'The callback has no id' };
	}
	if (typeof body.id !== 'string' || body.id.trim() === '') {
		return { ok: false, reason: 'The callback id is not a string' };
	}
	// One spelling per generation: the same id in another letter case is the same delivery.
	const id = body.id.trim().toLowerCase();
	if (!UUID.test(id)) return { ok: false, reason: 'The callback id is not a UUID' };

	const event = eventOf(body);
	if (!event) return { ok: false, reason: 'The callback has neither a status nor an event' };
	if (event.length > MAX_EVENT_LENGTH)
		return { ok: false, reason: 'The callback event is too long' };

	return { ok: true, body, id, event };
}
