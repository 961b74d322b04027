/**
 * What Video → Generate and Campaign → Generate share (their parameters are in
 * actions/common.descriptions.ts): batching, the never-retried generate POST, waiting and downloading.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { bhumanApiRequest, readIds } from '../transport';
import {
	callbackTarget,
	checkCallbackWait,
	finalNow,
	finishResumedRun,
	MAX_CALLBACK_ROWS,
	resumedRun,
	waitForCallbacks,
} from './callbacks';
import { itemLabel } from './ids';
import { readRows, toBatches, type Row, type RowOptions } from './rows';
import { errorJson, explain, listIds, refuseRetryOnFail, toNodeError } from './utils';
import { isSucceeded, normalizeVideo } from './video';
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
	settings.download = flag('downloadVideo', 'Download Video');
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
 * order. Nothing is sent until everything has been read and checked.
 */
export async function executeGenerate(
	this: IExecuteFunctions,
	items: INodeExecutionData[],
	target: GenerateTarget,
): Promise<INodeExecutionData[]> {
	const resumed = await finishResumedGenerate.call(this, items);
	if (resumed) return resumed;
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
	const waitForCallback = settings.wait && settings.waitMethod === 'callback' && callback;
	if (waitForCallback) await checkCallbackWait.call(this, callback.url, rows.length);
	const batches = toBatches(rows, settings.batchSize);

	const accepted: Accepted[] = [];
	const acceptedByRow = new Map<Row, Accepted>();
	// With Continue On Fail each failed row carries a short error (no list of accepted IDs:
	// at 10,000 rows that list in every failed item made the execution too big to save).
	const failedRows = new Map<Row, IDataObject>();

	for (const [index, batch] of batches.entries()) {
		const label = `Batch ${index + 1} of ${batches.length}`;
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
				batch.forEach((row, rowIndex) => {
					const entry = { row, id: ids[rowIndex], batch: index + 1, rowIndex };
					accepted.push(entry);
					acceptedByRow.set(row, entry);
				});
				continue;
			}
			returned = ids ?? [];
			// BHuman did receive this batch: say which generations it created.
			error = new NodeOperationError(
				this.getNode(),
				`BHuman answered ${ids?.length ?? 'no'} generation IDs for ${batch.length} rows`,
				{
					itemIndex: batch[0].itemIndex,
					description: `BHuman received this batch${
						returned.length > 0
							? ` and created these generations:\n${listIds(returned)}`
							: `; its answer: ${JSON.stringify(response)?.slice(0, 300)}`
					}\nWhich rows they belong to is unknown, so the batch's items are reported as failed. It was not sent again, since generation is paid: check these generations (Video → Get) before re-running these items.`,
				},
			);
		} catch (caught) {
			error = toNodeError.call(this, caught, batch[0].itemIndex);
			// No HTTP status (n8n puts a network code such as ECONNRESET there): no answer came.
			if (!/^\d{3}$/.test(String((error as NodeApiError).httpCode))) {
				error.description = [
					error.description,
					`BHuman may or may not have received batch ${index + 1}. It was not sent again, since generation is paid: check BHuman before re-running these items.`,
				]
					.filter(Boolean)
					.join('\n\n');
			}
		}
		if (!continueOnFail) {
			throw explain(error, `${label} failed`, [
				acceptedSummary(accepted, 'before this batch', target),
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
		pending: Boolean(waitForCallback) && accepted.length > 0,
	};
	if (waitForCallback && state.pending) {
		// Renders that end at once (a quota error) may call back before n8n has saved the wait:
		// when BHuman says every video is final already, the output comes now.
		state.early = await finalNow.call(
			this,
			accepted.map((entry) => entry.id),
		);
		state.pending = state.early === undefined;
	}
	if (waitForCallback && state.pending) {
		// Each item as it comes out at Max Wait; BHuman's callbacks resume the run (callbacks.ts).
		return await waitForCallbacks.call(this, await outputItems.call(this, items, state), {
			target: waitForCallback,
			maxWaitMs: settings.maxWaitMs,
			download: settings.download
				? { property: settings.binaryPropertyName, maxBytes: settings.maxDownloadBytes }
				: undefined,
		});
	}
	try {
		return await outputItems.call(this, items, state);
	} catch (caught) {
		const error = toNodeError.call(this, caught, 0);
		if (finalErrors.has(error)) throw error;
		// Whatever fails after BHuman accepted generations, their IDs go with the error.
		throw explain(error, 'Waiting for the videos failed', [
			acceptedSummary(accepted, 'in this run', target),
		]);
	}
}

/**
 * The node run that n8n starts again after an Until BHuman Calls Back resume with Download Video
 * (callbacks.ts): it downloads, and never sends anything. Undefined for any other run.
 */
export async function finishResumedGenerate(
	this: IExecuteFunctions,
	items: INodeExecutionData[],
): Promise<INodeExecutionData[] | undefined> {
	const run = resumedRun.call(this, items);
	return run ? await finishResumedRun.call(this, run) : undefined;
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
	/** Waiting until BHuman calls back: the items as they come out at Max Wait (timed out). */
	pending: boolean;
	/** Until BHuman Calls Back, every video final before the wait: BHuman's records. */
	early?: Map<string, WaitResult>;
}

/** Waits (if asked), downloads (if asked) and builds one output item per row, in input order. */
async function outputItems(
	this: IExecuteFunctions,
	items: INodeExecutionData[],
	state: RunState,
): Promise<INodeExecutionData[]> {
	const { target, settings, variables, accepted, acceptedByRow, continueOnFail } = state;
	let waited = state.early;
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
			const json: IDataObject = {
				...(result?.record ? normalizeVideo(result.record) : {}),
				id: entry.id,
				status: (result?.record?.status as string | undefined) ?? 'accepted',
				rowIndex: entry.rowIndex,
				batch: entry.batch,
				...sent,
			};
			if (result) {
				json.timedOut = result.timedOut;
				json.polls = result.polls;
				if (result.pollError) json.pollError = result.pollError;
			} else if (state.pending) {
				json.timedOut = true;
				json.polls = 0;
			}
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
						error.description += `\n\n${acceptedSummary(accepted, 'in this run', target)}`;
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
