/**
 * Memory of accepted deliveries, in two layers:
 *
 * - the workflow's static data: saved by n8n with the workflow, so it survives restarts and is
 *   shared by every n8n process that reads the same database. It holds the newest
 *   MAX_REMEMBERED keys.
 * - a process-wide cache of recent keys (this module's state). n8n loads static data when a
 *   request arrives and saves it whole once the request was handled, so callbacks handled at the
 *   same time each save what they loaded plus their own key, and the last save wins: a batch's
 *   callbacks, which arrive together, forgot each other. The cache sees every key this process
 *   accepted and is merged into every save when n8n writes it (Memory), so the last save of a
 *   burst holds all of them.
 *
 * A key is 12 characters (72 bits of the SHA-256 of "event id"), stored end to end in one
 * string: n8n reads and writes the whole static data on every callback, so its size is paid per
 * callback (1,000 keys as "event id" strings were 55 KB and cost the trigger ~9% of its callback
 * rate in queue mode; 2,000 keys now take 24 KB).
 *
 * Module-level state is deliberate here (as in the BHuman node's callbacks and transport): a cache, bounded in time
 * (CACHE_TTL_MS) and size (CACHE_MAX_KEYS), never the only memory, and losing it (a restart,
 * another process) leaves the static data as before.
 */
import { createHash } from 'crypto';
import type { IDataObject } from 'n8n-workflow';

/** How many (event, id) keys the static data of one trigger node keeps: a 2,000-row batch. */
export const MAX_REMEMBERED = 2000;
/** How long, and how many keys (all triggers of the process together), the cache keeps. */
export const CACHE_TTL_MS = 24 * 60 * 60 * 1000;
export const CACHE_MAX_KEYS = 10_000;

const STATIC_KEY = 'seen';
const KEY_LENGTH = 12;

/** Per scope (one trigger node of one workflow): key → when it was accepted, oldest first. */
const cache = new Map<string, Map<string, number>>();
let cachedCount = 0;

/**
 * One delivery: BHuman may send the same (event, id) more than once, in any letter case. 72 bits
 * of SHA-256: two different deliveries among 2,000 share a key with odds of about 1 in 10^15.
 */
export function deliveryKey(event: string, id: string): string {
	return createHash('sha256')
		.update(`${event} ${id.toLowerCase()}`)
		.digest('base64url')
		.slice(0, KEY_LENGTH);
}

/** The cache's part for one trigger node of one workflow. */
export function cacheScope(workflowId: string | undefined, nodeName: string): string {
	return `${workflowId ?? ''}\u0000${nodeName}`;
}

/** Forgets what the cache holds, as a restart does (tests). */
export function clearDeliveryCache(): void {
	cache.clear();
	cachedCount = 0;
}

/** Drops expired keys, then the oldest of all scopes while the cache is over its size. */
function prune(now: number): void {
	for (;;) {
		let oldest: { scope: string; keys: Map<string, number>; key: string; at: number } | undefined;
		for (const [scope, keys] of cache) {
			const first = keys.entries().next();
			if (first.done) continue;
			const [key, at] = first.value;
			if (!oldest || at < oldest.at) oldest = { scope, keys, key, at };
		}
		if (!oldest || (cachedCount <= CACHE_MAX_KEYS && now - oldest.at < CACHE_TTL_MS)) return;
		oldest.keys.delete(oldest.key);
		cachedCount--;
		if (oldest.keys.size === 0) cache.delete(oldest.scope);
	}
}

/** `loaded` then `newer` without repeats, keeping the newest MAX_REMEMBERED, end to end. */
function merged(loaded: string[], newer: string[]): string {
	const fresh = new Set(newer);
	const list = [...loaded.filter((existing) => !fresh.has(existing)), ...newer];
	return list.slice(Math.max(0, list.length - MAX_REMEMBERED)).join('');
}

/**
 * The memory as one callback's static data holds it until n8n saves it. n8n writes the static
 * data once the callback was handled (on n8n 2.x after the execution was created) with
 * JSON.stringify, which calls toJSON: the save then holds every key this process has accepted
 * by that moment, not only those it knew when this callback was accepted. Saves of a burst
 * finish in any order, and a save fixed at acceptance left as few as 1 of 200 keys.
 */
class Memory {
	constructor(
		private readonly loaded: string[],
		private readonly scope: string,
		private readonly key: string,
	) {}

	toJSON(): string {
		const keys = cache.get(this.scope);
		const newer = [...(keys?.keys() ?? [])];
		if (!keys?.has(this.key)) newer.push(this.key); // pruned meanwhile: still this save's own
		return merged(this.loaded, newer.slice(-MAX_REMEMBERED));
	}
}

/** The stored string: as loaded, or as a save would write it now. */
function stored(staticData: IDataObject): string | undefined {
	const seen = staticData[STATIC_KEY] as unknown;
	if (seen instanceof Memory) return seen.toJSON();
	return typeof seen === 'string' ? seen : undefined;
}

/** The keys the static data holds, oldest first. */
export function rememberedKeys(staticData: IDataObject): string[] {
	const seen = stored(staticData);
	const keys: string[] = [];
	if (seen === undefined) return keys;
	for (let at = 0; at + KEY_LENGTH <= seen.length; at += KEY_LENGTH)
		keys.push(seen.slice(at, at + KEY_LENGTH));
	return keys;
}

/** Whether `key` was accepted before: in the static data, or (with a scope) in the cache. */
export function seenBefore(staticData: IDataObject, key: string, scope?: string): boolean {
	if (scope !== undefined) {
		prune(Date.now());
		if (cache.get(scope)?.has(key)) return true;
	}
	const seen = stored(staticData);
	if (seen === undefined) return false;
	for (let at = 0; at + KEY_LENGTH <= seen.length; at += KEY_LENGTH)
		if (seen.startsWith(key, at)) return true;
	return false;
}

/**
 * Adds a key: to the static data and, with a scope, to the cache, whose newest keys for the
 * scope every save of the static data then includes (Memory). A new value is assigned, so n8n's
 * observable static data marks itself changed and saves it.
 */
export function remember(staticData: IDataObject, key: string, scope?: string): void {
	const loaded = rememberedKeys(staticData);
	if (scope === undefined) {
		staticData[STATIC_KEY] = merged(loaded, [key]);
		return;
	}
	const now = Date.now();
	let keys = cache.get(scope);
	if (!keys) cache.set(scope, (keys = new Map()));
	if (keys.delete(key)) cachedCount--;
	keys.set(key, now);
	cachedCount++;
	prune(now);
	staticData[STATIC_KEY] = new Memory(loaded, scope, key) as unknown as IDataObject;
}
