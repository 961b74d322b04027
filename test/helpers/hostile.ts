/**
 * Small throw-away HTTP servers for tests that need BHuman (or a storage host)
 * to misbehave in ways the simulator does not: redirects, pages that ignore
 * `page`, slow or oversized answers. Each records what it received.
 */
import { http } from '../host';
import type { AddressInfo, IncomingMessage, ServerResponse } from '../host';

export interface Received {
	method: string;
	path: string;
	query: Record<string, string>;
	/** Lower-cased header names. */
	headers: IncomingMessage['headers'];
	body: string;
}

export type Handler = (request: Received, response: ServerResponse) => void | Promise<void>;

export interface HostileServer {
	url: string;
	requests: Received[];
	close(): Promise<void>;
}

export async function startServer(handler: Handler): Promise<HostileServer> {
	const requests: Received[] = [];
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			const url = new URL(req.url ?? '/', 'http://localhost');
			const received: Received = {
				method: req.method ?? 'GET',
				path: url.pathname,
				query: Object.fromEntries(url.searchParams),
				headers: req.headers,
				body: Buffer.concat(chunks).toString('utf8'),
			};
			requests.push(received);
			Promise.resolve(handler(received, res)).catch((error: Error) => {
				if (!res.headersSent) res.writeHead(599);
				res.end(String(error));
			});
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const handle: HostileServer = {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		requests,
		close: async () => {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
	return handle;
}

/** Answers `status` with a JSON body. */
export function json(
	response: ServerResponse,
	status: number,
	body: unknown,
	headers: Record<string, string> = {},
) {
	response.writeHead(status, { 'content-type': 'application/json', ...headers });
	response.end(JSON.stringify(body));
}
