'use strict';
// Until BHuman Calls Back in a real n8n: the workflow builders and helpers shared by
// checks/callback-wait.js (lines 1 and 2), checks/queue-wait.js (queue line) and checks/forms.js,
// and the waiting-path checks run on every line (`waitingPaths`):
// - Loop Over Items (batch 1) around the node: each pass waits and resumes on its own, in one
//   execution, each resume within seconds of its render's end;
// - a render that fails in 20 ms: the run ends within 10 s;
// - BHuman's status API failing (503) or slow (20 s) during the last callback: the run still ends
//   within 60 s of that render's end;
// - n8n 2.x's combined binary mode (Execution Logic v2), with and without Download Video;
// - Max Wait: every generation id of the run comes out with timedOut: true.

const { randomUUID } = require('node:crypto');
const { rl, webhookNode, bhumanNode, codeNode, chain } = require('./workflows');
const { CheckError, expect } = require('./harness');
const { executionError, nodeOutput, sleep } = require('../../../scripts/lib/n8n');

const LEADS = [
	{ first_name: 'Dana', company: 'Vandelay', email: 'dana@example.com' },
	{ first_name: 'Elaine', company: 'Pendant', email: 'elaine@example.com' },
	{ first_name: 'Frank', company: 'Kruger', email: 'frank@example.com' },
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ENDED = (status) => status && !['new', 'running', 'waiting'].includes(status);

async function waitUntil(what, fn, timeoutMs = 60000, intervalMs = 300) {
	const deadline = Date.now() + timeoutMs;
	let last;
	for (;;) {
		last = await fn();
		if (last.done) return last.value;
		if (Date.now() > deadline) throw new CheckError(`timed out waiting for ${what}: ${last.why || ''}`);
		await sleep(intervalMs);
	}
}

/** A record of the simulator's API as BHuman's 2026-10 reference wraps it ({code, result}) or bare. */
function unwrap(answer) {
	return answer && typeof answer === 'object' && !Array.isArray(answer) && 'result' in answer && 'code' in answer ? answer.result : answer;
}

/** The simulator's record of generation `id` (whatever the dialect's envelope). */
async function simRecord(sim, id) {
	return unwrap(await sim.api(`/api/ai_studio/generated_video_by_id?id=${id}`));
}

/** Video → Generate of the first video instance, waiting until BHuman calls back. */
function callbackParams(data, extra = {}) {
	return {
		resource: 'video',
		operation: 'generate',
		videoInstanceId: rl(data.videoInstances[0].id),
		inputMode: 'mapping',
		variables: { variable: [{ name: 'name', value: '={{ $json.first_name }}' }, { name: 'company', value: '={{ $json.company }}' }] },
		waitForCompletion: true,
		waitMethod: 'callback',
		maxWait: 10,
		...extra,
	};
}

/**
 * The last step: an "email" to each lead, read through paired items as an email node's expressions
 * would. In n8n 2.x's combined binary mode a Code node gets each item's JSON without `json`
 * around it: `j` reads either shape.
 */
function emailNode(source = 'Leads') {
	return codeNode(
		`const j = (x) => (x && typeof x.json === 'object' && x.json !== null ? x.json : x); return $input.all().map((item, i) => { const lead = j($(${JSON.stringify(source)}).itemMatching(i)); const video = j(item); return { json: { to: lead.email, first: lead.first_name, id: video.id, status: video.status, pageUrl: video.pageUrl, timedOut: video.timedOut, message: video.message } }; });`,
		{ name: 'Email' },
	);
}

/**
 * Lead webhook (answers at once; or the given trigger) → Leads (Code) → BHuman (Until BHuman Calls
 * Back) → Email step (a Code node that reads the lead through paired items, as an email node's
 * expressions would). `settings`: the workflow's settings (e.g. binaryMode).
 */
function waitingWorkflow(name, data, credential, { leads = LEADS, extra = {}, trigger, settings } = {}) {
	const hook = trigger || webhookNode();
	if (!trigger) hook.parameters.responseMode = 'onReceived';
	const rows = codeNode(leads, { name: 'Leads' });
	const bhuman = bhumanNode(callbackParams(data, extra), credential);
	const workflow = chain(name, [hook, rows, bhuman, emailNode()]);
	if (settings) workflow.settings = { ...workflow.settings, ...settings };
	return { workflow, path: hook.parameters?.path, nodeId: bhuman.id };
}

/**
 * Webhook → Leads → Loop Over Items (splitInBatches v3, batch 1) ⇄ [BHuman (Until BHuman Calls
 * Back) → Email] ; the loop's "done" output → Done. Each pass sends one lead and waits for it.
 */
function loopWorkflow(name, data, credential, { leads }) {
	const hook = webhookNode();
	hook.parameters.responseMode = 'onReceived';
	const rows = codeNode(leads, { name: 'Leads' });
	const loop = {
		id: randomUUID(),
		name: 'Loop Over Items',
		type: 'n8n-nodes-base.splitInBatches',
		typeVersion: 3,
		position: [440, 0],
		parameters: { batchSize: 1, options: {} },
	};
	const bhuman = bhumanNode(callbackParams(data), credential, { position: [660, 100] });
	const email = emailNode('Loop Over Items');
	email.position = [880, 100];
	const done = { id: randomUUID(), name: 'Done', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [660, -100], parameters: {} };
	hook.position = [0, 0];
	rows.position = [220, 0];
	const to = (node) => [{ node, type: 'main', index: 0 }];
	return {
		workflow: {
			name,
			nodes: [hook, rows, loop, bhuman, email, done],
			connections: {
				[hook.name]: { main: [to(rows.name)] },
				[rows.name]: { main: [to(loop.name)] },
				[loop.name]: { main: [to(done.name), to(bhuman.name)] },
				[bhuman.name]: { main: [to(email.name)] },
				[email.name]: { main: [to(loop.name)] },
			},
			settings: { executionOrder: 'v1' },
		},
		path: hook.parameters.path,
		nodeId: bhuman.id,
	};
}

/** Creates and activates the workflow, calls its lead webhook; returns { saved, startedAt }. */
async function startRun(client, wf) {
	const saved = await client.createWorkflow(wf.workflow);
	await client.activateWorkflow(saved.id, saved.versionId);
	const startedAt = Date.now();
	const res = await client.callWebhook(wf.path, { body: {} });
	expect(res.status === 200, `the lead webhook answered ${res.status}: ${JSON.stringify(res.body).slice(0, 200)}`);
	return { saved, startedAt };
}

/** Starts the workflow (its webhook answers on receipt) and returns its execution once it waits. */
async function startWaiting(client, wf) {
	const { saved, startedAt } = await startRun(client, wf);
	const waiting = await waitUntil('the execution to wait', async () => {
		const list = await client.listExecutions(saved.id);
		const failed = list.find((e) => ['error', 'crashed'].includes(e.status));
		if (failed) throw new CheckError('the execution failed instead of waiting', { execution: executionError(await client.getExecution(failed.id)) });
		return { done: list[0]?.status === 'waiting', value: list[0], why: list.map((e) => e.status).join(', ') };
	});
	return { saved, waiting, startedAt };
}

async function finished(client, workflowId, id, timeoutMs = 120000) {
	return waitUntil(`execution ${id} to finish`, async () => {
		const ex = await client.getExecution(id);
		return { done: ENDED(ex.status), value: ex, why: ex.status };
	}, timeoutMs);
}

/** The only execution of a workflow, once it has ended. */
async function onlyExecution(client, workflowId, timeoutMs = 120000) {
	const list = await waitUntil('the execution to end', async () => {
		const l = await client.listExecutions(workflowId);
		return { done: l.length > 0 && l.every((e) => ENDED(e.status)), value: l, why: l.map((e) => e.status).join(', ') || 'none yet' };
	}, timeoutMs);
	expect(list.length === 1, `${list.length} executions`);
	return client.getExecution(list[0].id);
}

/**
 * The execution once it has ended; when it does not end in time, the failure says how BHuman's
 * callbacks to it were answered (and what n8n answered).
 */
async function resumedOrWhy(ctx, run, tag, timeoutMs = 90000) {
	try {
		return await finished(ctx.client, run.saved.id, run.waiting.id, timeoutMs);
	} catch (err) {
		const { callbacks } = await runTraffic(ctx.sim, tag);
		const answers = callbacks.map((c) => `${c.status || c.error}${c.ms !== undefined ? ` in ${c.ms} ms` : ''}`).join(', ');
		// The last callback once more, to show n8n's answer (the simulator keeps only the status).
		const last = callbacks.at(-1);
		const again = last && (await ctx.client.callWebhook(last.url, { body: last.body }).catch((e) => ({ status: e.message, body: '' })));
		const text = again ? JSON.stringify(Buffer.isBuffer(again.body) ? again.body.toString('utf8') : again.body) : '';
		const answer = again ? `; that callback again: ${again.status} ${text.slice(0, 200)}` : '';
		const stack = again?.body?.stacktrace ? `\nn8n's stack trace:\n${String(again.body.stacktrace).split('\n').slice(0, 14).join('\n')}` : '';
		throw new CheckError(`${err.message}; BHuman's callbacks to it were answered ${answers || '(none sent)'}${answer}`, { details: `${callbacks.map((c) => c.url).join('\n')}${stack}` });
	}
}

/** Each item of the Email step went to its lead, with the video BHuman made for that lead. */
async function expectLeadEmails(sim, out, leads, { success = 'succeeded' } = {}) {
	expect(out.length === leads.length, `${out.length} items reached the last step, not ${leads.length}`);
	for (const [i, item] of out.entries()) {
		const rec = await simRecord(sim, item.json.id);
		expect(item.json.to === leads[i].email && rec.text[0] === leads[i].first_name, `item ${i}: email to ${item.json.to}, video for ${rec.text[0]}`);
		expect(item.json.status === success && item.json.pageUrl === rec.share_url && item.json.timedOut === false, `item ${i}: ${JSON.stringify(item.json)} (expected status ${success}, pageUrl ${rec.share_url}, timedOut false)`);
	}
}

/** The generate requests whose rows carry `tag`, and the deliveries of their callbacks. */
async function runTraffic(sim, tag) {
	const posts = (await sim.control('GET', '/__sim/requests?path=/api/ai_studio/try_sample')).filter((r) => JSON.stringify(r.body).includes(tag));
	const urls = posts.map((p) => p.body.callback_url);
	const callbacks = (await sim.control('GET', '/__sim/callbacks')).filter((c) => urls.some((u) => u && c.url.startsWith(u)));
	return { posts, urls, callbacks };
}

/** When generation `id`'s render ended: the start of its first callback (the simulator calls back at once). */
function renderEnd(callbacks, id) {
	const own = callbacks.filter((c) => String(c.body?.id).toLowerCase() === String(id).toLowerCase());
	return own.length ? Math.min(...own.map((c) => c.at)) : undefined;
}

const leadsTagged = (tag, leads = LEADS) => leads.map((l, i) => ({ ...l, company: `${tag}-${i}` }));
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Max Wait's output: one item per generation of the run (`ids`, in lead order), each with its id and
 * timedOut: true. Throws on a missing, extra or unknown id, or an item without timedOut.
 */
function expectTimedOut(out, ids) {
	expect(ids.length && ids.every((id) => UUID.test(id)), `the run's generation ids: ${JSON.stringify(ids)}`);
	const got = out.map((o) => o.json.id);
	expect(out.length === ids.length, `${out.length} items for the run's ${ids.length} generations: ${JSON.stringify(got)}`);
	for (const [i, id] of ids.entries()) {
		const item = out[i]?.json || {};
		expect(typeof item.id === 'string' && item.id.toLowerCase() === id.toLowerCase(), `item ${i}: id ${JSON.stringify(item.id)}, the run's generation ${id}`);
		expect(item.timedOut === true, `item ${i} (${id}): timedOut ${JSON.stringify(item.timedOut)}`);
	}
}

/** Runs `assertion` on a broken copy of its input and requires it to fail (the check can fail). */
function mustFailOn(what, assertion) {
	try {
		assertion();
	} catch {
		return;
	}
	throw new CheckError(`self-test: the assertion passed on ${what}`);
}

/** The MP4 of an output item: n8n 2.x's combined mode moves it to json._files (filesystem/database mode). */
function mp4Of(item) {
	const inBinary = item.binary?.data;
	if (inBinary) return { where: 'binary.data', meta: inBinary };
	const inJson = item.json?._files?.data;
	if (inJson) return { where: 'json._files.data', meta: inJson };
	return undefined;
}

const MAX_WAIT_LEADS = [LEADS[0], { first_name: 'sim:never', company: 'Pending', email: 'never@example.com' }];

/**
 * Max Wait, part 1 (started first: n8n's wait tracker looks for due executions once a minute):
 * a run with Max Wait 6 s and a video that never finishes waits. Its generation ids are taken while
 * it waits and each is checked against BHuman's record of its lead. Returns the run for part 2.
 */
async function startMaxWait(ctx, check, data) {
	const { client, sim } = ctx;
	let run;
	await check('Until BHuman Calls Back with Max Wait 6 s and a video that never finishes: the execution waits', async () => {
		const wf = waitingWorkflow('e2e callback wait max', data, ctx.credential, { leads: MAX_WAIT_LEADS, extra: { maxWait: 0.1 } });
		const started = await startWaiting(client, wf);
		const ids = (nodeOutput(await client.getExecution(started.waiting.id), 'BHuman') || []).map((item) => item.json.id);
		expect(ids.length === MAX_WAIT_LEADS.length && ids.every((id) => UUID.test(id || '')), `the waiting execution shows generation ids ${JSON.stringify(ids)}`);
		for (const [i, id] of ids.entries()) {
			const rec = await simRecord(sim, id);
			expect(rec.text[0] === MAX_WAIT_LEADS[i].first_name, `generation ${id} is BHuman's video for ${rec.text[0]}, not ${MAX_WAIT_LEADS[i].first_name}`);
		}
		run = { ...started, ids };
		return `execution ${started.waiting.id} waiting for ${ids.map((id) => id.slice(0, 8)).join(', ')}`;
	});
	return run;
}

/**
 * Max Wait, part 2: n8n resumes the run; every generation id of the run (taken while it waited) comes
 * out with timedOut: true and its lead in scope. The assertion is also run on copies of the output
 * with an id missing, an item missing and timedOut false, and must fail on each.
 */
async function checkMaxWait(ctx, check, run) {
	const { client } = ctx;
	if (!run) return;
	await check('Until BHuman Calls Back, Max Wait reached: n8n resumes the run, every generation id of the run with timedOut: true', async () => {
		const ex = await finished(client, run.saved.id, run.waiting.id, 150000);
		if (ex.status !== 'success') throw new CheckError(`the execution ended ${ex.status}`, { execution: executionError(ex) });
		const out = nodeOutput(ex, 'Email') || [];
		expectTimedOut(out, run.ids);
		expect(out.every((o) => o.json.status === 'accepted'), `statuses ${JSON.stringify(out.map((o) => o.json.status))}`);
		expect(out.map((o) => o.json.to).join() === MAX_WAIT_LEADS.map((l) => l.email).join(), 'the leads are not in scope after Max Wait');
		const copy = () => JSON.parse(JSON.stringify(out));
		mustFailOn('an output without an id', () => expectTimedOut(copy().map((o, i) => (i === 1 ? { json: { ...o.json, id: undefined } } : o)), run.ids));
		mustFailOn('an output missing an item', () => expectTimedOut(copy().slice(0, 1), run.ids));
		mustFailOn('an output with timedOut false', () => expectTimedOut(copy().map((o) => ({ json: { ...o.json, timedOut: false } })), run.ids));
		const waited = Math.round((Date.parse(ex.stoppedAt) - run.startedAt) / 1000);
		return `resumed ${waited} s after the lead arrived (Max Wait 6 s; n8n's wait tracker looks once a minute) with ids ${run.ids.map((id) => id.slice(0, 8)).join(', ')}, each timedOut: true`;
	}, { timeoutMs: 180000 });
}

/**
 * The waiting paths on one line (ctx.line 1, 2 or 'queue'): each a check of its own.
 * The simulator's renders should take a few seconds (the caller sets /__sim/render).
 */
async function waitingPaths(ctx, check) {
	const { client, sim } = ctx;
	const data = await sim.data();
	const v2 = ctx.line !== 1;

	await check('Loop Over Items (batch 1) around Until BHuman Calls Back, 3 leads: one execution, 3 waits and 3 resumes (each pass its own token), each lead its own video at the last step, each resume within 15 s of its render\'s end', async () => {
		const tag = `loop-${randomUUID().slice(0, 6)}`;
		const leads = leadsTagged(tag);
		const wf = loopWorkflow('e2e callback wait loop', data, ctx.credential, { leads });
		const { saved, startedAt } = await startRun(client, wf);
		const ex = await onlyExecution(client, saved.id, 150000);
		if (ex.status !== 'success') throw new CheckError(`the execution ended ${ex.status}`, { execution: executionError(ex) });
		const runData = ex.data.resultData.runData;
		expect((runData.BHuman || []).length === 3 && (runData.Email || []).length === 3, `BHuman ran ${(runData.BHuman || []).length} times, Email ${(runData.Email || []).length} times (3 passes expected)`);
		const done = nodeOutput(ex, 'Done') || [];
		expect(done.length === 3, `the loop's done output has ${done.length} items`);
		const ids = new Set();
		for (const [i, item] of done.entries()) {
			const rec = await simRecord(sim, item.json.id);
			ids.add(item.json.id);
			expect(item.json.to === leads[i].email && item.json.first === leads[i].first_name && rec.text[0] === leads[i].first_name && rec.text[1] === leads[i].company, `pass ${i}: email to ${item.json.to} (${item.json.first}), video for ${rec.text.join(' ')}`);
			expect(item.json.status === 'succeeded' && item.json.timedOut === false && item.json.pageUrl === rec.share_url, `pass ${i}: ${JSON.stringify(item.json)}`);
		}
		expect(ids.size === 3, 'two passes got the same video');
		const { posts, urls, callbacks } = await runTraffic(sim, tag);
		const tokens = new Set(urls.map((u) => new URL(u).searchParams.get('token')));
		expect(posts.length === 3 && tokens.size === 3, `${posts.length} generate requests, ${tokens.size} distinct tokens (one wait per pass expected)`);
		const gaps = runData.Email.map((run) => {
			const id = run.data?.main?.[0]?.[0]?.json.id;
			const end = renderEnd(callbacks, id);
			return end === undefined ? undefined : run.startTime - end;
		});
		expect(gaps.every((g) => g !== undefined), `a pass's render has no callback: ${JSON.stringify(gaps)}`);
		const worst = Math.max(...gaps);
		const answered = callbacks.map((c) => c.status || c.error).join(', ');
		expect(worst <= 15000, `a pass resumed ${seconds(worst)} after its render ended (gaps ${gaps.map(seconds).join(', ')}; callbacks answered ${answered})`);
		return `execution ${ex.id}: 3 passes in ${seconds(Date.parse(ex.stoppedAt) - startedAt)}; resume after render end ${gaps.map(seconds).join(', ')} (worst ${seconds(worst)}); callbacks answered ${answered}`;
	}, { timeoutMs: 200000 });

	await check('Until BHuman Calls Back, a render that fails in 20 ms (sim:fail, sim:render=20): the run ends within 10 s of its start, success, the item failed', async () => {
		const leads = [{ first_name: 'sim:fail', company: 'sim:render=20', email: 'fails@example.com' }];
		const wf = waitingWorkflow('e2e callback wait fast failure', data, ctx.credential, { leads });
		const { saved, startedAt } = await startRun(client, wf);
		const ex = await onlyExecution(client, saved.id, 60000);
		const took = Date.parse(ex.stoppedAt) - startedAt;
		if (ex.status !== 'success') throw new CheckError(`the execution ended ${ex.status}`, { execution: executionError(ex) });
		const [item] = nodeOutput(ex, 'Email') || [];
		expect(item && item.json.id, `the last step got ${JSON.stringify(item?.json)}`);
		// How the run got its outcome: BHuman asked before the wait (no wait), or a resume (the
		// callback, or the node's own check after the callback came too early and n8n answered 409).
		const callbacks = (await sim.control('GET', '/__sim/callbacks')).filter((c) => c.body?.id === item.json.id);
		const checks = (await sim.control('GET', '/__sim/requests?path=/api/ai_studio/generated_video_by_id')).filter((r) => r.query?.id === item.json.id);
		const how = `callback answered ${callbacks.map((c) => `${c.status || c.error} at +${seconds(c.at - startedAt)}`).join(', ') || 'none'}; BHuman asked about it ${checks.length} times (at ${checks.map((r) => `+${seconds(r.at - startedAt)}`).join(', ')})`;
		const rec = await simRecord(sim, item.json.id);
		expect(rec.status === 'failed' && item.json.status === 'failed' && item.json.timedOut === false, `the last step got ${JSON.stringify(item.json)}; BHuman's record: ${rec.status} (${how})`);
		expect(took <= 10000, `the run ended ${seconds(took)} after its start (${how})`);
		return `ended ${seconds(took)} after the lead arrived; ${how}; message ${JSON.stringify(item.json.message)}`;
	}, { timeoutMs: 90000 });

	await check("Until BHuman Calls Back, the last video of the run fails (its callback resumes the run): it comes out failed with BHuman's message, as the polling mode gives it", async () => {
		// Row 2 renders 400 ms after row 1 (staggered) and fails: its callback is the run's last.
		const tag = `failed-${randomUUID().slice(0, 6)}`;
		const leads = [{ ...LEADS[0], company: `${tag}-0` }, { first_name: 'Eve', company: 'sim:fail', email: 'eve@example.com' }];
		const wf = waitingWorkflow('e2e callback wait failed last', data, ctx.credential, { leads });
		const run = await startWaiting(client, wf);
		const ex = await resumedOrWhy(ctx, run, tag, 60000);
		if (ex.status !== 'success') throw new CheckError(`the execution ended ${ex.status}`, { execution: executionError(ex) });
		const out = nodeOutput(ex, 'Email') || [];
		expect(out.length === 2, `${out.length} items at the last step`);
		const { callbacks } = await runTraffic(sim, tag);
		const answers = callbacks.map((c) => `${c.body.id === out[1].json.id ? 'failed video' : 'first video'}: ${c.status || c.error}`).join(', ');
		const rec = await simRecord(sim, out[1].json.id);
		expect(out[0].json.status === 'succeeded' && out[1].json.status === 'failed' && rec.status === 'failed', `statuses ${out.map((o) => o.json.status).join(', ')} (callbacks answered ${answers})`);
		expect(out[1].json.message === rec.message, `the failed video's message is ${JSON.stringify(out[1].json.message)}, BHuman's record says ${JSON.stringify(rec.message)} (the callback body has no message; callbacks answered ${answers})`);
		return `message "${out[1].json.message}"; callbacks answered ${answers}`;
	}, { timeoutMs: 120000 });

	for (const trouble of ['fault', 'slow']) {
		const title =
			trouble === 'fault'
				? 'BHuman answering 503 to the status checks (6 times) during the last callback'
				: 'BHuman answering its status API after 20 s during the last callback';
		await check(`Until BHuman Calls Back, ${title}: the run still ends within 60 s of that render's end, resumed once, each lead its video`, async () => {
			// The first two renders take 12 s: longer than the node's own checks 2 s and 8 s after it
			// started to wait, so no check before the last callback has found the first video final
			// (this process keeps BHuman's final records): the last callback must ask BHuman.
			const tag = `${trouble}-${randomUUID().slice(0, 6)}`;
			const leads = [
				{ ...LEADS[0], company: 'sim:render=12000' },
				{ ...LEADS[1], company: 'sim:render=12000' },
				{ first_name: 'sim:never', company: tag, email: 'last@example.com' },
			];
			const wf = waitingWorkflow(`e2e callback wait ${trouble}`, data, ctx.credential, { leads });
			const { saved, waiting } = await startWaiting(client, wf);
			const ids = (nodeOutput(await client.getExecution(waiting.id), 'BHuman') || []).map((item) => item.json.id);
			expect(ids.length === 3, `the waiting execution shows ${ids.length} generation ids`);
			await waitUntil('the first two callbacks answered', async () => {
				const { callbacks } = await runTraffic(sim, tag);
				const answered = callbacks.filter((c) => ids.slice(0, 2).includes(c.body?.id) && (c.status || c.error));
				return { done: answered.length >= 2, why: `${answered.length} answered` };
			}, 60000);
			const requestsBefore = (await sim.control('GET', '/__sim/requests?path=/api/ai_studio/generated_video_by_id')).length;
			let end;
			let ex;
			try {
				if (trouble === 'fault') await sim.control('POST', '/__sim/faults', { method: 'GET', path: '/api/ai_studio/generated_video_by_id', status: 503, times: 6 });
				else await sim.control('POST', '/__sim/latency', { ms: 20000 });
				end = Date.now();
				await sim.control('POST', `/__sim/generations/${ids[2]}/complete`, { status: 'succeeded' });
				ex = await finished(client, saved.id, waiting.id, 90000);
			} finally {
				if (trouble === 'slow') await sim.control('POST', '/__sim/latency', { ms: 0 });
			}
			// The injected fault (this check's: matched by its path), with how often it fired.
			const fault = (await sim.control('GET', '/__sim/faults')).find((f) => f.times === 6 && f.status === 503);
			if (trouble === 'fault') await sim.control('DELETE', '/__sim/faults');
			const took = Date.parse(ex.stoppedAt) - end;
			if (ex.status !== 'success') throw new CheckError(`the execution ended ${ex.status}`, { execution: executionError(ex) });
			const { callbacks } = await runTraffic(sim, tag);
			const last = callbacks.filter((c) => c.body?.id === ids[2]);
			const asked = (await sim.control('GET', '/__sim/requests?path=/api/ai_studio/generated_video_by_id')).slice(requestsBefore);
			const served503 = asked.filter((r) => r.status === 503).length;
			const lastAnswer = last.map((c) => `${c.status || c.error} in ${c.ms} ms`).join(', ');
			expect((await client.listExecutions(saved.id)).length === 1, 'more than one execution');
			await expectLeadEmails(sim, nodeOutput(ex, 'Email') || [], leads);
			expect(last.length >= 1 && last.every((c) => c.status >= 200 && c.status < 300), `the last callback was answered ${lastAnswer || 'never'}`);
			// The trouble was met: the last callback asked BHuman while it failed or was slow.
			if (trouble === 'fault') expect(served503 === 6 && fault?.fired === 6, `BHuman answered 503 ${served503} times (the fault fired ${fault?.fired} of 6 times)`);
			else expect(asked.length >= 1, 'nothing asked BHuman about the run while it was slow');
			expect(took <= 60000, `the run ended ${seconds(took)} after the last render ended (last callback answered ${lastAnswer})`);
			const timeline = asked.map((r) => `+${seconds(r.at - end)} ${r.status}`).join(', ');
			return `ended ${seconds(took)} after the last render's end; last callback answered ${lastAnswer}; status requests to BHuman after it (sent at, answer): ${timeline}${trouble === 'slow' ? ' (each answered after 20 s)' : ''}`;
		}, { timeoutMs: 240000 });
	}

	if (!v2) {
		ctx.suite.skip(ctx.label, "Until BHuman Calls Back in a workflow with binaryMode 'combined'", "n8n 1.x has no binary mode setting (n8n 2.x's Execution Logic v2)");
		return;
	}
	await check("Until BHuman Calls Back in a workflow with settings.binaryMode 'combined' (n8n 2.x, Execution Logic v2), 2 leads: it resumes, each lead its video", async () => {
		const tag = `combined-${randomUUID().slice(0, 6)}`;
		const leads = leadsTagged(tag, LEADS.slice(0, 2));
		const wf = waitingWorkflow('e2e callback wait combined', data, ctx.credential, { leads, settings: { binaryMode: 'combined' } });
		const run = await startWaiting(client, wf);
		const { saved, waiting } = run;
		const stored = await client.getWorkflow(saved.id);
		expect(stored.settings?.binaryMode === 'combined', `the saved workflow's settings: ${JSON.stringify(stored.settings)}`);
		const ex = await resumedOrWhy(ctx, run, tag, 60000);
		if (ex.status !== 'success') throw new CheckError(`the execution ended ${ex.status}`, { execution: executionError(ex) });
		await expectLeadEmails(sim, nodeOutput(ex, 'Email') || [], leads);
		expect((await client.listExecutions(saved.id)).length === 1, 'more than one execution');
		return `execution ${waiting.id} waited and resumed; 2 emails to their leads`;
	}, { timeoutMs: 180000 });

	await check("Until BHuman Calls Back with Download Video in a workflow with binaryMode 'combined': the MP4 of each lead reaches the node's output, byte for byte", async () => {
		const tag = `combined-dl-${randomUUID().slice(0, 6)}`;
		const leads = leadsTagged(tag, LEADS.slice(0, 2));
		const wf = waitingWorkflow('e2e callback wait combined download', data, ctx.credential, { leads, settings: { binaryMode: 'combined' }, extra: { downloadVideo: true } });
		const run = await startWaiting(client, wf);
		const { waiting } = run;
		const ex = await resumedOrWhy(ctx, run, tag, 60000);
		if (ex.status !== 'success') throw new CheckError(`the execution ended ${ex.status}`, { execution: executionError(ex) });
		await expectLeadEmails(sim, nodeOutput(ex, 'Email') || [], leads);
		const generated = nodeOutput(ex, 'BHuman') || [];
		expect(generated.length === 2, `BHuman output ${generated.length} items`);
		const shown = [];
		for (const [i, item] of generated.entries()) {
			const mp4 = mp4Of(item);
			expect(mp4 && mp4.meta.mimeType === 'video/mp4' && mp4.meta.fileName === `${item.json.id}.mp4`, `item ${i}: no MP4 (binary ${JSON.stringify(item.binary || null).slice(0, 150)}, json keys ${Object.keys(item.json).join(', ')})`);
			const rec = await simRecord(sim, item.json.id);
			const want = Buffer.from(await (await fetch(rec.url)).arrayBuffer());
			let got;
			if (mp4.meta.id) {
				const res = await fetch(`${client.url}/rest/binary-data?id=${encodeURIComponent(mp4.meta.id)}&action=download`, { headers: { cookie: client._cookieHeader(), 'browser-id': client.browserId } });
				expect(res.ok, `n8n's binary-data route answered ${res.status} for ${mp4.meta.id}`);
				got = Buffer.from(await res.arrayBuffer());
			} else {
				got = Buffer.from(mp4.meta.data, 'base64');
			}
			expect(got.equals(want), `item ${i}: the stored MP4 (${got.length} bytes) is not BHuman's (${want.length} bytes)`);
			shown.push(`${mp4.where} ${got.length} bytes`);
		}
		return `execution ${waiting.id}: ${shown.join('; ')}`;
	}, { timeoutMs: 180000 });
}

module.exports = {
	LEADS,
	UUID,
	waitUntil,
	unwrap,
	simRecord,
	callbackParams,
	waitingWorkflow,
	loopWorkflow,
	startRun,
	startWaiting,
	finished,
	resumedOrWhy,
	onlyExecution,
	expectLeadEmails,
	runTraffic,
	renderEnd,
	leadsTagged,
	seconds,
	expectTimedOut,
	mustFailOn,
	mp4Of,
	startMaxWait,
	checkMaxWait,
	waitingPaths,
};
