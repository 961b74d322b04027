/**
 * The BHuman Trigger against the BHuman simulator: Verify with BHuman asks the
 * simulator for the generation, and the simulator's own callbacks (repeated,
 * reordered, whatsapp.ready) are delivered to the trigger's listener.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { deliveryKey } from '../../nodes/BhumanTrigger/deliveries';
import { startSimulator, type Simulator } from '../../simulator';
import type { SimCredentials } from '../helpers/engine';
import { startTriggerListener, type Delivery, type TriggerListener } from './harness';
import { readJson } from '../helpers/http';
import { sleep } from 'n8n-workflow';

const TOKEN = `sim-callback-token-${randomBytes(8).toString('hex')}`;
const ALL_EVENTS = ['other', 'video.failed', 'video.succeeded', 'whatsapp.ready'];

let sim: Simulator;
let credentials: SimCredentials;
let listener: TriggerListener;


beforeAll(async () => {
	sim = await startSimulator({
		render: { queuedMs: 20, processingMs: 40 },
		callbacks: { whatsappDelayMs: 50 },
	});
	credentials = { apiKeyId: sim.keyId, apiKeySecret: sim.keySecret, baseUrl: sim.url };
});
afterAll(() => sim.close());
beforeEach(() => {
	sim.reset();
	sim.setCallbacks({ repeat: 1, reorder: false, delayMs: 0, whatsappDelayMs: 50 });
});
afterEach(async () => {
	await listener?.close();
});

async function api(path: string, body?: unknown) {
	const response = await fetch(sim.url + path, {
		method: body === undefined ? 'GET' : 'POST',
		headers: {
			authorization: 'Basic ' + Buffer.from(`${sim.keyId}:${sim.keySecret}`).toString('base64'),
			'content-type': 'application/json',
		},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const data = await readJson(response);
	if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(data)}`);
	return data;
}

const instance = () => sim.data.videoInstances.find((i) => i.variables.length === 2)!;
const whatsappCampaign = () =>
	sim.data.campaigns.find((c) => c.whatsapp_enabled && c.variables.length === 2)!;

/** Generates rows through try_sample (a real generation in the simulator); returns the ids. */
async function trySample(rows: string[][], callbackUrl?: string): Promise<string[]> {
	const { result } = await api('/api/ai_studio/try_sample', {
		video_instance_id: instance().id,
		variables: instance().variables,
		names: rows,
		...(callbackUrl ? { callback_url: callbackUrl } : {}),
	});
	return result;
}

async function waitForStatus(id: string, status: string) {
	for (const end = Date.now() + 5000; Date.now() < end; await sleep(10)) {
		const record = await api(`/api/ai_studio/generated_video_by_id?id=${id}`);
		if (record.status === status) return record;
	}
	throw new Error(`generation ${id} did not reach ${status}`);
}

const verifyRequests = () =>
	sim.requests.filter((r) => r.path === '/api/ai_studio/generated_video_by_id');

function expectAccepted(delivery: Delivery) {
	expect(delivery.status).toBe(200);
	expect(delivery.items).toHaveLength(1);
	return delivery.items![0].json;
}

describe('Verify with BHuman', () => {
	it("accepts a callback for a generation BHuman knows and outputs BHuman's record, not the posted fields", async () => {
		listener = await startTriggerListener({
			parameters: { verify: true, token: TOKEN },
			credentials,
		});
		const [id] = await trySample([['Ada', 'Acme']]);
		const record = await waitForStatus(id, 'succeeded');
		sim.clearRequests();

		const posted = {
			id,
			status: 'succeeded',
			video_url: 'https://evil.example/page',
			url: 'https://evil.example/x.mp4',
			thumbnail: '',
			gif: '',
		};
		const json = expectAccepted(await listener.post(posted, { query: `token=${TOKEN}` }));
		expect(json).toEqual({
			id,
			event: 'video.succeeded',
			status: 'succeeded',
			pageUrl: record.share_url,
			mp4Url: record.url,
			thumbnailUrl: record.thumbnail,
			gifUrl: record.gif,
			whatsappVideoUrl: null,
			message: null,
			campaignId: null,
			verified: true,
			body: posted,
		});
		expect(json.pageUrl).toBe(`${sim.url}/share/${id}`);

		// One GET with the node's credential.
		expect(verifyRequests()).toHaveLength(1);
		expect(verifyRequests()[0]).toMatchObject({ method: 'GET', query: { id }, status: 200 });
		expect(verifyRequests()[0].headers.authorization).toBe(
			'Basic ' + Buffer.from(`${sim.keyId}:${sim.keySecret}`).toString('base64'),
		);
	});

	it("BHuman's 2026-10-02 form: the record in {code, result}, the state completed, the id appended to the URL: verified and started once", async () => {
		sim.setDialect('reference-2026-10');
		listener = await startTriggerListener({
			parameters: { verify: true, token: TOKEN },
			credentials,
		});
		const url = `${listener.url}?token=${TOKEN}`;
		const [id] = await trySample([['Ada', 'Acme']], url);
		for (const end = Date.now() + 10_000; Date.now() < end; await sleep(10)) {
			if (listener.deliveries.length >= 1) break;
		}
		// BHuman called `<url>?id=<id>` (appended naively after the token).
		expect(sim.callbacksSent.map((entry) => entry.url)).toEqual([`${url}?id=${id}`]);
		const json = expectAccepted(listener.deliveries[0]);
		expect(json).toMatchObject({
			id,
			event: 'video.succeeded',
			status: 'completed',
			verified: true,
		});
		expect(json.mp4Url).toMatch(/\.mp4$/);
		expect(verifyRequests().every((request) => request.status === 200)).toBe(true);
	});

	it('refuses an id BHuman does not know with 403 and starts nothing', async () => {
		listener = await startTriggerListener({ parameters: { verify: true }, credentials });
		for (const id of [randomUUID(), randomUUID().toUpperCase()]) {
			const delivery = await listener.post({
				id,
				status: 'succeeded',
				url: 'https://evil.example/x.mp4',
			});
			expect(delivery.status).toBe(403);
			expect(delivery.response).toEqual({
				result: 'rejected',
				reason: 'BHuman does not know this generation',
			});
			expect(delivery.items).toBeUndefined();
		}
		// An id that is not a UUID is refused before BHuman is asked.
		const forged = await listener.post({ id: 'forged-id', status: 'succeeded' });
		expect([forged.status, forged.response.reason]).toEqual([400, 'The callback id is not a UUID']);
		expect(verifyRequests().map((r) => r.status)).toEqual([404, 404]);
		expect(listener.staticData()).toEqual({});
	});

	it("uses BHuman's status for the event: a forged 'succeeded' for a generation still processing starts nothing", async () => {
		listener = await startTriggerListener({ parameters: { verify: true }, credentials });
		const [id] = await trySample([['Ada', 'sim:never']]);
		await waitForStatus(id, 'processing');

		const delivery = await listener.post({
			id,
			status: 'succeeded',
			url: 'https://evil.example/x.mp4',
		});
		expect(delivery.status).toBe(200);
		expect(delivery.items).toBeUndefined();
		expect(delivery.response).toEqual({
			result: 'ignored',
			reason: 'event not selected',
			id,
			event: 'video.processing',
		});

		listener.setParameters({ verify: true, events: ALL_EVENTS });
		const json = expectAccepted(
			await listener.post({ id, status: 'succeeded', url: 'https://evil.example/x.mp4' }),
		);
		expect(json).toMatchObject({
			event: 'video.processing',
			status: 'processing',
			mp4Url: null,
			verified: true,
		});
	});

	it("a failed render: BHuman's message comes with it", async () => {
		listener = await startTriggerListener({ parameters: { verify: true }, credentials });
		const [id] = await trySample([['Ada', 'sim:fail']]);
		await waitForStatus(id, 'failed');
		const json = expectAccepted(
			await listener.post({ id, status: 'failed', video_url: '', url: '' }),
		);
		expect(json).toMatchObject({
			event: 'video.failed',
			status: 'failed',
			message: 'Render failed: row 0 asked to fail (sim:fail)',
		});
	});

	it('whatsapp.ready: accepted for a WhatsApp campaign generation, refused for one without WhatsApp', async () => {
		listener = await startTriggerListener({
			parameters: { verify: true, events: ['whatsapp.ready'] },
			credentials,
		});
		const campaign = whatsappCampaign();
		const { result } = await api('/api/ai_studio/pipeline/campaign', {
			campaign_id: campaign.id,
			variables: campaign.variables,
			names: [['Ada', 'Acme']],
		});
		const record = await waitForStatus(result[0], 'succeeded');
		const json = expectAccepted(
			await listener.post({
				event: 'whatsapp.ready',
				id: record.id,
				campaign_id: campaign.id,
				whatsapp_video_url: 'https://evil.example/w.mp4',
			}),
		);
		expect(json).toMatchObject({
			event: 'whatsapp.ready',
			status: 'succeeded',
			whatsappVideoUrl: record.whatsapp_video_url,
			campaignId: campaign.id,
		});

		const [plain] = await trySample([['Bob', 'Beta']]);
		await waitForStatus(plain, 'succeeded');
		const refused = await listener.post({
			event: 'whatsapp.ready',
			id: plain,
			whatsapp_video_url: 'https://evil.example/w.mp4',
		});
		expect(refused.status).toBe(403);
		expect(refused.response).toEqual({
			result: 'rejected',
			reason: 'BHuman has no WhatsApp video for this generation',
		});
	});

	it('answers 502 and starts nothing when BHuman cannot confirm (here: the credential is refused)', async () => {
		listener = await startTriggerListener({
			parameters: { verify: true },
			credentials: { ...credentials, apiKeySecret: 'not-the-secret' },
		});
		const [id] = await trySample([['Ada', 'Acme']]);
		await waitForStatus(id, 'succeeded');
		const delivery = await listener.post({ id, status: 'succeeded' });
		expect(delivery.status).toBe(502);
		expect(delivery.response).toEqual({
			result: 'rejected',
			reason: 'Could not verify this callback with BHuman (HTTP 401)',
		});
		expect(delivery.items).toBeUndefined();
		expect(JSON.stringify(delivery)).not.toContain('not-the-secret');
	});

	it('a repeat is ignored without asking BHuman again', async () => {
		listener = await startTriggerListener({ parameters: { verify: true }, credentials });
		const [id] = await trySample([['Ada', 'Acme']]);
		await waitForStatus(id, 'succeeded');
		sim.clearRequests();
		expectAccepted(await listener.post({ id, status: 'succeeded' }));
		const repeat = await listener.post({ id, status: 'succeeded' });
		expect(repeat.status).toBe(200);
		expect(repeat.items).toBeUndefined();
		expect(verifyRequests()).toHaveLength(1);
	});
});

describe("the simulator's callbacks", () => {
	async function waitForCallbacks(n: number) {
		for (const end = Date.now() + 10_000; Date.now() < end; await sleep(10)) {
			if (sim.callbacksSent.length >= n && listener.deliveries.length >= n) break;
		}
		await sleep(100); // nothing more should arrive
		expect(sim.callbacksSent).toHaveLength(n);
		expect(listener.deliveries).toHaveLength(n);
	}

	it('3 rows delivered twice each (repeat=2), token in the URL: exactly 3 accepted, with the 3 generation ids (copies handled one after the other)', async () => {
		listener = await startTriggerListener({ parameters: { token: TOKEN } });
		sim.setCallbacks({ repeat: 2 });
		const ids = await trySample(
			[
				['Ada', 'Acme'],
				['Bob', 'Beta'],
				['Cy', 'Corp'],
			],
			`${listener.url}?token=${TOKEN}`,
		);

		await waitForCallbacks(6);
		expect(sim.callbacksSent.every((c) => c.status === 200)).toBe(true);
		expect(listener.accepted).toHaveLength(3);
		expect(listener.accepted.map((d) => d.items![0].json.id).sort()).toEqual([...ids].sort());
		expect(listener.accepted.every((d) => d.items![0].json.event === 'video.succeeded')).toBe(true);
		const ignored = listener.deliveries.filter((d) => d.items === undefined);
		expect(ignored.map((d) => d.response.reason)).toEqual([
			'repeated delivery',
			'repeated delivery',
			'repeated delivery',
		]);
		expect(JSON.stringify(listener.deliveries.map((d) => [d.items, d.response]))).not.toContain(
			TOKEN,
		);
	});

	it('reordered, delayed and verified: one execution per generation', async () => {
		listener = await startTriggerListener({
			parameters: { token: TOKEN, verify: true },
			credentials,
		});
		sim.setCallbacks({ repeat: 1, reorder: true, delayMs: 30 });
		const ids = await trySample(
			[
				['Ada', 'Acme'],
				['Bob', 'sim:fail'],
				['Cy', 'Corp'],
			],
			`${listener.url}?token=${TOKEN}`,
		);

		await waitForCallbacks(3);
		expect(listener.accepted).toHaveLength(3);
		const outputs = listener.accepted.map((d) => d.items![0].json);
		expect(outputs.map((o) => o.id).sort()).toEqual([...ids].sort());
		expect(outputs.every((o) => o.verified === true)).toBe(true);
		expect(outputs.find((o) => o.id === ids[1])).toMatchObject({
			event: 'video.failed',
			status: 'failed',
		});
		const everything = JSON.stringify(listener.deliveries.map((d) => [d.items, d.response]));
		expect(everything).not.toContain(TOKEN);
		expect(everything).not.toContain(sim.keySecret);
	});

	it('the same callbacks delivered again later start nothing', async () => {
		listener = await startTriggerListener({ parameters: { verify: true }, credentials });
		sim.setRender({ staggerMs: 60 }); // rows finish one after another
		try {
			const ids = await trySample(
				[
					['Ada', 'Acme'],
					['Bob', 'Beta'],
					['Cy', 'Corp'],
				],
				listener.url,
			);
			await waitForCallbacks(3);
			expect(listener.accepted).toHaveLength(3);
			for (const id of ids) {
				sim.replayCallback(id);
				await listener.waitFor(listener.deliveries.length + 1);
			}
			await waitForCallbacks(6);
		} finally {
			sim.setRender({ staggerMs: 0 });
		}
		expect(listener.accepted).toHaveLength(3);
		expect(listener.deliveries.slice(3).map((d) => [d.status, d.response.reason])).toEqual([
			[200, 'repeated delivery'],
			[200, 'repeated delivery'],
			[200, 'repeated delivery'],
		]);
	});

	// Each request reads the static data saved before it and saves its own copy afterwards;
	// the process-wide cache of recent keys is merged into every save.
	describe('deliveries handled at the same time', () => {
		beforeEach(() => sim.setLatency(50)); // deliveries wait for BHuman's answer together
		afterEach(() => sim.setLatency(0));

		it('two copies of a verified callback (repeat=2) start one execution', async () => {
			listener = await startTriggerListener({ parameters: { verify: true }, credentials });
			sim.setCallbacks({ repeat: 2 });
			await trySample([['Ada', 'Acme']], listener.url);
			await waitForCallbacks(2);
			expect(listener.accepted).toHaveLength(1);
		});

		it('two copies both waiting for Verify at the same moment start one execution (the second is checked again after the wait)', async () => {
			listener = await startTriggerListener({ parameters: { verify: true }, credentials });
			const [id] = await trySample([['Ada', 'Acme']]);
			await waitForStatus(id, 'succeeded');
			await Promise.all([
				listener.post({ id, status: 'succeeded' }),
				listener.post({ id: id.toUpperCase(), status: 'succeeded' }),
			]);
			await listener.waitFor(2);
			expect(listener.accepted).toHaveLength(1);
			expect(listener.deliveries.map((d) => d.response.reason ?? d.response.result).sort()).toEqual(
				['accepted', 'repeated delivery'],
			);
		});

		it('no longer save over each other: the last save holds every delivery', async () => {
			listener = await startTriggerListener({ parameters: { verify: true }, credentials });
			const ids = await trySample(
				[
					['Ada', 'Acme'],
					['Bob', 'Beta'],
					['Cy', 'Corp'],
				],
				listener.url,
			);
			await waitForCallbacks(3);
			expect(listener.accepted).toHaveLength(3);
			expect([...listener.rememberedKeys()].sort()).toEqual(
				ids.map((id: string) => deliveryKey('video.succeeded', id)).sort(),
			);
		});
	});

	it('a WhatsApp-enabled campaign: succeeded, then whatsapp.ready as its own event', async () => {
		listener = await startTriggerListener({
			parameters: { events: ['video.succeeded', 'whatsapp.ready'] },
		});
		const campaign = whatsappCampaign();
		const { result: ids } = await api('/api/ai_studio/pipeline/campaign', {
			campaign_id: campaign.id,
			variables: campaign.variables,
			names: [
				['Ada', 'Acme'],
				['Bob', 'Beta'],
			],
			callback_url: listener.url,
		});

		await waitForCallbacks(4);
		const outputs = listener.accepted.map((d) => d.items![0].json);
		expect(outputs).toHaveLength(4);
		for (const id of ids) {
			const mine = outputs.filter((o) => o.id === id);
			expect(mine.map((o) => o.event)).toEqual(['video.succeeded', 'whatsapp.ready']);
			expect(mine[1]).toMatchObject({
				campaignId: campaign.id,
				whatsappVideoUrl: `${sim.url}/media/${id}-whatsapp.mp4`,
			});
			expect(mine[1].body).toEqual({
				event: 'whatsapp.ready',
				id,
				campaign_id: campaign.id,
				whatsapp_video_url: mine[1].whatsappVideoUrl,
			});
		}
	});

	it('callbacks aimed with a wrong token start nothing', async () => {
		listener = await startTriggerListener({ parameters: { token: TOKEN } });
		await trySample(
			[
				['Ada', 'Acme'],
				['Bob', 'Beta'],
			],
			`${listener.url}?token=wrong`,
		);
		await waitForCallbacks(2);
		expect(sim.callbacksSent.map((c) => c.status)).toEqual([403, 403]);
		expect(listener.accepted).toHaveLength(0);
	});
});
