/** Waiting for renders to finish, and fetching the finished MP4. */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';
import { downloadMedia } from '../transport';
import { itemLabel } from './ids';
import { explain, toNodeError } from './utils';
import { fetchGeneration, isFinal } from '../../shared/video';

/** Max Download Size's default, in MB (1 MB = 1,000,000 bytes). */
export const DEFAULT_MAX_DOWNLOAD_MB = 500;

export interface WaitOptions {
	pollIntervalMs: number;
	maxWaitMs: number;
	/** Polls in flight at once (each generation has at most one). */
	concurrency: number;
	/** The first round at once (videos that may be final already), not one interval in. */
	now?: boolean;
}

export interface WaitResult {
	/** The last record BHuman returned, if any poll succeeded. */
	record?: IDataObject;
	polls: number;
	timedOut: boolean;
	/** The last poll's error, when BHuman could not be asked. */
	pollError?: string;
}

/** Runs `task` over `list` with at most `limit` running at once. */
export async function forEachConcurrently<T>(
	list: T[],
	limit: number,
	task: (entry: T) => Promise<void>,
) {
	let next = 0;
	const worker = async () => {
		while (next < list.length) await task(list[next++]);
	};
	await Promise.all(Array.from({ length: Math.min(limit, list.length) }, worker));
}

/**
 * Polls `GET /generated_video_by_id` for each generation until it is final or
 * the deadline passes. A round starts every poll interval (the first one
 * interval after the start: nothing renders faster), so a generation is polled
 * at most maxWait / interval times, and one that finishes is noticed within
 * one interval. The node never throws here: what is unfinished at the
 * deadline comes out with `timedOut`.
 */
export async function waitForGenerations(
	this: IExecuteFunctions,
	ids: string[],
	options: WaitOptions,
): Promise<Map<string, WaitResult>> {
	const results = new Map<string, WaitResult>(ids.map((id) => [id, { polls: 0, timedOut: false }]));
	const deadline = Date.now() + options.maxWaitMs;
	let pending = [...results.keys()];
	let roundStart = options.now ? Date.now() - options.pollIntervalMs : Date.now();

	while (pending.length > 0) {
		const nextRound = roundStart + options.pollIntervalMs;
		if (nextRound > deadline) break;
		await sleep(Math.max(0, nextRound - Date.now()));
		roundStart = Date.now();

		await forEachConcurrently(pending, options.concurrency, async (id) => {
			// A round that outlasts the deadline starts no more polls; each poll is bounded by it too.
			if (Date.now() >= deadline) return;
			const result = results.get(id)!;
			result.polls++;
			try {
				result.record = await fetchGeneration.call(this, id, undefined, deadline);
				result.pollError = undefined;
			} catch (error) {
				// Polling is best effort: the next round asks again, the deadline still holds.
				result.pollError = (error as Error).message;
			}
		});
		pending = pending.filter((id) => !isFinal(results.get(id)!.record?.status));
	}
	for (const id of pending) results.get(id)!.timedOut = true;
	return results;
}

/**
 * Max Download Size of the item in bytes, checked: call it before the run's
 * first request wherever Download Video is on (an expression may give anything).
 */
export function readMaxDownloadBytes(this: IExecuteFunctions, itemIndex: number): number {
	const value = this.getNodeParameter('maxDownloadSize', itemIndex, DEFAULT_MAX_DOWNLOAD_MB);
	if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
		throw new NodeOperationError(
			this.getNode(),
			`Max Download Size (MB) of ${itemLabel(itemIndex)} must be a number above 0, not ${String(value).slice(0, 40)}`,
			{ itemIndex },
		);
	}
	return Math.floor(value * 1_000_000);
}

/** Streams the generation's MP4 into the item's binary property, refusing one over `maxBytes`. */
export async function attachVideo(
	this: IExecuteFunctions,
	item: INodeExecutionData,
	generationId: string,
	mp4Url: string,
	binaryPropertyName: string,
	itemIndex: number,
	maxBytes: number,
) {
	const what = `The video file of generation ${generationId}`;
	const { stream, contentType } = await downloadMedia.call(this, mp4Url, {
		itemIndex,
		notFound: what,
		what,
		maxBytes,
	});
	const mimeType = contentType?.startsWith('video/') ? contentType : 'video/mp4';
	item.binary = {
		...item.binary,
		[binaryPropertyName]: await this.helpers.prepareBinaryData(
			stream,
			`${generationId}.mp4`,
			mimeType,
		),
	};
}

/**
 * Download Video of a generated row (Generate, in either way of waiting): the MP4 into the item,
 * or an error that says the video exists on BHuman and only its download failed.
 */
export async function downloadGenerated(
	this: IExecuteFunctions,
	item: INodeExecutionData,
	generationId: string,
	mp4Url: string,
	binaryPropertyName: string,
	itemIndex: number,
	maxBytes: number,
) {
	try {
		await attachVideo.call(
			this,
			item,
			generationId,
			mp4Url,
			binaryPropertyName,
			itemIndex,
			maxBytes,
		);
	} catch (caught) {
		throw explain(
			toNodeError.call(this, caught, itemIndex),
			`Downloading the video of ${itemLabel(itemIndex)} failed`,
			[
				`The video was generated (generation ${generationId}) and stays on BHuman: only the download failed. Get it later with Video → Get and Download Video on, or from its mp4Url.`,
			],
		);
	}
}
