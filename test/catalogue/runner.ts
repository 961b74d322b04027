/**
 * Runs the catalogue entries of transport, waiting and download: each one
 * through n8n's engine against a throw-away stand-in for BHuman (and a second
 * host, where redirects point or files are stored), then checks what the entry
 * promises: the requests each host saw, the error text, and no secret anywhere.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from '../host';
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { runBHuman, type RunResult } from '../helpers/engine';
import { json, startServer, type HostileServer, type Received } from '../helpers/hostile';
import { expectNoSecrets, type CatalogueEntry } from './catalogue';

export const KEY_ID = 'catalogue-key-id';
export const SECRET = `Catalogue-secret-never-shown-${randomBytes(8).toString('hex')}`;
const BASIC = Buffer.from(`${KEY_ID}:${SECRET}`).toString('base64');

export interface Hosts {
	/** BHuman's stand-in (the credential's Base URL unless the entry sets one). */
	bhuman: HostileServer;
	/** A second host: where a redirect points, where a file is stored. */
	other: HostileServer;
}

/** Answers one request; `hosts` holds both servers (e.g. to redirect to the other). */
export type EntryHandler = (
	request: Received,
	response: ServerResponse,
	hosts: Hosts,
) => void | Promise<void>;

export interface RunnableEntry extends CatalogueEntry {
	bhuman: EntryHandler;
	other?: EntryHandler;
	parameters: (hosts: Hosts) => INodeParameters;
	items?: IDataObject[];
	/** The credential's Base URL, instead of BHuman's stand-in. */
	baseUrl?: string;
	continueOnFail?: boolean;
	/** Requests BHuman's stand-in saw. */
	requests: number;
	/** Requests the second host saw (default 0). */
	otherRequests?: number;
	/** The execution's error (message and description), or null for a run that succeeds. */
	error: RegExp | null;
	/** More secrets than the key (e.g. a password inside the Base URL). */
	secrets?: string[];
	then?: (result: RunResult, hosts: Hosts, ms: number) => void;
}

const notHere: EntryHandler = (_request, response) => json(response, 404, { message: 'not here' });

export async function runEntry(entry: RunnableEntry): Promise<void> {
	const hosts = {} as Hosts;
	const serve = (handler: EntryHandler) => (request: Received, response: ServerResponse) =>
		handler(request, response, hosts);
	hosts.other = await startServer(serve(entry.other ?? notHere));
	hosts.bhuman = await startServer(serve(entry.bhuman));
	try {
		const started = Date.now();
		const result = await runBHuman({
			parameters: entry.parameters(hosts),
			items: entry.items,
			credentials: {
				apiKeyId: KEY_ID,
				apiKeySecret: SECRET,
				baseUrl: entry.baseUrl ?? hosts.bhuman.url,
			},
			continueOnFail: entry.continueOnFail,
		});
		const ms = Date.now() - started;
		const error = result.error as (Error & { description?: string }) | undefined;
		if (entry.error) {
			expect(error).toBeDefined();
			expect(`${error!.message}\n${error!.description ?? ''}`).toMatch(entry.error);
		} else {
			expect(error?.message).toBeUndefined();
		}
		expect(hosts.bhuman.requests).toHaveLength(entry.requests);
		expect(hosts.other.requests).toHaveLength(entry.otherRequests ?? 0);
		// The key never reaches the second host, whatever the first one answered.
		for (const request of hosts.other.requests)
			expect(request.headers.authorization).toBeUndefined();
		expectNoSecrets(
			[result.items, error, error?.stack, error?.description],
			[SECRET, BASIC, ...(entry.secrets ?? [])],
		);
		entry.then?.(result, hosts, ms);
	} finally {
		await hosts.bhuman.close();
		await hosts.other.close();
	}
}

/** One jest test per entry, named by its input. */
export function testEntries(entries: RunnableEntry[], timeout?: number) {
	test.each(entries.map((entry) => [entry.input, entry] as const))(
		'%s',
		async (_input, entry) => await runEntry(entry),
		timeout,
	);
}
