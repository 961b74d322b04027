/**
 * Until BHuman Calls Back on the paths users build around it, through n8n's engine and n8n's
 * waiting webhooks as test/helpers/waiting.ts serves them: the next pass of a loop in the same
 * execution, renders that end before the wait is saved, BHuman slow or down during the last
 * callback, downloads run in the execution (never from a callback's URL), n8n 2.x's combined
 * binary mode, and Max Wait on each line.
 */
import { Container } from '@n8n/di';
import { BinaryDataService } from 'n8n-core';
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import { startServer, type HostileServer } from '../helpers/hostile';
import { withSimulator } from '../helpers/sim';
import { callbackParams, startWaitingServer, type WaitingServer } from '../helpers/waiting';

const s = withSimulator({ render: { queuedMs: 100, processingMs: 300 } });
let server: WaitingServer;

beforeAll(async () => {
	await Container.get(BinaryDataService).init();
});
beforeEach(async () => {
	server = await startWaitingServer({ credentials: s.credentials });
});
afterEach(async () => {
	server.busy(false);
	await server.close();
	s.sim.setLatency(0);
	s.sim.setCallbacks({ repeat: 1 });
});

const leads = (...names: string[]) =>
	names.map((name, i) => ({ first_name: name, company: `Company ${i}` }));

const params = (extra: INodeParameters = {}) => callbackParams(s.sim, extra);

const POLL = '/api/ai_studio/generated_video_by_id';
const polls = () => s.sim.requests.filter((r) => r.path === POLL);
const ids = (items: INodeExecutionData[]) => items.map((item) => item.json.id as string);
const pendingOf = (started: { runs: Array<{ data: IDataObject }> }) =>
	ids(
		(
			started.runs[0].data as unknown as {
				resultData: { runData: Record<string, Array<{ data: { main: INodeExecutionData[][] } }>> };
			}
		).resultData.runData.BHuman[0].data.main[0],
	);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: () => boolean, ms: number, label: string) {
	const end = Date.now() + ms;
	while (!what()) {
		if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
		await sleep(20);
	}
}

describe('Loop Over Items: every pass of the node waits and resumes on its own', () => {
	test.each([1, 2] as const)(
		'n8n %i.x: three passes in one execution, each resumed by its own callback',
		async (line) => {
			await server.close();
			server = await startWaitingServer({ credentials: s.credentials, line });
			let executionId: string | undefined;
			const videos: string[] = [];
			for (const name of ['Don', 'Ada', 'Bob']) {
				const started = await server.start({
					parameters: params(),
					items: leads(name),
					executionId,
				});
				expect(started.status).toBe('waiting');
				executionId = started.id;
				const done = await server.settle(started.id, 10_000);
				expect(done.status).toBe('success');
				const [out] = server.output(started.id, 'Collect');
				expect(out.json).toMatchObject({ status: 'succeeded', variables: { name } });
				videos.push(out.json.id as string);
			}
			expect(new Set(videos).size).toBe(3);
			// Each pass resumed from its own callback: no answer says "resumed already".
			const results = server.calls.map((call) => (call.response as IDataObject)?.result);
			expect(results.filter((result) => result === 'resumed')).toHaveLength(3);
			expect(results).not.toContain('ignored');
		},
	);
});

describe('renders that end before the wait is saved', () => {
	test('every video final right after the generate request: the output comes at once, no wait', async () => {
		const started = await server.start({
			parameters: params(),
			items: [
				{ first_name: 'sim:fail', company: 'sim:render=0' },
				{ first_name: 'Ada', company: 'sim:render=0' },
			],
		});
		expect(started.status).toBe('success');
		expect(started.runs).toHaveLength(1);
		const out = server.output(started.id, 'Collect');
		expect(out.map((item) => [item.json.status, item.json.timedOut])).toEqual([
			['failed', false],
			['succeeded', false],
		]);
		expect(out[0].json.message).toMatch(/sim:fail/);
	});

	test('a callback n8n answered 409 (the wait not saved yet): the node checks the run itself and it ends within 10 s', async () => {
		const begun = Date.now();
		const started = await server.start({ parameters: params(), items: leads('sim:never') });
		expect(started.status).toBe('waiting');
		const [id] = pendingOf(started as never);
		// As while n8n still saves the execution: its callback is answered 409 and lost (BHuman
		// promises no redelivery).
		server.busy(true);
		s.sim.completeGeneration(id, 'failed');
		await until(
			() => s.sim.callbacksSent.some((entry) => entry.body.id === id),
			5_000,
			'the callback',
		);
		expect(s.sim.callbacksSent.find((entry) => entry.body.id === id)!.status).toBe(409);
		server.busy(false);
		const done = await server.settle(started.id, 10_000);
		expect(Date.now() - begun).toBeLessThan(10_000);
		expect(server.output(done.id, 'Collect').map((item) => item.json.status)).toEqual(['failed']);
	});

	test("the node's own check needs the run's token: without it, 401 and nothing resumes", async () => {
		s.sim.setCallbacks({ repeat: 0 });
		const started = await server.start({ parameters: params(), items: leads('sim:never') });
		const [id] = pendingOf(started as never);
		s.sim.completeGeneration(id, 'succeeded');
		const url = new URL(
			s.sim.requests.find((r) => r.path === '/api/ai_studio/try_sample')!.body.callback_url,
		);
		url.searchParams.delete('token');
		const response = await fetch(url, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-bhuman-node-check': '1' },
			body: '{}',
		});
		expect(response.status).toBe(401);
		expect(server.executions.get(started.id)!.status).toBe('waiting');
		// The node's own check (2 s after the wait began) does carry it, and resumes the run.
		await server.settle(started.id, 10_000);
	});
});

describe('the last callback while BHuman cannot answer', () => {
	test('BHuman slow (10 s a status answer): the callback is answered 202 within 8 s, the run resumes once BHuman answers', async () => {
		const started = await server.start({
			parameters: params(),
			items: leads('Don', 'sim:never'),
		});
		const [, last] = pendingOf(started as never);
		await until(() => server.calls.length >= 1, 5_000, "the first video's callback");
		s.sim.setLatency(10_000);
		const sentAt = Date.now();
		s.sim.completeGeneration(last, 'succeeded');
		const sent = () => s.sim.callbacksSent.find((entry) => entry.body.id === last);
		await until(() => sent() !== undefined, 12_000, 'the last callback');
		expect(sent()).toMatchObject({ status: 202 });
		expect(sent()!.ms).toBeLessThan(9_000);
		const done = await server.settle(started.id, 40_000);
		expect(Date.now() - sentAt).toBeLessThan(40_000);
		expect(server.output(done.id, 'Collect').map((item) => item.json.status)).toEqual([
			'succeeded',
			'succeeded',
		]);
	}, 60_000);
});

describe('a one-row run', () => {
	test("resumes from its callback's body with no request to BHuman; the body's URLs are output as data", async () => {
		const started = await server.start({ parameters: params(), items: leads('sim:never') });
		const [id] = pendingOf(started as never);
		await sleep(2_500); // past the node's first check
		const before = polls().length;
		s.sim.completeGeneration(id, 'succeeded');
		const done = await server.settle(started.id, 10_000);
		const answer = server.calls.find(
			(call) => (call.response as IDataObject)?.result === 'resumed',
		);
		expect(answer).toBeDefined();
		expect(polls().length - before).toBe(0);
		const [out] = server.output(done.id, 'Collect');
		const body = s.sim.callbacksSent.find((entry) => entry.body.id === id)!.body;
		expect(out.json).toMatchObject({
			status: 'succeeded',
			pageUrl: body.video_url,
			mp4Url: body.url,
			timedOut: false,
		});
	});
});

describe('a failed render', () => {
	test("whose callback resumes the run without a message: BHuman's record gives the reason", async () => {
		const started = await server.start({ parameters: params(), items: leads('sim:never') });
		const [id] = pendingOf(started as never);
		s.sim.completeGeneration(id, 'failed', 'Not enough credits');
		const done = await server.settle(started.id, 10_000);
		const body = s.sim.callbacksSent.find((entry) => entry.body.id === id)!.body;
		expect(body.message).toBeUndefined();
		expect(server.output(done.id, 'Collect')[0].json).toMatchObject({
			status: 'failed',
			message: 'Not enough credits',
			timedOut: false,
		});
	});
});

describe("downloads run in the execution, from BHuman's record only", () => {
	let other: HostileServer;
	beforeEach(async () => {
		other = await startServer((_request, response) => {
			response.writeHead(200, { 'content-type': 'video/mp4' });
			response.end('not from BHuman');
		});
	});
	afterEach(async () => {
		await other.close();
	});

	test("a callback whose body names another MP4 URL: nothing is fetched from there; the MP4 comes from the URL in BHuman's record", async () => {
		s.sim.setCallbacks({ repeat: 0 });
		const started = await server.start({
			parameters: params({ downloadVideo: true }),
			items: leads('sim:never'),
		});
		const [id] = pendingOf(started as never);
		s.sim.completeGeneration(id, 'succeeded');
		const url = s.sim.requests.find((r) => r.path === '/api/ai_studio/try_sample')!.body
			.callback_url as string;
		const forged = await fetch(url, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ id, status: 'succeeded', url: `${other.url}/elsewhere.mp4` }),
		});
		expect(forged.status).toBe(200);
		const done = await server.settle(started.id, 10_000);
		expect(other.requests).toHaveLength(0);
		const [out] = server.output(done.id, 'BHuman');
		const record = (await (
			await fetch(`${s.sim.url}${POLL}?id=${id}`, { headers: { authorization: authHeader() } })
		).json()) as { url: string };
		expect(out.json.mp4Url).toBe(record.url);
		const bytes = await Container.get(BinaryDataService).getAsBuffer(out.binary!.data);
		const served = Buffer.from(await (await fetch(record.url)).arrayBuffer());
		expect(bytes.equals(served)).toBe(true);
		// The node ran again after the resume (the form-waiting GET): two runs after the first.
		expect(done.runs).toHaveLength(2);
		expect(server.calls.some((call) => call.result?.workflowData !== undefined)).toBe(true);
	});

	test('a download that fails after the resume: the error names every generation of the run', async () => {
		const started = await server.start({
			parameters: params({ downloadVideo: true, maxDownloadSize: 0.000001 }),
			items: leads('Don', 'Ada'),
		});
		const done = await server.settle(started.id, 10_000);
		expect(done.status).toBe('error');
		const error = done.runs[done.runs.length - 1].data.resultData.error!;
		expect(error.message).toMatch(/Downloading the video of item 0 failed/);
		for (const id of pendingOf(started as never))
			expect(String((error as { description?: string }).description)).toContain(id);
	});
});

describe("n8n 2.x's combined binary mode (Execution Logic v2)", () => {
	test.each([false, true])(
		'the run resumes with its items in order and paired (Download Video %p)',
		async (downloadVideo) => {
			await server.close();
			server = await startWaitingServer({ credentials: s.credentials, line: 2 });
			const started = await server.start({
				parameters: params({ downloadVideo }),
				items: leads('Don', 'Ada'),
				workflowSettings: { binaryMode: 'combined' },
			});
			expect(started.status).toBe('waiting');
			const done = await server.settle(started.id, 10_000);
			expect(done.status).toBe('success');
			const out = server.output(done.id, 'BHuman');
			expect(
				out.map((item) => [item.json.status, (item.json.variables as IDataObject).name]),
			).toEqual([
				['succeeded', 'Don'],
				['succeeded', 'Ada'],
			]);
			expect(out.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
			expect(server.calls.filter((call) => call.status >= 500)).toEqual([]);
		},
	);
});

describe('Max Wait', () => {
	test.each([1, 2] as const)(
		'n8n %i.x: every item comes out with its generation id and timedOut: true',
		async (line) => {
			await server.close();
			server = await startWaitingServer({ credentials: s.credentials, line });
			const started = await server.start({
				parameters: params(),
				items: leads('sim:never', 'sim:never'),
			});
			const pending = pendingOf(started as never);
			const done = await server.expire(started.id);
			const out = server.output(done.id, 'Collect');
			expect(ids(out)).toEqual(pending);
			expect(out.every((item) => item.json.timedOut === true)).toBe(true);
		},
	);
});

function authHeader() {
	return `Basic ${Buffer.from(`${s.sim.keyId}:${s.sim.keySecret}`).toString('base64')}`;
}
