'use strict';
// Generate → Wait for Completion → Until BHuman Calls Back in a real n8n: the execution waits
// (status "waiting" in n8n's database, nothing polled), the simulator's callbacks reach its resume
// URL (/webhook-waiting/<execution>/bhuman?token=…, with n8n 2.x's signature) and resume it
// once every video is final; the leads are still in scope after the resume. Forged calls are
// refused and resume nothing; a repeat after the resume is answered by n8n (409); Max Wait
// resumes it with every generation id and timedOut.
// Editor runs: "Execute workflow" and "Execute step" (POST /rest/workflows/:id/run, as the editor
// sends it on each line) wait as manual executions and resume the same way; the editor's push
// connection gets the wait, then the resumed run's nodes and its end.

const { randomUUID } = require('node:crypto');
const { manualTriggerNode } = require('../lib/workflows');
const { CheckError, expect } = require('../lib/harness');
const { executionError, nodeOutput, sleep } = require('../../../scripts/lib/n8n');
const { LEADS, waitUntil, waitingWorkflow, startWaiting, finished, expectLeadEmails, simRecord, startMaxWait, checkMaxWait, waitingPaths } = require('../lib/waiting');

async function executionsOf(client, workflowId) {
	return client.listExecutions(workflowId);
}

/** Execution `id` once it waits (with its run data); fails if it ends instead. */
async function waitingExecution(client, id) {
	return waitUntil(`execution ${id} to wait`, async () => {
		const ex = await client.getExecution(id);
		if (!['new', 'running', 'waiting'].includes(ex.status)) throw new CheckError(`execution ${id} ended ${ex.status} instead of waiting`, { execution: executionError(ex) });
		return { done: ex.status === 'waiting', value: ex, why: ex.status };
	});
}

/** The callback_url of the last generate request: execution `id`'s resume URL for the node (its static path `bhuman`), with a token (and 2.x's signature). */
async function expectResumeUrl(ctx, executionId) {
	const post = (await ctx.sim.control('GET', '/__sim/requests?path=/api/ai_studio/try_sample')).pop();
	expect(post, 'BHuman got no generate request');
	const url = new URL(post.body.callback_url);
	expect(url.pathname.endsWith(`/webhook-waiting/${executionId}/bhuman`), `callback_url ${url.pathname} is not execution ${executionId}'s resume URL for the node`);
	expect(url.search.endsWith(`token=${url.searchParams.get('token')}`), 'the token is not the last parameter of callback_url');
	expect(/^[\w-]{32}$/.test(url.searchParams.get('token') || ''), 'callback_url has no token of the run');
	if (ctx.line !== 1) expect(url.searchParams.get('signature'), "callback_url lacks n8n 2.x's signature");
	return post;
}

/** The push messages (type and node) about execution `id`, as the editor receives them. */
function pushedAbout(push, id) {
	return push.messages.filter((m) => m.data?.executionId === id).map((m) => ({ type: m.type, node: m.data.nodeName, status: m.data.status }));
}

/**
 * The editor's push connection got the wait, then the resumed run: `node`'s output before
 * `executionWaiting`, then `after`'s output (the resumed run) and `executionFinished` with success.
 */
function expectPushedWaitAndResume(push, id, { node, after }) {
	const events = pushedAbout(push, id);
	const at = (pred) => events.findIndex(pred);
	const waited = at((e) => e.type === 'executionWaiting');
	const ran = at((e) => e.type === 'nodeExecuteAfter' && e.node === node);
	const resumed = events.findIndex((e, i) => i > waited && e.type === 'nodeExecuteAfter' && e.node === after);
	const ended = at((e) => e.type === 'executionFinished');
	const shown = events.map((e) => `${e.type}${e.node ? `(${e.node})` : ''}${e.status ? `:${e.status}` : ''}`).join(' ');
	expect(ran >= 0 && waited > ran && resumed > waited && ended > resumed && events[ended].status === 'success', `pushed to the editor: ${shown}`);
	return shown;
}

async function callbackWait(ctx, check) {
	const { client, sim } = ctx;
	const data = await sim.data();

	// Renders of a few seconds, one after another, as BHuman's (the simulator's default 0.3 s could
	// call back before n8n has recorded the wait; real renders take minutes).
	const { render } = await sim.control('GET', '/__sim/state');
	await sim.control('POST', '/__sim/render', { queuedMs: 500, processingMs: 2000, staggerMs: 400 });
	// Max Wait: started first (n8n's wait tracker looks for due executions once a minute), checked last.
	const timeout = await startMaxWait(ctx, check, data);
	const editor = {}; // the editor's workflow, push connection and run data, from one check to the next
	try {
		await check('Until BHuman Calls Back: the execution waits (BHuman asked once, before the wait, and by no one after until it calls back), the callbacks resume it once, each lead gets its video', async () => {
			await sim.control('DELETE', '/__sim/requests');
			const wf = waitingWorkflow('e2e callback wait', data, ctx.credential);
			const { saved, waiting } = await startWaiting(client, wf);
			const post = await expectResumeUrl(ctx, waiting.id);
			const ex = await finished(client, saved.id, waiting.id);
			if (ex.status !== 'success') throw new CheckError(`the execution ended ${ex.status}`, { execution: executionError(ex) });
			const requests = await sim.control('GET', '/__sim/requests');
			const callbacks = (await sim.control('GET', '/__sim/callbacks')).filter((c) => c.url === post.body.callback_url);
			const firstCallback = Math.min(...callbacks.map((c) => c.at));
			// This run's generations only (the Max Wait check's run waits beside it and calls back too).
			const ids = callbacks.map((c) => c.body.id);
			const early = requests.filter((r) => r.path === '/api/ai_studio/generated_video_by_id' && ids.includes(r.query?.id) && r.at < firstCallback);
			// One question right before the wait (about the first video still rendering): nothing
			// else before BHuman calls back.
			expect(early.length <= 1, `${early.length} status requests before the first callback: ${JSON.stringify(early.map((r) => [r.query?.id?.slice(0, 8), r.at - firstCallback]))}`);
			expect(callbacks.length === 3 && callbacks.every((c) => c.status === 200), `callbacks answered ${callbacks.map((c) => c.status).join(', ')}`);
			const executions = await executionsOf(client, saved.id);
			expect(executions.length === 1, `${executions.length} executions`);
			await expectLeadEmails(sim, nodeOutput(ex, 'Email') || [], LEADS);
			// A repeat of the last callback, after the resume: n8n answers it, nothing starts.
			const last = callbacks.sort((a, b) => b.at - a.at)[0];
			const repeat = await client.callWebhook(last.url, { body: last.body });
			expect(repeat.status === 409, `a repeat after the resume answered ${repeat.status}`);
			await sleep(1000);
			expect((await executionsOf(client, saved.id)).length === 1, 'the repeat started an execution');
			return `execution ${waiting.id}: waited, resumed once; 3 emails to their leads; ${early.length} status request before the first callback`;
		});

		await check('Until BHuman Calls Back: forged calls to the resume URL are refused and resume nothing; the real callback does', async () => {
			const wf = waitingWorkflow('e2e callback wait forged', data, ctx.credential, {
				leads: [{ first_name: 'Dana', company: 'Vandelay', email: 'dana@example.com' }, { first_name: 'sim:never', company: 'Pending', email: 'never@example.com' }],
			});
			const { saved, waiting } = await startWaiting(client, wf);
			const post = (await sim.control('GET', '/__sim/requests?path=/api/ai_studio/try_sample')).pop();
			const url = new URL(post.body.callback_url);
			const [, never] = await (async () => {
				const ex = await client.getExecution(waiting.id);
				return (nodeOutput(ex, 'BHuman') || []).map((item) => item.json.id);
			})();
			expect(never, 'the waiting execution shows no generation ids');
			const forged = { id: never, status: 'succeeded', url: 'http://evil.example/x.mp4', video_url: 'http://evil.example/' };
			const noToken = new URL(url);
			noToken.searchParams.delete('token');
			const answers = {
				'no token': (await client.callWebhook(noToken.toString(), { body: forged })).status,
				'wrong token': (await client.callWebhook(url.toString().replace(/([?&])token=[^&]+/, '$1token=guessed'), { body: forged })).status,
				'foreign id': (await client.callWebhook(url.toString(), { body: { ...forged, id: randomUUID() } })).status,
			};
			// n8n 2.x checks its own resume token (the URL's signature) before the node runs.
			if (ctx.line === 2) answers['no signature'] = (await client.callWebhook(url.toString().replace(/signature=[^&]+&?/, ''), { body: forged })).status;
			const expected = { 'no token': 401, 'wrong token': 403, 'foreign id': 403, ...(ctx.line === 2 ? { 'no signature': 401 } : {}) };
			expect(JSON.stringify(answers) === JSON.stringify(expected), `answers ${JSON.stringify(answers)}, expected ${JSON.stringify(expected)}`);
			await sleep(500);
			expect((await client.getExecution(waiting.id)).status === 'waiting', 'a forged call changed the waiting execution');
			await sim.control('POST', `/__sim/generations/${never}/complete`, { status: 'succeeded' });
			const ex = await finished(client, saved.id, waiting.id);
			const out = nodeOutput(ex, 'Email') || [];
			expect(ex.status === 'success' && out.length === 2 && out.every((o) => o.json.status === 'succeeded'), `ended ${ex.status} with ${JSON.stringify(out.map((o) => o.json.status))}`);
			expect(!out.some((o) => /evil/.test(o.json.pageUrl || '')), 'a forged URL reached the output');
			return JSON.stringify(answers);
		});

		// The editor's runs (no webhook, nothing activated): "Execute workflow", then "Execute step" on
		// the BHuman node with the run data the editor holds from it.
		const editorLeads = LEADS.slice(0, 2);
		await check('Execute workflow (the editor\'s manual run): saved as waiting (mode manual), the callbacks resume it, the editor\'s push connection gets the wait and the resumed run; each lead gets its video', async () => {
			await sim.control('DELETE', '/__sim/requests');
			const trigger = manualTriggerNode();
			const wf = waitingWorkflow('e2e callback wait editor', data, ctx.credential, { leads: editorLeads, trigger });
			editor.saved = await client.createWorkflow(wf.workflow);
			editor.nodeId = wf.nodeId;
			editor.push = await client.openPush();
			const started = await client.runManually(editor.saved, { triggerToStartFrom: { name: trigger.name }, pushRef: editor.push.pushRef });
			expect(started?.executionId && !started.waitingForWebhook, `the run answered ${JSON.stringify(started)}`);
			const waiting = await waitingExecution(client, started.executionId);
			expect(waiting.mode === 'manual' && waiting.waitTill, `the waiting execution: mode ${waiting.mode}, waitTill ${waiting.waitTill}`);
			const post = await expectResumeUrl(ctx, waiting.id);
			const ex = await finished(client, editor.saved.id, waiting.id);
			if (ex.status !== 'success') throw new CheckError(`the execution ended ${ex.status}`, { execution: executionError(ex) });
			expect(ex.mode === 'manual', `the resumed execution's mode is ${ex.mode}`);
			const callbacks = (await sim.control('GET', '/__sim/callbacks')).filter((c) => c.url === post.body.callback_url);
			expect(callbacks.length === editorLeads.length && callbacks.every((c) => c.status === 200), `callbacks answered ${callbacks.map((c) => c.status).join(', ')}`);
			await expectLeadEmails(sim, nodeOutput(ex, 'Email') || [], editorLeads);
			const pushed = expectPushedWaitAndResume(editor.push, waiting.id, { node: 'BHuman', after: 'Email' });
			expect((await executionsOf(client, editor.saved.id)).length === 1, 'more than one execution');
			editor.runData = ex.data.resultData.runData;
			return `execution ${waiting.id} (manual) waited until ${waiting.waitTill}, resumed by ${callbacks.length} callbacks; 2 emails to their leads; pushed: ${pushed}`;
		});

		await check('Execute step on the BHuman node (a partial run to it, with the editor\'s run data): waits, the callbacks resume it, the node outputs each lead\'s video, the step after it does not run', async () => {
			if (!editor.runData) throw new CheckError('not run: Execute workflow did not finish (see above)');
			await sim.control('DELETE', '/__sim/requests');
			const before = (nodeOutput({ data: { resultData: { runData: editor.runData } } }, 'BHuman') || []).map((item) => item.json.id);
			const started = await client.runManually(editor.saved, {
				destinationNode: { nodeName: 'BHuman', mode: 'inclusive' },
				runData: editor.runData,
				pushRef: editor.push.pushRef,
			});
			expect(started?.executionId && !started.waitingForWebhook, `the run answered ${JSON.stringify(started)}`);
			const waiting = await waitingExecution(client, started.executionId);
			expect(waiting.mode === 'manual', `the waiting execution's mode is ${waiting.mode}`);
			await expectResumeUrl(ctx, waiting.id);
			const ex = await finished(client, editor.saved.id, waiting.id);
			await expectStepRun(sim, ex, { leads: editorLeads, before, runData: editor.runData });
			const pushed = expectPushedWaitAndResume(editor.push, waiting.id, { node: 'BHuman', after: 'BHuman' });
			return `execution ${waiting.id} (manual, to BHuman) waited and resumed; BHuman output new videos for ${editorLeads.map((l) => l.first_name).join(', ')}, paired with their leads; Email did not run; pushed: ${pushed}`;
		});
		// Loop Over Items, a render failing at once, BHuman failing or slow during the last callback, n8n 2.x's combined binary mode.
		await waitingPaths(ctx, check);
		await checkMaxWait(ctx, check, timeout);
	} finally {
		editor.push?.close();
		await sim.control('POST', '/__sim/render', render);
	}
}

/**
 * Execute step on the BHuman node ended well: the node output a new video for each lead, paired
 * with it; the Leads node's output was reused (not run again) and the step after the node did not
 * run. `before`: the ids of the run the step started from; `runData`: that run's run data.
 */
async function expectStepRun(sim, ex, { leads, before, runData: from }) {
	if (ex.status !== 'success') throw new CheckError(`the execution ended ${ex.status}`, { execution: executionError(ex) });
	const runData = ex.data.resultData.runData;
	const out = nodeOutput(ex, 'BHuman') || [];
	expect(out.length === leads.length, `BHuman output ${out.length} items`);
	for (const [i, item] of out.entries()) {
		const rec = await simRecord(sim, item.json.id);
		expect(!before.includes(item.json.id) && item.json.status === 'succeeded' && item.json.timedOut === false, `item ${i}: ${JSON.stringify(item.json)}`);
		expect(rec.text[0] === leads[i].first_name && item.pairedItem?.item === i, `item ${i}: video for ${rec.text[0]}, paired with lead ${JSON.stringify(item.pairedItem)}`);
	}
	expect(!runData.Email, 'the step after the BHuman node ran (Execute step stops at the node)');
	expect(runData.Leads?.length === 1 && runData.Leads[0].startTime === from.Leads[0].startTime, 'the Leads node ran again (Execute step reuses its output)');
}

// The editor-run helpers, shared with checks/n8n3-queue.js (the same runs on a queue-mode worker).
module.exports = Object.assign(callbackWait, { waitingExecution, expectResumeUrl, expectPushedWaitAndResume, expectStepRun });
