'use strict';
// 4. Wait for Completion over 1,000 generations whose renders end spread over ~30 s (row i
//    asks the simulator for a render of i × 30,000 / 999 ms through `sim:render=<ms>`).
//    From the simulator's request log: polls per generation, and when each generation's
//    finish was noticed (the first poll answered at or after its render end) against the
//    poll interval; from n8n: the execution's wall time against the last render end.

const F = require('../flows');
const { deploy, runWorkflow } = require('../measure');
const { median, target, round, percentile } = require('../stats');

const POLL = '/api/ai_studio/generated_video_by_id';
const TRY_SAMPLE = '/api/ai_studio/try_sample';
/** Allowance over one poll interval: the poll's own round trip and timer jitter. */
const NOTICE_TOLERANCE_MS = 250;

function analyse(r, { n, spreadMs, latencyMs, pollIntervalMs }) {
	const ex = r.execution;
	const items = ex.data?.resultData?.runData?.['BHuman Generate']?.[0]?.data?.main?.[0] || [];
	const tries = r.requests.filter((q) => q.path === TRY_SAMPLE);
	// the simulator creates the generations after its latency: created ≈ arrival + latency
	const createdAt = tries.length ? tries[0].at + latencyMs : null;
	const polls = new Map();
	for (const q of r.requests) {
		if (q.path !== POLL) continue;
		const id = q.query?.id;
		if (!polls.has(id)) polls.set(id, []);
		polls.get(id).push(q.at + latencyMs); // the moment the simulator decided the status
	}
	const delays = [];
	const counts = [];
	let extraAfterFinal = 0;
	let unnoticed = 0;
	let lastEnd = 0;
	for (const it of items) {
		const m = /sim:render=(\d+)/.exec(it.json.variables?.company || '');
		const end = createdAt + (m ? Number(m[1]) : 0);
		lastEnd = Math.max(lastEnd, end);
		const list = (polls.get(it.json.id) || []).sort((a, b) => a - b);
		counts.push(list.length);
		const seen = list.findIndex((t) => t >= end);
		if (seen < 0) unnoticed++;
		else {
			delays.push(list[seen] - end);
			extraAfterFinal += list.length - seen - 1;
		}
	}
	const succeeded = items.filter((it) => it.json.status === 'succeeded').length;
	return {
		ok: r.ok,
		error: r.error,
		items: items.length,
		succeeded,
		timedOut: items.filter((it) => it.json.timedOut).length,
		wallMs: r.wallMs,
		lastRenderEndAfterStartMs: lastEnd - r.startedAt,
		finishedAfterLastRenderEndMs: r.stoppedAt - lastEnd,
		renderSpanMs: spreadMs,
		generateRequests: tries.length,
		polls: counts.reduce((s, c) => s + c, 0),
		pollsPerGenerationMean: round(counts.reduce((s, c) => s + c, 0) / Math.max(1, counts.length), 2),
		pollsPerGenerationMax: Math.max(0, ...counts),
		pollsReportedByNodeMax: Math.max(0, ...items.map((it) => it.json.polls || 0)),
		noticeDelayMsMedian: round(median(delays), 0),
		noticeDelayMsP95: round(percentile(delays, 95), 0),
		noticeDelayMsMax: round(Math.max(0, ...delays), 0),
		pollsAfterFinalSeen: extraAfterFinal,
		unnoticed,
		peakRssMB: r.memory.peakMB,
		pollIntervalMs,
		n,
	};
}

async function run(env, { reps, n = 1000, spreadMs = 30000, pollInterval = 5, maxWait = 2, pollConcurrency, log }) {
	const built = F.waitGenerate({ n, spreadMs, instanceId: env.instanceId, credential: env.credential, pollInterval, maxWait, pollConcurrency });
	const d = await deploy(env.client, built);
	const runs = [];
	const pollIntervalMs = pollInterval * 1000;
	for (let rep = 0; rep < reps; rep++) {
		const r = await runWorkflow(env, d, { timeoutMs: (maxWait + 2) * 60000 });
		const a = analyse(r, { n, spreadMs, latencyMs: env.latencyMs, pollIntervalMs });
		runs.push(a);
		log(`  run ${rep + 1}/${reps}: ${a.succeeded}/${a.items} succeeded in ${a.wallMs} ms (last render end at ${a.lastRenderEndAfterStartMs} ms), ${a.polls} polls (max ${a.pollsPerGenerationMax}/generation), notice delay max ${a.noticeDelayMsMax} ms`);
	}
	const bound = (maxWait * 60) / pollInterval;
	const out = {
		n,
		spreadMs,
		pollIntervalS: pollInterval,
		maxWaitMin: maxWait,
		pollConcurrency: pollConcurrency || 20,
		reps,
		runs,
		medianWallMs: median(runs.map((r) => r.wallMs)),
		medianLastRenderEndMs: median(runs.map((r) => r.lastRenderEndAfterStartMs)),
		medianFinishedAfterLastRenderEndMs: median(runs.map((r) => r.finishedAfterLastRenderEndMs)),
		medianPollsPerGeneration: median(runs.map((r) => r.pollsPerGenerationMean)),
		maxPollsPerGeneration: Math.max(...runs.map((r) => r.pollsPerGenerationMax)),
		maxNoticeDelayMs: Math.max(...runs.map((r) => r.noticeDelayMsMax)),
		medianNoticeDelayMs: median(runs.map((r) => r.noticeDelayMsMedian)),
		medianPeakRssMB: median(runs.map((r) => r.peakRssMB)),
		pollBound: bound,
	};
	const allOk = runs.every((r) => r.ok && r.succeeded === n && r.unnoticed === 0);
	out.allSucceeded = allOk;
	out.targets = [
		target(`wait: polls per generation ≤ Max Wait / Poll Interval = ${bound} (${n.toLocaleString('en-US')} generations, max over runs)`, allOk ? out.maxPollsPerGeneration : null, '<=', bound, { unit: 'polls', id: 'wait.polls' }),
		target(
			`wait: every finish noticed within one poll interval (${pollInterval} s; +${NOTICE_TOLERANCE_MS / 1000} s for the poll's own ${env.latencyMs} ms round trip and timer jitter): max delay from a render's end to the poll that saw it`,
			allOk ? out.maxNoticeDelayMs / 1000 : null,
			'<=',
			pollInterval + NOTICE_TOLERANCE_MS / 1000,
			{ unit: 's', id: 'wait.notice' },
		),
		target(`wait: execution ends ≤ one poll interval (${pollInterval} s) + 1 s after the last render end (median)`, allOk ? out.medianFinishedAfterLastRenderEndMs / 1000 : null, '<=', pollInterval + 1, { unit: 's', id: 'wait.wall' }),
	];
	for (const r of runs) delete r.execution;
	return out;
}

module.exports = { run, analyse };
