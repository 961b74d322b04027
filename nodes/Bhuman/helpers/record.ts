/**
 * The run's own record (the node context, context.ts): what each batch sent in an earlier try of
 * this run became. A retry reads it first: rows BHuman accepted come out with their ids and are
 * not sent again; rows BHuman received without ids, and rows of a batch that got no clear answer
 * (`unsure`), are looked up in BHuman's list (ledger.ts) before anything is paid.
 */
import { createHash } from 'crypto';
import type { IDataObject } from 'n8n-workflow';
import { PRINT_LENGTH, type AcceptedBatch } from './context';
import type { Row } from './rows';

/** What a target's generate request carries beside the rows (see GenerateTarget). */
export interface PrintTarget {
	path: string;
	extraBody?: (batch: Row[]) => IDataObject;
}

/**
 * What was sent for a row, as a short digest: a retry recognises the rows of earlier tries by it
 * (a row changed before the retry is a new row). The callback URL is left out (each wait has its
 * own); nothing of the credential is in it.
 */
export function fingerprint(target: PrintTarget, variables: string[], row: Row): string {
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

/** What an earlier try of this run did with a row. */
export interface Earlier {
	position: number;
	/** The generation id; '' when BHuman received the row without saying which id, or unsure. */
	id: string;
	batch: number;
	rowIndex: number;
	/** BHuman received the batch and answered these ids, not one per row. */
	returned?: string[];
	/** The batch got no clear answer: BHuman may or may not have it. */
	unsure?: AcceptedBatch['unsure'];
}

/** Accepted first, then received without ids, then unsure: the surest word on a row wins. */
const rank = (entry: Earlier) => (entry.id !== '' ? 0 : entry.unsure ? 2 : 1);

/**
 * The rows of this run that an earlier try sent: matched by fingerprint, at the same position
 * first, and the surest entry of a row (a row unsure in the first try and found by the second has
 * both).
 */
export function matchEarlier(
	batches: AcceptedBatch[],
	prints: string[],
	rows: Row[],
): Map<Row, Earlier> {
	const byPrint = new Map<string, Earlier[]>();
	for (const { batch, positions, prints: sent, ids, returned, unsure } of batches) {
		const known = ids === '' ? [] : ids.split(' ');
		positions.forEach((position, rowIndex) => {
			const print = sent.slice(rowIndex * PRINT_LENGTH, (rowIndex + 1) * PRINT_LENGTH);
			const entry = { position, id: known[rowIndex] ?? '', batch, rowIndex, returned, unsure };
			const list = byPrint.get(print);
			if (list) list.push(entry);
			else byPrint.set(print, [entry]);
		});
	}
	const matched = new Map<Row, Earlier>();
	rows.forEach((row, position) => {
		const candidates = byPrint.get(prints[position]);
		if (!candidates?.length) return;
		let best = 0;
		const score = (entry: Earlier) => (entry.position === position ? 0 : 3) + rank(entry);
		candidates.forEach((entry, index) => {
			if (score(entry) < score(candidates[best])) best = index;
		});
		const [entry] = candidates.splice(best, 1);
		// The other entries of this position say less: they must not match another row.
		for (let index = candidates.length - 1; index >= 0; index--)
			if (candidates[index].position === position && entry.position === position)
				candidates.splice(index, 1);
		matched.set(row, entry);
	});
	return matched;
}

/** A batch of this try as the record keeps it (rows by position, their fingerprints). */
export function batchRecord(
	batch: number,
	rows: Row[],
	position: Map<Row, number>,
	prints: string[],
	ids: string[],
): AcceptedBatch {
	return {
		batch,
		positions: rows.map((row) => position.get(row)!),
		prints: rows.map((row) => prints[position.get(row)!]).join(''),
		ids: ids.join(' '),
	};
}
