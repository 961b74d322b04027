/**
 * The output schemas (nodes/<Node>/__schema__, what n8n's editor shows before a node has run,
 * and what its AI builder reads) against the real output: every operation of the BHuman node,
 * and the trigger, run through n8n's engine against the simulator. The convention (see
 * test/helpers/schema.ts): `required` fields are in every item, the others may be absent, and
 * every field a schema names shows up in some run of its operation.
 */
import { fromRoot, fs, path } from '../host';
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';
import { Bhuman } from '../../nodes/Bhuman/Bhuman.node';
import { nodeMap } from '../../nodes/Bhuman/actions/node.type';
import { BhumanTrigger } from '../../nodes/BhumanTrigger/BhumanTrigger.node';
import { runBHuman } from '../helpers/engine';
import { startWaitingServer } from '../helpers/waiting';
import {
	readSchema,
	schemaFile,
	SchemaCheck,
	versionFolder,
	type JsonSchema,
} from '../helpers/schema';
import { rl, simGetAll, withSimulator } from '../helpers/sim';
import { startTriggerListener } from '../trigger/harness';

const h = withSimulator();

const NODE_DIR = fromRoot('nodes', 'Bhuman');
/** Where n8n reads them: the build copies the one set of the node's schemas for each version. */
const BUILT_NODE_DIR = fromRoot('dist', 'nodes', 'Bhuman');
const TRIGGER_DIR = fromRoot('nodes', 'BhumanTrigger');
const NODE_VERSIONS = new Bhuman().description.version as number[];
const NODE_VERSION = NODE_VERSIONS[NODE_VERSIONS.length - 1];
const TRIGGER_VERSIONS = new BhumanTrigger().description.version as number[];
const OPERATIONS = Object.entries(nodeMap).flatMap(([resource, operations]) =>
	operations.map((operation) => `${resource}.${operation}`),
);
const POLL = '/api/ai_studio/generated_video_by_id';

/** One run of an operation: its parameters (read inside the test: the simulator is up then). */
interface Case {
	name: string;
	parameters: () => INodeParameters | Promise<INodeParameters>;
	/** Runs before the node (and `after`, after it). */
	before?: () => void;
	after?: () => void;
	/**
	 * Until BHuman Calls Back: the run waits in n8n and is resumed by the simulator's callbacks
	 * (`callbacks`), or by n8n at Max Wait (`maxWait`), or by the last callback while BHuman's
	 * status route is down (`lastCallbackDown`: that video unconfirmed): its output after the
	 * resume is checked.
	 */
	resumedBy?: 'callbacks' | 'maxWait' | 'lastCallbackDown';
}

const data = () => h.sim.data;
const instance = () => data().videoInstances.find((i) => i.variables.length === 2)!;
/** A campaign with WhatsApp on: its videos carry whatsapp_video_url. */
const whatsappCampaign = () => data().campaigns.find((c) => c.whatsapp_enabled)!;
/** The id of a generated video the simulator lists at `path` (with `query`) that passes `filter`. */
async function generationId(
	path: string,
	query: Record<string, string>,
	filter: (record: IDataObject) => boolean,
): Promise<string> {
	const found = (await simGetAll<IDataObject>(h, `/api/ai_studio/${path}`, query)).find(filter);
	if (!found) throw new Error(`no such generated video at ${path}`);
	return found.id as string;
}

/** Rows of a generate run: one succeeds, one fails (the simulator's `sim:fail`). */
const ROWS = [
	['Ada', 'Acme'],
	['Bo', 'sim:fail'],
];

/** The rows in JSON mode, all from one item. */
const rows = (target: IDataObject): INodeParameters => ({
	inputMode: 'json',
	variablesJson: '["name", "company"]',
	namesJson: JSON.stringify(ROWS),
	...target,
});

/**
 * The ways Generate waits. Each one's output is the waited output the schema describes; a new
 * waiting mode (e.g. until BHuman calls back) adds its parameters here.
 */
const WAITING: Array<{
	name: string;
	parameters: INodeParameters;
	resumedBy?: Case['resumedBy'];
}> = [
	{
		name: 'Wait for Completion (polling)',
		parameters: { waitForCompletion: true, pollInterval: 1 },
	},
	{
		name: 'Wait for Completion (until BHuman calls back)',
		parameters: { waitForCompletion: true, waitMethod: 'callback' },
		resumedBy: 'callbacks',
	},
	{
		name: 'Wait for Completion (until BHuman calls back), Max Wait reached',
		parameters: { waitForCompletion: true, waitMethod: 'callback' },
		resumedBy: 'maxWait',
	},
	{
		name: 'Wait for Completion (until BHuman calls back), BHuman down at the last callback',
		parameters: { waitForCompletion: true, waitMethod: 'callback' },
		resumedBy: 'lastCallbackDown',
	},
];

/** Generate's runs: without waiting, each way of waiting, and waiting until Max Wait while polls fail. */
function generateCases(target: () => IDataObject): Case[] {
	return [
		{ name: 'without waiting', parameters: () => rows(target()) },
		...WAITING.map((mode) => ({
			name: mode.name,
			parameters: () => ({ ...rows(target()), ...mode.parameters, maxWait: 1 }),
			resumedBy: mode.resumedBy,
			// At Max Wait no callback has come.
			...(mode.resumedBy === 'maxWait'
				? {
						before: () => h.sim.setCallbacks({ repeat: 0 }),
						after: () => h.sim.setCallbacks({ repeat: 1 }),
					}
				: {}),
		})),
		{
			// The same rows made by a run before: the videos BHuman made are reused (reused: true).
			name: 'Reuse Videos BHuman Already Made, after a run of the same rows',
			parameters: async () => {
				const first = await runBHuman({
					parameters: {
						resource: 'campaignId' in target() ? 'campaign' : 'video',
						operation: 'generate',
						...rows(target()),
					},
					items: [{}],
					credentials: h.credentials,
				});
				if (first.error) throw first.error;
				return { ...rows(target()), options: { reuseVideos: true } };
			},
		},
		{
			name: 'waiting while BHuman refuses every poll, until Max Wait',
			parameters: () => ({ ...rows(target()), ...WAITING[0].parameters, maxWait: 0.02 }),
			before: () => h.sim.inject({ method: 'GET', path: POLL, status: 400, times: -1 }),
			after: () => h.sim.clearFaults(),
		},
	];
}

const CASES: Record<string, Case[]> = {
	'campaign.generate': generateCases(() => ({ campaignId: rl(whatsappCampaign().id) })),
	'campaign.get': [
		{ name: 'by ID', parameters: () => ({ campaignId: rl(whatsappCampaign().id) }) },
	],
	'campaign.getAll': [{ name: 'Return All', parameters: () => ({ returnAll: true }) }],
	'campaign.getGeneratedVideos': [
		{
			name: 'of a WhatsApp campaign',
			parameters: () => ({ campaignId: rl(whatsappCampaign().id), limit: 20 }),
		},
	],
	'product.getAll': [{ name: 'Return All', parameters: () => ({ returnAll: true }) }],
	'product.use': [
		{
			name: 'into a workspace',
			parameters: () => ({
				productId: rl(data().products[0].id),
				workspaceId: rl(data().workspaces[0].workspace_id),
			}),
		},
	],
	'savedWebhook.create': [
		{
			name: 'a webhook',
			parameters: () => ({ name: 'CRM', webhookUrl: 'https://hooks.example.com/bhuman' }),
		},
	],
	'savedWebhook.getAll': [{ name: 'Return All', parameters: () => ({ returnAll: true }) }],
	'speakeasyProject.getAll': [{ name: 'Return All', parameters: () => ({ returnAll: true }) }],
	'speakeasyProject.import': [
		{ name: 'a project', parameters: () => ({ projectId: rl(data().speakeasyProjects[0].id) }) },
	],
	'store.getSettings': [{ name: 'categories and tags', parameters: () => ({}) }],
	'video.generate': generateCases(() => ({ videoInstanceId: rl(instance().id) })),
	'video.get': [
		{
			name: "a video instance's video, with Download Video",
			parameters: async () => ({
				generationId: await generationId(
					'generated_video_by_video_instance_id',
					{ video_instance_id: instance().id },
					(video) => video.status === 'succeeded',
				),
				downloadVideo: true,
			}),
		},
		{
			name: "a WhatsApp campaign's video",
			parameters: async () => ({
				generationId: await generationId(
					'generated_video_by_campaign_id',
					{ campaign_id: whatsappCampaign().id },
					(video) => typeof video.whatsapp_video_url === 'string',
				),
			}),
		},
	],
	'video.getAll': [
		{ name: 'of a video instance', parameters: () => ({ videoInstanceId: rl(instance().id) }) },
	],
	'videoInstance.get': [
		{ name: 'by ID', parameters: () => ({ videoInstanceId: rl(instance().id) }) },
	],
	'videoInstance.getAll': [{ name: 'Return All', parameters: () => ({ returnAll: true }) }],
	'workspace.getAll': [{ name: 'Return All', parameters: () => ({ returnAll: true }) }],
};

/** Runs every case of an operation and checks all their output against `schema`. */
async function checkOperation(operation: string, schema: JsonSchema): Promise<SchemaCheck> {
	const [resource, op] = operation.split('.');
	const check = new SchemaCheck(schema);
	for (const run of CASES[operation]) {
		run.before?.();
		try {
			const parameters = { resource, operation: op, ...(await run.parameters()) };
			const { items, error } = run.resumedBy
				? await runWaiting(parameters, run.resumedBy)
				: await runBHuman({ parameters, items: [{}], credentials: h.credentials });
			if (error) check.problems.push(`${run.name}: the run failed: ${error.message}`);
			check.check(
				items.map((item) => item.json),
				run.name,
			);
		} finally {
			run.after?.();
		}
	}
	return check;
}

/** A run that waits until BHuman calls back, resumed by its callbacks or at Max Wait: the node's output. */
async function runWaiting(parameters: INodeParameters, resumedBy: Case['resumedBy']) {
	const server = await startWaitingServer({ credentials: h.credentials });
	const down = resumedBy === 'lastCallbackDown';
	try {
		// One row per item: Until BHuman Calls Back refuses an item with more. BHuman down at the
		// last callback: both renders held, so that the first calls back before BHuman goes down.
		const started = await server.start({
			parameters: {
				...parameters,
				namesJson: '={{ JSON.stringify([[$json.name, $json.company]]) }}',
			},
			items: ROWS.map(([name, company]) => ({ name, company: down ? 'sim:never' : company })),
		});
		if (down) {
			const waiting = started.runs[0].data.resultData.runData.BHuman[0].data!.main[0]!;
			const [first, last] = waiting.map((item) => item.json.id as string);
			h.sim.completeGeneration(first, 'succeeded');
			const end = Date.now() + 5000;
			while (server.calls.length < 1 && Date.now() < end) await sleep(20);
			h.sim.inject({ method: 'GET', path: POLL, status: 500, times: -1 });
			h.sim.completeGeneration(last, 'failed');
		}
		const done =
			resumedBy === 'maxWait' ? await server.expire(started.id) : await server.settle(started.id);
		return {
			items: server.output(done.id, 'BHuman'),
			error: done.runs[done.runs.length - 1].data.resultData.error,
		};
	} finally {
		if (down) h.sim.clearFaults();
		await server.close();
	}
}

const nodeSchema = (operation: string) =>
	readSchema(
		schemaFile(BUILT_NODE_DIR, NODE_VERSION, ...(operation.split('.') as [string, string])),
	);

/** Every file below a folder, relative to it. */
const filesBelow = (dir: string) =>
	fs
		.readdirSync(dir, { recursive: true, withFileTypes: true })
		.filter((entry) => entry.isFile())
		.map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
		.sort();

describe('the schema files', () => {
	test('one per operation of the node in the sources (v1.0.0), and no other', () => {
		expect(filesBelow(path.join(NODE_DIR, '__schema__'))).toEqual(
			OPERATIONS.map((op) => `v1.0.0/${op.replace('.', '/')}.json`).sort(),
		);
	});

	test('built where n8n looks for each version of the node (v1.0.0, v1.1.0), the same files', () => {
		expect(NODE_VERSIONS.map(versionFolder)).toEqual(['v1.0.0', 'v1.1.0']);
		const built = filesBelow(path.join(BUILT_NODE_DIR, '__schema__'));
		expect(built).toEqual(
			NODE_VERSIONS.flatMap((version) =>
				OPERATIONS.map((op) => `${versionFolder(version)}/${op.replace('.', '/')}.json`),
			).sort(),
		);
		for (const op of OPERATIONS) {
			const [resource, operation] = op.split('.');
			const texts = NODE_VERSIONS.map((version) =>
				fs.readFileSync(schemaFile(BUILT_NODE_DIR, version, resource, operation), 'utf8'),
			);
			expect(texts[1]).toBe(texts[0]);
		}
	});

	test('one per version of the trigger (no resource or operation: __schema__/v<version>.json)', () => {
		expect(filesBelow(path.join(TRIGGER_DIR, '__schema__'))).toEqual(
			TRIGGER_VERSIONS.map((version) => `${versionFolder(version)}.json`).sort(),
		);
	});

	test('every case list covers an operation of the node, and every operation has one', () => {
		expect(Object.keys(CASES).sort()).toEqual([...OPERATIONS].sort());
	});
});

describe('each operation: its output against its schema, both ways', () => {
	test.each(OPERATIONS)('%s', async (operation) => {
		const check = await checkOperation(operation, nodeSchema(operation));
		expect(check.problems).toEqual([]);
		expect(check.unseen()).toEqual([]);
	});
});

describe('Generate: the schema is the waited output, what only waiting adds is optional', () => {
	test.each(['video.generate', 'campaign.generate'])(
		'%s: pageUrl, mp4Url and status are in the schema; only what every run has is required',
		(operation) => {
			const schema = nodeSchema(operation);
			for (const field of [
				'pageUrl',
				'mp4Url',
				'thumbnailUrl',
				'gifUrl',
				'status',
				'timedOut',
				'polls',
			])
				expect(schema.properties).toHaveProperty(field);
			const target = operation === 'video.generate' ? 'videoInstanceId' : 'campaignId';
			expect(schema.required).toEqual(['id', 'status', 'rowIndex', 'batch', 'variables', target]);
		},
	);

	test('the check fails on a drifted schema: a field renamed, a field made required, a type changed', async () => {
		const schema = nodeSchema('video.generate');
		const { mp4Url, ...rest } = schema.properties!;
		const drifted: JsonSchema = {
			...schema,
			properties: { ...rest, mp4URL: mp4Url, polls: { type: 'string' } },
			required: [...schema.required!, 'pageUrl'],
		};
		const check = await checkOperation('video.generate', drifted);
		expect(check.problems).toEqual(
			expect.arrayContaining([
				expect.stringMatching(/^without waiting, item 0: \$\.pageUrl is required by the schema/),
				expect.stringMatching(
					/^Wait for Completion \(polling\), item 0: \$\.mp4Url is in the output, not in the schema/,
				),
				expect.stringMatching(
					/^Wait for Completion \(polling\), item 0: \$\.polls is integer \(1\); the schema says string/,
				),
			]),
		);
		expect(check.unseen()).toEqual(['$.mp4URL']);
	});
});

describe('BHuman Trigger: its callbacks against its schema, both ways', () => {
	/** The trigger's output items for the callbacks of a generate run (all events selected). */
	async function callbackItems(verify: boolean, target: 'campaign' | 'video') {
		const listener = await startTriggerListener({
			parameters: {
				events: ['video.succeeded', 'video.failed', 'whatsapp.ready', 'other'],
				verify,
			},
			credentials: h.credentials,
			execute: true,
		});
		try {
			const generated = await runBHuman({
				parameters: {
					resource: target,
					operation: 'generate',
					...rows({
						...(target === 'campaign'
							? { campaignId: rl(whatsappCampaign().id) }
							: { videoInstanceId: rl(instance().id) }),
						callbackUrl: listener.url,
					}),
				},
				credentials: h.credentials,
			});
			expect(generated.error).toBeUndefined();
			// succeeded and failed; a WhatsApp campaign's succeeded video then sends whatsapp.ready
			const expected = target === 'campaign' ? 3 : 2;
			for (const end = Date.now() + 10_000; listener.runs.length < expected && Date.now() < end; )
				await sleep(20);
			expect(listener.runs).toHaveLength(expected);
			const items = listener.runs.flatMap((run) =>
				run.data.resultData.runData['BHuman Trigger'][0].data!.main[0]!.map((item) => item.json),
			);
			expect(items.map((item) => item.verified)).toEqual(items.map(() => verify));
			return items;
		} finally {
			await listener.close();
		}
	}

	test("a WhatsApp campaign's callbacks, and a video instance's verified with BHuman", async () => {
		const items = [
			...(await callbackItems(false, 'campaign')),
			...(await callbackItems(true, 'video')),
		];
		expect(items.map((item) => item.event).sort()).toEqual([
			'video.failed',
			'video.failed',
			'video.succeeded',
			'video.succeeded',
			'whatsapp.ready',
		]);
		for (const version of TRIGGER_VERSIONS) {
			const check = new SchemaCheck(readSchema(schemaFile(TRIGGER_DIR, version))).check(
				items,
				`version ${version}`,
			);
			expect(check.problems).toEqual([]);
			expect(check.unseen()).toEqual([]);
		}
	});
});
