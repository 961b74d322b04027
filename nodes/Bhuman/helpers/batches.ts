/**
 * The batches: the rows a run pays for, sent in generate requests that are never retried
 * (generation is paid). Each batch's outcome goes into the run's record (context.ts): accepted
 * with its ids, received without ids, or unsure (no HTTP answer, a 5xx, a timeout: BHuman may
 * have it), so that a retry knows which rows to look up in BHuman's list before it pays.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { bhumanApiRequest, readIds } from '../transport';
import type { GenerateContext } from './context';
import { itemLabel } from './ids';
import type { LedgerList } from './ledger';
import { batchRecord, type PrintTarget } from './record';
import { toBatches, type Row, type RowOptions } from './rows';
import { errorJson, explain, listIds, toNodeError } from './utils';

export interface GenerateTarget extends RowOptions, PrintTarget {
	/** Field of the request body that names the target (video_instance_id, campaign_id). */
	bodyField: string;
	/** Field of the output items that names the target (videoInstanceId, campaignId). */
	outputField: string;
	/** The operation that lists every generation of a target: "Video → Get Many for video instance". */
	listAll: string;
	/** BHuman's list of the target's generated videos (the ledger). */
	list: LedgerList;
}

/** A row with its generation: sent in this run, accepted in an earlier try, or found on BHuman. */
export interface Accepted {
	row: Row;
	id: string;
	/** The batch that sent it; 0 for a video found on BHuman (not sent by this run's record). */
	batch: number;
	rowIndex: number;
	/** Found on BHuman (its list) instead of being paid for again. */
	reused?: boolean;
	/** BHuman's record as listed, for a video found there. */
	listed?: IDataObject;
}

/** What an error that stops the node says of the generations BHuman accepted: 20 IDs at most, and where to find all. */
export function acceptedSummary(accepted: Accepted[], when: string, target: GenerateTarget) {
	if (accepted.length === 0) return 'BHuman accepted no generation in this run.';
	const targets = [...new Set(accepted.map((entry) => entry.row.targetId))];
	return `BHuman accepted ${accepted.length} generations ${when}; do not send them again:\n${listIds(
		accepted.map((entry) => `${itemLabel(entry.row.itemIndex)}: ${entry.id}`),
	)}\nAll of them: ${target.listAll} ${targets.join(', ')}.`;
}

/** What n8n's Retry of the failed execution does (it continues this run: see context.ts). */
export const RETRY_SENDS_NONE =
	'Retrying this execution (Executions → Retry) does not send the rows BHuman accepted again.';

/** A failure after which BHuman may have the batch: no HTTP answer (a dropped connection, a timeout), 408 or a 5xx (a gateway's 502/504 included). */
function isUnsure(error: NodeApiError | NodeOperationError): string | undefined {
	const code = String((error as NodeApiError).httpCode ?? '');
	if (!/^\d{3}$/.test(code)) return code ? `no answer (${code})` : 'no answer';
	return code === '408' || Number(code) >= 500 ? `HTTP ${code}` : undefined;
}

export interface SendResult {
	sent: Accepted[];
	/** With Continue On Fail: each row of a failed batch, its error. */
	failed: Map<Row, IDataObject>;
}

/**
 * Sends `rows` in batches of `batchSize`, numbered after the record's batches, and records each
 * outcome in `context`. A failed batch stops the node (with what BHuman accepted before it,
 * `accepted`) or, with Continue On Fail, fails its rows.
 */
export async function sendBatches(
	this: IExecuteFunctions,
	run: {
		target: GenerateTarget;
		variables: string[];
		rows: Row[];
		batchSize: number;
		context: GenerateContext;
		position: Map<Row, number>;
		prints: string[];
		accepted: Accepted[];
		continueOnFail: boolean;
	},
): Promise<SendResult> {
	const { target, variables, context, position, prints, accepted } = run;
	const batches = toBatches(run.rows, run.batchSize);
	const firstBatch = Math.max(0, ...context.accepted.map((entry) => entry.batch)) + 1;
	const result: SendResult = { sent: [], failed: new Map() };
	for (const [index, batch] of batches.entries()) {
		const number = firstBatch + index;
		const label = `Batch ${number} of ${firstBatch + batches.length - 1}`;
		const record = (ids: string[]) => batchRecord(number, batch, position, prints, ids);
		const body: IDataObject = {
			[target.bodyField]: batch[0].targetId,
			variables,
			names: batch.map((row) => row.values),
			...(batch[0].callbackUrl ? { callback_url: batch[0].callbackUrl } : {}),
			...target.extraBody?.(batch),
		};
		let error: NodeApiError | NodeOperationError;
		let returned: string[] | undefined;
		let unsure: string | undefined;
		const at = Date.now();
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
					result.sent.push(entry);
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
			unsure = isUnsure(error);
			if (unsure) {
				context.accepted.push({ ...record([]), unsure: { at, answer: unsure } });
				error.description = [
					error.description,
					`BHuman may or may not have received batch ${number} (${unsure}): a gateway or the network may have lost its answer. It was not sent again, since generation is paid.`,
				]
					.filter(Boolean)
					.join('\n\n');
			}
		}
		if (!run.continueOnFail) {
			throw explain(error, `${label} failed`, [
				acceptedSummary(accepted, 'before this batch', target),
				returned
					? RETRY_SENDS_NONE
					: unsure
						? `Retrying this execution (Executions → Retry) first reads BHuman's list of generated videos: rows of batch ${number} and after that BHuman has are not sent again, nor are the rows BHuman accepted.`
						: `Retrying this execution (Executions → Retry) sends batch ${number} and the rows after it again, and none of the rows BHuman accepted.`,
			]);
		}
		const json = errorJson(explain(error, `${label} failed`, []));
		batch.forEach((row, rowIndex) =>
			// The IDs BHuman did return are kept once, on the batch's first item.
			result.failed.set(
				row,
				rowIndex === 0 && returned?.length ? { ...json, returnedIds: returned } : { ...json },
			),
		);
	}
	return result;
}
