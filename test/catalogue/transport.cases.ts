/**
 * Transport: the credential's Base URL, redirects, retries and paging. Each
 * entry is run by transport.test.ts (see runner.ts).
 */
import { randomUUID } from 'node:crypto';
import type { INodeParameters } from 'n8n-workflow';
import { json } from '../helpers/hostile';
import { rl } from '../helpers/sim';
import type { EntryHandler, RunnableEntry } from './runner';

const workspaces: INodeParameters = { resource: 'workspace', operation: 'getAll', returnAll: true };
const instances = (more: INodeParameters = {}): INodeParameters => ({
	resource: 'videoInstance',
	operation: 'getAll',
	returnAll: true,
	...more,
});
/** Video or Campaign → Generate of one row per item. */
const generate = (resource: 'video' | 'campaign') => (): INodeParameters => ({
	resource,
	operation: 'generate',
	[resource === 'video' ? 'videoInstanceId' : 'campaignId']: rl(randomUUID()),
	inputMode: 'mapping',
	variables: { variable: [{ name: 'name', value: '={{ $json.name }}' }] },
});

/** Answers everything with a redirect to the same path on the second host. */
const redirect =
	(status: number): EntryHandler =>
	(request, response, hosts) => {
		response.writeHead(status, { location: `${hosts.other.url}${request.path}` });
		response.end();
	};
const redirectEntry = (
	status: number,
	what: string,
	parameters: () => INodeParameters,
	items?: RunnableEntry['items'],
): RunnableEntry => ({
	concern: 'transport',
	input: `${what} is answered ${status} to another host`,
	outcome: `not followed (the key is not sent there, nothing is sent twice): "BHuman answered with a redirect (${status}) to <host>, which is not followed"`,
	bhuman: redirect(status),
	parameters,
	items,
	requests: 1,
	otherRequests: 0,
	error: new RegExp(`redirect \\(${status}\\) to 127\\.0\\.0\\.1:\\d+, which is not followed`),
});

/** `count` video instance records with ids from `from`. */
const records = (from: number, count: number) =>
	Array.from({ length: count }, (_, index) => ({
		id: `00000000-0000-4000-8000-${String(from + index).padStart(12, '0')}`,
		name: `Instance ${from + index}`,
	}));

/** A list that pages by `page` & `size` but answers at most `served` records a page. */
const shortPages =
	(total: number, served: number): EntryHandler =>
	(request, response) => {
		const page = Number(request.query.page);
		const start = page * served;
		json(response, 200, {
			total,
			instances: records(start, Math.max(0, Math.min(served, total - start))),
		});
	};

const baseUrlEntry = (
	baseUrl: string,
	input: string,
	error: RegExp,
	secrets?: string[],
): RunnableEntry => ({
	concern: 'transport',
	input,
	outcome:
		'refused before any request: "The Base URL of the BHuman credential must use https" (http only for localhost, 127.0.0.0/8, [::1]); the credential test refuses it too',
	bhuman: (_request, response) => json(response, 200, []),
	parameters: () => workspaces,
	baseUrl,
	requests: 0,
	error,
	secrets,
});

const limitEntry = (limit: string, shown: string): RunnableEntry => ({
	concern: 'transport',
	input: `Limit is ${shown} (from an expression)`,
	outcome: `refused before any request: "Limit of item 0 must be a whole number of at least 1, not ${shown}"`,
	bhuman: shortPages(10, 100),
	parameters: () => instances({ returnAll: false, limit }),
	requests: 0,
	error: new RegExp(`Limit of item 0 must be a whole number of at least 1, not ${shown}`),
});

export const entries: RunnableEntry[] = [
	baseUrlEntry(
		'http://bhuman-proxy.example.com',
		'Base URL is plain http to a remote host',
		/must use https \(got http:\/\/bhuman-proxy\.example\.com\)/,
	),
	baseUrlEntry(
		'http://admin:pw-9f3k2@10.0.0.7:8080/',
		'Base URL is http with a user and password in it',
		/must use https \(got http:\/\/10\.0\.0\.7:8080\)/,
		['pw-9f3k2'],
	),
	baseUrlEntry('ftp://files.example.com', 'Base URL is not http(s)', /must use https \(got ftp:/),
	baseUrlEntry(
		'bhuman dot ai',
		'Base URL is not a URL',
		/Base URL of the BHuman credential is not a URL/,
	),
	redirectEntry(302, 'A read (Workspace → Get Many)', () => workspaces),
	redirectEntry(307, 'A read (Workspace → Get Many)', () => workspaces),
	redirectEntry(307, "Video → Generate's paid POST", generate('video'), [{ name: 'Ann' }]),
	redirectEntry(308, "Campaign → Generate's paid POST", generate('campaign'), [{ name: 'Ann' }]),
	redirectEntry(302, "Video → Generate's paid POST", generate('video'), [{ name: 'Ann' }]),
	{
		concern: 'transport',
		input: 'A read is answered 301 without a Location',
		outcome: 'an error: "BHuman answered with a redirect (301) to no Location"',
		bhuman: (_request, response) => {
			response.writeHead(301);
			response.end();
		},
		parameters: () => workspaces,
		requests: 1,
		error: /redirect \(301\) to no Location/,
	},
	{
		concern: 'transport',
		input: 'Return All: pages come short (50 of 100) while total says 250',
		outcome: 'keeps paging to the total: 5 requests, 250 items',
		bhuman: shortPages(250, 50),
		parameters: () => instances(),
		requests: 5,
		error: null,
		then: (result) => {
			expect(result.items).toHaveLength(250);
			expect(new Set(result.items.map((item) => item.json.id)).size).toBe(250);
		},
	},
	{
		concern: 'transport',
		input: 'Return All: the server ignores `page` (the same full page every time)',
		outcome: 'stops at the repeat: "BHuman returned the same records for page 1 as for page 0"',
		bhuman: (_request, response) => json(response, 200, records(0, 100)),
		parameters: () => instances(),
		requests: 2,
		error: /same records for page 1 as for page 0 .*: stopped after 100 records/,
	},
	{
		concern: 'transport',
		input: 'Return All: a list that never ends (full new pages, no total)',
		outcome: 'stops at 1,000 pages: "… has more than 1000 pages: stopped after 100000 records"',
		bhuman: (request, response) =>
			json(response, 200, records(Number(request.query.page) * 100, 100)),
		parameters: () => instances(),
		requests: 1000,
		error: /more than 1000 pages: stopped after 100000 records/,
	},
	{
		concern: 'transport',
		input: 'Limit 150 over pages of 100 (total 1,000)',
		outcome: 'asks for no more pages than needed: 2 requests, 150 items',
		bhuman: shortPages(1000, 100),
		parameters: () => instances({ returnAll: false, limit: 150 }),
		requests: 2,
		error: null,
		then: (result) => expect(result.items).toHaveLength(150),
	},
	limitEntry('={{ Number("many") }}', 'NaN'),
	limitEntry('={{ 0 }}', '0'),
	limitEntry('={{ -5 }}', '-5'),
	limitEntry('={{ 2.5 }}', '2.5'),
	{
		concern: 'transport',
		input: 'A read is answered 429 with Retry-After: 3600',
		outcome: 'not waited for an hour: one request, "BHuman is rate limiting requests"',
		bhuman: (_request, response) =>
			json(response, 429, { message: 'slow down' }, { 'retry-after': '3600' }),
		parameters: () => workspaces,
		requests: 1,
		error: /BHuman is rate limiting requests/,
	},
];
