'use strict';
// A burst like a real batch: Generate N rows with the trigger's URL as Callback URL; the
// simulator renders and calls back; a relay (lib/relay.js) in front of n8n delivers every
// callback twice, the copy 0.5–5 s after the first, alternating between the webhook processors
// (so a repeat lands on the other one). The trigger workflow's last node POSTs the id to a sink.
// Figures: callbacks answered 2xx, executions started, unique ids (must be N), duplicates.
// The same burst runs on a single n8n process (SQLite, regular mode) for the side-by-side row.

const path = require('node:path');
const { randomUUID } = require('node:crypto');
const L = require('../../../scripts/lib/n8n');
const { rl, codeNode, operationWorkflow, chain, TYPES } = require('../lib/workflows');
const { CheckError, expect, runWebhookWorkflow } = require('../lib/harness');
const { startRelay, startSink, burstFigures } = require('../lib/relay');

const TOKEN = 'e2e-burst-token-7c21';
const ROWS = () => Number(process.env.E2E_QUEUE_BURST || 300);
const GUARD_ROWS = () => Number(process.env.E2E_QUEUE_GUARD_BURST || ROWS());

/**
 * BHuman Trigger → HTTP Request POST {id, event, execution} to the sink. With `guard` (a
 * Postgres credential), the README's idempotent last step comes first: a Postgres node inserts
 * "<event>:<id>" into a table with a unique key (ON CONFLICT DO NOTHING RETURNING key) and a Code
 * node lets through only the items it inserted, so a repeated delivery that started an execution
 * stops there. The database decides, atomically, whichever n8n process runs the execution.
 */
function sinkTriggerWorkflow(name, sinkUrl, { guard } = {}) {
	const trigger = {
		id: randomUUID(),
		name: 'BHuman Trigger',
		type: TYPES.trigger,
		typeVersion: 1.1,
		position: [0, 0],
		webhookId: randomUUID(),
		parameters: { events: ['video.succeeded', 'video.failed'], token: TOKEN, verify: false, ignoreRepeats: true },
	};
	const post = {
		id: randomUUID(),
		name: 'Record',
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		position: [220, 0],
		parameters: {
			method: 'POST',
			url: sinkUrl,
			sendBody: true,
			specifyBody: 'json',
			jsonBody: '={{ JSON.stringify({ id: $json.id, event: $json.event, execution: $execution.id }) }}',
			options: {},
		},
	};
	const nodes = [trigger];
	if (guard) {
		nodes.push({
			id: randomUUID(),
			name: 'Claim delivery',
			type: 'n8n-nodes-base.postgres',
			typeVersion: 2.5,
			position: [0, 0],
			parameters: {
				operation: 'executeQuery',
				// the Postgres node's output replaces the trigger's item: the id and event come back with it
				query: `INSERT INTO ${GUARD_TABLE} (key) VALUES ($1) ON CONFLICT DO NOTHING RETURNING key, split_part(key, ':', 1) AS event, split_part(key, ':', 2) AS id`,
				options: { queryReplacement: "={{ $json.event + ':' + $json.id }}" },
			},
			credentials: { postgres: { id: guard.id, name: guard.name } },
		});
		nodes.push(codeNodeRaw('Only first delivery', 'return $input.all().filter((item) => item.json.key);'));
	}
	nodes.push(post);
	return { workflow: chain(name, nodes), webhookId: trigger.webhookId };
}

const GUARD_TABLE = 'bhuman_deliveries';

function codeNodeRaw(name, jsCode) {
	return { id: randomUUID(), name, type: 'n8n-nodes-base.code', typeVersion: 2, position: [0, 0], parameters: { jsCode } };
}

async function executionCount(client, workflowId, status) {
	const filter = encodeURIComponent(JSON.stringify({ workflowId, ...(status ? { status } : {}) }));
	const out = await client.request('GET', `/rest/executions?filter=${filter}&limit=1`);
	return typeof out.count === 'number' ? out.count : (out.results || out).length;
}

/**
 * Of the generations that reached no last step, those whose callback n8n recorded in an execution
 * it then marked crashed. n8n's queue recovery (on main) marks crashed every execution in the
 * database whose job it does not find in Redis, and a webhook processor creates the execution
 * before it enqueues the job: a check that falls between the two crashes an execution no worker
 * has seen (seen here once: created 00:34:00.697, crashed 200 ms later, its job enqueued after).
 * The suite runs that check every 15 s (N8N_EXECUTIONS_QUEUE_RECOVERY_INTERVAL, for the
 * worker-crash check); n8n's default is 3 minutes. Such an execution holds the callback and is
 * listed as crashed: recorded, not lost.
 */
async function crashedWith(client, workflowId, ids) {
	if (!ids.length) return [];
	const filter = encodeURIComponent(JSON.stringify({ workflowId, status: ['crashed'] }));
	const out = await client.request('GET', `/rest/executions?filter=${filter}&limit=100`);
	const found = new Set();
	for (const e of out.results || out) {
		const full = await client.request('GET', `/rest/executions/${e.id}`);
		const text = JSON.stringify(full);
		for (const id of ids) if (text.includes(id)) found.add(id);
	}
	return [...found];
}

/**
 * One burst through `targets` (webhook base URLs); returns the figures. The generate workflow
 * is called through the client's production webhook route.
 */
async function runBurst({ client, sim, credential, targets, rows, name, guard }) {
	const sink = await startSink();
	const relay = await startRelay({ targets, duplicateMs: [500, 5000] });
	try {
		const t = sinkTriggerWorkflow(`e2e burst trigger (${name})`, sink.url, { guard });
		const trig = await client.createWorkflow(t.workflow);
		await client.activateWorkflow(trig.id, trig.versionId);
		const data = await sim.data();
		const list = Array.from({ length: rows }, (_, i) => ({ name: `Row ${i}`, company: `Co ${i % 97}` }));
		const gen = operationWorkflow(
			`e2e burst generate (${name})`,
			{
				resource: 'video',
				operation: 'generate',
				videoInstanceId: rl(data.videoInstances[0].id),
				inputMode: 'mapping',
				variables: { variable: [{ name: 'name', value: '={{ $json.name }}' }, { name: 'company', value: '={{ $json.company }}' }] },
				callbackUrl: `${relay.url}/webhook/${t.webhookId}/bhuman?token=${TOKEN}`,
			},
			credential,
			{ prefix: [codeNode(list)] },
		);
		const started = Date.now();
		const { output } = await runWebhookWorkflow(client, gen, { timeoutMs: 600000 });
		const ids = (Array.isArray(output) ? output : [output]).map((o) => o.id);
		expect(ids.length === rows && ids.every((id) => typeof id === 'string'), `generate returned ${ids.length} ids for ${rows} rows`);
		const generatedSeconds = (Date.now() - started) / 1000;
		// every first delivery, then every copy, then the executions they started: settled when
		// none is queued or running and neither the sink nor n8n's count moved for 4 s. Under load
		// a 2,000-row burst takes many minutes: the deadline grows with the rows.
		const deadline = Date.now() + 300000 + rows * 1000;
		while (relay.stats.first.length < rows) {
			if (Date.now() > deadline) throw new CheckError(`only ${relay.stats.first.length} of ${rows} callbacks arrived`);
			await L.sleep(500);
		}
		await relay.drain();
		let last = '';
		let stable = 0;
		while (stable < 4) {
			if (Date.now() > deadline) throw new CheckError(`executions still queued or running at the deadline (${last})`);
			const unfinished = await executionCount(client, trig.id, ['new', 'running']);
			const now = `${sink.hits.length} at the sink, ${await executionCount(client, trig.id)} executions, ${unfinished} unfinished`;
			stable = now === last && unfinished === 0 ? stable + 1 : 0;
			last = now;
			await L.sleep(1000);
		}
		const figures = burstFigures({ relay, sink, expectedIds: ids });
		figures.executionsInN8n = await executionCount(client, trig.id);
		figures.crashedByN8n = await crashedWith(client, trig.id, figures.missing);
		figures.duplicatesStarted = figures.executionsInN8n - figures.uniqueIds;
		figures.rows = rows;
		figures.seconds = Math.round((Date.now() - started) / 100) / 10;
		figures.generatedSeconds = Math.round(generatedSeconds * 10) / 10;
		figures.perTarget = targets.map((_, i) => relay.stats.first.filter((s) => s.target === i).length + relay.stats.copy.filter((s) => s.target === i).length);
		return figures;
	} finally {
		await relay.close();
		await sink.close();
	}
}

function describe(f) {
	const pct = (n) => `${((100 * n) / f.rows).toFixed(1)}% of the ${f.rows} repeats`;
	const refused = f.answered2xx < f.callbacks ? ` (n8n answered ${[...new Set(f.notAnswered2xx)].join(', ')} to the others)` : '';
	const crashed = f.crashedByN8n.length ? `, ${f.crashedByN8n.length} recorded in an execution n8n's queue recovery marked crashed before a worker took it (${f.crashedByN8n.join(', ')})` : '';
	return `${f.rows} rows in ${f.seconds} s: ${f.answered2xx}/${f.callbacks} callbacks answered 2xx${refused}, ${f.executionsInN8n} executions, ${f.uniqueIds} unique ids at the last step${crashed}, ${f.duplicatesStarted} duplicates started (${pct(f.duplicatesStarted)}), ${f.duplicates} reached the last step`;
}

/**
 * The burst's assertion: every generation started (nothing lost). n8n itself answers an occasional
 * callback 500 when its database is slow on this 2-core machine (seen once in three clean-clone
 * runs, 1 of 600, its copy accepted): such answers are counted in the figures and printed, and the
 * check fails only when a generation has no execution, i.e. both of its copies were refused.
 */
function assertBurst(f) {
	const lost = f.missing.filter((id) => !f.crashedByN8n.includes(id));
	expect(lost.length === 0, `${lost.length} of ${f.rows} generations started no execution (lost): ${lost.slice(0, 5).join(', ')}; ${f.callbacks - f.answered2xx} callbacks not answered 2xx: ${[...new Set(f.notAnswered2xx)].join(', ')}`);
}

async function queueBurst(ctx, check) {
	const rows = ROWS();
	ctx.figures = ctx.figures || {};
	await check(`burst: ${rows} rows, every callback delivered twice (copy 0.5–5 s later), alternating between 2 webhook processors: all ${rows} generations started`, async () => {
		const f = await runBurst({ client: ctx.client, sim: ctx.sim, credential: ctx.credential, targets: ctx.cluster.webhookUrls, rows, name: 'queue' });
		ctx.figures.queue = f;
		assertBurst(f);
		return describe(f) + `; per webhook processor ${f.perTarget.join(' / ')}`;
	}, { timeoutMs: 420000 + rows * 1200 });
	const guardRows = GUARD_ROWS();
	await check(`burst with the idempotent last step (Postgres INSERT … ON CONFLICT DO NOTHING before it): ${guardRows} rows, each delivered twice across 2 webhook processors: the last step runs exactly once per generation`, async () => {
		const { sqlClient } = require('../../../scripts/lib/queue');
		const db = await sqlClient(ctx.cluster.install, ctx.cluster.pg);
		try {
			await db.query(`CREATE TABLE IF NOT EXISTS ${GUARD_TABLE} (key text PRIMARY KEY, at timestamptz DEFAULT now())`);
		} finally {
			await db.end();
		}
		const { pg } = ctx.cluster;
		const guard = await ctx.client.createCredential({ name: 'Deliveries database', type: 'postgres', data: { host: '127.0.0.1', port: pg.port, database: pg.database, user: pg.user, password: '', ssl: 'disable' } });
		const f = await runBurst({ client: ctx.client, sim: ctx.sim, credential: ctx.credential, targets: ctx.cluster.webhookUrls, rows: guardRows, name: 'queue, idempotent last step', guard });
		ctx.figures.guarded = f;
		assertBurst(f);
		expect(f.duplicates === 0, `${f.duplicates} repeated deliveries reached the last step past the Postgres claim`);
		return describe(f);
	}, { timeoutMs: 420000 + rows * 1200 });
}

/** The same burst on one n8n 2.40.7 process in regular mode (SQLite), with a fresh simulator. */
async function singleBurst(ctx, check, { tarball, OWNER }) {
	const rows = ROWS();
	const dir = path.join(ctx.dir, 'single');
	const s = {};
	require('node:fs').mkdirSync(dir, { recursive: true });
	const up = await check('single n8n process (regular mode, SQLite) for the comparison starts', async () => {
		s.sim = await L.startSimulator({ renderMs: Number(process.env.E2E_SIM_RENDER_MS || 300), logFile: path.join(dir, 'simulator.log'), workDir: ctx.dir });
		ctx.cleanups.push(() => s.sim.stop());
		s.n8n = await L.startN8n({ line: 2, tarball, userFolder: path.join(dir, 'user'), logFile: path.join(dir, 'n8n.log') });
		ctx.cleanups.push(() => s.n8n.stop());
		s.client = new L.N8nClient(s.n8n.url, s.n8n.install);
		await s.client.setupOwner(OWNER);
		s.client.cookies.clear();
		await s.client.login(OWNER);
		s.credential = await s.client.createCredential({ name: 'BHuman (simulator)', type: 'bhumanApi', data: { apiKeyId: s.sim.keyId, apiKeySecret: s.sim.keySecret, baseUrl: s.sim.url } });
		return `${s.n8n.url}, up in ${s.n8n.startSeconds} s`;
	}, { timeoutMs: 300000 });
	if (!up.ok) return;
	await check(`burst on a single n8n process: ${rows} rows, every callback delivered twice (copy 0.5–5 s later): all ${rows} generations started`, async () => {
		const f = await runBurst({ client: s.client, sim: s.sim, credential: s.credential, targets: [s.n8n.url], rows, name: 'single' });
		ctx.figures.single = f;
		assertBurst(f);
		return describe(f);
	}, { timeoutMs: 420000 + rows * 1200 });
}

function printFigures(ctx) {
	const f = ctx.figures || {};
	if (!f.queue && !f.single) return;
	const row = (name, x) => (x ? `  | ${name} | ${x.rows} | ${x.answered2xx}/${x.callbacks} | ${x.executionsInN8n} | ${x.uniqueIds} | ${x.duplicatesStarted} | ${x.duplicates} | ${x.seconds} s |` : `  | ${name} | not run | | | | | | |`);
	console.log('\n  burst, every callback delivered twice (copy 0.5–5 s later):');
	console.log('  | setup | rows | answered 2xx | executions | unique ids | duplicates started | duplicates at the last step | time |');
	console.log('  |---|---|---|---|---|---|---|---|');
	console.log(row('queue mode, 2 webhook processors (alternating), 1 worker', f.queue));
	console.log(row('queue mode, idempotent last step (Postgres claim)', f.guarded));
	console.log(row('single n8n process (regular mode)', f.single));
}

module.exports = { queueBurst, singleBurst, printFigures, runBurst, sinkTriggerWorkflow };
