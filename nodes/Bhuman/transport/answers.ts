/**
 * The one reader of BHuman's answers. BHuman's public sources show several forms for the same
 * answer (docs/bhuman-api.md): a record may come bare, as a one-element list, or in an envelope
 * `{code, result}`; a list bare, as `{result: [...]}` or `{total, <key>: [...]}`. Every operation
 * reads BHuman through these functions, so each form is accepted everywhere.
 */
import type { IDataObject } from 'n8n-workflow';

/** The fields an envelope may carry beside `result` (any other field makes it a record). */
const ENVELOPE_FIELDS = new Set([
	'code',
	'result',
	'message',
	'msg',
	'status',
	'success',
	'error',
	'detail',
	'total',
]);

function isPlainObject(value: unknown): value is IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object made of envelope fields only (`{code, result}`, `{code, message}`…). */
function isEnvelopeShaped(value: unknown): value is IDataObject {
	return isPlainObject(value) && Object.keys(value).every((key) => ENVELOPE_FIELDS.has(key));
}

/** What an envelope `{code?, result}` carries; any other answer as it is. */
function unwrap(body: unknown): unknown {
	return isEnvelopeShaped(body) && 'result' in body ? body.result : body;
}

/**
 * A status code in an answer BHuman sent with HTTP 2xx that says the request failed (`{code: 401,
 * message}`): the code, or undefined when the answer says nothing of the kind.
 */
export function failureCode(body: unknown): number | undefined {
	if (!isEnvelopeShaped(body) || !('code' in body)) return undefined;
	const { code } = body;
	const value =
		typeof code === 'number'
			? code
			: typeof code === 'string' && /^\d{3}$/.test(code)
				? +code
				: NaN;
	if (!Number.isInteger(value) || value < 100 || value > 599) return undefined;
	return value >= 200 && value < 300 ? undefined : value;
}

/**
 * One record: the record, a one-element list, or an envelope of either. `null` when the answer
 * holds none (an empty list, `result: null`), undefined when it is in no known form. With `id`,
 * a list gives the record of that id (the guide's video_instance route can answer a user's
 * whole list), or none.
 */
export function readRecord(body: unknown, id?: string): IDataObject | null | undefined {
	const value = unwrap(body);
	if (value === null) return null;
	if (Array.isArray(value)) {
		if (!value.every(isPlainObject)) return undefined;
		if (id === undefined || value.length <= 1) return value[0] ?? null;
		const wanted = id.toLowerCase();
		return value.find((record) => String(record.id ?? '').toLowerCase() === wanted) ?? null;
	}
	return isPlainObject(value) ? value : undefined;
}

/** What an answer that creates something holds: one record or several, bare or in an envelope. */
export function readRecords(body: unknown): IDataObject[] | undefined {
	const value = unwrap(body);
	if (Array.isArray(value)) return value.every(isPlainObject) ? value : undefined;
	return isPlainObject(value) ? [value] : undefined;
}

/**
 * A list (one page of it): a bare array, `{result: [...]}`, `{total, <key>: [...]}`, or an
 * envelope around either. undefined when the answer is in no known form.
 */
export function readList(body: unknown): { records: IDataObject[]; total?: number } | undefined {
	const outerTotal =
		isEnvelopeShaped(body) && typeof body.total === 'number' ? body.total : undefined;
	const value = unwrap(body);
	if (value === null) return { records: [], total: outerTotal };
	if (Array.isArray(value)) return { records: value as IDataObject[], total: outerTotal };
	if (!isPlainObject(value)) return undefined;
	const total = typeof value.total === 'number' ? value.total : outerTotal;
	for (const field of Object.values(value)) {
		if (Array.isArray(field)) return { records: field as IDataObject[], total };
	}
	// `{total: 0}` is an empty list; an object with neither a list nor a total is not a list.
	return total !== undefined ? { records: [], total } : undefined;
}

/** Generation ids: `{result: [...]}` with or without `code`, or a bare array of ids. */
export function readIds(body: unknown): string[] | undefined {
	const value = unwrap(body);
	return Array.isArray(value) && value.every((id) => typeof id === 'string')
		? (value as string[])
		: undefined;
}

/** What came back, cut short for an error message. */
export function quoteAnswer(body: unknown, max = 200): string {
	let text: string;
	if (typeof body === 'string') text = body;
	else if (body === undefined) text = '(nothing)';
	else {
		try {
			text = JSON.stringify(body);
		} catch {
			text = String(body);
		}
	}
	return text.length > max ? `${text.slice(0, max)}…` : text;
}
