/**
 * The ledger read against a video instance with 10,000 earlier videos: a retry reads what it
 * needs, not the instance's history, whichever order BHuman lists them in (it documents none).
 * Prints the requests and the time (npx jest test/integration/ledger-scale.test.ts).
 */
import type { IDataObject } from 'n8n-workflow';
import { report } from '../host';
import { runBHuman } from '../helpers/engine';
import { rl, withSimulator } from '../helpers/sim';
import { TRY_SAMPLE, withWaitingServer } from '../helpers/paid';
import { callbackParams } from '../helpers/waiting';

const EARLIER = 10_000;
const s = withSimulator({
	sizes: {
		videoInstances: 2,
		generatedVideosPerInstance: EARLIER,
		campaigns: 1,
		generatedVideosPerCampaign: 2,
	},
	render: { queuedMs: 50, processingMs: 150 },
});
const n8n = withWaitingServer(s);

const LIST = '/api/ai_studio/generated_video_by_video_instance_id';
const instanceId = () => s.sim.data.videoInstances[0].id;
const listReads = () => s.sim.requests.filter((r) => r.path === LIST).length;
const posts = () => s.sim.requests.filter((r) => r.path === TRY_SAMPLE).length;
const paidFor = (name: string) =>
	[...s.sim.generations.values()].filter((g) => !g.seeded && g.text[0] === name).length;

test(`the instance has ${EARLIER.toLocaleString('en')} earlier videos`, () => {
	const earlier = [...s.sim.generations.values()].filter(
		(g) => g.videoInstanceId === instanceId() && !g.campaignId,
	);
	expect(earlier).toHaveLength(EARLIER);
});

test.each(['oldest', 'newest'] as const)(
	'listed %s first: a retry after a lost 502 finds batch 2 with a handful of requests',
	async (order) => {
		s.sim.setListOrder(order);
		s.sim.inject({ method: 'POST', path: TRY_SAMPLE, status: 502, after: 1, handled: true });
		const original = await n8n.server.start({
			parameters: { ...callbackParams(s.sim), batchSize: 2, waitForCompletion: false },
			items: ['R0', 'R1', 'R2', 'R3'].map((name) => ({ first_name: name, company: 'Acme' })),
		});
		expect(original.status).toBe('error');
		const before = { reads: listReads(), posts: posts() };
		const began = Date.now();
		const retried = await n8n.server.retry(original.id);
		const ms = Date.now() - began;
		expect(retried.status).toBe('success');
		expect(posts()).toBe(before.posts);
		expect(['R0', 'R1', 'R2', 'R3'].map(paidFor)).toEqual([1, 1, 1, 1]);
		const reads = listReads() - before.reads;
		report(
			`Ledger read, ${EARLIER.toLocaleString('en')} earlier videos of the instance listed ${order} first: ${reads} requests, the retry ${ms} ms in all`,
		);
		// Oldest first: pages 1, 2, 4 … 128, halving back to page 100, and page 100; newest first: page 0.
		expect(reads).toBeLessThanOrEqual(order === 'oldest' ? 16 : 1);
	},
	30_000,
);

test('for comparison, the whole list (Video → Get Many, Return All)', async () => {
	const began = Date.now();
	const { items, error } = await runBHuman({
		parameters: {
			resource: 'video',
			operation: 'getAll',
			videoInstanceId: rl(instanceId()),
			returnAll: true,
		},
		credentials: s.credentials,
	});
	const ms = Date.now() - began;
	expect(error).toBeUndefined();
	expect(items.length).toBeGreaterThanOrEqual(EARLIER);
	report(
		`The whole list of ${items.length.toLocaleString('en')} videos: ${listReads()} requests, ${ms} ms`,
	);
	expect((items[0].json as IDataObject).id).toBeDefined();
}, 60_000);
