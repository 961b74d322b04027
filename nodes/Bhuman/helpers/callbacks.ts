/**
 * Wait for Completion → Until BHuman Calls Back: the execution waits in n8n's database (no memory,
 * no worker) and BHuman's callbacks go to the execution's own resume URL, where `callbackWebhook`
 * decides whether a callback resumes it.
 *
 * What n8n keeps between calls, and nothing else, carries the run:
 * - the node's input on the execution stack, replaced by the output it will have at Max Wait
 *   (every item with its generation id and `timedOut: true`): n8n resumes a timed-out wait by
 *   passing that input through without running node code, and `callbackWebhook` reads the same
 *   items to build the output of a resume;
 * - the node's context (a token for the resume URL, the download settings).
 * A callback that does not resume saves nothing: each decision is made from the callback's own
 * body and what BHuman answers now about the other generations of the run.
 */
import { randomBytes } from 'crypto';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	IWebhookDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { parseCallback, type CallbackRequest } from './callbackBody';
import { checkToken } from './token';
import { CREDENTIAL_TYPE, firstRecord, isLoopbackHost, readCredentials } from '../transport';
import { errorJson } from './utils';
import { fetchGeneration, FINAL_STATUSES, normalizeVideo } from './video';
import { attachVideo } from './wait';

/** Rows one run may wait for this way: see the README's measurement (cost of a callback as the run grows). */
export const MAX_CALLBACK_ROWS = 500;

/**
 * The node's waiting webhook, as n8n's own "send and wait" nodes declare it (a constant, as they
 * do: n8n's lint rule webhook-lifecycle-complete is for triggers, whose inline `webhooks` need
 * checkExists/create/delete). `restartWebhook`: served only for an execution waiting at this node,
 * at <n8n>/webhook-waiting/<execution id>/<node id>.
 */
export const callbackWebhooks: IWebhookDescription[] = [
	{
		name: 'default',
		httpMethod: 'POST',
		responseMode: 'onReceived',
		responseData: '',
		path: '={{ $nodeId }}',
		restartWebhook: true,
		isFullPath: true,
	},
];

/**
 * What n8n's editor says under "Waiting for input" in the output panel (and the logs) while the node
 * waits for BHuman, as the Wait node says what it waits for: the node type's `waitingNodeTooltip`,
 * an expression the editor evaluates with the node's parameters. Empty when the node does not wait.
 */
export const callbackWaitingTooltip =
	'={{ $parameter.waitForCompletion === true && $parameter.waitMethod === "callback" ? "Execution will continue when BHuman has called back for every video (or when Max Wait is over)" : "" }}';

const CONTEXT_KEY = 'bhumanCallbacks';
/** A callback checks at most this many other generations at once. */
const CHECK_CONCURRENCY = 20;
/** How long a callback may take to ask BHuman about the others before it is answered 503. */
const CHECK_DEADLINE_MS = 30_000;
/** How long the resuming callback waits for BHuman's record of its own video before it uses its body. */
const COMPLETE_DEADLINE_MS = 10_000;

interface WaitState {
	token: string;
	download?: { property: string; maxBytes: number };
}

/** The resume URL BHuman calls back, with a token of this run (n8n 1.x's resume URLs are guessable). */
export function callbackTarget(this: IExecuteFunctions): { url: string; token: string } {
	const resumeUrl = this.evaluateExpression('{{ $execution.resumeUrl }}', 0);
	if (typeof resumeUrl !== 'string' || !URL.canParse(resumeUrl)) {
		throw new NodeOperationError(this.getNode(), 'n8n gave this execution no resume URL', {
			description: 'Nothing was sent to BHuman. Use How to Wait → By Polling BHuman.',
		});
	}
	const token = randomBytes(24).toString('base64url');
	const url = new URL(resumeUrl);
	url.pathname = `${url.pathname.replace(/\/+$/, '')}/${encodeURIComponent(this.getNode().id)}`;
	url.searchParams.set('token', token);
	return { url: url.toString(), token };
}

/** Private and loopback addresses: BHuman's servers cannot call them back. */
function unreachableHost(hostname: string): boolean {
	return (
		isLoopbackHost(hostname) ||
		/^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.)/.test(hostname) ||
		hostname.endsWith('.local') ||
		!hostname.includes('.')
	);
}

/**
 * Refuses, before anything is paid for, what cannot work: BHuman itself (no Base URL) calling back
 * an n8n that only this network can reach, and the node running as an AI agent's tool.
 */
export async function checkCallbackWait(this: IExecuteFunctions, url: string, rows: number) {
	const node = this.getNode();
	if (node.type.endsWith('Tool')) {
		throw new NodeOperationError(node, 'Until BHuman Calls Back does not run as an AI tool', {
			description: 'Nothing was sent to BHuman. Use How to Wait → By Polling BHuman in a tool.',
		});
	}
	if (rows > MAX_CALLBACK_ROWS) {
		throw new NodeOperationError(
			node,
			`Until BHuman Calls Back waits for at most ${MAX_CALLBACK_ROWS} videos in one run; this run has ${rows}`,
			{
				description:
					'Nothing was sent to BHuman. Split the items into runs of at most that many (e.g. Loop Over Items), or use How to Wait → By Polling BHuman, or send the Callback URL of a BHuman Trigger without waiting.',
			},
		);
	}
	const credentials = await this.getCredentials(CREDENTIAL_TYPE);
	const baseUrl = typeof credentials.baseUrl === 'string' ? credentials.baseUrl.trim() : '';
	const { hostname } = new URL(url);
	if (baseUrl === '' && unreachableHost(hostname.replace(/^\[(.*)\]$/, '$1'))) {
		throw new NodeOperationError(
			node,
			`BHuman cannot call back this n8n: its resume URL is on ${hostname}`,
			{
				description:
					"Nothing was sent to BHuman. Set n8n's public address in its WEBHOOK_URL setting, or use How to Wait → By Polling BHuman.",
			},
		);
	}
}

/**
 * Puts the execution to wait until Max Wait with `pending` (the output at Max Wait) as the node's
 * input, and returns it as the node's output while it waits.
 */
export async function waitForCallbacks(
	this: IExecuteFunctions,
	pending: INodeExecutionData[],
	options: { token: string; maxWaitMs: number; download?: WaitState['download'] },
): Promise<INodeExecutionData[]> {
	const state: WaitState = { token: options.token, download: options.download };
	this.getContext('node')[CONTEXT_KEY] = state;
	// The stack entry n8n saves with the waiting execution (and passes through at Max Wait).
	this.getExecuteData().data = { main: [pending] };
	await this.putExecutionToWait(new Date(Date.now() + options.maxWaitMs));
	return pending;
}

// ---------------------------------------------------------------- the resume URL's webhook

/** The part of n8n's response object a webhook answers with. */
export interface WebhookAnswer {
	writeHead(status: number, headers: Record<string, string>): unknown;
	end(body: string): unknown;
}

/**
 * Answers the call here, with our status and JSON body, and tells n8n not to answer again (n8n
 * would answer 200); with `workflowData`, n8n still starts (or resumes) the execution.
 */
export function respond(
	this: IWebhookFunctions,
	status: number,
	body: IDataObject,
	workflowData?: INodeExecutionData[][],
): IWebhookResponseData {
	const res = this.getResponseObject() as unknown as WebhookAnswer;
	res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
	res.end(JSON.stringify(body));
	return { noWebhookResponse: true, ...(workflowData ? { workflowData } : {}) };
}

/** Errors of asking BHuman about the other videos (answered 503: BHuman may deliver again). */
const checkFailures = new WeakSet<Error>();

/** JS string literal whose braces cannot close n8n's `{{ }}` (a node name may hold "}}"). */
function literal(text: string): string {
	return JSON.stringify(text).replace(/[{}]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** The waiting items (the node's input on the stack) and the node's context, read through n8n's expression engine. */
function readWait(this: IWebhookFunctions): { items: INodeExecutionData[]; state?: WaitState } {
	const value = this.evaluateExpression(
		`{{ { items: $input.all(), state: $(${literal(this.getNode().name)}).context[${literal(CONTEXT_KEY)}] } }}`,
	) as { items?: INodeExecutionData[]; state?: WaitState } | undefined;
	return { items: Array.isArray(value?.items) ? value.items : [], state: value?.state };
}

/**
 * BHuman's records with a final status that this process has been given. A final status does not
 * change, so a callback need not ask about it again; requests in flight are shared, so callbacks
 * that arrive together ask BHuman once per generation. Only what BHuman said is kept (a callback
 * body decides nothing about the other videos of its run), and only as a cache: a generation it
 * does not hold is asked about. Bounded in time and size.
 */
const finals = new Map<string, { record: IDataObject; at: number }>();
const asking = new Map<string, Promise<IDataObject>>();
const FINALS_TTL_MS = 60 * 60 * 1000;
const FINALS_MAX = 20_000;

function rememberFinal(id: string, record: IDataObject) {
	if (!FINAL_STATUSES.includes(record.status as string)) return;
	const now = Date.now();
	for (const [key, entry] of finals) {
		if (now - entry.at < FINALS_TTL_MS && finals.size < FINALS_MAX) break;
		finals.delete(key);
	}
	finals.set(id, { record, at: now });
}

type ReadCredentials = () => Promise<ICredentialDataDecryptedObject>;

/** BHuman's record of generation `id`, one request shared by the callbacks that ask at once. */
function askBHuman(
	this: IWebhookFunctions,
	id: string,
	deadline: number,
	credentials: ReadCredentials,
): Promise<IDataObject> {
	let pending = asking.get(id);
	if (!pending) {
		pending = (async () => {
			const answer = await fetchGeneration.call(this, id, undefined, deadline, await credentials());
			const record = (firstRecord(answer) ?? {}) as IDataObject;
			rememberFinal(id, record);
			return record;
		})();
		asking.set(id, pending);
		void pending.then(
			() => asking.delete(id),
			() => asking.delete(id),
		);
	}
	return pending;
}

/** Runs `work` on each of `ids`, in growing rounds (1, 2, 4 … at most CHECK_CONCURRENCY at once). */
async function inRounds<T>(
	ids: string[],
	work: (id: string) => Promise<T>,
	stop: (answer: T) => boolean = () => false,
): Promise<{ stoppedAt?: string }> {
	for (
		let start = 0, size = 1;
		start < ids.length;
		start += size, size = Math.min(size * 2, CHECK_CONCURRENCY)
	) {
		const round = ids.slice(start, start + size);
		const answers = await Promise.all(round.map(work));
		const index = answers.findIndex(stop);
		if (index >= 0) return { stoppedAt: round[index] };
	}
	return {};
}

/**
 * Asks BHuman about `ids` it has not yet said are final, and stops at the first that is not final:
 * while videos render a callback costs one request, and callbacks that arrive together once the
 * videos are final share their requests instead of each asking about every other video.
 */
async function checkOthers(
	this: IWebhookFunctions,
	ids: string[],
	credentials: ReadCredentials,
): Promise<{ unfinished?: string }> {
	const deadline = Date.now() + CHECK_DEADLINE_MS;
	const unknown = ids.filter((id) => !finals.has(id));
	const { stoppedAt } = await inRounds(
		unknown,
		async (id) => {
			try {
				return await askBHuman.call(this, id, deadline, credentials);
			} catch (error) {
				const failure = new NodeOperationError(
					this.getNode(),
					`BHuman could not be asked about generation ${id}: ${(error as Error).message}`,
				);
				checkFailures.add(failure);
				throw failure;
			}
		},
		(record) => !FINAL_STATUSES.includes(record.status as string),
	);
	return { unfinished: stoppedAt };
}

/**
 * Each video's record at the resume: BHuman's, so that every item has the polling mode's fields.
 * The others' were just given by BHuman; the resuming video's is asked for within
 * COMPLETE_DEADLINE_MS, and if BHuman cannot answer (or still says it renders) its callback body
 * stands: the callback said it is final.
 */
async function finalRecords(
	this: IWebhookFunctions,
	ids: string[],
	own: { id: string; body: IDataObject },
	credentials: ReadCredentials,
): Promise<Map<string, IDataObject>> {
	const deadline = Date.now() + COMPLETE_DEADLINE_MS;
	const records = new Map<string, IDataObject>([[own.id, own.body]]);
	await inRounds(ids, async (id) => {
		const record =
			finals.get(id)?.record ??
			(await askBHuman.call(this, id, deadline, credentials).catch(() => undefined));
		if (FINAL_STATUSES.includes(record?.status as string)) records.set(id, record!);
	});
	return records;
}

/**
 * Runs that resumed in this process (execution and node): a repeat of the last callback that
 * arrives while n8n starts the resumed run must not resume it again (n8n 2.x refuses a second
 * resume itself; 1.x does not). Bounded: entries older than an hour are dropped.
 */
const resumed = new Map<string, number>();
const RESUMED_TTL_MS = 60 * 60 * 1000;

function claimResume(key: string): boolean {
	const now = Date.now();
	for (const [entry, at] of resumed) {
		if (now - at < RESUMED_TTL_MS) break;
		resumed.delete(entry);
	}
	if (resumed.has(key)) return false;
	resumed.set(key, now);
	return true;
}

/**
 * The node's output at a resume: each waiting item with its generation's record, as the polling
 * mode outputs them.
 */
function resumedItems(
	items: INodeExecutionData[],
	records: Map<string, IDataObject>,
): INodeExecutionData[] {
	return items.map((item) => {
		const id = typeof item.json.id === 'string' ? item.json.id.toLowerCase() : undefined;
		const record = id !== undefined && item.json.error === undefined ? records.get(id) : undefined;
		if (!record) return item;
		return {
			json: {
				...normalizeVideo(record),
				...item.json,
				status: record.status,
				timedOut: false,
				polls: 0,
			},
			pairedItem: item.pairedItem,
		};
	});
}

async function downloadAll(
	this: IWebhookFunctions,
	items: INodeExecutionData[],
	download: NonNullable<WaitState['download']>,
) {
	for (const item of items) {
		const { json } = item;
		if (json.status !== 'succeeded' || typeof json.mp4Url !== 'string' || json.timedOut) continue;
		const id = String(json.id);
		try {
			await attachVideo.call(this, item, id, json.mp4Url, download.property, 0, download.maxBytes);
		} catch (error) {
			// The execution has resumed: a failed download cannot stop the node any more, so the item
			// says it, with its id and URLs (the video stays on BHuman).
			Object.assign(json, errorJson(error as Error), {
				description: `The video was generated (generation ${id}) and stays on BHuman: only the download failed. Get it with Video → Get and Download Video on, or from its mp4Url.`,
			});
		}
	}
}

/** A callback to this execution's resume URL: refused, acknowledged, or the resume of the run. */
export async function callbackWebhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	try {
		return await handleCallback.call(this);
	} catch (error) {
		// Never thrown to n8n: it would resume the execution with the error. The run keeps waiting.
		const checkFailed = checkFailures.has(error as Error);
		this.logger.warn(`BHuman callback not processed: ${(error as Error).message}`);
		return respond.call(this, checkFailed ? 503 : 500, {
			result: 'error',
			reason: checkFailed
				? 'Could not ask BHuman about the other videos of this run: the execution keeps waiting'
				: 'The callback could not be processed: the execution keeps waiting',
		});
	}
}

async function handleCallback(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const { items, state } = readWait.call(this);
	if (!state?.token)
		return respond.call(this, 404, {
			result: 'rejected',
			reason: 'This execution is not waiting for BHuman',
		});

	// 1. The run's token, before the body is looked at.
	const token = checkToken(
		state.token,
		this.getQueryData() as IDataObject,
		this.getHeaderData() as IDataObject,
	);
	if (token === 'missing')
		return respond.call(this, 401, { result: 'rejected', reason: 'This callback needs a token' });
	if (token === 'wrong')
		return respond.call(this, 403, { result: 'rejected', reason: 'The token is wrong' });

	// 2. A callback about a generation of this run.
	const parsed = parseCallback(this.getRequestObject() as unknown as CallbackRequest);
	if (!parsed.ok) return respond.call(this, 400, { result: 'rejected', reason: parsed.reason });
	const { id, event, body } = parsed;
	const ids = [
		...new Set(
			items
				.filter((item) => item.json.error === undefined && typeof item.json.id === 'string')
				.map((item) => (item.json.id as string).toLowerCase()),
		),
	];
	const position = ids.indexOf(id);
	if (position < 0)
		return respond.call(this, 403, { result: 'rejected', reason: 'Not a generation of this run' });
	const status = typeof body.status === 'string' ? body.status : undefined;
	if (typeof body.event === 'string' || !FINAL_STATUSES.includes(status as string)) {
		return respond.call(this, 200, { result: 'noted', id, event, reason: 'not a final status' });
	}

	// 3. The others, asked in the order BHuman likely finishes them: those after this one first.
	const others = [...ids.slice(position + 1), ...ids.slice(0, position)];
	let read: Promise<ICredentialDataDecryptedObject> | undefined;
	const credentials = async () => await (read ??= readCredentials.call(this));
	const { unfinished } = await checkOthers.call(this, others, credentials);
	if (unfinished)
		return respond.call(this, 200, { result: 'waiting', id, event, waitingFor: unfinished });

	// 4. Every video is final: resume, once.
	const key = `${this.getWorkflow().id ?? ''}/${this.getExecutionId()}/${this.getNode().id}`;
	if (!claimResume(key))
		return respond.call(this, 200, {
			result: 'ignored',
			id,
			event,
			reason: 'this run has resumed already',
		});
	const output = resumedItems(items, await finalRecords.call(this, ids, { id, body }, credentials));
	const answer = { result: 'resumed', id, event, videos: ids.length };
	if (!state.download) return { webhookResponse: answer, workflowData: [output] };
	// Downloads take as long as they take: BHuman gets its answer first.
	const reply = respond.call(this, 200, answer, [output]);
	await downloadAll.call(this, output, state.download);
	return reply;
}
