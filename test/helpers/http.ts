/** Plumbing of the test listeners that stand in for n8n's webhook servers. */
import type { ServerResponse } from '../host';

/**
 * Records what is written to `res`; the returned function gives the answer as the caller saw it
 * (parsed when JSON).
 */
export function captureAnswer(res: ServerResponse): () => unknown {
	const written: Buffer[] = [];
	const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
	res.end = ((chunk?: unknown, ...rest: unknown[]) => {
		if (chunk !== undefined && typeof chunk !== 'function')
			written.push(Buffer.from(chunk as string));
		return (end as (...args: unknown[]) => ServerResponse)(chunk, ...rest);
	}) as typeof res.end;
	return () => {
		const text = Buffer.concat(written).toString('utf8');
		try {
			return JSON.parse(text) as unknown;
		} catch {
			return text;
		}
	};
}

/**
 * The JSON an answer carries, as `JSON.parse` gives it (typed by TypeScript's lib, as for any
 * parsed JSON): a test reads the fields it expects and jest's matchers compare them. Text that
 * is not JSON comes back as the text.
 */
export function parseJson(text: string) {
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

/** What parseJson gives: parsed JSON as TypeScript's lib types it, or the text. */
export type ParsedJson = ReturnType<typeof parseJson>;

/** An answer's body, parsed (see parseJson). */
export async function readJson(response: Response) {
	return parseJson(await response.text());
}
