/**
 * Speakeasy Project → Import and Saved Webhook → Create (issue 13): the requests that create
 * something. Their plain reads (Get Many) are fixtures in test/workflows. Run through n8n's engine
 * against the simulator: bodies sent, BHuman's answer passed through, input checked before any
 * request, never retried (by the node or by n8n's Retry On Fail).
 */
import type { INodeParameters } from 'n8n-workflow';
import { searchSpeakeasyProjects } from '../../nodes/Bhuman/methods/listSearch';
import { loadOptionsContext, runBHuman } from '../helpers/engine';
import { rl, withSimulator } from '../helpers/sim';

const h = withSimulator();
const IMPORT = '/api/ai_studio/speakeasy_projects/import';
const WEBHOOK = '/api/ai_studio/webhook';

const importProject = (
	projectId: ReturnType<typeof rl>,
	options: INodeParameters = {},
): INodeParameters => ({
	resource: 'speakeasyProject',
	operation: 'import',
	projectId,
	options,
});
const createWebhook = (name: string, webhookUrl: string) => ({
	resource: 'savedWebhook',
	operation: 'create',
	name,
	webhookUrl,
});
const sent = () => h.sim.requests.map(({ method, path, body }) => ({ method, path, body }));

describe('Speakeasy Project → Import', () => {
	test("sends project_id only, and outputs BHuman's answer unchanged", async () => {
		const project = h.sim.data.speakeasyProjects[1];
		const { items, error } = await runBHuman({
			parameters: importProject(rl(project.id, 'list')),
			credentials: h.credentials,
		});
		expect(error).toBeUndefined();
		expect(sent()).toEqual([{ method: 'POST', path: IMPORT, body: { project_id: project.id } }]);
		expect(items).toHaveLength(1);
		const out = items[0].json;
		expect(out).toEqual({
			project_id: project.id,
			workspace_id: project.workspace_id,
			folder_id: expect.any(String),
			video_instance_id: expect.any(String),
			name: project.name,
		});
		// The import is in the account: a new video instance, listed first.
		expect(h.sim.data.videoInstances[0]).toMatchObject({
			id: out.video_instance_id,
			folder_id: out.folder_id,
			name: project.name,
		});
	});

	test('with a workspace (by ID): sends workspace_id; two items by expression, one POST each', async () => {
		const [a, b] = h.sim.data.speakeasyProjects;
		const workspace = h.sim.data.workspaces[3];
		const { items, error } = await runBHuman({
			parameters: importProject(rl('={{ $json.project }}'), {
				workspaceId: rl(workspace.workspace_id),
			}),
			items: [{ project: a.id }, { project: b.id.toUpperCase() }],
			credentials: h.credentials,
		});
		expect(error).toBeUndefined();
		const body = (id: string) => ({ project_id: id, workspace_id: workspace.workspace_id });
		expect(sent()).toEqual([
			{ method: 'POST', path: IMPORT, body: body(a.id) },
			{ method: 'POST', path: IMPORT, body: body(b.id) },
		]);
		expect(items.map((item) => [item.json.project_id, item.pairedItem])).toEqual([
			[a.id, { item: 0 }],
			[b.id, { item: 1 }],
		]);
	});

	test('a bad ID on item 1 stops the node before any request, naming the item and the field', async () => {
		const { error } = await runBHuman({
			parameters: importProject(rl('={{ $json.project }}')),
			items: [{ project: h.sim.data.speakeasyProjects[0].id }, { project: 'not-a-project' }],
			credentials: h.credentials,
		});
		expect(error?.message).toMatch(
			/Speakeasy Project of item 1 is not a valid ID: 'not-a-project'/,
		);
		expect(h.sim.requests).toEqual([]);
	});

	test('with Continue On Fail, the bad item becomes an error item and the good one is imported', async () => {
		const good = h.sim.data.speakeasyProjects[2].id;
		const { items, error } = await runBHuman({
			parameters: importProject(rl('={{ $json.project }}')),
			items: [{ project: 'nope' }, { project: good }],
			credentials: h.credentials,
			continueOnFail: true,
		});
		expect(error).toBeUndefined();
		expect(items[0].json.error).toMatch(/item 0 is not a valid ID/);
		expect(items[1].json.project_id).toBe(good);
		expect(sent()).toEqual([{ method: 'POST', path: IMPORT, body: { project_id: good } }]);
	});

	test('a 503 is reported after exactly one POST: Import is never retried', async () => {
		h.sim.inject({ method: 'POST', path: IMPORT, status: 503, times: -1 });
		const { error } = await runBHuman({
			parameters: importProject(rl(h.sim.data.speakeasyProjects[0].id)),
			credentials: h.credentials,
		});
		expect(error?.message).toMatch(/server error \(503\)/);
		expect(h.sim.requests).toHaveLength(1);
	});

	test('an unknown project: 404 naming it', async () => {
		const unknown = '00000000-0000-4000-8000-000000000000';
		const { error } = await runBHuman({
			parameters: importProject(rl(unknown)),
			credentials: h.credentials,
		});
		expect(error?.message).toBe(`Speakeasy project ${unknown} was not found`);
	});

	test('Retry On Fail is refused before anything is sent', async () => {
		const { error } = await runBHuman({
			parameters: importProject(rl(h.sim.data.speakeasyProjects[0].id)),
			credentials: h.credentials,
			settings: { retryOnFail: true, maxTries: 2, waitBetweenTries: 0 },
		});
		expect(error?.message).toMatch(/Import does not run with "Retry On Fail" on/);
		expect(h.sim.requests).toEqual([]);
	});

	test('the From List search lists the projects by name and filters them', async () => {
		const all = await searchSpeakeasyProjects.call(loadOptionsContext(h.credentials));
		expect(all.results).toEqual(
			h.sim.data.speakeasyProjects.map((p) => ({ name: p.name, value: p.id })),
		);
		const found = await searchSpeakeasyProjects.call(loadOptionsContext(h.credentials), 'keynote');
		expect(found.results.map((r) => r.name)).toEqual(['Keynote 2025 (FR)']);
	});
});

describe('Saved Webhook → Create', () => {
	test('sends name and webhook; the new webhook is returned and then listed', async () => {
		const url = 'https://crm.example.com/hooks/bhuman?source=n8n';
		const { items, error } = await runBHuman({
			parameters: createWebhook('  CRM  ', url),
			credentials: h.credentials,
		});
		expect(error).toBeUndefined();
		expect(sent()).toEqual([
			{ method: 'POST', path: WEBHOOK, body: { name: 'CRM', webhook: url } },
		]);
		expect(items.map((item) => item.json)).toEqual([
			{ id: expect.any(String), name: 'CRM', webhook: url, created_at: expect.any(String) },
		]);
		const listed = await runBHuman({
			parameters: { resource: 'savedWebhook', operation: 'getAll', returnAll: true },
			credentials: h.credentials,
		});
		expect(listed.items.map((item) => item.json.webhook)).toContain(url);
	});

	test.each([
		[
			'ftp://example.com/hook',
			/Webhook URL of item 0 is not an http\(s\) URL: 'ftp:\/\/example.com\/hook'/,
		],
		['example.com/hook', /Webhook URL of item 0 is not an http\(s\) URL/],
		['={{ "" }}', /Webhook URL of item 0 is not an http\(s\) URL: ''/],
	])('the URL %j is refused before any request', async (url, message) => {
		const { error } = await runBHuman({
			parameters: createWebhook('CRM', url),
			credentials: h.credentials,
		});
		expect(error?.message).toMatch(message);
		expect(h.sim.requests).toEqual([]);
	});

	test('an empty name (by expression, on item 1) is refused before any request', async () => {
		const { error } = await runBHuman({
			parameters: createWebhook('={{ $json.name }}', 'https://example.com/hook'),
			items: [{ name: 'ok' }, { name: ' ' }],
			credentials: h.credentials,
		});
		expect(error?.message).toBe('Name of item 1 is empty');
		expect(h.sim.requests).toEqual([]);
	});

	test('a 500 is reported after exactly one POST: Create is never retried', async () => {
		h.sim.inject({ method: 'POST', path: WEBHOOK, status: 500, times: -1 });
		const { error } = await runBHuman({
			parameters: createWebhook('CRM', 'https://example.com/hook'),
			credentials: h.credentials,
		});
		expect(error?.message).toMatch(/server error \(500\)/);
		expect(h.sim.requests).toHaveLength(1);
	});

	test('Retry On Fail is refused before anything is sent', async () => {
		const { error } = await runBHuman({
			parameters: createWebhook('CRM', 'https://example.com/hook'),
			credentials: h.credentials,
			settings: { retryOnFail: true, maxTries: 2, waitBetweenTries: 0 },
		});
		expect(error?.message).toMatch(/Create does not run with "Retry On Fail" on/);
		expect(h.sim.requests).toEqual([]);
	});
});

describe('Get Many of the new lists', () => {
	test('a 503 on the first attempt is retried (a read)', async () => {
		h.sim.inject({ method: 'GET', path: WEBHOOK, status: 503, times: 1 });
		const { items, error } = await runBHuman({
			parameters: { resource: 'savedWebhook', operation: 'getAll', returnAll: true },
			credentials: h.credentials,
		});
		expect(error).toBeUndefined();
		expect(items.map((item) => item.json)).toEqual(h.sim.data.savedWebhooks);
		expect(h.sim.requests.map((r) => r.status)).toEqual([503, 200]);
	});
});
