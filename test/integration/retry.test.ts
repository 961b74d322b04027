/**
 * n8n's Retry of a failed execution (Executions → Retry, "with original" or "with currently saved
 * workflow"; POST /rest/executions/:id/retry) through n8n's engine, the retry built as n8n's
 * ExecutionService.retry builds it (test/helpers/waiting.ts): Generate sends only the rows BHuman
 * has not accepted in the failed run, on every way of waiting; anything else that runs the node
 * again (a new execution, the next pass of a loop, Execute step) sends every row, as before.
 */
import type { IDataObject, INode, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';
import { report } from '../host';
import { stringify } from 'flatted';
import { CONTEXT_KEY, type GenerateContext } from '../../nodes/Bhuman/helpers/context';
import { Flaky } from '../helpers/engine';
import { idsOf as madeFor, sentNames as sent, TRY_SAMPLE } from '../helpers/paid';
import { rl, withSimulator } from '../helpers/sim';
import { callbackParams, startWaitingServer, type WaitingServer } from '../helpers/waiting';

const s = withSimulator({ render: { queuedMs: 50, processingMs: 150 } });
let server: WaitingServer;

beforeEach(async () => {
	server = await startWaitingServer({ credentials: s.credentials });
});
afterEach(async () => {
	Flaky.failing = false;
	await server.close();
});

const CAMPAIGN = '/api/ai_studio/pipeline/campaign';
const leads = (...names: string[]) =>
	names.map((name, i) => ({ first_name: name, company: `Company ${i}` }));
const R = leads('R0', 'R1', 'R2', 'R3');

/** Video → Generate of the leads' names, in batches of 2, waiting as given. */
function generate(
	wait: 'none' | 'poll' | 'callback',
	extra: INodeParameters = {},
): INodeParameters {
	const waiting =
		wait === 'none'
			? { waitForCompletion: false }
			: wait === 'poll'
				? { waitMethod: 'poll', pollInterval: 1 }
				: {};
	return { ...callbackParams(s.sim), batchSize: 2, ...waiting, ...extra };
}

/** The names of each generate request BHuman received, in order. */
const sentNames = (path = TRY_SAMPLE) => sent(s.sim, path);

/** The generation ids BHuman created for a name, oldest first. */
const idsOf = (name: string) => madeFor(s.sim, name);

/** Batch 2's request answered 500 (the first passes). */
const failSecondBatch = (path = TRY_SAMPLE) =>
	s.sim.inject({ method: 'POST', path, status: 500, times: 1, after: 1 });

function errorOf(id: string) {
	const stored = server.executions.get(id)!;
	return stored.runs[stored.runs.length - 1].data.resultData.error as
		| (Error & { description?: string })
		| undefined;
}

/** Runs 4 rows whose batch 2 fails: the failed execution, and BHuman's ids for R0 and R1. */
async function failedRun(parameters: INodeParameters, path = TRY_SAMPLE) {
	failSecondBatch(path);
	const failed = await server.start({ parameters, items: R });
	expect(failed.status).toBe('error');
	expect(sentNames(path)).toEqual([
		['R0', 'R1'],
		['R2', 'R3'],
	]);
	const error = errorOf(failed.id)!;
	expect(error.message).toMatch(/Batch 2 of 2 failed/);
	return failed;
}

const out = (id: string, node = 'Collect') => server.output(id, node);
const names = (items: INodeExecutionData[]) =>
	items.map((item) => (item.json.variables as IDataObject).name);

describe('the Retry button continues the failed run: BHuman receives only what it has not accepted', () => {
	test.each(['none', 'poll', 'callback'] as const)(
		'waiting: %s. Batch 2 of 2 failed with 500; the retry sends R2 and R3 only, the output has 4 items paired, R0 and R1 with their first ids',
		async (wait) => {
			const failed = await failedRun(generate(wait));
			const error = errorOf(failed.id)!;
			const firstIds = [...idsOf('R0'), ...idsOf('R1')];
			expect(firstIds).toHaveLength(2);
			for (const id of firstIds) expect(error.description).toContain(id);
			// A 500 may have been BHuman's answer lost on the way: the retry asks BHuman's list first.
			expect(error.description).toMatch(/BHuman may or may not have received batch 2 \(HTTP 500\)/);
			expect(error.description).toMatch(
				/Retrying this execution \(Executions → Retry\) first reads BHuman's list of generated videos: rows of batch 2 and after that BHuman has are not sent again, nor are the rows BHuman accepted/,
			);

			await sleep(500); // the user presses Retry: the accepted videos have rendered
			const retried = await server.retry(failed.id);
			expect(retried.mode).toBe('retry');
			const done = retried.status === 'waiting' ? await server.settle(retried.id) : retried;
			expect(done.status).toBe('success');
			expect(sentNames()).toEqual([
				['R0', 'R1'],
				['R2', 'R3'],
				['R2', 'R3'],
			]);
			const items = out(done.id, 'BHuman');
			expect(names(items)).toEqual(['R0', 'R1', 'R2', 'R3']);
			expect(items.map((item) => item.pairedItem)).toEqual([
				{ item: 0 },
				{ item: 1 },
				{ item: 2 },
				{ item: 3 },
			]);
			expect(items.slice(0, 2).map((item) => item.json.id)).toEqual(firstIds);
			// Batch 2 (no clear answer) stays in the record; the retry's request is batch 3.
			expect(items.map((item) => item.json.batch)).toEqual([1, 1, 3, 3]);
			const expected = wait === 'none' ? 'accepted' : 'succeeded';
			expect(items.map((item) => item.json.status)).toEqual(Array(4).fill(expected));
			if (wait !== 'none') expect(items[0].json.mp4Url).toMatch(/\.mp4$/);
			expect(new Set(items.map((item) => item.json.id)).size).toBe(4);
		},
	);

	test('with currently saved workflow, R1 changed before the retry: R1 (a new row) and the failed batch are sent', async () => {
		const failed = await failedRun(generate('poll'));
		const retried = await server.retry(failed.id, (nodes: INode[]) => {
			const bhuman = nodes.find((node) => node.name === 'BHuman')!;
			(bhuman.parameters.variables as { variable: IDataObject[] }).variable[0].value =
				'={{ $json.first_name === "R1" ? "R1 changed" : $json.first_name }}';
		});
		expect(retried.status).toBe('success');
		expect(sentNames().slice(2)).toEqual([['R1 changed', 'R2'], ['R3']]);
		const items = out(retried.id, 'BHuman');
		expect(names(items)).toEqual(['R0', 'R1 changed', 'R2', 'R3']);
		expect(items.every((item) => item.json.status === 'succeeded')).toBe(true);
	});

	test('a retry of a retry: each sends only what no try before it got accepted', async () => {
		failSecondBatch();
		const failed = await server.start({ parameters: generate('none', { batchSize: 1 }), items: R });
		expect(sentNames()).toEqual([['R0'], ['R1']]);
		// The retry gets R1 accepted, then R2 fails.
		s.sim.inject({ method: 'POST', path: TRY_SAMPLE, status: 500, times: 1, after: 1 });
		const second = await server.retry(failed.id);
		expect(second.status).toBe('error');
		expect(sentNames().slice(2)).toEqual([['R1'], ['R2']]);
		const third = await server.retry(second.id);
		expect(third.status).toBe('success');
		expect(sentNames().slice(4)).toEqual([['R2'], ['R3']]);
		expect(names(out(third.id, 'BHuman'))).toEqual(['R0', 'R1', 'R2', 'R3']);
	});

	/** 4 leads waiting Until BHuman Calls Back, every render held; batch 2 fails: the failed run, retried. */
	async function retriedWhileRendering() {
		failSecondBatch();
		const held = ['R0', 'R1', 'R2', 'R3'].map((first_name) => ({ first_name, company: 'sim:never' }));
		const failed = await server.start({ parameters: generate('callback'), items: held });
		expect(failed.status).toBe('error');
		const begun = Date.now();
		const retried = await server.retry(failed.id);
		const answeredIn = Date.now() - begun;
		const [r0, r1, r2, r3] = ['R0', 'R1', 'R2', 'R3'].map((name) => idsOf(name)[0]);
		return { retried, answeredIn, ids: { r0, r1, r2, r3 } };
	}

	test("Until BHuman Calls Back, the rows of the failed run still rendering at the retry: they join the wait (nothing polls them), the new rows are sent at once, n8n's Retry is answered as soon as the run waits; it resumes with every video once all are final", async () => {
		const { retried, answeredIn, ids } = await retriedWhileRendering();
		expect(retried.status).toBe('waiting');
		expect(answeredIn).toBeLessThan(3_000);
		// Sent at once, with this execution's callback URL; nothing asked about R0 and R1 since.
		const newPost = s.sim.requests.filter((r) => r.path === TRY_SAMPLE)[2];
		expect(newPost.body.names).toEqual([
			['R2', 'sim:never'],
			['R3', 'sim:never'],
		]);
		expect(new URL(newPost.body.callback_url as string).pathname).toBe(
			`/webhook-waiting/${retried.id}/bhuman`,
		);
		s.sim.completeGeneration(ids.r0, 'succeeded');
		s.sim.completeGeneration(ids.r1, 'failed', 'Not enough credits');
		s.sim.completeGeneration(ids.r2, 'succeeded');
		s.sim.completeGeneration(ids.r3, 'succeeded');
		const done = await server.settle(retried.id);
		const items = out(done.id);
		expect(items.map((item) => [item.json.id, item.json.status, item.json.timedOut])).toEqual([
			[ids.r0, 'succeeded', false],
			[ids.r1, 'failed', false],
			[ids.r2, 'succeeded', false],
			[ids.r3, 'succeeded', false],
		]);
		expect(items[1].json.message).toBe('Not enough credits');
	}, 30_000);

	test('Until BHuman Calls Back, a video of the failed run still rendering when the retry\'s own are final: the run resumes at the last callback, that video timed out with a pollError that says no callback comes here for it', async () => {
		const { retried, ids } = await retriedWhileRendering();
		expect(retried.status).toBe('waiting');
		s.sim.completeGeneration(ids.r1, 'succeeded');
		s.sim.completeGeneration(ids.r2, 'succeeded');
		s.sim.completeGeneration(ids.r3, 'succeeded');
		const done = await server.settle(retried.id);
		const items = out(done.id);
		expect(items.map((item) => [item.json.id, item.json.status, item.json.timedOut])).toEqual([
			[ids.r0, 'accepted', true],
			[ids.r1, 'succeeded', false],
			[ids.r2, 'succeeded', false],
			[ids.r3, 'succeeded', false],
		]);
		expect(items[0].json.pollError).toMatch(
			/Still rendering .*BHuman calls back the execution that first sent it.*Video → Get/,
		);
		expect(items[0].json.pageUrl).toBeUndefined();
	}, 30_000);

	test('Campaign → Generate the same: the retry sends only the failed batch', async () => {
		const parameters: INodeParameters = {
			resource: 'campaign',
			operation: 'generate',
			campaignId: rl(s.sim.data.campaigns[0].id),
			inputMode: 'mapping',
			variables: {
				variable: [
					{ name: 'name', value: '={{ $json.first_name }}' },
					{ name: 'company', value: '={{ $json.company }}' },
				],
			},
			batchSize: 2,
			waitForCompletion: true,
			waitMethod: 'callback',
			maxWait: 10,
		};
		const failed = await failedRun(parameters, CAMPAIGN);
		await sleep(500);
		const retried = await server.retry(failed.id);
		const done = await server.settle(retried.id);
		expect(sentNames(CAMPAIGN).slice(2)).toEqual([['R2', 'R3']]);
		expect(out(done.id).map((item) => item.json.status)).toEqual(Array(4).fill('succeeded'));
	});

	test('a retry of a run that failed after the resume (the email step): Generate is not run again, nothing is sent', async () => {
		Flaky.failing = true;
		const started = await server.start({
			parameters: generate('callback'),
			items: R,
			last: 'flaky',
		});
		const failed = await server.settle(started.id);
		expect(failed.status).toBe('error');
		expect(errorOf(failed.id)!.message).toMatch(/email server is down/);
		const posts = sentNames().length;
		Flaky.failing = false;
		const retried = await server.retry(failed.id);
		expect(retried.status).toBe('success');
		expect(sentNames()).toHaveLength(posts);
		expect(names(out(retried.id))).toEqual(['R0', 'R1', 'R2', 'R3']);
		expect(out(retried.id).map((item) => item.json.status)).toEqual(Array(4).fill('succeeded'));
	});

	test('a batch BHuman received without saying which generation is whose is not sent again by a retry', async () => {
		s.sim.inject({
			method: 'POST',
			path: TRY_SAMPLE,
			status: 200,
			after: 1,
			body: { result: ['7d859e18-dc89-446f-9718-9533bb178a75'] },
		});
		const failed = await server.start({ parameters: generate('none'), items: R });
		expect(errorOf(failed.id)!.message).toMatch(/BHuman answered 1 generation IDs for 2 rows/);
		expect(errorOf(failed.id)!.description).toMatch(
			/a retry of this execution does not send it again/,
		);
		const retried = await server.retry(failed.id);
		expect(retried.status).toBe('error');
		expect(sentNames()).toHaveLength(2);
		expect(errorOf(retried.id)!.message).toMatch(
			/^Nothing was sent to BHuman in this try: BHuman received 2 of these rows in an earlier try/,
		);
		expect(errorOf(retried.id)!.description).toContain('7d859e18-dc89-446f-9718-9533bb178a75');
	});
});

describe('anything else that runs Generate again sends every row, as before', () => {
	test('a new execution with the same items (a new lead webhook call, Execute workflow)', async () => {
		const failed = await failedRun(generate('none'));
		void failed;
		const again = await server.start({ parameters: generate('none'), items: R });
		expect(again.status).toBe('success');
		expect(sentNames().slice(2)).toEqual([
			['R0', 'R1'],
			['R2', 'R3'],
		]);
	});

	test('the node run again in the same execution, not as a retry (Execute step, the next pass of a loop)', async () => {
		const first = await server.start({ parameters: generate('none'), items: R });
		expect(first.status).toBe('success');
		// The same execution id, the node's context from the run before: mode manual.
		const again = await server.start({
			parameters: generate('none'),
			items: R,
			executionId: first.id,
		});
		expect(again.status).toBe('success');
		expect(sentNames()).toHaveLength(4);
	});
});

describe('what the record costs', () => {
	test('a run that succeeds keeps no record (n8n never runs it again); one that waits keeps only the wait', async () => {
		const done = await server.start({ parameters: generate('none'), items: R });
		const waiting = await server.start({ parameters: generate('callback'), items: R });
		for (const stored of [done, waiting]) {
			const context = JSON.parse(stored.data).executionData.contextData['node:BHuman'][
				CONTEXT_KEY
			] as GenerateContext;
			expect(context.accepted).toEqual([]);
		}
		const wait = (
			JSON.parse(waiting.data).executionData.contextData['node:BHuman'][
				CONTEXT_KEY
			] as GenerateContext
		).wait!;
		expect(wait.ids).toHaveLength(4);
		await server.settle(waiting.id);
	});

	test('10,000 rows: the node context adds under 70 bytes a row recorded to the saved execution, and holds no secret', async () => {
		const items = Array.from({ length: 10_000 }, (_, i) => ({
			first_name: `Lead ${i}`,
			company: `Company ${i}`,
		}));
		s.sim.inject({ method: 'POST', path: TRY_SAMPLE, status: 500, times: 1, after: 4 });
		const failed = await server.start({
			parameters: generate('none', { batchSize: 2000 }),
			items,
		});
		expect(failed.status).toBe('error');
		const data = JSON.parse(failed.data);
		const context = data.executionData.contextData['node:BHuman'][CONTEXT_KEY] as GenerateContext;
		// Four batches accepted, the fifth (answered 500) recorded as unsure.
		expect(context.accepted.map((batch) => batch.positions.length)).toEqual([
			2000, 2000, 2000, 2000, 2000,
		]);
		expect(context.accepted.map((batch) => Boolean(batch.unsure))).toEqual([
			false,
			false,
			false,
			false,
			true,
		]);
		const withContext = stringify(data).length;
		delete data.executionData.contextData['node:BHuman'];
		const without = stringify(data).length;
		const perRow = (withContext - without) / 10_000;
		report(
			`10,000 rows, 8,000 accepted, 2,000 unsure: the saved execution ${(withContext / 1e6).toFixed(2)} MB, of which the record ${((withContext - without) / 1e6).toFixed(2)} MB (${perRow.toFixed(0)} bytes a row)`,
		);
		expect(perRow).toBeLessThan(70);
		const text = JSON.stringify(context);
		for (const secret of [s.sim.keySecret, 'Lead 1', 'Company 1'])
			expect(text).not.toContain(secret);
	}, 60_000);
});
