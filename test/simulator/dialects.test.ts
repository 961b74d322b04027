/**
 * The simulator's dialects (the forms BHuman's public sources disagree on) and the campaign
 * generate fields those sources add, over real HTTP with Node's fetch.
 */
import { startSimulator, type Simulator } from '../../simulator';

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
	let json: any = text;
	try {
		json = JSON.parse(text);
	} catch {}
	return { status: res.status, body: json, headers: res.headers };
}

const api = (path: string, opts?: Parameters<typeof call>[2]) => call(sim, path, opts);

beforeAll(async () => {
	sim = await startSimulator({ render: { queuedMs: 20, processingMs: 40 } });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

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
