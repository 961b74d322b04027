#!/usr/bin/env node
'use strict';
// `npm run test:e2e`: this package in a real n8n, installed as a user installs it, on each
// pinned n8n line (1.123.81 on this machine's Node 20, 2.40.7 on Node 24 from npm).
//
// Env: E2E_LINES=1,2 (default: every line this machine can run, both on Linux x64 with Node
// 20.19+), E2E_KEEP=1 (leave n8n and the simulator running and print how to reach them),
// N8N_E2E_CACHE=<dir> (n8n installs; default ~/.cache/n8n-nodes-bhuman), E2E_SIM_RENDER_MS
// (simulated render time, default 300), E2E_SKIP_BUILD=1 (pack dist as it is),
// E2E_BURST_2000=1 (the trigger's 2,000-callback burst too),
// E2E_KEEP_WORK=1 (keep the temporary work folder, with n8n's logs, after a green run),
// E2E_CHECKS=<group>,… (only these groups of checks, e.g. "callback wait"; registration always runs;
// "n8n3": what n8n 3.0 changes, on the line's n8n set to behave as 3.0).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { LINES, cacheDir, ensureN8n, supportedLines } = require('../../scripts/lib/install');
const { stopAll, killAllSync, freePort } = require('../../scripts/lib/procs');
const { startWebhookProxy } = require('./lib/webhook-proxy');
const L = require('../../scripts/lib/n8n');
const { Suite, CheckError } = require('./lib/harness');
// the queue-mode line (n8n 2.x with Postgres, Redis, worker, webhook processors): ./queue.js
const QUEUE = 'queue';
const lineName = (l) => (l === QUEUE ? 'n8n 2.40.7 queue mode' : `n8n ${LINES[l].version}`);

const CHECKS = [
	['registration', require('./checks/registration')],
	['credential reuse', require('./checks/credential-reuse')],
	['operations', require('./checks/operations')],
	['download', require('./checks/download')],
	['generate', require('./checks/generate')],
	['loop', require('./checks/loop')],
	['callback wait', require('./checks/callback-wait')],
	['retry', require('./checks/retry')],
	['bhuman forms', require('./checks/forms')],
	['trigger', require('./checks/trigger')],
	['examples', require('./checks/examples')],
	// these restart n8n: with the concurrency limit (then its own settings), with n8n 3.0's settings
	['concurrency', require('./checks/concurrency')],
	['n8n3', require('./checks/n8n3')],
];

const OWNER = { email: 'e2e-owner@example.com', password: 'E2e-Bhuman-Passw0rd', firstName: 'E2E', lastName: 'Owner' };

function parseLines() {
	const raw = process.env.E2E_LINES || [...supportedLines(), ...(supportedLines().includes(2) ? [QUEUE] : [])].join(',');
	const lines = raw.split(',').map((s) => s.trim()).filter(Boolean).map((s) => (s === QUEUE ? QUEUE : Number(s)));
	for (const l of lines) if (l !== QUEUE && !LINES[l]) throw new Error(`E2E_LINES: unknown n8n line ${l} (1, 2 or queue)`);
	return lines;
}

function hasTrigger() {
	const pkg = JSON.parse(fs.readFileSync(path.join(L.REPO, 'package.json'), 'utf8'));
	return (pkg.n8n?.nodes || []).some((f) => /Trigger/i.test(f));
}

async function runLine(suite, line, { tarball, workRoot, keep }) {
	const spec = LINES[line];
	const label = `n8n ${spec.version}`;
	const dir = path.join(workRoot, `line-${line}`);
	fs.mkdirSync(dir, { recursive: true });
	const check = (name, fn, opts) => suite.check(label, name, fn, opts);
	const ctx = { suite, line, label, dir };
	console.log(`\n--- ${label} (work folder ${dir})`);

	const simOk = await check('simulator starts', async () => {
		ctx.sim = await L.startSimulator({ renderMs: Number(process.env.E2E_SIM_RENDER_MS || 300), logFile: path.join(dir, 'simulator.log'), workDir: dir });
		return ctx.sim.url;
	});
	if (!simOk.ok) return ctx;
	// n8n's public address (WEBHOOK_URL) is a proxy that publishes only its webhook paths, as
	// many deployments do: BHuman's callbacks reach n8n through it, nothing else of n8n does.
	ctx.proxy = await startWebhookProxy();
	(ctx.cleanups ||= []).push(() => ctx.proxy.close());
	const port = await freePort();
	const start = async ({ tarball: packed, logFile, env }) => {
		const webhookUrl = { [line === 1 ? 'WEBHOOK_URL' : 'N8N_WEBHOOK_URL']: `${ctx.proxy.url}/` };
		ctx.n8n = await L.startN8n({ line, tarball: packed, userFolder: path.join(dir, 'user'), logFile, port, env: { ...webhookUrl, ...env } });
		ctx.proxy.target = ctx.n8n.url;
	};
	/**
	 * Stops n8n and starts it again on the same user folder and port (a restart, a deploy); `env`:
	 * settings for the new start only (checks/n8n3.js: n8n 3.0's defaults).
	 */
	ctx.restartN8n = async (env) => {
		const t = Date.now();
		await ctx.n8n.stop();
		await start({ logFile: path.join(dir, `n8n-restart-${Date.now()}.log`), env });
		return Math.round((Date.now() - t) / 1000);
	};
	const up = await check(
		'package tarball installed into <user folder>/.n8n/nodes with npm; n8n starts (/healthz) behind a proxy that publishes only its webhook paths (WEBHOOK_URL)',
		async () => {
			await start({ tarball, logFile: path.join(dir, 'n8n.log') });
			return `${ctx.n8n.url}, up in ${ctx.n8n.startSeconds} s; WEBHOOK_URL ${ctx.proxy.url}/`;
		},
		{ timeoutMs: 300000 },
	);
	if (!up.ok) return ctx;
	ctx.client = new L.N8nClient(ctx.n8n.url, ctx.n8n.install);
	const owner = await check('owner account created (POST /rest/owner/setup) and logged in', async () => {
		await ctx.client.setupOwner(OWNER);
		ctx.client.cookies.clear();
		await ctx.client.login(OWNER);
	});
	if (!owner.ok) return ctx;

	const only = (process.env.E2E_CHECKS || '').split(',').map((g) => g.trim()).filter(Boolean);
	for (const [group, fn] of CHECKS) {
		if (only.length && group !== 'registration' && !only.includes(group)) continue;
		if (group !== 'registration' && !ctx.credential) {
			suite.fail(label, `${group} checks`, new CheckError('not run: no BHuman credential in n8n (see the checks above)'));
			continue;
		}
		if ((group === 'loop' || group === 'trigger') && !hasTrigger()) {
			suite.skip(label, 'loop checks', 'package.json lists no trigger node yet');
			continue;
		}
		try {
			await fn(ctx, check);
		} catch (err) {
			suite.fail(label, `${group} checks (unexpected error)`, err);
		}
	}
	if (keep) {
		console.log(`\n  E2E_KEEP: ${label} stays up at ${ctx.n8n.url} (login ${OWNER.email} / ${OWNER.password}); simulator ${ctx.sim.url}; logs in ${dir}`);
	}
	return ctx;
}

async function main() {
	const started = Date.now();
	const lines = parseLines();
	const keep = process.env.E2E_KEEP === '1';
	const suite = new Suite();
	const workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bhuman-e2e-'));
	console.log(`BHuman e2e: n8n lines ${lines.map(lineName).join(', ')}; cache ${cacheDir()}; work ${workRoot}`);

	let stopping = false;
	const onSignal = async (sig) => {
		if (stopping) return;
		stopping = true;
		suite.silence();
		console.error(`\n${sig}: stopping everything the e2e suite started`);
		await stopAll();
		process.exit(130);
	};
	process.on('SIGINT', () => onSignal('SIGINT'));
	process.on('SIGTERM', () => onSignal('SIGTERM'));
	if (!keep) process.on('exit', killAllSync);

	// Installs of all lines at once (network-bound; a cached line takes no time).
	const installs = {};
	await Promise.all(
		lines.map((line) =>
			suite.check(lineName(line), 'n8n installed (or reused) in the cache', async () => {
				const t = Date.now();
				installs[line] = await ensureN8n(line === QUEUE ? 2 : line);
				const s = Math.round((Date.now() - t) / 1000);
				return s > 5 ? `installed in ${s} s` : 'cached';
			}, { timeoutMs: 20 * 60000 }),
		),
	);

	let tarball;
	await suite.check('package', 'npm run build && npm pack', async () => {
		const packed = await L.buildAndPack(path.join(workRoot, 'pack'), { skipBuild: process.env.E2E_SKIP_BUILD === '1' });
		tarball = packed.tarball;
		return `${path.basename(tarball)} (${packed.files.length} files)`;
	}, { timeoutMs: 300000 });

	const contexts = [];
	if (tarball) {
		for (const line of lines) {
			if (!installs[line]) continue;
			const lineStarted = Date.now();
			const ctx = line === QUEUE ? await require('./queue').runQueueLine(suite, { tarball, workRoot }) : await runLine(suite, line, { tarball, workRoot, keep });
			console.log(`  (${lineName(line)}: ${Math.round((Date.now() - lineStarted) / 1000)} s)`);
			contexts.push(ctx);
			if (!keep) {
				for (const fn of ctx.cleanups || []) await fn().catch(() => {});
				if (ctx.n8n) await ctx.n8n.stop();
				if (ctx.sim) await ctx.sim.stop();
			}
		}
	}

	const counts = suite.report();
	console.log(`(${Math.round((Date.now() - started) / 1000)} s; logs and user folders in ${workRoot})`);
	if (keep) {
		console.log('E2E_KEEP=1: n8n and the simulator keep running; Ctrl-C stops them.');
		await new Promise(() => {});
	}
	await stopAll();
	if (!counts.fail && !process.env.E2E_KEEP_WORK) fs.rmSync(workRoot, { recursive: true, force: true });
	process.exit(counts.fail ? 1 : 0);
}

main().catch(async (err) => {
	console.error(err);
	await stopAll();
	process.exit(1);
});
