/**
 * A local HTTP listener that hands each request to the BHuman Trigger the way
 * n8n's webhook server does: the body parsed as n8n's body parser parses it, a
 * real n8n-core WebhookContext around the real request and response, and n8n's
 * answer for what `webhook()` returns (nothing when the node answered itself,
 * otherwise 200 with `webhookResponse`). The workflow's static data lives as
 * JSON between requests, as in n8n's database: loaded for each request and
 * saved when an accepted callback's execution ends.
 *
 * By default that execution takes no time (static data is saved as soon as
 * `webhook()` returns). With `execute: true` it is a real n8n-core execution of
 * `BHuman Trigger → Collect`, run after the answer was sent, and static data is
 * saved when it ends, as n8n does.
 */
import { http, querystring } from '../host';
import type { AddressInfo, IncomingMessage, ServerResponse } from '../host';
import { WebhookContext } from 'n8n-core';
import type {
	IDataObject,
	INode,
	INodeExecutionData,
	INodeParameters,
	IRun,
	IWebhookData,
	IWebhookResponseData,
	IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';
import { sleep, Workflow } from 'n8n-workflow';
import { BhumanTrigger } from '../../nodes/BhumanTrigger/BhumanTrigger.node';
import { clearDeliveryCache, rememberedKeys } from '../../nodes/BhumanTrigger/deliveries';
import {
	additionalDataFor,
	COLLECT_TYPE,
	executeWorkflow,
	nodeTypes,
	registerNodeType,
	type SimCredentials,
} from '../helpers/engine';
import { captureAnswer, type ParsedJson } from '../helpers/http';

export const TRIGGER_TYPE = 'n8n-nodes-bhuman.bhumanTrigger';
export const WEBHOOK_ID = '5b7c1f0e-7f5e-4d8a-9a55-0c6f2b1d9e11';
const DESCRIPTION = new BhumanTrigger().description;
/** The path n8n serves this node's production webhook on: /webhook/<webhookId>/<path>. */
export const WEBHOOK_PATH = `/webhook/${WEBHOOK_ID}/${DESCRIPTION.webhooks![0].path}`;

registerNodeType(TRIGGER_TYPE, new BhumanTrigger());

export interface Delivery {
	/** Status the listener answered. */
	status: number;
	/** Body it answered, parsed when JSON. */
	response: ParsedJson;
	/** What `webhook()` returned (undefined when it threw or the parser refused the body). */
	result?: IWebhookResponseData;
	/** The items of the execution it started, if it started one. */
	items?: INodeExecutionData[];
	/** The posted body as received (parsed JSON or text). */
	posted: unknown;
	/** With `execute: true`: the finished execution the callback started. */
	run?: IRun;
}

export interface TriggerListener {
	/** http://127.0.0.1:<port> */
	origin: string;
	/** The production webhook URL (origin + WEBHOOK_PATH). */
	url: string;
	deliveries: Delivery[];
	/** Deliveries that started an execution. */
	readonly accepted: Delivery[];
	/** The stored static data of the workflow (as n8n keeps it in its database). */
	staticData(): IDataObject;
	/** The delivery keys the trigger's static data holds, oldest first. */
	rememberedKeys(): string[];
	setParameters(parameters: INodeParameters): void;
	/** With `execute: true`: the executions that finished, in the order they finished. */
	runs: IRun[];
	/** As an n8n restart: the process-wide memory is gone, the stored static data stays. */
	restart(): void;
	/** Waits until `n` deliveries were answered. */
	waitFor(n: number, timeoutMs?: number): Promise<Delivery[]>;
	/** POSTs to the webhook URL (plus `query`) and returns the listener's answer. */
	post(
		body: unknown,
		init?: { query?: string; headers?: Record<string, string>; raw?: boolean },
	): Promise<Delivery>;
	close(): Promise<void>;
}


const DUMMY_CREDENTIALS: SimCredentials = {
	apiKeyId: 'unused',
	apiKeySecret: 'unused',
	baseUrl: 'http://127.0.0.1:9',
};

/** n8n's body parser (packages/cli/src/middlewares/body-parser.ts), for the content types a callback may use. */
function parseBody(
	req: IncomingMessage,
	rawBody: Buffer,
): { body: unknown } | { error: string } {
	const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
	let body: unknown;
	if (rawBody.length) {
		if (contentType === 'application/json') {
			try {
				body = JSON.parse(rawBody.toString('utf8'));
			} catch {
				return { error: 'Failed to parse request body' };
			}
		} else if (contentType === 'text/plain') {
			body = rawBody.toString('utf8');
		}
	}
	return { body: body ?? {} };
}

function send(res: ServerResponse, status: number, data: unknown) {
	res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
	res.end(JSON.stringify(data));
}

/**
 * What n8n answers for a webhook() result the node did not answer itself
 * (webhook-helpers.ts and webhook-on-received-response-extractor.ts, responseMode onReceived):
 * the description's responseData (default "firstEntryJson", sent as that text) when set,
 * else the node's webhookResponse.
 */
function n8nAnswer(result: IWebhookResponseData, responseData: unknown): unknown {
	if (result.workflowData === undefined)
		return result.webhookResponse ?? { message: 'Webhook call received' };
	const data = responseData === undefined ? 'firstEntryJson' : responseData;
	if (data === 'noData') return undefined;
	if (data) return data;
	return result.webhookResponse ?? { message: 'Workflow was started' };
}

/** Listeners started in this process (each is a fresh n8n with a workflow of its own). */
let listeners = 0;

export async function startTriggerListener(options: {
	parameters?: INodeParameters;
	credentials?: SimCredentials;
	/** Run each accepted callback's execution (Trigger → Collect) and save static data when it ends. */
	execute?: boolean;
	/**
	 * Time between loading a request's static data and saving it, as in a busy n8n (its database
	 * read and write, other requests): callbacks arriving within it each load the same memory.
	 * A function is asked once per request, e.g. for saves that finish in another order.
	 */
	saveDelayMs?: number | (() => number);
}): Promise<TriggerListener> {
	let parameters: INodeParameters = options.parameters ?? {};
	const credentials = options.credentials ?? DUMMY_CREDENTIALS;
	let storedStaticData = '{}';
	const deliveries: Delivery[] = [];
	const runs: IRun[] = [];
	const description = DESCRIPTION;
	// A new listener is a freshly started n8n: nothing in the process-wide memory (its workflow id
	// is new too, so no webhook call reuses a credential another listener read).
	clearDeliveryCache();
	const workflowId = `trigger-test-${++listeners}`;

	async function handle(
		req: IncomingMessage,
		res: ServerResponse,
	): Promise<Omit<Delivery, 'status' | 'response'>> {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const rawBody = Buffer.concat(chunks);
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		if (req.method !== 'POST' || url.pathname !== WEBHOOK_PATH) {
			send(res, 404, { code: 404, message: 'The requested webhook is not registered.' });
			return { posted: undefined };
		}
		const parsed = parseBody(req, rawBody);
		if ('error' in parsed) {
			// n8n answers this itself (UnprocessableRequestError); the node never runs.
			send(res, 422, { code: 422, message: parsed.error });
			return { posted: rawBody.toString('utf8') };
		}
		Object.assign(req, {
			body: parsed.body,
			rawBody,
			query: querystring.parse(url.search.slice(1)),
			params: {},
		});

		const node: INode = {
			id: 'trigger',
			name: 'BHuman Trigger',
			type: TRIGGER_TYPE,
			typeVersion: 1,
			position: [0, 0],
			webhookId: WEBHOOK_ID,
			parameters,
			credentials: { bhumanApi: { id: '1', name: 'BHuman account' } },
		};
		const collect: INode = {
			id: 'collect',
			name: 'Collect',
			type: COLLECT_TYPE,
			typeVersion: 1,
			position: [200, 0],
			parameters: {},
		};
		const workflow = new Workflow({
			id: workflowId,
			name: 'trigger test',
			nodes: options.execute ? [node, collect] : [node],
			connections: options.execute
				? { [node.name]: { main: [[{ node: collect.name, type: 'main', index: 0 }]] } }
				: {},
			nodeTypes,
			active: true,
			staticData: JSON.parse(storedStaticData) as IDataObject,
		});
		const additionalData: IWorkflowExecuteAdditionalData = {
			...additionalDataFor(credentials),
			httpRequest: req,
			httpResponse: res,
		} as unknown as IWorkflowExecuteAdditionalData;
		const webhookData: IWebhookData = {
			httpMethod: 'POST',
			node: node.name,
			path: `${WEBHOOK_ID}/${description.webhooks![0].path}`,
			webhookDescription: description.webhooks![0],
			workflowId: workflow.id,
			workflowExecuteAdditionalData: additionalData,
			webhookId: WEBHOOK_ID,
		};
		const context = new WebhookContext(
			workflow,
			workflow.nodes[node.name],
			additionalData,
			'webhook',
			webhookData,
			[],
			null,
		);

		let result: IWebhookResponseData;
		try {
			result = await new BhumanTrigger().webhook.call(context);
		} catch (error) {
			send(res, 500, { code: 0, message: 'Error in workflow', error: (error as Error).message });
			return { posted: parsed.body };
		}
		const saveStaticData = () => {
			if ((workflow.staticData as IDataObject).__dataChanged === true)
				storedStaticData = JSON.stringify(workflow.staticData);
		};
		const saveDelayMs =
			typeof options.saveDelayMs === 'function' ? options.saveDelayMs() : options.saveDelayMs;
		if (saveDelayMs) await sleep(saveDelayMs);
		if (result.workflowData !== undefined && !options.execute) saveStaticData();
		if (result.noWebhookResponse !== true) {
			if (res.headersSent)
				throw new Error('the node answered but did not return noWebhookResponse');
			send(res, 200, n8nAnswer(result, description.webhooks![0].responseData));
		} else if (!res.writableEnded) {
			throw new Error('noWebhookResponse returned but the node did not answer');
		}
		let run: IRun | undefined;
		if (result.workflowData !== undefined && options.execute) {
			run = await executeWorkflow(
				workflow,
				workflow.nodes[node.name],
				result.workflowData,
				credentials,
				'webhook',
			);
			runs.push(run);
			saveStaticData();
		}
		return { result, items: result.workflowData?.[0], posted: parsed.body, run };
	}

	const server = http.createServer((req, res) => {
		const answer = captureAnswer(res);
		handle(req, res)
			.then((partial) => {
				deliveries.push({ status: res.statusCode, response: answer(), ...partial });
			})
			.catch((error) => {
				if (!res.headersSent) send(res, 500, { message: String(error) });
				deliveries.push({ status: 500, response: String(error), posted: undefined });
			});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	const url = origin + WEBHOOK_PATH;

	return {
		origin,
		url,
		deliveries,
		runs,
		get accepted() {
			return deliveries.filter((delivery) => delivery.items !== undefined);
		},
		staticData: () => JSON.parse(storedStaticData) as IDataObject,
		rememberedKeys: () =>
			rememberedKeys(
				((JSON.parse(storedStaticData) as IDataObject)['node:BHuman Trigger'] ?? {}) as IDataObject,
			),
		restart: () => clearDeliveryCache(),
		setParameters(next) {
			parameters = next;
		},
		async waitFor(n, timeoutMs = 10_000) {
			const end = Date.now() + timeoutMs;
			while (deliveries.length < n && Date.now() < end) await sleep(10);
			return deliveries;
		},
		async post(body, init = {}) {
			const before = deliveries.length;
			const headers: Record<string, string> = {
				'content-type': 'application/json',
				...init.headers,
			};
			const response = await fetch(url + (init.query ? `?${init.query}` : ''), {
				method: 'POST',
				headers,
				body: init.raw ? (body as string) : body === undefined ? undefined : JSON.stringify(body),
			});
			await response.arrayBuffer();
			const end = Date.now() + 5_000;
			while (deliveries.length <= before && Date.now() < end) await sleep(2);
			const delivery = deliveries[before];
			if (delivery.status !== response.status)
				throw new Error(`recorded ${delivery.status}, answered ${response.status}`);
			return delivery;
		},
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}
