'use strict';
// Callback bursts against an active BHuman Trigger in a real n8n, as a batch's callbacks
// arrive: all at once, then each delivered again 2 s later, one at a time. Measures how many
// of the repeats started the workflow again, how fast n8n answered the burst, and how many
// executions n8n had recorded when the last 200 came back. Used by checks/trigger.js and by
// test/e2e/burst.js (which also runs the kill test).

const { randomUUID } = require('node:crypto');
const { sleep } = require('../../../scripts/lib/n8n');
const { triggerWorkflow } = require('./workflows');

/** How many executions n8n has for the workflow (any status: new, running, finished, crashed). */
async function executionCount(client, workflowId) {
	const filter = encodeURIComponent(JSON.stringify({ workflowId }));
	for (let attempt = 1; ; attempt++) {
		try {
			const out = await client.request('GET', `/rest/executions?filter=${filter}&limit=1`);
			return typeof out.count === 'number' ? out.count : (out.results || out).length;
		} catch (err) {
			// Under a burst n8n 2.x may answer 503 "Database is not ready!" for a moment.
			if (err.status !== 503 || attempt >= 120) throw err;
			await sleep(500);
		}
	}
}

/**
 * Waits until n8n has at least `atLeast` executions of the workflow and the count has not moved
 * for `quietMs` (a busy n8n records executions long after answering), or `timeoutMs` passed.
 */
async function settledCount(client, workflowId, { atLeast = 0, quietMs = 5000, timeoutMs = 600000 } = {}) {
	const deadline = Date.now() + timeoutMs;
	let last = await executionCount(client, workflowId);
	let since = Date.now();
	while (Date.now() < deadline) {
		await sleep(500);
		const now = await executionCount(client, workflowId);
		if (now !== last) {
			last = now;
			since = Date.now();
		} else if (now >= atLeast && Date.now() - since >= quietMs) break;
	}
	return last;
}

function callbackBody(id) {
	return {
		id,
		status: 'succeeded',
		video_url: `https://app.bhuman.ai/share/${id}`,
		url: `https://cdn.bhuman.ai/${id}.mp4`,
		thumbnail: `https://cdn.bhuman.ai/${id}.png`,
		gif: `https://cdn.bhuman.ai/${id}.gif`,
	};
}

/** POSTs a callback; returns its status (or the network error) and the answer's `result`. */
async function send(url, body) {
	try {
		const res = await fetch(url, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body),
			signal: AbortSignal.timeout(300000),
		});
		const text = await res.text();
		let result;
		try {
			result = JSON.parse(text).result;
		} catch {}
		return { status: res.status, result };
	} catch (err) {
		return { status: `error ${err.cause?.code || err.message}` };
	}
}

async function post(url, body) {
	return (await send(url, body)).status;
}

/** A new active trigger workflow (token set, repeats ignored); returns { id, url }. */
async function activeTrigger(client, n8nUrl, name, token) {
	const t = triggerWorkflow(name, { events: ['video.succeeded', 'video.failed'], token, verify: false, ignoreRepeats: true });
	const wf = await client.createWorkflow(t.workflow);
	await client.activateWorkflow(wf.id, wf.versionId);
	return { id: wf.id, url: `${n8nUrl}/webhook/${t.webhookId}/bhuman?token=${token}` };
}

/**
 * One burst of `size` callbacks to a fresh trigger workflow, then each again one at a time.
 * Returns { size, answered200, seconds, rate, recordedAtLastAnswer, firstRuns, repeatsStarted }.
 */
async function runBurst(client, n8nUrl, size, { token = 'e2e-burst-token', repeatDelayMs = 2000 } = {}) {
	const trigger = await activeTrigger(client, n8nUrl, `e2e burst ${size}`, token);
	const ids = Array.from({ length: size }, () => randomUUID());
	const started = Date.now();
	const firsts = await Promise.all(ids.map((id) => send(trigger.url, callbackBody(id))));
	const statuses = firsts.map((a) => a.status);
	const seconds = (Date.now() - started) / 1000;
	const recordedAtLastAnswer = await executionCount(client, trigger.id);
	const answered200 = statuses.filter((s) => s === 200).length;
	const others = [...new Set(statuses.filter((s) => s !== 200))];

	await sleep(repeatDelayMs);
	const repeats = [];
	for (const id of ids) repeats.push(await send(trigger.url, callbackBody(id)));
	const total = await settledCount(client, trigger.id, { atLeast: answered200 });
	const saved = (await client.getWorkflow(trigger.id)).staticData;
	// The trigger keeps its keys end to end in one string, 12 characters each (deliveries.ts).
	const seen = saved && saved['node:BHuman Trigger'] && saved['node:BHuman Trigger'].seen;
	return {
		remembered: typeof seen === 'string' ? Math.floor(seen.length / 12) : 0,
		size,
		workflowId: trigger.id,
		answered200,
		others,
		seconds,
		rate: Math.round(size / seconds),
		recordedAtLastAnswer,
		repeatsAnswered200: repeats.filter((a) => a.status === 200).length,
		// A repeat of a callback n8n did not accept (500, dropped) is a first delivery: it may start.
		repeatsStarted: repeats.filter((a, i) => firsts[i].status === 200 && a.result === 'accepted').length,
		executions: total,
		/** Accepted (200) callbacks without an execution when the count settled. */
		missing: Math.max(0, answered200 - total),
	};
}

function describeBurst(r) {
	return (
		`${r.size} callbacks at once: ${r.answered200} answered 200${r.others.length ? ` (others: ${r.others.join(', ')})` : ''} ` +
		`in ${r.seconds.toFixed(2)} s (${r.rate}/s), ${r.recordedAtLastAnswer} executions listed by the REST API at the last answer; ` +
		`each again 2 s later, one at a time: ${r.repeatsStarted} of ${r.answered200} repeats of accepted callbacks started the workflow ` +
		`(${r.executions} executions for ${r.size} ids); ` +
		`static data holds ${r.remembered} keys` +
		(r.missing ? `; ${r.missing} callbacks answered 200 have no execution` : '')
	);
}

module.exports = { runBurst, describeBurst, executionCount, settledCount, activeTrigger, callbackBody, post };
