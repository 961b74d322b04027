/**
 * Pay once across executions (issue 31): every retry asks BHuman's own list of generated videos
 * (the ledger) before it pays, and Reuse Videos BHuman Already Made uses what BHuman made within
 * its window. Through n8n's engine, the retries built as n8n's ExecutionService.retry builds them
 * (test/helpers/waiting.ts), against the simulator; what BHuman received is counted from the
 * simulator's own records of the generations it made.
 */
import type { IDataObject, INode, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';
import type { Fault } from '../../simulator';
import {
	idsOf as madeFor,
	sentNames as sent,
	TRY_SAMPLE,
	withWaitingServer,
} from '../helpers/paid';
import { withSimulator } from '../helpers/sim';
import { callbackParams } from '../helpers/waiting';

const s = withSimulator({ render: { queuedMs: 50, processingMs: 150 } });
const n8n = withWaitingServer(s);
const LIST = '/api/ai_studio/generated_video_by_video_instance_id';
const CAMPAIGN = '/api/ai_studio/pipeline/campaign';
const CAMPAIGN_LIST = '/api/ai_studio/generated_video_by_campaign_id';
const leads = (...names: string[]) =>
	names.map((name, i) => ({ first_name: name, company: `Company ${i}` }));

/** Video → Generate of the leads (name, company), batches of 2, not waiting. */
const generate = (extra: INodeParameters = {}): INodeParameters => ({
	...callbackParams(s.sim),
	batchSize: 2,
	waitForCompletion: false,
	...extra,
});

/** Campaign → Generate of the simulator's first campaign, the same variables, not waiting. */
const campaignGenerate = (extra: INodeParameters = {}): INodeParameters => {
	const parameters = generate(extra);
	delete parameters.videoInstanceId;
	return {
		...parameters,
		resource: 'campaign',
		campaignId: { __rl: true, mode: 'id', value: s.sim.data.campaigns[0].id },
	};
};

const sentNames = (path = TRY_SAMPLE) => sent(s.sim, path);
const idsOf = (name: string) => madeFor(s.sim, name);

/** How many videos BHuman made of each name. */
const paid = (...names: string[]) => names.map((name) => idsOf(name).length);

const listReads = () => s.sim.requests.filter((r) => r.path === LIST).length;

function errorOf(id: string) {
	const stored = n8n.server.executions.get(id)!;
	return stored.runs[stored.runs.length - 1].data.resultData.error as
		| (Error & { description?: string })
		| undefined;
}

const out = (id: string) => n8n.server.output(id, 'BHuman');
/** Which output items got a video BHuman had already made. */
const reusedOf = (id: string) => out(id).map((item) => item.json.reused ?? false);
const names = (items: INodeExecutionData[]) =>
	items.map((item) => (item.json.variables as IDataObject).name);

/** The retry "with currently saved workflow", the BHuman node's options set first. */
const withOptions = (options: INodeParameters) => (nodes: INode[]) => {
	nodes.find((node) => node.name === 'BHuman')!.parameters.options = options;
};

describe('a retry asks BHuman before it pays', () => {
	test('the original retried again after its retry failed at a later batch: the rows the first retry got accepted are not paid again', async () => {
		const R = leads('R0', 'R1', 'R2', 'R3', 'R4', 'R5');
		s.sim.inject({ method: 'POST', path: TRY_SAMPLE, status: 500, after: 1 });
		const original = await n8n.server.start({ parameters: generate(), items: R });
		expect(original.status).toBe('error');
		// The first retry: R2, R3 accepted, then R4, R5 refused with 500.
		s.sim.inject({ method: 'POST', path: TRY_SAMPLE, status: 500, after: 1 });
		const first = await n8n.server.retry(original.id);
		expect(first.status).toBe('error');
		expect(paid('R0', 'R1', 'R2', 'R3', 'R4', 'R5')).toEqual([1, 1, 1, 1, 0, 0]);
		const [r2] = idsOf('R2');
		const [r3] = idsOf('R3');

		// Retry on the original again: its record knows only R0 and R1.
		const again = await n8n.server.retry(original.id);
		expect(again.status).toBe('success');
		expect(sentNames().slice(-1)).toEqual([['R4', 'R5']]);
		expect(paid('R0', 'R1', 'R2', 'R3', 'R4', 'R5')).toEqual([1, 1, 1, 1, 1, 1]);
		const items = out(again.id);
		expect(names(items)).toEqual(['R0', 'R1', 'R2', 'R3', 'R4', 'R5']);
		expect(items.map((item) => item.json.reused ?? false)).toEqual([
			false,
			false,
			true,
			true,
			false,
			false,
		]);
		expect(items[2].json.id).toBe(r2);
		expect(items[3].json.id).toBe(r3);
		expect(items[2].json.batch).toBe(0);
		expect(new Set(items.map((item) => item.json.id)).size).toBe(6);
	});

	test('two retries of one failed execution, one after the other: the second pays nothing', async () => {
		const R = leads('R0', 'R1', 'R2', 'R3');
		s.sim.inject({ method: 'POST', path: TRY_SAMPLE, status: 500, after: 1 });
		const original = await n8n.server.start({ parameters: generate(), items: R });
		expect(original.status).toBe('error');
		const first = await n8n.server.retry(original.id);
		expect(first.status).toBe('success');
		const posts = sentNames().length;
		const second = await n8n.server.retry(original.id);
		expect(second.status).toBe('success');
		expect(sentNames()).toHaveLength(posts);
		expect(paid('R0', 'R1', 'R2', 'R3')).toEqual([1, 1, 1, 1]);
		// Both retries output the same four videos.
		expect(out(second.id).map((item) => item.json.id)).toEqual(
			out(first.id).map((item) => item.json.id),
		);
		expect(reusedOf(second.id)).toEqual([false, false, true, true]);
	});

	const LOST: Array<[string, Fault]> = [
		['answered 502', { status: 502 }],
		['answered 504 (a gateway timed out)', { status: 504 }],
		['its connection dropped (no answer)', { drop: true }],
	];

	describe.each(LOST)('batch 2 %s', (_, fault) => {
		const failOriginal = async (handled: boolean) => {
			s.sim.inject({ method: 'POST', path: TRY_SAMPLE, after: 1, ...fault, handled });
			const original = await n8n.server.start({
				parameters: generate(),
				items: leads('R0', 'R1', 'R2', 'R3'),
			});
			expect(original.status).toBe('error');
			expect(errorOf(original.id)!.description).toMatch(
				/BHuman may or may not have received batch 2/,
			);
			return original;
		};

		test('BHuman has it (the answer was lost on the way): the retry sends nothing, R2 and R3 come out with the videos BHuman made', async () => {
			const original = await failOriginal(true);
			expect(paid('R2', 'R3')).toEqual([1, 1]);
			const retried = await n8n.server.retry(original.id);
			expect(retried.status).toBe('success');
			expect(sentNames()).toHaveLength(2);
			expect(paid('R0', 'R1', 'R2', 'R3')).toEqual([1, 1, 1, 1]);
			const items = out(retried.id);
			expect(items.slice(2).map((item) => item.json.id)).toEqual([...idsOf('R2'), ...idsOf('R3')]);
			expect(items.slice(2).map((item) => item.json.reused)).toEqual([true, true]);
			expect(listReads()).toBe(1);
		});

		test('BHuman does not have it: the retry sends R2 and R3 once', async () => {
			const original = await failOriginal(false);
			expect(paid('R2', 'R3')).toEqual([0, 0]);
			const retried = await n8n.server.retry(original.id);
			expect(retried.status).toBe('success');
			expect(sentNames().slice(2)).toEqual([['R2', 'R3']]);
			expect(paid('R0', 'R1', 'R2', 'R3')).toEqual([1, 1, 1, 1]);
			expect(reusedOf(retried.id)).toEqual([false, false, false, false]);
		});

		test("BHuman's list refuses the API key (bearer-token routes): the retry stops before paying and names the rows; Send Unsure Rows Again sends them", async () => {
			s.sim.setDialect({ listAuth: 'bearer' });
			const original = await failOriginal(true);
			const stopped = await n8n.server.retry(original.id);
			expect(stopped.status).toBe('error');
			expect(sentNames()).toHaveLength(2);
			const error = errorOf(stopped.id)!;
			expect(error.message).toMatch(
				/^Nothing was sent to BHuman in this try: 2 rows may have reached BHuman in an earlier try \(item 2, item 3\), and BHuman does not let this API key read its list/,
			);
			expect(error.description).toMatch(/batch 2, sent \d{4}-\d\d-\d\dT[\d:.]+Z, answered /);
			for (const id of [...idsOf('R0'), ...idsOf('R1')]) expect(error.description).toContain(id);
			expect(error.description).toMatch(/Send Unsure Rows Again/);
			expect(error.description).not.toContain(s.sim.keySecret);

			const sent = await n8n.server.retry(stopped.id, withOptions({ sendUnsureRows: true }));
			expect(sent.status).toBe('success');
			expect(sentNames().slice(2)).toEqual([['R2', 'R3']]);
			// Paid twice: BHuman had them, and the user chose to send them again.
			expect(paid('R0', 'R1', 'R2', 'R3')).toEqual([1, 1, 2, 2]);
		});
	});

	test('Until BHuman Calls Back, batch 2 answered 502 after BHuman received it: the retry sends nothing and outputs every video with its record at once', async () => {
		s.sim.inject({ method: 'POST', path: TRY_SAMPLE, status: 502, after: 1, handled: true });
		const original = await n8n.server.start({
			parameters: generate({ waitForCompletion: true, waitMethod: 'callback' }),
			items: leads('R0', 'R1', 'R2', 'R3'),
		});
		expect(original.status).toBe('error');
		await sleep(500); // rendered; their callbacks went to the failed execution
		const retried = await n8n.server.retry(original.id);
		expect(retried.status).toBe('success');
		expect(sentNames()).toHaveLength(2);
		expect(paid('R0', 'R1', 'R2', 'R3')).toEqual([1, 1, 1, 1]);
		const items = out(retried.id);
		expect(items.map((item) => [item.json.status, item.json.reused ?? false])).toEqual([
			['succeeded', false],
			['succeeded', false],
			['succeeded', true],
			['succeeded', true],
		]);
		expect(items[3].json.mp4Url).toMatch(/\.mp4$/);
	});

	test("Campaign → Generate: batch 2 answered 502 after BHuman received it; the retry reads the campaign's list and sends nothing", async () => {
		const campaign = s.sim.data.campaigns[0];
		s.sim.inject({
			method: 'POST',
			path: CAMPAIGN,
			status: 502,
			after: 1,
			handled: true,
		});
		const original = await n8n.server.start({
			parameters: campaignGenerate(),
			items: leads('C0', 'C1', 'C2', 'C3'),
		});
		expect(original.status).toBe('error');
		const retried = await n8n.server.retry(original.id);
		expect(retried.status).toBe('success');
		expect(sentNames(CAMPAIGN)).toHaveLength(2);
		expect(paid('C0', 'C1', 'C2', 'C3')).toEqual([1, 1, 1, 1]);
		expect(reusedOf(retried.id)).toEqual([false, false, true, true]);
		expect(
			s.sim.requests.filter((r) => r.path === CAMPAIGN_LIST && r.query.campaign_id === campaign.id),
		).toHaveLength(1);
	});

	test("BHuman's list refuses the key, the batch was refused cleanly (422): the retry sends it as before", async () => {
		s.sim.setDialect({ listAuth: 'bearer' });
		s.sim.inject({ method: 'POST', path: TRY_SAMPLE, status: 422, after: 1 });
		const original = await n8n.server.start({
			parameters: generate(),
			items: leads('R0', 'R1', 'R2', 'R3'),
		});
		expect(original.status).toBe('error');
		expect(errorOf(original.id)!.description).not.toMatch(/may or may not have received/);
		const retried = await n8n.server.retry(original.id);
		expect(retried.status).toBe('success');
		expect(sentNames().slice(2)).toEqual([['R2', 'R3']]);
		expect(paid('R0', 'R1', 'R2', 'R3')).toEqual([1, 1, 1, 1]);
	});

	test('BHuman received batch 2 but answered one id for two rows: the retry finds both rows on its list and sends nothing', async () => {
		s.sim.inject({
			method: 'POST',
			path: TRY_SAMPLE,
			status: 200,
			after: 1,
			handled: true,
			body: { result: ['7d859e18-dc89-446f-9718-9533bb178a75'] },
		});
		const original = await n8n.server.start({
			parameters: generate(),
			items: leads('R0', 'R1', 'R2', 'R3'),
		});
		expect(errorOf(original.id)!.message).toMatch(/BHuman answered 1 generation IDs for 2 rows/);
		const retried = await n8n.server.retry(original.id);
		expect(retried.status).toBe('success');
		expect(sentNames()).toHaveLength(2);
		expect(out(retried.id).map((item) => item.json.id)).toEqual(
			['R0', 'R1', 'R2', 'R3'].flatMap(idsOf),
		);
		expect(reusedOf(retried.id)).toEqual([false, false, true, true]);
	});

	test("BHuman's list cannot be read (500 on every try): the retry stops before paying", async () => {
		s.sim.inject({ method: 'POST', path: TRY_SAMPLE, status: 502, after: 1, handled: true });
		const original = await n8n.server.start({
			parameters: generate(),
			items: leads('R0', 'R1', 'R2', 'R3'),
		});
		s.sim.inject({ method: 'GET', path: LIST, status: 500, times: -1 });
		const stopped = await n8n.server.retry(original.id);
		expect(stopped.status).toBe('error');
		expect(errorOf(stopped.id)!.message).toMatch(
			/^Nothing was sent to BHuman: its list of generated videos could not be read: BHuman answered with a server error \(500\)/,
		);
		expect(sentNames()).toHaveLength(2);
		expect(listReads()).toBe(4); // the node's own 3 retries of a read
	}, 20_000);

	test('a first try reads no list (the ledger costs retries and Reuse only)', async () => {
		const done = await n8n.server.start({ parameters: generate(), items: leads('R0', 'R1') });
		expect(done.status).toBe('success');
		expect(listReads()).toBe(0);
	});
});

describe('Reuse Videos BHuman Already Made', () => {
	const reuse = (hours: number, extra: INodeParameters = {}) =>
		generate({ options: { reuseVideos: true, reuseWindow: hours }, ...extra });

	test('across two executions, within the window: the second pays nothing and outputs the first videos, reused', async () => {
		const first = await n8n.server.start({ parameters: generate(), items: leads('A', 'B') });
		expect(first.status).toBe('success');
		await sleep(400); // rendered
		const second = await n8n.server.start({ parameters: reuse(24), items: leads('A', 'B', 'C') });
		expect(second.status).toBe('success');
		expect(sentNames()).toEqual([['A', 'B'], ['C']]);
		expect(paid('A', 'B', 'C')).toEqual([1, 1, 1]);
		const items = out(second.id);
		expect(items.map((item) => item.json.id)).toEqual([
			...idsOf('A'),
			...idsOf('B'),
			...idsOf('C'),
		]);
		expect(items.map((item) => item.json.reused ?? false)).toEqual([true, true, false]);
		expect(items.map((item) => item.json.status)).toEqual(['succeeded', 'succeeded', 'accepted']);
		expect(items[0].json.mp4Url).toMatch(/\.mp4$/);
		expect(items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	});

	test('outside the window: a video made 2 hours ago is made again with a 1-hour window, reused with a 3-hour one', async () => {
		await n8n.server.start({ parameters: generate(), items: leads('A') });
		const [id] = idsOf('A');
		s.sim.generations.get(id)!.createdMs -= 2 * 3_600_000;
		const outside = await n8n.server.start({ parameters: reuse(1), items: leads('A') });
		expect(outside.status).toBe('success');
		expect(paid('A')).toEqual([2]);
		expect(out(outside.id)[0].json.reused).toBeUndefined();
		const inside = await n8n.server.start({
			parameters: reuse(3),
			items: [...leads('A'), ...leads('A')],
		});
		// Each video serves one row: the two videos of A, the succeeded one first.
		expect(paid('A')).toEqual([2]);
		expect(out(inside.id).map((item) => item.json.reused)).toEqual([true, true]);
		expect(out(inside.id)[0].json.id).toBe(id);
	});

	test('a failed video is never reused: the row is made again', async () => {
		await n8n.server.start({
			parameters: generate(),
			items: [{ first_name: 'F', company: 'sim:fail' }],
		});
		await sleep(400);
		const again = await n8n.server.start({
			parameters: reuse(24),
			items: [{ first_name: 'F', company: 'sim:fail' }],
		});
		expect(again.status).toBe('success');
		expect(paid('F')).toEqual([2]);
	});

	test('a video still rendering is reused and waited for like a new one', async () => {
		await n8n.server.start({ parameters: generate(), items: leads('W') });
		const waited = await n8n.server.start({
			parameters: reuse(24, { waitForCompletion: true, waitMethod: 'poll', pollInterval: 1 }),
			items: leads('W'),
		});
		expect(paid('W')).toEqual([1]);
		const [item] = out(waited.id);
		expect(item.json).toMatchObject({ reused: true, status: 'succeeded', timedOut: false });
		expect(item.json.mp4Url).toMatch(/\.mp4$/);
	});

	test("Campaign → Generate across two executions: the second reuses the campaign's videos", async () => {
		const first = await n8n.server.start({
			parameters: campaignGenerate(),
			items: leads('K0', 'K1'),
		});
		expect(first.status).toBe('success');
		const second = await n8n.server.start({
			parameters: campaignGenerate({ options: { reuseVideos: true } }),
			items: leads('K0', 'K1'),
		});
		expect(second.status).toBe('success');
		expect(sentNames(CAMPAIGN)).toHaveLength(1);
		expect(out(second.id).map((item) => item.json.id)).toEqual([...idsOf('K0'), ...idsOf('K1')]);
		expect(out(second.id).map((item) => item.json.campaignId)).toEqual([
			s.sim.data.campaigns[0].id,
			s.sim.data.campaigns[0].id,
		]);
	});

	test("BHuman's list refuses the API key: the run stops before paying and says so", async () => {
		await n8n.server.start({ parameters: generate(), items: leads('A') });
		s.sim.setDialect({ listAuth: 'bearer' });
		const stopped = await n8n.server.start({ parameters: reuse(24), items: leads('A', 'B') });
		expect(stopped.status).toBe('error');
		expect(sentNames()).toHaveLength(1);
		expect(errorOf(stopped.id)!.message).toMatch(
			/^Nothing was sent to BHuman: Reuse Videos BHuman Already Made needs BHuman's list of generated videos, which BHuman does not serve to this API key \(401\)/,
		);
	});

	test('a Reuse Window that is not a number of hours above 0 is refused before any request', async () => {
		const refused = await n8n.server.start({
			parameters: reuse(0),
			items: leads('A'),
		});
		expect(refused.status).toBe('error');
		expect(errorOf(refused.id)!.message).toMatch(
			/^Invalid item 0: Reuse Window \(Hours\) is 0: it must be a number of hours above 0/,
		);
		expect(s.sim.requests).toHaveLength(0);
	});
});
