'use strict';
// n8n's production concurrency limit (N8N_CONCURRENCY_PRODUCTION_LIMIT, which n8n Cloud sets;
// regular mode only), on lines 1 and 2. n8n restarted with the limit at 1; a lead's run waits
// Until BHuman Calls Back (Max Wait 1 minute, its render 40 s); another production run (a Wait
// node of 60 s, which n8n runs in process) holds the only slot from before the callback until
// after Max Wait. So BHuman's callback comes before Max Wait and its resume sits in n8n's queue
// past Max Wait. The run resumes once, when the slot frees: the lead's video (not timedOut) in the
// next step, run once, one execution; and nothing more after the execution's own wait has ended
// (Max Wait + 90 s), when n8n's wait tracker comes for it. On n8n 1.x a wait that ended at Max
// Wait would run the rest a second time from the tracker (every item timedOut, the record
// overwritten): the check fails that way there. A resume queued beyond the margin is n8n's own
// race (docs/waiting.md, "n8n's production concurrency limit"): not checked here.
// Last in the suite but n8n3: it restarts n8n with the limit, then with the line's own settings.

const { randomUUID } = require('node:crypto');
const { webhookNode, chain } = require('../lib/workflows');
const { CheckError, expect } = require('../lib/harness');
const { executionError, nodeOutput, sleep } = require('../../../scripts/lib/n8n');
const { LEADS, waitUntil, waitingWorkflow, startWaiting, simRecord, runTraffic, seconds } = require('../lib/waiting');

const LIMIT = { N8N_CONCURRENCY_PRODUCTION_LIMIT: '1' };
const MAX_WAIT_S = 60;
const RENDER_MS = 40000;
const HOLD_S = 60;
/** The node's wait ends this long after Max Wait (callbacks.ts, TRACKER_MARGIN_MS). */
const MARGIN_S = 90;

/** Webhook (answers at once) → Wait node of `seconds`: a production run that holds a slot that long. */
function holder(seconds) {
	const hook = webhookNode();
	hook.parameters.responseMode = 'onReceived';
	const wait = {
		id: randomUUID(),
		name: 'Hold',
		type: 'n8n-nodes-base.wait',
		typeVersion: 1.1,
		position: [220, 0],
		parameters: { resume: 'timeInterval', amount: seconds, unit: 'seconds' },
	};
	return { workflow: chain('e2e concurrency holder', [hook, wait]), path: hook.parameters.path };
}

module.exports = async function concurrency(ctx, check) {
	const { client, sim } = ctx;
	if (!ctx.restartN8n) return;
	const data = await sim.data();
	const limited = await check('n8n restarted with N8N_CONCURRENCY_PRODUCTION_LIMIT=1', async () => `restart ${await ctx.restartN8n(LIMIT)} s`, { timeoutMs: 300000 });
	if (!limited.ok) return;
	try {
		await check(`concurrency limit 1: BHuman's callback comes before Max Wait (${MAX_WAIT_S} s) while another run holds the slot until after it; the run resumes once when the slot frees, the lead's video (not timedOut) in the next step, run once; nothing more when n8n's wait tracker comes at the wait's end (Max Wait + ${MARGIN_S} s)`, async () => {
			const tag = `limit-${randomUUID().slice(0, 6)}`;
			const lead = { ...LEADS[0], first_name: `Dana ${tag}`, company: `sim:render=${RENDER_MS}` };
			const wf = waitingWorkflow('e2e concurrency limit', data, ctx.credential, { leads: [lead], extra: { maxWait: MAX_WAIT_S / 60 } });
			const { saved, waiting, startedAt } = await startWaiting(client, wf);

			const hold = holder(HOLD_S);
			const held = await client.createWorkflow(hold.workflow);
			await client.activateWorkflow(held.id, held.versionId);
			// The holder starts 15 s in: it holds the slot from before the callback (40 s) until after Max Wait.
			await sleep(Math.max(0, startedAt + 15000 - Date.now()));
			const res = await client.callWebhook(hold.path, { body: {} });
			expect(res.status === 200, `the holder's webhook answered ${res.status}`);
			await waitUntil('the holder to run', async () => {
				const list = await client.listExecutions(held.id);
				return { done: list[0]?.status === 'running', why: list.map((e) => e.status).join(', ') || 'none yet' };
			}, 20000);

			// Past the wait's end and n8n's wait tracker (it looks once a minute, 70 s ahead).
			const ended = await waitUntil('the run to end and the wait tracker to pass', async () => {
				const list = await client.listExecutions(saved.id);
				const past = Date.now() > startedAt + (MAX_WAIT_S + MARGIN_S + 20) * 1000;
				return { done: past && list.length > 0 && list.every((e) => !['new', 'running', 'waiting'].includes(e.status)), value: list, why: list.map((e) => e.status).join(', ') };
			}, (MAX_WAIT_S + MARGIN_S + 90) * 1000, 2000);
			expect(ended.length === 1, `${ended.length} executions of the lead's workflow`);
			const ex = await client.getExecution(waiting.id);
			if (ex.status !== 'success') throw new CheckError(`the execution ended ${ex.status}`, { execution: executionError(ex) });
			const runData = ex.data.resultData.runData;
			expect((runData.Email || []).length === 1, `the step after the node ran ${(runData.Email || []).length} times`);
			const [item] = nodeOutput(ex, 'Email') || [];
			const rec = item && (await simRecord(sim, item.json.id));
			expect(item && item.json.to === lead.email && rec.text[0] === lead.first_name && item.json.status === 'succeeded' && item.json.timedOut === false && item.json.pageUrl === rec.share_url, `the next step got ${JSON.stringify(item?.json)}`);

			// The path it took: the callback before Max Wait, the resume after it, once the holder ended.
			const { callbacks } = await runTraffic(sim, tag);
			const callbackAt = Math.min(...callbacks.map((c) => c.at));
			const holderRun = (await client.listExecutions(held.id))[0];
			const holderEnd = Date.parse(holderRun.stoppedAt);
			const resumedAt = runData.Email[0].startTime;
			const deadline = startedAt + MAX_WAIT_S * 1000;
			expect(callbacks.length > 0 && callbackAt < deadline, `BHuman's callback came ${seconds(callbackAt - startedAt)} after the lead, not before Max Wait`);
			expect(Date.parse(holderRun.startedAt) < callbackAt && holderEnd > deadline, `the holder ran ${seconds(Date.parse(holderRun.startedAt) - startedAt)}–${seconds(holderEnd - startedAt)}: it did not hold the slot from the callback past Max Wait`);
			expect(resumedAt >= holderEnd - 1000 && resumedAt > deadline, `the run resumed ${seconds(resumedAt - startedAt)} in, the holder ended ${seconds(holderEnd - startedAt)} in: the resume was not queued past Max Wait`);
			const answers = callbacks.map((c) => c.status || c.error).join(', ');
			return `callback ${seconds(callbackAt - startedAt)} in (answered ${answers}), Max Wait ${MAX_WAIT_S} s, the holder ended ${seconds(holderEnd - startedAt)} in, the run resumed ${seconds(resumedAt - startedAt)} in, once; one execution ${seconds(Date.now() - startedAt)} in`;
		}, { timeoutMs: 420000 });
	} finally {
		await check("n8n restarted with the line's own settings", async () => `restart ${await ctx.restartN8n()} s`, { timeoutMs: 300000 });
	}
};
