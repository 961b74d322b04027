'use strict';
// Section 7 (waiting for renders) of the markdown report, and its notes on missed targets.

const { ms, num } = require('./stats');

const x2 = (x) => (x === null || x === undefined ? '—' : `${num(x, x >= 100 ? 0 : x >= 10 ? 1 : 2)}×`);
const mb = (x) => (x === null || x === undefined ? '—' : `${num(x, 0)} MB`);
const v = (x, d = 0) => (x === null || x === undefined ? '—' : num(x, d));
const statuses = (o) => Object.entries(o || {}).map(([k, n]) => `${k} × ${num(n)}`).join(', ') || '—';

function buildsTable(s) {
	const L = [];
	const render = s.renderMs;
	L.push(`### A. ${num(s.leads)} leads at once, renders of ${num(render / 1000)} s, queue mode`);
	L.push('');
	const set = s.setup;
	L.push(`n8n in queue mode: Postgres ${set.postgres}, Redis ${set.redis}, main, ${set.workers} worker at concurrency ${set.workerConcurrency}, ${set.webhookProcessors} webhook processor (n8n's resume URLs point at it); ${set.cluster}. Each build is a workflow Lead webhook (Respond: Immediately) → Lead (Set: one lead from the body) → the build → Email (Set: the lead through paired items, \`$('Lead').item\`, and the video's id, status and page URL). ${num(s.leads)} POSTs at once to the webhook processor, one lead each. Every render takes ${num(render / 1000)} s in the simulator (a fifth of it queued), no stagger: renders start when each execution's Generate request arrives. Poll Interval ${s.pollIntervalS} s, Max Wait ${set.maxWaitMin} min. ${s.reps} run${s.reps > 1 ? 's' : ''} per build${s.reps > 1 ? ' (medians; slots and lost: worst / total)' : ''}.`);
	L.push('');
	L.push('| Build | All finished (first POST → last execution end) | Executions `running` while every render was in progress: max / mean (Bull active jobs max) | `running` while any render was in progress: max / mean | Executions `running` during their own render: max / mean; slot-seconds per lead (hand-over to `waiting`) | `running` again after `waiting`, own video still rendering: max | Worker RSS before → during renders (peak) | Delay render end → execution end: median / p95 | Lost | Resumed twice | BHuman polls / callbacks | CPU per lead: webhook processor / worker |');
	L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
	for (const b of Object.values(s.builds)) {
		const m = b.summary;
		const finished = m.allFinishedMs === null ? 'not all' : `${ms(m.allFinishedMs)} (${x2(m.allFinishedMs / render)} a render)`;
		const every = m.runningMaxEveryRender === null && m.runningMeanEveryRender === null ? 'no such window' : `${v(m.runningMaxEveryRender)} / ${v(m.runningMeanEveryRender, 2)} (${v(m.bullActiveMaxEveryRender)})`;
		const own = `${v(m.runningOwnRenderMax)} / ${v(m.runningOwnRenderMean, 2)}; ${v(m.slotSecondsPerLead, 1)} s${m.handoverMedianMs === null || m.handoverMedianMs === undefined ? '' : ` (${ms(m.handoverMedianMs)})`}`;
		const held = m.heldWhileWaitingMax === null ? 'never waits' : v(m.heldWhileWaitingMax);
		L.push(`| ${b.label} | ${finished} | ${every} | ${v(m.runningMaxAnyRender)} / ${v(m.runningMeanAnyRender, 2)} | ${own} | ${held} | ${mb(m.rssBaselineMB)} → ${mb(m.rssWindowMeanMB)} (${mb(m.rssWindowPeakMB)}) | ${ms(m.delayMedianMs)} / ${ms(m.delayP95Ms)} | ${num(m.lost)} of ${num(m.leads)}${m.lostAtMaxWait ? ` (${num(m.lostAtMaxWait)} resumed by Max Wait)` : ''} | ${num(m.resumedTwice)} | ${v(m.polls)} / ${v(m.callbacks)}${m.callbacksTimedOut ? ` (${num(m.callbacksTimedOut)} timed out at 10 s, ${num(m.callbacksUnread)} never read by n8n)` : ''} | ${ms(m.webhookCpuMsPerLead)} / ${ms(m.workerCpuMsPerLead)} |`);
	}
	L.push('');
	L.push('Windows: "every render in progress" runs from the last render\'s start to the first render\'s end (the simulator\'s created_at and updated_at of each generation; for a build that waits in the database, from when every execution had been seen `waiting`: the hand-over of the last ones started is not a slot held while waiting; a sample counts when its whole request lies inside the window); "any render" from the first start to the last end. A build that starts its renders over more than one render\'s time has no such window (the worker starts the executions ten at a time). "Their own render": an execution counted while the render of the video its Generate step asked for is in progress; slot-seconds per lead: those counts over time (the worker slot an execution holds while its video renders), divided by the leads; hand-over: from that render\'s start until the execution is first seen \`waiting\` (median); "running again after waiting": an execution seen \`waiting\` and later \`running\` while its video still renders (a slot held while waiting). Execution statuses are sampled every second from main\'s REST API, Bull\'s active jobs (the worker\'s slots in use) from Redis in the same tick. RSS: the worker\'s process tree (worker and its task runner), every 500 ms: the median of the 3 s before the POSTs, then the mean and peak inside the "every render" window (for a build without one, the "any render" window). Lost: a lead that no successful execution emailed its own finished video (id and page URL as BHuman has them). Resumed twice: a lead the Email step got more than once, or an execution more than there are leads.');
	L.push('');
	const withParts = Object.values(s.builds).filter((b) => b.runs.some((r) => r.delayPartsMs));
	if (withParts.length) {
		L.push('Where the delay goes (medians over the leads, first run; from the simulator\'s callback log: when it sent each callback and how long n8n took to answer it):');
		L.push('');
		L.push('| Build | Render end → callback sent | Callback answered by the webhook processor in | Answer → execution end (Bull, worker) | Render starts spread over |');
		L.push('|---|---:|---:|---:|---:|');
		for (const b of withParts) {
			const r = b.runs.find((x) => x.delayPartsMs);
			const p = r.delayPartsMs;
			L.push(`| ${b.label} | ${ms(p.renderEndToCallback)} | ${ms(p.callbackAnswer)} | ${ms(p.answerToExecutionEnd)} | ${ms(r.lastRenderStartMs - r.firstRenderStartMs)} |`);
		}
		L.push('');
	}
	return L;
}

function rowsTable(r) {
	const L = [];
	L.push(`### B. Until BHuman Calls Back over N rows in one execution: what a callback costs as the run grows`);
	L.push('');
	L.push(`In a ${r.mode}: the callback path (n8n loads the waiting execution with its data, takes an expression isolate, runs the node's webhook) is the same code on a webhook processor, and here the same process also runs the resumed execution. The shipped build refuses more than ${num(r.patched.shippedLimit)} rows before paying (checked: ${num(r.shippedRefusal.rows)} rows ${r.shippedRefusal.refused ? 'refused, nothing sent' : `**not refused** (${r.shippedRefusal.status}, ${r.shippedRefusal.generateRequests} generate requests)`}), so this part installs a copy with the limit raised: ${r.patched.how}. Each N runs twice: (1) every render unfinished (\`sim:never\`, the simulator's own callbacks off): ${r.repeats} callbacks of a generation just completed, POSTed by the bench to the run's callback URL while the others render (answered "waiting" after asking BHuman about one other), then every other generation completed and the last one's callback POSTed (the node asks BHuman about all N − 1 others and its own record, then resumes the run); (2) every render ending at the same moment, the simulator calling back each generation (20 deliveries at a time, 10 s timeout each). CPU: n8n's process tree (n8n and its task runner), from /proc.`);
	L.push('');
	L.push('| Rows | Execution data | Waits after | Callback while others render: answer (CPU) | Resuming callback: answer (CPU until the run ended), requests to BHuman | Resume → run ended | All at once: first callback → run ended | … answers p50 / p95 / max | … statuses | … n8n CPU | … n8n RSS before → peak | … requests to BHuman | Criteria |');
	L.push('|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|');
	for (const x of r.results) {
		const o = x.oneByOne;
		const t = x.together;
		const burst = t.skipped
			? `${t.skipped} | — | — | — | — | —`
			: `${t.firstCallbackToEndMs === null ? `**not ended${t.gaveUpAfterMs ? ` ${num(t.gaveUpAfterMs / 1000)} s after the renders' end` : ''}**` : ms(t.firstCallbackToEndMs)}${t.emailedAll || t.gaveUpAfterMs ? '' : ' **not every video emailed**'} | ${ms(t.answerMsP50)} / ${ms(t.answerMsP95)} / ${ms(t.answerMsMax)} | ${statuses(t.statuses)}${t.n8nResumeRace ? ` (500s by n8n's resume race: ${num(t.n8nResumeRace)})` : ''}${t.callbacks < x.n ? `, ${num(x.n - t.callbacks)} not sent yet` : ''} | ${ms(t.cpuMs)} | ${t.rss ? `${num(t.rss.beforeMB)} → ${num(t.rss.peakMB)} MB` : '—'} | ${num(t.requestsToBhuman)}${t.requestLogFull ? ' (log full: more)' : ''}`;
		L.push(`| ${num(x.n)} | ${num(o.executionDataKB)} KB | ${ms(o.toWaitMs)} | ${ms(o.waitingAnswerMsMedian)} (${ms(o.waitingAnswerCpuMsMedian)})${o.waitingAnswersOk ? '' : ' **not "waiting"**'} | ${ms(o.resume.ms)} (${ms(o.resumeToEndCpuMs)}), ${num(o.resume.requestsToBhuman)}${o.resumeOk ? '' : ` **${o.resume.status} ${o.resume.result ?? ''}**`} | ${o.resumeToEndMs === null ? '**not resumed** (stopped)' : ms(o.resumeToEndMs)}${o.emailedAll || !o.resumeOk ? '' : ' **not every video emailed**'} | ${burst} | ${x.failing.length ? `miss: ${x.failing.join('; ')}` : 'met'} |`);
	}
	L.push('');
	const c = r.criteria;
	L.push(`**Proposed row limit: ${num(r.proposedLimit)} rows per run.** Criteria, for N and every smaller N measured: a callback while other videos render answered within ${ms(c.waitingAnswerMs)} (median; BHuman sends one per video); the callback that resumes the run answered within ${ms(c.resumeAnswerMs)} (half of the simulator's 10-s delivery timeout; BHuman documents none); all N callbacks arriving together answered (200, or n8n's 409 once the run has resumed; none timed out or 5xx, except n8n's own 500 to a callback that loads the execution as another resumes it, counted from n8n's log and reported apart) and the run ended with every video within ${ms(c.burstMs)} of the first. ` +
		(r.largestMeeting === null ? `No N measured met them (the first, ${num(r.results[0]?.n)} rows: ${r.firstMiss?.why.join('; ')}); the limit cannot go below 100 rows per run, so 100 is proposed with that caveat.` : `The largest N measured that meets them: ${num(r.largestMeeting)}.${r.firstMiss ? ` The next, ${num(r.firstMiss.n)} rows, misses: ${r.firstMiss.why.join('; ')}.` : ' No N measured missed them.'}${r.largestMeeting < 100 ? ' The limit cannot go below 100 rows per run.' : ''}`) +
		` The shipped limit is ${num(r.patched.shippedLimit)} (MAX_CALLBACK_ROWS; not changed by the bench).`);
	L.push('');
	L.push('| Criterion | Largest N measured meeting it (and every smaller N) |');
	L.push('|---|---:|');
	for (const c of r.byCriterion || []) L.push(`| ${c.name} | ${c.largestN === null ? `none (from ${num(r.results[0]?.n)})` : num(c.largestN)} |`);
	L.push('');
	return L;
}

function rendersMarkdown(s) {
	const L = [`## 7. Waiting for renders`, ''];
	if (Object.keys(s.builds).length) L.push(...buildsTable(s));
	if (s.rows) L.push(...rowsTable(s.rows));
	return L;
}

const CREDENTIAL_WHY =
	"in n8n 2.x, outside an execution, n8n resolves a credential through an expression isolate of its own (`CredentialsHelper.applyDefaultsAndOverwrites` acquires one for a mock workflow; the pool's isolates are single-use, so every acquisition cold-starts one), on top of the isolate n8n takes for every waiting webhook: the node's webhook calls of one workflow share the credential a process read in the last minute, and a callback does not ask again about a video BHuman has said is final.";

/** Why a target of section 7 was missed, from the measured figures. */
function rendersNotes(s, load) {
	const out = [];
	const missed = s.targets.filter((t) => !t.pass);
	if (!missed.length) return out;
	const list = missed.map((t) => `${t.id} ${t.value === null ? 'not measured' : `${num(t.value, Number.isInteger(t.value) ? 0 : 2)}${t.unit && t.unit !== '×' ? ` ${t.unit}` : t.unit}`} (${t.comparison} ${t.threshold})`).join(', ');
	let text = `**Waiting for renders: ${missed.length} target${missed.length > 1 ? 's' : ''} missed** (${list}).`;
	const cb = s.builds.callback;
	const wn = s.builds.waitNode;
	const pc = cb?.runs.find((r) => r.delayPartsMs)?.delayPartsMs;
	const pw = wn?.runs.find((r) => r.delayPartsMs)?.delayPartsMs;
	if (pc && missed.some((t) => /^renders\.callback\./.test(t.id))) {
		text += ` Until BHuman Calls Back, per lead (medians): a render's end to its callback ${ms(pc.renderEndToCallback)}, the webhook processor's answer ${ms(pc.callbackAnswer)}, then ${ms(pc.answerToExecutionEnd)} to the execution's end (Bull, the worker)`;
		text += pw ? `; the Wait-node loop: ${ms(pw.renderEndToCallback)}, ${ms(pw.callbackAnswer)}, ${ms(pw.answerToExecutionEnd)}.` : '.';
		if (wn) text += ` The webhook processor's CPU per lead (its lead webhook and its callback): ${ms(cb.summary.webhookCpuMsPerLead)} against ${ms(wn.summary.webhookCpuMsPerLead)} for the Wait-node loop; the callback's own extra is the node reading its waiting items through the expression engine and asking BHuman about the run's videos (see below). The simulator sends 20 callbacks at a time and gives each 10 s: a webhook processor slower than that falls behind (the render end → callback time) while it still works through the callbacks whose senders hung up.`;
		const c = cb.summary;
		if (c.callbacksTimedOut) text += ` ${num(c.callbacksTimedOut)} of ${num(c.callbacks)} callbacks were not answered within those 10 s; n8n never read ${num(c.callbacksUnread)} of them ("Request body stream was aborted" in its log), and ${num(c.lostAtMaxWait)} runs resumed only at Max Wait (${s.setup.maxWaitMin} min) without their video: the ${num(c.lost)} lost leads. BHuman does not deliver a callback again.`;
		if (cb.summary.allFinishedMs !== null) text += ` All ${cb.summary.leads / cb.summary.runs} finished ${ms(cb.summary.allFinishedMs)} after the first POST; the last render started ${ms(median0(cb.runs.map((r) => r.lastRenderStartMs)))} after it (the worker starting the executions).`;
	}
	const r = s.rows;
	if (r && missed.some((t) => t.id === 'renders.rows.limit')) {
		const perCheck = r.results.filter((x) => x.oneByOne.resume.requestsToBhuman > 0 && x.oneByOne.resumeToEndCpuMs !== null).map((x) => `${num(x.n)} rows ${num(x.oneByOne.resumeToEndCpuMs / x.oneByOne.resume.requestsToBhuman, 0)} ms`);
		const resumes = r.byCriterion?.find((c) => c.id === 'resumes');
		const dead = resumes && resumes.largestN !== Math.max(...r.results.map((x) => x.n)) ? resumes : null;
		const race = r.results.filter((x) => x.together?.n8nResumeRace).map((x) => `${num(x.n)} rows ${num(x.together.n8nResumeRace)}`).join(', ');
		text += ` Row limit: the largest N meeting the criteria is ${r.largestMeeting === null ? 'none of those measured' : num(r.largestMeeting)}, below the shipped ${num(r.patched.shippedLimit)}${r.firstMiss ? ` (${num(r.firstMiss.n)} rows: ${r.firstMiss.why.join('; ')})` : ''}${dead ? `; above ${dead.largestN === null ? 'every N measured' : `${num(dead.largestN)} rows`} the last callback does not resume the run at all (the node's 60-s deadline for asking BHuman about the others passes; BHuman is answered 503 and the run waits until Max Wait)` : ''}. n8n's CPU per request to BHuman in the resuming callback: ${perCheck.join(', ')}. With every callback at once, n8n loads the waiting execution (its whole data) for each callback, also for those it answers 409 after the resume, so the burst's CPU grows with N × the execution's size; the requests to BHuman stay near 2 per video.${race ? ` n8n's own 500s to callbacks that loaded the execution as another resumed it (n8n 2.40.7's waiting-webhooks.js, \`reading 'inputOverride'\`, before the node runs) or that n8n 2.x's compare-and-set refused as a second resume ("Execution is already being resumed by another process"): ${race}; not counted as misses where the run ended with every video.` : ''}`;
	}
	text += ` Why a request costs that much: ${CREDENTIAL_WHY}`;
	if (load) text += ` Load average: ${load}.`;
	out.push(text);
	return out;
}

const median0 = (v) => {
	const x = v.filter(Number.isFinite).sort((a, b) => a - b);
	return x.length ? x[Math.floor((x.length - 1) / 2)] : null;
};

module.exports = { rendersMarkdown, rendersNotes };
