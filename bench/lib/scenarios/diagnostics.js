'use strict';
// Where the time goes, measured with a CPU profile of n8n (never in the timed runs):
//  - Generate at the largest N: the BHuman node's CPU time split into n8n's per-item
//    expression evaluation, other parameter reads, the HTTP request, and the node's own code;
//  - callbacks: n8n's CPU time per callback for the BHuman Trigger and the Webhook node,
//    with the parts of n8n's webhook handling that differ between them.

const F = require('../flows');
const { deploy, runWorkflow } = require('../measure');
const { profileWhile, breakdown } = require('../profile');
const { post, callbackBody, countExecutions, waitExecutions, TOKEN } = require('./callbacks');
const { round } = require('../stats');

async function generateProfile(env, { n, log }) {
	const d = await deploy(env.client, F.generateA({ n, instanceId: env.instanceId, credential: env.credential }));
	const { result, profile } = await profileWhile(env, `generate-A-${n}`, () => runWorkflow(env, d));
	const node = result.nodes['BHuman Generate'] || {};
	const b = breakdown(profile, /^executeGenerate .*n8n-nodes-bhuman\//, [
		{ name: "n8n's expression evaluation ({{ $json.… }} per item)", match: /^renderExpression n8n-workflow\// },
		{ name: "n8n's other parameter reads (getNodeParameter: lookups, validation)", match: /^_?getNodeParameter n8n-core\// },
		{ name: 'HTTP request to BHuman (bhumanApiRequest)', match: /^bhumanApiRequest .*n8n-nodes-bhuman\// },
	]);
	const out = {
		n,
		profiledNodeWallMs: node.ms,
		nodeCpuMs: b.totalMs,
		parts: Object.entries(b.byCategory).map(([name, ms]) => ({ name, ms, share: round(ms / b.totalMs, 3), usPerRow: round((ms * 1000) / n, 1) })),
	};
	out.parts.push({ name: "the node's own code (rows, batches, output items)", ms: b.otherMs, share: round(b.otherMs / b.totalMs, 3), usPerRow: round((b.otherMs * 1000) / n, 1) });
	delete result.execution;
	log(`  profiled A at ${n} rows: node ${node.ms} ms wall (profiler on), ${b.totalMs} ms CPU; ${out.parts.map((p) => `${p.name.split(' (')[0]} ${Math.round(p.share * 100)}%`).join(', ')}`);
	return out;
}

async function callbackProfile(env, kind, { count, concurrency, log }) {
	const built = kind === 'trigger' ? F.callbackTrigger({ token: TOKEN }) : F.callbackWebhook();
	const d = await deploy(env.client, built);
	const url = `${env.n8n.url}/webhook/${d.webhookPath}${kind === 'trigger' ? `?token=${TOKEN}` : ''}`;
	const before = { success: await countExecutions(env.client, d.id, 'success') };
	const bodies = Array.from({ length: count }, () => callbackBody(env.sim.url));
	const { profile } = await profileWhile(env, `callbacks-${kind}`, async () => {
		await post(url, bodies, concurrency);
		return waitExecutions(env.client, d.id, before, count);
	});
	const per = (ms) => round(ms / count, 2);
	const handling = breakdown(profile, /^executeWebhook n8n\/dist\/webhooks\/webhook-helpers/, [
		{ name: "n8n's request body step (for a typeVersion 1 start node: one expression through the expression engine)", match: /^parseRequestBody n8n\// },
		{ name: 'token check (checkToken: two SHA-256 digests)', match: /^checkToken .*n8n-nodes-bhuman\// },
		{ name: "the receiving node's webhook() (other)", match: /^webhook .*(n8n-nodes-bhuman|n8n-nodes-base)\// },
		{ name: 'execution start (WorkflowRunner.run: DB insert, queueing)', match: /^run n8n\/dist\/workflow-runner/ },
	]);
	const exec = breakdown(profile, /workflow-execute\.js/, [
		{ name: 'Set node', match: /SetV2\.node|manual\.mode/ },
	]);
	const out = {
		kind,
		callbacks: count,
		cpuMsPerCallback: per(handling.busyMs),
		webhookHandlingMsPerCallback: per(handling.totalMs),
		parts: Object.entries(handling.byCategory).map(([name, ms]) => ({ name, msPerCallback: per(ms) })),
		otherWebhookHandlingMsPerCallback: per(handling.otherMs),
		executionMsPerCallback: per(exec.totalMs),
	};
	log(`  profiled ${count} callbacks to the ${kind}: ${out.cpuMsPerCallback} ms CPU per callback in n8n, webhook handling ${out.webhookHandlingMsPerCallback} ms (${out.parts.filter((p) => p.msPerCallback > 0).map((p) => `${p.name.split(' (')[0]} ${p.msPerCallback}`).join(', ')})`);
	return out;
}

/**
 * Timed (not profiled) variants that isolate what the profile points at: the Webhook node
 * as typeVersion 1 (n8n evaluates an expression in its request-body step for typeVersion 1
 * start nodes, as for the trigger's version 1; new trigger nodes get 1.1), and the trigger without its
 * repeated-delivery memory (no static data write per callback).
 */
async function callbackVariants(env, { count, concurrency, log }) {
	const v1 = F.callbackWebhook();
	v1.workflow.nodes[0].typeVersion = 1;
	v1.workflow.name += ' (Webhook node typeVersion 1)';
	const variants = [
		['Webhook node (typeVersion 2, as above)', F.callbackWebhook(), false],
		['Webhook node as typeVersion 1', v1, false],
		['BHuman Trigger (defaults, as above)', F.callbackTrigger({ token: TOKEN }), true],
		['BHuman Trigger, Ignore Repeated Deliveries off', F.callbackTrigger({ token: TOKEN, ignoreRepeats: false }), true],
	];
	const out = [];
	for (const [name, built, token] of variants) {
		const d = await deploy(env.client, built);
		const url = `${env.n8n.url}/webhook/${d.webhookPath}${token ? `?token=${TOKEN}` : ''}`;
		const before = { success: await countExecutions(env.client, d.id, 'success') };
		const { answers, spanMs } = await post(url, Array.from({ length: count }, () => callbackBody(env.sim.url)), concurrency);
		const ok = answers.filter((a) => a.status >= 200 && a.status < 300).length;
		const waited = await waitExecutions(env.client, d.id, before, count);
		out.push({ name, callbacks: count, acceptedPerSec: round(ok / (spanMs / 1000), 1), completed: waited.completed });
		log(`  ${name}: ${round(ok / (spanMs / 1000), 1)} accepted/s (${count} callbacks), ${waited.completed} executed`);
	}
	return out;
}

async function run(env, { n, callbacks = 200, variantCallbacks = 300, concurrency = 50, log }) {
	const out = {};
	out.generate = await generateProfile(env, { n, log });
	out.callbacks = [];
	for (const kind of ['trigger', 'webhook']) out.callbacks.push(await callbackProfile(env, kind, { count: callbacks, concurrency, log }));
	out.callbackVariants = await callbackVariants(env, { count: variantCallbacks, concurrency, log });
	return out;
}

module.exports = { run };
