/**
 * n8n's waiting executions around the test engine, for Generate's "Until BHuman Calls Back":
 *
 * - a run (Items → BHuman → Collect, through n8n-core's WorkflowExecute) that ends waiting is
 *   kept as n8n keeps it in its database: its run data as JSON, status `waiting`;
 * - an HTTP listener serves `/webhook-waiting/<execution id>/<suffix>` the way n8n's
 *   WaitingWebhooks does (packages/cli/src/webhooks/waiting-webhooks.ts, read in 1.123.81 and
 *   2.40.7): 404 for an unknown execution, 409 for one that is running or finished; else the
 *   stored data is loaded, the waiting node disabled, its last run popped, the node's restart
 *   webhook matched by method and path, and its `webhook()` run in a real n8n-core
 *   WebhookContext around the real request and response. A returned `workflowData` becomes the
 *   waiting node's data and the execution is resumed through WorkflowExecute (n8n's form-waiting
 *   URLs are not served: no node here has a form-type webhook). With `line: 2`, the
 *   run gets n8n 2.x's resume token (`$execution.resumeUrl` carries it) and a call without it is
 *   answered 401, and a second resume of one execution is refused (2.x's compare-and-set);
 *   `line: 1` (the default) has neither, as n8n 1.x.
 * - `expire(id)` resumes an execution as n8n's wait tracker does at its waitTill: without running
 *   node code.
 * - `queueResumes(true)` holds each resume a webhook returns, the execution still waiting, as n8n
 *   does under its production concurrency limit while every slot is taken; `releaseResumes()`
 *   runs them in order.
 * - `retry(id)` runs a failed execution again as n8n's ExecutionService.retry does (Executions →
 *   Retry, read in 1.123.81 and 2.40.7): a new execution in mode `retry` with the failed one's
 *   data (run data, stack, node contexts), its error removed and the failed node's last run
 *   popped; "with currently saved workflow" swaps in the saved nodes, on the stack too.
 *
 * The simulator calls the listener back for real (`callback_url`).
 */
import { http, querystring, report } from '../host';
import type { AddressInfo, IncomingMessage, ServerResponse } from '../host';
import { WebhookContext } from 'n8n-core';
import type {
	IDataObject,
	INode,
	INodeParameters,
	INodeExecutionData,
	IRun,
	IRunExecutionData,
	IWebhookData,
	IWebhookResponseData,
	IWorkflowExecuteAdditionalData,
	WorkflowExecuteMode,
} from 'n8n-workflow';
import { sleep, Workflow } from 'n8n-workflow';
import {
	additionalDataFor,
	COLLECT_TYPE,
	FLAKY_TYPE,
	itemsIntoBHuman,
	newRunExecutionData,
	nodeTypes,
	runExecution,
	type RunOptions,
	type SimCredentials,
} from './engine';
import type { Simulator } from '../../simulator';
import { captureAnswer } from './http';

export type ExecutionStatus = 'waiting' | 'running' | 'success' | 'error';

export interface StoredExecution {
	id: string;
	status: ExecutionStatus;
	mode: WorkflowExecuteMode;
	/** The run data as n8n stores it (JSON). */
	data: string;
	resumeToken?: string;
	/** Every part of the execution that ran: the first, then each resume. */
	runs: IRun[];
}

export interface WaitingCall {
	executionId: string;
	status: number;
	response: unknown;
	/** What `webhook()` returned, when it ran. */
	result?: IWebhookResponseData;
}

export interface WaitingServer {
	/** n8n's webhookWaitingBaseUrl: <origin>/webhook-waiting */
	baseUrl: string;
	/** Stops answering: each call gets a 409 from then on, as while n8n has not saved the wait. */
	busy(on: boolean): void;
	/**
	 * As n8n under its production concurrency limit with every slot taken: a resume a webhook
	 * returns waits in a queue, the execution still reads waiting (and takes more callbacks).
	 */
	queueResumes(on: boolean): void;
	/** Frees the slot: runs the queued resumes in order (a second one on 1.x runs the rest again); how many. */
	releaseResumes(): Promise<number>;
	executions: Map<string, StoredExecution>;
	calls: WaitingCall[];
	/**
	 * Starts Items → BHuman → Collect; resolves when it ends or starts waiting. `executionId` runs
	 * it under the id of an execution that has finished: as the next pass of a loop in the same
	 * execution (same execution id, same node), which n8n resumes through the same URL.
	 * `workflowSettings` are the workflow's settings (e.g. n8n 2.x's `binaryMode`).
	 */
	start(
		options: Omit<RunOptions, 'credentials'> & {
			mode?: WorkflowExecuteMode;
			executionId?: string;
			workflowSettings?: IDataObject;
			/** The last node: Collect, or Flaky (fails while `Flaky.failing`). */
			last?: 'collect' | 'flaky';
		},
	): Promise<StoredExecution>;
	/** Resumes a waiting execution as n8n's wait tracker does at Max Wait (no node code runs). */
	expire(id: string): Promise<StoredExecution>;
	/**
	 * n8n's retry of a failed execution (Executions → Retry); `saved` edits the workflow's nodes
	 * first, as "with currently saved workflow" after the user changed them. Resolves when the
	 * new execution ends or starts waiting.
	 */
	retry(id: string, saved?: (nodes: INode[]) => void): Promise<StoredExecution>;
	/** Waits until the execution has `status` (default: no longer waiting or running). */
	settle(id: string, timeoutMs?: number): Promise<StoredExecution>;
	/** Output items of a node in the execution's latest run. */
	output(id: string, node: string): INodeExecutionData[];
	/** As an n8n restart: forgets nothing stored (the module state of the node is not touched). */
	close(): Promise<void>;
}

/** Execution ids are unique in the process, as in n8n's database (the node keeps per-run state by id). */
let executionCounter = 0;

function send(res: ServerResponse, status: number, data: unknown) {
	if (res.headersSent) return;
	res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
	res.end(JSON.stringify(data));
}

export async function startWaitingServer(options: {
	credentials: SimCredentials;
	line?: 1 | 2;
}): Promise<WaitingServer> {
	const { credentials } = options;
	const line = options.line ?? 1;
	const executions = new Map<string, StoredExecution>();
	const workflows = new Map<
		string,
		{ nodes: INode[]; connections: Workflow['connectionsBySourceNode']; settings: IDataObject }
	>();
	const calls: WaitingCall[] = [];
	let baseUrl = '';
	let busy = false;
	/** Resumes held as n8n's concurrency queue holds them (`queueResumes`), in order. */
	let queued: Array<() => Promise<void>> | undefined;

	const workflowOf = (id: string) => {
		const { nodes, connections, settings } = workflows.get(id)!;
		return new Workflow({
			id: `waiting-${id}`,
			name: 'waiting test',
			nodes: JSON.parse(JSON.stringify(nodes)) as INode[],
			connections,
			nodeTypes,
			active: false,
			settings,
		});
	};

	/** Runs (or resumes) an execution and stores it as n8n does when it ends or waits. */
	async function run(stored: StoredExecution, data: IRunExecutionData) {
		stored.status = 'running';
		const result = await runExecution(workflowOf(stored.id), data, credentials, stored.mode, {
			executionId: stored.id,
			additionalData: { webhookWaitingBaseUrl: baseUrl },
		});
		stored.runs.push(result);
		stored.data = JSON.stringify(result.data);
		stored.status = result.waitTill
			? 'waiting'
			: result.data.resultData.error
				? 'error'
				: 'success';
		return stored;
	}

	async function handle(req: IncomingMessage, res: ServerResponse): Promise<WaitingCall> {
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const [, prefix, executionId, suffix] = url.pathname.split('/');
		const call: WaitingCall = { executionId, status: 0, response: undefined };
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const rawBody = Buffer.concat(chunks);
		const stored = executions.get(executionId);
		if (prefix !== 'webhook-waiting' || !stored) {
			send(res, 404, { message: `The execution "${executionId}" does not exist.` });
			return call;
		}
		if (stored.resumeToken && url.searchParams.get('signature') !== stored.resumeToken) {
			send(res, 401, { error: 'Invalid token' });
			return call;
		}
		if (busy || stored.status !== 'waiting') {
			send(res, 409, {
				message: `The execution "${executionId}" ${stored.status === 'running' ? 'is running already' : 'has finished already'}.`,
			});
			return call;
		}
		const data = JSON.parse(stored.data) as IRunExecutionData;
		const lastNode = data.resultData.lastNodeExecuted!;
		data.executionData!.nodeExecutionStack[0].node.disabled = true;
		data.waitTill = undefined;
		data.resultData.runData[lastNode].pop();

		const workflow = workflowOf(executionId);
		const node = workflow.getNode(lastNode)!;
		const description = nodeTypes.getByNameAndVersion(node.type, node.typeVersion).description;
		const webhook = (description.webhooks ?? []).find(
			(entry) =>
				entry.restartWebhook === true &&
				entry.httpMethod === req.method &&
				workflow.expression.getSimpleParameterValue(node, entry.path, 'internal', {}) === suffix,
		);
		if (!webhook) {
			send(res, 404, { message: 'no waiting webhook with a matching path/method' });
			return call;
		}
		const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
		let body: unknown = {};
		if (rawBody.length && contentType === 'application/json') {
			try {
				body = JSON.parse(rawBody.toString('utf8'));
			} catch {
				send(res, 422, { message: 'Failed to parse request body' });
				return call;
			}
		} else if (rawBody.length && contentType === 'text/plain') body = rawBody.toString('utf8');
		Object.assign(req, {
			body,
			rawBody,
			query: querystring.parse(url.search.slice(1)),
			params: {},
		});

		const additionalData = additionalDataFor(credentials, undefined, {
			executionId,
			webhookWaitingBaseUrl: baseUrl,
			httpRequest: req,
			httpResponse: res,
		} as unknown as Partial<IWorkflowExecuteAdditionalData>);
		const webhookData: IWebhookData = {
			httpMethod: req.method as IWebhookData['httpMethod'],
			node: node.name,
			path: String(suffix),
			webhookDescription: webhook,
			workflowId: workflow.id,
			workflowExecuteAdditionalData: additionalData,
		};
		const context = new WebhookContext(
			workflow,
			node,
			additionalData,
			stored.mode,
			webhookData,
			[],
			data,
		);
		const nodeType = nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
		// n8n 2.x reports a webhook() that throws as an error of the resumed execution; the node
		// must never do that, so here it fails the test's call loudly.
		call.result = await nodeType.webhook!.call(context);
		const { workflowData, webhookResponse, noWebhookResponse } = call.result;
		const answer = () => send(res, 200, webhookResponse ?? { message: 'Workflow was started' });
		// n8n 1.x answers (responseMode onReceived) before it resumes the run; 2.x once the resume
		// is taken (its concurrency queue, its compare-and-set), as it does for its Wait node.
		if (noWebhookResponse !== true && (workflowData === undefined || line === 1)) answer();
		if (workflowData !== undefined) {
			const resume = async () => {
				if (line === 2 && stored.status !== 'waiting') {
					// 2.x: the resume is a compare-and-set on status "waiting"; n8n answers the error.
					send(res, 409, { message: `The execution "${executionId}" is already being resumed` });
					return;
				}
				if (line === 2) answer();
				const entry = data.executionData!.nodeExecutionStack[0];
				entry.data.main = workflowData;
				entry.metadata = { ...entry.metadata, forwardAllOutputs: true };
				await run(stored, data);
			};
			// Under n8n's production concurrency limit the resume waits in n8n's queue, the
			// execution still waiting, until a slot frees (active-executions.js add()).
			if (queued) queued.push(resume);
			else await resume();
		}
		return call;
	}

	const server = http.createServer((req, res) => {
		const answer = captureAnswer(res);
		const record = (call: WaitingCall) =>
			calls.push({ ...call, status: res.statusCode, response: answer() });
		handle(req, res).then(record, (error: Error) => {
			send(res, 500, { message: error.message });
			record({ executionId: '?', status: 500, response: undefined });
			report('waiting server:', error);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	baseUrl = `${origin}/webhook-waiting`;

	return {
		baseUrl,
		busy(on) {
			busy = on;
		},
		queueResumes(on) {
			queued = on ? [] : undefined;
		},
		async releaseResumes() {
			const held = queued ?? [];
			queued = undefined;
			for (const resume of held) await resume();
			return held.length;
		},
		executions,
		calls,
		async start({
			parameters,
			items = [{}],
			continueOnFail,
			settings,
			mode = 'manual',
			executionId,
			workflowSettings = {},
			last = 'collect',
		}) {
			if (executionId && executions.get(executionId)?.status !== 'success')
				throw new Error(`execution ${executionId} has not finished`);
			const id = executionId ?? `w${++executionCounter}`;
			const [source, bhuman] = itemsIntoBHuman({ parameters, items, continueOnFail, settings });
			bhuman.id = '0f6a3c1e-5d2b-4c8a-9e7f-1b2c3d4e5f60';
			const collect: INode = {
				id: 'collect',
				name: 'Collect',
				type: last === 'flaky' ? FLAKY_TYPE : COLLECT_TYPE,
				typeVersion: 1,
				position: [400, 0],
				parameters: {},
			};
			workflows.set(id, {
				nodes: [source, bhuman, collect],
				connections: {
					Items: { main: [[{ node: 'BHuman', type: 'main', index: 0 }]] },
					BHuman: { main: [[{ node: 'Collect', type: 'main', index: 0 }]] },
				},
				settings: workflowSettings,
			});
			const resumeToken = line === 2 ? `resume-token-${id}` : undefined;
			const stored: StoredExecution = {
				id,
				status: 'running',
				mode,
				data: '{}',
				resumeToken,
				runs: executions.get(id)?.runs ?? [],
			};
			executions.set(id, stored);
			const data = newRunExecutionData(
				source,
				[[{ json: {} }]],
				resumeToken ? { resumeToken } : {},
			);
			return await run(stored, data);
		},
		async expire(id) {
			const stored = executions.get(id)!;
			if (stored.status !== 'waiting') throw new Error(`execution ${id} is ${stored.status}`);
			// The wait tracker starts the stored execution; WorkflowExecute sees its waitTill and
			// passes the waiting node's input through.
			return await run(stored, JSON.parse(stored.data) as IRunExecutionData);
		},
		async retry(id, saved) {
			const failed = executions.get(id)!;
			if (failed.status !== 'error') throw new Error(`execution ${id} is ${failed.status}`);
			const data = JSON.parse(failed.data) as IRunExecutionData;
			const { lastNodeExecuted } = data.resultData;
			delete data.resultData.error;
			const runs = lastNodeExecuted ? data.resultData.runData[lastNodeExecuted] : undefined;
			if (runs?.length && runs[runs.length - 1].error !== undefined) runs.pop();
			const workflow = JSON.parse(JSON.stringify(workflows.get(id))) as {
				nodes: INode[];
				connections: Workflow['connectionsBySourceNode'];
				settings: IDataObject;
			};
			if (saved) {
				saved(workflow.nodes);
				for (const entry of data.executionData!.nodeExecutionStack)
					entry.node = workflow.nodes.find((node) => node.name === entry.node.name)!;
			}
			const retryId = `w${++executionCounter}`;
			workflows.set(retryId, workflow);
			const stored: StoredExecution = {
				id: retryId,
				status: 'running',
				mode: 'retry',
				data: '{}',
				// n8n 2.x: the retried execution keeps the data's resume token.
				resumeToken: line === 2 ? (data as { resumeToken?: string }).resumeToken : undefined,
				runs: [],
			};
			executions.set(retryId, stored);
			return await run(stored, data);
		},
		async settle(id, timeoutMs = 20_000) {
			const end = Date.now() + timeoutMs;
			for (;;) {
				const stored = executions.get(id)!;
				if (stored.status === 'success' || stored.status === 'error') return stored;
				if (Date.now() > end) throw new Error(`execution ${id} is still ${stored.status}`);
				await sleep(20);
			}
		},
		output(id, node) {
			const stored = executions.get(id)!;
			const last = stored.runs[stored.runs.length - 1];
			return (last?.data.resultData.runData[node]?.[0]?.data?.main?.[0] ??
				[]) as INodeExecutionData[];
		},
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}

/**
 * Video → Generate of the simulator's first video instance (variables name and company from the
 * lead's first_name and company), waiting until BHuman calls back, Max Wait 10 minutes.
 */
export function callbackParams(sim: Simulator, extra: INodeParameters = {}): INodeParameters {
	return {
		resource: 'video',
		operation: 'generate',
		videoInstanceId: { __rl: true, mode: 'id', value: sim.data.videoInstances[0].id },
		inputMode: 'mapping',
		variables: {
			variable: [
				{ name: 'name', value: '={{ $json.first_name }}' },
				{ name: 'company', value: '={{ $json.company }}' },
			],
		},
		waitForCompletion: true,
		waitMethod: 'callback',
		maxWait: 10,
		...extra,
	};
}
