/**
 * Generate → Wait for Completion → Until BHuman Calls Back, through n8n's engine: the run waits
 * (n8n-core's putExecutionToWait), the simulator renders and POSTs its callbacks to the
 * execution's resume URL, served as n8n serves it (test/helpers/waiting.ts), and the node's
 * webhook decides from each callback and BHuman's answers whether the run resumes.
 */
import { Container } from '@n8n/di';
import { BinaryDataService } from 'n8n-core';
import type { IDataObject, INode, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import { sleep, Workflow } from 'n8n-workflow';
import { MAX_CALLBACK_ROWS } from '../../nodes/Bhuman/helpers/callbacks';
import {
	BHUMAN_TYPE,
	Collect,
	nodeTypes,
	runBHuman,
	TestCredentialsHelper,
} from '../helpers/engine';
import { withSimulator } from '../helpers/sim';
import { callbackParams, startWaitingServer, type WaitingServer } from '../helpers/waiting';

const s = withSimulator({ render: { queuedMs: 100, processingMs: 400 } });
let server: WaitingServer;

beforeAll(async () => {
	await Container.get(BinaryDataService).init();
});
beforeEach(async () => {
	server = await startWaitingServer({ credentials: s.credentials });
});
afterEach(async () => {
	await server.close();
	s.sim.setRender({ staggerMs: 0 });
	s.sim.setCallbacks({ repeat: 1 });
});

const leads = (...names: string[]) =>
	names.map((name, i) => ({
		first_name: name,
		company: `Company ${i}`,
		email: `${i}@example.com`,
	}));

const params = (extra: INodeParameters = {}) => callbackParams(s.sim, extra);

const generatePosts = () => s.sim.requests.filter((r) => r.path === '/api/ai_studio/try_sample');
const polls = () => s.sim.requests.filter((r) => r.path === '/api/ai_studio/generated_video_by_id');
const ids = (items: INodeExecutionData[]) => items.map((item) => item.json.id as string);

/** The callback URL the generate request carried (this execution's resume URL). */
function callbackUrl(): URL {
	return new URL(generatePosts()[0].body.callback_url as string);
}

async function post(url: string | URL, body: unknown, headers: Record<string, string> = {}) {
	const response = await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...headers },
		body: JSON.stringify(body),
	});
	return {
		status: response.status,
		body: (await response.json().catch(() => null)) as IDataObject,
	};
}

describe('the run waits, then resumes once every video is final', () => {
	test("3 leads: waiting without polling, one resume, items in order and paired, the polling mode's fields", async () => {
		// Renders that finish one after another, as BHuman's do.
		s.sim.setRender({ staggerMs: 300 });
		const started = await server.start({ parameters: params(), items: leads('Don', 'Ada', 'Bob') });
		expect(started.status).toBe('waiting');
		const url = callbackUrl();
		expect(url.pathname).toBe(`/webhook-waiting/${started.id}/bhuman`);
		expect(url.searchParams.get('token')).toMatch(/^[\w-]{32}$/);
		expect(generatePosts()).toHaveLength(1);
		// One question before waiting (is every video final already? The first still renders).
		expect(polls()).toHaveLength(1);
		// While waiting, the node shows the accepted generations (pending).
		const pending = started.runs[0].data.resultData.runData.BHuman[0].data!.main[0]!;
		expect(pending.map((item) => item.json.status)).toEqual(['accepted', 'accepted', 'accepted']);

		const done = await server.settle(started.id);
		expect(done.status).toBe('success');
		expect(done.runs).toHaveLength(2);
		const out = server.output(started.id, 'Collect');
		const generated = server.output(started.id, 'BHuman');
		expect(out.map((item) => item.json.variables)).toEqual([
			{ name: 'Don', company: 'Company 0' },
			{ name: 'Ada', company: 'Company 1' },
			{ name: 'Bob', company: 'Company 2' },
		]);
		expect(generated.map((item) => item.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
		]);
		expect(ids(out)).toEqual(ids(pending));
		for (const item of out) {
			expect(item.json).toMatchObject({ status: 'succeeded', timedOut: false, batch: 1 });
			expect(item.json.pageUrl).toContain('/share/');
			expect(item.json.mp4Url).toMatch(/\.mp4$/);
			expect(item.json.thumbnailUrl).toMatch(/\.png$/);
			expect(item.json.gifUrl).toMatch(/\.gif$/);
		}
		// Three callbacks: two answered "waiting" after asking BHuman, the last one resumed.
		const answers = server.calls.map((call) => (call.response as IDataObject).result);
		expect(answers.sort()).toEqual(['resumed', 'waiting', 'waiting']);

		// The same fields as the polling mode's output for the same rows.
		const polled = await runBHuman({
			parameters: params({ waitMethod: 'poll', pollInterval: 1 }),
			items: leads('Don', 'Ada', 'Bob'),
			credentials: s.credentials,
		});
		expect(polled.error).toBeUndefined();
		// The node's fields on every item, as polling gives them; BHuman's whole record on those it
		// asked BHuman about, the last video's callback body on its own (no request is made for it).
		const nodeFields = [
			'batch',
			'gifUrl',
			'id',
			'message',
			'mp4Url',
			'pageUrl',
			'polls',
			'rowIndex',
			'status',
			'thumbnailUrl',
			'timedOut',
			'variables',
			'videoInstanceId',
			'whatsappVideoUrl',
		];
		for (const item of [...out, ...polled.items])
			expect(Object.keys(item.json)).toEqual(expect.arrayContaining(nodeFields));
		expect(Object.keys(out[0].json).sort()).toEqual(Object.keys(polled.items[0].json).sort());
	});

	test('a batch resumes only when the last video is final; a failed render comes out failed', async () => {
		const started = await server.start({
			parameters: params(),
			items: leads('Don', 'sim:fail', 'sim:never'),
		});
		const [, , never] = ids(started.runs[0].data.resultData.runData.BHuman[0].data!.main[0]!);
		// Two callbacks come and go (together: one is checked, the other asks for one more check);
		// the run still waits for the third video.
		const end = Date.now() + 5000;
		while (server.calls.length < 2 && Date.now() < end) await sleep(20);
		const results = server.calls.map((call) => (call.response as IDataObject).result);
		expect(results).toContain('waiting');
		expect(results.every((result) => result === 'waiting' || result === 'checking')).toBe(true);
		expect(server.executions.get(started.id)!.status).toBe('waiting');
		s.sim.completeGeneration(never, 'succeeded');
		const done = await server.settle(started.id);
		const out = server.output(done.id, 'Collect');
		expect(out.map((item) => item.json.status)).toEqual(['succeeded', 'failed', 'succeeded']);
		expect(out[1].json.mp4Url).toBeNull();
		expect(out[1].json.message).toMatch(/sim:fail/);
	});
});

describe('callbacks that arrive together', () => {
	test("40 videos final at once: each generation is asked about about once, the credential read once for all the workflow's callbacks", async () => {
		const names = Array.from({ length: 40 }, (_, i) => `Lead ${i}`);
		const started = await server.start({ parameters: params(), items: leads(...names) });
		const readsBefore = TestCredentialsHelper.reads;
		const done = await server.settle(started.id);
		expect(done.status).toBe('success');
		expect(server.output(started.id, 'Collect').map((item) => item.json.status)).toEqual(
			names.map(() => 'succeeded'),
		);
		// Every callback answered (those after the resume too) before anything is counted.
		const end = Date.now() + 10000;
		while (server.calls.length < names.length && Date.now() < end) await sleep(20);
		expect(server.calls).toHaveLength(names.length);
		// Without the shared memory, callbacks that arrive together would ask about every other
		// video: up to 40 × 39 requests.
		const asked = polls();
		expect(asked.length).toBeLessThanOrEqual(2 * names.length);
		const expected = `Basic ${Buffer.from(`${s.credentials.apiKeyId}:${s.credentials.apiKeySecret}`).toString('base64')}`;
		for (const request of asked) expect(request.headers.authorization).toBe(expected);
		expect(server.calls.filter((call) => call.status >= 500)).toEqual([]);
		const results = server.calls.map((call) => (call.response as IDataObject).result);
		expect(results.filter((result) => result === 'resumed')).toHaveLength(1);
		// n8n 2.x reads a credential outside an execution in an isolate of its own: the callbacks of
		// one workflow share a process's read of the last minute.
		expect(TestCredentialsHelper.reads - readsBefore).toBe(1);
	});
});

describe('what a callback must carry', () => {
	test('no token 401, a wrong token 403, a foreign id 403, malformed 400, WhatsApp noted: nothing resumes', async () => {
		s.sim.setCallbacks({ repeat: 0 });
		const started = await server.start({ parameters: params(), items: leads('sim:never') });
		const url = callbackUrl();
		const polled = polls().length;
		const [id] = ids(started.runs[0].data.resultData.runData.BHuman[0].data!.main[0]!);
		const withoutToken = new URL(url);
		withoutToken.searchParams.delete('token');
		const forged = {
			id,
			status: 'succeeded',
			url: 'http://evil.example/x.mp4',
			video_url: 'http://evil.example/',
		};
		expect((await post(withoutToken, forged)).status).toBe(401);
		const wrong = new URL(url);
		wrong.searchParams.set('token', 'guessed');
		expect((await post(wrong, forged)).status).toBe(403);
		const foreign = await post(url, { ...forged, id: '7d859e18-dc89-446f-9718-9533bb178a75' });
		expect(foreign).toEqual({
			status: 403,
			body: { result: 'rejected', reason: 'Not a generation of this run' },
		});
		expect((await post(url, { status: 'succeeded' })).status).toBe(400);
		const whatsapp = await post(url, {
			event: 'whatsapp.ready',
			id,
			whatsapp_video_url: 'https://x',
		});
		expect(whatsapp.body.result).toBe('noted');
		const processing = await post(url, { id, status: 'processing' });
		expect(processing.body.result).toBe('noted');
		expect(server.executions.get(started.id)!.status).toBe('waiting');
		expect(polls()).toHaveLength(polled);
		// The token also in the header the BHuman Trigger accepts.
		s.sim.completeGeneration(id, 'succeeded');
		const real = await post(
			withoutToken,
			{ id, status: 'succeeded', url: 'https://cdn.example/x.mp4' },
			{
				'x-bhuman-token': url.searchParams.get('token')!,
			},
		);
		expect(real.body.result).toBe('resumed');
		await server.settle(started.id);
	});

	test('a repeated final callback resumes the run once, also when both copies arrive together', async () => {
		s.sim.setCallbacks({ repeat: 2 });
		const started = await server.start({ parameters: params(), items: leads('Don', 'Ada') });
		await server.settle(started.id);
		const end = Date.now() + 5000;
		while (server.calls.length < 4 && Date.now() < end) await sleep(20);
		expect(server.executions.get(started.id)!.runs).toHaveLength(2);
		const resumed = server.calls.filter((call) => call.result?.workflowData !== undefined);
		expect(resumed).toHaveLength(1);
		// After the resume n8n answers a repeat itself (409).
		const [id] = ids(server.output(started.id, 'BHuman'));
		expect((await post(callbackUrl(), { id, status: 'succeeded' })).status).toBe(409);
	});
});

describe('Max Wait, downloads, limits and n8n settings', () => {
	test('at Max Wait every item comes out with its generation id and timedOut, nothing else runs', async () => {
		const started = await server.start({ parameters: params(), items: leads('Don', 'sim:never') });
		const pending = ids(started.runs[0].data.resultData.runData.BHuman[0].data!.main[0]!);
		const done = await server.expire(started.id);
		expect(done.status).toBe('success');
		const out = server.output(started.id, 'Collect');
		expect(ids(out)).toEqual(pending);
		expect(out.map((item) => [item.json.status, item.json.timedOut])).toEqual([
			['accepted', true],
			['accepted', true],
		]);
		expect(server.output(started.id, 'BHuman').map((item) => item.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
		]);
	});

	test('Download Video is not offered in this mode (n8n runs no node code after a resume): nothing is downloaded, a notice names Video → Get', async () => {
		const started = await server.start({
			parameters: params({ downloadVideo: true, binaryPropertyName: 'video' }),
			items: leads('Don'),
		});
		await server.settle(started.id);
		const [out] = server.output(started.id, 'BHuman');
		expect(out.json.status).toBe('succeeded');
		expect(out.binary).toBeUndefined();
		const { properties } = nodeTypes.getByNameAndVersion(BHUMAN_TYPE, 1).description;
		const download = properties.find(
			(p) => p.name === 'downloadVideo' && p.displayOptions?.show?.resource?.includes('video'),
		);
		expect(download?.displayOptions?.show?.waitMethod).toEqual(['poll']);
		const notice = properties.find((p) => p.name === 'callbackNotice');
		expect(notice?.displayName).toMatch(/Video → Get .*Download Video/);
	});

	test(`more than ${MAX_CALLBACK_ROWS} rows are refused before anything is sent`, async () => {
		const items = Array.from({ length: MAX_CALLBACK_ROWS + 1 }, (_, i) => ({
			first_name: `N${i}`,
			company: 'C',
		}));
		const result = await server.start({ parameters: params({ batchSize: 2000 }), items });
		expect(result.status).toBe('error');
		expect(result.runs[0].data.resultData.error?.message).toBe(
			`Until BHuman Calls Back waits for at most ${MAX_CALLBACK_ROWS} videos in one run; this run has ${MAX_CALLBACK_ROWS + 1}`,
		);
		expect(generatePosts()).toHaveLength(0);
	});

	test('Retry On Fail is refused; Continue On Fail keeps invalid items in place', async () => {
		const refused = await server.start({
			parameters: params(),
			items: leads('Don'),
			settings: { retryOnFail: true },
		});
		expect(refused.runs[0].data.resultData.error?.message).toMatch(/Retry On Fail/);
		expect(generatePosts()).toHaveLength(0);

		const started = await server.start({
			parameters: params(),
			items: [
				{ first_name: 'Don', company: 'A' },
				{ first_name: '', company: 'B' },
				{ first_name: 'Ada', company: 'C' },
			],
			continueOnFail: true,
		});
		expect(started.status).toBe('waiting');
		await server.settle(started.id);
		const out = server.output(started.id, 'Collect');
		expect(out.map((item) => item.json.status ?? null)).toEqual(['succeeded', null, 'succeeded']);
		expect(out[1].json.error).toMatch(/Invalid item 1/);
	});

	test('BHuman itself (no Base URL) cannot call back a local n8n: refused before paying', async () => {
		const result = await runBHuman({
			parameters: params(),
			items: leads('Don'),
			credentials: { ...s.credentials, baseUrl: '' },
		});
		expect(result.error?.message).toBe(
			'BHuman cannot call back this n8n: its resume URL is on localhost',
		);
		expect(s.sim.requests).toHaveLength(0);
	});

	/** 3 leads; the first `done` succeed and call back; BHuman's status route then answers 500 for good. */
	async function downAfter(done: number) {
		const started = await server.start({
			parameters: params(),
			items: leads('sim:never', 'sim:never', 'sim:never'),
		});
		const all = ids(started.runs[0].data.resultData.runData.BHuman[0].data!.main[0]!);
		for (const id of all.slice(0, done)) s.sim.completeGeneration(id, 'succeeded');
		const end = Date.now() + 5000;
		while (server.calls.length < done && Date.now() < end) await sleep(20);
		s.sim.inject({
			method: 'GET',
			path: '/api/ai_studio/generated_video_by_id',
			status: 500,
			times: -1,
		});
		return { started, ids: all };
	}

	async function callbackOf(id: string) {
		const sent = () => s.sim.callbacksSent.filter((entry) => entry.body.id === id);
		const end = Date.now() + 15000;
		while (sent().length === 0 && Date.now() < end) await sleep(20);
		expect(sent()).toHaveLength(1);
		return sent()[0];
	}

	test("BHuman down during the last callback, no repeat: the run resumes at once; the last lead unconfirmed, timed out, with no link; the others with BHuman's records", async () => {
		const { started, ids: all } = await downAfter(2);
		const [first, second, third] = all;
		s.sim.completeGeneration(third, 'succeeded');
		expect(await callbackOf(third)).toMatchObject({ status: 200 });
		expect(server.calls.at(-1)?.response).toMatchObject({
			result: 'resumed',
			unconfirmed: [third],
		});
		const done = await server.settle(started.id);
		expect(done.status).toBe('success');
		const out = server.output(done.id, 'Collect');
		expect(out.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		for (const [index, id] of [first, second].entries()) {
			expect(out[index].json).toMatchObject({ id, status: 'succeeded', timedOut: false });
			expect(out[index].json.pageUrl).toBe(`${s.sim.url}/share/${id}`);
		}
		// Nothing of the callback's body: no state, no link.
		expect(out[2].json).toMatchObject({
			id: third,
			status: 'accepted',
			timedOut: true,
			unconfirmed: true,
		});
		expect(out[2].json.pollError).toMatch(/BHuman could not confirm this video .*Video → Get/);
		expect([out[2].json.pageUrl, out[2].json.mp4Url]).toEqual([undefined, undefined]);
		expect(s.sim.callbacksSent.filter((entry) => entry.body.id === third)).toHaveLength(1);
	});

	test('BHuman down during a callback that is not the last: answered 503, the run keeps waiting; Max Wait ends it with every id', async () => {
		const { started, ids: all } = await downAfter(1);
		const [first, second, third] = all;
		// The second still renders, as far as anyone here knows: the third is not the last.
		s.sim.completeGeneration(third, 'failed');
		expect(await callbackOf(third)).toMatchObject({ status: 503 });
		expect(server.calls.find((call) => call.status === 503)?.response).toMatchObject({
			result: 'error',
			reason: expect.stringMatching(/BHuman could not be asked .*The run keeps waiting/),
		});
		expect(server.executions.get(started.id)!.status).toBe('waiting');
		s.sim.clearFaults();
		const done = await server.expire(started.id);
		expect(
			server.output(done.id, 'Collect').map((item) => [item.json.id, item.json.timedOut]),
		).toEqual([
			[first, true],
			[second, true],
			[third, true],
		]);
	});
});

describe('each lead its own item after a resume (n8n pairs a resumed output by position)', () => {
	/** Two companies, each with its contacts; JSON input mode names the rows from each item. */
	const companies = (contacts: number) =>
		['Apple', 'Google'].map((company) => ({
			company,
			contacts: Array.from({ length: contacts }, (_, i) => `${company} contact ${i}`),
		}));
	const json = () =>
		params({
			inputMode: 'json',
			variablesJson: '["name", "company"]',
			namesJson: '={{ JSON.stringify($json.contacts.map((name) => [name, $json.company])) }}',
		});

	beforeEach(() => {
		Collect.readLeads = true;
		Collect.leads = [];
	});
	afterEach(() => {
		Collect.readLeads = false;
	});

	test('JSON input, 2 items × 2 rows: refused before paying, naming the item and the field', async () => {
		const result = await server.start({ parameters: json(), items: companies(2) });
		expect(result.status).toBe('error');
		const error = result.runs[0].data.resultData.error!;
		expect(error.message).toBe(
			'Invalid item 0: Names (JSON) has 2 rows, and Until BHuman Calls Back takes one row per item',
		);
		expect((error as unknown as IDataObject).description).toMatch(
			/^Nothing was sent to BHuman\. .*by position.*Split Out.*By Polling BHuman/,
		);
		expect(generatePosts()).toHaveLength(0);
	});

	test.each([
		['by callback', 'callback'],
		['at Max Wait', 'expire'],
	])(
		'JSON input, 2 items × 1 row, resumed %s: a step reading $("Items").item gets each video\'s own company',
		async (_, how) => {
			const items = companies(1);
			const started = await server.start({ parameters: json(), items });
			expect(started.status).toBe('waiting');
			const waiting = ids(started.runs[0].data.resultData.runData.BHuman[0].data!.main[0]!);
			// The second company's video first: the order BHuman finishes in is not the items' order.
			if (how === 'callback') {
				for (const id of [...waiting].reverse()) s.sim.completeGeneration(id, 'succeeded');
			}
			const done =
				how === 'callback' ? await server.settle(started.id) : await server.expire(started.id);
			expect(done.status).toBe('success');
			const out = server.output(done.id, 'Collect');
			expect(out.map((item) => item.json.variables)).toEqual([
				{ name: 'Apple contact 0', company: 'Apple' },
				{ name: 'Google contact 0', company: 'Google' },
			]);
			expect(out.map((item) => item.json.timedOut)).toEqual(
				how === 'callback' ? [false, false] : [true, true],
			);
			expect(Collect.leads).toEqual(items);
		},
	);

	test('Map Each Item to a Row, 3 leads, resumed by callback: each step reads its own lead', async () => {
		const items = leads('Don', 'Ada', 'Grace');
		const started = await server.start({ parameters: params(), items });
		const waiting = ids(started.runs[0].data.resultData.runData.BHuman[0].data!.main[0]!);
		for (const id of [...waiting].reverse()) s.sim.completeGeneration(id, 'succeeded');
		const done = await server.settle(started.id);
		expect(server.output(done.id, 'Collect').map((item) => item.json.id)).toEqual(waiting);
		expect(Collect.leads).toEqual(items);
	});
});

describe('n8n 2.x', () => {
	test("the resume URL carries n8n's resume token; without it n8n refuses the call", async () => {
		await server.close();
		server = await startWaitingServer({ credentials: s.credentials, line: 2 });
		const started = await server.start({ parameters: params(), items: leads('Don', 'Ada') });
		const url = callbackUrl();
		expect(url.searchParams.get('signature')).toBe(`resume-token-${started.id}`);
		const unsigned = new URL(url);
		unsigned.searchParams.delete('signature');
		expect((await post(unsigned, { id: 'x', status: 'succeeded' })).status).toBe(401);
		await server.settle(started.id);
		expect(server.output(started.id, 'Collect').map((item) => item.json.status)).toEqual([
			'succeeded',
			'succeeded',
		]);
	});
});

describe("n8n's editor while the run waits", () => {
	/** The node type's waitingNodeTooltip, evaluated as n8n's editor does under "Waiting for input". */
	function waitingText(parameters: INodeParameters): string {
		const node: INode = {
			id: 'b',
			name: 'BHuman',
			type: BHUMAN_TYPE,
			typeVersion: 1,
			position: [0, 0],
			parameters,
		};
		const workflow = new Workflow({
			id: 'w',
			nodes: [node],
			connections: {},
			nodeTypes,
			active: false,
		});
		const tooltip = nodeTypes.getByNameAndVersion(BHUMAN_TYPE, 1).description.waitingNodeTooltip;
		expect(typeof tooltip).toBe('string');
		const execution = { id: '7', mode: 'test', resumeUrl: 'http://n8n.example/webhook-waiting/7' };
		return String(
			workflow.expression.getSimpleParameterValue(node, tooltip!, 'internal', {
				$execution: execution,
			} as never),
		);
	}

	test('says the execution continues when BHuman has called back, for Video and Campaign → Generate', () => {
		expect(waitingText(params())).toBe(
			'Execution will continue when BHuman has called back for every video (or when Max Wait is over)',
		);
		expect(waitingText(params({ resource: 'campaign' }))).toMatch(/BHuman has called back/);
	});

	test('says nothing when the node does not wait for callbacks', () => {
		expect(waitingText(params({ waitMethod: 'poll' }))).toBe('');
		expect(waitingText(params({ waitForCompletion: false }))).toBe('');
	});
});
