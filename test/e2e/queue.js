'use strict';
// The `queue` line of `npm run test:e2e`: the package in n8n 2.40.7's queue mode, as users who
// scale out run it. Postgres 17 + Redis + main (production webhooks off) + 1 worker
// (concurrency 10) + 2 webhook processors, all started here on free loopback ports
// (scripts/lib/queue.js). It runs the same registration, operations, download and loop checks
// as the other lines with every production call going to a webhook processor, proves each
// execution ran on the worker, bursts callbacks delivered twice through both webhook
// processors (and, side by side, through a single n8n process), waits for BHuman's callbacks in
// more executions than the worker has slots and restarts every n8n process while they wait, and
// SIGKILLs the worker in the middle of a Wait for Completion run.
//
// Knobs: E2E_QUEUE_BURST (rows of the burst, default 300; 2000 for the figure in the README),
// E2E_QUEUE_SINGLE=0 (skip the single-process comparison), E2E_CHECKS=<group>,… (only these
// groups: operations, download, loop, bhuman forms, retry, n8n3, queue wait, queue burst,
// queue crash;
// registration always runs).

const fs = require('node:fs');
const path = require('node:path');
const { startQueueCluster, workerExecutions } = require('../../scripts/lib/queue');
const L = require('../../scripts/lib/n8n');
const { CheckError } = require('./lib/harness');
const burst = require('./checks/queue-burst');
const crash = require('./checks/queue-crash');
const wait = require('./checks/queue-wait');
const { startWebhookProxy } = require('./lib/webhook-proxy');

const CHECKS = [
	['registration', require('./checks/registration')],
	['operations', require('./checks/operations')],
	['download', require('./checks/download')],
	['loop', require('./checks/loop')],
	['bhuman forms', require('./checks/forms')],
	['retry', require('./checks/retry')],
	// n8n 3.0's manual runs on workers (before the check that every execution ran on the worker)
	['n8n3', require('./checks/n8n3-queue')],
];

const OWNER = { email: 'e2e-owner@example.com', password: 'E2e-Bhuman-Passw0rd', firstName: 'E2E', lastName: 'Owner' };
const LABEL = 'n8n 2.40.7 queue mode';

/** The REST client on main; production webhooks go to a webhook processor. */
class QueueClient extends L.N8nClient {
	constructor(mainUrl, install, webhookUrl) {
		super(mainUrl, install);
		this.webhookUrl = webhookUrl;
	}

	callWebhook(pathOrUrl, opts) {
		const url = /^https?:/.test(pathOrUrl) ? pathOrUrl : `${this.webhookUrl}/webhook/${pathOrUrl.replace(/^\/+/, '')}`;
		return super.callWebhook(url, opts);
	}
}

/** Owner, login, credential (through the registration checks), ready for workflows. */
async function prepare(ctx, check, { registration = true } = {}) {
	const { client } = ctx;
	const owner = await check('owner account created and logged in', async () => {
		await client.setupOwner(OWNER);
		client.cookies.clear();
		await client.login(OWNER);
	});
	if (!owner.ok) return false;
	if (registration) await require('./checks/registration')(ctx, check);
	return Boolean(ctx.credential);
}

/** E2E_CHECKS: the groups to run (all when unset). */
function wanted(group) {
	const only = (process.env.E2E_CHECKS || '').split(',').map((g) => g.trim()).filter(Boolean);
	return !only.length || only.includes(group);
}

async function runQueueLine(suite, { tarball, workRoot }) {
	const dir = path.join(workRoot, 'line-queue');
	fs.mkdirSync(dir, { recursive: true });
	const check = (name, fn, opts) => suite.check(LABEL, name, fn, opts);
	const ctx = { suite, line: 'queue', label: LABEL, dir, cleanups: [], phases: {} };
	const phase = async (name, fn) => {
		const t = Date.now();
		try {
			return await fn();
		} finally {
			ctx.phases[name] = Math.round((Date.now() - t) / 1000);
		}
	};
	console.log(`\n--- ${LABEL} (work folder ${dir})`);

	const up = await phase('setup', async () => {
		const simOk = await check('simulator starts', async () => {
			ctx.sim = await L.startSimulator({ renderMs: Number(process.env.E2E_SIM_RENDER_MS || 300), logFile: path.join(dir, 'simulator.log'), workDir: dir });
			ctx.cleanups.push(() => ctx.sim.stop());
			return ctx.sim.url;
		});
		if (!simOk.ok) return false;
		const timings = {};
		// The public address (WEBHOOK_URL) is a proxy that publishes only n8n's webhook paths, in
		// front of the first webhook processor.
		ctx.proxy = await startWebhookProxy();
		ctx.cleanups.push(() => ctx.proxy.close());
		const started = await check(
			'Postgres 17 + Redis + n8n main (production webhooks off) + worker (concurrency 10) + 2 webhook processors start; the package installed in the shared user folder',
			async () => {
				ctx.cluster = await startQueueCluster({
					dir,
					tarball,
					workers: 1,
					webhooks: 2,
					concurrency: 10,
					timings,
					webhookBase: ctx.proxy.url,
					// shorter Bull locks and queue recovery, so the worker-crash check sees n8n's handling
					// in under a minute. A 10 s lock was too short on a busy machine: a starved worker
					// missed its renewals and n8n marked 10 of 3,932 burst executions crashed.
					env: {
						QUEUE_WORKER_LOCK_DURATION: '30000',
						QUEUE_WORKER_LOCK_RENEW_TIME: '5000',
						QUEUE_WORKER_STALLED_INTERVAL: '10000',
						N8N_EXECUTIONS_QUEUE_RECOVERY_INTERVAL: '0.25',
					},
				});
				ctx.cleanups.push(() => ctx.cluster.stop());
				const c = ctx.cluster;
				ctx.proxy.target = c.webhookUrls[0];
				return `Postgres ${c.pg.version}, Redis ${c.redis.version}; ${Object.entries(timings).map(([k, v]) => `${k} ${v} s`).join(', ')}`;
			},
			{ timeoutMs: 600000 },
		);
		if (!started.ok) return false;
		const c = ctx.cluster;
		ctx.client = new QueueClient(c.main.url, c.install, c.webhookUrls[0]);
		// registration reads main's log and serves icons from main; the checks after it call
		// production webhooks, which only the webhook processors answer
		ctx.n8n = { ...c.main, logFile: c.main.logFile };
		return true;
	});
	if (!up) return ctx;

	await phase('functional checks', async () => {
		if (!(await prepare(ctx, check))) return;
		ctx.n8n = { ...ctx.cluster.main, url: ctx.cluster.webhookUrls[0] };
		for (const [group, fn] of CHECKS.slice(1)) {
			if (!wanted(group)) continue;
			try {
				await fn(ctx, check);
			} catch (err) {
				suite.fail(LABEL, `${group} checks (unexpected error)`, err);
			}
		}
		await check('every execution so far ran on the worker (its log names each one, or the parent a sub-workflow ran inside; main and the webhook processors ran none)', async () => {
			const listed = await ctx.client.listExecutions(undefined, { limit: 500 });
			const onWorker = workerExecutions(ctx.cluster);
			// A sub-workflow (mode integrated) runs inside its parent's job: on the worker if that did.
			const inParent = new Set();
			for (const e of listed.filter((x) => x.mode === 'integrated' && !onWorker.has(String(x.id)))) {
				const parent = (await ctx.client.getExecution(e.id)).data?.parentExecution?.executionId;
				if (parent !== undefined && onWorker.has(String(parent))) inParent.add(String(e.id));
			}
			const elsewhere = listed.filter((e) => !onWorker.has(String(e.id)) && !inParent.has(String(e.id)));
			if (!listed.length) throw new CheckError('no executions to check');
			if (elsewhere.length) throw new CheckError(`${elsewhere.length} of ${listed.length} executions are not in the worker's log: ${elsewhere.slice(0, 10).map((e) => e.id).join(', ')}`);
			for (const p of [ctx.cluster.main, ...ctx.cluster.webhooks]) {
				if (/Worker started execution/.test(fs.readFileSync(p.logFile, 'utf8'))) throw new CheckError(`${p.name} ran an execution`);
			}
			return `${listed.length} executions, all "Worker started execution N" in the worker's log${inParent.size ? ` (${inParent.size} sub-workflow runs inside a parent's job there)` : ''}`;
		});
	});

	if (ctx.credential) {
		if (wanted('queue wait')) await phase('waiting executions (queue mode)', () => wait(ctx, check));
		if (wanted('queue burst')) await phase('burst (queue mode)', () => burst.queueBurst(ctx, check));
		if (wanted('queue crash')) await phase('worker crash', () => crash(ctx, check));
	}
	await phase('stop queue mode', async () => {
		for (const fn of ctx.cleanups.splice(0).reverse()) await fn().catch(() => {});
	});
	if (ctx.credential && process.env.E2E_QUEUE_SINGLE !== '0' && wanted('queue burst')) {
		await phase('burst (single process)', () => burst.singleBurst(ctx, check, { tarball, prepare, OWNER }));
		for (const fn of ctx.cleanups.splice(0).reverse()) await fn().catch(() => {});
	}
	burst.printFigures(ctx);
	console.log(`  queue line phases: ${Object.entries(ctx.phases).map(([k, v]) => `${k} ${v} s`).join(', ')}`);
	return ctx;
}

module.exports = { runQueueLine, QueueClient, LABEL };
