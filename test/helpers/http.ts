/** Plumbing of the test listeners that stand in for n8n's webhook servers. */
import type http from 'node:http';

/**
 * Records what is written to `res`; the returned function gives the answer as the caller saw it
 * (parsed when JSON).
 */
export function captureAnswer(res: http.ServerResponse): () => unknown {
	const written: Buffer[] = [];
	const end = res.end.bind(res) as (chunk?: unknown) => http.ServerResponse;
	res.end = ((chunk?: unknown, ...rest: unknown[]) => {
		if (chunk !== undefined && typeof chunk !== 'function')
			written.push(Buffer.from(chunk as string));
		return (end as (...args: unknown[]) => http.ServerResponse)(chunk, ...rest);
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
