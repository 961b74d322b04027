/**
 * Error paths of the BHuman node through n8n's execution engine against the
 * simulator: BHuman's error answers, retries, Continue On Fail, and that no
 * error or output ever carries the API key secret.
 */
import { randomBytes } from 'node:crypto';
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { runBHuman, type RunResult, type SimCredentials } from '../helpers/engine';
import { closedPort, rl, withSimulator } from '../helpers/sim';

const SECRET = `secret-value-that-must-never-leak-${randomBytes(8).toString('hex')}`;
const WRONG_SECRET = `wrong-secret-that-must-never-leak-${randomBytes(8).toString('hex')}`;
const h = withSimulator({ keyId: 'test-key-id', keySecret: SECRET });

const basic = (id: string, secret: string) => Buffer.from(`${id}:${secret}`).toString('base64');

/** Neither secret, nor a Basic header value built from it, appears in the error or the output items. */
function expectNoSecrets(result: RunResult) {
	const forbidden = [
		SECRET,
		WRONG_SECRET,
		basic(h.sim.keyId, SECRET),
		basic(h.sim.keyId, WRONG_SECRET),
	];
	const texts = [
		JSON.stringify(result.error ?? null),
		String(result.error?.stack ?? ''),
		JSON.stringify(result.items),
	];
	for (const text of texts) for (const secret of forbidden) expect(text).not.toContain(secret);
}

async function run(
	parameters: INodeParameters,
	options: { items?: IDataObject[]; credentials?: SimCredentials; continueOnFail?: boolean } = {},
) {
	const result = await runBHuman({
		...options,
		parameters,
		credentials: options.credentials ?? h.credentials,
	});
	expectNoSecrets(result);
	return result;
}

const instance = (index = 0) => h.sim.data.videoInstances[index];
const getInstance = (id: string): INodeParameters => ({
	resource: 'videoInstance',
	operation: 'get',
	videoInstanceId: rl(id),
});
const log = () => h.sim.requests.map(({ method, path, status }) => [method, path, status]);
const UNKNOWN = '7d859e18-dc89-446f-9718-9533bb178a75';

test('the secret check itself catches a secret or its Basic value in an error or an item', () => {
	const leak =
		(error: unknown, items: unknown[] = []) =>
		() =>
			expectNoSecrets({ error, items } as unknown as RunResult);
	expect(leak({ message: 'ok' })).not.toThrow();
	expect(leak({ message: 'x', context: { auth: { password: SECRET } } })).toThrow();
	expect(
		leak(undefined, [{ json: { header: `Basic ${basic(h.sim.keyId, WRONG_SECRET)}` } }]),
	).toThrow();
	expect(leak({ message: 'x', stack: `Error: ${basic(h.sim.keyId, SECRET)}` })).toThrow();
});

describe('BHuman error answers', () => {
	test('401 (wrong secret): says to check the API key ID and secret, httpCode 401, no secret anywhere', async () => {
		const result = await run(getInstance(instance().id), {
			credentials: { ...h.credentials, apiKeySecret: WRONG_SECRET },
		});
		expect(result.error).toBeDefined();
		expect(result.error!.message).toMatch(/check the API Key ID and API Key Secret/i);
		expect((result.error as unknown as IDataObject).httpCode).toBe('401');
		expect(result.items).toEqual([]);
		// Sent with the wrong secret, and not retried.
		expect(h.sim.requests).toHaveLength(1);
		expect(h.sim.requests[0].headers.authorization).toBe(
			`Basic ${basic(h.sim.keyId, WRONG_SECRET)}`,
		);
		expect(log()).toEqual([['GET', '/api/ai_studio/video_instance', 401]]);
	});

	test('401 on a list operation too (workspaces, user host path)', async () => {
		const result = await run(
			{ resource: 'workspace', operation: 'getAll', returnAll: true },
			{ credentials: { ...h.credentials, apiKeySecret: WRONG_SECRET } },
		);
		expect(result.error?.message).toMatch(/API Key ID and API Key Secret/);
		expect((result.error as unknown as IDataObject).httpCode).toBe('401');
		expect(log()).toEqual([['GET', '/api/workspace', 401]]);
	});

	test('404 on Video Instance → Get names the id that was not found', async () => {
		const result = await run(getInstance(UNKNOWN));
		expect(result.error?.message).toBe(`Video instance ${UNKNOWN} was not found`);
		expect((result.error as unknown as IDataObject).httpCode).toBe('404');
		expect(log()).toEqual([['GET', '/api/ai_studio/video_instance', 404]]);
	});

	test('404 on Campaign → Get and Get Generated Videos names the campaign', async () => {
		for (const operation of ['get', 'getGeneratedVideos']) {
			h.sim.clearRequests();
			const result = await run({
				resource: 'campaign',
				operation,
				campaignId: rl(UNKNOWN),
				returnAll: true,
			});
			expect(result.error?.message).toBe(`Campaign ${UNKNOWN} was not found`);
			expect((result.error as unknown as IDataObject).httpCode).toBe('404');
			expect(h.sim.requests).toHaveLength(1);
		}
	});

	test('404 on Video → Get Many names the video instance', async () => {
		const result = await run({
			resource: 'video',
			operation: 'getAll',
			videoInstanceId: rl(UNKNOWN),
			returnAll: true,
		});
		expect(result.error?.message).toBe(`Video instance ${UNKNOWN} was not found`);
	});

	test('404 on the Workspace filter names the workspace', async () => {
		const result = await run({
			resource: 'workspace',
			operation: 'getAll',
			returnAll: true,
			filters: { workspaceId: rl(UNKNOWN) },
		});
		expect(result.error?.message).toBe(`Workspace ${UNKNOWN} was not found`);
		expect(log()).toEqual([['GET', '/api/workspace', 404]]);
	});

	test("422 shows BHuman's message in the message and the description, and is not retried", async () => {
		h.sim.inject({
			path: '/api/ai_studio/video_instance',
			status: 422,
			body: { code: 422, message: 'Invalid UUID for parameter id' },
		});
		const result = await run(getInstance(instance().id));
		expect(result.error?.message).toBe(
			'BHuman rejected the request: Invalid UUID for parameter id',
		);
		expect(result.error?.description).toBe('BHuman says: Invalid UUID for parameter id');
		expect((result.error as unknown as IDataObject).httpCode).toBe('422');
		expect(log()).toEqual([['GET', '/api/ai_studio/video_instance', 422]]);
	});

	test("400 shows BHuman's message (detail field), and is not retried", async () => {
		h.sim.inject({
			path: '/api/workspace',
			status: 400,
			body: { detail: 'size must be at most 100' },
		});
		const result = await run({ resource: 'workspace', operation: 'getAll', returnAll: true });
		expect(result.error?.message).toBe('BHuman rejected the request: size must be at most 100');
		expect(result.error?.description).toBe('BHuman says: size must be at most 100');
		expect((result.error as unknown as IDataObject).httpCode).toBe('400');
		expect(log()).toEqual([['GET', '/api/workspace', 400]]);
	});

	test('a real 404 from BHuman on Product → Use (unknown product) is reported, with its message', async () => {
		const result = await run({
			resource: 'product',
			operation: 'use',
			productId: rl(UNKNOWN),
			workspaceId: rl(h.sim.data.workspaces[0].workspace_id),
		});
		expect(result.error?.message).toBe(
			`One of product ${UNKNOWN}, workspace ${h.sim.data.workspaces[0].workspace_id} was not found`,
		);
		expect(result.error?.description).toBe(`BHuman says: Product ${UNKNOWN} not found`);
		expect(log()).toEqual([['POST', '/api/store/product/use', 404]]);
	});
});

describe('retries', () => {
	test('429 with Retry-After: 0, then success: the result is fine after 2 GETs', async () => {
		h.sim.inject({
			path: '/api/ai_studio/video_instance',
			status: 429,
			headers: { 'retry-after': '0' },
		});
		const result = await run(getInstance(instance(3).id));
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json)).toEqual([instance(3)]);
		expect(log()).toEqual([
			['GET', '/api/ai_studio/video_instance', 429],
			['GET', '/api/ai_studio/video_instance', 200],
		]);
	});

	test('429 with Retry-After: 1 waits about a second before the retry', async () => {
		h.sim.inject({ path: '/api/store/settings', status: 429, headers: { 'retry-after': '1' } });
		const result = await run({ resource: 'store', operation: 'getSettings' });
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json)).toEqual([
			{ category: h.sim.data.categories, tags: h.sim.data.tags },
		]);
		expect(log()).toEqual([
			['GET', '/api/store/settings', 429],
			['GET', '/api/store/settings', 200],
		]);
		expect(h.sim.requests[1].at - h.sim.requests[0].at).toBeGreaterThanOrEqual(900);
	});

	test('a Retry-After above a minute is not waited for: the 429 is reported at once', async () => {
		h.sim.inject({ path: '/api/store/settings', status: 429, headers: { 'retry-after': '3600' } });
		const result = await run({ resource: 'store', operation: 'getSettings' });
		expect(result.error?.message).toMatch(/rate limiting/);
		expect((result.error as unknown as IDataObject).httpCode).toBe('429');
		expect(log()).toEqual([['GET', '/api/store/settings', 429]]);
	});

	test('5xx once, then success: fine after 2 requests', async () => {
		h.sim.inject({ path: '/api/store/product', status: 503 });
		const result = await run({ resource: 'product', operation: 'getAll', returnAll: true });
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json)).toEqual(h.sim.data.products);
		expect(log()).toEqual([
			['GET', '/api/store/product', 503],
			['GET', '/api/store/product', 200],
		]);
	});

	test('5xx on the second page: only that page is asked again, and all 250 instances come back', async () => {
		h.sim.inject({ path: '/api/ai_studio/video_instances', status: 502, after: 1 });
		const result = await run({ resource: 'videoInstance', operation: 'getAll', returnAll: true });
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json)).toEqual(h.sim.data.videoInstances);
		expect(h.sim.requests.map((r) => [r.query.page, r.status])).toEqual([
			['0', 200],
			['1', 502],
			['1', 200],
			['2', 200],
		]);
	});

	test('5xx always: the error comes after exactly 4 attempts (3 retries)', async () => {
		h.sim.inject({ path: '/api/ai_studio/campaigns', status: 500, times: -1 });
		const started = Date.now();
		const result = await run({ resource: 'campaign', operation: 'getAll', returnAll: true });
		expect(result.error?.message).toBe('BHuman answered with a server error (500)');
		expect((result.error as unknown as IDataObject).httpCode).toBe('500');
		expect(log()).toEqual(
			Array.from({ length: 4 }, () => ['GET', '/api/ai_studio/campaigns', 500]),
		);
		// Backoff 0.5 s, 1 s, 2 s between the attempts.
		expect(Date.now() - started).toBeGreaterThanOrEqual(3400);
	});

	test('a dropped connection once, then success: fine after 2 requests', async () => {
		h.sim.inject({ path: '/api/ai_studio/campaign', drop: true });
		const campaign = h.sim.data.campaigns[2];
		const result = await run({
			resource: 'campaign',
			operation: 'get',
			campaignId: rl(campaign.id),
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json)).toEqual([campaign]);
		expect(log()).toEqual([
			['GET', '/api/ai_studio/campaign', 0],
			['GET', '/api/ai_studio/campaign', 200],
		]);
	});

	test('connection refused: a clear error naming ECONNREFUSED and the origin, without the secret', async () => {
		const port = await closedPort();
		const baseUrl = `http://127.0.0.1:${port}`;
		const result = await run(getInstance(instance().id), {
			credentials: { ...h.credentials, baseUrl },
		});
		expect(result.error).toBeDefined();
		expect(result.error!.message).toContain('ECONNREFUSED');
		expect(result.error!.message).toContain(baseUrl);
		expect(result.error!.message).toMatch(/BHuman/);
		expect(result.error!.description).toMatch(/Base URL/);
		expect(h.sim.requests).toEqual([]);
	});

	test('POST /api/store/product/use answering 500 is not retried', async () => {
		h.sim.inject({ method: 'POST', path: '/api/store/product/use', status: 500, times: -1 });
		const result = await run({
			resource: 'product',
			operation: 'use',
			productId: rl(h.sim.data.products[0].id),
			workspaceId: rl(h.sim.data.workspaces[0].workspace_id),
		});
		expect(result.error?.message).toBe('BHuman answered with a server error (500)');
		expect(log()).toEqual([['POST', '/api/store/product/use', 500]]);
	});

	test('POST /api/store/product/use with a dropped connection is not retried either', async () => {
		h.sim.inject({ method: 'POST', path: '/api/store/product/use', drop: true });
		const result = await run({
			resource: 'product',
			operation: 'use',
			productId: rl(h.sim.data.products[0].id),
			workspaceId: rl(h.sim.data.workspaces[0].workspace_id),
		});
		expect(result.error?.message).toMatch(/BHuman/);
		expect(log()).toEqual([['POST', '/api/store/product/use', 0]]);
	});
});

describe('Continue On Fail', () => {
	const byExpression: INodeParameters = {
		resource: 'videoInstance',
		operation: 'get',
		videoInstanceId: rl('={{ $json.id }}'),
	};

	test('item 1 with a bad id: 3 output items, item 1 holds the error naming it, the others their data', async () => {
		const [a, c] = [instance(11), instance(12)];
		const result = await run(byExpression, {
			items: [{ id: a.id }, { id: 'not-a-uuid' }, { id: c.id }],
			continueOnFail: true,
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(3);
		expect(result.items.map((item) => item.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
		]);
		expect(result.items[0].json).toEqual(a);
		expect(result.items[2].json).toEqual(c);
		expect(result.items[1].json.error).toEqual(expect.stringContaining('item 1'));
		expect(result.items[1].json.error).toEqual(expect.stringContaining('Video Instance'));
		expect(Object.keys(result.items[1].json)).not.toContain('id');
		// No request for the bad item.
		expect(h.sim.requests.map((r) => r.query.id)).toEqual([a.id, c.id]);
	});

	test('an API error (404) on item 1 becomes its output item with the httpCode', async () => {
		const [a, c] = [instance(21), instance(22)];
		const result = await run(byExpression, {
			items: [{ id: a.id }, { id: UNKNOWN }, { id: c.id }],
			continueOnFail: true,
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json)).toEqual([
			a,
			expect.objectContaining({
				error: `Video instance ${UNKNOWN} was not found`,
				httpCode: '404',
			}),
			c,
		]);
		expect(result.items.map((item) => item.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
		]);
		expect(h.sim.requests).toHaveLength(3);
	});

	test('a wrong secret: every item holds the 401 error, no secret in any of them', async () => {
		const result = await run(byExpression, {
			items: [{ id: instance(1).id }, { id: instance(2).id }],
			credentials: { ...h.credentials, apiKeySecret: WRONG_SECRET },
			continueOnFail: true,
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(2);
		for (const item of result.items) {
			expect(item.json.error).toMatch(/API Key ID and API Key Secret/);
			expect(item.json.httpCode).toBe('401');
		}
	});

	test('connections dropped on every attempt: after 4 attempts the item holds the network error', async () => {
		h.sim.inject({ path: '/api/ai_studio/video_instance', drop: true, times: -1 });
		const result = await run(byExpression, {
			items: [{ id: instance(1).id }],
			continueOnFail: true,
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(1);
		expect(result.items[0].json.error).toMatch(/Could not reach BHuman/);
		expect(h.sim.requests).toHaveLength(4);
	});
});

test.each([
	['resource', { resource: '__CUSTOM_API_CALL__', operation: 'get' }],
	['operation', { resource: 'video', operation: '__CUSTOM_API_CALL__' }],
])(
	"n8n's Custom API Call as the %s points to the HTTP Request node, nothing sent",
	async (_, parameters) => {
		const result = await run(parameters);
		expect(result.error?.message).toBe('Custom API Call is made with the HTTP Request node');
		expect(result.error?.description).toContain('Predefined Credential Type → BHuman API');
		expect(h.sim.requests).toHaveLength(0);
	},
);

test('a resource or operation this version does not know is named in the error', async () => {
	const resource = await run({ resource: 'movie', operation: 'get' });
	expect(resource.error?.message).toBe('The resource "movie" is not supported');
	const operation = await run({ resource: 'video', operation: 'delete' });
	expect(operation.error?.message).toBe(
		'The operation "delete" of the resource "video" is not supported',
	);
	expect(h.sim.requests).toHaveLength(0);
});
