/**
 * Runs the BHuman nodes through n8n's own execution engine (n8n-core's
 * WorkflowExecute), the way packages/core/nodes-testing does for n8n's nodes,
 * with the credential applied as n8n applies generic authentication.
 */
import { fs, path } from '../host';
import { ExecutionLifecycleHooks, LoadOptionsContext, WorkflowExecute } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	INode,
	INodeCredentialsDetails,
	INodeExecutionData,
	INodeParameters,
	INodeType,
	INodeTypes,
	IRun,
	IRunExecutionData,
	IVersionedNodeType,
	IWorkflowExecuteAdditionalData,
	WorkflowExecuteMode,
	ExecutionError,
	IConnections,
} from 'n8n-workflow';
import { ICredentialsHelper, isExpression, Workflow } from 'n8n-workflow';
import { BhumanApi } from '../../credentials/BhumanApi.credentials';
import { Bhuman } from '../../nodes/Bhuman/Bhuman.node';

export const BHUMAN_TYPE = 'n8n-nodes-bhuman.bhuman';
export const SOURCE_TYPE = 'test.items';

/** A source node for tests: outputs the items given in its `items` parameter. */
class TestItems implements INodeType {
	description = {
		displayName: 'Test Items',
		name: 'items',
		group: ['input'],
		version: 1,
		description: 'Outputs fixed items',
		defaults: { name: 'Items' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [{ displayName: 'Items', name: 'items', type: 'json', default: '[]' }],
	} as unknown as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = JSON.parse(this.getNodeParameter('items', 0) as string) as IDataObject[];
		return [items.map((json) => ({ json }))];
	}
}

/**
 * Stand-in for n8n-nodes-base.manualTrigger (n8n-nodes-base is not a dependency): the start of a
 * workflow fixture, passing on the item the run starts with, as the real one does in a manual run.
 */
class ManualTrigger implements INodeType {
	description = {
		displayName: 'Manual Trigger',
		name: 'manualTrigger',
		group: ['trigger'],
		version: 1,
		description: 'Starts a manual run',
		defaults: { name: 'Start' },
		inputs: [],
		outputs: ['main'],
		properties: [],
	} as unknown as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [this.getInputData()];
	}
}

export const MANUAL_TRIGGER_TYPE = 'n8n-nodes-base.manualTrigger';
export const COLLECT_TYPE = 'test.collect';

/** A downstream node for tests: passes its input items through. */
class Collect implements INodeType {
	description = {
		displayName: 'Collect',
		name: 'collect',
		group: ['transform'],
		version: 1,
		description: 'Passes items through',
		defaults: { name: 'Collect' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [],
	} as unknown as INodeType['description'];

	/**
	 * With `readLeads` on, each run records, per item, what a step reading `$('Items').item` gets
	 * (n8n's own pairing resolution), or the error it throws.
	 */
	static readLeads = false;
	static leads: Array<IDataObject | string> = [];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		if (Collect.readLeads) {
			Collect.leads = items.map((_, index) => {
				try {
					return this.evaluateExpression('{{ $("Items").item.json }}', index) as IDataObject;
				} catch (error) {
					return (error as Error).message;
				}
			});
		}
		return [items.map((item, index) => ({ json: item.json, pairedItem: { item: index } }))];
	}
}

export { Collect };

export const FLAKY_TYPE = 'test.flaky';

/**
 * A downstream node for tests that fails while `Flaky.failing` is on (as an email step whose
 * server is down), and otherwise passes its input through.
 */
export class Flaky extends Collect {
	static failing = false;

	constructor() {
		super();
		this.description = { ...this.description, displayName: 'Flaky', name: 'flaky' };
	}

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		if (Flaky.failing) throw new Error('The email server is down');
		return await Collect.prototype.execute.call(this);
	}
}

const nodeTypeInstances: Record<string, INodeType> = {
	[BHUMAN_TYPE]: new Bhuman(),
	[SOURCE_TYPE]: new TestItems(),
	[MANUAL_TRIGGER_TYPE]: new ManualTrigger(),
	[COLLECT_TYPE]: new Collect(),
	[FLAKY_TYPE]: new Flaky(),
};

export function registerNodeType(type: string, nodeType: INodeType) {
	nodeTypeInstances[type] = nodeType;
}

export const nodeTypes: INodeTypes = {
	getByName: (type: string) => nodeTypeInstances[type] as INodeType | IVersionedNodeType,
	getByNameAndVersion: (type: string) => nodeTypeInstances[type],
	getKnownTypes: () => ({}),
};

const credentialTypes: Record<string, ICredentialType> = { bhumanApi: new BhumanApi() };

/** n8n's CredentialsHelper reduced to what nodes need: stored data and generic auth. */
export class TestCredentialsHelper extends ICredentialsHelper {
	/** How many times any node read a credential (n8n decrypts it and resolves its expressions). */
	static reads = 0;

	constructor(private readonly credentials: Record<string, ICredentialDataDecryptedObject>) {
		super();
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions,
		workflow: Workflow,
		node: INode,
	): Promise<IHttpRequestOptions> {
		const { authenticate } = credentialTypes[typeName];
		if (typeof authenticate === 'function') return await authenticate(credentials, requestOptions);
		if (authenticate?.type !== 'generic') return requestOptions;
		// As packages/cli's CredentialsHelper: every key and value may be an expression over $credentials.
		const resolve = (value: string) =>
			isExpression(value)
				? String(
						workflow.expression.getSimpleParameterValue(
							node,
							value,
							'internal',
							{ $credentials: credentials } as never,
							undefined,
							'',
						) ?? '',
					)
				: value;
		for (const [outerKey, outerValue] of Object.entries(authenticate.properties)) {
			const target = ((requestOptions as unknown as IDataObject)[outerKey] ??= {}) as IDataObject;
			for (const [key, value] of Object.entries(outerValue as IDataObject)) {
				target[resolve(key)] = resolve(value as string);
			}
		}
		return requestOptions;
	}

	async preAuthentication() {
		return undefined;
	}

	async runPreAuthentication() {
		return undefined;
	}

	getParentTypes() {
		return [];
	}

	async getDecrypted(
		_data: IWorkflowExecuteAdditionalData,
		_details: INodeCredentialsDetails,
		type: string,
	) {
		TestCredentialsHelper.reads++;
		return { ...(this.credentials[type] ?? {}) };
	}

	async getCredentials(): Promise<never> {
		throw new Error('not used by these nodes');
	}

	async updateCredentials() {}

	async updateCredentialsOauthTokenData() {}

	getCredentialsProperties(type: string) {
		return credentialTypes[type].properties;
	}

	isCredentialUsableByNode() {
		return true;
	}
}

export interface SimCredentials {
	apiKeyId: string;
	apiKeySecret: string;
	baseUrl: string;
}

export function additionalDataFor(
	credentials: SimCredentials,
	hooks?: ExecutionLifecycleHooks,
	overrides: Partial<IWorkflowExecuteAdditionalData> = {},
): IWorkflowExecuteAdditionalData {
	return {
		credentialsHelper: new TestCredentialsHelper({ bhumanApi: { ...credentials } }),
		hooks,
		executeWorkflow: async () => {
			throw new Error('not used');
		},
		restApiUrl: 'http://localhost:5678/rest',
		instanceBaseUrl: 'http://localhost:5678/',
		webhookBaseUrl: 'http://localhost:5678/webhook',
		webhookWaitingBaseUrl: 'http://localhost:5678/webhook-waiting',
		webhookTestBaseUrl: 'http://localhost:5678/webhook-test',
		formWaitingBaseUrl: 'http://localhost:5678/form-waiting',
		currentNodeParameters: undefined,
		executionTimeoutTimestamp: undefined,
		userId: 'test-user',
		variables: {},
		logAiEvent: () => {},
		getRunExecutionData: async () => undefined,
		...overrides,
	} as unknown as IWorkflowExecuteAdditionalData;
}

export interface RunOptions {
	parameters: INodeParameters;
	/** Input items of the BHuman node (as json). */
	items?: IDataObject[];
	credentials: SimCredentials;
	continueOnFail?: boolean;
	/** n8n's node settings: retryOnFail, maxTries, waitBetweenTries, executeOnce, alwaysOutputData… */
	settings?: Partial<
		Pick<
			INode,
			'retryOnFail' | 'maxTries' | 'waitBetweenTries' | 'executeOnce' | 'alwaysOutputData'
		>
	>;
}

export interface RunResult {
	/** Output items of the BHuman node (main output 0). */
	items: INodeExecutionData[];
	/** The execution's error, when the node stopped it. */
	error?: ExecutionError;
	run: IRun;
}

let executionCounter = 0;

/** Where an execution runs: its id (n8n's, in `$execution`) and what n8n adds to additionalData. */
export interface ExecutionOptions {
	executionId?: string;
	additionalData?: Partial<IWorkflowExecuteAdditionalData>;
}

/**
 * Runs (or, with the data of a waiting execution, resumes) `runExecutionData` through n8n-core's
 * WorkflowExecute and returns the run when it ends or starts waiting.
 */
export async function runExecution(
	workflow: Workflow,
	runExecutionData: IRunExecutionData,
	credentials: SimCredentials,
	mode: WorkflowExecuteMode,
	{ executionId = String(++executionCounter), additionalData = {} }: ExecutionOptions = {},
): Promise<IRun> {
	const hooks = new ExecutionLifecycleHooks(mode, executionId, {
		id: workflow.id,
		name: workflow.name,
		nodes: Object.values(workflow.nodes),
		connections: workflow.connectionsBySourceNode,
		active: mode !== 'manual',
		activeVersionId: null,
		isArchived: false,
		createdAt: new Date(),
		updatedAt: new Date(),
	} as never);
	let finished!: (run: IRun) => void;
	const done = new Promise<IRun>((resolve) => (finished = resolve));
	hooks.addHandler('workflowExecuteAfter', (fullRunData) => finished(fullRunData));
	await new WorkflowExecute(
		additionalDataFor(credentials, hooks, { executionId, ...additionalData }),
		mode,
		runExecutionData,
	).processRunExecutionData(workflow);
	return await done;
}

/** The data of a new execution starting at `start` with `input`, as n8n starts manual and webhook runs. */
export function newRunExecutionData(
	start: INode,
	input: INodeExecutionData[][],
	extra: Partial<IRunExecutionData> = {},
): IRunExecutionData {
	return {
		startData: {},
		resultData: { runData: {} },
		executionData: {
			contextData: {},
			metadata: {},
			waitingExecution: {},
			waitingExecutionSource: null,
			nodeExecutionStack: [{ node: start, data: { main: input }, source: null }],
		},
		...extra,
	} as unknown as IRunExecutionData;
}

/**
 * One execution of `workflow` through n8n-core's WorkflowExecute, starting at
 * `start` with `input` as its data, as n8n starts manual and webhook runs.
 */
export async function executeWorkflow(
	workflow: Workflow,
	start: INode,
	input: INodeExecutionData[][],
	credentials: SimCredentials,
	mode: WorkflowExecuteMode,
	options: ExecutionOptions = {},
): Promise<IRun> {
	return await runExecution(
		workflow,
		newRunExecutionData(start, input),
		credentials,
		mode,
		options,
	);
}

/** The nodes `Items → BHuman` of a test workflow: the items and the BHuman node with its settings. */
export function itemsIntoBHuman({
	parameters,
	items = [{}],
	continueOnFail,
	settings,
}: Omit<RunOptions, 'credentials'>): [INode, INode] {
	const source: INode = {
		id: 'source',
		name: 'Items',
		type: SOURCE_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters: { items: JSON.stringify(items) },
	};
	const bhuman: INode = {
		id: 'bhuman',
		name: 'BHuman',
		type: BHUMAN_TYPE,
		typeVersion: 1,
		position: [200, 0],
		parameters,
		credentials: { bhumanApi: { id: '1', name: 'BHuman account' } },
		...(continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
		...settings,
	};
	return [source, bhuman];
}

/** Runs `Items → BHuman` as one workflow execution and returns the BHuman node's output. */
export async function runBHuman(options: RunOptions): Promise<RunResult> {
	const [source, bhuman] = itemsIntoBHuman(options);
	const { credentials } = options;
	const workflow = new Workflow({
		id: 'test',
		name: 'test',
		nodes: [source, bhuman],
		connections: { Items: { main: [[{ node: 'BHuman', type: 'main', index: 0 }]] } },
		nodeTypes,
		active: false,
		settings: {},
	});

	const run = await executeWorkflow(workflow, source, [[{ json: {} }]], credentials, 'manual');

	const taskData = run.data.resultData.runData.BHuman?.[0];
	return {
		items: (taskData?.data?.main?.[0] ?? []) as INodeExecutionData[],
		error: run.data.resultData.error,
		run,
	};
}

/** A LoadOptionsContext for the BHuman node, for list searches. */
export function loadOptionsContext(credentials: SimCredentials, parameters: INodeParameters = {}) {
	const node: INode = {
		id: 'bhuman',
		name: 'BHuman',
		type: BHUMAN_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters,
		credentials: { bhumanApi: { id: '1', name: 'BHuman account' } },
	};
	const workflow = new Workflow({
		id: 'test',
		nodes: [node],
		connections: {},
		nodeTypes,
		active: false,
	});
	return new LoadOptionsContext(workflow, node, additionalDataFor(credentials), 'parameters');
}

// ---------- workflow fixtures, as n8n's packages/core/nodes-testing runs them ----------

/**
 * A `*.workflow.json` test: a workflow whose `pinData` holds the expected output of each named
 * node (items as `{json}`, pairedItem left out), run from its start node in manual mode.
 */
export interface WorkflowFixture {
	name: string;
	nodes: INode[];
	connections: IConnections;
	pinData: Record<string, Array<{ json: IDataObject }>>;
	/** Our counterpart of n8n's `nock` mocks: the API requests the run must send, in order. */
	requests?: Array<{ method: string; path: string; query?: Record<string, string> }>;
}

/** Reads a fixture, replacing each key of `vars` (e.g. `$SIM_URL`) in its text. */
export function readWorkflowFixture(
	file: string,
	vars: Record<string, string> = {},
): WorkflowFixture {
	let text = fs.readFileSync(file, 'utf8');
	for (const [key, value] of Object.entries(vars)) text = text.split(key).join(value);
	return JSON.parse(text) as WorkflowFixture;
}

/** One manual run of a workflow (pinData not applied: it is the expectation, as in n8n's harness). */
export async function runWorkflow(
	fixture: Pick<WorkflowFixture, 'name' | 'nodes' | 'connections'>,
	credentials: SimCredentials,
): Promise<IRun> {
	const { name, nodes, connections } = fixture;
	const workflow = new Workflow({
		id: 'test',
		name,
		nodes,
		connections,
		nodeTypes,
		active: false,
		settings: {},
	});
	return await executeWorkflow(
		workflow,
		workflow.getStartNode()!,
		[[{ json: {} }]],
		credentials,
		'manual',
	);
}

/** The first output of each node of a run, as fixtures state it. */
export function nodeOutputs(run: IRun): Record<string, Array<{ json: IDataObject }>> {
	const { runData } = run.data.resultData;
	return Object.fromEntries(
		Object.entries(runData).map(([node, tasks]) => [
			node,
			(tasks[0]?.data?.main?.[0] ?? []).map(({ json }) => ({ json })),
		]),
	);
}

/**
 * One jest test per `*.workflow.json` in `dir`: the run must end without error, each node named in
 * `pinData` must output exactly those items, and the simulator must have received `requests`.
 */
export function testWorkflowFixtures(
	dir: string,
	env: {
		credentials: SimCredentials;
		sim: {
			url: string;
			requests: Array<{ method: string; path: string; query: Record<string, string> }>;
		};
	},
) {
	const files = fs.readdirSync(dir).filter((file) => file.endsWith('.workflow.json'));
	test.each(files)('%s', async (file) => {
		const fixture = readWorkflowFixture(path.join(dir, file), { $SIM_URL: env.sim.url });
		const run = await runWorkflow(fixture, env.credentials);
		expect(run.data.resultData.error?.message).toBeUndefined();
		const outputs = nodeOutputs(run);
		for (const node of Object.keys(fixture.pinData))
			expect(outputs[node]).toEqual(fixture.pinData[node]);
		if (fixture.requests) {
			const sent = env.sim.requests.map(({ method, path, query }) => ({ method, path, query }));
			expect(sent).toEqual(fixture.requests.map((request) => ({ query: {}, ...request })));
		}
	});
	return files;
}
