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

const { randomUUID } = require('node:crypto');
const { CheckError, expect } = require('../lib/harness');
const { executionError, nodeOutput } = require('../../../scripts/lib/n8n');
const { waitingWorkflow, waitUntil } = require('../lib/waiting');

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
		expect(/Batch 2 of 2 failed/.test(text) && /Retrying this execution \(Executions → Retry\) sends batch 2/.test(text), `the error: ${text.slice(0, 400)}`);
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
};
