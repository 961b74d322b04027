'use strict';
// 6. Callbacks in n8n's queue mode: the callback comparison of scenarios/callbacks.js (1,000
//    callbacks at concurrency 50, BHuman Trigger vs n8n's Webhook node, both ending in the same
//    Set node), POSTed to a webhook processor of a queue-mode n8n 2.x (Postgres 17, Redis,
//    main with production webhooks off, 1 worker at concurrency 10, 1 webhook processor;
//    scripts/lib/queue.js). Executions are run by the worker; the counts come from main's REST API.

const path = require('node:path');
const L = require('../../../scripts/lib/n8n');
const { startQueueCluster } = require('../../../scripts/lib/queue');
const { OWNER } = require('../env');
const callbacks = require('./callbacks');
const { ratio, target, round } = require('../stats');

async function run(env, { reps, count = 1000, concurrency = 50, log }) {
	const timings = {};
	// n8n 2.x takes an expression isolate from a pool (N8N_EXPRESSION_ENGINE_POOL_SIZE, default 1)
	// for the whole webhook phase of every start node other than its own Webhook node
	// (LiveWebhooks.webhookPhaseNeedsIsolate): BENCH_QUEUE_EXPRESSION_POOL sets that pool's size.
	// When the pool is empty n8n starts a fresh isolate for the request (ExpressionEvaluator.acquire),
	// so at concurrency 50 most trigger callbacks pay a cold isolate start.
	// BENCH_QUEUE_LAZY_ISOLATE=1 sets N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE (an isolate only when an
	// expression is evaluated).
	const pool = process.env.BENCH_QUEUE_EXPRESSION_POOL;
	const lazy = process.env.BENCH_QUEUE_LAZY_ISOLATE === '1';
	const extraEnv = { ...(pool ? { N8N_EXPRESSION_ENGINE_POOL_SIZE: pool } : {}), ...(lazy ? { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' } : {}) };
	log('  starting queue mode: Postgres 17, Redis, main, 1 worker (concurrency 10), 1 webhook processor');
	const cluster = await startQueueCluster({ dir: path.join(env.workDir, 'queue'), tarball: env.tarball, workers: 1, webhooks: 1, concurrency: 10, timings, env: extraEnv });
	try {
		const client = new L.N8nClient(cluster.main.url, cluster.install);
		await client.setupOwner(OWNER);
		client.cookies.clear();
		await client.login(OWNER);
		const webhook = cluster.webhooks[0];
		// callbacks.js POSTs to env.n8n.url and samples env.n8n.proc's memory: the webhook processor
		const qenv = { client, sim: env.sim, n8n: { url: webhook.url, proc: webhook.proc } };
		const out = await callbacks.run(qenv, { reps, count, concurrency, log });
		out.setup = { postgres: cluster.pg.version, redis: cluster.redis.version, workers: 1, workerConcurrency: 10, webhookProcessors: 1, expressionPoolSize: pool ? Number(pool) : '1 (n8n default)', lazyIsolate: lazy, startSeconds: timings };
		out.completedRatio = round(ratio(out.trigger.medianCompletedPerSec, out.webhook.medianCompletedPerSec), 3);
		const n = count.toLocaleString('en-US');
		out.targets = [
			target(`queue mode: BHuman Trigger accepts ≥ 0.9× the Webhook node's rate through the webhook processor (${n} at concurrency ${concurrency})`, out.ratio, '>=', 0.9, { unit: '×', id: 'queue.callbacks.rate' }),
			target(`queue mode: BHuman Trigger's executions complete (on the worker) at ≥ 0.9× the Webhook node's rate`, out.completedRatio, '>=', 0.9, { unit: '×', id: 'queue.callbacks.completed' }),
			target(`queue mode: 0 callbacks lost by the BHuman Trigger (${out.trigger.totalSent.toLocaleString('en-US')} sent over ${reps} runs)`, out.trigger.totalLost, '==', 0, { unit: 'callbacks', id: 'queue.callbacks.lost' }),
		];
		return out;
	} finally {
		await cluster.stop();
	}
}

module.exports = { run };
