'use strict';
// n8n's Retry of a failed execution (Executions → Retry; POST /rest/executions/:id/retry), the
// button users press after a failure: 4 leads, Batch Size 2, BHuman answering the second generate
// request 500. The execution fails with the 2 accepted generation ids in its error; the retry
// continues it, and BHuman receives only the rows it has not accepted:
// - "with original workflow", Until BHuman Calls Back: R2 and R3 are sent again, R0 and R1 not;
//   the retried run waits for the new rows, is resumed by their callbacks, and its last step
//   gets all 4 leads, R0 and R1 with the ids of the first run;
// - "with currently saved workflow" after R1's value was changed, polling: R1 (a new row), R2
//   and R3 are sent.
// The rows are counted from the simulator's request log (the generate requests of this check).
// Across executions (every retry reads BHuman's list of generated videos before it pays):
// - the original retried twice (6 leads, the first retry failing at its later batch): the second
//   retry finds on BHuman what the first got made and pays only the rest; every row paid once;
// - a sub-workflow with Reuse Videos BHuman Already Made on, its parent retried: the child runs
//   again as a new execution and reuses the videos of its first run, paying nothing;
// - Until BHuman Calls Back, retried while the first try's videos still render: n8n's Retry
//   request is answered as soon as the run waits (those videos join the wait, nothing polls them
//   inside the node), and the run resumes with all four leads' videos.

const { randomUUID } = require('node:crypto');
const { CheckError, expect } = require('../lib/harness');
const { executionError, nodeOutput } = require('../../../scripts/lib/n8n');
const { webhookNode, codeNode, bhumanNode, chain, rl } = require('../lib/workflows');
const { waitingWorkflow, waitUntil, simRecord } = require('../lib/waiting');

const TRY_SAMPLE = '/api/ai_studio/try_sample';

/** The first names of each generate request of this check, in order, with its status. */
async function sentRows(sim, tag) {
	return (await sim.control('GET', `/__sim/requests?path=${TRY_SAMPLE}`))
		.filter((r) => JSON.stringify(r.body).includes(tag))
		.map((r) => `${r.body.names.map(([name]) => name).join('+')}:${r.status}`);
}

/** The execution n8n started for the retry of `id`, once it has ended. */
async function retried(client, workflowId, id) {
	return waitUntil(`the retry of execution ${id} to end`, async () => {
		const list = await client.listExecutions(workflowId);
		const retry = list.find((e) => String(e.retryOf) === String(id));
		const ended = retry && !['new', 'running', 'waiting'].includes(retry.status);
		return { done: Boolean(ended), value: retry && (await client.getExecution(retry.id)), why: retry ? retry.status : 'not started' };
	}, 120000);
}

/** The ended execution of `workflowId` that is not one of `known` (execution ids). */
async function newEnded(client, workflowId, known, what) {
	return waitUntil(what, async () => {
		const list = await client.listExecutions(workflowId);
		const fresh = list.find((e) => !known.includes(String(e.id)));
		const ended = fresh && !['new', 'running', 'waiting'].includes(fresh.status);
		return { done: Boolean(ended), value: fresh && (await client.getExecution(fresh.id)), why: fresh ? fresh.status : 'not started' };
	}, 120000);
}

/** Runs the workflow once: it must fail on batch 2 with R0's and R1's ids in its error. */
async function failedRun(ctx, name, leads, extra) {
	const { client, sim } = ctx;
	const data = await sim.data();
	const wf = waitingWorkflow(name, data, ctx.credential, { leads, extra: { batchSize: 2, ...extra } });
	const saved = await client.createWorkflow(wf.workflow);
	await client.activateWorkflow(saved.id, saved.versionId);
	await sim.control('POST', '/__sim/faults', { method: 'POST', path: TRY_SAMPLE, status: 500, times: 1, after: 1 });
	try {
		const answer = await client.callWebhook(wf.path, { body: {} });
		expect(answer.status === 200, `the lead webhook answered ${answer.status}`);
		const failed = await waitUntil('the execution to fail', async () => {
			const [ex] = await client.listExecutions(saved.id);
			return { done: ex && ex.status === 'error', value: ex, why: ex ? ex.status : 'none' };
		}, 60000);
		const ex = await client.getExecution(failed.id);
		const error = ex.data.resultData.error || {};
		const accepted = (await sim.control('GET', `/__sim/requests?path=${TRY_SAMPLE}`)).find((r) => r.status === 200 && JSON.stringify(r.body).includes(leads[0].company));
		expect(accepted, 'BHuman accepted no batch');
		const text = `${error.message}\n${error.description}`;
		expect(new RegExp(`Batch 2 of ${Math.ceil(leads.length / 2)} failed`).test(text), `the error: ${text.slice(0, 400)}`);
		return { saved, failed: ex, text };
	} finally {
		await sim.control('DELETE', '/__sim/faults');
	}
}

module.exports = async function retry(ctx, check) {
	const { client, sim } = ctx;

	await check('Executions → Retry (with original workflow) of a run whose batch 2 failed: BHuman receives R2 and R3 only; the retried run waits until BHuman calls back and its last step gets all 4 leads, R0 and R1 with their first ids', async () => {
		const tag = `retry-${randomUUID().slice(0, 6)}`;
		const leads = ['R0', 'R1', 'R2', 'R3'].map((first_name) => ({ first_name, company: tag, email: `${first_name}@example.com` }));
		const { saved, failed, text } = await failedRun(ctx, 'e2e retry original', leads, {});
		const firstIds = (text.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) || []).slice(0, 2);
		expect(firstIds.length === 2, `the error names ${firstIds.length} generation ids`);
		await client.retryExecution(failed.id, { loadWorkflow: false });
		const ex = await retried(client, saved.id, failed.id);
		if (ex.status !== 'success') throw new CheckError(`the retry ended ${ex.status}`, { execution: executionError(ex) });
		const rows = await sentRows(sim, tag);
		expect(JSON.stringify(rows) === JSON.stringify(['R0+R1:200', 'R2+R3:500', 'R2+R3:200']), `BHuman received ${rows.join(', ')}`);
		const out = nodeOutput(ex, 'Email') || [];
		expect(out.map((o) => o.json.to).join() === leads.map((l) => l.email).join(), `the last step got ${JSON.stringify(out.map((o) => o.json.to))}`);
		expect(out.every((o) => o.json.status === 'succeeded' && o.json.timedOut === false), `statuses ${JSON.stringify(out.map((o) => [o.json.status, o.json.timedOut]))}`);
		expect(out[0].json.id === firstIds[0] && out[1].json.id === firstIds[1], `R0 and R1 came out with ${out[0].json.id}, ${out[1].json.id}, not their first ids ${firstIds.join(', ')}`);
		expect(new Set(out.map((o) => o.json.id)).size === 4, 'two leads got the same video');
		expect(ex.mode === 'retry', `the retried execution's mode is ${ex.mode}`);
		return `execution ${failed.id} failed, retry ${ex.id} (mode ${ex.mode}); BHuman received ${rows.join(', ')}`;
	}, { timeoutMs: 240000 });

	await check("Executions → Retry with currently saved workflow, R1's value changed before it (polling): R1 is a new row and is sent with R2 and R3", async () => {
		const tag = `retry-saved-${randomUUID().slice(0, 6)}`;
		const leads = ['R0', 'R1', 'R2', 'R3'].map((first_name) => ({ first_name, company: tag, email: `${first_name}@example.com` }));
		const { saved, failed } = await failedRun(ctx, 'e2e retry saved', leads, { waitMethod: 'poll', pollInterval: 1 });
		const workflow = await client.getWorkflow(saved.id);
		const nodes = workflow.nodes.map((node) => {
			if (node.name !== 'BHuman') return node;
			const variable = node.parameters.variables.variable.map((v, i) => (i === 0 ? { ...v, value: '={{ $json.first_name === "R1" ? "R1 changed" : $json.first_name }}' } : v));
			return { ...node, parameters: { ...node.parameters, variables: { variable } } };
		});
		await client.updateWorkflow(saved.id, { name: workflow.name, nodes, connections: workflow.connections, settings: workflow.settings });
		await client.retryExecution(failed.id, { loadWorkflow: true });
		const ex = await retried(client, saved.id, failed.id);
		if (ex.status !== 'success') throw new CheckError(`the retry ended ${ex.status}`, { execution: executionError(ex) });
		const rows = await sentRows(sim, tag);
		expect(JSON.stringify(rows) === JSON.stringify(['R0+R1:200', 'R2+R3:500', 'R1 changed+R2:200', 'R3:200']), `BHuman received ${rows.join(', ')}`);
		const out = nodeOutput(ex, 'Email') || [];
		expect(out.length === 4 && out.every((o) => o.json.status === 'succeeded'), `the last step got ${JSON.stringify(out.map((o) => o.json.status))}`);
		return `BHuman received ${rows.join(', ')}`;
	}, { timeoutMs: 240000 });

	await check('Executions → Retry of the same failed execution twice (6 leads, Batch Size 2, without waiting; the first retry fails at its later batch): the second retry finds on BHuman the rows the first got made and sends only the rest; every lead paid once', async () => {
		const tag = `retry-twice-${randomUUID().slice(0, 6)}`;
		const leads = ['Z0', 'Z1', 'Z2', 'Z3', 'Z4', 'Z5'].map((first_name) => ({ first_name, company: tag, email: `${first_name}@example.com` }));
		const { saved, failed } = await failedRun(ctx, 'e2e retry twice', leads, { waitForCompletion: false });
		// The first retry: Z2+Z3 accepted, Z4+Z5 answered 500.
		await sim.control('POST', '/__sim/faults', { method: 'POST', path: TRY_SAMPLE, status: 500, times: 1, after: 1 });
		let first;
		try {
			await client.retryExecution(failed.id, { loadWorkflow: false });
			first = await newEnded(client, saved.id, [String(failed.id)], 'the first retry to end');
		} finally {
			await sim.control('DELETE', '/__sim/faults');
		}
		expect(first.status === 'error', `the first retry ended ${first.status}`);
		const madeByFirst = (first.data.resultData.runData.BHuman || []).length;
		// The second retry, of the original again (n8n still offers it: the first retry failed).
		await client.retryExecution(failed.id, { loadWorkflow: false });
		const second = await newEnded(client, saved.id, [String(failed.id), String(first.id)], 'the second retry to end');
		if (second.status !== 'success') throw new CheckError(`the second retry ended ${second.status}`, { execution: executionError(second) });
		const rows = await sentRows(sim, tag);
		expect(JSON.stringify(rows) === JSON.stringify(['Z0+Z1:200', 'Z2+Z3:500', 'Z2+Z3:200', 'Z4+Z5:500', 'Z4+Z5:200']), `BHuman received ${rows.join(', ')}`);
		const out = nodeOutput(second, 'Email') || [];
		expect(out.map((o) => o.json.to).join() === leads.map((l) => l.email).join(), `the last step got ${JSON.stringify(out.map((o) => o.json.to))}`);
		expect(new Set(out.map((o) => o.json.id)).size === 6, 'two leads got the same video');
		for (const [i, item] of out.entries()) {
			const rec = await simRecord(sim, item.json.id);
			expect(rec.text[0] === leads[i].first_name, `lead ${leads[i].first_name} got the video of ${rec.text[0]}`);
		}
		return `original ${failed.id}, first retry ${first.id} (error, BHuman node run ${madeByFirst}×), second retry ${second.id} (success); BHuman received ${rows.join(', ')}`;
	}, { timeoutMs: 300000 });

	await check('a sub-workflow with Reuse Videos BHuman Already Made on, whose parent is retried: the child runs again as a new execution and reuses the videos of its first run; BHuman receives the 3 rows once', async () => {
		const data = await sim.data();
		const tag = `retry-child-${randomUUID().slice(0, 6)}`;
		const leads = ['C0', 'C1', 'C2'].map((first_name) => ({ first_name, company: tag, email: `${first_name}@example.com` }));
		const trigger = { id: randomUUID(), name: 'When Called', type: 'n8n-nodes-base.executeWorkflowTrigger', typeVersion: 1.1, position: [0, 0], parameters: { inputSource: 'passthrough' } };
		const generate = bhumanNode({
			resource: 'video',
			operation: 'generate',
			videoInstanceId: rl(data.videoInstances[0].id),
			inputMode: 'mapping',
			variables: { variable: [{ name: 'name', value: '={{ $json.first_name }}' }, { name: 'company', value: '={{ $json.company }}' }] },
			options: { reuseVideos: true },
		}, ctx.credential);
		const get = bhumanNode({ resource: 'video', operation: 'get', generationId: '={{ $json.id }}' }, ctx.credential, { name: 'Check' });
		const child = await client.createWorkflow(chain('e2e retry child', [trigger, generate, get]));
		// n8n 2.x runs a sub-workflow's published version; 1.x has nothing to activate here.
		if (ctx.line !== 1) await client.activateWorkflow(child.id, child.versionId);
		const hook = webhookNode();
		hook.parameters.responseMode = 'onReceived';
		const call = { id: randomUUID(), name: 'Run Child', type: 'n8n-nodes-base.executeWorkflow', typeVersion: 1.2, position: [440, 0], parameters: { source: 'database', workflowId: rl(child.id), mode: 'once', options: {} } };
		const wf = chain('e2e retry parent', [hook, codeNode(leads, { name: 'Leads' }), call]);
		const parent = await client.createWorkflow(wf);
		await client.activateWorkflow(parent.id, parent.versionId);
		// The child's Check fails once (BHuman refuses its first read): the child fails after paying.
		await sim.control('POST', '/__sim/faults', { method: 'GET', path: '/api/ai_studio/generated_video_by_id', status: 400, times: 1 });
		let failed;
		try {
			const answer = await client.callWebhook(hook.parameters.path, { body: {} });
			expect(answer.status === 200, `the parent's webhook answered ${answer.status}`);
			failed = await newEnded(client, parent.id, [], 'the parent to fail');
		} finally {
			await sim.control('DELETE', '/__sim/faults');
		}
		expect(failed.status === 'error', `the parent ended ${failed.status}`);
		const [firstChild] = await client.listExecutions(child.id);
		const firstIds = (nodeOutput(await client.getExecution(firstChild.id), 'BHuman') || []).map((o) => o.json.id);
		expect(firstIds.length === 3, `the child's first run made ${firstIds.length} videos`);
		await client.retryExecution(failed.id, { loadWorkflow: false });
		const retry = await newEnded(client, parent.id, [String(failed.id)], "the parent's retry to end");
		if (retry.status !== 'success') throw new CheckError(`the parent's retry ended ${retry.status}`, { execution: executionError(retry) });
		const children = await client.listExecutions(child.id);
		expect(children.length === 2, `the child ran ${children.length} times`);
		const out = nodeOutput(retry, 'Run Child') || [];
		const rows = await sentRows(sim, tag);
		expect(JSON.stringify(rows) === JSON.stringify(['C0+C1+C2:200']), `BHuman received ${rows.join(', ')}`);
		const againChild = await client.getExecution(children.find((e) => String(e.id) !== String(firstChild.id)).id);
		const again = nodeOutput(againChild, 'BHuman') || [];
		expect(JSON.stringify(again.map((o) => o.json.id)) === JSON.stringify(firstIds) && again.every((o) => o.json.reused === true), `the child's second run: ${JSON.stringify(again.map((o) => [o.json.id, o.json.reused]))}, its first made ${firstIds.join(', ')}`);
		expect(out.length === 3 && out.every((o, i) => o.json.id === firstIds[i]), `the parent's retry got ${JSON.stringify(out.map((o) => o.json.id))}`);
		return `parent ${failed.id} failed, its retry ${retry.id} succeeded; the child ran twice (mode ${againChild.mode}), the second time every video reused; BHuman received ${rows.join(', ')}`;
	}, { timeoutMs: 240000 });

	await check("Executions → Retry of a run that waits Until BHuman Calls Back, the first try's videos still rendering: n8n's Retry request is answered as soon as the run waits (those videos join the wait); the run resumes with all 4 leads' videos", async () => {
		const tag = `retry-wait-${randomUUID().slice(0, 6)}`;
		// Renders of 25 s: the first try's videos still render when the retry starts.
		const leads = ['W0', 'W1', 'W2', 'W3'].map((first_name) => ({ first_name: `${first_name} ${tag}`, company: 'sim:render=25000', email: `${first_name}@example.com` }));
		const { saved, failed, text } = await failedRun(ctx, 'e2e retry waiting', leads, {});
		const t = Date.now();
		await client.retryExecution(failed.id, { loadWorkflow: false });
		const answeredIn = Date.now() - t;
		const list = await client.listExecutions(saved.id);
		const retry = list.find((e) => String(e.retryOf) === String(failed.id));
		expect(retry && retry.status === 'waiting', `when n8n answered the Retry request the retry was ${retry ? retry.status : 'not listed'}`);
		const firstIds = (text.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) || []).slice(0, 2);
		expect(firstIds.length === 2, `the error names ${firstIds.length} generation ids`);
		const unfinished = [];
		for (const id of firstIds) if (!['succeeded', 'failed'].includes((await simRecord(sim, id)).status)) unfinished.push(id);
		expect(unfinished.length > 0, "the first try's videos had all finished when n8n answered the Retry request: nothing shows it did not wait for them");
		const ex = await retried(client, saved.id, failed.id);
		if (ex.status !== 'success') throw new CheckError(`the retry ended ${ex.status}`, { execution: executionError(ex) });
		const out = nodeOutput(ex, 'Email') || [];
		expect(out.map((o) => o.json.to).join() === leads.map((l) => l.email).join(), `the last step got ${JSON.stringify(out.map((o) => o.json.to))}`);
		expect(out.every((o) => o.json.status === 'succeeded' && o.json.timedOut === false), `statuses ${JSON.stringify(out.map((o) => [o.json.status, o.json.timedOut]))}`);
		return `n8n answered the Retry request in ${(answeredIn / 1000).toFixed(1)} s with the retry waiting (${unfinished.length} of the first try's videos still rendering); the run resumed with 4 videos`;
	}, { timeoutMs: 240000 });
};
