/**
 * What Video → Generate and Campaign → Generate share (their parameters are in
 * actions/common.descriptions.ts): reading and checking the rows, finding what BHuman already has
 * (the run's record, record.ts; BHuman's list, ledger.ts), sending the rest (batches.ts), waiting
 * and downloading.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import {
	callbackTarget,
	checkCallbackWait,
	finalNow,
	finalRecords,
	SILENT_RENDERING,
	MAX_CALLBACK_ROWS,
	waitForCallbacks,
	withRecord,
} from './callbacks';
import {
	acceptedSummary,
	RETRY_SENDS_NONE,
	sendBatches,
	type Accepted,
	type GenerateTarget,
} from './batches';
import { generateContext, type GenerateContext } from './context';
import { itemLabel } from './ids';
import { CLOCK_SKEW_MS, readLedger, type LedgerWindows } from './ledger';
import { fingerprint, matchEarlier, type Earlier } from './record';
import { readRows, type Row } from './rows';
import { errorJson, explain, listIds, refuseRetryOnFail, toNodeError } from './utils';
import { isFinal, isSucceeded } from '../../shared/video';
import {
	downloadGenerated,
	readMaxDownloadBytes,
	waitForGenerations,
	type WaitResult,
} from './wait';

/** BHuman takes at most this many rows in one generate request. */
export const MAX_BATCH_SIZE = 2000;

/** Reuse Window (Hours): its default, and the longest (a year). */
export const DEFAULT_REUSE_HOURS = 24;
export const MAX_REUSE_HOURS = 8760;

export { MAX_CALLBACK_ROWS };
export type { GenerateTarget };

/** Retry On Fail would send batches BHuman already accepted, paid for, again: refused. */
export function refuseGenerateRetry(this: IExecuteFunctions) {
	refuseRetryOnFail.call(
		this,
		'Generate',
		'send paid batches',
		'Generation requests are never retried; read requests (polling, downloads) are retried by the node itself.',
	);
}

/** Settings of the whole run (read at item 0), checked before anything is sent. */
interface RunSettings {
	batchSize: number;
	wait: boolean;
	/** How to wait: poll BHuman, or wait (in n8n's database) until BHuman calls back. */
	waitMethod: WaitMethod;
	pollIntervalMs: number;
	maxWaitMs: number;
	concurrency: number;
	download: boolean;
	binaryPropertyName: string;
	/** Max Download Size in bytes (0 when not downloading). */
	maxDownloadBytes: number;
	/** Reuse Videos BHuman Already Made: its window in ms (undefined when off). */
	reuseWindowMs?: number;
	/** Send Unsure Rows Again: a retry sends rows of unknown outcome it cannot check. */
	sendUnsure: boolean;
}

type WaitMethod = 'poll' | 'callback';
const WAIT_METHODS: WaitMethod[] = ['poll', 'callback'];

const UNSAFE_KEYS = ['__proto__', 'constructor', 'prototype'];

/**
 * Whether the run waits until BHuman calls back (read leniently at item 0, before the rows:
 * their callback URL depends on it; readRunSettings reports a bad value).
 */
function waitsForCallbacks(this: IExecuteFunctions): boolean {
	try {
		const wait = this.getNodeParameter('waitForCompletion', 0, false);
		return (
			(wait === true || wait === 'true') &&
			this.getNodeParameter('waitMethod', 0, 'poll') === 'callback'
		);
	} catch {
		return false;
	}
}

function shown(value: unknown): string {
	if (typeof value === 'string') return `"${value.slice(0, 50)}"`;
	if (typeof value === 'number' || typeof value === 'boolean') return String(value);
	return value === null ? 'null' : `a${Array.isArray(value) ? 'n array' : `n ${typeof value}`}`;
}

function readRunSettings(this: IExecuteFunctions): RunSettings {
	const node = this.getNode();
	const invalid = (label: string, reason: string) =>
		new NodeOperationError(node, `Invalid ${itemLabel(0)}: ${label} ${reason}`, {
			itemIndex: 0,
			description: "Nothing was sent to BHuman. The run's settings are read from the first item.",
		});
	const read = (name: string, label: string, fallback: unknown): unknown => {
		try {
			return this.getNodeParameter(name, 0, fallback);
		} catch (error) {
			throw invalid(label, `could not be read: ${(error as Error).message}`);
		}
	};
	const number = (
		name: string,
		label: string,
		fallback: number,
		rule: string,
		valid: (value: number) => boolean,
	) => {
		const raw = read(name, label, fallback);
		const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
		if (typeof value !== 'number' || !valid(value))
			throw invalid(label, `is ${shown(raw)}: ${rule}`);
		return value;
	};
	const flag = (name: string, label: string) => {
		const value = read(name, label, false);
		if (value === true || value === 'true') return true;
		if (value === false || value === 'false' || value === undefined) return false;
		throw invalid(label, `is ${shown(value)}: it must be true or false`);
	};

	const batchSize = number(
		'batchSize',
		'Batch Size',
		100,
		`it must be a whole number from 1 to ${MAX_BATCH_SIZE}`,
		(value) => Number.isInteger(value) && value >= 1 && value <= MAX_BATCH_SIZE,
	);
	const wait = flag('waitForCompletion', 'Wait for Completion');
	const reuse = flag('options.reuseVideos', 'Reuse Videos BHuman Already Made');
	const settings: RunSettings = {
		batchSize,
		wait,
		waitMethod: 'poll',
		pollIntervalMs: 0,
		maxWaitMs: 0,
		concurrency: 1,
		download: false,
		binaryPropertyName: '',
		maxDownloadBytes: 0,
		reuseWindowMs: reuse
			? number(
					'options.reuseWindow',
					'Reuse Window (Hours)',
					DEFAULT_REUSE_HOURS,
					`it must be a number of hours above 0, at most ${MAX_REUSE_HOURS}`,
					(value) => Number.isFinite(value) && value > 0 && value <= MAX_REUSE_HOURS,
				) * 3_600_000
			: undefined,
		sendUnsure: flag('options.sendUnsureRows', 'Send Unsure Rows Again'),
	};
	if (!wait) return settings;
	const method = read('waitMethod', 'How to Wait', 'poll');
	if (!WAIT_METHODS.includes(method as WaitMethod)) {
		throw invalid('How to Wait', `is ${shown(method)}: it must be poll or callback`);
	}
	settings.waitMethod = method as WaitMethod;
	if (settings.waitMethod === 'poll') {
		settings.pollIntervalMs =
			number(
				'pollInterval',
				'Poll Interval (Seconds)',
				10,
				'it must be a number of seconds, at least 1',
				(value) => Number.isFinite(value) && value >= 1,
			) * 1000;
		settings.concurrency = number(
			'options.pollConcurrency',
			'Max Concurrent Polls',
			20,
			'it must be a whole number from 1 to 100',
			(value) => Number.isInteger(value) && value >= 1 && value <= 100,
		);
	}
	settings.maxWaitMs =
		number(
			'maxWait',
			'Max Wait (Minutes)',
			15,
			'it must be a number of minutes above 0',
			(value) => Number.isFinite(value) && value > 0,
		) * 60_000;
	// Until BHuman Calls Back downloads nothing: n8n runs no node code after a resume (a Video →
	// Get with Download Video after the node does it).
	settings.download = settings.waitMethod === 'poll' && flag('downloadVideo', 'Download Video');
	if (settings.download) {
		const name = read('binaryPropertyName', 'Put Video in Field', 'data');
		if (typeof name !== 'string' || !/^[^\s,]{1,100}$/.test(name) || UNSAFE_KEYS.includes(name)) {
			throw invalid(
				'Put Video in Field',
				`is ${shown(name)}: it must be a binary property name such as data (no spaces or commas)`,
			);
		}
		settings.binaryPropertyName = name;
		settings.maxDownloadBytes = readMaxDownloadBytes.call(this, 0);
	}
	return settings;
}

/**
 * Generate, as a story in four steps:
 * 1. read and check every item and the run's settings: nothing is sent before all are read;
 * 2. find what BHuman already has: the rows an earlier try of this run got accepted (its record),
 *    then, in a retry or with Reuse Videos BHuman Already Made, BHuman's own list of videos;
 * 3. send the other rows in batches (never sent twice by the node: generation is paid);
 * 4. wait (if asked), download (if asked) and output one item per row, in input order.
 */
export async function executeGenerate(
	this: IExecuteFunctions,
	items: INodeExecutionData[],
	target: GenerateTarget,
): Promise<INodeExecutionData[]> {
	// 1. Read and check.
	refuseGenerateRetry.call(this);
	const continueOnFail = this.continueOnFail();
	// Until BHuman Calls Back: every row's callback URL is this execution's resume URL.
	const callback = waitsForCallbacks.call(this) ? callbackTarget.call(this) : undefined;
	const { variables, rows, invalid } = readRows.call(this, items, {
		...target,
		callbackUrl: callback?.url,
	});
	if (invalid.size > 0 && !continueOnFail) throw firstInvalid(invalid);
	const settings = readRunSettings.call(this);
	const started = Date.now();
	const waitForCallback = settings.wait && settings.waitMethod === 'callback' && callback;
	if (waitForCallback) await checkCallbackWait.call(this, callback.url, rows);

	// 2. What BHuman already has.
	const { context, retried } = generateContext.call(this);
	delete context.wait;
	const prints = rows.map((row) => fingerprint(target, variables, row));
	const known = await alreadyMade.call(this, {
		target,
		rows,
		prints,
		settings,
		context,
		retried,
		continueOnFail,
	});
	const { accepted, failedRows } = known;

	// Waiting until BHuman calls back, videos of earlier tries (or found on BHuman) call back
	// another execution, or none: they join this run's wait, asked about at its callbacks; nothing
	// holds the run (or n8n's Retry request) for them.
	const silent = waitForCallback ? stillRendering(accepted).map((entry) => entry.id) : [];

	// 3. Send the rest.
	const { sent, failed } = await sendBatches.call(this, {
		target,
		variables,
		rows: known.toSend,
		batchSize: settings.batchSize,
		context,
		position: new Map(rows.map((row, index) => [row, index])),
		prints,
		accepted,
		continueOnFail,
	});
	for (const [row, error] of failed) failedRows.set(row, error);

	// 4. Wait and output.
	const state: RunState = {
		target,
		settings,
		variables,
		rows,
		invalid,
		accepted,
		failedRows,
		continueOnFail,
		waited: undefined,
		pending: false,
	};
	if (waitForCallback && sent.length === 0 && silent.length > 0) {
		// Nothing of this run calls back: BHuman's word now, and the run goes on.
		const final = await finalRecords.call(this, silent);
		state.waited = new Map();
		for (const id of silent) {
			const record = final.get(id.toLowerCase());
			state.waited.set(
				id,
				record
					? { record, polls: 1, timedOut: false }
					: { polls: 1, timedOut: true, pollError: SILENT_RENDERING },
			);
		}
	}
	if (waitForCallback && sent.length > 0) {
		// Renders that end at once (a quota error) may call back before n8n has saved the wait:
		// when BHuman says every video is final already, the output comes now.
		const ids = [...sent.map((entry) => entry.id), ...silent];
		const final = await finalNow.call(this, ids);
		state.waited ??= new Map();
		for (const id of ids) {
			const record = final?.get(id.toLowerCase());
			if (record) state.waited.set(id, { record, polls: 1, timedOut: false });
		}
		state.pending = final === undefined;
		if (state.pending) {
			// Each item as it comes out at Max Wait; BHuman's callbacks resume the run (callbacks.ts).
			const pending = await outputItems.call(this, items, state);
			context.accepted = [];
			return await waitForCallbacks.call(this, context, pending, {
				token: waitForCallback.token,
				ids,
				silent,
				maxWaitMs: Math.max(1, started + settings.maxWaitMs - Date.now()),
			});
		}
	}
	try {
		const output = await outputItems.call(this, items, state);
		// Done: n8n never runs a node that succeeded again (a retry continues after it), so the
		// record would only make every execution of a large run bigger.
		context.accepted = [];
		return output;
	} catch (caught) {
		const error = toNodeError.call(this, caught, 0);
		if (finalErrors.has(error)) throw error;
		// Whatever fails after BHuman accepted generations, their IDs go with the error.
		throw explain(error, 'Waiting for the videos failed', [
			acceptedSummary(accepted, 'in this run', target),
			RETRY_SENDS_NONE,
		]);
	}
}

/** The first invalid item's error, naming the others. */
function firstInvalid(invalid: Map<number, NodeOperationError>): NodeOperationError {
	const [first] = invalid.values();
	if (invalid.size > 1) {
		first.description = `${first.description ?? ''} ${invalid.size - 1} other items are invalid too: ${[
			...invalid.keys(),
		]
			.slice(1, 21)
			.map(itemLabel)
			.join(', ')}${invalid.size > 21 ? ', …' : ''}.`;
	}
	return first;
}

/** Accepted videos that may still be rendering (a video found final on BHuman's list is not waited for). */
function stillRendering(accepted: Accepted[]): Accepted[] {
	return accepted.filter((entry) => !(entry.listed && isFinal(entry.listed.status)));
}

/** What step 2 finds: the rows with their generations, the rows to send, the rows that fail. */
interface Known {
	accepted: Accepted[];
	toSend: Row[];
	/** With Continue On Fail, rows that are not sent, each with its error. */
	failedRows: Map<Row, IDataObject>;
}

/**
 * What BHuman already has of these rows. First the run's own record (an earlier try of this
 * run, when n8n retries it): rows BHuman accepted come out with their ids. Then, for the other
 * rows, in a retry or with Reuse Videos BHuman Already Made, BHuman's list (ledger.ts): a row
 * that matches a listed video gets that video, `reused`. The rest is sent, except rows BHuman
 * received without ids (an error, as before the list), and, when BHuman refuses its list to the
 * key, rows of unknown outcome (unless Send Unsure Rows Again) and every row with Reuse on.
 */
async function alreadyMade(
	this: IExecuteFunctions,
	run: {
		target: GenerateTarget;
		rows: Row[];
		prints: string[];
		settings: RunSettings;
		context: GenerateContext;
		retried: boolean;
		continueOnFail: boolean;
	},
): Promise<Known> {
	const { target, rows, settings, context } = run;
	const earlier = matchEarlier(context.accepted, run.prints, rows);
	const known: Known = { accepted: [], toSend: [], failedRows: new Map() };
	const rest: Row[] = [];
	for (const row of rows) {
		const entry = earlier.get(row);
		if (entry?.id) {
			known.accepted.push({ row, id: entry.id, batch: entry.batch, rowIndex: entry.rowIndex });
		} else rest.push(row);
	}

	const windows: LedgerWindows = {
		retrySince:
			run.retried && context.started !== undefined ? context.started - CLOCK_SKEW_MS : undefined,
		reuseSince:
			settings.reuseWindowMs !== undefined ? Date.now() - settings.reuseWindowMs : undefined,
	};
	let found: Map<Row, IDataObject> | undefined;
	if (rest.length > 0 && (windows.retrySince ?? windows.reuseSince) !== undefined) {
		// Ids the record gives rows are theirs; ids BHuman returned without rows are left to match.
		const ids = context.accepted.flatMap((batch) => batch.ids.split(' ').filter(Boolean));
		const ledger = await readLedger.call(
			this,
			target.list,
			rest,
			windows,
			new Set(ids.map((id) => id.toLowerCase())),
		);
		if ('refused' in ledger) {
			if (settings.reuseWindowMs !== undefined) throw reuseRefused.call(this, ledger.refused, rows);
			const unsure = rest.filter((row) => earlier.get(row)?.unsure);
			if (unsure.length > 0 && !settings.sendUnsure) {
				const error = unsureError.call(this, unsure, earlier, known.accepted, target);
				if (!run.continueOnFail) throw error;
				for (const row of unsure) known.failedRows.set(row, errorJson(error));
			}
		} else {
			found = ledger.found;
			if (ledger.readAll.length > 0) {
				this.logger.info(
					`BHuman's list of generated videos of ${ledger.readAll.join(', ')} was read to its end (${ledger.requests} requests): its order could not be told from created_at`,
				);
			}
		}
	}

	const received: Row[] = [];
	for (const row of rest) {
		const listed = found?.get(row);
		if (listed) {
			const rowIndex = typeof listed.row_index === 'number' ? listed.row_index : 0;
			known.accepted.push({
				row,
				id: listed.id as string,
				batch: 0,
				rowIndex,
				reused: true,
				listed,
			});
		} else if (earlier.get(row)?.returned) received.push(row);
		else if (!known.failedRows.has(row)) known.toSend.push(row);
	}
	if (received.length > 0) {
		const error = receivedError.call(this, received, earlier, found !== undefined);
		if (!run.continueOnFail) throw explain(error, 'Nothing was sent to BHuman in this try', []);
		for (const row of received) known.failedRows.set(row, errorJson(error));
	}
	return known;
}

/** Rows an earlier try sent and BHuman received without saying which generation is whose. */
function receivedError(
	this: IExecuteFunctions,
	rows: Row[],
	earlier: Map<Row, Earlier>,
	listRead: boolean,
) {
	const returned = [...new Set(rows.flatMap((row) => earlier.get(row)?.returned ?? []))];
	return new NodeOperationError(
		this.getNode(),
		`BHuman received ${rows.length} of these rows in an earlier try of this execution, without saying which generation is whose`,
		{
			itemIndex: rows[0].itemIndex,
			description: `They are not sent again (generation is paid)${listRead ? ", and BHuman's list of generated videos shows none of them" : ''}. ${
				returned.length > 0 ? `BHuman created these generations:\n${listIds(returned)}\n` : ''
			}Check them with Video → Get; to render these items again, run them in a new execution.`,
		},
	);
}

/** Items of rows, for an error: 20 at most. */
function itemsOf(rows: Row[]): string {
	const labels = [...new Set(rows.map((row) => itemLabel(row.itemIndex)))];
	return `${labels.slice(0, 20).join(', ')}${labels.length > 20 ? `, … (${labels.length} items)` : ''}`;
}

/**
 * A retry with rows of unknown outcome (an earlier try's batch got no clear answer) where
 * BHuman refuses its list to the key: nothing is sent, the rows and batches to check are named.
 */
function unsureError(
	this: IExecuteFunctions,
	rows: Row[],
	earlier: Map<Row, Earlier>,
	accepted: Accepted[],
	target: GenerateTarget,
) {
	const batches = new Map<number, Earlier>();
	for (const row of rows) {
		const entry = earlier.get(row)!;
		batches.set(entry.batch, entry);
	}
	const sentAt = [...batches.values()].map(
		({ batch, unsure }) =>
			`batch ${batch}, sent ${new Date(unsure!.at).toISOString()}, answered ${unsure!.answer}`,
	);
	const targets = [...new Set(rows.map((row) => row.targetId))];
	return new NodeOperationError(
		this.getNode(),
		`Nothing was sent to BHuman in this try: ${rows.length} rows may have reached BHuman in an earlier try (${itemsOf(rows)}), and BHuman does not let this API key read its list of generated videos to check`,
		{
			itemIndex: rows[0].itemIndex,
			description: [
				`Their batches got no clear answer: ${sentAt.join('; ')}. BHuman may have made these videos; sending them again would pay for them twice.`,
				`Check in the BHuman app (or with ${target.listAll} ${targets.join(', ')}) for videos with these items' values made since then.`,
				acceptedSummary(accepted, 'in earlier tries', target),
				'If BHuman has none of them, turn on Options → Send Unsure Rows Again and retry this execution: they are sent. Rows no try sent, or that BHuman refused, are sent either way.',
			].join('\n\n'),
		},
	);
}

/** Reuse Videos BHuman Already Made needs BHuman's list, which BHuman refuses to the key. */
function reuseRefused(this: IExecuteFunctions, refused: NodeApiError, rows: Row[]) {
	return new NodeOperationError(
		this.getNode(),
		`Nothing was sent to BHuman: Reuse Videos BHuman Already Made needs BHuman's list of generated videos, which BHuman does not serve to this API key (${refused.httpCode})`,
		{
			itemIndex: rows[0]?.itemIndex ?? 0,
			description: `BHuman answered ${refused.httpCode} to its list of generated videos: its API reference of 2026-10-02 serves result lists to its own app only. Without the list the node cannot tell which videos exist. Turn Reuse Videos BHuman Already Made off to send every row (videos made before are then made, and paid, again).`,
		},
	);
}

/** Errors already described with what BHuman accepted (a failed download): passed through as they are. */
const finalErrors = new WeakSet<Error>();

interface RunState {
	target: GenerateTarget;
	settings: RunSettings;
	variables: string[];
	rows: Row[];
	invalid: Map<number, NodeOperationError>;
	accepted: Accepted[];
	failedRows: Map<Row, IDataObject>;
	continueOnFail: boolean;
	/** BHuman's records of the videos known so far (polled, or final before the wait). */
	waited?: Map<string, WaitResult>;
	/** Waiting until BHuman calls back: the items as they come out at Max Wait (timed out). */
	pending: boolean;
}

/** Waits (if asked), downloads (if asked) and builds one output item per row, in input order. */
async function outputItems(
	this: IExecuteFunctions,
	items: INodeExecutionData[],
	state: RunState,
): Promise<INodeExecutionData[]> {
	const { target, settings, variables, accepted, continueOnFail } = state;
	const acceptedByRow = new Map(accepted.map((entry) => [entry.row, entry]));
	let waited = state.waited;
	const unfinished = stillRendering(accepted);
	if (settings.wait && settings.waitMethod === 'poll' && unfinished.length > 0) {
		waited = await waitForGenerations.call(
			this,
			unfinished.map((entry) => entry.id),
			{
				pollIntervalMs: settings.pollIntervalMs,
				maxWaitMs: settings.maxWaitMs,
				concurrency: settings.concurrency,
			},
		);
	}

	const rowsByItem = new Map<number, Row[]>();
	for (const row of state.rows) {
		const list = rowsByItem.get(row.itemIndex);
		if (list) list.push(row);
		else rowsByItem.set(row.itemIndex, [row]);
	}

	const returnData: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const invalidError = state.invalid.get(itemIndex);
		if (invalidError) {
			returnData.push({ json: errorJson(invalidError), pairedItem: { item: itemIndex } });
			continue;
		}
		for (const row of rowsByItem.get(itemIndex) ?? []) {
			const sent: IDataObject = {
				variables: Object.fromEntries(variables.map((name, column) => [name, row.values[column]])),
				[target.outputField]: row.targetId,
			};
			const entry = acceptedByRow.get(row);
			if (!entry) {
				returnData.push({
					json: { ...state.failedRows.get(row), ...sent },
					pairedItem: { item: itemIndex },
				});
				continue;
			}
			const result = waited?.get(entry.id);
			const own: IDataObject = {
				id: entry.id,
				status: 'accepted',
				rowIndex: entry.rowIndex,
				batch: entry.batch,
				...(entry.reused ? { reused: true } : {}),
				...sent,
			};
			let json = own;
			if (result?.record) {
				json = withRecord(own, result.record, result.polls);
				json.timedOut = result.timedOut;
			} else if (entry.listed && isFinal(entry.listed.status)) {
				json = withRecord(own, entry.listed, 0);
			} else if (result) {
				Object.assign(json, { timedOut: result.timedOut, polls: result.polls });
			} else if (state.pending) {
				Object.assign(json, { timedOut: true, polls: 0 });
			} else if (entry.listed) {
				// Not waiting: BHuman's word as its list gave it.
				json = withRecord(own, entry.listed, 0);
			}
			if (result?.pollError) json.pollError = result.pollError;
			const item: INodeExecutionData = { json, pairedItem: { item: itemIndex } };
			if (settings.download && isSucceeded(json.status) && typeof json.mp4Url === 'string') {
				try {
					await downloadGenerated.call(
						this,
						item,
						entry.id,
						json.mp4Url,
						settings.binaryPropertyName,
						itemIndex,
						settings.maxDownloadBytes,
					);
				} catch (caught) {
					const error = caught as NodeApiError | NodeOperationError;
					if (!continueOnFail) {
						error.description += `\n\n${acceptedSummary(accepted, 'in this run', target)}\n\n${RETRY_SENDS_NONE}`;
						finalErrors.add(error);
						throw error;
					}
					Object.assign(json, errorJson(error));
				}
			}
			returnData.push(item);
		}
	}
	return returnData;
}
