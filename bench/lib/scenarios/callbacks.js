'use strict';
// 3. Callbacks: 1,000 BHuman-shaped callbacks POSTed at concurrency 50 to the production URL of
//    an active BHuman Trigger workflow and, separately, of an n8n Webhook node workflow doing the
//    same downstream work (a Set node). Accepted per second (answers 2xx and, for the trigger,
//    `accepted`), executions completed, callbacks lost (sent − successful executions).

const { randomUUID } = require('node:crypto');
const F = require('../flows');
const { deploy } = require('../measure');
const { startSampler } = require('../memory');
const { median, ratio, target, round, percentile } = require('../stats');
const { sleep } = require('../../../scripts/lib/n8n');

const TOKEN = 'bench-callback-token-7c1e';

/** A BHuman-shaped callback of a succeeded video (a new id unless given). */
function callbackBody(simUrl, id = randomUUID()) {
	return {
		id,
		status: 'succeeded',
		video_url: `${simUrl}/share/${id}`,
		url: `${simUrl}/media/${id}.mp4`,
		thumbnail: `${simUrl}/media/${id}.png`,
		gif: `${simUrl}/media/${id}.gif`,
	};
}

/** POSTs every body, `concurrency` at a time; returns per-callback answers and the span. */
async function post(url, bodies, concurrency) {
	const answers = new Array(bodies.length);
	let next = 0;
	const t0 = performance.now();
	const worker = async () => {
		while (next < bodies.length) {
			const i = next++;
			const s = performance.now();
			try {
				const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'BHuman-Bench/1.0' }, body: JSON.stringify(bodies[i]), signal: AbortSignal.timeout(60000) });
				const text = await res.text();
				let json = null;
				try {
					json = JSON.parse(text);
				} catch {}
				answers[i] = { status: res.status, json, text: json === null ? text.slice(0, 100) : undefined, ms: performance.now() - s };
			} catch (e) {
				answers[i] = { status: 0, error: e.message, ms: performance.now() - s };
			}
		}
	};
	await Promise.all(Array.from({ length: concurrency }, worker));
	return { answers, spanMs: performance.now() - t0 };
}

async function countExecutions(client, workflowId, status) {
	const filter = encodeURIComponent(JSON.stringify({ workflowId, ...(status ? { status: [status] } : {}) }));
	const r = await client.request('GET', `/rest/executions?filter=${filter}&limit=1`);
	return r.count;
}

/**
 * Waits until `expected` new successful executions exist. The trigger answers BHuman before n8n
 * creates the execution, so executions may trail the answers by tens of seconds under a burst:
 * the wait ends early only when neither the successful nor the total count (any status) has
 * moved for idleMs.
 */
async function waitExecutions(client, workflowId, before, expected, { idleMs = 60000, timeoutMs = 300000 } = {}) {
	const t0 = performance.now();
	let last = '';
	let lastChange = performance.now();
	for (;;) {
		const done = (await countExecutions(client, workflowId, 'success')) - before.success;
		const any = await countExecutions(client, workflowId);
		const key = `${done}/${any}`;
		if (key !== last) {
			last = key;
			lastChange = performance.now();
		}
		if (done >= expected) return { completed: done, waitedMs: performance.now() - t0 };
		if (performance.now() - lastChange > idleMs || performance.now() - t0 > timeoutMs) return { completed: done, waitedMs: performance.now() - t0, stalled: true };
		await sleep(250);
	}
}

async function once(env, deployed, kind, { count, concurrency }) {
	const { client } = env;
	const url = `${env.n8n.url}/webhook/${deployed.webhookPath}${kind === 'trigger' ? `?token=${TOKEN}` : ''}`;
	const bodies = Array.from({ length: count }, () => callbackBody(env.sim.url));
	const before = { success: await countExecutions(client, deployed.id, 'success'), error: await countExecutions(client, deployed.id, 'error') };
	const sampler = startSampler(env.n8n.proc.pid);
	const t0 = performance.now();
	const { answers, spanMs } = await post(url, bodies, concurrency);
	// accepted: answered 2xx and not refused or ignored (the trigger says so in its JSON answer,
	// when n8n passes that answer on; see bodies)
	const accepted = answers.filter((a) => a.status >= 200 && a.status < 300 && !(a.json && typeof a.json === 'object' && a.json.result && a.json.result !== 'accepted')).length;
	const answerBodies = {};
	for (const a of answers) {
		const b = a.json !== null && a.json !== undefined ? JSON.stringify(a.json).replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>') : String(a.text ?? a.error ?? '').slice(0, 100);
		answerBodies[b] = (answerBodies[b] || 0) + 1;
	}
	const waited = await waitExecutions(client, deployed.id, before, count);
	const allDoneMs = performance.now() - t0;
	const memory = sampler.stop();
	const errors = (await countExecutions(client, deployed.id, 'error')) - before.error;
	const statuses = {};
	for (const a of answers) statuses[a.status] = (statuses[a.status] || 0) + 1;
	return {
		kind,
		sent: count,
		accepted,
		statuses,
		answerBodies: Object.fromEntries(Object.entries(answerBodies).slice(0, 5)),
		spanMs: round(spanMs, 1),
		acceptedPerSec: round(accepted / (spanMs / 1000), 1),
		answerMsP50: round(percentile(answers.map((a) => a.ms), 50), 1),
		answerMsP95: round(percentile(answers.map((a) => a.ms), 95), 1),
		completed: waited.completed,
		failedExecutions: errors,
		lost: count - waited.completed,
		allExecutedMs: round(allDoneMs, 0),
		completedPerSec: round(waited.completed / (allDoneMs / 1000), 1),
		stalled: Boolean(waited.stalled),
		peakRssMB: memory.peakMB,
	};
}

/**
 * `control` adds a third receiver: n8n's Webhook node with one expression in its options, which
 * n8n 2.x handles like any other start node (see flows.callbackWebhook).
 */
async function run(env, { reps, count = 1000, concurrency = 50, log, control = false, ignoreRepeats = true }) {
	const deployed = {
		trigger: await deploy(env.client, F.callbackTrigger({ token: TOKEN, ignoreRepeats })),
		webhook: await deploy(env.client, F.callbackWebhook()),
	};
	if (control) deployed.webhookExpression = await deploy(env.client, F.callbackWebhook({ expression: true }));
	const kinds = Object.keys(deployed);
	const runs = Object.fromEntries(kinds.map((k) => [k, []]));
	for (let rep = 0; rep < reps; rep++) {
		const order = rep % 2 ? [...kinds].reverse() : kinds;
		for (const kind of order) {
			const r = await once(env, deployed[kind], kind, { count, concurrency });
			runs[kind].push(r);
			log(`  run ${rep + 1}/${reps} ${kind}: ${r.accepted}/${r.sent} accepted in ${r.spanMs} ms (${r.acceptedPerSec}/s), ${r.completed} executions succeeded, ${r.lost} lost`);
		}
	}
	const sum = (list) => ({
		medianAcceptedPerSec: median(list.map((r) => r.acceptedPerSec)),
		medianCompletedPerSec: median(list.map((r) => r.completedPerSec)),
		medianSpanMs: median(list.map((r) => r.spanMs)),
		medianAllExecutedMs: median(list.map((r) => r.allExecutedMs)),
		medianAnswerMsP95: median(list.map((r) => r.answerMsP95)),
		medianPeakRssMB: median(list.map((r) => r.peakRssMB)),
		totalSent: list.reduce((s, r) => s + r.sent, 0),
		totalAccepted: list.reduce((s, r) => s + r.accepted, 0),
		totalCompleted: list.reduce((s, r) => s + r.completed, 0),
		totalLost: list.reduce((s, r) => s + r.lost, 0),
	});
	const out = { count, concurrency, reps, token: 'set (checked on every callback)', ignoreRepeats, runs, ...Object.fromEntries(kinds.map((k) => [k, sum(runs[k])])) };
	out.ratio = round(ratio(out.trigger.medianAcceptedPerSec, out.webhook.medianAcceptedPerSec), 3);
	out.completedRatio = round(ratio(out.trigger.medianCompletedPerSec, out.webhook.medianCompletedPerSec), 3);
	if (control) {
		// Against n8n's Webhook node when it, too, takes an isolate: what the trigger costs beyond that.
		out.controlRatio = round(ratio(out.trigger.medianAcceptedPerSec, out.webhookExpression.medianAcceptedPerSec), 3);
		out.controlCompletedRatio = round(ratio(out.trigger.medianCompletedPerSec, out.webhookExpression.medianCompletedPerSec), 3);
	}
	out.targets = [
		target(`callbacks: BHuman Trigger accepts ≥ 0.9× the Webhook node's rate (${count.toLocaleString('en-US')} at concurrency ${concurrency})`, out.ratio, '>=', 0.9, { unit: '×', id: 'callbacks.rate' }),
		target(`callbacks: 0 lost by the BHuman Trigger (${out.trigger.totalSent.toLocaleString('en-US')} sent over ${reps} runs)`, out.trigger.totalLost, '==', 0, { unit: 'callbacks', id: 'callbacks.lost' }),
	];
	return out;
}

module.exports = { run, post, callbackBody, countExecutions, waitExecutions, TOKEN };
