/**
 * Until BHuman Calls Back on the paths users build around it, through n8n's engine and n8n's
 * waiting webhooks as test/helpers/waiting.ts serves them: the next pass of a loop in the same
 * execution, renders that end before the wait is saved, BHuman slow or down during the last
 * callback, a callback body that names other URLs, n8n 2.x's combined binary mode, Max Wait from
 * one minute to a day (the node's clock moved), and what a burst of callbacks leaves in memory.
 * Nothing here calls n8n's own URLs but BHuman (the simulator) and the test itself.
 */
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';
import { asyncHooks, path, process, report, setImmediate, v8, vm } from '../host';
import { clock, TRACKER_MARGIN_MS } from '../../nodes/Bhuman/helpers/callbacks';
import { startServer } from '../helpers/hostile';
import { withSimulator } from '../helpers/sim';
import { callbackParams, startWaitingServer, type WaitingServer } from '../helpers/waiting';

const s = withSimulator({ render: { queuedMs: 100, processingMs: 300 } });
let server: WaitingServer;

beforeEach(async () => {
	server = await startWaitingServer({ credentials: s.credentials });
});
afterEach(async () => {
	server.busy(false);
	await server.close();
	s.sim.setLatency(0);
	s.sim.setCallbacks({ repeat: 1 });
	clock.now = () => Date.now();
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
/** The callback URLs the generate requests carried (each its execution's resume URL), in order. */
const callbackUrls = () =>
	s.sim.requests
		.filter((r) => r.path === '/api/ai_studio/try_sample')
		.map((r) => r.body.callback_url as string);
/** The callback URL of the last generate request. */
const callbackUrl = () => callbackUrls().at(-1)!;
/** The callback URL of an execution's generate request. */
const callbackUrlOf = (executionId: string) =>
	callbackUrls().find((url) => new URL(url).pathname.split('/')[2] === executionId)!;

async function until(what: () => boolean, ms: number, label: string) {
	const end = Date.now() + ms;
	while (!what()) {
		if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
		await sleep(20);
	}
}

async function post(url: string, body: unknown) {
	const response = await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body),
	});
	return { status: response.status, body: (await response.json()) as IDataObject };
}

/** Every call n8n's waiting URLs received was a callback from BHuman or from the test: none from the node. */
async function expectNoSelfCalls(byTest = 0) {
	// The simulator records a callback once it has its answer.
	await until(() => s.sim.callbacksSent.length + byTest >= server.calls.length, 5_000, 'answers');
	expect(server.calls).toHaveLength(s.sim.callbacksSent.length + byTest);
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
			const results = server.calls.map((call) => (call.response as IDataObject)?.result);
			expect(results.filter((result) => result === 'resumed')).toHaveLength(3);
			expect(results).not.toContain('ignored');
			await expectNoSelfCalls();
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

	test('a callback n8n answered 409 (the wait not saved yet) is lost: the node does not call n8n itself; Max Wait ends the run with the id', async () => {
		const started = await server.start({ parameters: params(), items: leads('sim:never') });
		expect(started.status).toBe('waiting');
		const [id] = pendingOf(started as never);
		server.busy(true);
		s.sim.completeGeneration(id, 'failed');
		await until(() => s.sim.callbacksSent.some((entry) => entry.body.id === id), 5_000, 'callback');
		expect(s.sim.callbacksSent.find((entry) => entry.body.id === id)!.status).toBe(409);
		server.busy(false);
		await sleep(3_000);
		// No check of its own after the wait: nothing but BHuman's callback reached n8n.
		expect(server.executions.get(started.id)!.status).toBe('waiting');
		await expectNoSelfCalls();
		const done = await server.expire(started.id);
		expect(
			server.output(done.id, 'Collect').map((item) => [item.json.id, item.json.timedOut]),
		).toEqual([[id, true]]);
	});
});

describe('the last callback while BHuman cannot answer', () => {
	test('BHuman slow (2 s a status answer): the callback is answered once BHuman has, and resumes the run', async () => {
		const started = await server.start({ parameters: params(), items: leads('Don', 'sim:never') });
		const [, last] = pendingOf(started as never);
		await until(() => server.calls.length >= 1, 5_000, "the first video's callback");
		s.sim.setLatency(2_000);
		s.sim.completeGeneration(last, 'succeeded');
		const done = await server.settle(started.id, 20_000);
		const lastCallback = () => s.sim.callbacksSent.find((entry) => entry.body.id === last);
		await until(() => lastCallback() !== undefined, 5_000, 'the answer to the last callback');
		const sent = lastCallback()!;
		expect(sent.status).toBe(200);
		expect(sent.ms).toBeGreaterThanOrEqual(2_000);
		expect(server.output(done.id, 'Collect').map((item) => item.json.status)).toEqual([
			'succeeded',
			'succeeded',
		]);
	});

	test('BHuman slow, its answer about the last video from before that video ended still in flight at its callback: the callback asks again and resumes the run', async () => {
		// BHuman in front of the simulator: the first status request about `held` is answered 5 s
		// late, with the record as it was when the request came (a slow BHuman's stale answer).
		let held = '';
		let heldOnce = false;
		const bhuman = await startServer(async (request, response) => {
			const query = new URLSearchParams(request.query).toString();
			const answer = await fetch(`${s.sim.url}${request.path}${query ? `?${query}` : ''}`, {
				method: request.method,
				headers: {
					authorization: request.headers.authorization ?? '',
					'content-type': 'application/json',
				},
				body: request.method === 'GET' ? undefined : request.body,
			});
			const body = await answer.text();
			if (request.path === POLL && request.query.id === held && !heldOnce) {
				heldOnce = true;
				await sleep(5_000);
			}
			response.writeHead(answer.status, { 'content-type': 'application/json' });
			response.end(body);
		});
		await server.close();
		server = await startWaitingServer({ credentials: { ...s.credentials, baseUrl: bhuman.url } });
		try {
			const started = await server.start({
				parameters: params(),
				items: leads('sim:never', 'sim:never'),
			});
			const [last, first] = pendingOf(started as never);
			held = last;
			// The first video's callback asks about it (final), then about `last`: still rendering,
			// and that answer is held.
			s.sim.completeGeneration(first, 'succeeded');
			await until(() => heldOnce, 5_000, "the first callback's question about the last video");
			s.sim.completeGeneration(last, 'succeeded');
			const done = await server.settle(started.id, 15_000);
			expect(done.status).toBe('success');
			expect(server.output(done.id, 'Collect').map((item) => item.json.status)).toEqual([
				'succeeded',
				'succeeded',
			]);
			const lastCallback = s.sim.callbacksSent.find((entry) => entry.body.id === last);
			expect(lastCallback).toMatchObject({ status: 200 });
			expect(lastCallback!.ms).toBeLessThan(4_000); // not the held answer's 5 s
		} finally {
			await bhuman.close();
		}
	}, 30_000);

	test("BHuman down (500) at the last callback, no repeat: answered after the transport's retries, the run resumes with the last video unconfirmed (no link), nothing goes on after the answer; n8n refuses a repeat", async () => {
		const started = await server.start({ parameters: params(), items: leads('Don', 'sim:never') });
		const [first, last] = pendingOf(started as never);
		await until(() => server.calls.length >= 1, 5_000, "the first video's callback");
		s.sim.inject({ method: 'GET', path: POLL, status: 500, times: -1 });
		s.sim.completeGeneration(last, 'succeeded');
		const sent = () => s.sim.callbacksSent.find((entry) => entry.body.id === last);
		await until(() => sent() !== undefined, 15_000, 'the last callback');
		expect(sent()).toMatchObject({ status: 200 });
		const done = await server.settle(started.id, 10_000);
		const asked = polls().length;
		await sleep(3_000);
		expect(polls()).toHaveLength(asked);
		const out = server.output(done.id, 'Collect').map((item) => item.json);
		expect(out[0]).toMatchObject({ id: first, status: 'succeeded', timedOut: false });
		expect(out[1]).toMatchObject({
			id: last,
			status: 'accepted',
			timedOut: true,
			unconfirmed: true,
		});
		expect(out[1].pageUrl).toBeUndefined();
		s.sim.clearFaults();
		// n8n itself refuses a call for a finished execution.
		expect((await post(callbackUrl(), sent()!.body)).status).toBe(409);
		await expectNoSelfCalls(1);
	}, 30_000);
});

describe("n8n's production concurrency limit: a resume waits in n8n's queue", () => {
	test('n8n 1.x: the resume queued, the execution still waiting; 6 minutes on, after another run resumed, the final callback again resumes nothing: one run of the rest (was two)', async () => {
		const realNow = Date.now;
		server.queueResumes(true);
		try {
			const first = await server.start({ parameters: params(), items: leads('Don') });
			const [id] = pendingOf(first as never);
			await until(
				() => server.calls.some((call) => (call.response as IDataObject)?.result === 'resumed'),
				10_000,
				'the resume',
			);
			expect(server.executions.get(first.id)!.status).toBe('waiting');
			// Other runs hold n8n's slots for 6 minutes; meanwhile another wait of this process resumes.
			Date.now = () => realNow() + 6 * 60_000;
			const other = await server.start({ parameters: params(), items: leads('Ada') });
			await until(
				() =>
					server.calls.filter((call) => (call.response as IDataObject)?.result === 'resumed')
						.length === 2,
				10_000,
				'the other resume',
			);
			const again = await post(callbackUrlOf(first.id), { id, status: 'succeeded' });
			expect(again.body).toMatchObject({
				result: 'ignored',
				reason: 'this run has resumed already',
			});
			Date.now = realNow;
			expect(await server.releaseResumes()).toBe(2);
			for (const started of [first, other]) {
				const done = await server.settle(started.id);
				expect(done.status).toBe('success');
				expect(done.runs).toHaveLength(2); // the wait, then one resume
			}
		} finally {
			Date.now = realNow;
			server.queueResumes(false);
		}
	}, 30_000);
});

describe("BHuman's word, not a callback's body", () => {
	test('a one-row run asks BHuman about its video; URLs the callback body names are not in the output', async () => {
		s.sim.setCallbacks({ repeat: 0 });
		const started = await server.start({ parameters: params(), items: leads('sim:never') });
		const [id] = pendingOf(started as never);
		const forged = {
			id,
			status: 'succeeded',
			url: 'https://evil.example/x.mp4',
			video_url: 'https://evil.example/page',
			share_url: 'https://evil.example/page',
			thumbnail: 'https://evil.example/t.png',
		};
		// Still rendering, by BHuman's word: the forged "succeeded" resumes nothing.
		const early = await post(callbackUrl(), forged);
		expect(early.body).toMatchObject({ result: 'waiting', waitingFor: id });
		expect(server.executions.get(started.id)!.status).toBe('waiting');
		// Rendered: the same forged body resumes the run with BHuman's record.
		const record = s.sim.completeGeneration(id, 'succeeded');
		const before = polls().length;
		expect((await post(callbackUrl(), forged)).body.result).toBe('resumed');
		expect(polls().length - before).toBe(1);
		const done = await server.settle(started.id, 10_000);
		const [out] = server.output(done.id, 'Collect');
		expect(JSON.stringify(out.json)).not.toContain('evil.example');
		expect(out.json).toMatchObject({ status: 'succeeded', mp4Url: record.url, timedOut: false });
		expect(out.json.pageUrl).toContain('/share/');
	});

	test("a failed render comes out with BHuman's reason, which its callback does not carry", async () => {
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

describe("n8n 2.x's combined binary mode (Execution Logic v2)", () => {
	test('the run resumes with its items in order and paired', async () => {
		await server.close();
		server = await startWaitingServer({ credentials: s.credentials, line: 2 });
		const started = await server.start({
			parameters: params(),
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
	});
});

describe('Max Wait, from a minute to a day', () => {
	test.each([1, 2] as const)(
		'n8n %i.x: at Max Wait every item comes out with its generation id and timedOut: true',
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

	test("the execution waits until Max Wait plus the wait tracker's margin (no resume inside n8n's 70-s window)", async () => {
		const begun = Date.now();
		const started = await server.start({
			parameters: params({ maxWait: 2 }),
			items: leads('sim:never'),
		});
		const waitTill = new Date(started.runs[0].waitTill!).getTime();
		expect(TRACKER_MARGIN_MS).toBeGreaterThanOrEqual(70_000 + 15_000);
		expect(waitTill - begun).toBeGreaterThanOrEqual(2 * 60_000 + TRACKER_MARGIN_MS - 1_000);
		expect(waitTill - Date.now()).toBeLessThanOrEqual(2 * 60_000 + TRACKER_MARGIN_MS);
	});

	test.each([
		['Max Wait 2 h, the video final after 61 min', 120, 61, 'resumed'],
		['Max Wait 1 min, the callback 59 s in', 1, 59 / 60, 'resumed'],
		['Max Wait 24 h, the callback 23 h 59 min in', 24 * 60, 24 * 60 - 1, 'resumed'],
		['Max Wait 1 min, the callback 61 s in', 1, 61 / 60, 'ignored'],
		['Max Wait 24 h, the callback 24 h 1 min in', 24 * 60, 24 * 60 + 1, 'ignored'],
	] as const)('%s', async (_label, maxWait, atMinutes, result) => {
		s.sim.setCallbacks({ repeat: 0 });
		const started = await server.start({
			parameters: params({ maxWait }),
			items: leads('Don', 'sim:never'),
		});
		const [first, last] = pendingOf(started as never);
		s.sim.completeGeneration(first, 'succeeded');
		const start = Date.now();
		clock.now = () => start + atMinutes * 60_000;
		const record = s.sim.completeGeneration(last, 'succeeded');
		const answer = await post(callbackUrl(), { id: last, status: 'succeeded' });
		expect(answer.body.result).toBe(result);
		if (result === 'ignored') {
			expect(answer.body.reason).toMatch(/Max Wait is over/);
			const done = await server.expire(started.id);
			expect(server.output(done.id, 'Collect').map((item) => item.json.timedOut)).toEqual([
				true,
				true,
			]);
			return;
		}
		const done = await server.settle(started.id, 10_000);
		const out = server.output(done.id, 'Collect');
		expect(out.map((item) => [item.json.status, item.json.timedOut])).toEqual([
			['succeeded', false],
			['succeeded', false],
		]);
		expect(out[1].json.mp4Url).toBe(record.url);
		expect(out[0].json.pageUrl).toContain(first);
	});
});

describe('what a burst of callbacks leaves behind', () => {
	/** n8n's own gc, as `node --expose-gc` gives it. */
	function collect() {
		v8.setFlagsFromString('--expose-gc');
		(vm.runInNewContext('gc') as () => void)();
	}

	test('500 final callbacks of one run within a second: one resume, heap growth bounded, no timer left after the answers', async () => {
		s.sim.setCallbacks({ repeat: 0 });
		let asked = 0;
		const burst = async () => {
			const started = await server.start({
				parameters: params({ batchSize: 500 }),
				items: Array.from({ length: 500 }, (_, i) => ({
					first_name: `Lead ${i}`,
					company: 'sim:never',
				})),
			});
			const pending = pendingOf(started as never);
			for (const id of pending) s.sim.completeGeneration(id, 'succeeded');
			const url = callbackUrl();
			asked = polls().length;
			const begun = Date.now();
			const answers = await Promise.all(
				pending.map(async (id) => await post(url, { id, status: 'succeeded' }).catch(() => null)),
			);
			const ms = Date.now() - begun;
			await server.settle(started.id, 20_000);
			server.executions.delete(started.id);
			return { answers, ms, requests: polls().length - asked };
		};
		// Timers set while the node's code is on the stack (its own, or a request's timeout), still
		// set after every answer. Sockets' keep-alive timers of this process are not the node's, nor
		// the 1-s cache of the Date header Node's HTTP server sets when an answer is written.
		const nodeTimers = new Map<number, string>();
		const hook = asyncHooks.createHook({
			init(asyncId, type) {
				if (type !== 'Timeout') return;
				const { stack } = new Error();
				if (
					stack?.includes(`nodes${path.sep}Bhuman`) &&
					!/at utcDate \(node:internal\/http/.test(stack)
				)
					nodeTimers.set(asyncId, stack);
			},
			destroy(asyncId) {
				nodeTimers.delete(asyncId);
			},
		});

		await burst(); // warms up n8n-core, the simulator and this process
		collect();
		const heapBefore = process.memoryUsage().heapUsed;
		const { answers, ms, requests } = await burst();
		collect();
		const growth = process.memoryUsage().heapUsed - heapBefore;
		// A third burst with the timers watched (the watch itself costs heap, so not in the second).
		const stackLimit = Error.stackTraceLimit;
		Error.stackTraceLimit = 50;
		hook.enable();
		const watched = await burst().finally(() => {
			Error.stackTraceLimit = stackLimit;
		});
		await new Promise((resolve) => setImmediate(resolve)); // destroy hooks run batched
		hook.disable();
		report(`500 final callbacks answered in ${ms} ms; heap growth ${(growth / 1e6).toFixed(2)} MB`);
		const results = answers.map((answer) => answer?.body.result);
		expect(results.filter((result) => result === 'resumed')).toHaveLength(1);
		expect(answers.every((answer) => answer !== null && answer.status < 500)).toBe(true);
		// Each generation asked about about once (shared requests and BHuman's final records).
		expect(requests).toBeLessThanOrEqual(550);
		expect(growth).toBeLessThan(8e6);
		expect(watched.answers.every((answer) => answer !== null && answer.status < 500)).toBe(true);
		expect([...nodeTimers.values()].slice(0, 1)).toEqual([]); // the first one's stack, if any
	}, 60_000);
});
