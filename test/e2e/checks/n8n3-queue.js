'use strict';
// What n8n 3.0 changes in queue mode, on 2.40.7 set to behave as 3.0: manual executions always
// run on workers (OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS=true, set for the whole queue line in
// scripts/lib/queue.js). The editor's "Execute workflow" and "Execute step" (POST
// /rest/workflows/:id/run to main, as checks/callback-wait.js sends them) of Manual Trigger →
// 2 leads → BHuman → Email, with Until BHuman Calls Back and with By Polling BHuman: each runs
// on the worker (its log names the execution; with the flag off, main would run it), each lead
// gets its video, Execute step stops at the node and reuses the Leads node's output.

const fs = require('node:fs');
const { manualTriggerNode } = require('../lib/workflows');
const { CheckError, expect } = require('../lib/harness');
const { executionError, nodeOutput } = require('../../../scripts/lib/n8n');
const { LEADS, waitUntil, waitingWorkflow, finished, expectLeadEmails } = require('../lib/waiting');
const { waitingExecution, expectResumeUrl, expectPushedWaitAndResume, expectStepRun } = require('./callback-wait');

const METHODS = {
	callback: { label: 'Until BHuman Calls Back', extra: {}, starts: 2 },
	poll: { label: 'By Polling BHuman', extra: { waitMethod: 'poll', pollInterval: 1, maxWait: 2 }, starts: 1 },
};

/** Waits (bounded) until the worker's log names execution `id` `starts` times; main and the webhook processors never. */
async function ranOnWorker(cluster, id, starts) {
	const line = new RegExp(`Worker started execution ${id} \\(job`, 'g');
	const count = (file) => (fs.readFileSync(file, 'utf8').match(line) || []).length;
	await waitUntil(`the worker's log to name execution ${id} ${starts} times`, async () => {
		const seen = cluster.workers.reduce((n, w) => n + count(w.logFile), 0);
		return { done: seen === starts, why: `${seen} times` };
	}, 15000);
	for (const p of [cluster.main, ...cluster.webhooks]) expect(!count(p.logFile), `${p.name} ran execution ${id}`);
	return `on ${cluster.workers.map((w) => w.name).join(', ')}, started ${starts}×`;
}

/** The editor's push connection got the BHuman node's and the Email node's output, then the end (success). */
function expectPushedRun(push, id, nodes) {
	const events = push.messages.filter((m) => m.data?.executionId === id);
	const shown = events.map((e) => `${e.type}${e.data.nodeName ? `(${e.data.nodeName})` : ''}`).join(' ');
	let at = -1;
	for (const node of nodes) {
		at = events.findIndex((e, i) => i > at && e.type === 'nodeExecuteAfter' && e.data.nodeName === node);
		expect(at >= 0, `pushed to the editor: ${shown || 'nothing'} (no output of ${node})`);
	}
	const ended = events.findIndex((e, i) => i > at && e.type === 'executionFinished');
	expect(ended >= 0 && events[ended].data.status === 'success', `pushed to the editor: ${shown}`);
	return shown;
}

module.exports = async function n8n3Queue(ctx, check) {
	const { client, sim, cluster } = ctx;
	const data = await sim.data();
	const leads = LEADS.slice(0, 2);
	// Renders of a few seconds (the line's 0.3 s could call back before n8n has saved the wait).
	const { render } = await sim.control('GET', '/__sim/state');
	await sim.control('POST', '/__sim/render', { queuedMs: 500, processingMs: 2000, staggerMs: 400 });
	const push = await client.openPush();
	try {
		for (const [method, { label, extra, starts }] of Object.entries(METHODS)) {
			const editor = {};
			const waits = method === 'callback';
			await check(`n8n 3.0: manual runs on workers (OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS=true), ${label}: Execute workflow runs on the worker${waits ? ', waits (mode manual), is resumed by the callbacks on the worker' : ''}, each lead gets its video; the editor's push connection gets the run`, async () => {
				await sim.control('DELETE', '/__sim/requests');
				const trigger = manualTriggerNode();
				const wf = waitingWorkflow(`e2e n8n3 offload ${method}`, data, ctx.credential, { leads, trigger, extra });
				editor.saved = await client.createWorkflow(wf.workflow);
				const started = await client.runManually(editor.saved, { triggerToStartFrom: { name: trigger.name }, pushRef: push.pushRef });
				expect(started?.executionId && !started.waitingForWebhook, `the run answered ${JSON.stringify(started)}`);
				const id = started.executionId;
				let note = '';
				if (waits) {
					const waiting = await waitingExecution(client, id);
					expect(waiting.mode === 'manual' && waiting.waitTill, `the waiting execution: mode ${waiting.mode}, waitTill ${waiting.waitTill}`);
					await expectResumeUrl(ctx, id);
				}
				const ex = await finished(client, editor.saved.id, id);
				if (ex.status !== 'success') throw new CheckError(`the execution ended ${ex.status}`, { execution: executionError(ex) });
				expect(ex.mode === 'manual', `the execution's mode is ${ex.mode}`);
				await expectLeadEmails(sim, nodeOutput(ex, 'Email') || [], leads);
				const where = await ranOnWorker(cluster, id, starts);
				const pushed = waits ? expectPushedWaitAndResume(push, id, { node: 'BHuman', after: 'Email' }) : expectPushedRun(push, id, ['BHuman', 'Email']);
				expect((await client.listExecutions(editor.saved.id)).length === 1, 'more than one execution');
				if (waits) note = `; ${(await sim.control('GET', '/__sim/callbacks')).filter((c) => c.url.includes(`/webhook-waiting/${id}/`)).length} callbacks`;
				editor.runData = ex.data.resultData.runData;
				return `execution ${id} (manual) ${where}${note}; 2 emails to their leads; pushed: ${pushed}`;
			}, { timeoutMs: 180000 });

			await check(`n8n 3.0: manual runs on workers, ${label}: Execute step on the BHuman node (with the editor's run data) runs on the worker${waits ? ', waits and resumes there' : ''}; the node outputs new videos paired with their leads, Leads is not run again, Email does not run`, async () => {
				if (!editor.runData) throw new CheckError('not run: Execute workflow did not finish (see above)');
				await sim.control('DELETE', '/__sim/requests');
				const before = (nodeOutput({ data: { resultData: { runData: editor.runData } } }, 'BHuman') || []).map((item) => item.json.id);
				const started = await client.runManually(editor.saved, { destinationNode: { nodeName: 'BHuman', mode: 'inclusive' }, runData: editor.runData, pushRef: push.pushRef });
				expect(started?.executionId && !started.waitingForWebhook, `the run answered ${JSON.stringify(started)}`);
				const id = started.executionId;
				if (waits) {
					const waiting = await waitingExecution(client, id);
					expect(waiting.mode === 'manual', `the waiting execution's mode is ${waiting.mode}`);
					await expectResumeUrl(ctx, id);
				}
				await expectStepRun(sim, await finished(client, editor.saved.id, id), { leads, before, runData: editor.runData });
				const where = await ranOnWorker(cluster, id, starts);
				const pushed = waits ? expectPushedWaitAndResume(push, id, { node: 'BHuman', after: 'BHuman' }) : expectPushedRun(push, id, ['BHuman']);
				return `execution ${id} (manual, to BHuman) ${where}; new videos for ${leads.map((l) => l.first_name).join(', ')}; pushed: ${pushed}`;
			}, { timeoutMs: 180000 });
		}
	} finally {
		push.close();
		await sim.control('POST', '/__sim/render', render);
	}
};
