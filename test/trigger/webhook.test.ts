/**
 * The BHuman Trigger through n8n-core's WebhookContext, with real HTTP requests
 * (bodies, headers, query strings) sent to a local listener.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { deliveryKey, MAX_REMEMBERED } from '../../nodes/BhumanTrigger/deliveries';
import { startTriggerListener, type Delivery, type TriggerListener } from './harness';
import { sleep } from 'n8n-workflow';

const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const ID2 = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const CAMPAIGN = '16fd2706-8baf-433b-82eb-8c7fada847da';
const TOKEN = `tok-${randomBytes(10).toString('hex')}`;
const ALL_EVENTS = ['other', 'video.failed', 'video.succeeded', 'whatsapp.ready'];

const succeeded = (id = ID) => ({
	id,
	status: 'succeeded',
	video_url: `https://app.bhuman.ai/share/${id}`,
	url: `https://cdn.bhuman.ai/${id}.mp4`,
	thumbnail: `https://cdn.bhuman.ai/${id}.png`,
	gif: `https://cdn.bhuman.ai/${id}.gif`,
	campaign_id: CAMPAIGN,
	campaign_result_id: 'c1',
});
const failed = (id = ID) => ({
	id,
	status: 'failed',
	video_url: '',
	url: '',
	thumbnail: '',
	gif: '',
});
const whatsappReady = (id = ID) => ({
	event: 'whatsapp.ready',
	id,
	campaign_id: CAMPAIGN,
	whatsapp_video_url: `https://cdn.bhuman.ai/${id}-whatsapp.mp4`,
});

let listener: TriggerListener;
afterEach(async () => {
	await listener?.close();
});

function expectAccepted(delivery: Delivery) {
	expect(delivery.status).toBe(200);
	expect(delivery.response).toMatchObject({ result: 'accepted' });
	expect(delivery.items).toHaveLength(1);
	return delivery.items![0].json;
}

function expectNoExecution(delivery: Delivery, status: number) {
	expect(delivery.status).toBe(status);
	expect(delivery.items).toBeUndefined();
	expect(delivery.result?.workflowData).toBeUndefined();
}

describe('events', () => {
	it('starts on every event when all are selected, with one output shape', async () => {
		listener = await startTriggerListener({ parameters: { events: ALL_EVENTS } });

		const ok = expectAccepted(await listener.post(succeeded()));
		expect(ok).toEqual({
			id: ID,
			event: 'video.succeeded',
			status: 'succeeded',
			pageUrl: `https://app.bhuman.ai/share/${ID}`,
			mp4Url: `https://cdn.bhuman.ai/${ID}.mp4`,
			thumbnailUrl: `https://cdn.bhuman.ai/${ID}.png`,
			gifUrl: `https://cdn.bhuman.ai/${ID}.gif`,
			whatsappVideoUrl: null,
			message: null,
			campaignId: CAMPAIGN,
			verified: false,
			body: succeeded(),
		});

		const bad = expectAccepted(await listener.post(failed()));
		expect(bad).toMatchObject({
			id: ID,
			event: 'video.failed',
			status: 'failed',
			pageUrl: null,
			mp4Url: null,
			campaignId: null,
		});

		const whatsapp = expectAccepted(await listener.post(whatsappReady()));
		expect(whatsapp).toMatchObject({
			id: ID,
			event: 'whatsapp.ready',
			status: null,
			whatsappVideoUrl: `https://cdn.bhuman.ai/${ID}-whatsapp.mp4`,
			campaignId: CAMPAIGN,
			body: whatsappReady(),
		});

		const other = expectAccepted(await listener.post({ id: ID, status: 'processing' }));
		expect(other).toMatchObject({ event: 'video.processing', status: 'processing' });

		// Every output has the same keys.
		const keys = Object.keys(ok).sort();
		for (const json of [bad, whatsapp, other]) expect(Object.keys(json).sort()).toEqual(keys);
	});

	it('accepts share_url as the hosted page (the polling name of video_url)', async () => {
		listener = await startTriggerListener({ parameters: {} });
		const { video_url, ...rest } = succeeded();
		const json = expectAccepted(await listener.post({ ...rest, share_url: video_url }));
		expect(json.pageUrl).toBe(video_url);
	});

	it('defaults to succeeded and failed: other events are acknowledged with 200 and start nothing', async () => {
		listener = await startTriggerListener({ parameters: {} });
		expectAccepted(await listener.post(succeeded()));
		expectAccepted(await listener.post(failed(ID2)));

		const whatsapp = await listener.post(whatsappReady());
		expectNoExecution(whatsapp, 200);
		expect(whatsapp.response).toEqual({
			result: 'ignored',
			reason: 'event not selected',
			id: ID,
			event: 'whatsapp.ready',
		});

		const processing = await listener.post({ id: ID, status: 'processing' });
		expectNoExecution(processing, 200);
		expect(processing.response).toMatchObject({ result: 'ignored', event: 'video.processing' });
		expect(listener.accepted).toHaveLength(2);
	});

	it.each([
		[['whatsapp.ready'], ['whatsapp.ready']],
		[['video.failed'], ['video.failed']],
		[['other'], ['video.processing', 'video.queued']],
		[['video.succeeded'], ['video.succeeded']],
	])('with only %j selected, starts on %j', async (events, expected) => {
		listener = await startTriggerListener({ parameters: { events } });
		for (const body of [
			succeeded(),
			failed(),
			whatsappReady(),
			{ id: ID, status: 'processing' },
			{ id: ID, status: 'queued' },
		]) {
			await listener.post(body);
		}
		expect(listener.deliveries.every((d) => d.status === 200)).toBe(true);
		expect(listener.accepted.map((d) => d.items![0].json.event)).toEqual(expected);
	});
});

describe('token', () => {
	beforeEach(async () => {
		listener = await startTriggerListener({ parameters: { token: TOKEN } });
	});

	it('refuses a callback without the token with 401', async () => {
		const delivery = await listener.post(succeeded());
		expectNoExecution(delivery, 401);
		expect(delivery.response).toEqual({
			result: 'rejected',
			reason: 'This callback needs a token',
		});
		expectNoExecution(await listener.post(succeeded(), { query: 'token=' }), 401);
	});

	it('refuses a wrong token with 403, in the query or the header', async () => {
		for (const init of [
			{ query: 'token=nope' },
			{ query: `token=${TOKEN}x` },
			{ query: `token=${TOKEN.slice(0, -1)}` },
			{ headers: { 'X-BHuman-Token': 'nope' } },
		]) {
			const delivery = await listener.post(succeeded(), init);
			expectNoExecution(delivery, 403);
			expect(delivery.response).toEqual({ result: 'rejected', reason: 'The token is wrong' });
		}
	});

	it('checks the token before the body: a bad body without a token is a 401, not a 400', async () => {
		expectNoExecution(
			await listener.post('not json', { raw: true, headers: { 'content-type': 'text/plain' } }),
			401,
		);
		expectNoExecution(await listener.post({}, { query: 'token=wrong' }), 403);
	});

	it('accepts the right token in the query (with other query parameters) or in the X-BHuman-Token header', async () => {
		expectAccepted(
			await listener.post(succeeded(), {
				query: `my_param=aaa&token=${encodeURIComponent(TOKEN)}`,
			}),
		);
		expectAccepted(await listener.post(failed(), { headers: { 'X-BHuman-Token': TOKEN } }));
		expect(listener.accepted).toHaveLength(2);
	});

	it('never puts the token in an output or an answer', async () => {
		await listener.post(succeeded(), { query: `token=${TOKEN}` });
		await listener.post(failed(), { headers: { 'X-BHuman-Token': TOKEN } });
		await listener.post(succeeded(ID2), { query: 'token=wrong' });
		expect(listener.accepted).toHaveLength(2);
		expect(JSON.stringify(listener.deliveries)).not.toContain(TOKEN);
	});
});

describe('bad bodies', () => {
	beforeEach(async () => {
		listener = await startTriggerListener({ parameters: { events: ALL_EVENTS } });
	});

	it.each([
		['text that is not JSON', 'not json', 'text/plain', 'The callback body is not JSON'],
		[
			'bytes that are not JSON',
			'\u0000\u0001garbage',
			'application/octet-stream',
			'The callback body is not JSON',
		],
		['an empty body', '', 'application/json', 'The callback body is empty'],
		['an empty text body', '   ', 'text/plain', 'The callback body is empty'],
		[
			'a JSON array',
			JSON.stringify([succeeded()]),
			'application/json',
			'The callback body is not a JSON object',
		],
		[
			'a JSON string',
			JSON.stringify('hello'),
			'text/plain',
			'The callback body is not a JSON object',
		],
		['an empty object', '{}', 'application/json', 'The callback has no id'],
		[
			'no id',
			JSON.stringify({ status: 'succeeded', url: 'https://x/y.mp4' }),
			'application/json',
			'The callback has no id',
		],
		[
			'an empty id',
			JSON.stringify({ id: '', status: 'succeeded' }),
			'application/json',
			'The callback has no id',
		],
		[
			'a numeric id',
			JSON.stringify({ id: 42, status: 'succeeded' }),
			'application/json',
			'The callback id is not a string',
		],
		[
			'an id of 201 characters',
			JSON.stringify({ id: 'a'.repeat(201), status: 'succeeded' }),
			'application/json',
			'The callback id is not a UUID',
		],
		[
			'an id that is not a UUID',
			JSON.stringify({ id: 'gen-0001', status: 'succeeded' }),
			'application/json',
			'The callback id is not a UUID',
		],
		[
			'a UUID in braces',
			JSON.stringify({ id: `{${ID}}`, status: 'succeeded' }),
			'application/json',
			'The callback id is not a UUID',
		],
		[
			'neither status nor event',
			JSON.stringify({ id: ID }),
			'application/json',
			'The callback has neither a status nor an event',
		],
	])('answers %s with 400 and a short reason', async (_name, raw, contentType, reason) => {
		const delivery = await listener.post(raw, {
			raw: true,
			headers: { 'content-type': contentType },
		});
		expectNoExecution(delivery, 400);
		expect(delivery.response).toEqual({ result: 'rejected', reason });
	});

	it('reads a JSON callback sent with another content type', async () => {
		const json = expectAccepted(
			await listener.post(JSON.stringify(succeeded()), {
				raw: true,
				headers: { 'content-type': 'text/plain' },
			}),
		);
		expect(json.id).toBe(ID);
	});
});

describe('repeated deliveries', () => {
	it('ignores a repeat and accepts a new (event, id)', async () => {
		listener = await startTriggerListener({ parameters: { events: ALL_EVENTS } });
		expectAccepted(await listener.post(succeeded()));

		const repeat = await listener.post(succeeded());
		expectNoExecution(repeat, 200);
		expect(repeat.response).toEqual({
			result: 'ignored',
			reason: 'repeated delivery',
			id: ID,
			event: 'video.succeeded',
		});

		expectAccepted(await listener.post(whatsappReady())); // same id, new event
		expectAccepted(await listener.post(succeeded(ID2))); // same event, new id
		expectNoExecution(await listener.post(whatsappReady()), 200);
		expect(listener.accepted).toHaveLength(3);
		expect(Object.keys(listener.staticData())).toEqual(['node:BHuman Trigger']);
		expect(listener.rememberedKeys()).toEqual([
			deliveryKey('video.succeeded', ID),
			deliveryKey('whatsapp.ready', ID),
			deliveryKey('video.succeeded', ID2),
		]);
	});

	it('starts on every copy when Ignore Repeated Deliveries is off, and remembers nothing', async () => {
		listener = await startTriggerListener({ parameters: { ignoreRepeats: false } });
		expectAccepted(await listener.post(succeeded()));
		expectAccepted(await listener.post(succeeded()));
		expect(listener.staticData()).toEqual({});
	});

	it('the same id in upper, lower and mixed case is one delivery: one execution, one key', async () => {
		listener = await startTriggerListener({ parameters: {} });
		const mixed = ID.split('')
			.map((c, i) => (i % 2 ? c.toUpperCase() : c))
			.join('');
		expect(expectAccepted(await listener.post(succeeded(ID.toUpperCase()))).id).toBe(ID);
		for (const id of [ID, mixed, ` ${ID.toUpperCase()} `]) {
			const repeat = await listener.post(succeeded(id));
			expectNoExecution(repeat, 200);
			expect(repeat.response).toMatchObject({ reason: 'repeated delivery', id: ID });
		}
		expect(listener.accepted).toHaveLength(1);
		expect(listener.rememberedKeys()).toEqual([deliveryKey('video.succeeded', ID)]);
	});

	it('keeps at most 2,000 keys in static data over 2,001 distinct deliveries; after a restart the oldest is forgotten', async () => {
		listener = await startTriggerListener({ parameters: {} });
		const ids = Array.from({ length: MAX_REMEMBERED + 1 }, () => randomUUID());
		for (const id of ids) expectAccepted(await listener.post(succeeded(id)));

		const remembered = listener.rememberedKeys();
		expect(remembered).toHaveLength(2000);
		expect(remembered[0]).toBe(deliveryKey('video.succeeded', ids[1]));
		expect(remembered[1999]).toBe(deliveryKey('video.succeeded', ids[2000]));
		// 12 characters a key, end to end: what n8n reads and writes on every callback.
		const raw = (listener.staticData()['node:BHuman Trigger'] as { seen: string }).seen;
		expect(raw.length).toBe(2000 * 12);

		// This process still knows the oldest (its cache holds up to 10,000 keys).
		expectNoExecution(await listener.post(succeeded(ids[0])), 200);
		// After a restart only the static data remembers: the newest is known, the oldest starts again.
		listener.restart();
		expectNoExecution(await listener.post(succeeded(ids[2000])), 200);
		expectAccepted(await listener.post(succeeded(ids[0])));
		expect(listener.rememberedKeys()).toHaveLength(2000);
	}, 180_000);
});

describe('repeated deliveries after a burst', () => {
	// n8n loads static data when a request arrives and saves it when the execution ends (the
	// harness with execute: true does the same), so callbacks handled together used to save over
	// each other's memory: their repeats started the workflow again.
	it('20 callbacks at once, then each again one at a time: no repeat starts; after a restart the static data still knows all 20', async () => {
		listener = await startTriggerListener({ parameters: {}, execute: true, saveDelayMs: 100 });
		const ids = Array.from({ length: 20 }, () => randomUUID());
		await Promise.all(ids.map((id) => listener.post(succeeded(id))));
		await listener.waitFor(20);
		expect(listener.accepted).toHaveLength(20);
		for (const end = Date.now() + 10_000; listener.runs.length < 20 && Date.now() < end; )
			await sleep(10);

		for (const id of ids) expectNoExecution(await listener.post(succeeded(id)), 200);
		expect(listener.accepted).toHaveLength(20);
		expect([...listener.rememberedKeys()].sort()).toEqual(
			ids.map((id) => deliveryKey('video.succeeded', id)).sort(),
		);

		listener.restart();
		for (const id of ids) expectNoExecution(await listener.post(succeeded(id)), 200);
		expect(listener.accepted).toHaveLength(20);
	});

	it('saves that finish in the opposite order (n8n 2.x saves after creating each execution): the last one still holds all 50 keys', async () => {
		// Request i saves 25 ms sooner than request i - 1: the first accepted saves last.
		let order = 0;
		listener = await startTriggerListener({
			parameters: {},
			saveDelayMs: () => 1300 - 25 * order++,
		});
		const ids = Array.from({ length: 50 }, () => randomUUID());
		for (const id of ids) void listener.post(succeeded(id));
		await listener.waitFor(50);
		await sleep(1500);
		expect([...listener.rememberedKeys()].sort()).toEqual(
			ids.map((id) => deliveryKey('video.succeeded', id)).sort(),
		);
		listener.restart();
		for (const id of ids) expectNoExecution(await listener.post(succeeded(id)), 200);
		expect(listener.accepted).toHaveLength(50);
	});

	it('two copies arriving at the same instant start one execution', async () => {
		listener = await startTriggerListener({ parameters: {}, execute: true, saveDelayMs: 100 });
		await Promise.all([listener.post(succeeded()), listener.post(succeeded())]);
		await listener.waitFor(2);
		expect(listener.deliveries.map((d) => d.status)).toEqual([200, 200]);
		expect(listener.accepted).toHaveLength(1);
	});
});

describe('callbacks as BHuman may send them (docs/bhuman-api.md)', () => {
	beforeEach(async () => {
		listener = await startTriggerListener({ parameters: { token: TOKEN, events: ALL_EVENTS } });
	});

	it('the id only in the URL (the 2023 Swagger: "an id parameter as a querystring")', async () => {
		const withoutId: Record<string, unknown> = { ...succeeded() };
		delete withoutId.id;
		const json = expectAccepted(
			await listener.post(withoutId, { query: `token=${TOKEN}&id=${ID.toUpperCase()}` }),
		);
		expect(json).toMatchObject({ id: ID, event: 'video.succeeded' });
	});

	it('?id= appended naively to a URL that has a query already: the token and the id are read', async () => {
		const withoutId: Record<string, unknown> = { ...succeeded() };
		delete withoutId.id;
		const json = expectAccepted(
			await listener.post(withoutId, { query: `token=${TOKEN}?id=${ID}` }),
		);
		expect(json.id).toBe(ID);
		// With the id in the body too (the same one): accepted as well.
		expectAccepted(await listener.post(failed(), { query: `token=${TOKEN}?id=${ID}` }));
	});

	it('an id in the body and another in the URL: refused 400, nothing starts', async () => {
		const delivery = await listener.post(succeeded(ID), { query: `token=${TOKEN}?id=${ID2}` });
		expectNoExecution(delivery, 400);
		expect(delivery.response).toMatchObject({
			result: 'rejected',
			reason: `The callback names two generations: ${ID} in its body, ${ID2} in its URL`,
		});
	});

	it("status completed (BHuman's docs site) is the Video Succeeded event; its status as sent", async () => {
		const json = expectAccepted(
			await listener.post({ ...succeeded(), status: 'completed' }, { query: `token=${TOKEN}` }),
		);
		expect(json).toMatchObject({ event: 'video.succeeded', status: 'completed' });
		// A repeat as "succeeded" is the same delivery.
		expectNoExecution(await listener.post(succeeded(), { query: `token=${TOKEN}` }), 200);
	});
});
