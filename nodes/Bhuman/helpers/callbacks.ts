/**
 * Wait for Completion → Until BHuman Calls Back: the execution waits in n8n's database (no memory,
 * no worker) and BHuman's callbacks go to the execution's own resume URL, where `callbackWebhook`
 * decides whether a callback resumes it.
 *
 * What n8n keeps between calls, and nothing else, carries the run:
 * - the node's input on the execution stack, replaced by the output it will have at Max Wait
 *   (every item with its generation id and `timedOut: true`): n8n resumes a timed-out wait by
 *   passing that input through without running node code, and a resume reads the same items;
 * - the node's context (`WaitState`: the resume URL's token, the run's ids and pairing, Max Wait,
 *   the download settings), read by the webhook before anything else.
 * A callback that does not resume saves nothing: each decision is made from the callback's own
 * body and what BHuman answers now about the other generations of the run.
 *
 * n8n runs no node code when it resumes a waiting node through its webhook: the webhook's output
 * is the node's output. Except for one path: a form-type waiting webhook called with GET
 * (`WaitingForms`, the Form node's page) leaves the node enabled, so n8n runs it again with the
 * webhook's output as its input. Download Video takes that path: the resume runs the node again in
 * the execution (on a worker in queue mode), which fetches BHuman's records and the MP4s there.
 */
import { randomBytes } from 'crypto';
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	IWebhookDescription,
	NodeApiError,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';
import { callbackQuery, parseCallback, WHATSAPP_READY, type CallbackRequest } from './callbackBody';
import { checkToken } from './token';
import { hasBaseUrl, isLoopbackHost, quoteAnswer } from '../transport';
import { errorJson, explain, listIds } from './utils';
import { fetchGeneration, isFinal, isSucceeded, normalizeVideo } from './video';
import { downloadGenerated, forEachConcurrently } from './wait';

/** Rows one run may wait for this way: see the README's measurement (cost of a callback as the run grows). */
export const MAX_CALLBACK_ROWS = 500;

/**
 * A static path (no expression): n8n 2.x evaluates every field of a node's webhook descriptions
 * when a resume URL is called, and in a workflow with the combined binary mode (Execution Logic
 * v2) its expression engine fails any expression there ("Node … hasn't been executed"). Not empty:
 * a later Wait node of the same execution (path '') must not take BHuman's late callbacks.
 */
const WEBHOOK = {
	responseMode: 'onReceived',
	responseData: '',
	path: 'bhuman',
	restartWebhook: true,
} as const;

/**
 * The node's waiting webhooks, as n8n's own "send and wait" nodes declare them (a constant, as
 * they do: n8n's lint rule webhook-lifecycle-complete is for triggers). `restartWebhook`: served
 * only for an execution waiting at this node.
 * - POST <n8n>/webhook-waiting/<execution id>/bhuman: BHuman's callbacks (and the node's own
 *   check after it has started to wait);
 * - GET <n8n>/form-waiting/<execution id>/bhuman: the resume of a run with Download Video, after
 *   which n8n runs the node again (see the top of this file).
 */
export const callbackWebhooks: IWebhookDescription[] = [
	{ name: 'default', httpMethod: 'POST', ...WEBHOOK },
	{ name: 'default', httpMethod: 'GET', nodeType: 'form', ...WEBHOOK },
];

/**
 * What n8n's editor says under "Waiting for input" in the output panel (and the logs) while the node
 * waits for BHuman, as the Wait node says what it waits for: the node type's `waitingNodeTooltip`,
 * an expression the editor evaluates with the node's parameters. Empty when the node does not wait.
 */
export const callbackWaitingTooltip =
	'={{ $parameter.waitForCompletion === true && $parameter.waitMethod === "callback" ? "Execution will continue when BHuman has called back for every video (or when Max Wait is over)" : "" }}';

const CONTEXT_KEY = 'bhumanCallbacks';
/** Header of the node's own check of a waiting run (sent with the run's token). */
const CHECK_HEADER = 'x-bhuman-node-check';
/** Field of the one item a download resume runs the node again with. */
const RESUME_FIELD = 'bhumanResume';
/** A callback checks at most this many other generations at once. */
const CHECK_CONCURRENCY = 20;
/** Time a round of checks may take (a slow BHuman answers within it, or it is tried again). */
const CHECK_ROUND_MS = 30_000;
/** A callback is answered with the outcome when it is known by then, or with 202 "checking". */
const ANSWER_WITHIN_MS = 8_000;
/** Pauses between rounds of checks while BHuman cannot answer. */
const RETRY_PAUSES_MS = [2_000, 4_000, 8_000, 10_000];
/** No resume is started this close to Max Wait: n8n's wait tracker ends the run with its ids then. */
const DEADLINE_MARGIN_MS = 5_000;
/** When the node checks the run itself after putting it to wait (ms after), see `checkAfterWait`. */
const SELF_CHECKS_MS = [2_000, 8_000];

/** What the node keeps in its context for the webhook while the execution waits. */
export interface WaitState {
	token: string;
	/** The run's generation ids, lower case, each once, in item order. */
	ids: string[];
	/** The input item each waiting item is paired with (n8n 2.x's combined binary mode drops pairing). */
	paired: number[];
	/** Max Wait, in ms since the epoch. */
	deadline: number;
	download?: { property: string; maxBytes: number };
	/** n8n 1.x (no `signature` in the resume URL): this process's resume-once guard is needed. */
	guard: boolean;
	/** Where the download resume is called (n8n's form-waiting URL of this execution and node). */
	resumeUrl?: string;
}

export interface CallbackTarget {
	url: string;
	token: string;
	/** The GET URL of the download resume. */
	resumeUrl: string;
	/** n8n 1.x: no signature, see `WaitState.guard`. */
	guard: boolean;
}

/** `base` + the webhooks' path + the token (last: BHuman may append `?id=` to the URL). */
function withToken(base: string, token: string): string {
	const url = new URL(base);
	url.pathname = `${url.pathname.replace(/\/+$/, '')}/${WEBHOOK.path}`;
	url.searchParams.delete('token');
	url.searchParams.append('token', token);
	return url.toString();
}

/** The resume URL BHuman calls back, with a token of this run (n8n 1.x's resume URLs are guessable). */
export function callbackTarget(this: IExecuteFunctions): CallbackTarget {
	const resumeUrl = this.evaluateExpression('{{ $execution.resumeUrl }}', 0);
	const formUrl = this.evaluateExpression('{{ $execution.resumeFormUrl }}', 0);
	if (typeof resumeUrl !== 'string' || !URL.canParse(resumeUrl)) {
		throw new NodeOperationError(this.getNode(), 'n8n gave this execution no resume URL', {
			description: 'Nothing was sent to BHuman. Use How to Wait → By Polling BHuman.',
		});
	}
	const token = randomBytes(24).toString('base64url');
	const form = typeof formUrl === 'string' && URL.canParse(formUrl) ? formUrl : resumeUrl;
	return {
		url: withToken(resumeUrl, token),
		token,
		resumeUrl: withToken(form, token),
		guard: !new URL(resumeUrl).searchParams.has('signature'),
	};
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
	const { hostname } = new URL(url);
	if (unreachableHost(hostname.replace(/^\[(.*)\]$/, '$1')) && !(await hasBaseUrl.call(this))) {
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

/** The run's generation ids (lower case, each once, in item order) of the waiting items. */
function idsOf(items: INodeExecutionData[]): string[] {
	return [
		...new Set(
			items
				.filter((item) => item.json.error === undefined && typeof item.json.id === 'string')
				.map((item) => (item.json.id as string).toLowerCase()),
		),
	];
}

/**
 * Puts the execution to wait until Max Wait with `pending` (the output at Max Wait) as the node's
 * input, and returns it as the node's output while it waits. Then checks the run itself, a few
 * seconds later (`checkAfterWait`).
 */
export async function waitForCallbacks(
	this: IExecuteFunctions,
	pending: INodeExecutionData[],
	options: { target: CallbackTarget; maxWaitMs: number; download?: WaitState['download'] },
): Promise<INodeExecutionData[]> {
	const { target } = options;
	const state: WaitState = {
		token: target.token,
		ids: idsOf(pending),
		paired: pending.map((item) => pairedIndex(item) ?? 0),
		deadline: Date.now() + options.maxWaitMs,
		download: options.download,
		guard: target.guard,
		resumeUrl: options.download ? target.resumeUrl : undefined,
	};
	this.getContext('node')[CONTEXT_KEY] = state;
	// The stack entry n8n saves with the waiting execution (and passes through at Max Wait).
	this.getExecuteData().data = { main: [pending] };
	await this.putExecutionToWait(new Date(state.deadline));
	void checkAfterWait.call(this, target, state.ids);
	return pending;
}

function pairedIndex(item: INodeExecutionData): number | undefined {
	const paired = Array.isArray(item.pairedItem) ? item.pairedItem[0] : item.pairedItem;
	if (typeof paired === 'number') return paired;
	return typeof paired?.item === 'number' ? paired.item : undefined;
}

// ---------------------------------------------------------------- BHuman's word on the videos

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
	if (!isFinal(record.status)) return;
	const now = Date.now();
	for (const [key, entry] of finals) {
		if (now - entry.at < FINALS_TTL_MS && finals.size < FINALS_MAX) break;
		finals.delete(key);
	}
	finals.set(id, { record, at: now });
}

type AskContext = IExecuteFunctions | IWebhookFunctions;

/**
 * BHuman's record of generation `id`, one request shared by the callbacks that ask at once; it
 * may take CHECK_ROUND_MS (a slow BHuman), but not past `lastMoment`.
 */
function askBHuman(this: AskContext, id: string, lastMoment = Infinity): Promise<IDataObject> {
	let pending = asking.get(id);
	if (!pending) {
		pending = (async () => {
			const deadline = Math.min(Date.now() + CHECK_ROUND_MS, lastMoment);
			const record = await fetchGeneration.call(this, id, undefined, deadline);
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

/**
 * Asks BHuman about `ids` it has not yet said are final, in growing rounds (1, 2, 4 … at most
 * CHECK_CONCURRENCY at once), and stops at the first that is not final: while videos render a
 * check costs one request, and callbacks that arrive together once the videos are final share
 * their requests instead of each asking about every other video. Throws when BHuman cannot answer.
 */
async function firstUnfinished(
	this: AskContext,
	ids: string[],
	lastMoment?: number,
): Promise<string | undefined> {
	const unknown = ids.filter((id) => !finals.has(id));
	for (
		let start = 0, size = 1;
		start < unknown.length;
		start += size, size = Math.min(size * 2, CHECK_CONCURRENCY)
	) {
		const round = unknown.slice(start, start + size);
		const records = await Promise.all(
			round.map(async (id) => await askBHuman.call(this, id, lastMoment)),
		);
		const index = records.findIndex((record) => !isFinal(record.status));
		if (index >= 0) return round[index];
	}
	return undefined;
}

// ---------------------------------------------------------------- the node's check after waiting

/**
 * A render can end (a quota error fails it at once) before n8n has saved the execution as
 * waiting: n8n answers its callback 409, and BHuman does not deliver it again. So the node checks
 * the run itself a few seconds after it started to wait (in the background, on the process that
 * ran it): when BHuman says every video is final, it calls its own resume URL, whose webhook then
 * checks and resumes as for a callback. While videos render this costs one request to BHuman and
 * nothing of n8n's.
 */
async function checkAfterWait(this: IExecuteFunctions, target: CallbackTarget, ids: string[]) {
	let waited = 0;
	for (const at of SELF_CHECKS_MS) {
		await sleep(at - waited);
		waited = at;
		try {
			if ((await firstUnfinished.call(this, ids)) !== undefined) continue;
		} catch {
			continue; // BHuman could not answer: its callbacks still can
		}
		// n8n answers 409 "is running" until it has saved the execution as waiting (409 "has
		// finished" once BHuman's callbacks have resumed it).
		for (let attempt = 0; attempt < 10; attempt++) {
			try {
				const response = (await this.helpers.httpRequest({
					method: 'POST',
					url: target.url,
					headers: { [CHECK_HEADER]: '1' },
					body: {},
					json: true,
					returnFullResponse: true,
					ignoreHttpStatusErrors: true,
					timeout: CHECK_ROUND_MS + ANSWER_WITHIN_MS,
				})) as { statusCode: number; body: unknown };
				if (response.statusCode !== 409 || !/running/i.test(quoteAnswer(response.body))) return;
			} catch (error) {
				this.logger.warn(
					`BHuman: the check of a waiting run could not reach n8n's resume URL: ${(error as Error).message}`,
				);
				return;
			}
			await sleep(1_000);
		}
	}
}

// ---------------------------------------------------------------- the resume URL's webhooks

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

/** JS string literal whose braces cannot close n8n's `{{ }}` (a node name may hold "}}"). */
function literal(text: string): string {
	return JSON.stringify(text).replace(/[{}]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** The node's context while the execution waits (read through n8n's expression engine). */
function readState(this: IWebhookFunctions): WaitState | undefined {
	const state = this.evaluateExpression(
		`{{ $(${literal(this.getNode().name)}).context[${literal(CONTEXT_KEY)}] }}`,
	) as WaitState | undefined;
	return state && typeof state.token === 'string' && Array.isArray(state.ids) ? state : undefined;
}

const ITEM_FIELDS = new Set(['json', 'binary', 'pairedItem', 'error', 'metadata', 'index']);

/**
 * The waiting items (the node's input on the stack), whatever the workflow's binary mode: n8n
 * 2.x's combined mode (Execution Logic v2) gives expressions each item's JSON only, and no
 * pairing, which the state then gives.
 */
function readItems(this: IWebhookFunctions, state: WaitState): INodeExecutionData[] {
	const value = this.evaluateExpression('{{ $input.all() }}') as unknown;
	const entries = Array.isArray(value) ? (value as IDataObject[]) : [];
	return entries.map((entry, index) => {
		const full =
			typeof entry.json === 'object' &&
			entry.json !== null &&
			Object.keys(entry).every((key) => ITEM_FIELDS.has(key));
		return {
			json: (full ? entry.json : entry) as IDataObject,
			pairedItem: { item: state.paired[index] ?? index },
		};
	});
}

/**
 * Runs whose resume this process has started, by token: n8n 1.x resumes an execution as often as
 * its resume URL is called while it still reads as waiting (n8n 2.x refuses a second resume
 * itself). Each wait has its own token (every pass of a loop too), held for minutes.
 */
const resumed = new Map<string, number>();
const RESUMED_TTL_MS = 10 * 60 * 1000;

function claimResume(token: string): boolean {
	const now = Date.now();
	for (const [entry, at] of resumed) {
		if (now - at < RESUMED_TTL_MS) break;
		resumed.delete(entry);
	}
	if (resumed.has(token)) return false;
	resumed.set(token, now);
	return true;
}

/** Runs being checked in this process, by token: a callback that arrives meanwhile asks for another round. */
const checking = new Map<string, { again: boolean }>();

type Settled =
	| { result: 'resume' }
	| { result: 'waiting'; waitingFor: string }
	| { result: 'gave up'; reason: string }
	| { result: 'late' };

/**
 * Whether every video of the run is final, by BHuman's word (the video whose callback this is,
 * `own`, by its callback). When BHuman cannot answer (5xx, no answer in time), asks again after
 * a pause, until it can or Max Wait is near: a run whose last callback came while BHuman was
 * down still resumes once BHuman answers.
 */
async function settle(
	this: IWebhookFunctions,
	state: WaitState,
	own?: string,
	onTrouble?: () => void,
): Promise<Settled> {
	const position = own === undefined ? -1 : state.ids.indexOf(own);
	// The others in the order BHuman likely finishes them: those after this one first.
	const others =
		position < 0 ? state.ids : [...state.ids.slice(position + 1), ...state.ids.slice(0, position)];
	const lastMoment = state.deadline - DEADLINE_MARGIN_MS;
	for (let attempt = 0; ; attempt++) {
		try {
			const waitingFor = await firstUnfinished.call(this, others, lastMoment);
			if (waitingFor !== undefined) return { result: 'waiting', waitingFor };
			// So close to Max Wait, n8n's wait tracker resumes the run itself: a second resume would
			// run it twice on n8n 1.x (2.x would refuse it).
			if (Date.now() >= lastMoment) return { result: 'late' };
			return { result: 'resume' };
		} catch (error) {
			const pause = RETRY_PAUSES_MS[Math.min(attempt, RETRY_PAUSES_MS.length - 1)];
			const reason = `BHuman could not be asked about the run's videos: ${(error as Error).message}`;
			if (Date.now() + pause >= lastMoment) return { result: 'gave up', reason };
			this.logger.warn(`${reason} (asking again in ${pause / 1000} s)`);
			onTrouble?.();
			await sleep(pause);
		}
	}
}

/** A callback to this execution's resume URL: refused, acknowledged, or the resume of the run. */
export async function callbackWebhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	try {
		const { method } = this.getRequestObject() as unknown as { method?: string };
		return method === 'GET' ? await resumeForDownloads.call(this) : await handleCallback.call(this);
	} catch (error) {
		// Never thrown to n8n: it would resume the execution with the error. The run keeps waiting.
		this.logger.warn(`BHuman callback not processed: ${(error as Error).message}`);
		return respond.call(this, 500, {
			result: 'error',
			reason: 'The callback could not be processed: the execution keeps waiting',
		});
	}
}

/** The run's token, from the URL (also as BHuman may have appended to it) or the header. */
function tokenCheck(this: IWebhookFunctions, state: WaitState | undefined, query: IDataObject) {
	if (!state)
		return respond.call(this, 404, {
			result: 'rejected',
			reason: 'This execution is not waiting for BHuman',
		});
	const token = checkToken(state.token, query, this.getHeaderData() as IDataObject);
	if (token === 'missing')
		return respond.call(this, 401, { result: 'rejected', reason: 'This callback needs a token' });
	if (token === 'wrong')
		return respond.call(this, 403, { result: 'rejected', reason: 'The token is wrong' });
	return undefined;
}

async function handleCallback(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	// 1. The run's token, before the body or the run's items are looked at.
	const state = readState.call(this);
	const query = callbackQuery(this.getQueryData() as IDataObject);
	const refused = tokenCheck.call(this, state, query);
	if (refused || !state) return refused!;

	// 2. A final callback about a generation of this run, or the node's own check.
	let own: { id: string; event: string; body: IDataObject } | undefined;
	if (this.getHeaderData()[CHECK_HEADER] !== '1') {
		const parsed = parseCallback(this.getRequestObject() as unknown as CallbackRequest, query.id);
		if (!parsed.ok) return respond.call(this, 400, { result: 'rejected', reason: parsed.reason });
		const { id, event, body } = parsed;
		if (!state.ids.includes(id))
			return respond.call(this, 403, {
				result: 'rejected',
				reason: 'Not a generation of this run',
			});
		// Final by its status; a whatsapp.ready event comes after the video's own final callback.
		if (event === WHATSAPP_READY || !isFinal(body.status))
			return respond.call(this, 200, { result: 'noted', id, event, reason: 'not a final status' });
		own = { id, event, body };
	}
	const about = own ? { id: own.id, event: own.event } : { check: true };

	// 3. One check of the run at a time in this process; a callback meanwhile asks for one more.
	const running = checking.get(state.token);
	if (running) {
		running.again = true;
		return respond.call(this, 200, {
			result: 'checking',
			...about,
			reason: 'another callback of this run is being checked',
		});
	}
	const entry = { again: false };
	checking.set(state.token, entry);
	let answered = false;
	let settled = false;
	// BHuman gets an answer within ANSWER_WITHIN_MS whatever BHuman's own API takes to answer us,
	// and at once when BHuman's API fails: the check goes on after the answer.
	const answerEarly = () => {
		if (settled || answered) return;
		answered = true;
		respond.call(this, 202, { result: 'checking', ...about });
	};
	void sleep(ANSWER_WITHIN_MS).then(answerEarly);
	const answer = (status: number, body: IDataObject, workflowData?: INodeExecutionData[][]) =>
		answered
			? { noWebhookResponse: true, ...(workflowData ? { workflowData } : {}) }
			: respond.call(this, status, body, workflowData);
	let outcome: Settled;
	try {
		do {
			entry.again = false;
			outcome = await settle.call(this, state, own?.id, answerEarly);
		} while (outcome.result === 'waiting' && entry.again);
	} finally {
		settled = true;
		checking.delete(state.token);
	}
	if (outcome.result === 'waiting')
		return answer(200, { result: 'waiting', ...about, waitingFor: outcome.waitingFor });
	if (outcome.result === 'late')
		return answer(200, {
			result: 'ignored',
			...about,
			reason: 'Max Wait is over: n8n ends the run with every generation id',
		});
	if (outcome.result === 'gave up') {
		this.logger.warn(`BHuman callback: ${outcome.reason}; the execution waits until Max Wait`);
		return answer(503, { result: 'error', ...about, reason: outcome.reason });
	}

	// 4. Every video is final: resume, once.
	if (state.guard && !claimResume(state.token))
		return answer(200, { result: 'ignored', ...about, reason: 'this run has resumed already' });
	const resumedAnswer = { result: 'resumed', ...about, videos: state.ids.length };
	if (state.download) {
		// Downloads run in the execution: the resume through the form-waiting URL runs the node again.
		const reply = answer(200, resumedAnswer);
		await callResume.call(this, state);
		return reply;
	}
	const records = new Map<string, IDataObject>();
	for (const id of state.ids) {
		const record = finals.get(id)?.record;
		if (record) records.set(id, record);
	}
	// The video whose callback this is: its body, as data (nothing is fetched from its URLs here),
	// unless it failed without saying why: BHuman's record then gives the reason.
	if (own) records.set(own.id, await ownRecord.call(this, own, state));
	const output = resumedItems(readItems.call(this, state), records);
	return answered
		? { noWebhookResponse: true, workflowData: [output] }
		: { webhookResponse: resumedAnswer, workflowData: [output] };
}

/**
 * The resuming video's record: its callback's body, which said it is final (a one-row run asks
 * BHuman nothing); for a failed render whose body has no message (BHuman's callbacks may leave it
 * out), BHuman's record, which has it, when BHuman gives it before Max Wait's margin.
 */
async function ownRecord(
	this: IWebhookFunctions,
	own: { id: string; body: IDataObject },
	state: WaitState,
): Promise<IDataObject> {
	const { body } = own;
	if (isSucceeded(body.status) || (typeof body.message === 'string' && body.message !== ''))
		return body;
	const record = await askBHuman
		.call(this, own.id, state.deadline - DEADLINE_MARGIN_MS)
		.catch(() => undefined);
	return record && isFinal(record.status) ? record : body;
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
		return { json: resumedJson(item.json, record), pairedItem: item.pairedItem };
	});
}

/** A waiting item's JSON with its generation's final record, as the polling mode outputs it. */
function resumedJson(json: IDataObject, record: IDataObject): IDataObject {
	return { ...normalizeVideo(record), ...json, status: record.status, timedOut: false, polls: 0 };
}

/** Calls the form-waiting URL of the run (GET), which resumes it and runs the node again. */
async function callResume(this: IWebhookFunctions, state: WaitState) {
	if (!state.resumeUrl) return;
	for (let attempt = 0; attempt < 3; attempt++) {
		try {
			const response = (await this.helpers.httpRequest({
				method: 'GET',
				url: state.resumeUrl,
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				timeout: 30_000,
			})) as { statusCode: number; body: unknown };
			if (response.statusCode < 500) return;
			this.logger.warn(
				`BHuman: resuming the run answered ${response.statusCode}: ${quoteAnswer(response.body)}`,
			);
		} catch (error) {
			this.logger.warn(`BHuman: resuming the run failed: ${(error as Error).message}`);
		}
		await sleep(1_000 * (attempt + 1));
	}
}

/**
 * GET on the run's form-waiting URL (from `callResume`): the resume of a run with Download Video.
 * Checked again (the token, and every video final by BHuman's word), then n8n resumes the
 * execution with one item that carries the waiting items, and runs the node again with it.
 */
async function resumeForDownloads(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const state = readState.call(this);
	const refused = tokenCheck.call(this, state, callbackQuery(this.getQueryData() as IDataObject));
	if (refused || !state) return refused!;
	if (!state.download)
		return respond.call(this, 404, { result: 'rejected', reason: 'This run downloads nothing' });
	const outcome = await settle.call(this, state);
	if (outcome.result !== 'resume')
		return respond.call(this, 409, { result: 'rejected', reason: 'Not every video is final' });
	const resume: IDataObject = {
		token: state.token,
		items: readItems.call(this, state).map((item) => item.json),
	};
	return {
		webhookResponse: { result: 'resumed', videos: state.ids.length },
		workflowData: [[{ json: { [RESUME_FIELD]: resume } }]],
	};
}

// ---------------------------------------------------------------- the node run after the resume

/**
 * When the node runs again after a download resume: its waiting items and the state, or undefined
 * for an ordinary run. The item must carry this wait's own token, which only the webhook knows.
 */
export function resumedRun(
	this: IExecuteFunctions,
	items: INodeExecutionData[],
): { state: WaitState; items: IDataObject[] } | undefined {
	const resume = items.length === 1 ? (items[0].json[RESUME_FIELD] as IDataObject) : undefined;
	if (!resume || typeof resume.token !== 'string' || !Array.isArray(resume.items)) return undefined;
	const context = this.getContext('node');
	const state = context[CONTEXT_KEY] as WaitState | undefined;
	if (!state?.token || state.token !== resume.token) return undefined;
	// Once: the wait is over.
	context[CONTEXT_KEY] = { ...state, token: '' };
	return { state, items: resume.items as IDataObject[] };
}

/**
 * The output of a resumed run with Download Video, built in the execution: each generation's
 * record from BHuman (never a URL from a callback), and its MP4 when it succeeded, with the same
 * size limit and error wording as the polling mode.
 */
export async function finishResumedRun(
	this: IExecuteFunctions,
	run: { state: WaitState; items: IDataObject[] },
): Promise<INodeExecutionData[]> {
	const { state } = run;
	const download = state.download!;
	const records = new Map<string, IDataObject | Error>();
	await forEachConcurrently(state.ids, CHECK_CONCURRENCY, async (id) => {
		records.set(id, await fetchGeneration.call(this, id).catch((error: Error) => error));
	});
	const output: INodeExecutionData[] = [];
	for (const [index, json] of run.items.entries()) {
		const itemIndex = state.paired[index] ?? index;
		const item: INodeExecutionData = { json, pairedItem: { item: itemIndex } };
		output.push(item);
		const id = typeof json.id === 'string' && json.error === undefined ? json.id.toLowerCase() : '';
		const record = records.get(id);
		if (!record) continue;
		if (record instanceof Error) {
			Object.assign(json, { timedOut: false, polls: 0, pollError: record.message });
			continue;
		}
		item.json = resumedJson(json, record);
		const mp4Url = item.json.mp4Url;
		if (!isSucceeded(record.status) || typeof mp4Url !== 'string') continue;
		try {
			await downloadGenerated.call(
				this,
				item,
				id,
				mp4Url,
				download.property,
				itemIndex,
				download.maxBytes,
			);
		} catch (caught) {
			const error = caught as NodeApiError | NodeOperationError;
			if (!this.continueOnFail()) {
				// Nothing is lost: the error names every generation of the run.
				throw explain(error, 'After BHuman called back', [
					`BHuman generated the ${state.ids.length} videos of this run; do not send them again:\n${listIds(state.ids)}`,
				]);
			}
			Object.assign(item.json, errorJson(error));
		}
	}
	return output;
}

/**
 * BHuman's records of `ids` when it says every one is final now (else undefined; also when BHuman
 * cannot answer): asked right after the generate requests, before the execution waits.
 */
export async function finalNow(
	this: IExecuteFunctions,
	ids: string[],
): Promise<Map<string, { record: IDataObject; polls: number; timedOut: boolean }> | undefined> {
	const keys = ids.map((id) => id.toLowerCase());
	try {
		if ((await firstUnfinished.call(this, keys)) !== undefined) return undefined;
	} catch {
		return undefined;
	}
	const records = new Map<string, { record: IDataObject; polls: number; timedOut: boolean }>();
	for (const [index, id] of ids.entries()) {
		const record = finals.get(keys[index])?.record;
		if (!record) return undefined;
		records.set(id, { record, polls: 1, timedOut: false });
	}
	return records;
}
