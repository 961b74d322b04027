/**
 * One BHuman simulator per test file: started in beforeAll (short render times),
 * reset before each test, closed after all. Gives the credentials that point
 * the node at it.
 */
import { net } from '../host';
import type { AddressInfo } from '../host';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../simulator';
import type { SimCredentials } from './engine';

export interface SimHandle {
	/** The running simulator (valid inside tests and hooks). */
	readonly sim: Simulator;
	/** Credentials `{apiKeyId, apiKeySecret, baseUrl: sim.url}`. */
	readonly credentials: SimCredentials;
	/** `Basic base64(id:secret)`, the Authorization header the node must send. */
	readonly basicAuth: string;
	/** The base64 part of the Basic header. */
	readonly basicToken: string;
}

export function withSimulator(options: SimulatorOptions = {}): SimHandle {
	let sim: Simulator | undefined;
	beforeAll(async () => {
		sim = await startSimulator({ render: { queuedMs: 20, processingMs: 40 }, ...options });
	});
	beforeEach(() => {
		sim?.reset();
	});
	afterAll(async () => {
		await sim?.close();
	});
	const current = () => {
		if (!sim) throw new Error('the simulator is not started: use it inside tests or hooks');
		return sim;
	};
	return {
		get sim() {
			return current();
		},
		get credentials() {
			const s = current();
			return { apiKeyId: s.keyId, apiKeySecret: s.keySecret, baseUrl: s.url };
		},
		get basicToken() {
			const s = current();
			return Buffer.from(`${s.keyId}:${s.keySecret}`).toString('base64');
		},
		get basicAuth() {
			return `Basic ${this.basicToken}`;
		},
	};
}

/** A resource locator value as n8n stores it. */
export function rl(value: string, mode: 'list' | 'id' | 'url' = 'id') {
	return { __rl: true, mode, value };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
	return await new Promise<number>((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

/** GET from the simulator directly (not through the node), with valid credentials; not left in the request log. */
export async function simGet<T = unknown>(
	handle: SimHandle,
	path: string,
	query: Record<string, string | number> = {},
): Promise<T> {
	const url = new URL(path, handle.sim.url);
	for (const [key, value] of Object.entries(query)) url.searchParams.set(key, String(value));
	const before = handle.sim.requests.length;
	const response = await fetch(url, { headers: { authorization: handle.basicAuth } });
	if (!response.ok) throw new Error(`simGet ${path}: HTTP ${response.status}`);
	const body = (await response.json()) as T;
	handle.sim.requests.splice(before);
	return body;
}

/** Every record of a paged simulator list (bare array pages), read directly. */
export async function simGetAll<T = unknown>(
	handle: SimHandle,
	path: string,
	query: Record<string, string | number> = {},
): Promise<T[]> {
	const all: T[] = [];
	for (let page = 0; ; page++) {
		const records = await simGet<T[]>(handle, path, { ...query, page, size: 100 });
		all.push(...records);
		if (records.length < 100) return all;
	}
}

/** POST to the simulator directly (not through the node), with valid credentials; not left in the request log. */
export async function simPost<T = unknown>(handle: SimHandle, path: string, body: unknown): Promise<T> {
	const before = handle.sim.requests.length;
	const response = await fetch(new URL(path, handle.sim.url), {
		method: 'POST',
		headers: { authorization: handle.basicAuth, 'content-type': 'application/json' },
		body: JSON.stringify(body),
	});
	if (!response.ok) throw new Error(`simPost ${path}: HTTP ${response.status}`);
	const result = (await response.json()) as T;
	handle.sim.requests.splice(before);
	return result;
}
