/**
 * Video → Generate, Video → Get and Campaign → Generate through n8n's engine
 * against the simulator: batching, validation, the never-retried POST,
 * partial failure, waiting and downloading.
 */
import { Container } from '@n8n/di';
import { BinaryDataService } from 'n8n-core';
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { runBHuman } from '../helpers/engine';
import { rl, withSimulator } from '../helpers/sim';

const s = withSimulator({ render: { queuedMs: 100, processingMs: 300 } });

beforeAll(async () => {
	await Container.get(BinaryDataService).init();
});

const instanceId = () => s.sim.data.videoInstances[0].id;
const contacts = (count: number) =>
	Array.from({ length: count }, (_, i) => ({ first_name: `Name ${i}`, company: `Company ${i}` }));

function generateParams(extra: INodeParameters = {}): INodeParameters {
	return {
		resource: 'video',
		operation: 'generate',
		videoInstanceId: rl(instanceId()),
		inputMode: 'mapping',
		variables: {
			variable: [
				{ name: 'name', value: '={{ $json.first_name }}' },
				{ name: 'company', value: '={{ $json.company }}' },
			],
		},
		...extra,
	};
}

/** Generations created by this test's requests, in creation order (seeded ones left out). */
const liveIds = () => [...s.sim.generations.values()].filter((g) => !g.seeded).map((g) => g.id);

const generatePosts = () =>
	s.sim.requests.filter((r) => r.method === 'POST' && r.path === '/api/ai_studio/try_sample');

describe('Video → Generate: batching', () => {
	test('2,500 items at batch size 2,000: 2 requests, 2,500 outputs in input order, each paired', async () => {
		const items = contacts(2500);
		const { items: out, error } = await runBHuman({
			parameters: generateParams({ batchSize: 2000 }),
			items,
			credentials: s.credentials,
		});
		expect(error).toBeUndefined();
		const posts = generatePosts();
		expect(posts).toHaveLength(2);
		expect(posts.map((p) => p.body.names.length)).toEqual([2000, 500]);
		expect(posts[0].body.variables).toEqual(['name', 'company']);
		expect(posts[0].body.video_instance_id).toBe(instanceId());
		expect(posts[1].body.names[0]).toEqual(['Name 2000', 'Company 2000']);
		expect(out).toHaveLength(2500);
		out.forEach((item, index) => {
			expect(item.pairedItem).toEqual({ item: index });
			expect(item.json.variables).toEqual({ name: `Name ${index}`, company: `Company ${index}` });
			expect(item.json.batch).toBe(index < 2000 ? 1 : 2);
			expect(item.json.rowIndex).toBe(index < 2000 ? index : index - 2000);
			expect(item.json.videoInstanceId).toBe(instanceId());
			expect(item.json.status).toBe('accepted');
			expect(s.sim.generations.get(item.json.id as string)?.text).toEqual([
				`Name ${index}`,
				`Company ${index}`,
			]);
		});
		expect(new Set(out.map((item) => item.json.id)).size).toBe(2500);
	});

	test('2,500 items at the default batch size 100: 25 requests', async () => {
		const { items: out } = await runBHuman({
			parameters: generateParams(),
			items: contacts(2500),
			credentials: s.credentials,
		});
		expect(generatePosts()).toHaveLength(25);
		expect(out).toHaveLength(2500);
	});

	test('numbers and booleans are sent as text; callback URL is sent as callback_url', async () => {
		const items = [{ first_name: 42, company: true }];
		const callbackUrl = 'https://n8n.example.com/webhook/abc/bhuman?token=t1';
		await runBHuman({
			parameters: generateParams({ callbackUrl }),
			items,
			credentials: s.credentials,
		});
		const [post] = generatePosts();
		expect(post.body.names).toEqual([['42', 'true']]);
		expect(post.body.callback_url).toBe(callbackUrl);
	});

	test('JSON mode: variables and names given directly, one output item per row', async () => {
		const { items: out, error } = await runBHuman({
			parameters: {
				resource: 'video',
				operation: 'generate',
				videoInstanceId: rl(instanceId()),
				inputMode: 'json',
				variablesJson: '["name", "company"]',
				namesJson: '[["Don", "Apple"], ["James", "Google"], ["Ada", "Babbage"]]',
			},
			credentials: s.credentials,
		});
		expect(error).toBeUndefined();
		expect(generatePosts()).toHaveLength(1);
		expect(generatePosts()[0].body.names).toEqual([
			['Don', 'Apple'],
			['James', 'Google'],
			['Ada', 'Babbage'],
		]);
		expect(out.map((item) => item.json.variables)).toEqual([
			{ name: 'Don', company: 'Apple' },
			{ name: 'James', company: 'Google' },
			{ name: 'Ada', company: 'Babbage' },
		]);
		expect(out.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 0 }, { item: 0 }]);
	});
});

describe('Video → Generate: plain {{ $json.field }} values are read from the item', () => {
	// The fast path must give what n8n's own evaluator gives: `$json["x"]` is not
	// the plain form, so n8n evaluates it; both runs must send the same rows.
	const items = [
		{ first_name: 'Ada', contact: { company: 'Babbage Ltd' } },
		{ first_name: 7, contact: { company: true } },
		{ first_name: 'Grace', contact: { company: 'Navy' } },
	];
	const run = (name: string, company: string) =>
		runBHuman({
			parameters: generateParams({
				variables: {
					variable: [
						{ name: 'name', value: name },
						{ name: 'company', value: company },
						{ name: 'signature', value: 'The team' },
					],
				},
			}),
			items,
			credentials: s.credentials,
		});

	test('same rows as n8n evaluating the expressions, nested fields included', async () => {
		const fast = await run('={{ $json.first_name }}', '={{ $json.contact.company }}');
		const evaluated = await run('={{ $json["first_name"] }}', '={{ $json["contact"]["company"] }}');
		expect(fast.error).toBeUndefined();
		expect(evaluated.error).toBeUndefined();
		const [fastPost, evaluatedPost] = generatePosts();
		expect(fastPost.body.names).toEqual([
			['Ada', 'Babbage Ltd', 'The team'],
			['7', 'true', 'The team'],
			['Grace', 'Navy', 'The team'],
		]);
		expect(evaluatedPost.body.names).toEqual(fastPost.body.names);
	});

	test('a missing field is refused the same way', async () => {
		const fast = await run('={{ $json.first_name }}', '={{ $json.contact.missing }}');
		const evaluated = await run('={{ $json["first_name"] }}', '={{ $json["contact"]["missing"] }}');
		expect(fast.error?.message).toMatch(/item 0.*"company" has no value/);
		expect(evaluated.error?.message).toBe(fast.error?.message);
		expect(generatePosts()).toHaveLength(0);
	});
});

describe('Video → Generate: validation before any request', () => {
	const cases: Array<[string, IDataObject[], INodeParameters, RegExp]> = [
		[
			'an empty value',
			[
				{ first_name: 'A', company: 'X' },
				{ first_name: '', company: 'Y' },
			],
			{},
			/item 1.*"name".*empty/,
		],
		[
			'a missing value',
			[{ first_name: 'A', company: 'X' }, { company: 'Y' }, { first_name: 'C', company: 'Z' }],
			{},
			/item 1.*"name"/,
		],
		[
			'an object value',
			[{ first_name: 'A', company: { legal: 'X' } }],
			{},
			/item 0.*"company".*object/,
		],
		['an array value', [{ first_name: ['A'], company: 'X' }], {}, /item 0.*"name".*array/],
		[
			'an empty variable name',
			[{ first_name: 'A', company: 'X' }],
			{ variables: { variable: [{ name: '', value: 'x' }] } },
			/item 0.*variable 1 has no name/,
		],
		[
			'a duplicated variable name',
			[{ first_name: 'A', company: 'X' }],
			{
				variables: {
					variable: [
						{ name: 'name', value: 'x' },
						{ name: 'name', value: 'y' },
					],
				},
			},
			/item 0.*"name" is given twice/,
		],
		[
			'variable names that differ between items',
			[{ v: 'name' }, { v: 'first' }],
			{ variables: { variable: [{ name: '={{ $json.v }}', value: 'x' }] } },
			/item 1.*differ/,
		],
		[
			'a video instance that is not a UUID',
			[{ first_name: 'A', company: 'X' }],
			{ videoInstanceId: rl('={{ "not-a-uuid" }}') },
			/Video Instance of item 0 is not a valid ID/,
		],
		[
			'a callback URL that is not a URL',
			[{ first_name: 'A', company: 'X' }],
			{ callbackUrl: 'not a url' },
			/item 0.*Callback URL/,
		],
		[
			'JSON names with a short row',
			[{}],
			{
				inputMode: 'json',
				variablesJson: '["name","company"]',
				namesJson: '[["Don","Apple"],["James"]]',
			},
			/item 0.*row 1 has 1 values but there are 2 variables/,
		],
	];

	test.each(cases)(
		'%s: error names the item and the variable, zero requests',
		async (_name, items, extra, message) => {
			const { error, items: out } = await runBHuman({
				parameters: generateParams(extra),
				items,
				credentials: s.credentials,
			});
			expect(error?.message).toMatch(message);
			expect(out).toHaveLength(0);
			expect(s.sim.requests).toHaveLength(0);
		},
	);

	test('empty values are sent when Allow Empty Values is on', async () => {
		const items = [{ first_name: '', company: 'Y' }];
		const { error } = await runBHuman({
			parameters: generateParams({ options: { allowEmptyValues: true } }),
			items,
			credentials: s.credentials,
		});
		expect(error).toBeUndefined();
		expect(generatePosts()[0].body.names).toEqual([['', 'Y']]);
	});

	test('with Continue On Fail invalid items become error items and the valid ones are sent', async () => {
		const items = [
			{ first_name: 'A', company: 'X' },
			{ first_name: '', company: 'Y' },
			{ first_name: 'C', company: 'Z' },
		];
		const { items: out, error } = await runBHuman({
			parameters: generateParams(),
			items,
			credentials: s.credentials,
			continueOnFail: true,
		});
		expect(error).toBeUndefined();
		expect(generatePosts()).toHaveLength(1);
		expect(generatePosts()[0].body.names).toEqual([
			['A', 'X'],
			['C', 'Z'],
		]);
		expect(out.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(out[1].json.error).toMatch(/item 1.*"name".*empty/);
		expect(out[0].json.id).toBeDefined();
		expect(out[2].json.id).toBeDefined();
		expect(out[2].json.rowIndex).toBe(1);
	});
});

describe('Video → Generate: paid POSTs are never retried; nothing accepted is lost', () => {
	test.each([
		['500', { status: 500 }],
		['429', { status: 429, headers: { 'retry-after': '0' } }],
		['a dropped connection', { drop: true }],
	])('the generate POST is not retried on %s', async (_name, fault) => {
		s.sim.inject({ method: 'POST', path: '/api/ai_studio/try_sample', ...fault });
		const { error } = await runBHuman({
			parameters: generateParams(),
			items: contacts(3),
			credentials: s.credentials,
		});
		expect(error).toBeDefined();
		expect(generatePosts()).toHaveLength(1);
	});

	test('batch 3 of 5 fails without Continue On Fail: the error lists every accepted id with its item', async () => {
		s.sim.inject({ method: 'POST', path: '/api/ai_studio/try_sample', status: 500, after: 2 });
		const { error } = await runBHuman({
			parameters: generateParams({ batchSize: 2 }),
			items: contacts(10),
			credentials: s.credentials,
		});
		expect(generatePosts()).toHaveLength(3);
		expect(error?.message).toMatch(/Batch 3 of 5 failed/);
		expect(generatePosts().map((post) => post.status)).toEqual([200, 200, 500]);
		const ids = liveIds();
		expect(ids).toHaveLength(4);
		ids.forEach((id, index) => expect(error?.description).toContain(`item ${index}: ${id}`));
	});

	test('batch 2 of 3 fails with Continue On Fail: accepted items keep their ids, the failed batch outputs the error', async () => {
		s.sim.inject({ method: 'POST', path: '/api/ai_studio/try_sample', status: 500, after: 1 });
		const { items: out, error } = await runBHuman({
			parameters: generateParams({ batchSize: 2 }),
			items: contacts(6),
			credentials: s.credentials,
			continueOnFail: true,
		});
		expect(error).toBeUndefined();
		expect(generatePosts()).toHaveLength(3);
		expect(out).toHaveLength(6);
		const ids = liveIds();
		expect(ids).toHaveLength(4);
		expect(out.map((item) => item.json.id ?? null)).toEqual([
			ids[0],
			ids[1],
			null,
			null,
			ids[2],
			ids[3],
		]);
		expect(out[2].json.error).toMatch(/Batch 2 of 3 failed/);
		expect(out[3].json.variables).toEqual({ name: 'Name 3', company: 'Company 3' });
	});
});

describe('Wait for completion', () => {
	const waitParams = (extra: INodeParameters = {}) =>
		generateParams({ waitForCompletion: true, pollInterval: 1, maxWait: 0.05, ...extra });
	const polls = () =>
		s.sim.requests.filter((r) => r.path === '/api/ai_studio/generated_video_by_id');

	test('succeeded, failed and timed-out generations; polls bounded by Max Wait / Poll Interval', async () => {
		const items = [
			{ first_name: 'Ok', company: 'A' },
			{ first_name: 'sim:fail', company: 'B' },
			{ first_name: 'sim:never', company: 'C' },
		];
		const started = Date.now();
		const { items: out, error } = await runBHuman({
			parameters: waitParams(),
			items,
			credentials: s.credentials,
		});
		expect(error).toBeUndefined();
		expect(Date.now() - started).toBeLessThan(8000);
		expect(out.map((item) => item.json.status)).toEqual(['succeeded', 'failed', 'processing']);
		expect(out.map((item) => item.json.timedOut)).toEqual([false, false, true]);
		expect(out[0].json.mp4Url).toMatch(/\.mp4$/);
		expect(out[0].json.pageUrl).toContain('/share/');
		expect(out[0].json.thumbnailUrl).toMatch(/\.png$/);
		expect(out[0].json.gifUrl).toMatch(/\.gif$/);
		expect(out[1].json.mp4Url).toBeNull();
		// 3 s max wait / 1 s interval (the shortest allowed) = 3 polls at most per generation
		const perId = new Map<string, number>();
		for (const poll of polls()) perId.set(poll.query.id, (perId.get(poll.query.id) ?? 0) + 1);
		expect(Math.max(...perId.values())).toBeLessThanOrEqual(3);
		expect(perId.get(out[2].json.id as string)).toBeGreaterThanOrEqual(2);
		// Final generations stop being polled: the succeeded one (400 ms render) was polled once
		expect(perId.get(out[0].json.id as string)).toBe(1);
	});

	test('Download Video puts the MP4 into the binary property, with MIME type and file name', async () => {
		const { items: out, error } = await runBHuman({
			parameters: waitParams({ downloadVideo: true, binaryPropertyName: 'video' }),
			items: [{ first_name: 'Ok', company: 'A' }],
			credentials: s.credentials,
		});
		expect(error).toBeUndefined();
		const binary = out[0].binary!.video;
		expect(binary.mimeType).toBe('video/mp4');
		expect(binary.fileName).toBe(`${out[0].json.id as string}.mp4`);
		const bytes = await Container.get(BinaryDataService).getAsBuffer(binary);
		expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
		const served = Buffer.from(await (await fetch(out[0].json.mp4Url as string)).arrayBuffer());
		expect(bytes.equals(served)).toBe(true);
	});
});

describe('Video → Get', () => {
	test('one generation by id with the normalized fields, downloaded', async () => {
		const { items: generated } = await runBHuman({
			parameters: generateParams(),
			items: contacts(1),
			credentials: s.credentials,
		});
		const id = generated[0].json.id as string;
		s.sim.completeGeneration(id, 'succeeded');
		const { items: out, error } = await runBHuman({
			parameters: { resource: 'video', operation: 'get', generationId: id, downloadVideo: true },
			credentials: s.credentials,
		});
		expect(error).toBeUndefined();
		expect(out[0].json).toMatchObject({ id, status: 'succeeded' });
		expect(out[0].binary?.data.fileName).toBe(`${id}.mp4`);
	});

	test('an unknown id is a 404 naming it', async () => {
		const id = '00000000-0000-4000-8000-000000000000';
		const { error } = await runBHuman({
			parameters: { resource: 'video', operation: 'get', generationId: id },
			credentials: s.credentials,
		});
		expect(error?.message).toContain(`Generation ${id} was not found`);
	});
});

describe('Campaign → Generate', () => {
	test('assets and backgrounds go in the request body', async () => {
		const campaign = s.sim.data.campaigns[0];
		const items = [
			{ first_name: 'Don', company: 'Apple', site: 'https://apple.com' },
			{ first_name: 'James', company: 'Google', site: 'https://google.com' },
		];
		const { items: out, error } = await runBHuman({
			parameters: {
				resource: 'campaign',
				operation: 'generate',
				campaignId: rl(`https://app.bhuman.ai/campaign/generatedVideos/${campaign.id}`, 'url'),
				inputMode: 'mapping',
				variables: generateParams().variables,
				backgrounds: {
					background: [
						{
							name: 'Site',
							kind: 'site',
							start: 0,
							end: -1,
							config: { mode: 'circle', position: 'bottom-right', scale: 0.3 },
						},
					],
				},
				assets: { asset: [{ value: '={{ $json.site }}' }] },
				enableLipsync: true,
				enableSubtitles: true,
			},
			items,
			credentials: s.credentials,
		});
		expect(error).toBeUndefined();
		const posts = s.sim.requests.filter((r) => r.path === '/api/ai_studio/pipeline/campaign');
		expect(posts).toHaveLength(1);
		expect(posts[0].body).toMatchObject({
			campaign_id: campaign.id,
			variables: ['name', 'company'],
			names: [
				['Don', 'Apple'],
				['James', 'Google'],
			],
			assets: [['https://apple.com'], ['https://google.com']],
			backgrounds: [
				{
					name: 'Site',
					kind: 'site',
					start: 0,
					end: -1,
					config: { mode: 'circle', position: 'bottom-right', scale: 0.3 },
				},
			],
			enable_lipsync: true,
			enable_subtitles: true,
		});
		expect(out.map((item) => item.json.campaignId)).toEqual([campaign.id, campaign.id]);
	});

	test('Enable Subtitles is sent only when on', async () => {
		const campaign = s.sim.data.campaigns[0];
		const parameters = {
			resource: 'campaign',
			operation: 'generate',
			campaignId: rl(campaign.id),
			inputMode: 'mapping',
			variables: generateParams().variables,
		};
		for (const enableSubtitles of [false, true]) {
			const { error } = await runBHuman({
				parameters: { ...parameters, enableSubtitles },
				items: [{ first_name: 'Don', company: 'Apple' }],
				credentials: s.credentials,
			});
			expect(error).toBeUndefined();
		}
		const bodies = s.sim.requests
			.filter((r) => r.path === '/api/ai_studio/pipeline/campaign')
			.map((r) => r.body);
		expect(bodies).toHaveLength(2);
		expect(bodies[0]).not.toHaveProperty('enable_subtitles');
		expect(bodies[1].enable_subtitles).toBe(true);
	});

	test('a row without one asset per background is refused before sending', async () => {
		const campaign = s.sim.data.campaigns[0];
		const { error } = await runBHuman({
			parameters: {
				resource: 'campaign',
				operation: 'generate',
				campaignId: rl(campaign.id),
				inputMode: 'mapping',
				variables: generateParams().variables,
				backgrounds: {
					background: [
						{ kind: 'site', start: 0, end: -1 },
						{ kind: 'link', start: 0, end: 5 },
					],
				},
				assets: { asset: [{ value: 'https://a.example' }] },
			},
			items: [{ first_name: 'Don', company: 'Apple' }],
			credentials: s.credentials,
		});
		expect(error?.message).toMatch(/item 0.*1 values but there are 2 backgrounds/);
		expect(s.sim.requests).toHaveLength(0);
	});
});
