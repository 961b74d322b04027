/**
 * Wait for Completion → Until BHuman Calls Back, on n8n's public waiting contract only, as n8n's
 * Wait node and its "send and wait" operations use it:
 *
 * 1. The node sends the rows with this execution's resume URL (and a token of this wait) as
 *    BHuman's callback URL, asks BHuman once whether every video is final already, and if not,
 *    puts the execution to wait (`putExecutionToWait`) with its output at Max Wait as the node's
 *    input on the stack: n8n passes that input through when the wait runs out, without running
 *    node code. The wait's state (token, ids, Max Wait) goes into the node's context. n8n pairs
 *    a resumed node's output with its input by position, so each item must give one row.
 * 2. Each callback POSTed to the resume URL runs the node's `webhook()` (a `restartWebhook`): it
 *    checks the token and the generation, asks BHuman (never the callback's body) whether every
 *    video of the wait is final, and if so returns `workflowData`: n8n resumes the execution with
 *    it as the node's output, each item with BHuman's record of its video (the last video
 *    unconfirmed, when BHuman cannot answer at its callback). Otherwise it answers, and n8n saves
 *    nothing.
 *
 * Nothing runs outside a callback's own request: no timer, no request from n8n to its own URLs.
 * What a process keeps in memory (BHuman's final records, the waits it resumed) saves work and
 * guards what n8n does not (see each).
 */
import { randomBytes } from 'crypto';
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	IWebhookDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';
import {
	callbackQuery,
	parseCallback,
	WHATSAPP_READY,
	type CallbackRequest,
} from '../../shared/callbackBody';
import { forgetOld } from '../transport/bounded';
import { CONTEXT_KEY, type GenerateContext, type WaitState } from './context';
import { itemLabel } from './ids';
import type { Row } from './rows';
import { respond } from '../../shared/respond';
import { checkToken } from '../../shared/token';
import { hasBaseUrl, isLoopbackHost } from '../transport';
import { normalizeVideo, fetchGeneration, isFinal } from '../../shared/video';

/** Rows one run may wait for this way: see the README's measurement (cost of a callback as the run grows). */
export const MAX_CALLBACK_ROWS = 1000;

/**
 * n8n's wait tracker looks for executions whose wait ends within the next 70 s (once a minute)
 * and sets a timer for each; when it fires it restarts the execution unless it has finished (1.x)
 * or is no longer waiting (2.x). A callback that resumed the run inside that window would leave
 * the timer set: the run would start a second time (1.x), or a later wait of the same execution
 * (the next pass of a loop) would end early (both lines). So callbacks count until Max Wait, and
 * the execution's own wait ends this much later: no resume ever happens inside the window.
 */
export const TRACKER_MARGIN_MS = 90_000;

/** The clock of Max Wait (tests move it; BHuman's requests keep their own deadlines). */
export const clock = { now: () => Date.now() };

/** A callback asks about at most this many generations at once. */
const ASK_CONCURRENCY = 20;
/**
 * Time a callback may spend asking BHuman; it is answered after. Longer than a sender's patience
 * may be: a callback BHuman gave up on still resumes the run once BHuman has answered.
 */
const ASK_WITHIN_MS = 60_000;
/** A video whose callback says final but BHuman's record not yet: asked again after these pauses. */
const RECHECK_PAUSES_MS = [500, 1_500];

/**
 * A static path (no expression): n8n 2.x evaluates every field of a node's webhook descriptions
 * when a resume URL is called, and in a workflow with the combined binary mode its expression
 * engine fails any expression there. Not empty: a later Wait node of the same execution (path '')
 * must not take BHuman's late callbacks.
 */
const WEBHOOK_PATH = 'bhuman';

/** POST <n8n>/webhook-waiting/<execution id>/bhuman: served only while the execution waits here. */
export const callbackWebhooks: IWebhookDescription[] = [
	{
		name: 'default',
		httpMethod: 'POST',
		responseMode: 'onReceived',
		responseData: '',
		path: WEBHOOK_PATH,
		restartWebhook: true,
	},
];

/** What the editor says under "Waiting for input" while the node waits, as for the Wait node. */
export const callbackWaitingTooltip =
	'={{ $parameter.waitForCompletion === true && $parameter.waitMethod === "callback" ? "Execution will continue when BHuman has called back for every video (or when Max Wait is over)" : "" }}';

// ---------------------------------------------------------------- before the wait

/** The callback URL of this wait: the execution's resume URL, the webhook's path, a new token (last: BHuman may append `?id=`). */
export function callbackTarget(this: IExecuteFunctions): { url: string; token: string } {
	const resumeUrl = this.evaluateExpression('{{ $execution.resumeUrl }}', 0);
	if (typeof resumeUrl !== 'string' || !URL.canParse(resumeUrl)) {
		throw new NodeOperationError(this.getNode(), 'n8n gave this execution no resume URL', {
			description: 'Nothing was sent to BHuman. Use How to Wait → By Polling BHuman.',
		});
	}
	// n8n 1.x's resume URLs carry sequential execution ids and no signature: the token keeps a
	// guessed URL from resuming the run.
	const token = randomBytes(24).toString('base64url');
	const url = new URL(resumeUrl);
	url.pathname = `${url.pathname.replace(/\/+$/, '')}/${WEBHOOK_PATH}`;
	url.searchParams.delete('token');
	url.searchParams.append('token', token);
	return { url: url.toString(), token };
}

/**
 * Addresses BHuman's servers cannot call: loopback, private, link-local, single-label names (a
 * URL's hostname: IPv6 in brackets, an IPv4-mapped one as the URL parser writes it, `::ffff:a00:1`).
 */
export function unreachableHost(hostname: string): boolean {
	const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
	if (host.includes(':')) {
		const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
		if (mapped) {
			const [high, low] = [mapped[1], mapped[2]].map((part) => parseInt(part, 16));
			return unreachableHost([high >> 8, high & 255, low >> 8, low & 255].join('.'));
		}
		// ::1 and ::, link-local fe80::/10, unique local fc00::/7
		return /^(::1?|fe[89ab][0-9a-f]?:.*|f[cd][0-9a-f]{0,2}:.*)$/.test(host);
	}
	return (
		isLoopbackHost(host) ||
		/^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.|0\.)/.test(host) ||
		host.endsWith('.local') ||
		!host.includes('.')
	);
}

/**
 * Refuses, before anything is paid for, what cannot work: the node as an AI agent's tool, more
 * rows than the limit, an item with several rows, and BHuman itself (no Base URL) calling back an
 * n8n only this network reaches.
 */
export async function checkCallbackWait(this: IExecuteFunctions, url: string, allRows: Row[]) {
	const node = this.getNode();
	const rows = allRows.length;
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
	// n8n pairs the items a resumed node puts out with its input items by position (at Max Wait
	// too): with one row per item, position and pairing agree; with more, a lead's video would
	// reach another item's next steps.
	const counts = new Map<number, number>();
	for (const row of allRows) counts.set(row.itemIndex, (counts.get(row.itemIndex) ?? 0) + 1);
	const several = [...counts].find(([, count]) => count > 1);
	if (several) {
		const [itemIndex, count] = several;
		throw new NodeOperationError(
			node,
			`Invalid ${itemLabel(itemIndex)}: Names (JSON) has ${count} rows, and Until BHuman Calls Back takes one row per item`,
			{
				itemIndex,
				description:
					"Nothing was sent to BHuman. When a waiting run resumes, n8n pairs the node's output items with its input items by position, so a second row's video would reach another item's next steps. Make each row an item first (a Split Out node before BHuman, with Input Mode → Map Each Item to a Row), or use How to Wait → By Polling BHuman.",
			},
		);
	}
	const { hostname } = new URL(url);
	if (unreachableHost(hostname) && !(await hasBaseUrl.call(this))) {
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
 * Puts the execution to wait with `items` (each as it comes out at Max Wait) as the node's input
 * on the stack, for the generations `ids`, and returns the items as the node's output meanwhile.
 */
export async function waitForCallbacks(
	this: IExecuteFunctions,
	context: GenerateContext,
	items: INodeExecutionData[],
	wait: { token: string; ids: string[]; silent?: string[]; maxWaitMs: number },
): Promise<INodeExecutionData[]> {
	const deadline = clock.now() + wait.maxWaitMs;
	const lower = (ids: string[]) => [...new Set(ids.map((id) => id.toLowerCase()))];
	context.wait = { token: wait.token, ids: lower(wait.ids), deadline };
	if (wait.silent?.length) context.wait.silent = lower(wait.silent);
	// The stack entry n8n saves with the waiting execution, and passes through at Max Wait.
	this.getExecuteData().data = { main: [items] };
	await this.putExecutionToWait(new Date(deadline + TRACKER_MARGIN_MS));
	return items;
}

// ---------------------------------------------------------------- BHuman's word on the videos

/**
 * BHuman's final records this process has read. A final state does not change, so a generation
 * is asked about once however many callbacks need it; a generation not held (another process, an
 * eviction) is simply asked about. Bounded by count, never by time: any Max Wait reads the same.
 */
const finals = new Map<string, IDataObject>();
const FINALS_MAX = 4 * MAX_CALLBACK_ROWS;
type AskContext = IExecuteFunctions | IWebhookFunctions;

/**
 * Requests in flight, shared by the callbacks that ask about the same generation at once, each
 * with the time it was sent: an answer to a request sent before a callback came may predate the
 * end of a render, so a callback joins only requests sent since it came.
 */
const asking = new Map<string, { sent: number; answer: Promise<IDataObject> }>();

async function askBHuman(
	this: AskContext,
	id: string,
	deadline: number,
	since: number,
): Promise<IDataObject> {
	const known = finals.get(id);
	if (known) return known;
	let pending = asking.get(id);
	if (!pending || pending.sent < since) {
		const request = {
			sent: Date.now(),
			answer: fetchGeneration.call(this, id, undefined, deadline),
		};
		const done = () => {
			if (asking.get(id) === request) asking.delete(id);
		};
		asking.set(id, request);
		void request.answer.then((record) => {
			done();
			if (!isFinal(record.status)) return;
			if (finals.size >= FINALS_MAX) finals.delete(finals.keys().next().value!);
			finals.set(id, record);
		}, done);
		pending = request;
	}
	return await pending.answer;
}

/**
 * BHuman's records of `ids` (lower case) when every one is final, else the first that is not.
 * Asks in rounds of 1, 1, 2, 4 … ASK_CONCURRENCY at once and stops at the first video still
 * rendering: while videos render, a callback's check (its own video, then the next) costs two
 * requests. Every answer comes from a request sent after this call began. Throws when BHuman
 * cannot answer before `deadline`.
 */
async function allFinal(
	this: AskContext,
	ids: string[],
	deadline: number,
): Promise<{ records: Map<string, IDataObject>; unfinished?: string }> {
	const since = Date.now();
	const records = new Map<string, IDataObject>();
	let size = 1;
	for (
		let start = 0;
		start < ids.length;
		start += size, size = start === 1 ? 1 : Math.min(size * 2, ASK_CONCURRENCY)
	) {
		const round = ids.slice(start, start + size);
		const answers = await Promise.all(round.map((id) => askBHuman.call(this, id, deadline, since)));
		for (const [index, record] of answers.entries()) {
			if (!isFinal(record.status)) return { records, unfinished: round[index] };
			records.set(round[index], record);
		}
	}
	return { records };
}

/**
 * BHuman's final records of those of `ids` it says are final now (each asked once; one BHuman
 * cannot answer about is left out): a retry's silent videos, when nothing of this run calls back
 * or when every video that does is final.
 */
export async function finalRecords(
	this: AskContext,
	ids: string[],
	deadline = Date.now() + ASK_WITHIN_MS,
): Promise<Map<string, IDataObject>> {
	const since = Date.now();
	const records = new Map<string, IDataObject>();
	const lower = ids.map((id) => id.toLowerCase());
	for (let start = 0; start < lower.length; start += ASK_CONCURRENCY) {
		await Promise.all(
			lower.slice(start, start + ASK_CONCURRENCY).map(async (id) => {
				try {
					const record = await askBHuman.call(this, id, deadline, since);
					if (isFinal(record.status)) records.set(id, record);
				} catch {
					// Left out: its item says it is not known to be final.
				}
			}),
		);
	}
	return records;
}

/**
 * Right after the generate requests, before the execution waits: BHuman's records when every
 * video is final already (a quota error fails a render at once), else undefined (also when BHuman
 * cannot answer: the wait then goes ahead).
 */
export async function finalNow(
	this: IExecuteFunctions,
	ids: string[],
): Promise<Map<string, IDataObject> | undefined> {
	try {
		const { records, unfinished } = await allFinal.call(
			this,
			ids.map((id) => id.toLowerCase()),
			Date.now() + ASK_WITHIN_MS,
		);
		return unfinished === undefined ? records : undefined;
	} catch {
		return undefined;
	}
}

// ---------------------------------------------------------------- the resume URL's webhook

/**
 * Waits this process has resumed: token → when the wait ends (Max Wait and the margin). n8n 1.x
 * resumes an execution as often as its resume URL is called while it still reads as waiting, so
 * two final callbacks would run it twice (n8n 2.x refuses a second resume itself). Under n8n's
 * production concurrency limit a resume may sit in n8n's queue, the execution still waiting, for
 * as long as other runs hold the slots: so a claim is kept until its wait ends, not for a fixed
 * time. Bounded in size (the oldest claims go first).
 */
const resumed = new Map<string, number>();
const RESUMED_MAX = 10_000;

function claimResume(state: WaitState): boolean {
	forgetOld(resumed, (endsAt) => endsAt, 0, RESUMED_MAX, clock.now());
	if (resumed.has(state.token)) return false;
	resumed.set(state.token, state.deadline + TRACKER_MARGIN_MS);
	return true;
}

/** A callback to this execution's resume URL: refused, acknowledged, or the resume of the run. */
export async function callbackWebhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	try {
		return await handleCallback.call(this);
	} catch (error) {
		// Never thrown to n8n: it would resume the execution with the error. The run keeps waiting.
		this.logger.warn(`BHuman callback not processed: ${(error as Error).message}`);
		return respond.call(this, 500, {
			result: 'error',
			reason: 'The callback could not be processed: the execution keeps waiting',
		});
	}
}

async function handleCallback(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const answer = (status: number, body: IDataObject) => respond.call(this, status, body);
	// 1. The wait's token, before the body or the run's items are read.
	const state = readState.call(this);
	if (!state)
		return answer(404, { result: 'rejected', reason: 'This execution is not waiting for BHuman' });
	const query = callbackQuery(this.getQueryData() as IDataObject);
	const token = checkToken(state.token, query, this.getHeaderData() as IDataObject);
	if (token === 'missing')
		return answer(401, { result: 'rejected', reason: 'This callback needs a token' });
	if (token === 'wrong') return answer(403, { result: 'rejected', reason: 'The token is wrong' });

	// 2. Which generation it is about: one of this wait's, said to be final. Its body says no more.
	const parsed = parseCallback(this.getRequestObject() as unknown as CallbackRequest, query.id);
	if (!parsed.ok) return answer(400, { result: 'rejected', reason: parsed.reason });
	const { id, event } = parsed;
	if (!state.ids.includes(id))
		return answer(403, { result: 'rejected', reason: 'Not a generation of this run' });
	// A whatsapp.ready event comes after the video's own final callback.
	if (event === WHATSAPP_READY || !isFinal(parsed.body.status))
		return answer(200, { result: 'noted', id, event, reason: 'not a final status' });
	const late = () =>
		answer(200, {
			result: 'ignored',
			id,
			event,
			reason: 'Max Wait is over: n8n ends the run with every generation id',
		});
	if (clock.now() > state.deadline) return late();
	if (resumed.has(state.token))
		return answer(200, { result: 'ignored', id, event, reason: 'this run has resumed already' });

	// Every video is final (or the last one unconfirmed): the run resumes, once, with BHuman's records.
	const resume = (records: Map<string, IDataObject>, unconfirmed?: Unconfirmed) => {
		if (clock.now() > state.deadline) return late();
		if (!claimResume(state))
			return answer(200, { result: 'ignored', id, event, reason: 'this run has resumed already' });
		const said: IDataObject = { result: 'resumed', id, event, videos: state.ids.length };
		if (unconfirmed) said.unconfirmed = [unconfirmed.id];
		// n8n answers with this itself, as for its Wait node: n8n 2.x once it has taken the resume
		// (after its concurrency queue and its check that the run still waits: an error if not),
		// 1.x at once.
		return {
			webhookResponse: said,
			workflowData: [
				resumedItems(readItems.call(this), records, unconfirmed, new Set(state.silent ?? [])),
			],
		};
	};

	// 3. BHuman's word on every video of the wait: this one first (its final record, kept, lets the
	// last callback resume even when BHuman cannot answer then), then the others, the next ones
	// first (BHuman finishes a batch roughly in order), the silent ones last. One deadline for the
	// whole callback.
	const silent = new Set(state.silent ?? []);
	const at = state.ids.indexOf(id);
	const next = [...state.ids.slice(at + 1), ...state.ids.slice(0, at)];
	const calling = next.filter((other) => !silent.has(other));
	const others = [...calling, ...next.filter((other) => silent.has(other))];
	const deadline = Date.now() + ASK_WITHIN_MS;
	let outcome: Awaited<ReturnType<typeof allFinal>>;
	try {
		outcome = await allFinal.call(this, [id, ...others], deadline);
		// BHuman's record may lag its callback: the others that call back first then, and this one
		// again (after pauses) only while every one of them is final.
		for (const pause of [0, ...RECHECK_PAUSES_MS]) {
			if (outcome.unfinished !== id) break;
			if (pause > 0) await sleep(pause);
			outcome = await allFinal.call(
				this,
				[...calling, id, ...others.slice(calling.length)],
				deadline,
			);
		}
		// Every video that calls back this run is final, and a silent one still renders: no callback
		// will come for it here, so the run resumes now; its item says it still renders.
		if (outcome.unfinished !== undefined && silent.has(outcome.unfinished)) {
			const rest = [...silent].filter((other) => !outcome.records.has(other));
			for (const [other, record] of await finalRecords.call(this, rest, deadline))
				outcome.records.set(other, record);
			return resume(outcome.records);
		}
	} catch (error) {
		const reason = (error as Error).message;
		this.logger.warn(`BHuman callback: BHuman could not be asked: ${reason}`);
		// The wait's last video (this process holds BHuman's final record of every other one): the
		// run resumes with it unconfirmed rather than wait for Max Wait on a repeated callback,
		// which BHuman does not promise. Its item has no link: a Video → Get reads it later.
		if (others.every((other) => finals.has(other))) {
			return resume(new Map(others.map((other) => [other, finals.get(other)!])), { id, reason });
		}
		return answer(503, {
			result: 'error',
			id,
			event,
			reason: `BHuman could not be asked about the run's videos: ${reason}. The run keeps waiting.`,
		});
	}
	if (outcome.unfinished !== undefined)
		return answer(200, { result: 'waiting', id, event, waitingFor: outcome.unfinished });
	return resume(outcome.records);
}

/** JS string literal whose braces cannot close n8n's `{{ }}` (a node name may hold "}}"). */
function literal(text: string): string {
	return JSON.stringify(text).replace(/[{}]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** The wait in the node's context (read through n8n's expression engine: webhooks have no getContext). */
function readState(this: IWebhookFunctions): WaitState | undefined {
	const context = this.evaluateExpression(
		`{{ $(${literal(this.getNode().name)}).context[${literal(CONTEXT_KEY)}] }}`,
	) as GenerateContext | undefined;
	const state = context?.wait;
	return state && typeof state.token === 'string' && Array.isArray(state.ids) ? state : undefined;
}

const ITEM_FIELDS = new Set(['json', 'binary', 'pairedItem', 'error', 'metadata', 'index']);

/**
 * The waiting items (the node's input on the stack), whatever the workflow's binary mode: n8n
 * 2.x's combined mode gives expressions each item's JSON only. n8n pairs the items it resumes
 * with by position (one row per item: checkCallbackWait), so each is paired with its position.
 */
function readItems(this: IWebhookFunctions): INodeExecutionData[] {
	const value = this.evaluateExpression('{{ $input.all() }}') as unknown;
	const entries = Array.isArray(value) ? (value as IDataObject[]) : [];
	return entries.map((entry, index) => {
		const full =
			typeof entry.json === 'object' &&
			entry.json !== null &&
			Object.keys(entry).every((key) => ITEM_FIELDS.has(key));
		return { json: (full ? entry.json : entry) as IDataObject, pairedItem: { item: index } };
	});
}

/** A generated item's JSON with its video's final record from BHuman, as the polling mode outputs it. */
export function withRecord(json: IDataObject, record: IDataObject, polls: number): IDataObject {
	const status = record.status ?? json.status;
	return { ...normalizeVideo(record), ...json, status, timedOut: false, polls };
}

/** The wait's last video, whose callback BHuman could not confirm, and why. */
interface Unconfirmed {
	id: string;
	reason: string;
}

/** The item of a silent video (another execution's callback) still rendering when the run goes on. */
export const SILENT_RENDERING =
	'Still rendering when this run went on: BHuman calls back the execution that first sent it, not this one. Read it with Video → Get';

/**
 * Each waiting item with its video's record (items of other videos, and errors, as they are). The
 * unconfirmed video's item stays as it was at Max Wait (`timedOut`, no link), marked `unconfirmed`;
 * a silent video's still rendering, with a `pollError` that says so.
 */
function resumedItems(
	items: INodeExecutionData[],
	records: Map<string, IDataObject>,
	unconfirmed: Unconfirmed | undefined,
	silent: Set<string>,
): INodeExecutionData[] {
	return items.map((item) => {
		const id = typeof item.json.id === 'string' ? item.json.id.toLowerCase() : undefined;
		if (id === undefined || item.json.error !== undefined) return item;
		const record = records.get(id);
		if (record) return { json: withRecord(item.json, record, 0), pairedItem: item.pairedItem };
		if (silent.has(id)) {
			return { json: { ...item.json, pollError: SILENT_RENDERING }, pairedItem: item.pairedItem };
		}
		if (id !== unconfirmed?.id) return item;
		const pollError = `BHuman could not confirm this video when its callback came (${unconfirmed.reason}): read it with Video → Get`;
		return { json: { ...item.json, unconfirmed: true, pollError }, pairedItem: item.pairedItem };
	});
}
