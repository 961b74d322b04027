'use strict';
// A worker SIGKILLed in the middle of a Wait for Completion run, then restarted. n8n 2.40.7
// runs its Bull queue with maxStalledCount 0 (scaling.service.js setupQueue): a job whose
// worker died is not run again, and main's queue recovery marks the execution crashed. What
// must hold for the user: the paid generate POST is not sent again, and the generation ids
// BHuman accepted are findable (here with the action node's Video → Get Many).

const { startWorker } = require('../../../scripts/lib/queue');
const { rl, codeNode, operationWorkflow } = require('../lib/workflows');
const { CheckError, expect } = require('../lib/harness');
const { sleep, executionError } = require('../../../scripts/lib/n8n');

async function until(what, fn, timeoutMs = 60000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const v = await fn();
		if (v) return v;
		if (Date.now() > deadline) throw new CheckError(`timed out waiting for ${what}`);
		await sleep(300);
	}
}

module.exports = async function crash(ctx, check) {
	const { client, sim, cluster } = ctx;
	const data = await sim.data();
	// an instance of its own: listings are oldest first, and the burst adds many to instance 0
	const instance = data.videoInstances[9].id;
	const tag = `crash-${Date.now().toString(36)}`;
	const rows = [{ name: `${tag} A`, company: 'sim:never' }, { name: `${tag} B`, company: 'sim:never' }];
	const generatePosts = async () =>
		(await sim.control('GET', '/__sim/requests?method=POST')).filter((r) => JSON.stringify(r.body || '').includes(tag));

	await check('worker SIGKILLed during Wait for Completion, then restarted: the generate POST is not re-sent, n8n ends the execution, the accepted ids are found with Video → Get Many', async () => {
		const wf = operationWorkflow(
			'e2e queue crash wait',
			{
				resource: 'video',
				operation: 'generate',
				videoInstanceId: rl(instance),
				inputMode: 'mapping',
				variables: { variable: [{ name: 'name', value: '={{ $json.name }}' }, { name: 'company', value: '={{ $json.company }}' }] },
				waitForCompletion: true,
				pollInterval: 1,
				maxWait: 5,
			},
			ctx.credential,
			{ prefix: [codeNode(rows)] },
		);
		const hook = wf.workflow.nodes[0].parameters;
		hook.responseMode = 'onReceived'; // answers at once; the run goes on on the worker
		delete hook.responseData;
		const saved = await client.createWorkflow(wf.workflow);
		await client.activateWorkflow(saved.id, saved.versionId);
		const res = await client.callWebhook(wf.path, { body: {} });
		expect(res.status === 200, `the workflow's webhook answered ${res.status}`);
		const posts = await until('the generate POST to reach BHuman', async () => ((await generatePosts()).length ? generatePosts() : null), 180000);
		const exec = await until('the execution to be listed', async () => (await client.listExecutions(saved.id))[0]);
		await sleep(2500); // polling
		const before = await client.getExecution(exec.id);
		const worker = cluster.workers[0];
		process.kill(-worker.proc.pid, 'SIGKILL');
		await worker.proc.exitPromise;
		const killedAt = Date.now();
		await startWorker(cluster, 0, 10);
		const restartSeconds = Math.round((Date.now() - killedAt) / 1000);
		// the renders end now: a re-run would see them and go on
		const ids = await until('the generation ids in the simulator', async () => {
			const list = await sim.api(`/api/ai_studio/generated_video_by_video_instance_id?video_instance_id=${instance}&page=0&size=100`);
			const mine = list.filter((v) => JSON.stringify(v).includes(tag));
			return mine.length >= 2 ? mine.map((v) => v.id) : null;
		});
		for (const id of ids) await sim.control('POST', `/__sim/generations/${id}/complete`, { status: 'succeeded' });
		const crashed = await until('n8n to settle the execution', async () => {
			const e = (await client.listExecutions(saved.id)).find((x) => x.id === exec.id);
			return e && !['running', 'new'].includes(e.status) ? e : null;
		}, 180000);
		const settledSeconds = Math.round((Date.now() - killedAt) / 1000);
		await sleep(3000);
		const after = await generatePosts();
		expect(after.length === posts.length, `the generate POST was sent ${after.length} times (${posts.length} before the crash): a paid request was repeated`);
		const execs = await client.listExecutions(saved.id);
		expect(execs.length === 1, `${execs.length} executions of the workflow after the restart`);
		const full = await client.getExecution(exec.id);
		const runData = full.data?.resultData?.runData || {};
		const idsInExecution = JSON.stringify(runData).match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) || [];
		const kept = ids.filter((id) => idsInExecution.includes(id));

		// recovery: the action node lists the instance's generations, the accepted ids among them
		const list = operationWorkflow('e2e queue crash recover', { resource: 'video', operation: 'getAll', videoInstanceId: rl(instance), returnAll: true }, ctx.credential);
		const { output } = await require('../lib/harness').runWebhookWorkflow(client, list);
		const found = (Array.isArray(output) ? output : [output]).filter((v) => ids.includes(v.id));
		expect(found.length === ids.length, `Video → Get Many found ${found.length} of the ${ids.length} accepted generations`);
		const why = executionError(full);
		ctx.crash = { status: crashed.status, statusBefore: before.status, settledSeconds, restartSeconds, keptInExecution: kept.length, ids: ids.length, error: why };
		return `execution ${exec.id}: ${before.status} → ${crashed.status} ("${why.slice(0, 160)}") ${settledSeconds} s after the kill (worker back in ${restartSeconds} s; not re-run, generate POST sent once); its saved run data holds ${kept.length} of the ${ids.length} ids; Video → Get Many finds all ${found.length}`;
	}, { timeoutMs: 360000 });
};
