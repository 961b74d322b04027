/**
 * The ledger: BHuman's own list of the videos it made (generated_video_by_video_instance_id,
 * generated_video_by_campaign_id), the one record every execution can read. Each listed video
 * has its target, its values (`text`) and `created_at`, so a row whose target and values match a
 * recent video can use that video instead of paying for a new one:
 * - in a retry, any video made since the run's first try started (less CLOCK_SKEW_MS): it is
 *   this run's own, sent by a try whose answer was lost or by another retry of the same failed
 *   execution;
 * - with Reuse Videos BHuman Already Made, a video made within the Reuse Window that has not
 *   failed (a succeeded one first, else one still rendering).
 * Each listed video serves one row at most; the ids the run's own record already holds are not
 * listed videos to take. BHuman's list shows values, not assets or backgrounds: a campaign row
 * matches on values alone.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';
import { bhumanApiListSince } from '../transport';
import { isFailed, isSucceeded } from '../../shared/video';
import type { Row } from './rows';
import { explain, toNodeError } from './utils';

/** BHuman's clock and n8n's may differ: a retry reads this much before the first try started. */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** Where a target's generated videos are listed. */
export interface LedgerList {
	/** e.g. /api/ai_studio/generated_video_by_video_instance_id */
	path: string;
	/** The query parameter naming the target, also the field of each listed video. */
	param: 'video_instance_id' | 'campaign_id';
}

export interface LedgerWindows {
	/** A retry: videos since then (ms since the epoch) are this run's own, whatever their state. */
	retrySince?: number;
	/** Reuse: videos since then that have not failed may be used. */
	reuseSince?: number;
}

/** What the ledger found, and what reading it cost. */
export interface Ledger {
	/** The listed video each row gets (BHuman's record as listed). */
	found: Map<Row, IDataObject>;
	requests: number;
	/** Targets whose list's order could not be told, so it was read to its end. */
	readAll: string[];
}

/** BHuman refused its list to this key (401/403: its bearer-token-only routes). */
export interface LedgerRefused {
	refused: NodeApiError;
}

const sameText = (listed: unknown, values: string[]) =>
	Array.isArray(listed) &&
	listed.length === values.length &&
	listed.every((value, index) => String(value) === values[index]);

const created = (record: IDataObject) =>
	typeof record.created_at === 'string' ? Date.parse(record.created_at) : NaN;

/** Succeeded first, then still rendering, then failed. */
const stateRank = (record: IDataObject) =>
	isSucceeded(record.status) ? 0 : isFailed(record.status) ? 2 : 1;

/**
 * Reads the list of each target of `rows` since the earlier of the windows, once per target, and
 * gives each row the best listed video that matches it. `known` are generation ids the run's own
 * record holds (they are that record's rows, not these).
 */
export async function readLedger(
	this: IExecuteFunctions,
	list: LedgerList,
	rows: Row[],
	windows: LedgerWindows,
	known: Set<string>,
): Promise<Ledger | LedgerRefused> {
	const since = Math.min(windows.retrySince ?? Infinity, windows.reuseSince ?? Infinity);
	const ledger: Ledger = { found: new Map(), requests: 0, readAll: [] };
	if (rows.length === 0 || !Number.isFinite(since)) return ledger;
	const byTarget = new Map<string, Row[]>();
	for (const row of rows) {
		const list = byTarget.get(row.targetId);
		if (list) list.push(row);
		else byTarget.set(row.targetId, [row]);
	}
	const usable = (record: IDataObject) => {
		const time = created(record);
		if (windows.retrySince !== undefined && time >= windows.retrySince) return true;
		return (
			windows.reuseSince !== undefined && time >= windows.reuseSince && !isFailed(record.status)
		);
	};
	for (const [targetId, targetRows] of byTarget) {
		let read;
		try {
			read = await bhumanApiListSince.call(this, list.path, {
				qs: { [list.param]: targetId },
				since,
				itemIndex: targetRows[0].itemIndex,
				notFound: `${list.param === 'campaign_id' ? 'Campaign' : 'Video instance'} ${targetId}`,
			});
		} catch (caught) {
			const error = toNodeError.call(this, caught, targetRows[0].itemIndex);
			const status = (error as NodeApiError).httpCode;
			if (error instanceof NodeApiError && (status === '401' || status === '403'))
				return { refused: error };
			// BHuman could not be asked (down, not found): nothing is paid blindly.
			throw explain(
				error,
				'Nothing was sent to BHuman: its list of generated videos could not be read',
				[
					'A retry, and Reuse Videos BHuman Already Made, read it before paying for a row. Try again later.',
				],
			);
		}
		ledger.requests += read.requests;
		if (read.readAll) ledger.readAll.push(targetId);
		// Listed videos by values, best first (see stateRank; the newest of a state first).
		const byValues = new Map<string, IDataObject[]>();
		for (const record of read.records) {
			if (typeof record.id !== 'string' || known.has(record.id.toLowerCase())) continue;
			if (!Array.isArray(record.text) || !usable(record)) continue;
			// A try_sample row is no campaign's: a campaign render listed with its instance is not it.
			const own = record[list.param];
			if (own !== undefined && own !== null && String(own).toLowerCase() !== targetId.toLowerCase())
				continue;
			if (list.param === 'video_instance_id' && record.campaign_id) continue;
			const key = JSON.stringify(record.text.map(String));
			const listed = byValues.get(key);
			if (listed) listed.push(record);
			else byValues.set(key, [record]);
		}
		for (const listed of byValues.values())
			listed.sort((a, b) => stateRank(a) - stateRank(b) || created(b) - created(a));
		for (const row of targetRows) {
			const listed = byValues.get(JSON.stringify(row.values));
			const record = listed?.shift();
			if (record && sameText(record.text, row.values)) ledger.found.set(row, record);
		}
	}
	return ledger;
}
