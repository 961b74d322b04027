'use strict';
// 6. Callbacks in n8n's queue mode: the callback comparison of scenarios/callbacks.js (1,000
//    callbacks at concurrency 50, BHuman Trigger vs n8n's Webhook node, both ending in the same
//    Set node), POSTed to a webhook processor of a queue-mode n8n 2.x (Postgres 17, Redis,
//    main with production webhooks off, 1 worker at concurrency 10, 1 webhook processor;
//    scripts/lib/queue.js). Executions are run by the worker; the counts come from main's REST API.
//
// Two configurations, each on a fresh cluster:
// - n8n's defaults. n8n 2.x takes an expression isolate for the whole webhook phase of every
//   start node other than its own Webhook node (LiveWebhooks.webhookPhaseNeedsIsolate); its pool
//   holds 1 (N8N_EXPRESSION_ENGINE_POOL_SIZE), so at concurrency 50 nearly every callback starts a
//   fresh isolate (ExpressionEvaluator.acquire) and disposes it after. A third receiver, n8n's own
//   Webhook node with one expression in its options, pays the same: the control.
// - N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true, the setting the README gives queue-mode users: an
//   isolate only once an expression is evaluated (the trigger's parameters are plain values).
// BENCH_QUEUE_CONFIGS picks them (defaults,lazy); BENCH_QUEUE_EXPRESSION_POOL sets the pool size.

const path = require('node:path');
const { startQueueCluster } = require('../../../scripts/lib/queue');
const { ownerClient } = require('../env');
const callbacks = require('./callbacks');
const { target } = require('../stats');

const CONFIGS = {
	defaults: { label: "n8n's defaults", env: {}, control: true },
	lazy: { label: 'N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true', env: { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' }, control: false },
};

async function runConfig(env, name, { reps, count, concurrency, log }) {
	const config = CONFIGS[name];
	const pool = process.env.BENCH_QUEUE_EXPRESSION_POOL;
	const extraEnv = { ...config.env, ...(pool ? { N8N_EXPRESSION_ENGINE_POOL_SIZE: pool } : {}) };
	const timings = {};
	log(`  ${config.label}: starting queue mode: Postgres 17, Redis, main, 1 worker (concurrency 10), 1 webhook processor`);
	const cluster = await startQueueCluster({ dir: path.join(env.workDir, `queue-${name}`), tarball: env.tarball, workers: 1, webhooks: 1, concurrency: 10, timings, env: extraEnv });
	try {
		const client = await ownerClient(cluster.main.url, cluster.install);
		const webhook = cluster.webhooks[0];
		// callbacks.js POSTs to env.n8n.url and samples env.n8n.proc's memory: the webhook processor
		const qenv = { client, sim: env.sim, n8n: { url: webhook.url, proc: webhook.proc } };
		// BENCH_QUEUE_IGNORE_REPEATS=0: the trigger without its repeat memory (no static data save
		// per callback), to apportion its cost. BENCH_QUEUE_CONTROL=0 leaves the control out.
		const ignoreRepeats = process.env.BENCH_QUEUE_IGNORE_REPEATS !== '0';
		const control = config.control && process.env.BENCH_QUEUE_CONTROL !== '0';
		const out = await callbacks.run(qenv, { reps, count, concurrency, log: (m) => log(`  [${name}]${m}`), control, ignoreRepeats });
		out.label = config.label;
		delete out.targets; // section 3's; this section's are computed over both configurations
		out.setup = { postgres: cluster.pg.version, redis: cluster.redis.version, workers: 1, workerConcurrency: 10, webhookProcessors: 1, expressionPoolSize: pool ? Number(pool) : '1 (n8n default)', env: extraEnv, startSeconds: timings };
		return out;
	} finally {
		await cluster.stop();
	}
}

async function run(env, { reps, count = 1000, concurrency = 50, log }) {
	const names = (process.env.BENCH_QUEUE_CONFIGS || 'defaults,lazy').split(',').map((x) => x.trim()).filter(Boolean);
	for (const n of names) if (!CONFIGS[n]) throw new Error(`BENCH_QUEUE_CONFIGS: unknown configuration ${n} (${Object.keys(CONFIGS).join(', ')})`);
	const configs = {};
	for (const name of names) configs[name] = await runConfig(env, name, { reps, count, concurrency, log });
	const n = count.toLocaleString('en-US');
	const targets = [];
	const { lazy, defaults } = configs;
	if (lazy) {
		targets.push(
			target(`queue mode, ${CONFIGS.lazy.label}: BHuman Trigger accepts ≥ 0.9× the Webhook node's rate through the webhook processor (${n} at concurrency ${concurrency})`, lazy.ratio, '>=', 0.9, { unit: '×', id: 'queue.callbacks.rate' }),
			target(`queue mode, ${CONFIGS.lazy.label}: BHuman Trigger's executions complete (on the worker) at ≥ 0.9× the Webhook node's rate`, lazy.completedRatio, '>=', 0.9, { unit: '×', id: 'queue.callbacks.completed' }),
		);
	}
	if (defaults) {
		targets.push(
			target(`queue mode, ${CONFIGS.defaults.label}: BHuman Trigger accepts ≥ 0.9× the Webhook node's rate`, defaults.ratio, '>=', 0.9, { unit: '×', id: 'queue.callbacks.defaults.rate' }),
			target(`queue mode, ${CONFIGS.defaults.label}: BHuman Trigger's executions complete at ≥ 0.9× the Webhook node's rate`, defaults.completedRatio, '>=', 0.9, { unit: '×', id: 'queue.callbacks.defaults.completed' }),
		);
		if (defaults.webhookExpression) {
			targets.push(
				target(`queue mode, ${CONFIGS.defaults.label}: BHuman Trigger accepts ≥ 0.9× the control (n8n's Webhook node with one expression, which takes an isolate too)`, defaults.controlRatio, '>=', 0.9, { unit: '×', id: 'queue.callbacks.control.rate' }),
				target(`queue mode, ${CONFIGS.defaults.label}: BHuman Trigger's executions complete at ≥ 0.9× the control's`, defaults.controlCompletedRatio, '>=', 0.9, { unit: '×', id: 'queue.callbacks.control.completed' }),
			);
		}
	}
	const all = Object.values(configs);
	const sent = all.reduce((s, c) => s + c.trigger.totalSent, 0);
	const lost = all.reduce((s, c) => s + c.trigger.totalLost, 0);
	targets.push(target(`queue mode: 0 callbacks lost by the BHuman Trigger (${sent.toLocaleString('en-US')} sent over ${reps} runs in each configuration)`, lost, '==', 0, { unit: 'callbacks', id: 'queue.callbacks.lost' }));
	return { count, concurrency, reps, configs, targets };
}

module.exports = { run };
