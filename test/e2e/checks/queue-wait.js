'use strict';
// Until BHuman Calls Back in n8n's queue mode: more leads at once than the worker has slots
// (12 for concurrency 10), each its own execution. While their videos render, every one of them
// waits in the database (status "waiting") at the same time: no worker slot is held. All n8n
// processes are restarted while they wait; then the renders end, the callbacks reach the webhook
// processor (n8n's resume URLs point at WEBHOOK_URL), and every resumed run goes to the worker
// and emails its own lead. Then the waiting paths of the other lines (lib/waiting.js): Loop Over
// Items around the node, a render failing at once, BHuman failing or slow during the last
// callback, the combined binary mode, and Max Wait (started before them, checked after).

const { randomUUID } = require('node:crypto');
const { restartN8n, workerExecutions } = require('../../../scripts/lib/queue');
const { rl, webhookNode, bhumanNode, codeNode, chain } = require('../lib/workflows');
const { CheckError, expect } = require('../lib/harness');
const { executionError, nodeOutput, sleep } = require('../../../scripts/lib/n8n');
const { startMaxWait, checkMaxWait, settledWaiting, waitingPaths } = require('../lib/waiting');

const LEADS = 12;

async function until(what, fn, timeoutMs = 120000) {
	const deadline = Date.now() + timeoutMs;
	let last;
	for (;;) {
		last = await fn();
		if (last.done) return last.value;
		if (Date.now() > deadline) throw new CheckError(`timed out waiting for ${what}: ${last.why || ''}`);
		await sleep(500);
	}
}

module.exports = async function queueWait(ctx, check) {
	const { client, sim, cluster } = ctx;
	const data = await sim.data();
	const tag = `qwait-${randomUUID().slice(0, 6)}`;
	const state = {};

	await check(`Until BHuman Calls Back, ${LEADS} leads at once (worker concurrency 10): all ${LEADS} executions wait at the same time, no worker slot held`, async () => {
		const hook = webhookNode();
		hook.parameters.responseMode = 'onReceived';
		delete hook.parameters.responseData;
		// `sim:never` keeps the renders going until the check completes them.
		const lead = codeNode("return [{ json: { ...$('Webhook').first().json.body, company: 'sim:never' } }];", { name: 'Lead' });
		const bhuman = bhumanNode(
			{
				resource: 'video',
				operation: 'generate',
				videoInstanceId: rl(data.videoInstances[1].id),
				inputMode: 'mapping',
				variables: { variable: [{ name: 'name', value: '={{ $json.name }}' }, { name: 'company', value: '={{ $json.company }}' }] },
				waitForCompletion: true,
				waitMethod: 'callback',
				maxWait: 30,
			},
			ctx.credential,
		);
		const email = codeNode("return $input.all().map((item) => ({ json: { to: $('Lead').first().json.email, id: item.json.id, status: item.json.status, pageUrl: item.json.pageUrl } }));", { name: 'Email' });
		const saved = await client.createWorkflow(chain('e2e queue callback wait', [hook, lead, bhuman, email]));
		await client.activateWorkflow(saved.id, saved.versionId);
		state.workflowId = saved.id;
		const leads = Array.from({ length: LEADS }, (_, i) => ({ name: `${tag}-${i}`, email: `${tag}-${i}@example.com` }));
		const answers = await Promise.all(leads.map((body) => client.callWebhook(hook.parameters.path, { body })));
		expect(answers.every((a) => a.status === 200), `the lead webhook answered ${answers.map((a) => a.status).join(', ')}`);
		const waiting = await until(`${LEADS} waiting executions`, async () => {
			const list = await client.listExecutions(saved.id);
			const failed = list.find((e) => ['error', 'crashed'].includes(e.status));
			if (failed) throw new CheckError('an execution failed instead of waiting', { execution: executionError(await client.getExecution(failed.id)) });
			const counts = list.reduce((c, e) => ({ ...c, [e.status]: (c[e.status] || 0) + 1 }), {});
			return { done: counts.waiting === LEADS, value: list, why: JSON.stringify(counts) };
		});
		state.executions = waiting.map((e) => e.id);
		state.leads = leads;
		const onWorker = workerExecutions(cluster);
		expect(state.executions.every((id) => onWorker.has(String(id))), 'an execution did not start on the worker');
		return `${LEADS} executions waiting at once with ${LEADS} renders going (a held slot would have kept ${LEADS - 10} of them queued)`;
	}, { timeoutMs: 240000 });
	// (not run when the executions did not all wait: the failure above says why)
	if (state.executions) await check('Until BHuman Calls Back, queue mode: main, worker and webhook processors restarted while the executions wait; the callbacks then reach the webhook processor and every run resumes on the worker, each lead emailed its own video', async () => {
		const seconds = await restartN8n(cluster);
		// Read until every execution has read waiting for 5 s (n8n's startup recovery passes a waiting
		// execution through other states), bounded.
		const executions = await client.listExecutions(state.workflowId);
		expect(executions.length === LEADS, `${executions.length} executions of ${LEADS} leads after the restart`);
		await Promise.all(executions.map((e) => settledWaiting(client, e.id)));
		const generations = (await sim.control('GET', '/__sim/requests?path=/api/ai_studio/try_sample'))
			.filter((r) => JSON.stringify(r.body).includes(tag));
		expect(generations.length === LEADS, `${generations.length} generate requests for ${LEADS} leads`);
		for (const post of generations) {
			const url = new URL(post.body.callback_url);
			expect(url.origin === ctx.proxy.url, `callback_url ${url.origin} is not the public address (the webhook-only proxy in front of the webhook processor) ${ctx.proxy.url}`);
		}
		const callbacksBefore = (await sim.control('GET', '/__sim/callbacks')).length;
		// The waiting executions show the generation ids (the node's output while it waits).
		for (const execution of state.executions) {
			const [item] = nodeOutput(await client.getExecution(execution), 'BHuman') || [];
			expect(item?.json.id, `execution ${execution} shows no generation id while waiting`);
			await sim.control('POST', `/__sim/generations/${item.json.id}/complete`, { status: 'succeeded' });
		}
		const done = await until(`${LEADS} resumed executions`, async () => {
			const list = await client.listExecutions(state.workflowId);
			const counts = list.reduce((c, e) => ({ ...c, [e.status]: (c[e.status] || 0) + 1 }), {});
			return { done: list.every((e) => !['new', 'running', 'waiting'].includes(e.status)), value: list, why: JSON.stringify(counts) };
		});
		const bad = done.filter((e) => e.status !== 'success');
		if (bad.length) throw new CheckError(`${bad.length} executions ended ${bad[0].status}`, { execution: executionError(await client.getExecution(bad[0].id)) });
		expect(done.length === LEADS, `${done.length} executions`);
		// What BHuman saw is reported, not required: on a loaded machine the simulator's 10 s
		// callback timeout can pass while the freshly restarted webhook processor works through 12
		// callbacks at once; what must hold is that every run resumed, once, on the worker.
		const callbacks = (await sim.control('GET', '/__sim/callbacks')).slice(callbacksBefore);
		const answered = callbacks.reduce((count, c) => {
			const key = c.status || (c.error && /timed out/.test(c.error) ? 'timed out' : c.error) || 'pending';
			return { ...count, [key]: (count[key] || 0) + 1 };
		}, {});
		const refused = callbacks.filter((c) => c.status && c.status !== 200);
		expect(!refused.length, `callbacks answered ${refused.map((c) => c.status).join(', ')}`);
		const logs = require('node:fs').readFileSync(cluster.workers[0].logFile, 'utf8');
		for (const id of state.executions) {
			const starts = (logs.match(new RegExp(`Worker started execution ${id} \\(job`, 'g')) || []).length;
			expect(starts === 2, `execution ${id} started ${starts} times on the worker (expected: the first part, then the resume)`);
			const ex = await client.getExecution(id);
			const [out] = nodeOutput(ex, 'Email') || [];
			const rec = out && (await sim.api(`/api/ai_studio/generated_video_by_id?id=${out.json.id}`));
			expect(out && out.json.status === 'succeeded' && rec.text[0] === out.json.to.replace('@example.com', ''), `execution ${id}: ${JSON.stringify(out?.json)}`);
		}
		return `restart ${seconds} s; ${callbacks.length} callbacks through ${ctx.proxy.url} to ${cluster.webhookUrls[0]}, answered ${JSON.stringify(answered)}; ${LEADS} runs resumed on the worker, each lead its own video`;
	}, { timeoutMs: 420000 });

	// The waiting paths of the other lines, on the worker and the webhook processors. Renders of a
	// few seconds (the line's default 0.3 s can call back before n8n has saved the wait).
	const { render } = await sim.control('GET', '/__sim/state');
	await sim.control('POST', '/__sim/render', { queuedMs: 500, processingMs: 2000, staggerMs: 400 });
	try {
		const timeout = await startMaxWait(ctx, check, data);
			await waitingPaths(ctx, check);
		await checkMaxWait(ctx, check, timeout);
	} finally {
		await sim.control('POST', '/__sim/render', render);
	}
};
