'use strict';
// 7B. Until BHuman Calls Back: what one callback costs as the run grows (N rows in ONE execution).
//
// In a single-process n8n (the bench's line, SQLite), started here with a copy of the packed
// package whose row limit (MAX_CALLBACK_ROWS, compiled into dist/nodes/Bhuman/helpers/callbacks.js)
// is raised to the largest N measured: the node refuses a larger run before paying, so the shipped
// build cannot be measured above its limit. Only that constant differs; the copy is made in the
// bench's work folder from the tarball every other section installs, and the shipped tarball is
// checked to refuse a run one row above its limit (in the bench's own n8n) first.
//
// Per N, two executions of Lead webhook → Code (N contacts) → Generate (Until BHuman Calls Back) →
// Email (Set):
// 1. every render unfinished (`sim:never`); the simulator's own callbacks off. (a) `repeats`
//    callbacks, each of a generation just completed while the others render, POSTed to the run's
//    callback URL (its token included) by the bench: n8n's answer time, which should be "waiting";
//    (b) every other generation completed, then the last one's callback: its answer time (the node
//    asks BHuman about all N − 1 others and its own record, then resumes), and the time until the
//    resumed execution ends.
// 2. every render ending at the same moment (`sim:render=<T>`, T well after the run waits), the
//    simulator calling back each generation as BHuman would (20 deliveries at a time): from the
//    first callback to the execution's end, the answers, n8n's CPU time (process tree, /proc), and
//    the requests n8n sent BHuman.

const fs = require('node:fs');
const path = require('node:path');
const L = require('../../../scripts/lib/n8n');
const { run: sh } = require('../../../scripts/lib/install');
const { ownerClient, simCredential } = require('../env');
const F = require('../flows');
const { deploy, newExecution, FINISHED } = require('../measure');
const { startSampler, treeCpuMs } = require('../memory');
const { median, percentile, round } = require('../stats');
const { post, callbackBody } = require('./callbacks');
const { mapLimit } = require('./renders-builds');

/** The row limit is the largest N where all of these hold (and for every smaller N). */
const CRITERIA = {
	// a callback answered while other videos of the run render (median of the repeats): one per video
	waitingAnswerMs: 1000,
	// the callback that resumes the run answered: half of the simulator's 10-s delivery timeout
	resumeAnswerMs: 5000,
	// all N callbacks arriving together: the run resumed and ended within this of the first one,
	// and every callback was answered (200, or n8n's 409 once the run has resumed), none timed out
	burstMs: 60000,
};

/** A copy of the packed package with MAX_CALLBACK_ROWS = limit; returns its tarball and the shipped limit. */
async function patchedTarball(tarball, limit, dir) {
	fs.rmSync(dir, { recursive: true, force: true });
	fs.mkdirSync(dir, { recursive: true });
	await sh('tar', ['-xzf', tarball, '-C', dir]);
	const pkg = path.join(dir, 'package');
	const file = path.join(pkg, 'dist', 'nodes', 'Bhuman', 'helpers', 'callbacks.js');
	const src = fs.readFileSync(file, 'utf8');
	const re = /exports\.MAX_CALLBACK_ROWS = (\d+);/g;
	const found = [...src.matchAll(re)];
	if (found.length !== 1) throw new Error(`${file}: expected one MAX_CALLBACK_ROWS definition, found ${found.length}`);
	fs.writeFileSync(file, src.replace(re, `exports.MAX_CALLBACK_ROWS = ${limit};`));
	const out = await sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: pkg });
	const info = JSON.parse(out.slice(out.indexOf('[')));
	return { tarball: path.join(dir, info[0].filename), shipped: Number(found[0][1]), limit };
}

/**
 * The workflow's newest executions; [] while n8n answers 503 (under a callback burst its database
 * health ping can fail, and n8n then refuses every request for a while): the caller polls again.
 */
async function recent(client, workflowId) {
	try {
		return await client.listExecutions(workflowId, { limit: 20 });
	} catch (e) {
		if (e.status === 503) return [];
		throw e;
	}
}

/** The newest execution of the workflow not in `seen` once its status is `status` (or it failed). */
async function executionIn(client, workflowId, seen, status, timeoutMs) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const fresh = (await recent(client, workflowId)).find((e) => !seen.has(String(e.id)));
		if (fresh && fresh.status === status) return fresh;
		if (fresh && FINISHED(fresh)) throw new Error(`execution ${fresh.id} ended ${fresh.status} instead of ${status}: ${L.executionError(await client.getExecution(fresh.id))}`);
		if (Date.now() > deadline) return null;
		await L.sleep(200);
	}
}

async function finished(client, workflowId, id, timeoutMs) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const e = (await recent(client, workflowId)).find((x) => String(x.id) === String(id));
		if (e && FINISHED(e)) return client.getExecution(id);
		if (Date.now() > deadline) return null;
		await L.sleep(300);
	}
}

/** A run that did not resume is stopped (it would wait until Max Wait). */
const stopRun = (client, id) => client.request('POST', `/rest/executions/${id}/stop`, {}).catch(() => {});

/** Waits until n8n's process tree is nearly idle again (< 15% of a core over 2 s; at most 2 minutes). */
async function settle(pid) {
	const deadline = Date.now() + 120000;
	for (;;) {
		const c0 = treeCpuMs(pid);
		await L.sleep(2000);
		if (treeCpuMs(pid) - c0 < 300 || Date.now() > deadline) return;
	}
}

/** The Email step got every row, each with its own contact and a succeeded video. */
function allEmailed(ex, n) {
	const out = L.nodeOutput(ex, 'Email') || [];
	return out.length === n && out.every((o, i) => o.json.status === 'succeeded' && o.json.to === `contact${i}@example.com` && o.json.videoId);
}

const complete = (sim, id) => sim.control('POST', `/__sim/generations/${id}/complete`, { status: 'succeeded' });

/** POSTs one callback; its answer, time, and the CPU time n8n's process tree used meanwhile. */
async function answerOf(url, body, pid) {
	const cpu0 = treeCpuMs(pid);
	const [a] = (await post(url, [body], 1)).answers;
	return { status: a.status, result: a.json?.result, ms: round(a.ms, 1), cpuMs: round(treeCpuMs(pid) - cpu0, 0) };
}

async function callbacksTo(sim, url, n, idleMs = 30000) {
	let last = -1;
	let since = Date.now();
	for (;;) {
		const list = (await sim.control('GET', '/__sim/callbacks')).filter((c) => c.url === url);
		if (list.length >= n) return list;
		if (list.length !== last) {
			last = list.length;
			since = Date.now();
		}
		if (Date.now() - since > idleMs) return list;
		await L.sleep(500);
	}
}

/** Part 1 for N rows: answers while the others render, the resuming callback, the end of the run. */
async function oneByOne(ctx, n, { repeats }) {
	const { client, sim, deployed, seen, n8n } = ctx;
	const pid = n8n.proc.pid;
	await sim.control('DELETE', '/__sim/requests');
	const t0 = Date.now();
	await client.callWebhook(deployed.path, { body: { n, company: 'sim:never' } });
	const waiting = await executionIn(client, deployed.id, seen, 'waiting', 300000);
	if (!waiting) throw new Error(`the ${n}-row run did not wait within 5 minutes`);
	const toWaitMs = Date.now() - t0;
	seen.add(String(waiting.id));
	const raw = await client.request('GET', `/rest/executions/${waiting.id}`);
	const ids = (L.nodeOutput({ ...raw, data: client.unflatten(raw.data) }, 'BHuman Generate') || []).map((i) => i.json.id);
	if (ids.length !== n) throw new Error(`the waiting ${n}-row run shows ${ids.length} generation ids`);
	const callbackUrl = (await sim.control('GET', '/__sim/requests?path=/api/ai_studio/try_sample'))[0]?.body?.callback_url;
	if (!callbackUrl) throw new Error('no callback_url in the generate request');
	await sim.control('POST', '/__sim/callbacks', { repeat: 0 });
	try {
		// (a) the generations at positions 0, 2, 4, …: the next one (asked first) is still rendering
		const firstDone = [];
		const waitingAnswers = [];
		for (let k = 0; k < repeats && 2 * k < n - 1; k++) {
			const id = ids[2 * k];
			await complete(sim, id);
			firstDone.push(id);
			waitingAnswers.push(await answerOf(callbackUrl, callbackBody(sim.url, id), pid));
		}
		// (b) all others silently, then the last one's callback resumes the run
		const done = new Set(firstDone);
		await mapLimit(ids.slice(0, n - 1).filter((id) => !done.has(id)), 50, (id) => complete(sim, id));
		await complete(sim, ids[n - 1]);
		await sim.control('DELETE', '/__sim/requests');
		const cpuAtResume = treeCpuMs(pid);
		const tr = Date.now();
		const resume = await answerOf(callbackUrl, callbackBody(sim.url, ids[n - 1]), pid);
		const asked = (await sim.control('GET', '/__sim/state')).counts.requests;
		const resumeOk = resume.status === 200 && resume.result === 'resumed';
		const ex = resumeOk ? await finished(client, deployed.id, waiting.id, 300000) : null;
		const resumeCpuMs = round(treeCpuMs(pid) - cpuAtResume, 0);
		if (!ex) {
			await stopRun(client, waiting.id);
			await settle(pid);
		}
		return {
			toWaitMs,
			executionDataKB: round(raw.data.length / 1024, 0),
			waitingAnswers,
			waitingAnswerMsMedian: round(median(waitingAnswers.map((a) => a.ms)), 1),
			waitingAnswerCpuMsMedian: round(median(waitingAnswers.map((a) => a.cpuMs)), 0),
			waitingAnswersOk: waitingAnswers.every((a) => a.status === 200 && a.result === 'waiting'),
			resume: { ...resume, requestsToBhuman: asked },
			resumeOk,
			resumeToEndMs: ex ? Date.parse(ex.stoppedAt) - tr : null,
			// n8n's CPU from the resuming POST until the resumed run was seen ended (answer and the run)
			resumeToEndCpuMs: resumeCpuMs,
			emailedAll: Boolean(ex && ex.status === 'success' && allEmailed(ex, n)),
		};
	} finally {
		await sim.control('POST', '/__sim/callbacks', { repeat: 1 });
	}
}

/** Part 2 for N rows: every render ends at once, the simulator calls back all N. */
async function together(ctx, n, { renderMs }) {
	const { client, sim, deployed, seen, n8n, latencyMs } = ctx;
	await sim.control('DELETE', '/__sim/requests');
	await client.callWebhook(deployed.path, { body: { n, company: `sim:render=${renderMs}` } });
	const waiting = await executionIn(client, deployed.id, seen, 'waiting', renderMs);
	const [generate] = await sim.control('GET', '/__sim/requests?path=/api/ai_studio/try_sample');
	if (!generate) throw new Error(`the ${n}-row run sent no generate request`);
	const rendersEnd = generate.at + latencyMs + renderMs;
	if (!waiting || Date.now() >= rendersEnd) throw new Error(`the ${n}-row run was not waiting before its renders ended (${renderMs} ms): raise the render time`);
	seen.add(String(waiting.id));
	await sim.control('DELETE', '/__sim/requests');
	const pid = n8n.proc.pid;
	const cpu0 = treeCpuMs(pid);
	// n8n's memory (its process tree's RSS) from before the callbacks until the run has ended
	const memory = startSampler(pid, 200);
	// waited for at most twice the criterion after the renders end: a run that has not ended then
	// is given up (stopped; the simulator's queued callbacks and the run's generations dropped)
	const budgetMs = 2 * CRITERIA.burstMs;
	const ex = await finished(client, deployed.id, waiting.id, Math.max(0, rendersEnd - Date.now()) + budgetMs);
	const url = generate.body.callback_url;
	const sent = ex ? await callbacksTo(sim, url, n) : (await sim.control('GET', '/__sim/callbacks')).filter((c) => c.url === url);
	const cpuMs = treeCpuMs(pid) - cpu0;
	const rss = memory.stop();
	const asked = (await sim.control('GET', '/__sim/state')).counts.requests;
	if (!ex) {
		await stopRun(client, waiting.id);
		await sim.control('POST', '/__sim/reset');
		await settle(pid);
	}
	const first = Math.min(...sent.map((c) => c.at));
	const statuses = {};
	for (const c of sent) {
		const k = c.status ?? (/timed out/.test(c.error || '') ? 'timed out' : 'connection error');
		statuses[k] = (statuses[k] || 0) + 1;
	}
	// n8n's own race, two forms, both answered 500 by n8n: a callback that loads the execution as
	// another resumes it fails in n8n's waiting-webhooks.js before the node runs (preserveInputOverride
	// pops an emptied run-data array), and a second resume of the run is refused by n8n 2.x's
	// compare-and-set ("Execution is already being resumed by another process": on 2.x the node
	// leaves a second resume to it). Counted from n8n's log for this execution, reported apart, and
	// not a miss when the run ended with every video: nothing ran twice.
	const raceLines = fs
		.readFileSync(ctx.logFile, 'utf8')
		.split('\n')
		.filter(
			(line) =>
				(line.includes(`/webhook-waiting/${waiting.id}/`) && line.includes("reading 'inputOverride'")) ||
				line.includes(`Execution is already being resumed by another process (execution ${waiting.id})`),
		).length;
	const n8nResumeRace = Math.min(statuses['500'] || 0, raceLines);
	const unanswered = sent.filter((c) => c.status !== 200 && c.status !== 409).length + (n - sent.length) - n8nResumeRace;
	return {
		renderMs,
		gaveUpAfterMs: ex ? null : budgetMs,
		callbacks: sent.length,
		statuses,
		rss: { beforeMB: rss.baselineMB, peakMB: rss.peakMB, growthMB: rss.deltaMB },
		n8nResumeRace,
		errors: [...new Set(sent.filter((c) => c.error).map((c) => c.error))].slice(0, 3),
		unanswered,
		answerMsP50: round(percentile(sent.map((c) => c.ms), 50), 0),
		answerMsP95: round(percentile(sent.map((c) => c.ms), 95), 0),
		answerMsMax: sent.length ? Math.max(...sent.map((c) => c.ms)) : null,
		firstCallbackToEndMs: ex ? Date.parse(ex.stoppedAt) - first : null,
		allAnsweredMs: sent.length ? Math.max(...sent.map((c) => c.at + c.ms)) - first : null,
		cpuMs: round(cpuMs, 0),
		requestsToBhuman: asked,
		requestLogFull: asked >= 45000, // the simulator keeps at most 50,000 (then drops the oldest 10%)
		emailedAll: Boolean(ex && ex.status === 'success' && allEmailed(ex, n)),
	};
}

/** Each criterion of the row limit: whether an N's figures meet it, and why not. */
const CHECKS = [
	{
		id: 'waitingAnswer',
		name: `a callback while others render answered "waiting" within ${CRITERIA.waitingAnswerMs} ms (median)`,
		miss: (r) => (!r.oneByOne.waitingAnswersOk ? 'a callback while others render was not answered "waiting"' : r.oneByOne.waitingAnswerMsMedian <= CRITERIA.waitingAnswerMs ? null : `a callback while others render took ${r.oneByOne.waitingAnswerMsMedian} ms (> ${CRITERIA.waitingAnswerMs})`),
	},
	{
		id: 'resumes',
		name: "the last callback resumes the run with every video (within the node's 60-s deadline for asking BHuman)",
		miss: (r) => (r.oneByOne.resumeOk && r.oneByOne.emailedAll ? null : `the last callback did not resume the run with every video (answered ${r.oneByOne.resume.status} ${r.oneByOne.resume.result ?? ''} after ${r.oneByOne.resume.ms} ms)`),
	},
	{
		id: 'resumeAnswer',
		name: `the resuming callback answered within ${CRITERIA.resumeAnswerMs} ms`,
		miss: (r) => (r.oneByOne.resumeOk && r.oneByOne.resume.ms <= CRITERIA.resumeAnswerMs ? null : `the resuming callback took ${r.oneByOne.resume.ms} ms (> ${CRITERIA.resumeAnswerMs})`),
	},
	{
		id: 'burst',
		name: `all N callbacks at once answered 200/409 (or n8n's own 500 as the run resumes, see the notes) and the run ended with every video within ${CRITERIA.burstMs} ms of the first`,
		miss: (r) => {
			const t = r.together;
			if (t.skipped) return `all callbacks at once ${t.skipped}`;
			if (!t.emailedAll) return t.gaveUpAfterMs ? `with all callbacks at once the run had not ended ${t.gaveUpAfterMs / 1000} s after the renders ended` : 'with all callbacks at once the run did not end with every video';
			if (!(t.firstCallbackToEndMs <= CRITERIA.burstMs)) return `with all callbacks at once the run ended ${t.firstCallbackToEndMs} ms after the first (> ${CRITERIA.burstMs})`;
			if (t.unanswered > 0) return `${t.unanswered} of ${r.n} callbacks at once not answered 200/409 (${JSON.stringify(t.statuses)}${t.n8nResumeRace ? `, of which n8n's resume race ${t.n8nResumeRace}` : ''})`;
			return null;
		},
	},
];

/** The largest N (ascending results) such that it and every smaller N pass `ok`; null when the first fails. */
function largestPassing(results, ok) {
	let n = null;
	for (const r of results) {
		if (!ok(r)) break;
		n = r.n;
	}
	return n;
}

/** The shipped tarball refuses a run one row above its limit, before anything is sent. */
async function shippedRefuses(env, shipped) {
	const d = await deploy(env.client, F.callbackRows({ instanceId: env.instanceId, credential: env.credential }));
	await env.sim.control('DELETE', '/__sim/requests');
	await env.client.callWebhook(d.path, { body: { n: shipped + 1, company: 'sim:never' } });
	const ex = await newExecution(env.client, d, { timeoutMs: 120000 }).catch(() => null);
	const sent = (await env.sim.control('GET', '/__sim/requests?path=/api/ai_studio/try_sample')).length;
	const message = ex ? L.executionError(ex) : 'no finished execution';
	await env.client.deactivateWorkflow(d.id).catch(() => {});
	return { rows: shipped + 1, status: ex?.status ?? null, message, generateRequests: sent, refused: Boolean(ex && ex.status === 'error' && sent === 0 && message.includes(`at most ${shipped} videos`)) };
}

async function runRows(env, { rows, repeats, log }) {
	const maxN = Math.max(...rows);
	const dir = path.join(env.workDir, 'renders-rows');
	const patched = await patchedTarball(env.tarball, maxN, path.join(dir, 'patched'));
	const refusal = await shippedRefuses(env, patched.shipped);
	log(`  the shipped build (MAX_CALLBACK_ROWS ${patched.shipped}) with ${refusal.rows} rows: ${refusal.refused ? 'refused before paying' : `NOT refused (${refusal.status}, ${refusal.generateRequests} generate requests)`}; measuring a copy with MAX_CALLBACK_ROWS ${maxN}`);
	// DB_PING_TIMEOUT_MS as the bench's queue-mode processes (scripts/lib/queue.js, and the README for
	// webhook processors): n8n's 5-s default makes it answer every request 503 under a burst
	const n8n = await L.startN8n({ line: env.line, tarball: patched.tarball, userFolder: path.join(dir, 'user'), logFile: path.join(dir, 'n8n.log'), env: { DB_PING_TIMEOUT_MS: '30000' } });
	try {
		const client = await ownerClient(n8n.url, n8n.install);
		const credential = await simCredential(client, env.sim);
		const deployed = await deploy(client, F.callbackRows({ instanceId: env.data.videoInstances[8].id, credential }));
		const ctx = { client, sim: env.sim, deployed, seen: new Set(), n8n, latencyMs: env.latencyMs, logFile: path.join(dir, 'n8n.log') };
		const results = [];
		let burstGaveUpAt = null;
		for (const n of [...rows].sort((a, b) => a - b)) {
			await env.sim.control('POST', '/__sim/reset');
			const r = { n, oneByOne: await oneByOne(ctx, n, { repeats }) };
			// the renders end well after the run waits (measured just before), so every callback finds it waiting;
			// above an N whose burst did not end, a larger one is not run (it only takes longer to give up)
			if (burstGaveUpAt === null) r.together = await together(ctx, n, { renderMs: Math.max(15000, 2 * r.oneByOne.toWaitMs + 5000) });
			else r.together = { skipped: `not run: the ${burstGaveUpAt}-row run did not end with all callbacks at once` };
			if (r.together.gaveUpAfterMs) burstGaveUpAt = n;
			r.failing = CHECKS.map((c) => c.miss(r)).filter(Boolean);
			results.push(r);
			const o = r.oneByOne;
			const t = r.together;
			const burst = t.skipped ? t.skipped : `ended ${t.firstCallbackToEndMs ?? 'not'} ms after the first callback, answers p95 ${t.answerMsP95} ms, ${JSON.stringify(t.statuses)}${t.n8nResumeRace ? ` (${t.n8nResumeRace} × 500 by n8n's resume race)` : ''}, n8n CPU ${t.cpuMs} ms, RSS ${t.rss.beforeMB} → ${t.rss.peakMB} MB, ${t.requestsToBhuman} requests to BHuman`;
			log(`  ${n} rows: waits after ${o.toWaitMs} ms (${o.executionDataKB} KB of execution data); a callback while others render answered in ${o.waitingAnswerMsMedian} ms, ${o.waitingAnswerCpuMsMedian} ms CPU (median of ${o.waitingAnswers.length}); the resuming callback: ${o.resume.status} ${o.resume.result ?? ''} in ${o.resume.ms} ms (${o.resume.requestsToBhuman} requests to BHuman), run ended ${o.resumeToEndMs ?? 'not'} ms after it, ${o.resumeToEndCpuMs} ms CPU; all ${n} at once: ${burst}${r.failing.length ? `; misses: ${r.failing.join('; ')}` : ''}`);
		}
		// the proposal: the largest N meeting every criterion, with every smaller N meeting them too
		const proposed = largestPassing(results, (r) => !r.failing.length);
		const byCriterion = CHECKS.map((c) => ({ id: c.id, name: c.name, largestN: largestPassing(results, (r) => !c.miss(r)) }));
		const firstMiss = results.find((r) => r.failing.length);
		return {
			mode: 'single-process n8n (regular mode, SQLite, DB_PING_TIMEOUT_MS=30000), started for this part',
			patched: { shippedLimit: patched.shipped, measuredLimit: patched.limit, how: `dist/nodes/Bhuman/helpers/callbacks.js of the packed tarball: exports.MAX_CALLBACK_ROWS = ${patched.shipped} → ${patched.limit}, repacked in the bench work folder (BENCH_RENDERS_ROWS sets the N measured; the copy's limit is the largest)` },
			shippedRefusal: refusal,
			repeats,
			criteria: CRITERIA,
			results,
			largestMeeting: proposed,
			byCriterion,
			proposedLimit: Math.max(100, proposed ?? 0),
			firstMiss: firstMiss ? { n: firstMiss.n, why: firstMiss.failing } : null,
		};
	} finally {
		await n8n.stop();
	}
}

module.exports = { runRows, CRITERIA };
