/**
 * Every operation of the BHuman node, run through n8n's execution engine
 * against the local BHuman simulator over real HTTP. Outputs are compared with
 * what the simulator holds, and the request log with what the node must send. The cases that are
 * one workflow with one expected output live in test/workflows (run by workflows.test.ts); these are
 * the ones about paging, request counts, pairing, errors and generated data.
 */
import { WorkflowHasIssuesError } from 'n8n-core';
import type {
	IDataObject,
	IHttpRequestOptions,
	INode,
	INodeExecutionData,
	INodeParameters,
} from 'n8n-workflow';
import { sleep, Workflow } from 'n8n-workflow';
import { BhumanApi } from '../../credentials/BhumanApi.credentials';
import { nodeTypes, runBHuman, TestCredentialsHelper, type RunResult } from '../helpers/engine';
import { rl, simGetAll, simPost, withSimulator } from '../helpers/sim';

// 130 videos per campaign: the campaign lists need two pages.
const h = withSimulator({ sizes: { generatedVideosPerCampaign: 130 } });

const INSTANCE_URL = 'https://app.bhuman.ai/instance/';
const CAMPAIGN_URL = 'https://app.bhuman.ai/campaign/generatedVideos/';
const GENERATED_BY_INSTANCE = '/api/ai_studio/generated_video_by_video_instance_id';
const GENERATED_BY_CAMPAIGN = '/api/ai_studio/generated_video_by_campaign_id';

async function run(parameters: INodeParameters, items?: IDataObject[]): Promise<RunResult> {
	const result = await runBHuman({ parameters, items, credentials: h.credentials });
	if (result.error)
		throw new Error(
			`unexpected error: ${result.error.message} (${String(result.error.description)})`,
		);
	return result;
}

const jsons = (items: INodeExecutionData[]) => items.map((item) => item.json);

function expectPairedTo(items: INodeExecutionData[], inputIndexes: number[]) {
	expect(items.map((item) => item.pairedItem)).toEqual(inputIndexes.map((item) => ({ item })));
}

interface ExpectedRequest {
	method?: string;
	path: string;
	query?: Record<string, string>;
	body?: unknown;
}

/** The simulator's request log is exactly these requests, each with the Basic header of the credential. */
function expectRequests(expected: ExpectedRequest[]) {
	const log = h.sim.requests;
	expect(log.map(({ method, path, query }) => ({ method, path, query }))).toEqual(
		expected.map(({ method = 'GET', path, query = {} }) => ({ method, path, query })),
	);
	const basic = `Basic ${Buffer.from(`${h.sim.keyId}:${h.sim.keySecret}`).toString('base64')}`;
	for (const request of log) expect(request.headers.authorization).toBe(basic);
	expected.forEach((request, index) => {
		if (request.body !== undefined) expect(log[index].body).toEqual(request.body);
	});
}

const page = (n: number, size = 100, extra: Record<string, string> = {}) => ({
	...extra,
	page: String(n),
	size: String(size),
});

/** A generated video as the node outputs it: BHuman's record plus the normalized fields. */
function normalized(record: IDataObject): IDataObject {
	const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
	return {
		...record,
		id: record.id,
		status: record.status,
		pageUrl: text(record.share_url) ?? text(record.vimeo_url),
		mp4Url: text(record.url),
		thumbnailUrl: text(record.thumbnail),
		gifUrl: text(record.gif),
		whatsappVideoUrl: text(record.whatsapp_video_url),
		message: text(record.message),
		videoInstanceId: record.video_instance_id,
		campaignId: record.campaign_id,
		rowIndex: record.row_index,
	};
}

describe('Video Instance → Get Many', () => {
	test('Return All walks every page (0, 1, 2 of 100) and returns all 250 instances in API order', async () => {
		const { items } = await run({
			resource: 'videoInstance',
			operation: 'getAll',
			returnAll: true,
		});
		expect(h.sim.data.videoInstances).toHaveLength(250);
		expect(jsons(items)).toEqual(h.sim.data.videoInstances);
		expectPairedTo(
			items,
			items.map(() => 0),
		);
		const path = '/api/ai_studio/video_instances';
		expectRequests([0, 1, 2].map((n) => ({ path, query: page(n) })));
	});

	test('Limit 150 makes exactly two requests of 100 and returns the first 150', async () => {
		const { items } = await run({
			resource: 'videoInstance',
			operation: 'getAll',
			returnAll: false,
			limit: 150,
		});
		expect(jsons(items)).toEqual(h.sim.data.videoInstances.slice(0, 150));
		const path = '/api/ai_studio/video_instances';
		expectRequests([
			{ path, query: page(0) },
			{ path, query: page(1) },
		]);
	});

	test('without Return All nor Limit, the default limit of 50 applies', async () => {
		const { items } = await run({ resource: 'videoInstance', operation: 'getAll' });
		expect(jsons(items)).toEqual(h.sim.data.videoInstances.slice(0, 50));
		expectRequests([{ path: '/api/ai_studio/video_instances', query: page(0, 50) }]);
	});

	test('two input items: the list is read once per item, each output paired to its item', async () => {
		const { items } = await run({ resource: 'videoInstance', operation: 'getAll', limit: 3 }, [
			{ a: 1 },
			{ a: 2 },
		]);
		const first = h.sim.data.videoInstances.slice(0, 3);
		expect(jsons(items)).toEqual([...first, ...first]);
		expectPairedTo(items, [0, 0, 0, 1, 1, 1]);
		const path = '/api/ai_studio/video_instances';
		expectRequests([
			{ path, query: page(0, 3) },
			{ path, query: page(0, 3) },
		]);
	});
});

describe('Video Instance → Get', () => {
	test('an ID by expression that is no UUID is rejected before any request, naming the item and the field', async () => {
		const result = await runBHuman({
			parameters: {
				resource: 'videoInstance',
				operation: 'get',
				videoInstanceId: rl('={{ "not-a-uuid" }}'),
			},
			credentials: h.credentials,
		});
		expect(result.error).toBeDefined();
		expect(result.error!.message).toMatch(/Video Instance/);
		expect(result.error!.message).toMatch(/item 0/);
		expect(result.error!.message).toContain('not-a-uuid');
		expect(result.items).toEqual([]);
		expect(h.sim.requests).toEqual([]);
	});

	test('the error names the failing item when it is not the first', async () => {
		const good = h.sim.data.videoInstances[0].id;
		const result = await runBHuman({
			parameters: {
				resource: 'videoInstance',
				operation: 'get',
				videoInstanceId: rl('={{ $json.id }}'),
			},
			items: [{ id: good }, { id: 'nope' }],
			credentials: h.credentials,
		});
		expect(result.error?.message).toMatch(/Video Instance of item 1 is not a valid ID/);
		expect(result.error?.context?.itemIndex).toBe(1);
		// Item 0 was read; nothing was sent for item 1.
		expectRequests([{ path: '/api/ai_studio/video_instance', query: { id: good } }]);
	});

	test("a static invalid ID is refused by n8n's own parameter validation", async () => {
		await expect(
			runBHuman({
				parameters: {
					resource: 'videoInstance',
					operation: 'get',
					videoInstanceId: rl('not-a-uuid'),
				},
				credentials: h.credentials,
			}),
		).rejects.toThrow(WorkflowHasIssuesError);
		expect(h.sim.requests).toEqual([]);
	});

	test("a static URL of the wrong kind is refused by n8n's own parameter validation", async () => {
		const campaign = h.sim.data.campaigns[0];
		await expect(
			runBHuman({
				parameters: {
					resource: 'videoInstance',
					operation: 'get',
					videoInstanceId: rl(`${CAMPAIGN_URL}${campaign.id}`, 'url'),
				},
				credentials: h.credentials,
			}),
		).rejects.toThrow(WorkflowHasIssuesError);
		expect(h.sim.requests).toEqual([]);
	});
});

describe('Video → Get Many (generated videos of an instance)', () => {
	// The instance gets 130 more videos (rendered at once by the simulator) on top of its seeded ones.
	const instanceId = () => h.sim.data.videoInstances[1].id;
	beforeEach(async () => {
		const names = Array.from({ length: 130 }, (_, row) => [`Name ${row}`, `Company ${row}`]);
		await simPost(h, '/api/ai_studio/try_sample', {
			video_instance_id: instanceId(),
			variables: ['name', 'company'],
			names,
		});
		await sleep(150);
	});

	test('Return All walks the pages with video_instance_id and returns every video, normalized', async () => {
		const expected = await simGetAll<IDataObject>(h, GENERATED_BY_INSTANCE, {
			video_instance_id: instanceId(),
		});
		expect(expected.length).toBeGreaterThan(100);
		expect(expected.length).toBeLessThan(200);
		const { items } = await run({
			resource: 'video',
			operation: 'getAll',
			videoInstanceId: rl(instanceId(), 'list'),
			returnAll: true,
		});
		expect(jsons(items)).toEqual(expected.map(normalized));
		expect(items.every((item) => item.json.videoInstanceId === instanceId())).toBe(true);
		expectPairedTo(
			items,
			items.map(() => 0),
		);
		const q = { video_instance_id: instanceId() };
		expectRequests([
			{ path: GENERATED_BY_INSTANCE, query: page(0, 100, q) },
			{ path: GENERATED_BY_INSTANCE, query: page(1, 100, q) },
		]);
	});

	test('Limit 2 by instance URL: one request of size 2', async () => {
		const expected = await simGetAll<IDataObject>(h, GENERATED_BY_INSTANCE, {
			video_instance_id: instanceId(),
		});
		const { items } = await run({
			resource: 'video',
			operation: 'getAll',
			videoInstanceId: rl(`${INSTANCE_URL}${instanceId()}`, 'url'),
			returnAll: false,
			limit: 2,
		});
		expect(jsons(items)).toEqual(expected.slice(0, 2).map(normalized));
		expectRequests([
			{ path: GENERATED_BY_INSTANCE, query: page(0, 2, { video_instance_id: instanceId() }) },
		]);
	});
});

describe('Product → Use', () => {
	const use = '/api/store/product/use';

	test('without folder nor instance: sends nulls, BHuman creates both', async () => {
		const product = h.sim.data.products[4];
		const workspace = h.sim.data.workspaces[1];
		const foldersBefore = h.sim.data.folders.length;
		const { items } = await run({
			resource: 'product',
			operation: 'use',
			productId: rl(product.id, 'list'),
			workspaceId: rl(workspace.workspace_id, 'id'),
		});
		expectRequests([
			{
				method: 'POST',
				path: use,
				body: {
					id: product.id,
					workspace_id: workspace.workspace_id,
					folder_id: null,
					video_instance_id: null,
				},
			},
		]);
		expect(items).toHaveLength(1);
		expectPairedTo(items, [0]);
		const out = items[0].json;
		// The new instance and folder are now in the simulator's account.
		const created = h.sim.data.videoInstances.find(
			(instance) => instance.id === out.video_instance_id,
		);
		expect(created).toBeDefined();
		expect(created!.product_id).toBe(product.id);
		expect(created!.folder_id).toBe(out.folder_id);
		expect(h.sim.data.folders).toHaveLength(foldersBefore + 1);
		expect(h.sim.data.folders.map((folder) => folder.id)).toContain(out.folder_id);
		expect(out.product).toEqual(product);
		expect(out.segments).toEqual(
			expect.arrayContaining([expect.stringMatching(/^[0-9a-f-]{36}$/)]),
		);
		expect(out.video_id).toEqual(expect.any(String));
	});

	test('with a folder: sends folder_id, the new instance is in that folder', async () => {
		const product = h.sim.data.products[0];
		const workspace = h.sim.data.workspaces[0];
		const folder = h.sim.data.folders[3];
		const { items } = await run({
			resource: 'product',
			operation: 'use',
			productId: rl(product.id),
			workspaceId: rl(workspace.workspace_id, 'list'),
			options: { folderId: rl(folder.id, 'list') },
		});
		expectRequests([
			{
				method: 'POST',
				path: use,
				body: {
					id: product.id,
					workspace_id: workspace.workspace_id,
					folder_id: folder.id,
					video_instance_id: null,
				},
			},
		]);
		const out = items[0].json;
		expect(out.folder_id).toBe(folder.id);
		const created = h.sim.data.videoInstances.find(
			(instance) => instance.id === out.video_instance_id,
		);
		expect(created?.folder_id).toBe(folder.id);
		expect(Array.isArray(out.segments) && out.segments.length).toBeGreaterThan(0);
	});

	test('with a folder and a video instance (by URL): applies the product to that instance', async () => {
		const product = h.sim.data.products[2];
		const workspace = h.sim.data.workspaces[0];
		const instance = h.sim.data.videoInstances[5];
		const countBefore = h.sim.data.videoInstances.length;
		const { items } = await run({
			resource: 'product',
			operation: 'use',
			productId: rl(product.id),
			workspaceId: rl(workspace.workspace_id),
			options: {
				folderId: rl(instance.folder_id),
				videoInstanceId: rl(`${INSTANCE_URL}${instance.id}`, 'url'),
			},
		});
		expectRequests([
			{
				method: 'POST',
				path: use,
				body: {
					id: product.id,
					workspace_id: workspace.workspace_id,
					folder_id: instance.folder_id,
					video_instance_id: instance.id,
				},
			},
		]);
		expect(items[0].json.video_instance_id).toBe(instance.id);
		expect(items[0].json.folder_id).toBe(instance.folder_id);
		expect(h.sim.data.videoInstances).toHaveLength(countBefore);
	});

	test('a video instance without a folder is refused before any request, mentioning Folder', async () => {
		const result = await runBHuman({
			parameters: {
				resource: 'product',
				operation: 'use',
				productId: rl(h.sim.data.products[0].id),
				workspaceId: rl(h.sim.data.workspaces[0].workspace_id),
				options: { videoInstanceId: rl(h.sim.data.videoInstances[0].id) },
			},
			credentials: h.credentials,
		});
		expect(result.error?.message).toMatch(/Folder/);
		expect(result.error?.message).toMatch(/item 0/);
		expect(h.sim.requests).toEqual([]);
	});

	test('two input items: one POST per item', async () => {
		const [p1, p2] = [h.sim.data.products[6], h.sim.data.products[7]];
		const workspace = h.sim.data.workspaces[3];
		const { items } = await run(
			{
				resource: 'product',
				operation: 'use',
				productId: rl('={{ $json.product }}'),
				workspaceId: rl(workspace.workspace_id),
			},
			[{ product: p1.id }, { product: p2.id }],
		);
		expect(items.map((item) => (item.json.product as IDataObject).id)).toEqual([p1.id, p2.id]);
		expectPairedTo(items, [0, 1]);
		const body = (id: string) => ({
			id,
			workspace_id: workspace.workspace_id,
			folder_id: null,
			video_instance_id: null,
		});
		expectRequests([
			{ method: 'POST', path: use, body: body(p1.id) },
			{ method: 'POST', path: use, body: body(p2.id) },
		]);
	});
});

describe('Campaign → Get Generated Videos', () => {
	test('Return All walks the pages with campaign_id and returns all 130 videos, normalized', async () => {
		const campaign = h.sim.data.campaigns[0];
		const expected = await simGetAll<IDataObject>(h, GENERATED_BY_CAMPAIGN, {
			campaign_id: campaign.id,
		});
		expect(expected).toHaveLength(130);
		const { items } = await run({
			resource: 'campaign',
			operation: 'getGeneratedVideos',
			campaignId: rl(campaign.id, 'list'),
			returnAll: true,
		});
		expect(jsons(items)).toEqual(expected.map(normalized));
		expect(items.every((item) => item.json.campaignId === campaign.id)).toBe(true);
		expectPairedTo(
			items,
			items.map(() => 0),
		);
		const q = { campaign_id: campaign.id };
		expectRequests([
			{ path: GENERATED_BY_CAMPAIGN, query: page(0, 100, q) },
			{ path: GENERATED_BY_CAMPAIGN, query: page(1, 100, q) },
		]);
	});

	test('WhatsApp-enabled campaign: whatsappVideoUrl carries the WhatsApp MP4', async () => {
		const campaign = h.sim.data.campaigns.find((c) => c.whatsapp_enabled)!;
		const { items } = await run({
			resource: 'campaign',
			operation: 'getGeneratedVideos',
			campaignId: rl(campaign.id),
			returnAll: false,
			limit: 20,
		});
		const succeeded = items.filter((item) => item.json.status === 'succeeded');
		expect(succeeded.length).toBeGreaterThan(0);
		for (const item of succeeded) expect(item.json.whatsappVideoUrl).toMatch(/-whatsapp\.mp4$/);
	});
});

describe('Credential', () => {
	const credential = new BhumanApi();

	/** Resolves a credential expression over $credentials as n8n does (see engine.ts). */
	function resolve(expression: string, credentials: IDataObject): string {
		const node: INode = {
			id: 'c',
			name: 'Credential',
			type: 'n8n-nodes-bhuman.bhuman',
			typeVersion: 1,
			position: [0, 0],
			parameters: {},
		};
		const workflow = new Workflow({
			id: 'c',
			nodes: [node],
			connections: {},
			nodeTypes,
			active: false,
		});
		return String(
			workflow.expression.getSimpleParameterValue(
				node,
				expression,
				'internal',
				{ $credentials: credentials } as never,
				undefined,
				'',
			),
		);
	}

	/** The request options n8n sends for the credential's test, after the credential's authenticate. */
	const authenticated = async (values: Record<string, string>) =>
		await (
			credential.authenticate as (
				c: Record<string, string>,
				r: IHttpRequestOptions,
			) => Promise<IHttpRequestOptions>
		)(values, {
			...credential.test.request,
			url: credential.test.request.url!,
		} as IHttpRequestOptions);

	test('applies Basic auth from the key id and secret', async () => {
		const options = await authenticated({
			apiKeyId: 'id-1',
			apiKeySecret: 'secret-1',
			baseUrl: '',
		});
		expect(options.auth).toEqual({ username: 'id-1', password: 'secret-1' });
		expect(credential.test.request.url).toBe('/api/workspace');
		expect(credential.test.request.method ?? 'GET').toBe('GET');
	});

	test.each([
		[
			'http://bhuman-proxy.example.com',
			/must use https \(got http:\/\/bhuman-proxy\.example\.com\)/,
		],
		['http://user:pw-secret@10.0.0.5:8080/', /must use https \(got http:\/\/10\.0\.0\.5:8080\)/],
		['ftp://example.com', /must use https/],
		['not a url', /is not a URL/],
	])(
		'refuses the Base URL %s (also in the credential test), naming no secret',
		async (baseUrl, message) => {
			const attempt = authenticated({ apiKeyId: 'id-1', apiKeySecret: 'secret-1', baseUrl });
			await expect(attempt).rejects.toThrow(message);
			const error = await attempt.catch((e: Error) => e);
			expect(JSON.stringify({ m: (error as Error).message })).not.toMatch(/secret-1|pw-secret/);
		},
	);

	test.each([
		'https://proxy.example.com',
		'http://localhost:4010',
		'http://127.3.4.5',
		'http://[::1]:4010/',
	])('accepts the Base URL %s', async (baseUrl) => {
		const options = await authenticated({ apiKeyId: 'id-1', apiKeySecret: 'secret-1', baseUrl });
		expect(options.auth).toEqual({ username: 'id-1', password: 'secret-1' });
	});

	test("the test request's base URL is the credential's Base URL (trailing slashes dropped), else user.bhuman.ai", () => {
		const baseURL = credential.test.request.baseURL as string;
		expect(resolve(baseURL, { baseUrl: `${h.sim.url}//` })).toBe(h.sim.url);
		expect(resolve(baseURL, { baseUrl: '' })).toBe('https://user.bhuman.ai');
	});

	test('the test request with the declared auth answers 200, and 401 with a wrong secret', async () => {
		const request = credential.test.request;
		const send = async (secret: string) => {
			const values = { apiKeyId: h.sim.keyId, apiKeySecret: secret, baseUrl: h.sim.url };
			const { username, password } = (await authenticated(values)).auth!;
			const basic = Buffer.from(`${username}:${password}`).toString('base64');
			const response = await fetch(`${resolve(request.baseURL as string, values)}${request.url}`, {
				method: request.method ?? 'GET',
				headers: { authorization: `Basic ${basic}` },
			});
			await response.arrayBuffer();
			return response.status;
		};
		expect(await send(h.sim.keySecret)).toBe(200);
		expect(await send('wrong-secret')).toBe(401);
		expect(h.sim.requests.map((r) => [r.method, r.path, r.status])).toEqual([
			['GET', '/api/workspace', 200],
			['GET', '/api/workspace', 401],
		]);
	});
});

describe('One way to sign', () => {
	test('a node run reads the credential once however many requests it sends, and signs every one with Basic auth', async () => {
		const before = TestCredentialsHelper.reads;
		h.sim.clearRequests();
		// 250 video instances in pages of 100, for two items: six requests.
		const result = await run({ resource: 'videoInstance', operation: 'getAll', returnAll: true }, [
			{},
			{},
		]);
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(2 * h.sim.data.videoInstances.length);
		const requests = h.sim.requests.filter((r) => r.path === '/api/ai_studio/video_instances');
		expect(requests).toHaveLength(6);
		for (const request of requests) expect(request.headers.authorization).toBe(h.basicAuth);
		expect(TestCredentialsHelper.reads - before).toBe(1);
	});
});
