'use strict';
// The run's results as JSON and as a markdown report (tables, targets, notes on misses).

const { ms, num, round } = require('./stats');
const { rendersMarkdown, rendersNotes } = require('./report-renders');

const pct = (x) => (x === null || x === undefined ? '—' : `${Math.round(x * 100)}%`);
const x2 = (x) => (x === null || x === undefined ? '—' : `${num(x, x >= 100 ? 0 : x >= 10 ? 1 : 2)}×`);
const mb = (x) => (x === null || x === undefined ? '—' : `${num(x, 0)} MB`);
const list = (a) => (Array.isArray(a) ? [...new Set(a)].join(' / ') : String(a));

/** The receivers of sections 3 and 6; the third is the control (see flows.callbackWebhook). */
const RECEIVERS = [
	['BHuman Trigger → Set', 'trigger'],
	['Webhook node → Set', 'webhook'],
	['Webhook node with one expression in its options → Set (control: n8n 2.x then takes an expression isolate for it too)', 'webhookExpression'],
];

const ISOLATE_WHY =
	"n8n 2.x takes an expression isolate for the whole webhook phase of every start node other than its own Webhook node (`LiveWebhooks.webhookPhaseNeedsIsolate` in n8n/dist/webhooks/live-webhooks.js); its pool holds one (`N8N_EXPRESSION_ENGINE_POOL_SIZE`), so at concurrency 50 nearly every callback starts a fresh isolate and disposes it after. The control row, n8n's own Webhook node with one expression in its options, pays the same.";

function controlLine(c) {
	return c.webhookExpression ? ` Trigger / the control: accepted ${x2(c.controlRatio)}, completed ${x2(c.controlCompletedRatio)}.` : '';
}

function fmtTargetValue(t) {
	if (t.value === null || t.value === undefined) return 'not measured';
	if (t.unit === '×') return x2(t.value);
	if (t.unit === 's') return `${num(t.value, 2)} s`;
	return `${num(t.value, Number.isInteger(t.value) ? 0 : 2)} ${t.unit || ''}`.trim();
}

function fmtThreshold(t) {
	const op = { '>=': '≥', '<=': '≤', '==': '=' }[t.comparison] || t.comparison;
	if (t.unit === '×') return `${op} ${t.threshold}×`;
	return `${op} ${num(t.threshold, Number.isInteger(t.threshold) ? 0 : 2)} ${t.unit || ''}`.trim();
}

/** Why a target was missed and what would close it, from the measured figures. */
function notes(results) {
	const out = [];
	const g = results.generate;
	const prof = results.diagnostics?.generate;
	const exprPart = prof?.parts.find((p) => /expression evaluation/.test(p.name));
	if (g) {
		for (const n of g.sizes) {
			const s = g.variants[n];
			if (!s) continue;
			const failedAB = g.targets.find((t) => t.id === `generate.${n}.a_vs_b` && !t.pass);
			const failedAC = g.targets.find((t) => t.id === `generate.${n}.a_vs_c` && !t.pass);
			if (failedAB) {
				const throttled = (g.sweep || []).find((x) => x.batching && x.batching.batchSize === 50 && x.batching.batchInterval === 1000);
				const aAt = throttled ? g.variants[throttled.n]?.A.medianWallMs : null;
				const b0 = s.B.medianWallMs / s.A0.medianWallMs;
				const bRuns = s.B.wallMs.filter(Number.isFinite);
				const others = s.A.medianWallMs - s.A.medianNodeMs;
				out.push(
					`**A ≥ 50× faster than B missed at ${num(n)} rows (${x2(s.ratios.bOverA)}).** With Batching off, its fastest setting (see the sweep), n8n's HTTP Request node starts every item's request at once: the 50 ms latency overlaps, and B's time is n8n's own work per item, ${num((s.B.medianNodeMs / n) * 1000, 0)} µs per item here, not ${num(n)} × 50 ms. ` +
						(bRuns.length > 1 ? `B varied from ${ms(Math.min(...bRuns))} to ${ms(Math.max(...bRuns))} over the runs (${x2(Math.min(...bRuns) / s.A.medianWallMs)} to ${x2(Math.max(...bRuns) / s.A.medianWallMs)} A). ` : '') +
						`50× needs A's whole execution to take ≤ ${ms(s.B.medianWallMs / 50)}; A took ${ms(s.A.medianWallMs)}: ${ms(others)} in the Webhook and Contacts nodes every build shares, and ${ms(s.A.medianNodeMs)} in the BHuman node, of which ${ms(50)} is the one request's latency. C (the expert build) took ${ms(s.C.medianWallMs)}; A0 (nothing to map per row) ${ms(s.A0.medianWallMs)}, ${x2(b0)} faster than B. ` +
						(throttled && throttled.wallMs && aAt ? `Against B with the setting n8n fills in when Batching is added (50 items per 1,000 ms) the ratio is ${x2(throttled.wallMs / aAt)} (${ms(throttled.wallMs)} at ${num(throttled.n)} rows). ` : '') +
						(b0 < 50
							? 'What would close it: nothing in the BHuman node: even with nothing to map per row it stays under 50× here, because against an all-at-once B the ratio is bounded by n8n\'s per-item cost in B over the fixed cost of one execution; the target holds against a B that pays the latency per request (throttled batching, an API that limits concurrent requests) and at larger N.'
							: `What would close it: the ${ms(s.A.medianNodeMs - 50)} the node spends besides the request's latency at ${num(n)} rows (A0: ${ms(s.A0.medianNodeMs - 50)}); at larger N the ratio grows (see 10,000 rows), since B's cost is per item and A's mostly per execution.`),
				);
			}
			if (failedAC) {
				const a = s.attribution;
				out.push(
					`**A ≤ 1.2× C missed at ${num(n)} rows (${x2(s.ratios.aOverC)}).** A's node took ${ms(s.A.medianNodeMs)} (${num(a.nodeMsPerRow * 1000, 0)} µs per row); the same node with constant values (A0) ${ms(s.A0.medianNodeMs)} (${num(a.nodeMsPerRowConstantValues * 1000, 0)} µs per row), so the two mapped values cost ${num(a.mappedValuesMsPerRow * 1000, 0)} µs per row (${pct(a.mappedValuesShareOfNode)} of the node's time). ` +
						(exprPart && exprPart.share > 0.3
							? `The CPU profile puts ${pct(exprPart.share)} of the node's CPU in n8n's per-item expression evaluation (${num(exprPart.usPerRow, 0)} µs per row through n8n 2.x's isolated-vm engine). What would close it (node code): read plain \`={{ $json.<field> }}\` mappings straight from the item instead of asking n8n to evaluate them per item.`
							: prof
								? `The CPU profile of the node: ${prof.parts.map((p) => `${p.name} ${pct(p.share)}`).join(', ')}.`
								: ''),
				);
			}
		}
	}
	const gm = results.getMany;
	if (gm && gm.targets.some((t) => !t.pass)) {
		out.push(`**Get Many missed ≤ 1.3× the floor (${x2(gm.ratio)}).** The node took ${ms(gm.medianWallMs)} for ${gm.pages} pages against ${ms(gm.medianFloorMs)} for the plain fetch loop: ${num((gm.medianWallMs - gm.medianFloorMs) / gm.pages, 1)} ms more per page.`);
	}
	const cb = results.callbacks;
	if (cb) {
		const rate = cb.targets.find((t) => t.id === 'callbacks.rate');
		const diag = results.diagnostics;
		if (rate && !rate.pass) {
			let text = `**BHuman Trigger rate missed ≥ 0.9× the Webhook node (${x2(cb.ratio)}: ${num(cb.trigger.medianAcceptedPerSec, 1)} vs ${num(cb.webhook.medianAcceptedPerSec, 1)} callbacks/s; completed ${x2(cb.completedRatio)}).** ${ISOLATE_WHY}`;
			if (cb.webhookExpression) text += ` Here the control ran at ${num(cb.webhookExpression.medianAcceptedPerSec, 1)} callbacks/s and the trigger at ${x2(cb.controlRatio)} of it (completed ${x2(cb.controlCompletedRatio)}).`;
			const t = diag?.callbacks?.find((d) => d.kind === 'trigger');
			const w = diag?.callbacks?.find((d) => d.kind === 'webhook');
			if (t && w) text += ` Profiled, n8n spends ${num(t.cpuMsPerCallback, 1)} ms of CPU per trigger callback against ${num(w.cpuMsPerCallback, 1)} ms per Webhook callback; in the webhook handling: ${t.parts.map((p) => `${p.name.split(' (')[0]} ${num(p.msPerCallback, 2)} vs ${num(w.parts.find((x) => x.name === p.name)?.msPerCallback ?? 0, 2)} ms`).join(', ')}.`;
			text += ` What would close it: not the trigger's code (only n8n's own Webhook node skips the isolate); n8n's \`N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true\` (run the bench with \`BENCH_LAZY_ISOLATE=1\`).`;
			out.push(text);
		}
		const lost = cb.targets.find((t) => t.id === 'callbacks.lost');
		if (lost && !lost.pass) out.push(`**Callbacks lost: ${lost.value}.** See the runs in the JSON for answer statuses and stalled waits.`);
		const bodies = cb.runs?.trigger?.[0]?.answerBodies || {};
		if (Object.keys(bodies).some((b) => !b.includes('"result":"accepted"'))) {
			out.push(`**Not a target, but found here: the trigger's answer.** On n8n ${results.n8nVersion || '2.x'} an accepted callback is answered \`${Object.keys(bodies)[0]}\` (HTTP 200) instead of the trigger's JSON \`{"result":"accepted",…}\`: for responseMode onReceived, n8n 2.x prefers the webhook description's responseData (default 'firstEntryJson') over the node's webhookResponse. Setting \`responseData: ''\` in the trigger's webhook description makes n8n send the node's answer (checked on a patched copy).`);
		}
	}
	const q = results.queue;
	if (q) {
		const missed = (id) => q.targets.find((t) => t.id === id && !t.pass);
		const d = q.configs.defaults;
		const lz = q.configs.lazy;
		if (d && (missed('queue.callbacks.defaults.rate') || missed('queue.callbacks.defaults.completed'))) {
			out.push(
				`**Queue mode at n8n's defaults: the trigger at ${x2(d.ratio)} the Webhook node's accepted rate (${num(d.trigger.medianAcceptedPerSec, 1)} vs ${num(d.webhook.medianAcceptedPerSec, 1)}/s), completed ${x2(d.completedRatio)}.** ${ISOLATE_WHY}` +
					(d.webhookExpression ? ` The control ran at ${num(d.webhookExpression.medianAcceptedPerSec, 1)}/s (${x2(d.webhookExpression.medianAcceptedPerSec / d.webhook.medianAcceptedPerSec)} the plain Webhook node); the trigger at ${x2(d.controlRatio)} of it, completed ${x2(d.controlCompletedRatio)}.` : '') +
					' What would close it: not the trigger\'s code; `N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true` on the webhook processors (the other configuration of this section).',
			);
		}
		if (lz && (missed('queue.callbacks.rate') || missed('queue.callbacks.completed'))) {
			const pairs = lz.runs.trigger.map((t, i) => (lz.runs.webhook[i] ? x2(t.acceptedPerSec / lz.runs.webhook[i].acceptedPerSec) : '—'));
			out.push(`**Queue mode with lazy isolates: the trigger at ${x2(lz.ratio)} accepted, ${x2(lz.completedRatio)} completed.** Run by run (accepted, trigger / Webhook node): ${pairs.join(', ')}. What is left is the trigger's own work per callback, mostly its repeated-delivery memory (a static data write per accepted callback; \`BENCH_QUEUE_IGNORE_REPEATS=0\` measures without it).`);
		}
	}
	if (results.renders) out.push(...rendersNotes(results.renders, results.loadAverage));
	const w = results.wait;
	if (w && w.targets.some((t) => !t.pass)) {
		out.push(`**Wait for Completion missed a target.** ${w.targets.filter((t) => !t.pass).map((t) => `${t.name}: ${fmtTargetValue(t)}`).join('; ')}.`);
	}
	return out;
}

function markdown(r) {
	const L = [];
	const m = r.machine;
	L.push('# BHuman nodes in a real n8n: benchmark');
	L.push('');
	L.push(`Made by \`${r.command}\` on ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC in ${num(r.durationS, 0)} s: n8n ${r.n8n.version} on Node ${r.n8n.nodeVersion} with ${r.package.name} ${r.package.version} installed from its \`npm pack\` tarball, against the BHuman simulator with ${r.settings.latencyMs} ms added to every API request. ` +
		`Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGB} GB, ${m.os}; load average ${m.loadAverageAtStart.join(' / ')} at start, ${m.loadAverageAtEnd ? m.loadAverageAtEnd.join(' / ') : '—'} at the end (other work shared the machine). Medians of ${r.settings.reps} runs, each comparison side by side in the same n8n. Times are n8n's execution startedAt → stoppedAt; memory is the peak RSS of n8n's process tree (main process and task runner), sampled every 100 ms; n8n keeps what earlier runs allocated (the peak mostly climbs through the run), so the largest growth a build caused in one of its runs says more than its peak.`);
	L.push('');
	L.push(`**Targets: ${r.summary.passed} of ${r.summary.total} met.**`);
	L.push('');
	L.push('| Target | Measured | Required | |');
	L.push('|---|---|---|---|');
	for (const t of r.targets) L.push(`| ${t.name} | ${fmtTargetValue(t)} | ${fmtThreshold(t)} | ${t.pass ? 'pass' : '**miss**'} |`);
	L.push('');

	const g = r.results.generate;
	if (g) {
		L.push('## 1. Generate: BHuman node vs HTTP Request builds');
		L.push('');
		L.push(`A: BHuman node, Video → Generate, batch size ${num(g.batch)}, two variables mapped with \`{{ $json.… }}\`. B: HTTP Request node, one \`try_sample\` per item (JSON body templated from the item, Basic Auth credential), Batching: ${g.bestB}. C: Code node building \`names\` per ${num(g.batch)} rows, then one HTTP Request per batch. A0 (diagnostic): A with constant variable values, no expression per item. Each run starts with a Webhook and a Code node producing the N contacts (in every build).`);
		L.push('');
		L.push('| Rows | Build | Execution time | Node(s) time | Requests to BHuman | Peak RSS of n8n (largest growth in one run) | vs A |');
		L.push('|---:|---|---:|---:|---:|---:|---:|');
		const names = { A: 'A: BHuman node', B: `B: HTTP Request per item`, C: 'C: Code + HTTP Request per 2,000', A0: 'A0: BHuman node, constant values' };
		for (const n of g.sizes) {
			const s = g.variants[n];
			if (!s) continue;
			for (const v of ['A', 'B', 'C', 'A0']) {
				const x = s[v];
				const vsA = v === 'A' ? '1×' : x2(x.medianWallMs / s.A.medianWallMs);
				L.push(`| ${num(n)} | ${names[v]} | ${ms(x.medianWallMs)}${x.failed ? ` (${x.failed} failed)` : ''} | ${ms(x.medianNodeMs)} | ${list(x.requests)} | ${mb(x.medianPeakRssMB)} (+${num(x.maxRssGrowthMB, 0)} MB) | ${vsA} |`);
			}
		}
		L.push('');
		L.push(`Ratios: ${g.sizes.filter((n) => g.variants[n]).map((n) => `${num(n)} rows: B/A ${x2(g.variants[n].ratios.bOverA)}, A/C ${x2(g.variants[n].ratios.aOverC)}, A0/C ${x2(g.variants[n].ratios.a0OverC)}`).join('; ')}.`);
		L.push('');
		if (g.sweep?.length) {
			L.push(`B's Batching setting, measured once at ${num(g.sweep[0].n)} rows (the fastest is used above):`);
			L.push('');
			L.push('| Batching | Execution time | Requests |');
			L.push('|---|---:|---:|');
			for (const s of g.sweep) L.push(`| ${s.setting}${s.note && s.batching ? ` — ${s.note}` : ''} | ${s.wallMs === null ? `failed: ${s.error}` : ms(s.wallMs)} | ${num(s.requests)} |`);
			L.push('');
			L.push('An interval of 0 ms (any batch size) is the same as Batching off: n8n sleeps only when the interval is above 0, and never waits for a batch to finish before starting the next.');
			L.push('');
		}
		L.push('Where A\'s time goes (A against A0, medians; a few µs either way is run-to-run noise):');
		L.push('');
		L.push('| Rows | A node time per row | A0 node time per row | The two mapped values per row (A − A0) | Share of A\'s node time |');
		L.push('|---:|---:|---:|---:|---:|');
		for (const n of g.sizes) {
			const a = g.variants[n]?.attribution;
			if (a) L.push(`| ${num(n)} | ${num(a.nodeMsPerRow * 1000, 0)} µs | ${num(a.nodeMsPerRowConstantValues * 1000, 0)} µs | ${num(a.mappedValuesMsPerRow * 1000, 0)} µs | ${pct(a.mappedValuesShareOfNode)} |`);
		}
		L.push('');
	}

	const gm = r.results.getMany;
	if (gm) {
		L.push(`## 2. Get Many with Return All over ${num(gm.instances)} video instances`);
		L.push('');
		L.push('| | Median | Runs | Requests | Items |');
		L.push('|---|---:|---|---:|---:|');
		L.push(`| Floor: ${gm.pages} sequential page requests (plain Node fetch loop) | ${ms(gm.medianFloorMs)} | ${gm.floorMs.map((x) => ms(x)).join(', ')} | ${gm.pages} | ${num(gm.instances)} |`);
		L.push(`| BHuman node, Video Instance → Get Many, Return All (execution) | ${ms(gm.medianWallMs)} | ${gm.node.map((x) => ms(x.wallMs)).join(', ')} | ${list(gm.node.map((x) => x.requests))} | ${list(gm.node.map((x) => x.items))} |`);
		L.push('');
		L.push(`Ratio ${x2(gm.ratio)} (node time alone ${x2(gm.ratioNodeOnly)}); peak RSS ${mb(gm.medianPeakRssMB)}.`);
		L.push('');
	}

	const cb = r.results.callbacks;
	if (cb) {
		L.push(`## 3. Callbacks: ${num(cb.count)} POSTs at concurrency ${cb.concurrency}`);
		L.push('');
		L.push('Both workflows are active (published) and end in the same Set node (three fields from the callback); the trigger checks a token on each callback and remembers deliveries (its defaults). Accepted/s = callbacks answered 2xx (and not "ignored" or "rejected" by the trigger) over the time from the first POST to the last answer; completed/s = successful executions over the time from the first POST until all had run; lost = sent − successful executions.');
		L.push('');
		L.push('| Receiver | Accepted/s (median; runs) | Answer p95 | Completed/s (all executed after) | Executions completed | Failed executions | Lost | Peak RSS |');
		L.push('|---|---:|---:|---:|---:|---:|---:|---:|');
		for (const [label, k] of RECEIVERS.filter(([, k]) => cb[k])) {
			const s = cb[k];
			const runs = cb.runs[k];
			L.push(`| ${label} | ${num(s.medianAcceptedPerSec, 1)} (${runs.map((x) => num(x.acceptedPerSec, 1)).join(', ')}) | ${ms(s.medianAnswerMsP95)} | ${num(s.medianCompletedPerSec, 1)} (${ms(s.medianAllExecutedMs)}) | ${num(s.totalCompleted)} of ${num(s.totalSent)} | ${num(runs.reduce((a, x) => a + x.failedExecutions, 0))} | ${num(s.totalLost)} | ${mb(s.medianPeakRssMB)} |`);
		}
		L.push('');
		L.push(`Trigger / Webhook node: accepted ${x2(cb.ratio)}, completed ${x2(cb.completedRatio)}.${controlLine(cb)}`);
		L.push('');
		const bodies = cb.runs.trigger[0]?.answerBodies;
		if (bodies) L.push(`The trigger's answers (first run): ${Object.entries(bodies).map(([b, c]) => `\`${b}\` × ${c}`).join(', ')}.`);
		L.push('');
	}

	const w = r.results.wait;
	if (w) {
		L.push(`## 4. Wait for Completion: ${num(w.n)} generations finishing over ${num(w.spreadMs / 1000)} s`);
		L.push('');
		L.push(`Row i renders for i × ${num(w.spreadMs)} / ${num(w.n - 1)} ms (\`sim:render=<ms>\`); Poll Interval ${w.pollIntervalS} s, Max Wait ${w.maxWaitMin} min (bound: ${w.pollBound} polls per generation), Max Concurrent Polls ${w.pollConcurrency}.`);
		L.push('');
		L.push('| Run | Execution time | Last render end | Finished after last render end | Polls | Polls per generation (mean / max) | Notice delay (median / p95 / max) | Succeeded | Peak RSS |');
		L.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
		w.runs.forEach((x, i) => L.push(`| ${i + 1} | ${ms(x.wallMs)} | ${ms(x.lastRenderEndAfterStartMs)} | ${ms(x.finishedAfterLastRenderEndMs)} | ${num(x.polls)} | ${num(x.pollsPerGenerationMean, 2)} / ${x.pollsPerGenerationMax} | ${ms(x.noticeDelayMsMedian)} / ${ms(x.noticeDelayMsP95)} / ${ms(x.noticeDelayMsMax)} | ${num(x.succeeded)} of ${num(x.items)} | ${mb(x.peakRssMB)} |`));
		L.push('');
		L.push('Notice delay: from a generation\'s render end to the poll that saw it finished (simulator request log). The node sends no poll after it has seen a generation finish.');
		L.push('');
	}

	const q = r.results.queue;
	if (q) {
		L.push(`## 6. Callbacks in queue mode: ${num(q.count)} POSTs at concurrency ${q.concurrency} through a webhook processor`);
		L.push('');
		const first = Object.values(q.configs)[0];
		L.push(`n8n in queue mode: Postgres ${first.setup.postgres}, Redis ${first.setup.redis}, main (production webhooks off), ${first.setup.workers} worker (concurrency ${first.setup.workerConcurrency}), ${first.setup.webhookProcessors} webhook processor, expression isolate pool ${first.setup.expressionPoolSize}; a fresh cluster for each configuration (bench/lib/scenarios/queue.js). The same workflows and figures as section 3; the POSTs go to the webhook processor, the executions run on the worker.`);
		L.push('');
		L.push('| Configuration | Receiver | Accepted/s (median; runs) | Answer p95 | Completed/s (all executed after) | Executions completed | Lost |');
		L.push('|---|---|---:|---:|---:|---:|---:|');
		for (const c of Object.values(q.configs)) {
			for (const [label, k] of RECEIVERS.filter(([, k]) => c[k])) {
				const s = c[k];
				L.push(`| ${c.label} | ${label} | ${num(s.medianAcceptedPerSec, 1)} (${c.runs[k].map((x) => num(x.acceptedPerSec, 1)).join(', ')}) | ${ms(s.medianAnswerMsP95)} | ${num(s.medianCompletedPerSec, 1)} (${ms(s.medianAllExecutedMs)}) | ${num(s.totalCompleted)} of ${num(s.totalSent)} | ${num(s.totalLost)} |`);
			}
		}
		L.push('');
		for (const c of Object.values(q.configs)) {
			L.push(`${c.label}: trigger / Webhook node: accepted ${x2(c.ratio)}, completed ${x2(c.completedRatio)}.${controlLine(c)}${c.ignoreRepeats === false ? ' The trigger ran with Ignore Repeated Deliveries off.' : ''}`);
			L.push('');
		}
	}

	if (r.results.renders) L.push(...rendersMarkdown(r.results.renders));

	const d = r.results.diagnostics;
	if (d) {
		L.push('## Where the time goes (CPU profile of n8n, separate runs)');
		L.push('');
		if (d.generate) {
			L.push(`BHuman node, Generate ${num(d.generate.n)} rows: ${ms(d.generate.nodeCpuMs)} of CPU inside the node (profiler on, so slower than the timed runs).`);
			L.push('');
			L.push('| Part | CPU | Share | Per row |');
			L.push('|---|---:|---:|---:|');
			for (const p of d.generate.parts) L.push(`| ${p.name} | ${ms(p.ms)} | ${pct(p.share)} | ${num(p.usPerRow, 1)} µs |`);
			L.push('');
		}
		if (d.callbacks?.length) {
			L.push(`Callbacks (${num(d.callbacks[0].callbacks)} to each receiver, concurrency 50), n8n CPU per callback:`);
			L.push('');
			const names = [...new Set(d.callbacks.flatMap((c) => c.parts.map((p) => p.name)))];
			L.push(`| Receiver | n8n CPU per callback | Webhook handling | ${names.join(' | ')} | Other handling | Execution (incl. Set node) |`);
			L.push(`|---|---:|---:|${names.map(() => '---:').join('|')}|---:|---:|`);
			for (const c of d.callbacks) {
				L.push(`| ${c.kind === 'trigger' ? 'BHuman Trigger' : 'Webhook node'} | ${num(c.cpuMsPerCallback, 2)} ms | ${num(c.webhookHandlingMsPerCallback, 2)} ms | ${names.map((nm) => `${num(c.parts.find((p) => p.name === nm)?.msPerCallback ?? 0, 2)} ms`).join(' | ')} | ${num(c.otherWebhookHandlingMsPerCallback, 2)} ms | ${num(c.executionMsPerCallback, 2)} ms |`);
			}
			L.push('');
		}
	}

	if (d?.callbackVariants?.length) {
		L.push(`Timed variants (${num(d.callbackVariants[0].callbacks)} callbacks each at concurrency 50, one run, after the profiles):`);
		L.push('');
		L.push('| Receiver | Accepted/s | Executions completed |');
		L.push('|---|---:|---:|');
		for (const v of d.callbackVariants) L.push(`| ${v.name} | ${num(v.acceptedPerSec, 1)} | ${num(v.completed)} of ${num(v.callbacks)} |`);
		L.push('');
	}
	if (r.notes.length) {
		L.push('## Missed targets: why, and what would close them');
		L.push('');
		for (const n of r.notes) L.push(`- ${n}`);
		L.push('');
	}
	if (r.left_out?.length) {
		L.push('## Left out');
		L.push('');
		for (const n of r.left_out) L.push(`- ${n}`);
		L.push('');
	}
	return L.join('\n');
}

module.exports = { markdown, notes, round };
