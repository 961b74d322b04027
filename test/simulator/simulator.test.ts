/**
 * Tests of the local BHuman API simulator itself, over real HTTP with Node's fetch.
 */
import { http, setTimeout } from '../host';
import type { AddressInfo } from '../host';
import {
	startSimulator,
	type Campaign,
	type GeneratedVideo,
	type RequestLogEntry,
	type Simulator,
	type VideoInstance,
} from '../../simulator';
import { parseJson, readJson, type ParsedJson } from '../helpers/http';
import { sleep } from 'n8n-workflow';

let sim: Simulator;
let auth: string;

async function api(
	path: string,
	init: { method?: string; body?: unknown; auth?: string | null } = {},
) {
	const headers: Record<string, string> = { 'content-type': 'application/json' };
	const a = init.auth === undefined ? auth : init.auth;
	if (a) headers.authorization = a;
	const res = await fetch(sim.url + path, {
		method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
		headers,
		body:
			init.body === undefined
				? undefined
				: typeof init.body === 'string'
					? init.body
					: JSON.stringify(init.body),
	});
	const text = await res.text();
	return { status: res.status, body: parseJson(text), headers: res.headers };
}

/** A local receiver for callbacks; answers after answerDelayMs. */
async function listener({ answerDelayMs = 0 } = {}) {
	const received: Array<{ url: string; body: ParsedJson }> = [];
	const server = http.createServer((req, res) => {
		let data = '';
		req.on('data', (c) => (data += c));
		req.on('end', () => {
			received.push({ url: req.url!, body: parseJson(data) });
			if (answerDelayMs > 0) setTimeout(() => res.end('ok'), answerDelayMs);
			else res.end('ok');
		});
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	return {
		url,
		received,
		async waitFor(n: number, timeoutMs = 3000) {
			const end = Date.now() + timeoutMs;
			while (received.length < n && Date.now() < end) await sleep(10);
			return received;
		},
		close: () => new Promise<void>((r) => server.close(() => r())),
	};
}

beforeAll(async () => {
	sim = await startSimulator({
		render: { queuedMs: 60, processingMs: 120 },
		callbacks: { whatsappDelayMs: 50 },
	});
	auth = 'Basic ' + Buffer.from(`${sim.keyId}:${sim.keySecret}`).toString('base64');
});
afterAll(() => sim.close());
afterEach(() => {
	sim.reset();
	sim.setLatency(0);
	sim.setCallbacks({ repeat: 1, reorder: false, delayMs: 0, whatsappDelayMs: 50 });
});

const instance = () => sim.data.videoInstances[5];
const UNKNOWN = '7d859e18-dc89-446f-9718-9533bb178a75';

describe('auth and routing', () => {
	it('rejects missing or wrong Basic credentials with 401', async () => {
		const none = await api('/api/store/settings', { auth: null });
		expect(none.status).toBe(401);
		expect(none.body).toEqual({ code: 401, message: 'Unauthorized: invalid API key id or secret' });
		const wrong = await api('/api/store/settings', {
			auth: 'Basic ' + Buffer.from('sim-key-id:nope').toString('base64'),
		});
		expect(wrong.status).toBe(401);
		expect(sim.requests.map((r) => r.status)).toEqual([401, 401]);
	});

	it('answers 404 for unknown paths and 405 for wrong methods', async () => {
		const r = await api('/api/nope');
		expect(r.status).toBe(404);
		expect(r.body.message).toMatch(/^No route/);
		expect((await api('/api/ai_studio/try_sample')).status).toBe(405);
	});
});

describe('read routes', () => {
	it('pages 250 instances as 100, 100, 50, newest first, deterministically', async () => {
		const pages = await Promise.all(
			[0, 1, 2, 3].map((p) => api(`/api/ai_studio/video_instances?page=${p}&size=100`)),
		);
		expect(pages.map((p) => p.body.instances.length)).toEqual([100, 100, 50, 0]);
		expect(pages[0].body.total).toBe(250);
		const all = pages.flatMap((p) => p.body.instances);
		const times = all.map((i: VideoInstance) => Date.parse(i.created_at));
		expect([...times].sort((a, b) => b - a)).toEqual(times);
		expect(Object.keys(all[0])).toEqual(
			expect.arrayContaining([
				'id',
				'name',
				'user_id',
				'folder_id',
				'actor_id',
				'product_id',
				'industry',
				'use_case',
				'created_at',
				'updated_at',
				'variables',
			]),
		);
		const twin = await startSimulator({ sizes: { videoInstances: 250 } });
		const other = await startSimulator({ seed: 2 });
		expect(twin.data.videoInstances[0].id).toBe(all[0].id);
		expect(other.data.videoInstances[0].id).not.toBe(all[0].id);
		await Promise.all([twin.close(), other.close()]);
	});

	it('validates page and size', async () => {
		expect(await api('/api/ai_studio/video_instances?size=10')).toMatchObject({
			status: 422,
			body: { code: 422, message: "Missing required query parameter 'page'" },
		});
		expect((await api('/api/ai_studio/video_instances?page=0&size=ten')).status).toBe(422);
		expect(await api('/api/ai_studio/video_instances?page=0&size=101')).toMatchObject({
			status: 400,
			body: { message: 'size must be at most 100' },
		});
	});

	it('gets one instance as an array, with 422 and 404', async () => {
		const r = await api(`/api/ai_studio/video_instance?id=${instance().id}`);
		expect(r.status).toBe(200);
		expect(r.body).toEqual([instance()]);
		expect(await api('/api/ai_studio/video_instance?id=abc')).toMatchObject({
			status: 422,
			body: { message: "Invalid UUID for parameter 'id': 'abc'" },
		});
		expect((await api('/api/ai_studio/video_instance')).status).toBe(422);
		expect(await api(`/api/ai_studio/video_instance?id=${UNKNOWN}`)).toMatchObject({
			status: 404,
			body: { message: `Video instance ${UNKNOWN} not found` },
		});
	});

	it('lists generated videos of an instance', async () => {
		const r = await api(
			`/api/ai_studio/generated_video_by_video_instance_id?video_instance_id=${instance().id}`,
		);
		expect(r.status).toBe(200);
		expect(r.body).toHaveLength(3);
		expect(r.body[0]).toMatchObject({ video_instance_id: instance().id, row_index: 0 });
		expect((await api('/api/ai_studio/generated_video_by_video_instance_id')).status).toBe(422);
		expect(
			(
				await api(
					`/api/ai_studio/generated_video_by_video_instance_id?video_instance_id=${UNKNOWN}`,
				)
			).status,
		).toBe(404);
		expect(
			(
				await api(
					`/api/ai_studio/generated_video_by_video_instance_id?video_instance_id=${instance().id}&size=500`,
				)
			).status,
		).toBe(400);
	});

	it('serves workspaces, products and store settings', async () => {
		const ws = await api('/api/workspace');
		expect(ws.body).toHaveLength(4);
		const id = ws.body[1].workspace_id;
		expect((await api(`/api/workspace?id=${id}`)).body).toEqual([ws.body[1]]);
		expect((await api(`/api/workspace?id=${UNKNOWN}`)).status).toBe(404);
		expect((await api('/api/workspace?id=x')).status).toBe(422);
		const products = await api('/api/store/product');
		expect(products.body).toHaveLength(30);
		expect(products.body[0]).toMatchObject({
			id: expect.any(String),
			category: expect.any(Number),
			ratings: expect.any(Number),
		});
		const settings = await api('/api/store/settings');
		expect(settings.body.category).toHaveLength(6);
		expect(settings.body.tags[0]).toEqual({ id: 1, name: expect.any(String) });
	});

	it('serves campaigns and their generated videos', async () => {
		const list = await api('/api/ai_studio/campaigns');
		expect(list.body.total).toBe(12);
		expect(list.body.campaigns.filter((c: Campaign) => c.whatsapp_enabled)).toHaveLength(4);
		const c = list.body.campaigns[0];
		expect((await api(`/api/ai_studio/campaign?id=${c.id}`)).body).toEqual(c);
		expect((await api(`/api/ai_studio/campaign?id=${UNKNOWN}`)).status).toBe(404);
		const videos = await api(
			`/api/ai_studio/generated_video_by_campaign_id?campaign_id=${c.id}&page=0&size=2`,
		);
		expect(videos.body).toHaveLength(2);
		expect(videos.body[0].campaign_id).toBe(c.id);
		expect((await api('/api/ai_studio/campaigns?size=101')).status).toBe(400);
	});
});

describe('product/use', () => {
	it('creates a folder and an instance that is then listed first', async () => {
		const product = sim.data.products[0];
		const ws = sim.data.workspaces[0];
		const r = await api('/api/store/product/use', {
			body: {
				id: product.id,
				workspace_id: ws.workspace_id,
				folder_id: null,
				video_instance_id: null,
			},
		});
		expect(r.status).toBe(200);
		expect(r.body).toMatchObject({
			product: { id: product.id },
			video_instance_id: expect.any(String),
			folder_id: expect.any(String),
		});
		expect(r.body.segments.length).toBeGreaterThan(0);
		const list = await api('/api/ai_studio/video_instances?page=0&size=1');
		expect(list.body.total).toBe(251);
		expect(list.body.instances[0].id).toBe(r.body.video_instance_id);
	});

	it('validates its body', async () => {
		const product = sim.data.products[0];
		const ws = sim.data.workspaces[0].workspace_id;
		expect(
			await api('/api/store/product/use', {
				body: { id: product.id, workspace_id: ws, video_instance_id: instance().id },
			}),
		).toMatchObject({
			status: 400,
			body: { message: 'folder_id is required when video_instance_id is given' },
		});
		expect((await api('/api/store/product/use', { body: { id: product.id } })).status).toBe(422);
		expect(
			(await api('/api/store/product/use', { body: { id: UNKNOWN, workspace_id: ws } })).status,
		).toBe(404);
	});
});

describe('try_sample and the render state machine', () => {
	const body = (names: string[][], extra: object = {}) => ({
		video_instance_id: instance().id,
		variables: ['name', 'company'],
		names,
		...extra,
	});

	it('validates the request', async () => {
		expect((await api('/api/ai_studio/try_sample', { body: '{not json' })).status).toBe(422);
		expect(
			(await api('/api/ai_studio/try_sample', { body: { variables: [], names: [] } })).status,
		).toBe(422);
		expect(
			(await api('/api/ai_studio/try_sample', { body: { ...body([['a', 'b']]), names: 'x' } }))
				.status,
		).toBe(422);
		expect(
			(
				await api('/api/ai_studio/try_sample', {
					body: { ...body([['a', 'b']]), video_instance_id: UNKNOWN },
				})
			).status,
		).toBe(404);
		expect(
			await api('/api/ai_studio/try_sample', {
				body: body([['a', 'b'], ['a', 'b'], ['a', 'b'], ['c']]),
			}),
		).toMatchObject({
			status: 400,
			body: { code: 400, message: 'names row 3 has 1 values but variables has 2' },
		});
		const big = Array.from({ length: 2001 }, () => ['a', 'b']);
		expect((await api('/api/ai_studio/try_sample', { body: body(big) })).status).toBe(400);
	});

	it('moves queued -> processing -> succeeded, and honours sim:fail and sim:never', async () => {
		const r = await api('/api/ai_studio/try_sample', {
			body: body([
				['Don', 'sim:render=300'],
				['Ann', 'sim:fail'],
				['Bo', 'sim:never'],
			]),
		});
		expect(r.body).toEqual({
			code: 200,
			result: [expect.any(String), expect.any(String), expect.any(String)],
		});
		const [ok, bad, never] = r.body.result;
		const poll = async (id: string) =>
			(await api(`/api/ai_studio/generated_video_by_id?id=${id}`)).body;
		expect((await poll(ok)).status).toBe('queued');
		await sleep(170);
		expect((await poll(ok)).status).toBe('processing');
		await sleep(230);
		const done = await poll(ok);
		expect(done).toMatchObject({
			status: 'succeeded',
			row_index: 0,
			text: ['Don', 'sim:render=300'],
			url: `${sim.url}/media/${ok}.mp4`,
		});
		expect(done.share_url).toBe(`${sim.url}/share/${ok}`);
		expect(await poll(bad)).toMatchObject({
			status: 'failed',
			url: null,
			message: expect.stringMatching(/^Render failed: /),
		});
		expect((await poll(never)).status).toBe('processing');
		const listed = await api(
			`/api/ai_studio/generated_video_by_video_instance_id?video_instance_id=${instance().id}`,
		);
		expect(listed.body.slice(-3).map((g: GeneratedVideo) => g.id)).toEqual([ok, bad, never]);
		// forced completion through the control surface
		const forced = await fetch(`${sim.url}/__sim/generations/${never}/complete`, {
			method: 'POST',
			body: JSON.stringify({ status: 'failed' }),
		});
		expect((await readJson(forced)).status).toBe('failed');
		expect((await api('/api/ai_studio/generated_video_by_id?id=bad')).status).toBe(422);
		expect((await api(`/api/ai_studio/generated_video_by_id?id=${UNKNOWN}`)).status).toBe(404);
	});

	it('serves valid media for a succeeded render, 404 otherwise', async () => {
		const r = await api('/api/ai_studio/try_sample', { body: body([['Don', 'sim:render=0']]) });
		const id = r.body.result[0];
		await sleep(5);
		const mp4 = await fetch(`${sim.url}/media/${id}.mp4`);
		expect(mp4.headers.get('content-type')).toBe('video/mp4');
		const bytes = Buffer.from(await mp4.arrayBuffer());
		expect(Number(mp4.headers.get('content-length'))).toBe(bytes.length);
		expect(bytes.readUInt32BE(0)).toBeGreaterThanOrEqual(16);
		expect(bytes.toString('latin1', 4, 8)).toBe('ftyp');
		expect(bytes.includes(Buffer.from('moov'))).toBe(true);
		const png = Buffer.from(await (await fetch(`${sim.url}/media/${id}.png`)).arrayBuffer());
		expect(png.subarray(0, 8)).toEqual(
			Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		);
		const gif = Buffer.from(await (await fetch(`${sim.url}/media/${id}.gif`)).arrayBuffer());
		expect(gif.toString('latin1', 0, 6)).toBe('GIF89a');
		expect((await fetch(`${sim.url}/share/${id}`)).headers.get('content-type')).toMatch(
			/text\/html/,
		);
		expect((await fetch(`${sim.url}/media/${UNKNOWN}.mp4`)).status).toBe(404);
		expect(sim.requests.every((q) => q.path.startsWith('/api/'))).toBe(true);
	});
});

describe('callbacks', () => {
	it('posts the result to callback_url keeping its query string; repeat=2 delivers twice', async () => {
		const hook = await listener();
		sim.setCallbacks({ repeat: 2 });
		const r = await api('/api/ai_studio/try_sample', {
			body: {
				video_instance_id: instance().id,
				variables: ['name'],
				names: [['Don'], ['sim:fail']],
				callback_url: `${hook.url}/hook?my_query_param1=aaa&b=two`,
			},
		});
		const [ok, bad] = r.body.result;
		const got = await hook.waitFor(4);
		expect(got).toHaveLength(4);
		expect(new Set(got.map((g) => g.url))).toEqual(new Set(['/hook?my_query_param1=aaa&b=two']));
		const okBodies = got.filter((g) => g.body.id === ok);
		expect(okBodies).toHaveLength(2);
		expect(okBodies[0].body).toEqual({
			id: ok,
			status: 'succeeded',
			video_url: `${sim.url}/share/${ok}`,
			url: `${sim.url}/media/${ok}.mp4`,
			thumbnail: `${sim.url}/media/${ok}.png`,
			gif: `${sim.url}/media/${ok}.gif`,
		});
		expect(got.find((g) => g.body.id === bad)!.body).toMatchObject({
			status: 'failed',
			video_url: '',
			url: '',
			thumbnail: '',
			gif: '',
		});
		expect(sim.callbacksSent.filter((c) => c.status === 200)).toHaveLength(4);
		await hook.close();
	});

	it('validates campaign renders, logs assets/backgrounds, and follows with whatsapp.ready', async () => {
		const hook = await listener();
		const campaign = sim.data.campaigns.find((c) => c.whatsapp_enabled)!;
		const base = {
			campaign_id: campaign.id,
			variables: ['name'],
			names: [['Don'], ['Ann']],
			callback_url: `${hook.url}/cb`,
		};
		const bg = {
			name: 'site',
			start: 0,
			end: -1,
			kind: 'site',
			config: { mode: 'circle', position: 'bottom-right' },
		};
		expect(
			(
				await api('/api/ai_studio/pipeline/campaign', {
					body: { ...base, backgrounds: [bg], assets: [['https://a.example']] },
				})
			).status,
		).toBe(400);
		expect(
			(
				await api('/api/ai_studio/pipeline/campaign', {
					body: { ...base, backgrounds: [{ ...bg, kind: 'video' }], assets: [['x'], ['y']] },
				})
			).status,
		).toBe(422);
		expect(
			(await api('/api/ai_studio/pipeline/campaign', { body: { ...base, campaign_id: UNKNOWN } }))
				.status,
		).toBe(404);
		for (const flag of ['enable_lipsync', 'enable_subtitles']) {
			const refused = await api('/api/ai_studio/pipeline/campaign', {
				body: { ...base, [flag]: 'yes' },
			});
			expect(refused.status).toBe(422);
			expect(refused.body.message).toBe(`Field '${flag}' must be a boolean`);
		}
		const assets = [['https://a.example'], ['https://b.example']];
		const r = await api('/api/ai_studio/pipeline/campaign', {
			body: { ...base, backgrounds: [bg], assets, enable_lipsync: true },
		});
		expect(r.status).toBe(200);
		expect(sim.requests[sim.requests.length - 1].body).toMatchObject({
			assets,
			backgrounds: [bg],
			enable_lipsync: true,
		});
		const got = await hook.waitFor(4);
		const id = r.body.result[0];
		const first = got.find((g) => g.body.id === id && g.body.status)!.body;
		expect(first).toMatchObject({
			status: 'succeeded',
			campaign_id: campaign.id,
			campaign_result_id: expect.any(String),
		});
		const ready = got.find((g) => g.body.id === id && g.body.event)!.body;
		expect(ready).toEqual({
			event: 'whatsapp.ready',
			id,
			campaign_id: campaign.id,
			whatsapp_video_url: `${sim.url}/media/${id}-whatsapp.mp4`,
		});
		expect(got.indexOf(got.find((g) => g.body === first)!)).toBeLessThan(
			got.findIndex((g) => g.body === ready),
		);
		const rec = (await api(`/api/ai_studio/generated_video_by_id?id=${id}`)).body;
		expect(rec.whatsapp_video_url).toBe(ready.whatsapp_video_url);
		expect((await fetch(ready.whatsapp_video_url)).status).toBe(200);
		// repeated delivery on demand
		await fetch(`${sim.url}/__sim/callbacks/replay`, {
			method: 'POST',
			body: JSON.stringify({ id }),
		});
		expect((await hook.waitFor(5)).filter((g) => g.body.id === id && g.body.status)).toHaveLength(
			2,
		);
		await hook.close();
	});

	/** Renders one row at once with a callback URL; the simulator's record of that callback. */
	async function firstCallbackOfInstantRender(callbackUrl: string) {
		await api('/api/ai_studio/try_sample', {
			body: {
				video_instance_id: instance().id,
				variables: ['n'],
				names: [['sim:render=0']],
				callback_url: callbackUrl,
			},
		});
		const end = Date.now() + 3000;
		while (!sim.callbacksSent.length && Date.now() < end) await sleep(10);
		return sim.callbacksSent[0];
	}

	it('records when each callback was sent and how long its receiver took to answer', async () => {
		const hook = await listener({ answerDelayMs: 150 });
		const before = Date.now();
		const sent = await firstCallbackOfInstantRender(`${hook.url}/slow`);
		expect(sent).toMatchObject({ url: `${hook.url}/slow`, status: 200 });
		expect(sent.at).toBeGreaterThanOrEqual(before);
		expect(sent.ms).toBeGreaterThanOrEqual(150);
		expect(sent.at + sent.ms).toBeLessThanOrEqual(Date.now());
		await hook.close();
	});

	it('records a failing receiver without crashing', async () => {
		expect(await firstCallbackOfInstantRender('http://127.0.0.1:1/none')).toMatchObject({
			url: 'http://127.0.0.1:1/none',
			error: expect.any(String),
		});
	});
});

describe('faults, latency and control surface', () => {
	const post = () =>
		api('/api/ai_studio/try_sample', {
			body: { video_instance_id: instance().id, variables: ['n'], names: [['a']] },
		});

	it('after:2 fails the third matching request only', async () => {
		sim.inject({ method: 'POST', path: '/api/ai_studio/try_sample', status: 500, after: 2 });
		const statuses = [];
		for (let i = 0; i < 4; i++) statuses.push((await post()).status);
		expect(statuses).toEqual([200, 200, 500, 200]);
	});

	it('sends injected 429 headers and bodies, and drops sockets', async () => {
		sim.inject({
			path: '/api/store/settings',
			status: 429,
			headers: { 'retry-after': '1' },
			body: { code: 429, message: 'slow down' },
		});
		const limited = await api('/api/store/settings');
		expect(limited).toMatchObject({ status: 429, body: { message: 'slow down' } });
		expect(limited.headers.get('retry-after')).toBe('1');
		sim.inject({ path: '/api/store/settings', drop: true });
		await expect(api('/api/store/settings')).rejects.toThrow();
		expect(sim.requests.map((r) => r.status)).toEqual([429, 0]);
		expect((await api('/api/store/settings')).status).toBe(200);
	});

	it('a handled fault lets BHuman act, then answers in its place (a lost answer); without it BHuman never sees the request', async () => {
		const made = () => [...sim.generations.values()].filter((g) => !g.seeded).length;
		sim.inject({ method: 'POST', path: '/api/ai_studio/try_sample', status: 502 });
		expect((await post()).status).toBe(502);
		expect(made()).toBe(0);
		sim.inject({ method: 'POST', path: '/api/ai_studio/try_sample', status: 502, handled: true });
		expect((await post()).status).toBe(502);
		expect(made()).toBe(1);
		sim.inject({ method: 'POST', path: '/api/ai_studio/try_sample', drop: true, handled: true });
		await expect(post()).rejects.toThrow();
		expect(made()).toBe(2);
	});

	it('lists generated videos oldest first, or newest first with listOrder (reset restores it)', async () => {
		const id = instance().id;
		const list = async () =>
			(
				(await api(`/api/ai_studio/generated_video_by_video_instance_id?video_instance_id=${id}`))
					.body as GeneratedVideo[]
			).map((video) => video.created_at);
		const oldest = await list();
		expect(oldest.length).toBeGreaterThan(1);
		expect([...oldest].sort()).toEqual(oldest);
		sim.setListOrder('newest');
		expect(await list()).toEqual([...oldest].reverse());
		expect(() => sim.setListOrder('random' as 'newest')).toThrow(TypeError);
		sim.reset();
		expect(sim.listOrder).toBe('oldest');
	});

	it('adds latency and exposes the control surface over HTTP', async () => {
		const ctl = (p: string, method = 'GET', body?: unknown) =>
			fetch(sim.url + p, {
				method,
				body: body === undefined ? undefined : JSON.stringify(body),
			}).then(readJson);
		await ctl('/__sim/latency', 'POST', { ms: 120 });
		const t0 = Date.now();
		await api('/api/store/settings');
		expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
		await ctl('/__sim/faults', 'POST', { path: '/api/workspace', status: 503, times: -1 });
		expect((await api('/api/workspace')).status).toBe(503);
		expect((await api('/api/workspace')).status).toBe(503);
		const log = await ctl('/__sim/requests');
		expect(log.map((e: RequestLogEntry) => e.path)).toEqual([
			'/api/store/settings',
			'/api/workspace',
			'/api/workspace',
		]);
		expect(log[0].headers.authorization).toBe(auth);
		const state = await ctl('/__sim/state');
		expect(state).toMatchObject({ url: sim.url, keyId: 'sim-key-id', latencyMs: 120 });
		expect(JSON.stringify(state)).not.toContain(sim.keySecret);
		await ctl('/__sim/reset', 'POST');
		await ctl('/__sim/faults', 'DELETE');
		await ctl('/__sim/latency', 'POST', { ms: 0 });
		expect((await api('/api/workspace')).status).toBe(200);
		expect(await ctl('/__sim/requests')).toHaveLength(1);
	});
});
