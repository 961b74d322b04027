/**
 * The whole loop in n8n's engine: the BHuman node's Video → Generate sends 3 rows
 * with the Callback URL of a local listener that hands each request to the
 * BHuman Trigger; the simulator renders and calls back; each accepted callback
 * runs an execution `BHuman Trigger → Collect`.
 */
import { randomBytes } from 'node:crypto';
import { deliveryKey } from '../../nodes/BhumanTrigger/deliveries';
import { startSimulator, type Simulator } from '../../simulator';
import { runBHuman, type SimCredentials } from '../helpers/engine';
import { startTriggerListener, type TriggerListener } from './harness';
import { sleep } from 'n8n-workflow';

const TOKEN = `loop-token-${randomBytes(8).toString('hex')}`;

let sim: Simulator;
let credentials: SimCredentials;
let listener: TriggerListener;


beforeAll(async () => {
	sim = await startSimulator({ render: { queuedMs: 30, processingMs: 60 } });
	credentials = { apiKeyId: sim.keyId, apiKeySecret: sim.keySecret, baseUrl: sim.url };
});
afterAll(() => sim.close());
afterEach(async () => {
	await listener?.close();
	sim.reset();
});

async function waitForRuns(n: number) {
	for (const end = Date.now() + 10_000; listener.runs.length < n && Date.now() < end; )
		await sleep(10);
	await sleep(150); // nothing more should arrive
}

const contacts = [
	{ first_name: 'Ada', company: 'Acme' },
	{ first_name: 'Bob', company: 'Beta' },
	{ first_name: 'Cy', company: 'Corp' },
];

/** Video → Generate of the 3 contacts with the listener's URL (and token) as Callback URL. */
async function generate() {
	const instance = sim.data.videoInstances.find((i) => i.variables.length === 2)!;
	const generated = await runBHuman({
		parameters: {
			resource: 'video',
			operation: 'generate',
			videoInstanceId: { __rl: true, mode: 'id', value: instance.id },
			inputMode: 'mapping',
			variables: {
				variable: [
					{ name: instance.variables[0], value: '={{ $json.first_name }}' },
					{ name: instance.variables[1], value: '={{ $json.company }}' },
				],
			},
			callbackUrl: `${listener.url}?token=${TOKEN}`,
		},
		items: contacts,
		credentials,
	});
	expect(generated.error).toBeUndefined();
	const ids = generated.items.map((item) => item.json.id as string);
	expect(ids).toHaveLength(3);
	return ids;
}

test('generate 3 rows with a callback: 3 executions, with the 3 generation ids', async () => {
	listener = await startTriggerListener({
		parameters: { token: TOKEN, verify: true },
		credentials,
		execute: true,
	});
	const ids = await generate();
	expect(sim.requests.find((r) => r.path === '/api/ai_studio/try_sample')?.body.callback_url).toBe(
		`${listener.url}?token=${TOKEN}`,
	);

	await waitForRuns(3);
	expect(listener.deliveries.map((d) => d.status)).toEqual([200, 200, 200]);
	expect(listener.runs).toHaveLength(3);
	for (const run of listener.runs) {
		expect(run.status).toBe('success');
		expect(run.data.resultData.error).toBeUndefined();
	}

	// What the downstream node received, one item per execution.
	const received = listener.runs.map((run) => {
		const items = run.data.resultData.runData.Collect[0].data!.main[0]!;
		expect(items).toHaveLength(1);
		return items[0].json;
	});
	expect(received.map((json) => json.id).sort()).toEqual([...ids].sort());
	for (const json of received) {
		const row = ids.indexOf(json.id as string);
		expect(json).toMatchObject({
			event: 'video.succeeded',
			status: 'succeeded',
			verified: true,
			pageUrl: `${sim.url}/share/${json.id}`,
			mp4Url: `${sim.url}/media/${json.id}.mp4`,
		});
		expect(sim.generations.get(json.id as string)?.text).toEqual([
			contacts[row].first_name,
			contacts[row].company,
		]);
	}
	expect(JSON.stringify(listener.runs.map((run) => run.data.resultData.runData))).not.toContain(
		TOKEN,
	);
	expect(JSON.stringify(listener.runs.map((run) => run.data.resultData.runData))).not.toContain(
		sim.keySecret,
	);
});

test('callbacks that do not overlap: the executions save the memory, and a later replay starts nothing', async () => {
	listener = await startTriggerListener({
		parameters: { token: TOKEN },
		credentials,
		execute: true,
	});
	sim.setRender({ staggerMs: 80 }); // rows finish one after another
	try {
		const ids = await generate();
		await waitForRuns(3);
		expect(listener.runs).toHaveLength(3);
		expect(listener.rememberedKeys()).toEqual(ids.map((id) => deliveryKey('video.succeeded', id)));
		for (const id of ids) {
			sim.replayCallback(id);
			await listener.waitFor(listener.deliveries.length + 1);
		}
	} finally {
		sim.setRender({ staggerMs: 0 });
	}
	await sleep(100);
	expect(listener.runs).toHaveLength(3);
	expect(listener.deliveries.slice(3).map((d) => [d.status, d.response.reason])).toEqual([
		[200, 'repeated delivery'],
		[200, 'repeated delivery'],
		[200, 'repeated delivery'],
	]);
});
