'use strict';
// 1. Generate N recipient rows three ways, side by side in one n8n:
//    A  the BHuman node (Video → Generate, batch size 2,000);
//    B  n8n's HTTP Request node, one try_sample per item, Batching at its best setting
//       (chosen by a sweep over the setting a user gets when adding Batching and others);
//    C  the expert build: a Code node builds `names` per 2,000 rows, one HTTP Request each;
//    plus a diagnostic A0: the BHuman node with constant variable values (no expression per
//    item), which separates the node's own work from n8n's per-item expression evaluation.

const F = require('../flows');
const { deploy, runWorkflow } = require('../measure');
const { median, ratio, target, round } = require('../stats');

const TRY_SAMPLE = '/api/ai_studio/try_sample';
const BATCH = 2000;

/** Batching settings of the HTTP Request node measured once at the smallest N. */
const B_SWEEP = [
	{ batchSize: 50, batchInterval: 1000, note: 'what n8n fills in when Batching is added (50 items, 1,000 ms)' },
	{ batchSize: 500, batchInterval: 100, note: '500 items every 100 ms' },
	null, // no Batching option: n8n starts every item's request at once (same as an interval of 0)
];
const label = (b) => (b ? `${b.batchSize} items / ${b.batchInterval} ms` : 'off (all requests at once)');

function summarize(runs, measured) {
	const ok = runs.filter((r) => r.ok);
	const nodeMs = (r) => measured.reduce((s, name) => s + (r.nodes[name]?.ms ?? 0), 0);
	const tries = runs.map((r) => r.requests.filter((q) => q.method === 'POST' && q.path === TRY_SAMPLE));
	return {
		runs: runs.length,
		failed: runs.length - ok.length,
		errors: runs.filter((r) => !r.ok).map((r) => r.error),
		wallMs: runs.map((r) => r.wallMs),
		medianWallMs: median(ok.map((r) => r.wallMs)),
		medianNodeMs: median(ok.map(nodeMs)),
		nodeMs: runs.map(nodeMs),
		requests: tries.map((t) => t.length),
		requestsOk: tries.map((t) => t.filter((q) => q.status === 200).length),
		allApiRequests: runs.map((r) => r.requests.length),
		rowsSent: tries.map((t) => t.reduce((s, q) => s + (Array.isArray(q.body?.names) ? q.body.names.length : 0), 0)),
		peakRssMB: runs.map((r) => r.memory.peakMB),
		medianPeakRssMB: median(runs.map((r) => r.memory.peakMB)),
		medianRssGrowthMB: median(runs.map((r) => r.memory.deltaMB)),
		maxRssGrowthMB: Math.max(...runs.map((r) => r.memory.deltaMB)),
		rssGrowthMB: runs.map((r) => r.memory.deltaMB),
		outputItems: runs.map((r) => r.nodes[measured[measured.length - 1]]?.items ?? 0),
	};
}

async function run(env, { reps, sizes, log, sweep = true }) {
	const common = { simUrl: env.sim.url, instanceId: env.instanceId, basicAuth: env.basicAuth, credential: env.credential };
	const out = { sizes, reps, batch: BATCH, sweep: [], variants: {}, targets: [] };

	// B's Batching setting: a sweep at the smallest N, once per setting; the fastest is used below.
	let bestB = null;
	if (sweep) {
		const n = Math.min(...sizes);
		for (const b of B_SWEEP) {
			const d = await deploy(env.client, F.generateB({ ...common, n, batching: b }));
			log(`  sweep B at ${n} rows, Batching ${label(b)}`);
			const r = await runWorkflow(env, d, { timeoutMs: 20 * 60000 });
			out.sweep.push({ n, batching: b ? { batchSize: b.batchSize, batchInterval: b.batchInterval } : null, setting: label(b), note: b?.note, wallMs: r.ok ? r.wallMs : null, error: r.error, requests: r.requests.length });
			log(`    ${r.ok ? `${r.wallMs} ms` : `failed: ${r.error}`}`);
		}
		const okSweep = out.sweep.filter((s) => s.wallMs !== null);
		const best = okSweep.sort((a, b) => a.wallMs - b.wallMs)[0];
		bestB = best ? best.batching : null;
	}
	out.bestB = label(bestB);

	const deployed = {};
	for (const n of sizes) {
		deployed[n] = {
			A: await deploy(env.client, F.generateA({ ...common, n })),
			A0: await deploy(env.client, F.generateA({ ...common, n, fixedValues: true })),
			B: await deploy(env.client, F.generateB({ ...common, n, batching: bestB })),
			C: await deploy(env.client, F.generateC({ ...common, n })),
		};
	}
	const runs = {};
	const orders = [['A', 'C', 'B', 'A0'], ['C', 'B', 'A0', 'A'], ['B', 'A0', 'A', 'C']];
	for (let rep = 0; rep < reps; rep++) {
		for (const n of sizes) {
			for (const v of orders[rep % orders.length]) {
				const r = await runWorkflow(env, deployed[n][v], { timeoutMs: 20 * 60000 });
				delete r.execution;
				(runs[`${v}:${n}`] ||= []).push(r);
				const reqs = r.requests.filter((q) => q.path === TRY_SAMPLE).length;
				log(`  run ${rep + 1}/${reps} ${v} ${n} rows: ${r.ok ? `${r.wallMs} ms` : `FAILED ${r.error}`}, ${reqs} try_sample, peak RSS ${r.memory.peakMB} MB`);
			}
		}
	}

	for (const n of sizes) {
		const s = {};
		for (const v of ['A', 'A0', 'B', 'C']) s[v] = summarize(runs[`${v}:${n}`], deployed[n][v].measured);
		out.variants[n] = s;
		const expected = Math.ceil(n / BATCH);
		const speedup = ratio(s.B.medianWallMs, s.A.medianWallMs);
		const vsC = ratio(s.A.medianWallMs, s.C.medianWallMs);
		s.ratios = {
			bOverA: round(speedup, 2),
			aOverC: round(vsC, 2),
			bOverANodeOnly: round(ratio(s.B.medianNodeMs, s.A.medianNodeMs), 2),
			aOverCNodeOnly: round(ratio(s.A.medianNodeMs, s.C.medianNodeMs), 2),
			a0OverC: round(ratio(s.A0.medianWallMs, s.C.medianWallMs), 2),
		};
		// where A's time goes: the same node without per-item expressions (A0), per row
		s.attribution = {
			nodeMsPerRow: round(s.A.medianNodeMs / n, 4),
			nodeMsPerRowConstantValues: round(s.A0.medianNodeMs / n, 4),
			mappedValuesMsPerRow: round((s.A.medianNodeMs - s.A0.medianNodeMs) / n, 4),
			mappedValuesShareOfNode: round((s.A.medianNodeMs - s.A0.medianNodeMs) / s.A.medianNodeMs, 3),
		};
		out.targets.push(target(`generate ${n.toLocaleString('en-US')} rows: A (BHuman node) ≥ 50× faster than B (HTTP Request per item, Batching ${label(bestB)})`, speedup, '>=', 50, { unit: '×', id: `generate.${n}.a_vs_b` }));
		out.targets.push(target(`generate ${n.toLocaleString('en-US')} rows: A ≤ 1.2× C (Code node + HTTP Request per 2,000 rows)`, vsC, '<=', 1.2, { unit: '×', id: `generate.${n}.a_vs_c` }));
		const exact = s.A.requests.length > 0 && s.A.requests.every((x) => x === expected) && s.A.failed === 0;
		out.targets.push(
			target(`generate ${n.toLocaleString('en-US')} rows: A sends exactly ceil(N / 2,000) = ${expected} requests`, exact ? expected : (s.A.requests.find((x) => x !== expected) ?? null), '==', expected, {
				unit: 'requests',
				id: `generate.${n}.a_requests`,
				perRun: s.A.requests,
			}),
		);
	}
	return out;
}

module.exports = { run, B_SWEEP, label };
