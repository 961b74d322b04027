/**
 * The contract table: every operation of the BHuman node, and every list search behind its "From
 * List" pickers, under every dialect of the simulator (the forms BHuman's public sources disagree
 * on: docs/bhuman-api.md, simulator/README.md "Dialects"), through n8n's own execution engine over
 * real HTTP.
 *
 * Each row says, under each dialect, what must come out:
 * - `same`: the run succeeds and gives the guide's output (the same records, the same key fields of
 *   what is created or generated; a finished render's status named as the dialect names it), and no
 *   envelope (`{code, result}`) reaches the output;
 * - `refused`: a list BHuman serves to its own app only (reference 2026-10): the run fails with the
 *   "enter the ID or the app URL instead" message and HTTP 401 after the one list request, naming no
 *   secret; with Continue On Fail it gives an error item instead.
 *
 * Below the table: answers in no known form, `{code, message}` failures that come with HTTP 200,
 * and the forms of a generate answer.
 */
import { Container } from '@n8n/di';
import { BinaryDataService } from 'n8n-core';
import type {
	IDataObject,
	INodeExecutionData,
	INodeListSearchResult,
	INodeParameters,
} from 'n8n-workflow';
import { randomUUID } from 'node:crypto';
import * as listSearch from '../../nodes/Bhuman/methods/listSearch';
import type { DialectName, Simulator } from '../../simulator';
import { loadOptionsContext, runBHuman, type SimCredentials } from '../helpers/engine';
import { rl, withSimulator } from '../helpers/sim';

// More generated videos than the Limits below, so Limit decides how many come out.
const h = withSimulator({
	dialect: 'guide',
	render: { queuedMs: 20, processingMs: 40 },
	sizes: { generatedVideosPerInstance: 8, generatedVideosPerCampaign: 14 },
});

beforeAll(async () => {
	await Container.get(BinaryDataService).init();
});

const DIALECTS: DialectName[] = ['guide', 'reference-2026-07', 'reference-2026-10', 'swagger-2023'];

const S = '/api/ai_studio';
const LIST_REFUSED = /did not allow this list with an API key: enter the ID or the app URL instead/;

// ---------- the table ----------

/** `same`: the guide's output; `refused`: a list served to BHuman's app only (401). */
type Outcome = 'same' | 'refused';

/** Under each dialect, what the row must give. */
type Cells = Record<DialectName, Outcome>;

const EVERYWHERE: Cells = {
	guide: 'same',
	'reference-2026-07': 'same',
	'reference-2026-10': 'same',
	'swagger-2023': 'same',
};
/** A list: read with the key everywhere but in the 2026-10 reference. */
const LIST: Cells = { ...EVERYWHERE, 'reference-2026-10': 'refused' };

interface Context {
	sim: Simulator;
	/** The dialect's name for a finished video's status (`succeeded`, or `completed`). */
	succeeded: string;
}

/** What one row gave: output items (a list search's results as items) or an error. */
interface Result {
	items: INodeExecutionData[];
	paginationToken?: unknown;
	error?: {
		message: string;
		description?: string | null;
		httpCode?: string | null;
		/** Everything the error carries, as text (to look for secrets). */
		text: string;
	};
}

interface BaseRow {
	/** "Resource → Operation", or the list search's name. */
	row: string;
	cells: Cells;
	/** The list request a refused run sends (and nothing else). */
	listPath?: string;
	/** Concrete expectations on a successful output (the guide's data, the dialect's status name). */
	check: (result: Result, ctx: Context) => void;
	/** The key fields compared with the guide's output (default: every item's json). */
	project?: (result: Result) => unknown;
	/** Output of one record (Get): the record itself, never `{code, result}`. */
	single?: true;
}

interface OperationRow extends BaseRow {
	parameters: (sim: Simulator) => INodeParameters;
	items?: IDataObject[];
}

type Search = (
	this: ReturnType<typeof loadOptionsContext>,
	filter?: string,
	token?: string,
) => Promise<INodeListSearchResult>;

interface SearchRow extends BaseRow {
	search: Search;
}

type Row = OperationRow | SearchRow;

const jsons = (result: Result) => result.items.map((item) => item.json);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const contacts = [
	{ first_name: 'Don', company: 'Apple' },
	{ first_name: 'Ada', company: 'Babbage' },
];
const rowVariables = {
	variable: [
		{ name: 'name', value: '={{ $json.first_name }}' },
		{ name: 'company', value: '={{ $json.company }}' },
	],
};

/** A seeded generation that finished well (its record is final and fixed). */
function finishedGeneration(sim: Simulator) {
	const generation = [...sim.generations.values()].find(
		(g) => g.seeded && g.outcome === 'succeeded',
	);
	if (!generation) throw new Error('the simulator has no finished seeded generation');
	return generation;
}

/** Generate's output without what differs from run to run (the new ids), ids checked apart. */
function generated(result: Result) {
	return jsons(result).map(({ id, ...rest }) => ({ ...rest, id: typeof id }));
}

/** The created object's fields (names only) and the values that do not change from run to run. */
const created =
	(...fields: string[]) =>
	(result: Result) =>
		jsons(result).map((json) => ({
			fields: Object.keys(json).sort(),
			...Object.fromEntries(fields.map((field) => [field, json[field]])),
		}));

const operations: OperationRow[] = [
	{
		row: 'Campaign → Get',
		cells: EVERYWHERE,
		single: true,
		parameters: (sim) => ({
			resource: 'campaign',
			operation: 'get',
			campaignId: rl(sim.data.campaigns[0].id),
		}),
		check: (result, { sim }) => expect(jsons(result)).toEqual([sim.data.campaigns[0]]),
	},
	{
		row: 'Campaign → Get Many',
		cells: LIST,
		listPath: `${S}/campaigns`,
		parameters: () => ({ resource: 'campaign', operation: 'getAll', returnAll: false, limit: 5 }),
		check: (result, { sim }) => expect(jsons(result)).toEqual(sim.data.campaigns.slice(0, 5)),
	},
	{
		row: 'Campaign → Get Generated Videos',
		cells: LIST,
		listPath: `${S}/generated_video_by_campaign_id`,
		parameters: (sim) => ({
			resource: 'campaign',
			operation: 'getGeneratedVideos',
			campaignId: rl(sim.data.campaigns[0].id, 'list'),
			returnAll: false,
			limit: 10,
		}),
		check: (result, { sim, succeeded }) => {
			expect(result.items).toHaveLength(10);
			expect(new Set(jsons(result).map(({ id }) => id)).size).toBe(10);
			for (const json of jsons(result)) {
				expect(json.campaignId).toBe(sim.data.campaigns[0].id);
				expect(sim.generations.get(json.id as string)?.campaignId).toBe(json.campaignId);
				expect(['failed', succeeded]).toContain(json.status);
			}
		},
	},
	{
		row: 'Campaign → Generate',
		cells: EVERYWHERE,
		items: contacts,
		parameters: (sim) => ({
			resource: 'campaign',
			operation: 'generate',
			campaignId: rl(sim.data.campaigns[0].id),
			inputMode: 'mapping',
			variables: rowVariables,
		}),
		check: (result, { sim }) => {
			const out = jsons(result);
			expect(out.map((json) => [json.status, json.campaignId, json.rowIndex])).toEqual([
				['accepted', sim.data.campaigns[0].id, 0],
				['accepted', sim.data.campaigns[0].id, 1],
			]);
			expect(out.map((json) => sim.generations.get(json.id as string)?.text)).toEqual([
				['Don', 'Apple'],
				['Ada', 'Babbage'],
			]);
		},
		project: generated,
	},
	{
		row: 'Product → Get Many',
		cells: LIST,
		listPath: '/api/store/product',
		parameters: () => ({ resource: 'product', operation: 'getAll', returnAll: false, limit: 5 }),
		check: (result, { sim }) => expect(jsons(result)).toEqual(sim.data.products.slice(0, 5)),
	},
	{
		row: 'Product → Use',
		cells: EVERYWHERE,
		parameters: (sim) => ({
			resource: 'product',
			operation: 'use',
			productId: rl(sim.data.products[4].id, 'list'),
			workspaceId: rl(sim.data.workspaces[1].workspace_id),
		}),
		check: (result, { sim }) => {
			const [out] = jsons(result);
			expect(result.items).toHaveLength(1);
			expect(out.product).toEqual(sim.data.products[4]);
			const instance = sim.data.videoInstances.find(({ id }) => id === out.video_instance_id);
			expect(instance?.product_id).toBe(sim.data.products[4].id);
			expect(instance?.folder_id).toBe(out.folder_id);
		},
		project: created('product'),
	},
	{
		row: 'Saved Webhook → Create',
		cells: EVERYWHERE,
		parameters: () => ({
			resource: 'savedWebhook',
			operation: 'create',
			name: 'CRM video links',
			webhookUrl: 'https://example.com/hooks/bhuman',
		}),
		check: (result, { sim }) => {
			const [out] = jsons(result);
			expect(result.items).toHaveLength(1);
			expect(out).toMatchObject({
				name: 'CRM video links',
				webhook: 'https://example.com/hooks/bhuman',
			});
			expect(out.id).toMatch(UUID);
			expect(sim.data.savedWebhooks.map(({ id }) => id)).toContain(out.id);
		},
		project: created('name', 'webhook'),
	},
	{
		row: 'Saved Webhook → Get Many',
		cells: LIST,
		listPath: `${S}/webhook`,
		parameters: () => ({ resource: 'savedWebhook', operation: 'getAll', returnAll: true }),
		check: (result, { sim }) => {
			expect(sim.data.savedWebhooks.length).toBeGreaterThan(0);
			expect(jsons(result)).toEqual(sim.data.savedWebhooks);
		},
	},
	{
		row: 'Speakeasy Project → Get Many',
		cells: LIST,
		listPath: `${S}/speakeasy_projects`,
		parameters: () => ({ resource: 'speakeasyProject', operation: 'getAll', returnAll: true }),
		check: (result, { sim }) => {
			expect(sim.data.speakeasyProjects.length).toBeGreaterThan(0);
			expect(jsons(result)).toEqual(sim.data.speakeasyProjects);
		},
	},
	{
		row: 'Speakeasy Project → Import',
		cells: EVERYWHERE,
		parameters: (sim) => ({
			resource: 'speakeasyProject',
			operation: 'import',
			projectId: rl(sim.data.speakeasyProjects[1].id, 'list'),
			options: {},
		}),
		check: (result, { sim }) => {
			const project = sim.data.speakeasyProjects[1];
			const [out] = jsons(result);
			expect(result.items).toHaveLength(1);
			expect(out).toMatchObject({
				project_id: project.id,
				workspace_id: project.workspace_id,
				name: project.name,
			});
			expect(sim.data.videoInstances.map(({ id }) => id)).toContain(out.video_instance_id);
		},
		project: created('project_id', 'workspace_id', 'name'),
	},
	{
		row: 'Store → Get Settings',
		cells: EVERYWHERE,
		single: true,
		parameters: () => ({ resource: 'store', operation: 'getSettings' }),
		check: (result, { sim }) =>
			expect(jsons(result)).toEqual([{ category: sim.data.categories, tags: sim.data.tags }]),
	},
	{
		row: 'Video → Generate',
		cells: EVERYWHERE,
		items: contacts,
		parameters: (sim) => ({
			resource: 'video',
			operation: 'generate',
			videoInstanceId: rl(sim.data.videoInstances[0].id),
			inputMode: 'mapping',
			variables: rowVariables,
		}),
		check: (result, { sim }) => {
			const out = jsons(result);
			const instance = sim.data.videoInstances[0].id;
			expect(out.map((item) => withoutId(item))).toEqual([
				{
					status: 'accepted',
					rowIndex: 0,
					batch: 1,
					variables: { name: 'Don', company: 'Apple' },
					videoInstanceId: instance,
				},
				{
					status: 'accepted',
					rowIndex: 1,
					batch: 1,
					variables: { name: 'Ada', company: 'Babbage' },
					videoInstanceId: instance,
				},
			]);
			for (const { id } of out) expect(sim.generations.get(id as string)).toBeDefined();
			expect(new Set(out.map(({ id }) => id)).size).toBe(2);
		},
		project: generated,
	},
	{
		row: 'Video → Generate, Wait for Completion By Polling BHuman',
		cells: EVERYWHERE,
		items: contacts,
		parameters: (sim) => ({
			resource: 'video',
			operation: 'generate',
			videoInstanceId: rl(sim.data.videoInstances[0].id),
			inputMode: 'mapping',
			variables: rowVariables,
			waitForCompletion: true,
			waitMethod: 'poll',
			pollInterval: 1,
			maxWait: 1,
		}),
		check: (result, { succeeded }) => {
			const out = jsons(result);
			expect(out.map((json) => [json.status, json.timedOut, json.rowIndex])).toEqual([
				[succeeded, false, 0],
				[succeeded, false, 1],
			]);
			for (const json of out) {
				expect(json.mp4Url).toMatch(/\.mp4$/);
				expect(json.polls).toBe(1);
				expect(json.pollError).toBeUndefined();
			}
		},
		project: (result) =>
			jsons(result).map((json) => ({
				fields: Object.keys(json).sort(),
				status: json.status,
				timedOut: json.timedOut,
				rowIndex: json.rowIndex,
				variables: json.variables,
				videoInstanceId: json.videoInstanceId,
			})),
	},
	{
		row: 'Video → Get',
		cells: EVERYWHERE,
		single: true,
		parameters: (sim) => ({
			resource: 'video',
			operation: 'get',
			generationId: finishedGeneration(sim).id,
		}),
		check: (result, { sim, succeeded }) => {
			const generation = finishedGeneration(sim);
			expect(result.items).toHaveLength(1);
			expect(jsons(result)[0]).toMatchObject({
				id: generation.id,
				status: succeeded,
				videoInstanceId: generation.videoInstanceId,
				rowIndex: generation.rowIndex,
				mp4Url: expect.stringMatching(/\.mp4$/),
			});
		},
	},
	{
		row: 'Video → Get, Download Video',
		cells: EVERYWHERE,
		single: true,
		parameters: (sim) => ({
			resource: 'video',
			operation: 'get',
			generationId: finishedGeneration(sim).id,
			downloadVideo: true,
		}),
		check: (result, { sim, succeeded }) => {
			const generation = finishedGeneration(sim);
			const [item] = result.items;
			expect(item.json).toMatchObject({ id: generation.id, status: succeeded });
			expect(item.binary?.data).toMatchObject({
				mimeType: 'video/mp4',
				fileName: `${generation.id}.mp4`,
			});
		},
		project: (result) =>
			result.items.map(({ json, binary }) => ({
				json,
				binary: binary && {
					mimeType: binary.data.mimeType,
					fileName: binary.data.fileName,
					fileSize: binary.data.fileSize,
				},
			})),
	},
	{
		row: 'Video → Get Many',
		cells: LIST,
		listPath: `${S}/generated_video_by_video_instance_id`,
		parameters: (sim) => ({
			resource: 'video',
			operation: 'getAll',
			videoInstanceId: rl(sim.data.videoInstances[0].id, 'list'),
			returnAll: false,
			limit: 5,
		}),
		check: (result, { sim }) => {
			expect(result.items).toHaveLength(5);
			expect(new Set(jsons(result).map(({ id }) => id)).size).toBe(5);
			for (const json of jsons(result)) {
				expect(json.videoInstanceId).toBe(sim.data.videoInstances[0].id);
				expect(sim.generations.get(json.id as string)?.videoInstanceId).toBe(json.videoInstanceId);
			}
		},
	},
	{
		row: 'Video Instance → Get',
		cells: EVERYWHERE,
		single: true,
		parameters: (sim) => ({
			resource: 'videoInstance',
			operation: 'get',
			videoInstanceId: rl(sim.data.videoInstances[0].id),
		}),
		check: (result, { sim }) => expect(jsons(result)).toEqual([sim.data.videoInstances[0]]),
	},
	{
		row: 'Video Instance → Get Many',
		cells: LIST,
		listPath: `${S}/video_instances`,
		// Return All: 250 instances, three pages (with `total` in the guide, without in the Swagger).
		parameters: () => ({ resource: 'videoInstance', operation: 'getAll', returnAll: true }),
		check: (result, { sim }) => {
			expect(sim.data.videoInstances).toHaveLength(250);
			expect(jsons(result)).toEqual(sim.data.videoInstances);
		},
	},
	{
		row: 'Workspace → Get Many',
		cells: LIST,
		listPath: '/api/workspace',
		parameters: () => ({ resource: 'workspace', operation: 'getAll', returnAll: true }),
		check: (result, { sim }) => expect(jsons(result)).toEqual(sim.data.workspaces),
	},
];

/** A list search's results, with the pagination token. */
const withToken = (result: Result) => ({
	results: jsons(result),
	paginationToken: result.paginationToken,
});

const searches: SearchRow[] = [
	{
		row: 'searchVideoInstances',
		search: listSearch.searchVideoInstances,
		cells: LIST,
		listPath: `${S}/video_instances`,
		check: (result, { sim }) => {
			expect(result.paginationToken).toBe('1');
			expect(jsons(result)).toEqual(
				sim.data.videoInstances.slice(0, 100).map((instance) => ({
					name: instance.name,
					value: instance.id,
					url: `https://app.bhuman.ai/instance/${instance.id}`,
				})),
			);
		},
		project: withToken,
	},
	{
		row: 'searchCampaigns',
		search: listSearch.searchCampaigns,
		cells: LIST,
		listPath: `${S}/campaigns`,
		check: (result, { sim }) => {
			expect(result.paginationToken).toBeUndefined();
			expect(jsons(result).map(({ value }) => value)).toEqual(
				sim.data.campaigns.map(({ id }) => id),
			);
		},
		project: withToken,
	},
	{
		row: 'searchWorkspaces',
		search: listSearch.searchWorkspaces,
		cells: LIST,
		listPath: '/api/workspace',
		check: (result, { sim }) =>
			expect(jsons(result)).toEqual(
				sim.data.workspaces.map((workspace) => ({
					name: `${workspace.name} (${workspace.role})`,
					value: workspace.workspace_id,
				})),
			),
	},
	{
		row: 'searchProducts',
		search: listSearch.searchProducts,
		cells: LIST,
		listPath: '/api/store/product',
		check: (result, { sim }) =>
			expect(jsons(result)).toEqual(
				sim.data.products.map((product) => ({ name: product.name, value: product.id })),
			),
	},
	{
		row: 'searchSpeakeasyProjects',
		search: listSearch.searchSpeakeasyProjects,
		cells: LIST,
		listPath: `${S}/speakeasy_projects`,
		check: (result, { sim }) =>
			expect(jsons(result)).toEqual(
				sim.data.speakeasyProjects.map((project) => ({ name: project.name, value: project.id })),
			),
	},
	{
		row: 'searchFolders',
		search: listSearch.searchFolders,
		cells: LIST,
		listPath: `${S}/video_instances`,
		check: (result, { sim }) =>
			expect(jsons(result).map(({ value }) => value)).toEqual([
				...new Set(sim.data.videoInstances.map((instance) => instance.folder_id)),
			]),
	},
];

const table: Row[] = [...operations, ...searches];

// ---------- running a row ----------

/** Everything an error carries, as text (circular references skipped). */
function errorText(error: unknown): string {
	const seen = new WeakSet<object>();
	const json = JSON.stringify(error, (_key, value: unknown) => {
		if (typeof value === 'object' && value !== null) {
			if (seen.has(value)) return undefined;
			seen.add(value);
		}
		return value;
	});
	const { message, description, stack } = (error ?? {}) as {
		message?: string;
		description?: string;
		stack?: string;
	};
	return [json, message, description, stack].join('\n');
}

function resultError(error: unknown): Result['error'] {
	const e = error as { message: string; description?: string | null; httpCode?: string | null };
	return {
		message: e.message,
		description: e.description,
		httpCode: e.httpCode,
		text: errorText(error),
	};
}

async function runRow(
	row: Row,
	credentials: SimCredentials,
	sim: Simulator,
	continueOnFail = false,
): Promise<Result> {
	if ('search' in row) {
		try {
			const answer = await row.search.call(loadOptionsContext(credentials));
			return {
				items: answer.results.map((result) => ({ json: result as unknown as IDataObject })),
				paginationToken: answer.paginationToken,
			};
		} catch (error) {
			return { items: [], error: resultError(error) };
		}
	}
	const { items, error } = await runBHuman({
		parameters: row.parameters(sim),
		items: row.items,
		credentials,
		continueOnFail,
	});
	return { items, error: error && resultError(error) };
}

const projection = (row: Row, result: Result) => (row.project ?? jsons)(result);

/** The guide's output of a row, projected (run once per row, under the guide, on this simulator). */
const guideOutputs = new Map<string, unknown>();

async function guideOutput(row: Row): Promise<unknown> {
	if (!guideOutputs.has(row.row)) {
		expect(h.sim.dialect.name).toBe('guide');
		const result = await runRow(row, h.credentials, h.sim);
		if (result.error) throw new Error(`${row.row} failed under the guide: ${result.error.message}`);
		guideOutputs.set(row.row, projection(row, result));
	}
	return guideOutputs.get(row.row);
}

/** A value with every `status: 'succeeded'` renamed as the dialect names a finished video. */
function renamedStatus(value: unknown, succeeded: string): unknown {
	if (Array.isArray(value)) return value.map((entry) => renamedStatus(entry, succeeded));
	if (typeof value !== 'object' || value === null) return value;
	return Object.fromEntries(
		Object.entries(value).map(([key, entry]) => [
			key,
			key === 'status' && entry === 'succeeded' ? succeeded : renamedStatus(entry, succeeded),
		]),
	);
}

const cases = DIALECTS.flatMap((dialect) =>
	table.map((row) => ({ dialect, row, outcome: row.cells[dialect] })),
);

describe.each(DIALECTS)('under %s', (dialect) => {
	test.each(cases.filter((entry) => entry.dialect === dialect))(
		'$row.row: $outcome',
		async ({ row, outcome }) => {
			const expected = await guideOutput(row);
			h.sim.clearRequests();
			h.sim.setDialect(dialect);
			const ctx: Context = { sim: h.sim, succeeded: h.sim.dialect.successState };
			const result = await runRow(row, h.credentials, h.sim);

			if (outcome === 'same') {
				expect(result.error?.message).toBeUndefined();
				// No envelope reaches the output.
				for (const json of jsons(result)) {
					expect(json).not.toHaveProperty('result');
					expect(json).not.toHaveProperty('code');
				}
				if (row.single) expect(result.items).toHaveLength(1);
				row.check(result, ctx);
				expect(projection(row, result)).toEqual(renamedStatus(expected, ctx.succeeded));
				return;
			}

			// refused: the one list request, answered 401; the error says what to do and names no secret.
			expect(result.items).toEqual([]);
			expect(result.error?.message).toMatch(LIST_REFUSED);
			expect(result.error?.httpCode).toBe('401');
			expect(result.error?.description).toMatch(/2026-10-02/);
			expect(result.error?.text).not.toContain(h.sim.keySecret);
			expect(h.sim.requests.map(({ method, path, status }) => [method, path, status])).toEqual([
				['GET', row.listPath, 401],
			]);
			if ('search' in row) return;

			// With Continue On Fail the list gives an error item instead.
			h.sim.clearRequests();
			const tolerant = await runRow(row, h.credentials, h.sim, true);
			expect(tolerant.error).toBeUndefined();
			expect(tolerant.items).toHaveLength(1);
			expect(tolerant.items[0].json).toMatchObject({
				error: expect.stringMatching(LIST_REFUSED),
				httpCode: '401',
			});
			expect(JSON.stringify(tolerant.items)).not.toContain(h.sim.keySecret);
			expect(h.sim.requests.map(({ path, status }) => [path, status])).toEqual([
				[row.listPath, 401],
			]);
		},
	);
});

test('the table holds every operation of the node and every list search', () => {
	const operationRows = operations.map((row) => {
		const { resource, operation } = row.parameters(h.sim);
		return `${String(resource)}.${String(operation)}`;
	});
	expect([...new Set(operationRows)].sort()).toEqual(
		[
			'campaign.generate',
			'campaign.get',
			'campaign.getAll',
			'campaign.getGeneratedVideos',
			'product.getAll',
			'product.use',
			'savedWebhook.create',
			'savedWebhook.getAll',
			'speakeasyProject.getAll',
			'speakeasyProject.import',
			'store.getSettings',
			'video.generate',
			'video.get',
			'video.getAll',
			'videoInstance.get',
			'videoInstance.getAll',
			'workspace.getAll',
		].sort(),
	);
	expect(searches.map(({ row }) => row).sort()).toEqual(Object.keys(listSearch).sort());
});

// ---------- answers in no known form, and failures inside a 200 ----------

const BY_ID = `${S}/generated_video_by_id`;

function getVideo(sim: Simulator) {
	return runBHuman({
		parameters: { resource: 'video', operation: 'get', generationId: finishedGeneration(sim).id },
		credentials: h.credentials,
	});
}

describe('Video → Get: an answer in none of the known forms', () => {
	test.each([
		['text that is not JSON', 'not json at all', 'not json at all'],
		['a list of numbers', [1, 2, 3], '[1,2,3]'],
		['an envelope around a string', { code: 200, result: 'done' }, '{"code":200,"result":"done"}'],
	])('%s: fails naming the endpoint and quoting the answer', async (_name, body, quoted) => {
		h.sim.inject({ method: 'GET', path: BY_ID, status: 200, body });
		const { items, error } = await getVideo(h.sim);
		expect(items).toEqual([]);
		expect(error?.message).toBe(`BHuman's answer to GET ${BY_ID} is not a record: ${quoted}`);
		// Answered (200): not asked again.
		expect(h.sim.requests.filter((r) => r.path === BY_ID)).toHaveLength(1);
	});

	test('{code: 500, message} with HTTP 200 is a BHuman server error with its message, retried as a GET (4 requests)', async () => {
		h.sim.inject({
			method: 'GET',
			path: BY_ID,
			status: 200,
			body: { code: 500, message: 'boom' },
			times: -1,
		});
		const { error } = await getVideo(h.sim);
		expect(error?.message).toBe('BHuman answered with a server error (500)');
		expect(error?.description).toContain('BHuman says: boom');
		expect((error as { httpCode?: string } | undefined)?.httpCode).toBe('500');
		expect(h.sim.requests.map(({ method, path, status }) => [method, path, status])).toEqual(
			Array.from({ length: 4 }, () => ['GET', BY_ID, 200]),
		);
	}, 20_000);
});

describe('Video → Generate: the forms of the ids answer', () => {
	const TRY_SAMPLE = `${S}/try_sample`;
	const parameters = (sim: Simulator): INodeParameters => ({
		resource: 'video',
		operation: 'generate',
		videoInstanceId: rl(sim.data.videoInstances[0].id),
		inputMode: 'mapping',
		variables: rowVariables,
	});
	const posts = () => h.sim.requests.filter((r) => r.method === 'POST' && r.path === TRY_SAMPLE);

	async function generateWith(body: (ids: string[]) => unknown) {
		const ids = contacts.map(() => randomUUID());
		h.sim.inject({ method: 'POST', path: TRY_SAMPLE, status: 200, body: body(ids) });
		const result = await runBHuman({
			parameters: parameters(h.sim),
			items: contacts,
			credentials: h.credentials,
		});
		return { ids, ...result };
	}

	test.each([
		['{result: ids}', (ids: string[]) => ({ result: ids })],
		['{code: 200, result: ids}', (ids: string[]) => ({ code: 200, result: ids })],
	])('%s: one output per row with those ids', async (_name, body) => {
		const { ids, items, error } = await generateWith(body);
		expect(error?.message).toBeUndefined();
		expect(items.map((item) => [item.json.id, item.json.status, item.json.rowIndex])).toEqual([
			[ids[0], 'accepted', 0],
			[ids[1], 'accepted', 1],
		]);
		expect(posts()).toHaveLength(1);
	});

	// Bug: helpers/generate.ts reads ids only from `body.result` (its own resultIds) instead of the
	// transport's readIds, which docs/bhuman-api.md §3.1 says Generate accepts: a bare array of ids.
	test('a bare array of ids: one output per row with those ids', async () => {
		const { ids, items, error } = await generateWith((ids) => ids);
		expect(error?.message).toBeUndefined();
		expect(items.map((item) => [item.json.id, item.json.status, item.json.rowIndex])).toEqual([
			[ids[0], 'accepted', 0],
			[ids[1], 'accepted', 1],
		]);
		expect(posts()).toHaveLength(1);
	});

	test('{code: 400, message} with HTTP 200: fails with BHuman message, the POST not sent again', async () => {
		h.sim.inject({
			method: 'POST',
			path: TRY_SAMPLE,
			status: 200,
			body: { code: 400, message: 'bad rows' },
			times: -1,
		});
		const { items, error } = await runBHuman({
			parameters: parameters(h.sim),
			items: contacts,
			credentials: h.credentials,
		});
		expect(items).toEqual([]);
		expect(error?.message).toBe('Batch 1 of 1 failed: BHuman rejected the request: bad rows');
		expect(error?.description).toContain('BHuman says: bad rows');
		expect(error?.description).toContain('BHuman accepted no generation in this run.');
		expect(posts()).toHaveLength(1);
		expect(h.sim.requests).toHaveLength(1);
	});
});

/** The item without its `id` (a generated value the expectation cannot know). */
function withoutId(item: IDataObject): IDataObject {
	const rest = { ...item };
	delete rest.id;
	return rest;
}
