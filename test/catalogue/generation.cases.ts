/**
 * Catalogue, concern "generation": Video → Generate and Campaign → Generate used carelessly
 * or with hostile settings (n8n's node settings, expressions giving NaN, a server answering
 * oddly). Each case is run by generation.test.ts through n8n's engine against the simulator.
 */
import { randomBytes } from 'node:crypto';
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import type { Fault, Simulator } from '../../simulator';
import type { RunOptions, RunResult } from '../helpers/engine';
import type { CatalogueEntry } from './catalogue';

/** The trigger token in every case's Callback URL: it must never appear in an output or error. */
/** Fresh each run, so the check that it is never shown finds only what the run leaked. */
export const CALLBACK_TOKEN = `cb-token-never-shown-${randomBytes(8).toString('hex')}`;

export interface GenerationCase extends CatalogueEntry {
	resource?: 'video' | 'campaign';
	/** Parameters over the defaults (two variables mapped from the item, a Callback URL with a token). */
	parameters?: (sim: Simulator) => INodeParameters;
	items?: IDataObject[];
	continueOnFail?: boolean;
	settings?: RunOptions['settings'];
	/** Injected into the simulator before the run; `media404` is a server answering 404 to everything. */
	faults?: Fault[] | ((context: { media404: string }) => Fault[]);
	/** Every API request BHuman (the simulator) saw, polls included (its log leaves out media downloads). */
	requests: number;
	/** Matched against the execution error's message and description; absent = the run succeeds. */
	error?: RegExp;
	/** Must not occur in the error or in any output item. */
	absent?: RegExp;
	/** Matched against the JSON of the output items. */
	output?: RegExp;
	check?: (result: RunResult, sim: Simulator) => void;
}

const two = [
	{ first_name: 'Ada', company: 'Acme' },
	{ first_name: 'Bob', company: 'Bolt' },
];
const POST = { method: 'POST', path: '/api/ai_studio/try_sample' };
const LIST = '/api/ai_studio/generated_video_by_video_instance_id';
const waitOn = { waitForCompletion: true, pollInterval: 1, maxWait: 0.2 };
const retryOnFail = { retryOnFail: true, maxTries: 2, waitBetweenTries: 0 };
/** The poll answers succeeded with an MP4 URL on a server that answers 404. */
const brokenDownload = ({ media404 }: { media404: string }): Fault[] => [
	{
		method: 'GET',
		path: '/api/ai_studio/generated_video_by_id',
		status: 200,
		body: { status: 'succeeded', url: `${media404}/video.mp4` },
	},
];
const notAllowEmpty = /Allow Empty Values/;

export const cases: GenerationCase[] = [
	{
		concern: 'generation',
		input: 'Retry On Fail on (Video → Generate), batch 2 would answer 500',
		outcome:
			'refused before any request (n8n would re-run the node and re-send paid batches): the error says to turn off Settings → Retry On Fail',
		parameters: () => ({ batchSize: 1 }),
		settings: retryOnFail,
		faults: [{ ...POST, status: 500, after: 1 }],
		requests: 0,
		error: /Generate does not run with "Retry On Fail" on[\s\S]*Settings → Retry On Fail/,
	},
	{
		concern: 'generation',
		input: 'Retry On Fail on (Campaign → Generate)',
		outcome: 'refused the same way, 0 requests',
		resource: 'campaign',
		settings: retryOnFail,
		requests: 0,
		error: /Generate does not run with "Retry On Fail" on/,
	},
	{
		concern: 'generation',
		input: 'Retry On Fail and Continue On Fail both on',
		outcome:
			'refused, 0 requests; the execution fails with the refusal and n8n passes the input items on unchanged (an error item would also make n8n re-run the node)',
		settings: retryOnFail,
		continueOnFail: true,
		requests: 0,
		error: /Generate does not run with "Retry On Fail" on/,
		check: ({ items }) => expect(items.map((item) => item.json.id)).toEqual([undefined, undefined]),
	},
	{
		concern: 'generation',
		input: 'Execute Once on, 3 items',
		outcome: 'n8n gives the node only the first item: 1 request with 1 row, 1 output item',
		items: [...two, { first_name: 'Cy', company: 'Core' }],
		settings: { executeOnce: true },
		requests: 1,
		check: (result, sim) => {
			expect(result.items).toHaveLength(1);
			expect(sim.requests[0].body.names).toEqual([['Ada', 'Acme']]);
		},
	},
	{
		concern: 'generation',
		input: 'Always Output Data on',
		outcome: 'no change: Generate always outputs one item per row (1 request, 2 items)',
		settings: { alwaysOutputData: true },
		requests: 1,
		check: (result) =>
			expect(result.items.map((item) => item.json.status)).toEqual(['accepted', 'accepted']),
	},
	{
		concern: 'generation',
		input: 'Batch Size from an expression gives NaN',
		outcome: 'refused before any request, naming item 0 and Batch Size',
		parameters: () => ({ batchSize: '={{ $json.missing * 1 }}' }),
		requests: 0,
		error: /Invalid item 0: Batch Size is NaN: it must be a whole number from 1 to 2000/,
	},
	{
		concern: 'generation',
		input: 'Batch Size 2,001',
		outcome: "refused before any request (BHuman's limit is 2,000)",
		parameters: () => ({ batchSize: 2001 }),
		requests: 0,
		error: /Invalid item 0: Batch Size is 2001/,
	},
	{
		concern: 'generation',
		input: 'Poll Interval 0 (was: 816 polls per second)',
		outcome: 'refused before any request: at least 1 second',
		parameters: () => ({ ...waitOn, pollInterval: 0 }),
		requests: 0,
		error:
			/Invalid item 0: Poll Interval \(Seconds\) is 0: it must be a number of seconds, at least 1/,
	},
	{
		concern: 'generation',
		input: 'Poll Interval from an expression gives NaN',
		outcome: 'refused before any request, naming the field',
		parameters: () => ({ ...waitOn, pollInterval: '={{ 0 / 0 }}' }),
		requests: 0,
		error: /Poll Interval \(Seconds\) is NaN/,
	},
	{
		concern: 'generation',
		input: 'Poll Interval -1',
		outcome: 'refused before any request',
		parameters: () => ({ ...waitOn, pollInterval: -1 }),
		requests: 0,
		error: /Poll Interval \(Seconds\) is -1/,
	},
	{
		concern: 'generation',
		input: 'Max Wait NaN (was: waits forever)',
		outcome: 'refused before any request',
		parameters: () => ({ ...waitOn, maxWait: '={{ 0 / 0 }}' }),
		requests: 0,
		error: /Invalid item 0: Max Wait \(Minutes\) is NaN: it must be a number of minutes above 0/,
	},
	{
		concern: 'generation',
		input: 'Max Wait Infinity (1 / 0)',
		outcome: 'refused before any request',
		parameters: () => ({ ...waitOn, maxWait: '={{ 1 / 0 }}' }),
		requests: 0,
		error: /Max Wait \(Minutes\) is Infinity/,
	},
	{
		concern: 'generation',
		input: 'Max Wait is an expression that fails (was: read after the POST, accepted IDs lost)',
		outcome: 'read before the first request: refused naming the field, 0 requests',
		parameters: () => ({ ...waitOn, maxWait: '={{ $("Nowhere").item.json.minutes }}' }),
		requests: 0,
		error: /Invalid item 0: Max Wait \(Minutes\) could not be read/,
	},
	{
		concern: 'generation',
		input: 'Max Concurrent Polls 0 (was: everything timed out without a poll)',
		outcome: 'refused before any request: a whole number from 1 to 100',
		parameters: () => ({ ...waitOn, options: { pollConcurrency: 0 } }),
		requests: 0,
		error: /Max Concurrent Polls is 0: it must be a whole number from 1 to 100/,
	},
	{
		concern: 'generation',
		input: 'Max Concurrent Polls 101',
		outcome: 'refused before any request',
		parameters: () => ({ ...waitOn, options: { pollConcurrency: 101 } }),
		requests: 0,
		error: /Max Concurrent Polls is 101/,
	},
	{
		concern: 'generation',
		input: 'Download Video, Put Video in Field from an expression gives ""',
		outcome: 'refused before any request, naming the field',
		parameters: () => ({ ...waitOn, downloadVideo: true, binaryPropertyName: '={{ "" }}' }),
		requests: 0,
		error: /Invalid item 0: Put Video in Field is "": it must be a binary property name/,
	},
	{
		concern: 'generation',
		input: 'Put Video in Field is __proto__',
		outcome: 'refused before any request',
		parameters: () => ({ ...waitOn, downloadVideo: true, binaryPropertyName: '__proto__' }),
		requests: 0,
		error: /Put Video in Field is "__proto__"/,
	},
	{
		concern: 'generation',
		input: 'a variable value is NaN (was: sent as the word "NaN")',
		outcome:
			'refused before any request, naming the item and the variable; no Allow Empty Values hint',
		items: [two[0], { first_name: 'Bob', price: 'x' }],
		parameters: () => ({
			variables: {
				variable: [
					{ name: 'name', value: '={{ $json.first_name }}' },
					{ name: 'company', value: '={{ $json.price ? 0 / 0 : "Acme" }}' },
				],
			},
		}),
		requests: 0,
		error: /Invalid item 1: Variable "company" is NaN/,
		absent: notAllowEmpty,
	},
	{
		concern: 'generation',
		input: 'JSON mode: a names value is Infinity',
		outcome: 'refused before any request, naming the row and the variable',
		parameters: () => ({
			inputMode: 'json',
			variablesJson: '["name", "company"]',
			namesJson: '={{ [["Don", 1 / 0]] }}',
		}),
		requests: 0,
		error: /Invalid item 0: Names \(JSON\) row 0, variable "company" is Infinity/,
	},
	{
		concern: 'generation',
		input: 'a variable value is an object',
		outcome: 'refused before any request; the hint does not suggest Allow Empty Values',
		items: [{ first_name: 'Ada', company: { legal: 'Acme' } }],
		requests: 0,
		error: /Invalid item 0: Variable "company" is an object/,
		absent: notAllowEmpty,
	},
	{
		concern: 'generation',
		input: 'a variable reads a field the item does not have',
		outcome: 'refused before any request: "has no value", no Allow Empty Values hint',
		items: [{ first_name: 'Ada' }],
		requests: 0,
		error: /Invalid item 0: Variable "company" has no value: the item has no such field/,
		absent: notAllowEmpty,
	},
	{
		concern: 'generation',
		input: 'a variable value is empty',
		outcome: 'refused before any request; this one suggests Allow Empty Values',
		items: [{ first_name: '', company: 'Acme' }],
		requests: 0,
		error: /Invalid item 0: Variable "name" is empty[\s\S]*Allow Empty Values/,
	},
	{
		concern: 'generation',
		input: 'a Callback URL that is not a URL, carrying a trigger token',
		outcome: 'refused before any request; the URL is shown without its query (no token)',
		parameters: () => ({ callbackUrl: `n8n.example.com/webhook/x/bhuman?token=${CALLBACK_TOKEN}` }),
		requests: 0,
		error: /Callback URL is not a URL: 'n8n.example.com\/webhook\/x\/bhuman'/,
	},
	{
		concern: 'generation',
		input: 'Campaign background Start from an expression gives NaN',
		outcome: 'refused before any request (JSON would have sent null)',
		resource: 'campaign',
		parameters: () => ({
			backgrounds: { background: [{ kind: 'site', start: '={{ 0 / 0 }}', end: -1 }] },
			assets: { asset: [{ value: 'https://acme.com' }] },
		}),
		requests: 0,
		error: /Invalid item 0: Background 1's Start is NaN/,
	},
	{
		concern: 'generation',
		input: 'BHuman answers 200 with 1 ID for 2 rows',
		outcome:
			'error names the ID BHuman returned (it did receive the batch), not "may or may not"; not re-sent',
		faults: [{ ...POST, status: 200, body: { result: ['5e2c1f4a-0000-4000-8000-00000000abcd'] } }],
		requests: 1,
		error:
			/Batch 1 of 1 failed: BHuman answered 1 generation IDs for 2 rows[\s\S]*received this batch and created these generations:\n5e2c1f4a-0000-4000-8000-00000000abcd/,
		absent: /may or may not/,
	},
	{
		concern: 'generation',
		input: 'the same short answer with Continue On Fail',
		outcome: "the batch's items are errors; the returned IDs are kept once, on its first item",
		continueOnFail: true,
		faults: [{ ...POST, status: 200, body: { result: ['5e2c1f4a-0000-4000-8000-00000000abcd'] } }],
		requests: 1,
		check: ({ items }) => {
			expect(items[0].json.returnedIds).toEqual(['5e2c1f4a-0000-4000-8000-00000000abcd']);
			expect(items[1].json.returnedIds).toBeUndefined();
			expect(items[1].json.error).toMatch(/answered 1 generation IDs for 2 rows/);
		},
	},
	{
		concern: 'generation',
		input: 'the connection drops on batch 2 of 2',
		outcome:
			'not re-sent; the error says BHuman may or may not have received batch 2 and lists the accepted ID of batch 1',
		parameters: () => ({ batchSize: 1 }),
		faults: [{ ...POST, drop: true, after: 1 }],
		requests: 2,
		error:
			/Batch 2 of 2 failed[\s\S]*may or may not have received batch 2[\s\S]*BHuman accepted 1 generations before this batch[\s\S]*item 0: [0-9a-f-]{36}/,
	},
	{
		concern: 'generation',
		input:
			"Reuse Videos BHuman Already Made on, BHuman's list of generated videos refuses the API key (401)",
		outcome:
			"stopped before any generate request: the error says Reuse needs BHuman's list, which BHuman does not serve to this key, and to turn Reuse off to send every row",
		parameters: () => ({ options: { reuseVideos: true } }),
		faults: [{ method: 'GET', path: LIST, status: 401 }],
		requests: 1,
		error:
			/^Nothing was sent to BHuman: Reuse Videos BHuman Already Made needs BHuman's list of generated videos, which BHuman does not serve to this API key \(401\)[\s\S]*Turn Reuse Videos BHuman Already Made off/,
	},
	{
		concern: 'generation',
		input: 'Reuse Videos BHuman Already Made on, Reuse Window (Hours) 0',
		outcome: 'refused before any request: the error names item 0 and Reuse Window (Hours)',
		parameters: () => ({ options: { reuseVideos: true, reuseWindow: 0 } }),
		requests: 0,
		error: /^Invalid item 0: Reuse Window \(Hours\) is 0: it must be a number of hours above 0/,
	},
	{
		concern: 'generation',
		input: 'Continue On Fail, batch 2 of 3 answers 500',
		outcome:
			"accepted items carry their IDs; the failed batch's items carry a short error (batch, status, BHuman's message, that BHuman may or may not have received it), no ID list",
		items: [...two, ...two, ...two],
		parameters: () => ({ batchSize: 2 }),
		continueOnFail: true,
		faults: [{ ...POST, status: 500, after: 1, body: { message: 'render farm busy' } }],
		requests: 3,
		check: ({ items }) => {
			expect(items.map((item) => typeof item.json.id)).toEqual([
				'string',
				'string',
				'undefined',
				'undefined',
				'string',
				'string',
			]);
			expect(items[2].json).toMatchObject({
				error: 'Batch 2 of 3 failed: BHuman answered with a server error (500)',
				description: expect.stringMatching(
					/^BHuman says: render farm busy\n\nBHuman may or may not have received batch 2 \(HTTP 500\)/,
				) as unknown,
				httpCode: '500',
			});
		},
	},
	{
		concern: 'generation',
		input: 'no Continue On Fail, 25 rows accepted, then a batch answers 500',
		outcome:
			'the error lists 20 accepted IDs with their items, counts the other 5, and names Video → Get Many to list them all',
		items: Array.from({ length: 30 }, (_, i) => ({ first_name: `N${i}`, company: `C${i}` })),
		parameters: () => ({ batchSize: 5 }),
		faults: [{ ...POST, status: 500, after: 5 }],
		requests: 6,
		error:
			/Batch 6 of 6 failed[\s\S]*BHuman accepted 25 generations before this batch; do not send them again:\nitem 0: [\s\S]*item 19: [0-9a-f-]{36}\n… and 5 more\nAll of them: Video → Get Many for video instance [0-9a-f-]{36}\./,
		absent: /item 20:/,
	},
	{
		concern: 'generation',
		input: 'the MP4 download answers 404, Continue On Fail',
		outcome:
			'the item keeps its ID and status, with its own download error (not the "accepted before this batch" text)',
		items: [two[0]],
		parameters: () => ({ ...waitOn, downloadVideo: true }),
		continueOnFail: true,
		faults: brokenDownload,
		requests: 2,
		check: ({ items }) => {
			expect(items[0].json).toMatchObject({ status: 'succeeded' });
			expect(items[0].json.id).toMatch(/^[0-9a-f-]{36}$/);
			expect(items[0].json.error).toMatch(/^Downloading the video of item 0 failed: /);
			expect(items[0].json.description).toMatch(
				/was generated \(generation [0-9a-f-]{36}\) and stays on BHuman/,
			);
			expect(items[0].binary).toBeUndefined();
		},
		absent: /before this batch/,
	},
	{
		concern: 'generation',
		input: 'the MP4 download answers 404, no Continue On Fail',
		outcome: "the error has the download's own text and the run's accepted IDs",
		items: [two[0]],
		parameters: () => ({ ...waitOn, downloadVideo: true }),
		faults: brokenDownload,
		requests: 2,
		error:
			/Downloading the video of item 0 failed[\s\S]*stays on BHuman[\s\S]*BHuman accepted 1 generations in this run/,
		absent: /before this batch|may or may not/,
	},
];

/** Run by generation.test.ts's "10,000 rows" tests (too big for the table of cases above). */
export const tenThousandRows: CatalogueEntry[] = [
	{
		concern: 'generation',
		input:
			'10,000 rows, Continue On Fail, batch 5 of 5 answers 500 (was: 784 MB of output, the run lost)',
		outcome:
			'5 requests; 8,000 items with their IDs, 2,000 with a short error (about 0.3 KB each): about 2 MB in all',
	},
	{
		concern: 'generation',
		input: '10,000 rows, no Continue On Fail, batch 5 of 5 answers 500',
		outcome:
			'5 requests; the error names 20 of the 8,000 accepted IDs, counts the rest and names Video → Get Many to list them all',
	},
];

/** The README table's rows for this concern. */
export const entries: CatalogueEntry[] = [
	...cases.map(({ concern, input, outcome }) => ({ concern, input, outcome })),
	...tenThousandRows,
];
