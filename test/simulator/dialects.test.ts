/**
 * The simulator's dialects (the forms BHuman's public sources disagree on) and the campaign
 * generate fields those sources add, over real HTTP with Node's fetch.
 */
import { childProcess, fromRoot, fs, http, os, path, process } from '../host';
import type { AddressInfo } from '../host';
import { startSimulator, type DialectSpec, type GeneratedVideo, type Simulator } from '../../simulator';
import { parseJson, readJson, type ParsedJson } from '../helpers/http';
import { sleep } from 'n8n-workflow';

let sim: Simulator;

const S = '/api/ai_studio';

/** GET (or POST with a body) against `target` with its right key, a wrong key, or none. */
async function call(
	target: Simulator,
	path: string,
	{ body, key = 'right' }: { body?: unknown; key?: 'right' | 'wrong' } = {},
) {
	const secret = key === 'right' ? target.keySecret : 'not-the-secret';
	const res = await fetch(target.url + path, {
		method: body === undefined ? 'GET' : 'POST',
		headers: {
			authorization: `Basic ${Buffer.from(`${target.keyId}:${secret}`).toString('base64')}`,
			'content-type': 'application/json',
		},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await res.text();
	return { status: res.status, body: parseJson(text), headers: res.headers };
}

const api = (path: string, opts?: Parameters<typeof call>[2]) => call(sim, path, opts);

beforeAll(async () => {
	sim = await startSimulator({ render: { queuedMs: 20, processingMs: 40 } });
});
afterAll(() => sim.close());
beforeEach(() => {
	sim.reset();
	sim.setCallbacks({ repeat: 1, whatsappDelayMs: 300 });
});
/** Receivers a test opened; closed after it, also when it fails. */
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
	await Promise.all(open.splice(0).map((r) => r.close()));
});

const campaignBody = (extra: object = {}) => ({
	campaign_id: sim.data.campaigns[0].id,
	variables: ['name'],
	names: [['Don']],
	...extra,
});

describe('campaign generate fields', () => {
	it('accepts generation_mode, records the effective mode, refuses other values with 422', async () => {
		const sent: Array<[unknown, string]> = [
			[undefined, 'keep_original'],
			['', 'keep_original'],
			['keep_original', 'keep_original'],
			['full_script', 'full_script'],
		];
		for (const [mode, recorded] of sent) {
			const r = await api(`${S}/pipeline/campaign`, {
				body: campaignBody({ generation_mode: mode, enable_lipsync: true }),
			});
			expect(r.status).toBe(200);
			const g = sim.generations.get(r.body.result[0])!;
			expect(g.extras).toMatchObject({ generationMode: recorded, enableLipsync: true });
		}
		for (const bad of ['fast', 'FULL_SCRIPT', 5, true]) {
			const r = await api(`${S}/pipeline/campaign`, {
				body: campaignBody({ generation_mode: bad }),
			});
			expect(r).toMatchObject({
				status: 422,
				body: {
					code: 422,
					message: "Field 'generation_mode' must be keep_original or full_script",
				},
			});
		}
	});

	it('accepts background mode basic, positions bottom and bottom-left, and hex colours', async () => {
		const render = (config: object) =>
			api(`${S}/pipeline/campaign`, {
				body: campaignBody({
					backgrounds: [{ name: 'bg', kind: 'site', start: 0, end: -1, config }],
					assets: [['https://a.example']],
				}),
			});
		const accepted = [
			{ mode: 'basic' },
			{ mode: 'circle', position: 'bottom' },
			{ mode: 'chroma', position: 'bottom-left' },
			{ mode: 'basic', position: 'top-right', color: '#fff' },
			{ color: 'fff' },
			{ color: '#A1b2C3' },
			{ color: '00ff00' },
		];
		for (const config of accepted)
			expect([config, (await render(config)).status]).toEqual([config, 200]);
		const refused: Array<[object, string]> = [
			[
				{ mode: 'blur' },
				"backgrounds[0].config.mode must be one of circle, chroma, basic; got 'blur'",
			],
			[
				{ position: 'left' },
				"backgrounds[0].config.position must be one of center, bottom-right, top-right, bottom, bottom-left; got 'left'",
			],
			[
				{ color: '#ffff' },
				"backgrounds[0].config.color must be a hex colour (3 or 6 hex digits, '#' optional); got '#ffff'",
			],
		];
		for (const [config, message] of refused) {
			expect(await render(config)).toMatchObject({ status: 422, body: { code: 422, message } });
		}
		for (const color of ['red', '#gggggg', '##fff', 'fff ', '#1234567', 123]) {
			expect([color, (await render({ color })).status]).toEqual([color, 422]);
		}
	});
});

/** A local receiver of callbacks, recording the raw request URL (path and query) of each. */
async function receiver() {
	const got: Array<{ url: string; body: ParsedJson }> = [];
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			got.push({ url: req.url!, body: parseJson(Buffer.concat(chunks).toString('utf8')) });
			res.end('ok');
		});
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	const hook = {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		got,
		async waitFor(n: number) {
			for (const end = Date.now() + 3000; got.length < n && Date.now() < end; ) await sleep(10);
			expect(got.length).toBeGreaterThanOrEqual(n);
			return got;
		},
		close: () =>
			new Promise<void>((r) => {
				server.close(() => r());
				server.closeAllConnections();
			}),
	};
	open.push(hook);
	return hook;
}


/** One row rendered through try_sample; its id. */
async function renderOne(row: string, callbackUrl?: string) {
	const instance = sim.data.videoInstances[0];
	const r = await api(`${S}/try_sample`, {
		body: {
			video_instance_id: instance.id,
			variables: ['name'],
			names: [[row]],
			...(callbackUrl ? { callback_url: callbackUrl } : {}),
		},
	});
	expect(r.status).toBe(200);
	return r.body.result[0] as string;
}

const ENVELOPE = (result: unknown) => ({ code: 200, result });

describe('envelope', () => {
	const instance = () => sim.data.videoInstances[3];
	const campaign = () => sim.data.campaigns[2];
	const singles = () => [
		`${S}/video_instance?id=${instance().id}`,
		`${S}/campaign?id=${campaign().id}`,
		`${S}/generated_video_by_id?id=${sim.generations.keys().next().value}`,
	];

	it('none answers as the guide: bare records, a one-element instance list, {total, instances}', async () => {
		expect(sim.dialect.envelope).toBe('none');
		const [inst, camp, video] = await Promise.all(singles().map((p) => api(p)));
		expect(inst.body).toEqual([instance()]);
		expect(camp.body).toEqual(campaign());
		expect(video.body).toMatchObject({
			id: sim.generations.keys().next().value,
			status: 'succeeded',
		});
		const list = await api(`${S}/video_instances?page=0&size=2`);
		expect(list.body).toEqual({ total: 250, instances: sim.data.videoInstances.slice(0, 2) });
	});

	it('records wraps the three single-record answers only (the instance as itself, not a list)', async () => {
		const bare = await Promise.all(singles().map((p) => api(p)));
		sim.setDialect({ envelope: 'records' });
		const [inst, camp, video] = await Promise.all(singles().map((p) => api(p)));
		expect(inst).toMatchObject({ status: 200, body: ENVELOPE(instance()) });
		expect(camp).toMatchObject({ status: 200, body: ENVELOPE(campaign()) });
		expect(video).toMatchObject({ status: 200, body: ENVELOPE(bare[2].body) });
		expect((await api(`${S}/video_instances?page=0&size=2`)).body).toEqual({
			total: 250,
			instances: sim.data.videoInstances.slice(0, 2),
		});
		expect((await api('/api/workspace')).body).toEqual(sim.data.workspaces);
		expect((await api('/api/store/settings')).body).toEqual({
			category: sim.data.categories,
			tags: sim.data.tags,
		});
		const ids = await api(`${S}/try_sample`, {
			body: { video_instance_id: instance().id, variables: ['n'], names: [['a']] },
		});
		expect(ids.body).toEqual(ENVELOPE([expect.any(String)]));
	});

	it('all wraps every API answer: records, lists as the page array (no total), ids once, created objects', async () => {
		const lists = [
			`${S}/video_instances?page=1&size=3`,
			`${S}/campaigns?page=0&size=4`,
			`${S}/generated_video_by_video_instance_id?video_instance_id=${instance().id}`,
			`${S}/generated_video_by_campaign_id?campaign_id=${campaign().id}`,
			`${S}/speakeasy_projects`,
			`${S}/webhook`,
			'/api/workspace',
			`/api/workspace?id=${sim.data.workspaces[1].workspace_id}`,
			'/api/store/product',
			'/api/store/settings',
		];
		const bare = await Promise.all([...singles(), ...lists].map((p) => api(p)));
		sim.setDialect({ envelope: 'all' });
		const wrapped = await Promise.all([...singles(), ...lists].map((p) => api(p)));
		const expected = [
			instance(),
			campaign(),
			bare[2].body,
			sim.data.videoInstances.slice(3, 6),
			sim.data.campaigns.slice(0, 4),
			...bare.slice(5).map((b) => b.body),
		];
		expect(expected[5]).toHaveLength(3); // the instance's seeded generated videos
		expect(wrapped.map((w) => [w.status, w.body])).toEqual(expected.map((e) => [200, ENVELOPE(e)]));

		// generate: the id array, wrapped once as today
		const sample = await api(`${S}/try_sample`, {
			body: { video_instance_id: instance().id, variables: ['n'], names: [['a'], ['b']] },
		});
		expect(sample.body).toEqual(ENVELOPE([expect.any(String), expect.any(String)]));
		const render = await api(`${S}/pipeline/campaign`, { body: campaignBody() });
		expect(render.body).toEqual(ENVELOPE([expect.any(String)]));

		// create/import/use: the created object
		const used = await api('/api/store/product/use', {
			body: { id: sim.data.products[0].id, workspace_id: sim.data.workspaces[0].workspace_id },
		});
		expect(used.body).toEqual(
			ENVELOPE(
				expect.objectContaining({
					video_instance_id: sim.data.videoInstances[0].id,
					product: sim.data.products[0],
				}),
			),
		);
		const project = sim.data.speakeasyProjects[0];
		const imported = await api(`${S}/speakeasy_projects/import`, {
			body: { project_id: project.id },
		});
		expect(imported.body).toEqual(
			ENVELOPE({
				project_id: project.id,
				workspace_id: project.workspace_id,
				folder_id: expect.any(String),
				video_instance_id: sim.data.videoInstances[0].id,
				name: project.name,
			}),
		);
		const hook = await api(`${S}/webhook`, {
			body: { name: 'n8n', webhook: 'https://h.example/x' },
		});
		expect(hook.body).toEqual(ENVELOPE(sim.data.savedWebhooks[sim.data.savedWebhooks.length - 1]));
		expect(hook.body.result).toMatchObject({ name: 'n8n', webhook: 'https://h.example/x' });
	});

	it('never wraps errors, media, share pages or the control surface', async () => {
		sim.setDialect({ envelope: 'all' });
		const UNKNOWN = '7d859e18-dc89-446f-9718-9533bb178a75';
		expect(await api(`${S}/campaign?id=${UNKNOWN}`)).toMatchObject({
			status: 404,
			body: { code: 404, message: `Campaign ${UNKNOWN} not found` },
		});
		expect(await api(`${S}/video_instances?size=3`)).toMatchObject({
			status: 422,
			body: { code: 422, message: "Missing required query parameter 'page'" },
		});
		expect(await api('/api/store/settings', { key: 'wrong' })).toMatchObject({
			status: 401,
			body: { code: 401, message: 'Unauthorized: invalid API key id or secret' },
		});
		expect((await api(`${S}/try_sample`, { body: { variables: ['n'] } })).body).toEqual({
			code: 422,
			message: "Missing required field 'video_instance_id'",
		});
		const id = await renderOne('sim:render=0');
		await sleep(5);
		const mp4 = await fetch(`${sim.url}/media/${id}.mp4`);
		expect(Buffer.from(await mp4.arrayBuffer()).toString('latin1', 4, 8)).toBe('ftyp');
		expect(await (await fetch(`${sim.url}/share/${id}`)).text()).toMatch(/^<!doctype html>/);
		expect(await (await fetch(`${sim.url}/__sim/dialect`)).json()).toMatchObject({
			envelope: 'all',
		});
	});
});

describe('listAuth', () => {
	const lists = () => [
		`${S}/video_instances?page=0&size=5`,
		`${S}/campaigns`,
		`${S}/generated_video_by_video_instance_id?video_instance_id=${sim.data.videoInstances[0].id}`,
		`${S}/generated_video_by_campaign_id?campaign_id=${sim.data.campaigns[0].id}`,
		`${S}/speakeasy_projects`,
		`${S}/webhook`,
		'/api/workspace',
		`/api/workspace?id=${sim.data.workspaces[0].workspace_id}`,
		'/api/store/product',
	];
	const REFUSED = {
		code: 401,
		message: "This list is served to BHuman's app (bearer token), not to API keys",
	};

	it('basic: every list takes the API key', async () => {
		const answers = await Promise.all(lists().map((p) => api(p)));
		expect(answers.map((a) => a.status)).toEqual(lists().map(() => 200));
	});

	it('bearer: every list refuses the right key with 401, other routes still take it', async () => {
		sim.setDialect({ listAuth: 'bearer' });
		for (const path of lists()) {
			const r = await api(path);
			expect([path, r.status, r.body]).toEqual([path, 401, REFUSED]);
			expect(r.headers.get('www-authenticate')).toBe('Bearer realm="BHuman app"');
		}
		expect(sim.requests.map((q) => q.status)).toEqual(lists().map(() => 401));

		const id = await renderOne('Don');
		const ok = [
			`${S}/generated_video_by_id?id=${id}`,
			`${S}/video_instance?id=${sim.data.videoInstances[0].id}`,
			`${S}/campaign?id=${sim.data.campaigns[0].id}`,
			'/api/store/settings',
		];
		for (const path of ok) expect([path, (await api(path)).status]).toEqual([path, 200]);
		const posts: Array<[string, object]> = [
			[`${S}/pipeline/campaign`, campaignBody()],
			[
				'/api/store/product/use',
				{ id: sim.data.products[0].id, workspace_id: sim.data.workspaces[0].workspace_id },
			],
			[`${S}/speakeasy_projects/import`, { project_id: sim.data.speakeasyProjects[0].id }],
			[`${S}/webhook`, { name: 'n8n', webhook: 'https://h.example/x' }],
		];
		for (const [path, body] of posts) {
			expect([path, (await api(path, { body })).status]).toEqual([path, 200]);
		}
	});

	it('bearer: a wrong key still gets the ordinary 401, on list and other routes', async () => {
		sim.setDialect({ listAuth: 'bearer' });
		const id = await renderOne('Don');
		for (const path of [`${S}/generated_video_by_id?id=${id}`, `${S}/campaigns`]) {
			expect(await api(path, { key: 'wrong' })).toMatchObject({
				status: 401,
				body: { code: 401, message: 'Unauthorized: invalid API key id or secret' },
			});
		}
	});
});

describe('callbackIdQuery', () => {
	const cases: Array<[string, string, (id: string) => string]> = [
		['none', '/cb', () => '/cb'],
		['none', '/cb?token=abc', () => '/cb?token=abc'],
		['naive', '/cb', (id) => `/cb?id=${id}`],
		['naive', '/cb?token=abc', (id) => `/cb?token=abc?id=${id}`],
		['proper', '/cb', (id) => `/cb?id=${id}`],
		['proper', '/cb?token=abc', (id) => `/cb?token=abc&id=${id}`],
	];

	it.each(cases)(
		'%s: a callback to %s arrives at the exact raw URL',
		async (mode, path, expected) => {
			const hook = await receiver();
			sim.setDialect({ callbackIdQuery: mode as 'none' | 'naive' | 'proper' });
			const id = await renderOne('sim:render=0', hook.url + path);
			const [got] = await hook.waitFor(1);
			expect(got).toEqual({
				url: expected(id),
				body: expect.objectContaining({ id, status: 'succeeded' }),
			});
			expect(sim.callbacksSent[0].url).toBe(hook.url + expected(id));
		},
	);

	it('applies to whatsapp.ready and to replayed callbacks too', async () => {
		const hook = await receiver();
		sim.setDialect({ callbackIdQuery: 'naive' });
		sim.setCallbacks({ whatsappDelayMs: 20 });
		const campaign = sim.data.campaigns.find((c) => c.whatsapp_enabled)!;
		const r = await api(`${S}/pipeline/campaign`, {
			body: campaignBody({
				campaign_id: campaign.id,
				names: [['sim:render=0']],
				callback_url: `${hook.url}/cb?token=abc`,
			}),
		});
		const id = r.body.result[0];
		const got = await hook.waitFor(2);
		expect(got.map((g) => [g.url, g.body.status ?? g.body.event])).toEqual([
			[`/cb?token=abc?id=${id}`, 'succeeded'],
			[`/cb?token=abc?id=${id}`, 'whatsapp.ready'],
		]);
		sim.setDialect({ callbackIdQuery: 'proper' });
		const replay = await fetch(`${sim.url}/__sim/callbacks/replay`, {
			method: 'POST',
			body: JSON.stringify({ id }),
		});
		expect(await replay.json()).toMatchObject({
			ok: true,
			url: `${hook.url}/cb?token=abc&id=${id}`,
		});
		expect((await hook.waitFor(3))[2].url).toBe(`/cb?token=abc&id=${id}`);
	});
});

describe('successState', () => {
	it('completed: polling records, list records and callback bodies call a success completed', async () => {
		const hook = await receiver();
		sim.setDialect({ successState: 'completed' });
		const id = await renderOne('sim:render=0', `${hook.url}/cb`);
		const failed = await renderOne('sim:fail');
		const [got] = await hook.waitFor(1);
		expect(got.body).toEqual({
			id,
			status: 'completed',
			video_url: `${sim.url}/share/${id}`,
			url: `${sim.url}/media/${id}.mp4`,
			thumbnail: `${sim.url}/media/${id}.png`,
			gif: `${sim.url}/media/${id}.gif`,
		});
		const record = await api(`${S}/generated_video_by_id?id=${id}`);
		expect(record.body).toMatchObject({
			id,
			status: 'completed',
			url: `${sim.url}/media/${id}.mp4`,
		});
		expect((await fetch(record.body.url)).status).toBe(200);
		await sleep(80);
		const list = await api(
			`${S}/generated_video_by_video_instance_id?video_instance_id=${sim.data.videoInstances[0].id}`,
		);
		const statuses = new Map(list.body.map((g: GeneratedVideo) => [g.id, g.status]));
		expect([statuses.get(id), statuses.get(failed)]).toEqual(['completed', 'failed']);
		expect(list.body.filter((g: GeneratedVideo) => g.status === 'succeeded')).toEqual([]);
	});

	it('completeGeneration and the control route take completed as well as succeeded and failed', async () => {
		sim.setDialect({ successState: 'completed' });
		const [a, b, c, d] = await Promise.all(
			['sim:never', 'sim:never', 'sim:never', 'sim:never'].map((r) => renderOne(r)),
		);
		expect(sim.completeGeneration(a, 'completed').status).toBe('completed');
		const forced = async (id: string, status: string) => {
			const r = await fetch(`${sim.url}/__sim/generations/${id}/complete`, {
				method: 'POST',
				body: JSON.stringify({ status }),
			});
			return { status: r.status, body: await readJson(r) };
		};
		expect((await forced(b, 'succeeded')).body.status).toBe('completed');
		expect((await forced(c, 'failed')).body.status).toBe('failed');
		expect(await forced(d, 'done')).toEqual({
			status: 400,
			body: { code: 400, message: "status must be 'succeeded', 'completed' or 'failed'" },
		});
		sim.setDialect({ successState: 'succeeded' });
		expect((await api(`${S}/generated_video_by_id?id=${a}`)).body.status).toBe('succeeded');
	});
});

const GUIDE = {
	envelope: 'none',
	listAuth: 'basic',
	callbackIdQuery: 'none',
	successState: 'succeeded',
};
const REFERENCE_2026_10 = {
	envelope: 'records',
	listAuth: 'bearer',
	callbackIdQuery: 'naive',
	successState: 'completed',
};

/** The control surface of `target`: GET without a body, POST with one. */
async function control(target: Simulator, path: string, body?: unknown) {
	const res = await fetch(target.url + path, {
		method: body === undefined ? 'GET' : 'POST',
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	return { status: res.status, body: await readJson(res) };
}

describe('presets', () => {
	it('set all four knobs; reference-2026-10 also delivers each callback once', () => {
		sim.setCallbacks({ repeat: 3 });
		expect(sim.setDialect('guide')).toEqual({ name: 'guide', ...GUIDE });
		expect(sim.state().callbacks.repeat).toBe(3);
		expect(sim.setDialect('reference-2026-07')).toEqual({ name: 'reference-2026-07', ...GUIDE });
		expect(sim.state().callbacks.repeat).toBe(3);
		expect(sim.setDialect('swagger-2023')).toEqual({
			name: 'swagger-2023',
			envelope: 'all',
			listAuth: 'basic',
			callbackIdQuery: 'naive',
			successState: 'succeeded',
		});
		expect(sim.state().callbacks.repeat).toBe(3);
		expect(sim.setDialect('reference-2026-10')).toEqual({
			name: 'reference-2026-10',
			...REFERENCE_2026_10,
		});
		expect(sim.state()).toMatchObject({
			callbacks: { repeat: 1 },
			dialect: { name: 'reference-2026-10', ...REFERENCE_2026_10 },
		});
	});

	it('take knob overrides; knobs without a preset change the current dialect; bad input is a TypeError', () => {
		expect(sim.setDialect({ dialect: 'reference-2026-10', callbackIdQuery: 'proper' })).toEqual({
			name: 'custom',
			...REFERENCE_2026_10,
			callbackIdQuery: 'proper',
		});
		expect(sim.setDialect({ successState: 'succeeded' })).toEqual({
			name: 'custom',
			...REFERENCE_2026_10,
			callbackIdQuery: 'proper',
			successState: 'succeeded',
		});
		expect(sim.setDialect({ preset: 'swagger-2023', envelope: 'all' }).name).toBe('swagger-2023');
		expect(() => sim.setDialect('reference-2026' as unknown as DialectSpec)).toThrow(TypeError);
		expect(() => sim.setDialect({ envelope: 'some' } as unknown as DialectSpec)).toThrow(
			'dialect envelope must be one of none, records, all; got "some"',
		);
		expect(() => sim.setDialect({ listauth: 'bearer' } as unknown as DialectSpec)).toThrow(TypeError);
		expect(sim.dialect.name).toBe('swagger-2023');
	});

	it('reference-2026-10 over HTTP: enveloped completed record, lists refused, naive callback once', async () => {
		const hook = await receiver();
		sim.setCallbacks({ repeat: 2 });
		sim.setDialect('reference-2026-10');
		const id = await renderOne('sim:render=0', `${hook.url}/cb?t=1`);
		const [got] = await hook.waitFor(1);
		expect(got).toEqual({
			url: `/cb?t=1?id=${id}`,
			body: expect.objectContaining({ status: 'completed' }),
		});
		expect((await api(`${S}/generated_video_by_id?id=${id}`)).body).toEqual(
			ENVELOPE(expect.objectContaining({ id, status: 'completed' })),
		);
		expect((await api(`${S}/campaigns`)).status).toBe(401);
		await sleep(100);
		expect(hook.got).toHaveLength(1);
	});

	it('swagger-2023 over HTTP: lists take Basic and come enveloped as arrays', async () => {
		sim.setDialect('swagger-2023');
		expect(await api(`${S}/campaigns?page=0&size=2`)).toMatchObject({
			status: 200,
			body: ENVELOPE(sim.data.campaigns.slice(0, 2)),
		});
	});
});

describe('control route, start options and reset', () => {
	it('GET /__sim/dialect shows the knobs, POST switches them at runtime, bad values are 400', async () => {
		expect(await control(sim, '/__sim/dialect')).toEqual({
			status: 200,
			body: { name: 'guide', ...GUIDE },
		});
		expect(await control(sim, '/__sim/dialect', { dialect: 'swagger-2023' })).toEqual({
			status: 200,
			body: {
				ok: true,
				dialect: { name: 'swagger-2023', ...GUIDE, envelope: 'all', callbackIdQuery: 'naive' },
			},
		});
		expect((await api('/api/workspace')).body).toEqual(ENVELOPE(sim.data.workspaces));
		expect((await control(sim, '/__sim/dialect', { listAuth: 'bearer' })).body.dialect).toEqual({
			name: 'custom',
			envelope: 'all',
			listAuth: 'bearer',
			callbackIdQuery: 'naive',
			successState: 'succeeded',
		});
		expect((await api('/api/workspace')).status).toBe(401);
		expect(await control(sim, '/__sim/dialect', { successState: 'done' })).toEqual({
			status: 400,
			body: {
				code: 400,
				message: 'dialect successState must be one of succeeded, completed; got "done"',
			},
		});
		expect((await control(sim, '/__sim/state')).body.dialect).toMatchObject({ listAuth: 'bearer' });
		await control(sim, '/__sim/reset', {});
		expect(sim.dialect).toEqual({ name: 'guide', ...GUIDE });
		expect((await api('/api/workspace')).status).toBe(200);
	});

	it('starts in a preset, knobs, or a preset with overrides; reset restores the start dialect', async () => {
		const started = await Promise.all([
			startSimulator({ dialect: 'reference-2026-10', callbacks: { repeat: 2 } }),
			startSimulator({ dialect: { envelope: 'records', listAuth: 'bearer' } }),
			startSimulator({ dialect: 'reference-2026-10', callbackIdQuery: 'proper' }),
			startSimulator({ dialect: { preset: 'swagger-2023', successState: 'completed' } }),
		]);
		try {
			const [ref, knobs, over, swagger] = started;
			expect(started.map((s) => s.dialect)).toEqual([
				{ name: 'reference-2026-10', ...REFERENCE_2026_10 },
				{ name: 'custom', ...GUIDE, envelope: 'records', listAuth: 'bearer' },
				{ name: 'custom', ...REFERENCE_2026_10, callbackIdQuery: 'proper' },
				{
					name: 'custom',
					envelope: 'all',
					listAuth: 'basic',
					callbackIdQuery: 'naive',
					successState: 'completed',
				},
			]);
			// an explicit callbacks.repeat wins over the preset's at start
			expect(ref.state().callbacks.repeat).toBe(2);
			expect((await call(knobs, `${S}/campaigns`)).status).toBe(401);
			expect((await call(swagger, `${S}/campaigns`)).body.result).toHaveLength(12);

			await control(ref, '/__sim/dialect', { dialect: 'guide' });
			expect((await call(ref, `${S}/campaigns`)).status).toBe(200);
			ref.setDialect('reference-2026-10'); // sets repeat 1; reset gives back the start's 2
			await control(ref, '/__sim/reset', {});
			expect((await control(ref, '/__sim/dialect')).body).toEqual({
				name: 'reference-2026-10',
				...REFERENCE_2026_10,
			});
			expect(ref.state().callbacks.repeat).toBe(2);
			expect((await call(ref, `${S}/campaigns`)).status).toBe(401);
			over.setDialect('guide');
			over.reset();
			expect(over.dialect.callbackIdQuery).toBe('proper');
		} finally {
			await Promise.all(started.map((s) => s.close()));
		}
		await expect(startSimulator({ dialect: 'nope' as unknown as DialectSpec })).rejects.toThrow(TypeError);
	});
});

describe('command line', () => {
	const CLI = fromRoot('simulator', 'cli.js');

	/** Starts the CLI with `args`; its URL once SIM_READY_FILE appears, and a stop function. */
	async function startCli(args: string[]) {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-cli-'));
		const ready = path.join(dir, 'ready.json');
		const child = childProcess.spawn(process.execPath, [CLI, '--port', '0', '--quiet', ...args], {
			env: { ...process.env, SIM_READY_FILE: ready },
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let output = '';
		child.stdout.on('data', (c) => (output += c));
		child.stderr.on('data', (c) => (output += c));
		const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
		const stop = async () => {
			child.kill('SIGTERM');
			await exited;
			fs.rmSync(dir, { recursive: true, force: true });
		};
		for (const end = Date.now() + 10000; !fs.existsSync(ready) && Date.now() < end; ) {
			if (child.exitCode !== null) break;
			await sleep(20);
		}
		if (!fs.existsSync(ready)) {
			await stop();
			throw new Error(`simulator CLI did not start: ${output}`);
		}
		const { url } = JSON.parse(fs.readFileSync(ready, 'utf8'));
		return { url: url as string, output: () => output, stop };
	}

	it('--dialect reference-2026-10 starts in that dialect', async () => {
		const cli = await startCli(['--dialect', 'reference-2026-10']);
		try {
			const res = await fetch(`${cli.url}/__sim/dialect`);
			expect(await res.json()).toEqual({ name: 'reference-2026-10', ...REFERENCE_2026_10 });
			expect(cli.output()).toContain('Dialect:        reference-2026-10 (envelope records');
		} finally {
			await cli.stop();
		}
	});

	it('knob flags override the preset', async () => {
		const cli = await startCli([
			'--dialect=swagger-2023',
			'--envelope',
			'records',
			'--list-auth',
			'bearer',
			'--callback-id-query',
			'proper',
			'--success-state',
			'completed',
		]);
		try {
			const state = await readJson(await fetch(`${cli.url}/__sim/state`));
			expect(state.dialect).toEqual({
				name: 'custom',
				envelope: 'records',
				listAuth: 'bearer',
				callbackIdQuery: 'proper',
				successState: 'completed',
			});
		} finally {
			await cli.stop();
		}
	});

	it('lists the flags in --help and refuses bad values with exit code 2', () => {
		const help = childProcess.spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
		for (const flag of [
			'--dialect',
			'--envelope',
			'--list-auth',
			'--callback-id-query',
			'--success-state',
		]) {
			expect(help.stdout).toContain(flag);
		}
		expect(help.stdout).toContain('reference-2026-10');
		const bad = childProcess.spawnSync(process.execPath, [CLI, '--port', '0', '--envelope', 'some'], {
			encoding: 'utf8',
		});
		expect(bad.status).toBe(2);
		expect(bad.stderr).toContain('dialect envelope must be one of none, records, all; got "some"');
	});
});
