'use strict';
// Until BHuman Calls Back in a real n8n: the workflow builders and helpers shared by
// checks/callback-wait.js (lines 1 and 2), checks/queue-wait.js (queue line) and checks/forms.js,
// and the waiting-path checks run on every line (`waitingPaths`):
// - Loop Over Items (batch 1) around the node: each pass waits and resumes on its own, in one
//   execution, each resume within seconds of its render's end;
// - a render that fails at once: the run ends without waiting;
// - BHuman's status API failing (503) or slow (20 s) during the last callback;
// - two leads behind a proxy that publishes only n8n's webhook paths; n8n restarted while two
//   runs wait;
// - the MP4s the n8n way: a Video → Get with Download Video after the resume;
// - n8n 2.x's combined binary mode (Execution Logic v2);
// - Max Wait: every generation id of the run comes out with timedOut: true; videos that end
//   inside n8n's wait-tracker window of a loop pass's Max Wait (started first, checked last).

const fs = require('node:fs');
const path = require('node:path');
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
		`const j = (x) => (x && typeof x.json === 'object' && x.json !== null ? x.json : x); return $input.all().map((item, i) => { const lead = j($(${JSON.stringify(source)}).itemMatching(i)); const video = j(item); return { json: { to: lead.email, first: lead.first_name, id: video.id, status: video.status, pageUrl: video.pageUrl, timedOut: video.timedOut, unconfirmed: video.unconfirmed, message: video.message } }; });`,
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
function loopWorkflow(name, data, credential, { leads, extra = {} }) {
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
	const bhuman = bhumanNode(callbackParams(data, extra), credential, { position: [660, 100] });
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

/**
 * Waits (bounded) until execution `id` has read `waiting` for `stableMs` on end: after a restart,
 * n8n's recovery passes a waiting execution through other states before it waits again.
 */
async function settledWaiting(client, id, { timeoutMs = 60000, stableMs = 5000 } = {}) {
	let since;
	const seen = [];
	await waitUntil(`execution ${id} to be waiting again after the restart`, async () => {
		const { status } = await client.getExecution(id);
		if (seen.at(-1) !== status) seen.push(status);
		since = status === 'waiting' ? (since ?? Date.now()) : undefined;
		return { done: since !== undefined && Date.now() - since >= stableMs, why: `read ${seen.join(' → ')}` };
	}, timeoutMs, 250);
	return seen;
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
		// The execution's own wait ends 90 s after Max Wait (the node keeps n8n's wait tracker,
		// which looks 70 s ahead once a minute, from ever resuming a run a callback resumed).
		const ex = await finished(client, run.saved.id, run.waiting.id, 240000);
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
		expect(waited >= 6 + 90, `resumed ${waited} s after the lead arrived: before Max Wait (6 s) plus the 90-s margin`);
		return `resumed ${waited} s after the lead arrived (Max Wait 6 s, the wait 90 s longer; n8n's wait tracker looks once a minute) with ids ${run.ids.map((id) => id.slice(0, 8)).join(', ')}, each timedOut: true`;
	}, { timeoutMs: 300000 });
}

/**
 * n8n's wait tracker, part 1: its lookahead and interval read from the installed n8n; then, started
 * beside the checks that follow, Loop Over Items around the node, Max Wait 81 s, each pass's video
 * rendering 72 s, so each pass is resumed by its callback 9 s before its Max Wait, inside the 70 s
 * in which n8n's wait tracker sets a timer for a wait that ends; the tracker looks once a minute,
 * so it looks at least once between 11 s into the pass and its resume. Had the execution's wait
 * ended at Max Wait, that timer would restart the execution at the first pass's Max Wait: the
 * second pass's wait ends early (its video timed out) on both lines.
 */
async function startTrackerWindow(ctx, check, data) {
	const { client } = ctx;
	let run;
	await check("n8n's wait tracker: the installed n8n looks for waits ending within 70 s, once a minute (the node keeps every resume out of that window)", async () => {
		const { dir } = (ctx.cluster || ctx.n8n).install;
		const repository = fs.readFileSync(path.join(dir, 'node_modules/@n8n/db/dist/repositories/execution.repository.js'), 'utf8');
		const tracker = fs.readFileSync(path.join(dir, 'node_modules/n8n/dist/wait-tracker.js'), 'utf8');
		const ahead = Number(/getWaitingExecutions\(\) \{\s*const waitTill = new Date\(Date\.now\(\) \+ (\d+)\)/.exec(repository)?.[1]);
		const every = Number(/setInterval\(\(\) => \{\s*void this\.getWaitingExecutions\(\);\s*\}, (\d+)\)/.exec(tracker)?.[1]);
		const { userFolder } = ctx.cluster || ctx.n8n;
		// The installed package's margin (its code needs n8n's own modules: read, not loaded).
		const installed = fs.readFileSync(path.join(userFolder, '.n8n/nodes/node_modules/n8n-nodes-bhuman/dist/nodes/Bhuman/helpers/callbacks.js'), 'utf8');
		const TRACKER_MARGIN_MS = Number(/exports\.TRACKER_MARGIN_MS = ([\d_]+);/.exec(installed)?.[1].replace(/_/g, ''));
		expect(ahead > 0 && every > 0, `n8n's wait tracker changed: lookahead ${ahead}, interval ${every} (read from ${dir})`);
		expect(TRACKER_MARGIN_MS >= ahead + 15000, `the node's margin ${TRACKER_MARGIN_MS} ms is not 15 s beyond n8n's lookahead ${ahead} ms`);
		return `lookahead ${ahead / 1000} s, every ${every / 1000} s; the node's wait ends ${TRACKER_MARGIN_MS / 1000} s after Max Wait`;
	});
	await check('Loop Over Items, Max Wait 81 s, each pass\'s video ending 72 s in (inside the wait tracker\'s 70-s window): the loop starts', async () => {
		const tag = `window-${randomUUID().slice(0, 6)}`;
		const leads = LEADS.slice(0, 2).map((lead) => ({ ...lead, company: 'sim:render=72000', tag }));
		const wf = loopWorkflow('e2e callback wait tracker window', data, ctx.credential, { leads, extra: { maxWait: 1.35 } });
		const { saved, startedAt } = await startRun(client, wf);
		run = { saved, startedAt, leads };
		return `workflow ${saved.id}`;
	});
	return run;
}

/** n8n's wait tracker, part 2: both passes came out with their videos, none timed out, one execution. */
async function checkTrackerWindow(ctx, check, run) {
	if (!run) return;
	const { client, sim } = ctx;
	await check("Loop Over Items, Max Wait 81 s, each pass's video ending 72 s in: both passes come out succeeded (none ended early by n8n's wait tracker), one execution, the last step run twice", async () => {
		const ex = await onlyExecution(client, run.saved.id, 300000);
		if (ex.status !== 'success') throw new CheckError(`the execution ended ${ex.status}`, { execution: executionError(ex) });
		const runData = ex.data.resultData.runData;
		const done = nodeOutput(ex, 'Done') || [];
		expect((runData.Email || []).length === 2 && done.length === 2, `Email ran ${(runData.Email || []).length} times; the loop's done output has ${done.length} items`);
		for (const [i, item] of done.entries()) {
			const rec = await simRecord(sim, item.json.id);
			expect(item.json.status === 'succeeded' && item.json.timedOut === false && rec.text[0] === run.leads[i].first_name, `pass ${i}: ${JSON.stringify(item.json)}`);
		}
		return `ended ${seconds(Date.parse(ex.stoppedAt) - run.startedAt)} after the lead arrived; both passes succeeded`;
	}, { timeoutMs: 360000 });
}

/**
 * Two leads, the second's render kept going (sim:never): once the first's callback has been
 * answered, the run waits for the second alone. Returns the run, its leads and generation ids.
 */
async function waitingForLast(ctx, data, trouble) {
	const { client, sim } = ctx;
	const tag = `${trouble}-${randomUUID().slice(0, 6)}`;
	const leads = [LEADS[0], { first_name: 'sim:never', company: tag, email: 'last@example.com' }];
	const wf = waitingWorkflow(`e2e callback wait ${trouble}`, data, ctx.credential, { leads });
	const run = await startWaiting(client, wf);
	const ids = (nodeOutput(await client.getExecution(run.waiting.id), 'BHuman') || []).map((item) => item.json.id);
	expect(ids.length === 2, `the waiting execution shows ${ids.length} generation ids`);
	await waitUntil("the first video's callback answered", async () => {
		const { callbacks } = await runTraffic(sim, tag);
		return { done: callbacks.some((c) => c.body?.id === ids[0] && (c.status || c.error)), why: `${callbacks.length} callbacks` };
	}, 60000);
	return { run, tag, leads, ids };
}

/**
 * The waiting paths on one line (ctx.line 1, 2 or 'queue'): each a check of its own.
 * The simulator's renders should take a few seconds (the caller sets /__sim/render).
 */
async function waitingPaths(ctx, check) {
	const { client, sim } = ctx;
	const data = await sim.data();
	const v2 = ctx.line !== 1;

	await check("Until BHuman Calls Back, BHuman answering 503 to every status request during the last callback, which BHuman does not deliver again: the callback resumes the run (after the node's retries), within a minute; the first lead gets its video, the last comes out timedOut and unconfirmed with no link (nothing from the callback's body); nothing asks BHuman after the answer; one execution", async () => {
		const { run, tag, leads, ids } = await waitingForLast(ctx, data, 'fault');
		const lastCallback = async () => (await runTraffic(sim, tag)).callbacks.filter((c) => c.body?.id === ids[1]);
		let answered;
		let ex;
		const ended = Date.now();
		try {
			await sim.control('POST', '/__sim/faults', { method: 'GET', path: '/api/ai_studio/generated_video_by_id', status: 503, times: -1 });
			await sim.control('POST', `/__sim/generations/${ids[1]}/complete`, { status: 'succeeded' });
			answered = await waitUntil('the last callback answered', async () => {
				const last = await lastCallback();
				return { done: last.length > 0 && Boolean(last[0].status || last[0].error), value: last[0], why: 'not yet' };
			}, 60000);
			expect(answered.status === 200, `the last callback was answered ${answered.status || answered.error}`);
			ex = await resumedOrWhy(ctx, run, tag, 60000);
			const asked = (await sim.control('GET', '/__sim/requests?path=/api/ai_studio/generated_video_by_id')).length;
			await sleep(5000);
			const later = (await sim.control('GET', '/__sim/requests?path=/api/ai_studio/generated_video_by_id')).length;
			expect(later === asked, `${later - asked} status requests to BHuman after the run ended`);
		} finally {
			await sim.control('DELETE', '/__sim/faults');
		}
		const took = Date.parse(ex.stoppedAt) - ended;
		if (ex.status !== 'success') throw new CheckError(`the execution ended ${ex.status}`, { execution: executionError(ex) });
		expect(took <= 60000, `the run ended ${seconds(took)} after the last render ended`);
		const out = nodeOutput(ex, 'Email') || [];
		await expectLeadEmails(sim, out.slice(0, 1), leads.slice(0, 1));
		const last = out[1]?.json || {};
		expect(last.to === leads[1].email && last.id === ids[1] && last.timedOut === true && last.unconfirmed === true && !last.pageUrl && last.status === 'accepted',
			`the last lead's item: ${JSON.stringify(last)} (expected its id, timedOut and unconfirmed, status accepted, no link)`);
		expect((await lastCallback()).length === 1, 'BHuman delivered the last callback again');
		expect((await client.listExecutions(run.saved.id)).length === 1, 'more than one execution');
		return `the last callback answered 200 in ${answered.ms} ms; the run ended ${seconds(took)} after the render's end; the last lead unconfirmed, no link; no request to BHuman in the 5 s after`;
	}, { timeoutMs: 240000 });

	await check("Until BHuman Calls Back, JSON input (Companies → BHuman → a Set node reading $('Companies').item): 2 companies × 2 contacts are refused before anything is sent, naming the item and Names (JSON); 2 companies × 1 contact resume by callback with each video at its own company", async () => {
		const tag = `json-${randomUUID().slice(0, 6)}`;
		const companies = (contacts) => ['A', 'B'].map((c) => ({ company: `${tag}-${c}`, contacts: Array.from({ length: contacts }, (_, i) => `${c} contact ${i}`) }));
		const extra = { inputMode: 'json', variablesJson: '["name", "company"]', namesJson: '={{ JSON.stringify($json.contacts.map((name) => [name, $json.company])) }}' };
		const build = (contacts) => {
			const hook = webhookNode();
			hook.parameters.responseMode = 'onReceived';
			const set = {
				id: randomUUID(),
				name: 'Each Company',
				type: 'n8n-nodes-base.set',
				typeVersion: 3.4,
				position: [0, 0],
				parameters: {
					assignments: { assignments: [
						{ id: randomUUID(), name: 'company', value: "={{ $('Companies').item.json.company }}", type: 'string' },
						{ id: randomUUID(), name: 'videoCompany', value: '={{ $json.variables.company }}', type: 'string' },
						{ id: randomUUID(), name: 'id', value: '={{ $json.id }}', type: 'string' },
						{ id: randomUUID(), name: 'status', value: '={{ $json.status }}', type: 'string' },
					] },
					options: {},
				},
			};
			const nodes = [hook, codeNode(companies(contacts), { name: 'Companies' }), bhumanNode(callbackParams(data, extra), ctx.credential), set];
			return { workflow: chain(`e2e callback wait json ${contacts}`, nodes), path: hook.parameters.path };
		};
		const refused = await startRun(client, build(2));
		const failed = await onlyExecution(client, refused.saved.id, 60000);
		expect(failed.status === 'error', `the 2 × 2 run ended ${failed.status}`);
		const why = executionError(failed) || '';
		expect(/Invalid item 0: Names \(JSON\) has 2 rows, and Until BHuman Calls Back takes one row per item/.test(why), `the 2 × 2 run's error: ${why.slice(0, 300)}`);
		const posts = (await sim.control('GET', '/__sim/requests?path=/api/ai_studio/try_sample')).filter((r) => JSON.stringify(r.body).includes(tag));
		expect(posts.length === 0, `${posts.length} generate requests for the refused run`);

		const run = await startWaiting(client, build(1));
		const ex = await resumedOrWhy(ctx, run, tag, 90000);
		if (ex.status !== 'success') throw new CheckError(`the execution ended ${ex.status}`, { execution: executionError(ex) });
		const out = (nodeOutput(ex, 'Each Company') || []).map((item) => item.json);
		expect(out.length === 2, `${out.length} items reached the step after BHuman`);
		for (const [i, c] of ['A', 'B'].entries()) {
			const rec = await simRecord(sim, out[i].id);
			expect(out[i].company === `${tag}-${c}` && out[i].videoCompany === `${tag}-${c}` && rec.text[1] === `${tag}-${c}` && out[i].status === 'succeeded',
				`item ${i}: ${JSON.stringify(out[i])}, its video made for ${rec.text[1]}`);
		}
		return `2 × 2 refused ("${why.slice(0, 90)}…"), no generate request; 2 × 1: ${out.map((o) => `${o.company} ← video for ${o.videoCompany}`).join(', ')}`;
	}, { timeoutMs: 240000 });

	await check("Until BHuman Calls Back, BHuman taking 20 s to answer each status request during the last callback: the callback waits for BHuman's answers (the simulator gives up on it after 10 s) and resumes the run, once, within 60 s of the render's end", async () => {
		const { run, tag, leads, ids } = await waitingForLast(ctx, data, 'slow');
		let end;
		let ex;
		try {
			await sim.control('POST', '/__sim/latency', { ms: 20000 });
			end = Date.now();
			await sim.control('POST', `/__sim/generations/${ids[1]}/complete`, { status: 'succeeded' });
			ex = await resumedOrWhy(ctx, run, tag, 90000);
		} finally {
			await sim.control('POST', '/__sim/latency', { ms: 0 });
		}
		const took = Date.parse(ex.stoppedAt) - end;
		if (ex.status !== 'success') throw new CheckError(`the execution ended ${ex.status}`, { execution: executionError(ex) });
		await expectLeadEmails(sim, nodeOutput(ex, 'Email') || [], leads);
		expect((await client.listExecutions(run.saved.id)).length === 1, 'more than one execution');
		expect(took <= 60000, `the run ended ${seconds(took)} after the last render ended`);
		const { callbacks } = await runTraffic(sim, tag);
		const last = callbacks.filter((c) => c.body?.id === ids[1]).map((c) => (c.status ? `${c.status} after ${c.ms} ms` : c.error)).join(', ');
		return `ended ${seconds(took)} after the last render's end; the last callback: ${last}`;
	}, { timeoutMs: 240000 });

	if (ctx.restartN8n) {
		await check('Until BHuman Calls Back, n8n restarted while two runs wait: the callbacks after the restart resume both, each lead its video', async () => {
			const tag = `restart-${randomUUID().slice(0, 6)}`;
			const runs = [];
			for (const [i, lead] of LEADS.slice(0, 2).entries()) {
				const leads = [{ ...lead, first_name: 'sim:never', company: `${tag}-${i}` }];
				const wf = waitingWorkflow(`e2e callback wait restart ${i}`, data, ctx.credential, { leads });
				const run = await startWaiting(client, wf);
				const [item] = nodeOutput(await client.getExecution(run.waiting.id), 'BHuman') || [];
				runs.push({ ...run, id: item.json.id, leads });
			}
			const restart = await ctx.restartN8n();
			ctx.client.url = ctx.n8n.url;
			// n8n's startup recovery may show a waiting execution as crashed for a moment (it amends
			// it, then its save hook writes waiting back): read until it has read waiting for 5 s.
			await Promise.all(runs.map((run) => settledWaiting(client, run.waiting.id)));
			for (const run of runs) await sim.control('POST', `/__sim/generations/${run.id}/complete`, { status: 'succeeded' });
			for (const run of runs) {
				const ex = await resumedOrWhy(ctx, run, tag, 60000);
				if (ex.status !== 'success') throw new CheckError(`the execution ended ${ex.status}`, { execution: executionError(ex) });
				const [out] = nodeOutput(ex, 'Email') || [];
				const rec = await simRecord(sim, run.id);
				expect(out && out.json.id === run.id && out.json.status === 'succeeded' && out.json.pageUrl === rec.share_url, `execution ${run.waiting.id}: ${JSON.stringify(out?.json)}`);
			}
			return `n8n restarted in ${restart} s with 2 runs waiting; both resumed by callbacks after it`;
		}, { timeoutMs: 360000 });
	}

	// What injects trouble into the simulator or n8n for everyone comes first; then the tracker
	// window's loop (about 100 s) runs beside the checks that do not.
	const window = await startTrackerWindow(ctx, check, data);

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

	await check('Until BHuman Calls Back, a render that fails at once (sim:fail, sim:render=0): BHuman, asked right after the generate request, says so; the run ends without waiting, the item failed', async () => {
		const leads = [{ first_name: 'sim:fail', company: 'sim:render=0', email: 'fails@example.com' }];
		const wf = waitingWorkflow('e2e callback wait fast failure', data, ctx.credential, { leads });
		const { saved, startedAt } = await startRun(client, wf);
		const ex = await onlyExecution(client, saved.id, 60000);
		const took = Date.parse(ex.stoppedAt) - startedAt;
		if (ex.status !== 'success') throw new CheckError(`the execution ended ${ex.status}`, { execution: executionError(ex) });
		const [item] = nodeOutput(ex, 'Email') || [];
		expect(item && item.json.id, `the last step got ${JSON.stringify(item?.json)}`);
		const rec = await simRecord(sim, item.json.id);
		expect(rec.status === 'failed' && item.json.status === 'failed' && item.json.timedOut === false && item.json.message === rec.message, `the last step got ${JSON.stringify(item.json)}; BHuman's record: ${rec.status}`);
		expect(!ex.waitTill && took <= 10000, `the run ended ${seconds(took)} after its start (waitTill ${ex.waitTill})`);
		return `ended ${seconds(took)} after the lead arrived, without waiting; message ${JSON.stringify(item.json.message)}`;
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

	await check('Until BHuman Calls Back, two leads, each its own execution, n8n behind a proxy that publishes only its webhook paths (WEBHOOK_URL): both runs end with their videos; the proxy forwarded only /webhook/ and /webhook-waiting/ and refused nothing', async () => {
		if (!ctx.proxy) throw new CheckError('this line runs without the webhook-only proxy');
		const tag = `proxy-${randomUUID().slice(0, 6)}`;
		const before = ctx.proxy.requests.length;
		const runs = [];
		for (const [i, lead] of LEADS.slice(0, 2).entries()) {
			const wf = waitingWorkflow(`e2e callback wait proxy ${i}`, data, ctx.credential, { leads: [{ ...lead, company: `${tag}-${i}` }] });
			runs.push({ ...(await startWaiting(client, wf)), lead: { ...lead, company: `${tag}-${i}` } });
		}
		const { urls } = await runTraffic(sim, tag);
		expect(urls.length === 2 && urls.every((u) => new URL(u).origin === ctx.proxy.url), `callback URLs ${urls.join(', ')} are not at the proxy ${ctx.proxy.url}`);
		for (const run of runs) {
			const ex = await resumedOrWhy(ctx, run, tag, 60000);
			if (ex.status !== 'success') throw new CheckError(`the execution ended ${ex.status}`, { execution: executionError(ex) });
			await expectLeadEmails(sim, nodeOutput(ex, 'Email') || [], [run.lead]);
		}
		const seen = ctx.proxy.requests.slice(before);
		const paths = [...new Set(seen.map((r) => r.path.split('/')[1]))];
		expect(!ctx.proxy.refused().length, `the proxy refused ${ctx.proxy.refused().map((r) => `${r.method} ${r.path}`).join(', ')}`);
		expect(seen.every((r) => /^\/(webhook|webhook-waiting)\//.test(r.path)), `through the proxy: ${seen.map((r) => r.path).join(', ')}`);
		return `2 runs resumed through ${ctx.proxy.url}; it forwarded ${seen.length} requests (${paths.join(', ')}), refused none`;
	}, { timeoutMs: 180000 });

	await check("The MP4s after Until BHuman Calls Back, the n8n way: a BHuman node after it (Video → Get of each item's generation, Download Video on) gets each lead's MP4 from BHuman's record, byte for byte", async () => {
		const tag = `mp4-${randomUUID().slice(0, 6)}`;
		const leads = leadsTagged(tag, LEADS.slice(0, 2));
		const wf = waitingWorkflow('e2e callback wait then download', data, ctx.credential, { leads });
		const get = bhumanNode({ resource: 'video', operation: 'get', generationId: '={{ $json.id }}', downloadVideo: true, binaryPropertyName: 'data' }, ctx.credential, { name: 'Get the MP4', position: [550, 200] });
		wf.workflow.nodes.push(get);
		wf.workflow.connections.BHuman.main[0].push({ node: get.name, type: 'main', index: 0 });
		const run = await startWaiting(client, wf);
		const ex = await resumedOrWhy(ctx, run, tag, 60000);
		if (ex.status !== 'success') throw new CheckError(`the execution ended ${ex.status}`, { execution: executionError(ex) });
		const files = nodeOutput(ex, 'Get the MP4') || [];
		expect(files.length === 2, `Video → Get output ${files.length} items`);
		const shown = [];
		for (const [i, item] of files.entries()) {
			const rec = await simRecord(sim, item.json.id);
			expect(rec.text[0] === leads[i].first_name, `item ${i}: the video of ${rec.text[0]}`);
			const mp4 = mp4Of(item);
			expect(mp4 && mp4.meta.mimeType === 'video/mp4' && mp4.meta.fileName === `${item.json.id}.mp4`, `item ${i}: no MP4 (${JSON.stringify(item.binary || null).slice(0, 150)})`);
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
			shown.push(`${got.length} bytes`);
		}
		return `execution ${run.waiting.id}: ${shown.join(', ')}`;
	}, { timeoutMs: 180000 });

	if (!v2) {
		ctx.suite.skip(ctx.label, "Until BHuman Calls Back in a workflow with binaryMode 'combined'", "n8n 1.x has no binary mode setting (n8n 2.x's Execution Logic v2)");
	} else {
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
	}

	await checkTrackerWindow(ctx, check, window);
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
	settledWaiting,
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
	startTrackerWindow,
	checkTrackerWindow,
	waitingPaths,
};
