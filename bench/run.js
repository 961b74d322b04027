#!/usr/bin/env node
'use strict';
// `npm run bench`: this package in one real n8n (the newest line the e2e harness supports)
// against the BHuman simulator with a fixed latency per request, compared side by side with
// what a user builds from n8n's own nodes. Writes bench/results/<timestamp>.json|md and, for
// a full run, bench/results/latest.json|md. See bench/README.md.
//
// Env (all optional): BENCH_REPS (3), BENCH_SIZES (2000,10000), BENCH_ONLY
// (generate,getmany,callbacks,wait,diagnostics,queue,renders), BENCH_CALLBACKS (1000), BENCH_WAIT_N (1000),
// BENCH_WAIT_SPREAD_MS (30000), BENCH_POLL_INTERVAL (5), BENCH_MAX_WAIT (2), BENCH_RENDERS_* (see
// bench/README.md),
// BENCH_SKIP_BUILD=1 (pack dist as is), BENCH_NO_SWEEP=1, BENCH_KEEP_WORK=1,
// BENCH_LATEST=1|0 (write latest.*; default: only for a full default run), N8N_E2E_CACHE.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { stopAll, killAllSync } = require('../scripts/lib/procs');
const { LINES } = require('../scripts/lib/install');
const { setup, teardown, machine, newestLine } = require('./lib/env');
const { markdown, notes } = require('./lib/report');

const SCENARIOS = ['generate', 'getmany', 'callbacks', 'wait', 'diagnostics', 'queue', 'renders'];
const RENDERS_DEFAULTS = { reps: 1, leads: 100, renderMs: 30000, pollInterval: 5, builds: 'callback,waitNode,poll', rows: '10,100,250,500,1000,2000', rowRepeats: 5 };
const LATENCY_MS = 50;
const INSTANCES = 5000;

function settings() {
	const e = process.env;
	const num = (k, d) => (e[k] !== undefined && e[k] !== '' ? Number(e[k]) : d);
	const s = {
		latencyMs: LATENCY_MS,
		instances: INSTANCES,
		reps: num('BENCH_REPS', 3),
		sizes: (e.BENCH_SIZES || '2000,10000').split(',').map(Number).filter(Boolean),
		only: (e.BENCH_ONLY || SCENARIOS.join(',')).split(',').map((x) => x.trim()).filter(Boolean),
		callbacks: num('BENCH_CALLBACKS', 1000),
		concurrency: 50,
		wait: { n: num('BENCH_WAIT_N', 1000), spreadMs: num('BENCH_WAIT_SPREAD_MS', 30000), pollInterval: num('BENCH_POLL_INTERVAL', 5), maxWait: num('BENCH_MAX_WAIT', 2) },
		sweep: e.BENCH_NO_SWEEP !== '1',
		renders: {
			reps: num('BENCH_RENDERS_REPS', RENDERS_DEFAULTS.reps),
			leads: num('BENCH_RENDERS_LEADS', RENDERS_DEFAULTS.leads),
			renderMs: num('BENCH_RENDERS_RENDER_MS', RENDERS_DEFAULTS.renderMs),
			pollInterval: num('BENCH_RENDERS_POLL_INTERVAL', RENDERS_DEFAULTS.pollInterval),
			// an empty list leaves the part out
			builds: (e.BENCH_RENDERS_BUILDS ?? RENDERS_DEFAULTS.builds).split(',').map((x) => x.trim()).filter(Boolean),
			rows: (e.BENCH_RENDERS_ROWS ?? RENDERS_DEFAULTS.rows).split(',').map(Number).filter(Boolean),
			rowRepeats: num('BENCH_RENDERS_ROW_REPEATS', RENDERS_DEFAULTS.rowRepeats),
		},
	};
	const r = s.renders;
	const rendersDefault = Object.keys(RENDERS_DEFAULTS).every((k) => String(Array.isArray(r[k]) ? r[k].join() : r[k]) === String(RENDERS_DEFAULTS[k]));
	for (const o of s.only) if (!SCENARIOS.includes(o)) throw new Error(`BENCH_ONLY: unknown scenario ${o} (${SCENARIOS.join(', ')})`);
	const isDefault = s.reps === 3 && s.sizes.join() === '2000,10000' && s.only.length === SCENARIOS.length && s.callbacks === 1000 && s.wait.n === 1000 && s.wait.spreadMs === 30000 && s.sweep && rendersDefault;
	s.writeLatest = e.BENCH_LATEST ? e.BENCH_LATEST === '1' : isDefault;
	return s;
}

function log(...args) {
	const t = new Date().toISOString().slice(11, 19);
	console.log(`[${t}]`, ...args);
}

async function main() {
	const started = new Date();
	const s = settings();
	const line = newestLine();
	const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bhuman-bench-'));
	log(`BHuman bench: n8n ${LINES[line].version}, simulator latency ${s.latencyMs} ms, ${s.reps} runs each; scenarios ${s.only.join(', ')}; work ${workDir}`);

	let env;
	let stopping = false;
	const onSignal = async (sig) => {
		if (stopping) return;
		stopping = true;
		console.error(`\n${sig}: stopping everything the bench started`);
		await teardown(env);
		await stopAll();
		process.exit(130);
	};
	process.on('SIGINT', () => onSignal('SIGINT'));
	process.on('SIGTERM', () => onSignal('SIGTERM'));
	process.on('exit', killAllSync);

	const results = {};
	const mach = machine();
	let failure = null;
	try {
		env = await setup({ workDir, line, latencyMs: s.latencyMs, instances: s.instances, skipBuild: process.env.BENCH_SKIP_BUILD === '1', log });
		const scen = (name) => require(`./lib/scenarios/${name}`);
		if (s.only.includes('generate')) {
			log('1. Generate: A (BHuman node) vs B (HTTP Request per item) vs C (Code + HTTP Request per 2,000)');
			results.generate = await scen('generate').run(env, { reps: s.reps, sizes: s.sizes, log, sweep: s.sweep });
		}
		if (s.only.includes('getmany')) {
			log(`2. Get Many with Return All over ${s.instances} video instances vs the floor`);
			results.getMany = await scen('getmany').run(env, { reps: s.reps, instances: s.instances, log });
		}
		if (s.only.includes('callbacks')) {
			log(`3. Callbacks: ${s.callbacks} at concurrency ${s.concurrency}, BHuman Trigger vs Webhook node`);
			results.callbacks = await scen('callbacks').run(env, { reps: s.reps, count: s.callbacks, concurrency: s.concurrency, log, control: true });
		}
		if (s.only.includes('wait')) {
			log(`4. Wait for Completion: ${s.wait.n} generations finishing over ${s.wait.spreadMs / 1000} s`);
			results.wait = await scen('wait').run(env, { reps: s.reps, n: s.wait.n, spreadMs: s.wait.spreadMs, pollInterval: s.wait.pollInterval, maxWait: s.wait.maxWait, log });
		}
		if (s.only.includes('queue')) {
			log(`6. Callbacks in queue mode: ${s.callbacks} at concurrency ${s.concurrency} through a webhook processor, BHuman Trigger vs Webhook node`);
			results.queue = await scen('queue').run(env, { reps: s.reps, count: s.callbacks, concurrency: s.concurrency, log });
		}
		if (s.only.includes('renders')) {
			log(`7. Waiting for renders: the three builds in queue mode, and the cost of a callback as the run grows`);
			results.renders = await scen('renders').run(env, { ...s.renders, log });
		}
		if (s.only.includes('diagnostics')) {
			log('Diagnostics: CPU profiles of n8n (where the time goes)');
			results.diagnostics = await scen('diagnostics').run(env, { n: Math.max(...s.sizes), callbacks: 200, concurrency: s.concurrency, log });
		}
	} catch (err) {
		failure = err;
		console.error(`\nbench failed: ${err.stack || err.message}`);
	} finally {
		await teardown(env);
		await stopAll();
	}

	const finished = new Date();
	mach.loadAverageAtEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
	const targets = [];
	for (const k of ['generate', 'getMany', 'callbacks', 'wait', 'queue', 'renders']) if (results[k]) targets.push(...results[k].targets);
	const report = {
		command: 'npm run bench',
		startedAt: started.toISOString(),
		finishedAt: finished.toISOString(),
		durationS: Math.round((finished - started) / 1000),
		machine: { ...mach, n8nVersion: env?.version ?? LINES[line].version, n8nNodeVersion: env?.nodeVersion ?? null },
		n8n: { line, version: env?.version ?? LINES[line].version, nodeVersion: env?.nodeVersion ?? null, expressionEngine: 'n8n default (vm, isolated-vm)', executionsSaved: 'all (success and error)' },
		package: { name: 'n8n-nodes-bhuman', version: env?.packageVersion ?? null, installedFrom: 'npm pack tarball into <user folder>/.n8n/nodes' },
		settings: { ...s, writeLatest: undefined },
		targets,
		summary: { total: targets.length, passed: targets.filter((t) => t.pass).length, failed: targets.filter((t) => !t.pass).length },
		results,
		notes: [],
		left_out: [],
		error: failure ? failure.message : undefined,
	};
	report.notes = notes({ ...results, n8nVersion: report.n8n.version, loadAverage: `${mach.loadAverageAtStart.join(' / ')} at the start, ${mach.loadAverageAtEnd.join(' / ')} at the end` });
	if (failure) report.left_out.push(`The run stopped early: ${failure.message.split('\n')[0]}`);
	for (const sc of SCENARIOS) if (!s.only.includes(sc)) report.left_out.push(`${sc}: not run (BENCH_ONLY)`);

	const dir = path.join(__dirname, 'results');
	fs.mkdirSync(dir, { recursive: true });
	const stamp = started.toISOString().replace(/[:.]/g, '-').slice(0, 19);
	const md = markdown(report);
	fs.writeFileSync(path.join(dir, `${stamp}.json`), JSON.stringify(report, null, 2) + '\n');
	fs.writeFileSync(path.join(dir, `${stamp}.md`), md + '\n');
	if (s.writeLatest && !failure) {
		fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
		fs.writeFileSync(path.join(dir, 'latest.md'), md + '\n');
	}
	console.log('\n' + md);
	log(`results: bench/results/${stamp}.json|md${s.writeLatest && !failure ? ' and bench/results/latest.json|md' : ''}; ${report.summary.passed}/${report.summary.total} targets met; ${report.durationS} s`);
	if (!failure && !process.env.BENCH_KEEP_WORK) fs.rmSync(workDir, { recursive: true, force: true });
	process.exit(failure ? 1 : 0);
}

main().catch(async (err) => {
	console.error(err);
	await stopAll();
	process.exit(1);
});
