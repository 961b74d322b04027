/**
 * What Video → Generate and Campaign → Generate share (their parameters are in
 * actions/common.descriptions.ts): batching, the never-retried generate POST, waiting and downloading.
 */
import { createHash } from 'crypto';
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { bhumanApiRequest, readIds } from '../transport';
import {
	callbackTarget,
	checkCallbackWait,
	finalNow,
	MAX_CALLBACK_ROWS,
	waitForCallbacks,
	withRecord,
} from './callbacks';
import { generateContext, PRINT_LENGTH, type AcceptedBatch } from './context';
import { itemLabel } from './ids';
import { readRows, toBatches, type Row, type RowOptions } from './rows';
import { errorJson, explain, listIds, refuseRetryOnFail, toNodeError } from './utils';
import { isSucceeded } from '../../shared/video';
import {
	downloadGenerated,
	readMaxDownloadBytes,
	waitForGenerations,
	type WaitResult,
} from './wait';

/** BHuman takes at most this many rows in one generate request. */
export const MAX_BATCH_SIZE = 2000;

export { MAX_CALLBACK_ROWS };

export interface GenerateTarget extends RowOptions {
	path: string;
	/** Field of the request body that names the target (video_instance_id, campaign_id). */
	bodyField: string;
	/** Field of the output items that names the target (videoInstanceId, campaignId). */
	outputField: string;
	/** The operation that lists every generation of a target: "Video → Get Many for video instance". */
	listAll: string;
	/** Extra body fields of a batch (campaign: assets, backgrounds, lip sync). */
	extraBody?: (batch: Row[]) => IDataObject;
}

interface Accepted {
	row: Row;
	id: string;
	batch: number;
	rowIndex: number;
}

/** Retry On Fail would send batches BHuman already accepted, paid for, again: refused. */
export function refuseGenerateRetry(this: IExecuteFunctions) {
	refuseRetryOnFail.call(
		this,
		'Generate',
		'send paid batches',
		'Generation requests are never retried; read requests (polling, downloads) are retried by the node itself.',
	);
}

/** What BHuman accepted in this run, for an error that stops the node: 20 IDs at most, and where to find all. */
function acceptedSummary(accepted: Accepted[], when: string, target: GenerateTarget): string {
	if (accepted.length === 0) return 'BHuman accepted no generation in this run.';
	const targets = [...new Set(accepted.map((entry) => entry.row.targetId))];
	return `BHuman accepted ${accepted.length} generations ${when}; do not send them again:\n${listIds(
		accepted.map((entry) => `${itemLabel(entry.row.itemIndex)}: ${entry.id}`),
	)}\nAll of them: ${target.listAll} ${targets.join(', ')}.`;
}

/** What n8n's Retry of the failed execution does (it continues this run: see context.ts). */
const RETRY_SENDS_NONE =
	'Retrying this execution (Executions → Retry) does not send the rows BHuman accepted again.';

/**
 * What was sent for a row, as a short digest: a retry recognises the rows BHuman accepted by it
 * (a row changed before the retry is a new row). The callback URL is left out (each wait has its
 * own); nothing of the credential is in it.
 */
function fingerprint(target: GenerateTarget, variables: string[], row: Row): string {
	const sent = [
		target.path,
		row.targetId,
		variables,
		row.values,
		target.extraBody?.([row]) ?? null,
	];
	const digest = createHash('sha256').update(JSON.stringify(sent)).digest('base64url');
	return digest.slice(0, PRINT_LENGTH);
}

interface Earlier {
	position: number;
	id: string;
	batch: number;
	rowIndex: number;
	returned?: string[];
}

/**
 * The rows of this run that an earlier try of it (a failed execution n8n retries) sent and BHuman
 * accepted: matched by fingerprint, at the same position first.
 */
function matchEarlier(batches: AcceptedBatch[], prints: string[], rows: Row[]): Map<Row, Earlier> {
	const byPrint = new Map<string, Earlier[]>();
	for (const { batch, positions, prints: sent, ids, returned } of batches) {
		const known = ids === '' ? [] : ids.split(' ');
		positions.forEach((position, rowIndex) => {
			const print = sent.slice(rowIndex * PRINT_LENGTH, (rowIndex + 1) * PRINT_LENGTH);
			const entry = { position, id: known[rowIndex] ?? '', batch, rowIndex, returned };
			const list = byPrint.get(print);
			if (list) list.push(entry);
			else byPrint.set(print, [entry]);
		});
	}
	const matched = new Map<Row, Earlier>();
	rows.forEach((row, position) => {
		const candidates = byPrint.get(prints[position]);
		if (!candidates?.length) return;
		const at = Math.max(
			0,
			candidates.findIndex((entry) => entry.position === position),
		);
		matched.set(row, candidates.splice(at, 1)[0]);
	});
	return matched;
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
 * Validates all items and the run's settings, sends the rows in batches,
 * optionally waits and downloads, and returns one output item per row in input
 * order. Nothing is sent until everything has been read and checked. A retry of
 * a failed run (n8n's Executions → Retry) sends only the rows BHuman has not
 * accepted in it.
 */
export async function executeGenerate(
	this: IExecuteFunctions,
	items: INodeExecutionData[],
	target: GenerateTarget,
): Promise<INodeExecutionData[]> {
	refuseGenerateRetry.call(this);
	const continueOnFail = this.continueOnFail();
	// Until BHuman Calls Back: every row's callback URL is this execution's resume URL.
	const callback = waitsForCallbacks.call(this) ? callbackTarget.call(this) : undefined;
	const { variables, rows, invalid } = readRows.call(this, items, {
		...target,
		callbackUrl: callback?.url,
	});

	if (invalid.size > 0 && !continueOnFail) {
		const [first] = invalid.values();
		if (invalid.size > 1) {
			first.description = `${first.description ?? ''} ${invalid.size - 1} other items are invalid too: ${[
				...invalid.keys(),
			]
				.slice(1, 21)
				.map(itemLabel)
				.join(', ')}${invalid.size > 21 ? ', …' : ''}.`;
		}
		throw first;
	}

	const settings = readRunSettings.call(this);
	const started = Date.now();
	const waitForCallback = settings.wait && settings.waitMethod === 'callback' && callback;
	if (waitForCallback) await checkCallbackWait.call(this, callback.url, rows);

	// What BHuman accepted in an earlier try of this run (n8n's retry of a failed execution) is not
	// sent again: those rows come out with their generation ids.
	const context = generateContext.call(this);
	delete context.wait;
	const prints = rows.map((row) => fingerprint(target, variables, row));
	const position = new Map(rows.map((row, index) => [row, index]));
	const earlier = matchEarlier(context.accepted, prints, rows);

	const accepted: Accepted[] = [];
	const acceptedByRow = new Map<Row, Accepted>();
	// With Continue On Fail each failed row carries a short error (no list of accepted IDs:
	// at 10,000 rows that list in every failed item made the execution too big to save).
	const failedRows = new Map<Row, IDataObject>();
	const received: Row[] = [];
	for (const [row, entry] of earlier) {
		if (entry.id === '') {
			received.push(row);
			continue;
		}
		const reused = { row, id: entry.id, batch: entry.batch, rowIndex: entry.rowIndex };
		accepted.push(reused);
		acceptedByRow.set(row, reused);
	}
	if (received.length > 0) {
		const error = receivedError.call(this, received, earlier);
		if (!continueOnFail) throw explain(error, 'Nothing was sent to BHuman in this try', []);
		for (const row of received) failedRows.set(row, errorJson(error));
	}

	// Waiting until BHuman calls back, rows accepted by the try before call back that execution,
	// not this one: they are read here until final (or Max Wait), before anything new is sent.
	let waited: Map<string, WaitResult> | undefined;
	if (waitForCallback && accepted.length > 0) {
		waited = await waitForGenerations.call(
			this,
			accepted.map((entry) => entry.id),
			{ pollIntervalMs: RETRY_POLL_MS, maxWaitMs: settings.maxWaitMs, concurrency: 20, now: true },
		);
	}

	const toSend = rows.filter((row) => !earlier.has(row));
	const batches = toBatches(toSend, settings.batchSize);
	const firstBatch = Math.max(0, ...context.accepted.map((entry) => entry.batch)) + 1;
	const sent: Accepted[] = [];
	for (const [index, batch] of batches.entries()) {
		const number = firstBatch + index;
		const label = `Batch ${number} of ${firstBatch + batches.length - 1}`;
		const record = (ids: string[]): AcceptedBatch => ({
			batch: number,
			positions: batch.map((row) => position.get(row)!),
			prints: batch.map((row) => prints[position.get(row)!]).join(''),
			ids: ids.join(' '),
		});
		const body: IDataObject = {
			[target.bodyField]: batch[0].targetId,
			variables,
			names: batch.map((row) => row.values),
			...(batch[0].callbackUrl ? { callback_url: batch[0].callbackUrl } : {}),
			...target.extraBody?.(batch),
		};
		let error: NodeApiError | NodeOperationError;
		let returned: string[] | undefined;
		try {
			const response = await bhumanApiRequest.call(this, 'POST', target.path, {
				body,
				itemIndex: batch[0].itemIndex,
				notFound: `${target.locator.displayName} ${batch[0].targetId}`,
			});
			const ids = readIds(response);
			if (ids && ids.length === batch.length) {
				context.accepted.push(record(ids));
				batch.forEach((row, rowIndex) => {
					const entry = { row, id: ids[rowIndex], batch: number, rowIndex };
					accepted.push(entry);
					sent.push(entry);
					acceptedByRow.set(row, entry);
				});
				continue;
			}
			returned = ids ?? [];
			// BHuman did receive this batch: a retry must not send it again.
			context.accepted.push({ ...record([]), returned });
			error = new NodeOperationError(
				this.getNode(),
				`BHuman answered ${ids?.length ?? 'no'} generation IDs for ${batch.length} rows`,
				{
					itemIndex: batch[0].itemIndex,
					description: `BHuman received this batch${
						returned.length > 0
							? ` and created these generations:\n${listIds(returned)}`
							: `; its answer: ${JSON.stringify(response)?.slice(0, 300)}`
					}\nWhich rows they belong to is unknown, so the batch's items are reported as failed. It was not sent again, since generation is paid, and a retry of this execution does not send it again either: check these generations (Video → Get) before re-running these items.`,
				},
			);
		} catch (caught) {
			error = toNodeError.call(this, caught, batch[0].itemIndex);
			// No HTTP status (n8n puts a network code such as ECONNRESET there): no answer came.
			if (!/^\d{3}$/.test(String((error as NodeApiError).httpCode))) {
				error.description = [
					error.description,
					`BHuman may or may not have received batch ${number}. It was not sent again, since generation is paid: check BHuman before re-running these items.`,
				]
					.filter(Boolean)
					.join('\n\n');
			}
		}
		if (!continueOnFail) {
			throw explain(error, `${label} failed`, [
				acceptedSummary(accepted, 'before this batch', target),
				returned
					? RETRY_SENDS_NONE
					: `Retrying this execution (Executions → Retry) sends batch ${number} and the rows after it again, and none of the rows BHuman accepted.`,
			]);
		}
		const json = errorJson(explain(error, `${label} failed`, []));
		batch.forEach((row, rowIndex) =>
			// The IDs BHuman did return are kept once, on the batch's first item.
			failedRows.set(
				row,
				rowIndex === 0 && returned?.length ? { ...json, returnedIds: returned } : { ...json },
			),
		);
	}

	const state: RunState = {
		target,
		settings,
		variables,
		rows,
		invalid,
		accepted,
		acceptedByRow,
		failedRows,
		continueOnFail,
		waited,
		pending: false,
	};
	if (waitForCallback && sent.length > 0) {
		// Renders that end at once (a quota error) may call back before n8n has saved the wait:
		// when BHuman says every video is final already, the output comes now.
		const ids = sent.map((entry) => entry.id);
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

/** How often a retry waiting until BHuman calls back reads the rows the try before sent (BHuman's suggested cadence). */
const RETRY_POLL_MS = 10_000;

/** Rows an earlier try sent and BHuman received without saying which generation is whose. */
function receivedError(this: IExecuteFunctions, rows: Row[], earlier: Map<Row, Earlier>) {
	const returned = [...new Set(rows.flatMap((row) => earlier.get(row)?.returned ?? []))];
	return new NodeOperationError(
		this.getNode(),
		`BHuman received ${rows.length} of these rows in an earlier try of this execution, without saying which generation is whose`,
		{
			itemIndex: rows[0].itemIndex,
			description: `They are not sent again (generation is paid). ${
				returned.length > 0 ? `BHuman created these generations:\n${listIds(returned)}\n` : ''
			}Check them with Video → Get; to render these items again, run them in a new execution.`,
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
	acceptedByRow: Map<Row, Accepted>;
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
	const { target, settings, variables, accepted, acceptedByRow, continueOnFail } = state;
	let waited = state.waited;
	if (settings.wait && settings.waitMethod === 'poll' && accepted.length > 0) {
		waited = await waitForGenerations.call(
			this,
			accepted.map((entry) => entry.id),
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
				...sent,
			};
			let json = own;
			if (result?.record) {
				json = withRecord(own, result.record, result.polls);
				json.timedOut = result.timedOut;
			} else if (result) {
				Object.assign(json, { timedOut: result.timedOut, polls: result.polls });
			} else if (state.pending) {
				Object.assign(json, { timedOut: true, polls: 0 });
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
