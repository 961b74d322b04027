'use strict';
// 7A. Waiting for renders, the three builds side by side in queue mode (scripts/lib/queue.js:
//     Postgres 17, Redis, main with production webhooks off, 1 worker at concurrency 10, 1 webhook
//     processor, n8n's resume URLs on the webhook processor). Each build is one workflow (flows.
//     leadVideo): Lead webhook → Lead (Set) → the build → Email (Set, the lead read back through
//     paired items). `leads` executions of one lead each are started together (all POSTs at once to
//     the webhook processor), every render takes `renderMs` in the simulator.
//
// Measured from data only: n8n's REST API on main (executions' status every second while they run,
// startedAt/stoppedAt, the Email node's output), Bull's job lists in Redis (the worker's active jobs:
// its slots in use), the simulator (each generation's created_at and updated_at: when its render
// started and ended; the callbacks it sent; the requests it got), /proc (the worker's RSS).

const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');
const L = require('../../../scripts/lib/n8n');
const { startQueueCluster } = require('../../../scripts/lib/queue');
const { ownerClient, simCredential } = require('../env');
const F = require('../flows');
const { deploy, FINISHED } = require('../measure');
const { startTimeline, treeCpuMs } = require('../memory');
const { median, percentile, round } = require('../stats');

const BUILDS = {
	callback: 'Until BHuman Calls Back',
	waitNode: 'Generate, then the Wait node (On Webhook Call; Callback URL = $execution.resumeUrl)',
	poll: 'By Polling BHuman',
};
const POLL = '/api/ai_studio/generated_video_by_id';
const WORKER_CONCURRENCY = 10;

/** Bull's job lists of n8n's queue (prefix `bull`, queue `jobs`), through n8n's own ioredis. */
function bullLists(install, port) {
	const Redis = createRequire(path.join(install.dir, 'node_modules', 'n8n', 'package.json'))('ioredis');
	const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: false, maxRetriesPerRequest: 2 });
	return {
		async counts() {
			const [active, wait] = await Promise.all([redis.llen('bull:jobs:active'), redis.llen('bull:jobs:wait')]);
			return { active, wait };
		},
		close: () => redis.quit().catch(() => redis.disconnect()),
	};
}

/**
 * Every second: the workflow's executions by status (main's REST API) and Bull's active and
 * waiting jobs, until every one of `expected` executions has finished (and 2 s more) or the deadline.
 */
async function sampleUntilDone({ client, workflowId, bull, expected, deadline }) {
	const samples = [];
	let doneAt = null;
	for (;;) {
		const t = Date.now();
		try {
			const [list, jobs] = await Promise.all([client.listExecutions(workflowId, { limit: 250 }), bull.counts()]);
			const counts = {};
			for (const e of list) counts[e.status] = (counts[e.status] || 0) + 1;
			// the moment the answer stands for: halfway through the request
			const byId = Object.fromEntries(list.map((e) => [String(e.id), e.status]));
			const end = Date.now();
			samples.push({ at: Math.round((t + end) / 2), from: t, to: end, counts, byId, executions: list.length, bullActive: jobs.active, bullWaiting: jobs.wait });
			if (doneAt === null && list.length >= expected && list.every(FINISHED)) doneAt = Date.now();
		} catch (e) {
			samples.push({ at: t, error: e.message });
		}
		if ((doneAt !== null && Date.now() - doneAt >= 2000) || Date.now() > deadline) return { samples, done: doneAt !== null };
		await L.sleep(Math.max(0, 1000 - (Date.now() - t)));
	}
}

/**
 * max and mean of `pick(sample)` over the samples inside [from, to]: a sample's whole request
 * (its answers may stand for any moment of it) inside the window, not only its midpoint.
 */
function windowStats(samples, win, pick) {
	if (!win) return null;
	const v = samples.filter((s) => !s.error && (s.from ?? s.at) >= win.from && (s.to ?? s.at) <= win.to).map(pick);
	if (!v.length) return { samples: 0, max: null, mean: null };
	return { samples: v.length, max: Math.max(...v), mean: round(v.reduce((a, b) => a + b, 0) / v.length, 2) };
}

async function mapLimit(list, limit, fn) {
	const out = new Array(list.length);
	let next = 0;
	await Promise.all(Array.from({ length: Math.min(limit, list.length) }, async () => {
		while (next < list.length) {
			const i = next++;
			out[i] = await fn(list[i], i);
		}
	}));
	return out;
}

/** Every generation of a video instance, from BHuman's list (pages of 100). */
async function generationsOf(sim, instanceId) {
	const all = [];
	for (let page = 0; ; page++) {
		const list = await sim.api(`/api/ai_studio/generated_video_by_video_instance_id?video_instance_id=${instanceId}&page=${page}&size=100`);
		all.push(...list);
		if (list.length < 100) return all;
	}
}

/** One build: `leads` lead webhooks at once, then everything read back and measured. */
async function runBuild(ctx, build, { leads, renderMs, pollInterval, log }) {
	const { client, sim, cluster, bull, deployed, instanceId } = ctx;
	const d = deployed[build];
	await sim.control('POST', '/__sim/reset'); // logs and live generations of the build before
	const tag = `${build}-${Date.now().toString(36)}`;
	const people = Array.from({ length: leads }, (_, i) => ({ name: `${tag}-${i}`, email: `${tag}-${i}@example.com`, company: 'Bench Co' }));
	const worker = cluster.workers[0];
	const rss = startTimeline(worker.proc.pid, 500);
	await L.sleep(3000); // the worker's memory before
	const waves = Math.ceil(leads / WORKER_CONCURRENCY);
	const budgetMs = build === 'poll' ? waves * (renderMs + pollInterval * 1000 + 10000) * 1.5 + 120000 : renderMs + 180000;
	// CPU time of the webhook processor (lead webhooks, callbacks) and of the worker (executions)
	const cpuOf = () => ({ webhook: treeCpuMs(cluster.webhooks[0].proc.pid), worker: treeCpuMs(worker.proc.pid) });
	const cpu0 = cpuOf();
	// n8n logs a request whose sender hung up before it read the body: such a callback is lost
	const unread = () => (fs.readFileSync(cluster.webhooks[0].logFile, 'utf8').match(/Request body stream was aborted/g) || []).length;
	const unread0 = unread();
	const t0 = Date.now();
	const url = `${cluster.webhooks[0].url}/webhook/${d.path}`;
	const answers = await Promise.all(people.map((body) => client.callWebhook(url, { body, timeoutMs: 120000 }).then((r) => r.status, (e) => `error: ${e.message}`)));
	const sampled = await sampleUntilDone({ client, workflowId: d.id, bull, expected: leads, deadline: t0 + budgetMs });
	const memory = rss.stop();
	const cpu1 = cpuOf();
	const unreadCallbacks = unread() - unread0;

	// n8n: every execution of the build, with its Email node's output
	const list = await client.listExecutions(d.id, { limit: 500 });
	const details = await mapLimit(list, 5, (e) => client.getExecution(e.id));
	// the simulator: each lead's generation (its row text starts with the lead's name)
	const records = (await generationsOf(sim, instanceId)).filter((r) => String(r.text?.[0] || '').startsWith(`${tag}-`));
	const byName = new Map(records.map((r) => [r.text[0], r]));
	const callbacks = await sim.control('GET', '/__sim/callbacks');
	const polls = (await sim.control('GET', `/__sim/requests?path=${POLL}`)).length;
	const generateRequests = (await sim.control('GET', '/__sim/requests?path=/api/ai_studio/try_sample')).length;

	// per lead: what its Email step recorded, in which execution
	const emailed = new Map(people.map((p) => [p.email, []]));
	let emailRunsMax = 0;
	for (const ex of details) {
		const runs = ex.data?.resultData?.runData?.Email || [];
		emailRunsMax = Math.max(emailRunsMax, runs.length);
		for (const run of runs) {
			for (const { json } of run.data?.main?.[0] || []) {
				emailed.get(json.to)?.push({ execution: String(ex.id), executionStatus: ex.status, stoppedAt: Date.parse(ex.stoppedAt), videoId: json.videoId, videoStatus: json.status, pageUrl: json.pageUrl });
			}
		}
	}
	const delays = [];
	// where a delay goes, for the builds BHuman calls back: render end → callback sent (the
	// simulator's dispatcher), its answer (the webhook processor), answer → execution end (queue, worker)
	const firstCallback = new Map();
	for (const c of callbacks) if (c.body?.id && !firstCallback.has(c.body.id)) firstCallback.set(c.body.id, c);
	const parts = { send: [], answer: [], after: [] };
	let lost = 0;
	let timedOut = 0;
	let twice = 0;
	let wrongVideo = 0;
	for (const p of people) {
		const got = emailed.get(p.email);
		const gen = byName.get(p.name);
		if (got.length > 1) twice++;
		if (got.some((g) => !gen || g.videoId !== gen.id)) wrongVideo++;
		// delivered: a successful execution emailed this lead its own finished video with its page
		const good = got.find((g) => gen && g.executionStatus === 'success' && g.videoId === gen.id && g.videoStatus === 'succeeded' && g.pageUrl === gen.share_url);
		if (!good) {
			lost++;
			// resumed by Max Wait: the lead's execution ran on with the generation id and no video
			if (got.some((g) => g.executionStatus === 'success' && g.videoStatus !== 'succeeded')) timedOut++;
		}
		else {
			delays.push(good.stoppedAt - Date.parse(gen.updated_at));
			const c = firstCallback.get(gen.id);
			if (c && Number.isFinite(c.ms)) {
				parts.send.push(c.at - Date.parse(gen.updated_at));
				parts.answer.push(c.ms);
				parts.after.push(good.stoppedAt - (c.at + c.ms));
			}
		}
	}

	// renders: each generation's created_at (render start) and updated_at (its end, once final)
	const starts = records.map((r) => Date.parse(r.created_at));
	const ends = records.filter((r) => ['succeeded', 'failed'].includes(r.status)).map((r) => Date.parse(r.updated_at));
	const all = records.length === leads && ends.length === leads;
	const anyRender = records.length ? { from: Math.min(...starts), to: ends.length ? Math.max(...ends) : Date.now() } : null;
	const samples = sampled.samples;
	const ok = samples.filter((x) => !x.error);
	const firstWaiting = new Map();
	for (const x of ok) for (const [id, st] of Object.entries(x.byId)) if (st === 'waiting' && !firstWaiting.has(id)) firstWaiting.set(id, x.at);
	// the window where every render is in progress: after the last one started, before the first
	// ended; for the builds that wait in the database, also after every execution was first seen
	// waiting (one still finishing the node run that started its render holds no slot *while waiting*)
	const handedOver = firstWaiting.size >= leads ? Math.max(...firstWaiting.values()) : -Infinity;
	const everyFrom = Math.max(...starts, handedOver);
	const everyRender = all && everyFrom < Math.min(...ends) ? { from: everyFrom, to: Math.min(...ends) } : null;
	const running = (s) => s.counts.running || 0;
	const slots = {
		everyRender: { running: windowStats(samples, everyRender, running), waiting: windowStats(samples, everyRender, (s) => s.counts.waiting || 0), new: windowStats(samples, everyRender, (s) => s.counts.new || 0), bullActive: windowStats(samples, everyRender, (s) => s.bullActive) },
		anyRender: { running: windowStats(samples, anyRender, running), waiting: windowStats(samples, anyRender, (s) => s.counts.waiting || 0), new: windowStats(samples, anyRender, (s) => s.counts.new || 0), bullActive: windowStats(samples, anyRender, (s) => s.bullActive) },
	};
	// per execution: `running` while its own render is in progress (its Generate output names its
	// generation), and for the builds that wait in the database the hand-over: its render's start
	// until it is first seen `waiting`
	const recordById = new Map(records.map((r) => [r.id, r]));
	const renderOf = new Map();
	for (const ex of details) {
		const id = ex.data?.resultData?.runData?.['BHuman Generate']?.[0]?.data?.main?.[0]?.[0]?.json?.id;
		const rec = id && recordById.get(id);
		if (rec) renderOf.set(String(ex.id), { from: Date.parse(rec.created_at), to: ['succeeded', 'failed'].includes(rec.status) ? Date.parse(rec.updated_at) : Infinity });
	}
	const rendering = (id, at) => renderOf.has(id) && at >= renderOf.get(id).from && at <= renderOf.get(id).to;
	const own = [];
	const held = [];
	let slotMs = 0;
	ok.forEach((x, i) => {
		const running = Object.entries(x.byId).filter(([id, st]) => st === 'running' && rendering(id, x.at)).map(([id]) => id);
		own.push(running.length);
		// holding a slot while waiting: running again, its video still rendering, after it was seen waiting
		held.push(running.filter((id) => firstWaiting.has(id) && firstWaiting.get(id) < x.at).length);
		const dt = i + 1 < ok.length ? Math.min(2000, ok[i + 1].at - x.at) : 1000;
		slotMs += running.length * dt;
	});
	const handover = [...renderOf].filter(([id]) => firstWaiting.has(id)).map(([id, w]) => firstWaiting.get(id) - w.from);
	const maxMean = (v) => ({ max: v.length ? Math.max(...v) : null, mean: v.length ? round(v.reduce((a, b) => a + b, 0) / v.length, 2) : null });
	slots.ownRender = { samples: own.length, ...maxMean(own), slotSecondsPerLead: round(slotMs / 1000 / leads, 2) };
	slots.heldWhileWaiting = firstWaiting.size ? maxMean(held) : null; // null: the build never waits in the database
	slots.handoverMs = handover.length ? { median: round(median(handover), 0), p95: round(percentile(handover, 95), 0), n: handover.length } : null;
	// the worker's RSS (worker and its task runner): before the POSTs, and while renders are in progress
	const memWindow = everyRender || anyRender;
	const before = memory.filter((m) => m.at < t0).map((m) => m.mb);
	const during = memWindow ? memory.filter((m) => m.at >= memWindow.from && m.at <= memWindow.to).map((m) => m.mb) : [];
	const stopped = list.filter(FINISHED).map((e) => Date.parse(e.stoppedAt));
	const mine = callbacks.filter((c) => records.some((r) => r.id === c.body?.id));
	const cbStatuses = {};
	for (const c of mine) cbStatuses[c.status ?? c.error] = (cbStatuses[c.status ?? c.error] || 0) + 1;
	const postStatuses = {};
	for (const a of answers) postStatuses[a] = (postStatuses[a] || 0) + 1;
	const out = {
		build,
		leads,
		renderMs,
		leadWebhookFailures: answers.filter((a) => a !== 200).length,
		leadWebhookAnswers: postStatuses,
		executions: list.length,
		executionStatuses: list.reduce((c, e) => ({ ...c, [e.status]: (c[e.status] || 0) + 1 }), {}),
		allFinished: sampled.done,
		allFinishedMs: sampled.done && stopped.length ? Math.max(...stopped) - t0 : null,
		firstRenderStartMs: records.length ? Math.min(...starts) - t0 : null,
		lastRenderStartMs: records.length ? Math.max(...starts) - t0 : null,
		lastRenderEndMs: ends.length ? Math.max(...ends) - t0 : null,
		everyRenderWindow: everyRender ? { fromMs: everyRender.from - t0, toMs: everyRender.to - t0 } : null,
		anyRenderWindow: anyRender ? { fromMs: anyRender.from - t0, toMs: anyRender.to - t0 } : null,
		slots,
		rss: { baselineMB: median(before), windowMeanMB: during.length ? round(during.reduce((a, b) => a + b, 0) / during.length, 1) : null, windowPeakMB: during.length ? Math.max(...during) : null, window: everyRender ? 'every render in progress' : 'any render in progress', samples: during.length },
		delayMs: { median: round(median(delays), 0), p95: round(percentile(delays, 95), 0), max: delays.length ? Math.max(...delays) : null, n: delays.length },
		delayPartsMs: parts.answer.length ? { renderEndToCallback: round(median(parts.send), 0), callbackAnswer: round(median(parts.answer), 0), answerToExecutionEnd: round(median(parts.after), 0), n: parts.answer.length } : null,
		lost,
		lostAtMaxWait: timedOut,
		resumedTwice: twice,
		extraExecutions: Math.max(0, list.length - leads),
		wrongVideo,
		emailRunsMax,
		generateRequests,
		polls,
		cpuMsPerLead: { webhookProcessor: round((cpu1.webhook - cpu0.webhook) / leads, 0), worker: round((cpu1.worker - cpu0.worker) / leads, 0) },
		callbacks: { sent: mine.length, statuses: cbStatuses, unreadByN8n: unreadCallbacks, answerMsP50: round(percentile(mine.map((c) => c.ms), 50), 0), answerMsP95: round(percentile(mine.map((c) => c.ms), 95), 0) },
		statusSamples: samples.map((x) => (x.error ? { t: x.at - t0, error: x.error } : { t: x.at - t0, ...x.counts, bullActive: x.bullActive, bullWaiting: x.bullWaiting })),
	};
	out.rss.growthMB = out.rss.windowMeanMB !== null && out.rss.baselineMB !== null ? round(out.rss.windowMeanMB - out.rss.baselineMB, 1) : null;
	log(`  ${build}: ${leads - lost}/${leads} leads emailed their video, all finished ${out.allFinishedMs === null ? 'not' : `in ${(out.allFinishedMs / 1000).toFixed(1)} s`}; running while every render was in progress: max ${slots.everyRender.running?.max ?? '—'} (any render: max ${slots.anyRender.running?.max ?? '—'}, mean ${slots.anyRender.running?.mean ?? '—'}); delay render end → execution end median ${out.delayMs.median} ms, p95 ${out.delayMs.p95} ms; worker RSS ${out.rss.baselineMB} → ${out.rss.windowMeanMB} MB`);
	return out;
}

/**
 * Part A: one queue-mode cluster for every build, one build after the other (each starts once the
 * one before has finished: nothing of it is waiting or running then), `reps` rounds in rotating order.
 */
async function runBuilds(env, { reps, leads, renderMs, pollInterval, builds, log }) {
	const timings = {};
	log(`  starting queue mode: Postgres 17, Redis, main, 1 worker (concurrency ${WORKER_CONCURRENCY}), 1 webhook processor`);
	const cluster = await startQueueCluster({ dir: path.join(env.workDir, 'renders-queue'), tarball: env.tarball, workers: 1, webhooks: 1, concurrency: WORKER_CONCURRENCY, timings });
	const { sim } = env;
	const { render } = await sim.control('GET', '/__sim/state');
	let bull;
	try {
		const client = await ownerClient(cluster.main.url, cluster.install);
		const credential = await simCredential(client, sim);
		// a video instance of its own, so that its generations are this section's
		const instanceId = env.data.videoInstances[7].id;
		// Max Wait: the polling build waits about one render per execution; the callback build a few
		// (its executions all wait at once). Enough never to be reached here.
		const maxWait = Math.max(2, Math.ceil((4 * renderMs) / 60000));
		const deployed = {};
		for (const b of builds) deployed[b] = await deploy(client, F.leadVideo(b, { instanceId, credential, pollInterval, maxWait }));
		bull = bullLists(cluster.install, cluster.redis.port);
		// every render takes renderMs (a fifth of it queued), all rows alike: no stagger
		await sim.control('POST', '/__sim/render', { queuedMs: Math.round(renderMs / 5), processingMs: renderMs - Math.round(renderMs / 5), staggerMs: 0 });
		const runs = Object.fromEntries(builds.map((b) => [b, []]));
		for (let rep = 0; rep < reps; rep++) {
			const order = builds.map((_, i) => builds[(i + rep) % builds.length]);
			for (const b of order) {
				log(`  run ${rep + 1}/${reps}: ${BUILDS[b]}, ${leads} leads at once, renders of ${renderMs / 1000} s`);
				runs[b].push(await runBuild({ client, sim, cluster, bull, deployed, instanceId }, b, { leads, renderMs, pollInterval, log }));
			}
		}
		const setup = { postgres: cluster.pg.version, redis: cluster.redis.version, workers: 1, workerConcurrency: WORKER_CONCURRENCY, webhookProcessors: 1, resumeUrls: 'the webhook processor (N8N_WEBHOOK_URL)', maxWaitMin: maxWait, pollIntervalS: pollInterval, startSeconds: timings, cluster: 'one cluster for every build, one build after the other' };
		return { setup, runs };
	} finally {
		await sim.control('POST', '/__sim/render', render).catch(() => {});
		if (bull) await bull.close();
		await cluster.stop();
	}
}

module.exports = { BUILDS, runBuilds, mapLimit };
