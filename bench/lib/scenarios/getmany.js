'use strict';
// 2. Video Instance → Get Many with Return All over every seeded instance (5,000: 50 pages of
//    100), against the floor: the same 50 page requests sent one after the other by a plain
//    Node fetch loop from the benchmark process, timed in the same run (alternating order).

const F = require('../flows');
const { deploy, runWorkflow } = require('../measure');
const { median, ratio, target, round } = require('../stats');

const LIST = '/api/ai_studio/video_instances';
const PAGE = 100;

/** The floor: `pages` sequential GETs of the list, each body read and parsed. */
async function floor(sim, pages) {
	const auth = 'Basic ' + Buffer.from(`${sim.keyId}:${sim.keySecret}`).toString('base64');
	let records = 0;
	const t0 = performance.now();
	for (let page = 0; page < pages; page++) {
		const res = await fetch(`${sim.url}${LIST}?page=${page}&size=${PAGE}`, { headers: { authorization: auth, accept: 'application/json' } });
		if (!res.ok) throw new Error(`floor: page ${page} answered ${res.status}`);
		const body = await res.json();
		records += body.instances.length;
	}
	return { ms: performance.now() - t0, records };
}

async function run(env, { reps, instances, log }) {
	const pages = Math.ceil(instances / PAGE);
	const d = await deploy(env.client, F.getManyAll({ credential: env.credential }));
	const node = [];
	const floors = [];
	await floor(env.sim, 2); // warm the loopback connection pool once
	for (let rep = 0; rep < reps; rep++) {
		const order = rep % 2 ? ['node', 'floor'] : ['floor', 'node'];
		for (const what of order) {
			if (what === 'floor') {
				await env.sim.control('POST', '/__sim/reset');
				const f = await floor(env.sim, pages);
				floors.push(f);
				log(`  run ${rep + 1}/${reps} floor: ${pages} sequential pages in ${Math.round(f.ms)} ms (${f.records} records)`);
			} else {
				const r = await runWorkflow(env, d);
				delete r.execution;
				const lists = r.requests.filter((q) => q.path === LIST);
				node.push({ ok: r.ok, error: r.error, wallMs: r.wallMs, nodeMs: r.nodes['BHuman Get Many']?.ms, items: r.nodes['BHuman Get Many']?.items, requests: lists.length, peakRssMB: r.memory.peakMB });
				log(`  run ${rep + 1}/${reps} node: ${r.ok ? `${r.wallMs} ms` : `FAILED ${r.error}`}, ${lists.length} page requests, ${r.nodes['BHuman Get Many']?.items} items`);
			}
		}
	}
	const ok = node.filter((r) => r.ok);
	const out = {
		instances,
		pages,
		pageSize: PAGE,
		reps,
		floorMs: floors.map((f) => round(f.ms, 1)),
		medianFloorMs: round(median(floors.map((f) => f.ms)), 1),
		node,
		medianWallMs: median(ok.map((r) => r.wallMs)),
		medianNodeMs: median(ok.map((r) => r.nodeMs)),
		medianPeakRssMB: median(node.map((r) => r.peakRssMB)),
	};
	out.ratio = round(ratio(out.medianWallMs, out.medianFloorMs), 3);
	out.ratioNodeOnly = round(ratio(out.medianNodeMs, out.medianFloorMs), 3);
	const complete = ok.length === node.length && node.every((r) => r.items === instances && r.requests === pages);
	out.complete = complete;
	out.targets = [
		target(`get many: Return All over ${instances.toLocaleString('en-US')} video instances ≤ 1.3× the floor of ${pages} sequential page requests`, complete ? out.ratio : null, '<=', 1.3, {
			unit: '×',
			id: 'getmany.vs_floor',
			note: complete ? undefined : `incomplete: items ${node.map((r) => r.items).join(', ')}, requests ${node.map((r) => r.requests).join(', ')}`,
		}),
	];
	return out;
}

module.exports = { run, floor };
