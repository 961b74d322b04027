/**
 * The list searches behind every "From List" locator mode, called through
 * n8n-core's LoadOptionsContext against the simulator.
 */
import type { INodeListSearchItems, INodeListSearchResult } from 'n8n-workflow';
import * as listSearch from '../../nodes/Bhuman/methods/listSearch';
import { Bhuman } from '../../nodes/Bhuman/Bhuman.node';
import { loadOptionsContext, runBHuman } from '../helpers/engine';
import { rl, withSimulator } from '../helpers/sim';

const h = withSimulator();

type Search = (
	this: ReturnType<typeof loadOptionsContext>,
	filter?: string,
	token?: string,
) => Promise<INodeListSearchResult>;

const call = (search: Search, filter?: string, token?: string, credentials = h.credentials) =>
	search.call(loadOptionsContext(credentials), filter, token);

/** Follows the pagination tokens to the end; returns the results and the tokens seen. */
async function walk(search: Search, filter?: string) {
	const results: INodeListSearchItems[] = [];
	const tokens: Array<string | undefined> = [];
	let token: string | undefined;
	for (let pages = 0; pages < 20; pages++) {
		const answer = await call(search, filter, token);
		results.push(...answer.results);
		token = answer.paginationToken as string | undefined;
		tokens.push(token);
		if (token === undefined) break;
	}
	return { results, tokens };
}

function expectAuthorized() {
	const basic = `Basic ${Buffer.from(`${h.sim.keyId}:${h.sim.keySecret}`).toString('base64')}`;
	expect(h.sim.requests.length).toBeGreaterThan(0);
	for (const request of h.sim.requests) expect(request.headers.authorization).toBe(basic);
}

test('every locator of the node has its list search in methods.listSearch', () => {
	const node = new Bhuman();
	const collect = (properties: unknown[]): string[] =>
		properties.flatMap((property) => {
			const p = property as {
				modes?: Array<{ typeOptions?: { searchListMethod?: string } }>;
				options?: unknown[];
			};
			return [
				...(p.modes ?? [])
					.map((mode) => mode.typeOptions?.searchListMethod)
					.filter((name): name is string => !!name),
				...(Array.isArray(p.options) ? collect(p.options) : []),
			];
		});
	const methods = new Set(collect(node.description.properties));
	expect([...methods].sort()).toEqual([
		'searchCampaigns',
		'searchFolders',
		'searchProducts',
		'searchSpeakeasyProjects',
		'searchVideoInstances',
		'searchWorkspaces',
	]);
	for (const method of methods)
		expect(typeof (node.methods.listSearch as Record<string, unknown>)[method]).toBe('function');
});

describe('searchVideoInstances', () => {
	test("walks the pages with tokens '1', '2', then none, and lists all 250 instances with their URL", async () => {
		const first = await call(listSearch.searchVideoInstances);
		expect(first.results).toHaveLength(100);
		expect(first.paginationToken).toBe('1');
		const second = await call(listSearch.searchVideoInstances, undefined, '1');
		expect(second.paginationToken).toBe('2');
		const third = await call(listSearch.searchVideoInstances, undefined, '2');
		expect(third.results).toHaveLength(50);
		expect(third.paginationToken).toBeUndefined();

		expect([...first.results, ...second.results, ...third.results]).toEqual(
			h.sim.data.videoInstances.map((instance) => ({
				name: instance.name,
				value: instance.id,
				url: `https://app.bhuman.ai/instance/${instance.id}`,
			})),
		);
		expect(h.sim.requests.map((r) => [r.path, r.query])).toEqual(
			['0', '1', '2'].map((page) => ['/api/ai_studio/video_instances', { page, size: '100' }]),
		);
		expectAuthorized();
	});

	test('a name filter (any case) returns only the matching instances', async () => {
		const filter = 'oNbOaRdInG';
		const { results, tokens } = await walk(listSearch.searchVideoInstances, filter);
		const expected = h.sim.data.videoInstances.filter((instance) =>
			instance.name.toLowerCase().includes('onboarding'),
		);
		expect(expected.length).toBeGreaterThan(0);
		expect(expected.length).toBeLessThan(h.sim.data.videoInstances.length);
		expect(results.map((item) => item.value)).toEqual(expected.map((instance) => instance.id));
		for (const item of results) expect(item.name.toLowerCase()).toContain('onboarding');
		expect(tokens).toEqual(['1', '2', undefined]);
	});

	test('a filter by ID finds that instance', async () => {
		const instance = h.sim.data.videoInstances[180];
		const { results } = await walk(listSearch.searchVideoInstances, instance.id);
		expect(results.map((item) => item.value)).toEqual([instance.id]);
	});

	test('a filter that matches nothing returns no results', async () => {
		const { results } = await walk(listSearch.searchVideoInstances, 'zzz-no-such-instance-zzz');
		expect(results).toEqual([]);
	});

	test('a value picked from the list works in the node (mode list)', async () => {
		const picked = (await call(listSearch.searchVideoInstances)).results[9];
		h.sim.clearRequests();
		const result = await runBHuman({
			parameters: {
				resource: 'videoInstance',
				operation: 'get',
				videoInstanceId: rl(String(picked.value), 'list'),
			},
			credentials: h.credentials,
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json)).toEqual([h.sim.data.videoInstances[9]]);
		expect(h.sim.requests.map((r) => r.query.id)).toEqual([picked.value]);
	});

	test('a wrong secret makes the search fail with the credential message', async () => {
		await expect(
			call(listSearch.searchVideoInstances, undefined, undefined, {
				...h.credentials,
				apiKeySecret: 'wrong',
			}),
		).rejects.toThrow(/API Key ID and API Key Secret/);
	});
});

describe('searchCampaigns', () => {
	test("lists the simulator's campaigns with their URL, in one page", async () => {
		const answer = await call(listSearch.searchCampaigns);
		expect(answer.results).toEqual(
			h.sim.data.campaigns.map((campaign) => ({
				name: campaign.name,
				value: campaign.id,
				url: `https://app.bhuman.ai/campaign/generatedVideos/${campaign.id}`,
			})),
		);
		expect(answer.paginationToken).toBeUndefined();
		expect(h.sim.requests.map((r) => [r.path, r.query])).toEqual([
			['/api/ai_studio/campaigns', { page: '0', size: '100' }],
		]);
		expectAuthorized();
	});

	test('filters by name', async () => {
		const campaign = h.sim.data.campaigns[5];
		const answer = await call(listSearch.searchCampaigns, campaign.name.toUpperCase());
		const expected = h.sim.data.campaigns.filter((c) =>
			c.name.toLowerCase().includes(campaign.name.toLowerCase()),
		);
		expect(answer.results.map((item) => item.value)).toEqual(expected.map((c) => c.id));
		expect(answer.results.map((item) => item.value)).toContain(campaign.id);
	});
});

describe('searchWorkspaces', () => {
	test("lists the simulator's workspaces, named with their role", async () => {
		const answer = await call(listSearch.searchWorkspaces);
		expect(answer.results).toEqual(
			h.sim.data.workspaces.map((workspace) => ({
				name: `${workspace.name} (${workspace.role})`,
				value: workspace.workspace_id,
			})),
		);
		expect(h.sim.requests.map((r) => [r.path, r.query])).toEqual([['/api/workspace', {}]]);
		expectAuthorized();
	});

	test('filters by name', async () => {
		const workspace = h.sim.data.workspaces[1];
		const answer = await call(listSearch.searchWorkspaces, workspace.name);
		expect(answer.results.map((item) => item.value)).toContain(workspace.workspace_id);
		for (const item of answer.results)
			expect(item.name.toLowerCase()).toContain(workspace.name.toLowerCase());
	});
});

describe('searchProducts', () => {
	test("lists the store's products", async () => {
		const answer = await call(listSearch.searchProducts);
		expect(answer.results).toEqual(
			h.sim.data.products.map((product) => ({ name: product.name, value: product.id })),
		);
		expect(h.sim.requests.map((r) => [r.path, r.query])).toEqual([['/api/store/product', {}]]);
		expectAuthorized();
	});

	test('filters by name', async () => {
		const product = h.sim.data.products[3];
		const answer = await call(listSearch.searchProducts, product.name);
		expect(answer.results.length).toBeGreaterThan(0);
		expect(answer.results.map((item) => item.value)).toContain(product.id);
		expect(answer.results.length).toBeLessThan(h.sim.data.products.length);
	});
});

describe('searchFolders', () => {
	test('lists every folder that holds video instances once, gathered over all pages', async () => {
		const answer = await call(listSearch.searchFolders);
		expect(answer.paginationToken).toBeUndefined();
		expect(h.sim.requests.map((r) => r.query.page)).toEqual(['0', '1', '2']);
		const holding = [...new Set(h.sim.data.videoInstances.map((instance) => instance.folder_id))];
		expect(answer.results.map((item) => item.value)).toEqual(holding);
		for (const item of answer.results) {
			const first = h.sim.data.videoInstances.find(
				(instance) => instance.folder_id === item.value,
			)!;
			expect(item.name).toContain(first.name);
		}
		expectAuthorized();
	});

	test('filters by folder ID', async () => {
		const folderId = h.sim.data.videoInstances[0].folder_id;
		const answer = await call(listSearch.searchFolders, folderId);
		expect(answer.results.map((item) => item.value)).toEqual([folderId]);
	});
});
