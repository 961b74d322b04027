'use strict';
// 7. Waiting for renders (BENCH_ONLY=renders):
//  A. the three ways to wait for a lead's video side by side in queue mode, `leads` executions of
//     one lead each started together, renders of `renderMs` (renders-builds.js);
//  B. Until BHuman Calls Back over N rows in one execution: what a callback costs as the run grows,
//     and the row limit it supports (renders-rows.js).

const { BUILDS, runBuilds } = require('./renders-builds');
const { runRows } = require('./renders-rows');
const { median, ratio, round, target } = require('../stats');

const sum = (list, pick) => list.reduce((s, r) => s + pick(r), 0);

/** The medians (and worst cases) over a build's runs. */
function summary(runs) {
	const m = (pick) => median(runs.map(pick));
	const maxOf = (pick) => {
		const v = runs.map(pick).filter((x) => x !== null && x !== undefined);
		return v.length === runs.length ? Math.max(...v) : null; // a run without the window: not measured
	};
	return {
		runs: runs.length,
		allFinishedMs: runs.every((r) => r.allFinishedMs !== null) ? m((r) => r.allFinishedMs) : null,
		runningMaxEveryRender: maxOf((r) => r.slots.everyRender.running?.max),
		runningMeanEveryRender: m((r) => r.slots.everyRender.running?.mean),
		bullActiveMaxEveryRender: maxOf((r) => r.slots.everyRender.bullActive?.max),
		waitingMeanEveryRender: m((r) => r.slots.everyRender.waiting?.mean),
		runningMaxAnyRender: maxOf((r) => r.slots.anyRender.running?.max),
		runningMeanAnyRender: m((r) => r.slots.anyRender.running?.mean),
		bullActiveMeanAnyRender: m((r) => r.slots.anyRender.bullActive?.mean),
		runningOwnRenderMax: maxOf((r) => r.slots.ownRender.max),
		runningOwnRenderMean: m((r) => r.slots.ownRender.mean),
		slotSecondsPerLead: m((r) => r.slots.ownRender.slotSecondsPerLead),
		heldWhileWaitingMax: runs.every((r) => r.slots.heldWhileWaiting) ? Math.max(...runs.map((r) => r.slots.heldWhileWaiting.max)) : null,
		handoverMedianMs: m((r) => r.slots.handoverMs?.median),
		everyRenderWindowMs: m((r) => (r.everyRenderWindow ? r.everyRenderWindow.toMs - r.everyRenderWindow.fromMs : null)),
		renderStartSpreadMs: m((r) => r.lastRenderStartMs - r.firstRenderStartMs),
		rssBaselineMB: m((r) => r.rss.baselineMB),
		rssWindowMeanMB: m((r) => r.rss.windowMeanMB),
		rssWindowPeakMB: m((r) => r.rss.windowPeakMB),
		rssGrowthMB: m((r) => r.rss.growthMB),
		delayMedianMs: m((r) => r.delayMs.median),
		delayP95Ms: m((r) => r.delayMs.p95),
		lost: sum(runs, (r) => r.lost),
		lostAtMaxWait: sum(runs, (r) => r.lostAtMaxWait),
		callbacksTimedOut: sum(runs, (r) => Object.entries(r.callbacks.statuses).filter(([k]) => /timed out/.test(k)).reduce((a, [, n]) => a + n, 0)),
		callbacksUnread: sum(runs, (r) => r.callbacks.unreadByN8n),
		resumedTwice: sum(runs, (r) => r.resumedTwice + r.extraExecutions),
		leads: sum(runs, (r) => r.leads),
		polls: m((r) => r.polls),
		webhookCpuMsPerLead: m((r) => r.cpuMsPerLead.webhookProcessor),
		workerCpuMsPerLead: m((r) => r.cpuMsPerLead.worker),
		callbacks: m((r) => r.callbacks.sent),
	};
}

async function run(env, { reps = 1, leads = 100, renderMs = 30000, pollInterval = 5, builds = Object.keys(BUILDS), rows = [], rowRepeats = 5, log }) {
	for (const b of builds) if (!BUILDS[b]) throw new Error(`BENCH_RENDERS_BUILDS: unknown build ${b} (${Object.keys(BUILDS).join(', ')})`);
	const out = { leads, renderMs, pollIntervalS: pollInterval, reps, builds: {}, targets: [] };
	if (builds.length) {
		log(`  A. ${builds.map((b) => BUILDS[b]).join(' / ')}: ${leads} leads at once, renders of ${renderMs / 1000} s, queue mode`);
		const a = await runBuilds(env, { reps, leads, renderMs, pollInterval, builds, log });
		out.setup = a.setup;
		for (const b of builds) out.builds[b] = { label: BUILDS[b], summary: summary(a.runs[b]), runs: a.runs[b] };
	}
	if (rows.length) {
		log(`  B. Until BHuman Calls Back, one execution of N rows: N = ${rows.join(', ')}`);
		out.rows = await runRows(env, { rows, repeats: rowRepeats, log });
	}

	const cb = out.builds.callback?.summary;
	const wn = out.builds.waitNode?.summary;
	if (cb) {
		const n = `${leads} leads at once, renders of ${renderMs / 1000} s, queue mode (worker concurrency 10)`;
		out.delayRatio = wn ? round(ratio(cb.delayMedianMs, wn.delayMedianMs), 3) : null;
		out.targets.push(
			// Both readings must be 0: executions `running` while every render was in progress (when the
			// renders overlap that much), and per execution, `running` again while its own video renders
			// after it was seen `waiting`.
			target(
				'renders: Until BHuman Calls Back holds 0 worker slots while waiting (sampled every second: executions `running` while every render was in progress, and executions `running` again after they were seen `waiting` while their own video rendered; max)',
				cb.heldWhileWaitingMax === null ? null : Math.max(cb.heldWhileWaitingMax, cb.runningMaxEveryRender ?? 0),
				'==',
				0,
				{ unit: 'running', id: 'renders.callback.slots' },
			),
		);
		// Against the build users would make instead, measured in the same run (issue 22's targets).
		if (wn) {
			out.finishedRatio = round(ratio(cb.allFinishedMs, wn.allFinishedMs), 3);
			out.webhookCpuRatio = round(ratio(cb.webhookCpuMsPerLead, wn.webhookCpuMsPerLead), 3);
			out.targets.push(
				target(`renders: Until BHuman Calls Back, the webhook processor's CPU per lead ≤ 1.1× the Wait-node loop's (${n})`, out.webhookCpuRatio, '<=', 1.1, { unit: '×', id: 'renders.callback.cpu_vs_wait_node' }),
				target(`renders: Until BHuman Calls Back, all ${leads} finished ≤ 1.0× the Wait-node loop's time (first POST → last execution end)`, out.finishedRatio, '<=', 1.0, { unit: '×', id: 'renders.callback.finished_vs_wait_node' }),
				target("renders: Until BHuman Calls Back's median delay from a render's end to its execution's end ≤ the Wait-node loop's (1.0×)", out.delayRatio, '<=', 1.0, { unit: '×', id: 'renders.callback.delay_vs_wait_node' }),
			);
		}
		out.targets.push(
			target(`renders: Until BHuman Calls Back lost 0 leads (no successful execution emailing the lead its own video; ${cb.leads} leads)`, cb.lost, '==', 0, { unit: 'leads', id: 'renders.callback.lost' }),
			target('renders: Until BHuman Calls Back resumed 0 leads twice (Email step more than once for a lead, or more executions than leads)', cb.resumedTwice, '==', 0, { unit: 'leads', id: 'renders.callback.twice' }),
		);
	}
	const r = out.rows;
	if (r) {
		out.targets.push(
			target(`renders: the shipped build refuses a run above its row limit (${r.shippedRefusal.rows} rows) before sending anything`, r.shippedRefusal.refused ? 1 : 0, '==', 1, { unit: '', id: 'renders.rows.refused' }),
			target(`renders: the shipped row limit (MAX_CALLBACK_ROWS ${r.patched.shippedLimit}) ≤ the largest N measured that meets the row-limit criteria (0: none)`, r.largestMeeting ?? 0, '>=', r.patched.shippedLimit, { unit: 'rows', id: 'renders.rows.limit' }),
		);
	}
	return out;
}

module.exports = { run };
