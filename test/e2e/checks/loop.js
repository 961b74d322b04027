'use strict';
// The full loop in a real n8n: a workflow generates 3 videos with the Callback URL set to an
// active BHuman Trigger's production URL (with its token); the simulator renders and calls
// back; exactly 3 trigger executions succeed with the 3 generation ids. A callback with a
// wrong (or no) token starts none; a repeated callback starts none. Verify With BHuman
// refuses a forged id and accepts a real one.

const { rl, codeNode, operationWorkflow, triggerWorkflow } = require('../lib/workflows');
const { CheckError, expect, runWebhookWorkflow } = require('../lib/harness');
const { nodeOutput, sleep } = require('../../../scripts/lib/n8n');

const TOKEN = 'e2e-loop-token-3f9a';

async function finishedExecutions(client, workflowId) {
	const list = await client.listExecutions(workflowId);
	return list.filter((e) => e.status && !['new', 'running', 'waiting'].includes(e.status));
}

async function waitUntil(what, fn, timeoutMs = 30000) {
	const deadline = Date.now() + timeoutMs;
	let last;
	for (;;) {
		last = await fn();
		if (last.done) return last.value;
		if (Date.now() > deadline) throw new CheckError(`timed out waiting for ${what}: ${last.why || ''}`);
		await sleep(300);
	}
}

/** The trigger's output id of every execution. */
async function triggeredIds(client, executions) {
	const ids = [];
	for (const e of executions) {
		const ex = await client.getExecution(e.id);
		const out = nodeOutput(ex, 'BHuman Trigger') || [];
		for (const it of out) ids.push(it.json.id);
	}
	return ids;
}

module.exports = async function loop(ctx, check) {
	const { client, sim, n8n } = ctx;
	const data = await sim.data();
	const state = {};

	await check('loop: BHuman Trigger workflow activates (production webhook registered)', async () => {
		const t = triggerWorkflow('e2e loop trigger', { events: ['video.succeeded', 'video.failed'], token: TOKEN, verify: false, ignoreRepeats: true }, ctx.credential);
		const wf = await client.createWorkflow(t.workflow);
		await client.activateWorkflow(wf.id, wf.versionId);
		state.triggerId = wf.id;
		state.url = `${n8n.url}/webhook/${t.webhookId}/bhuman`;
		return state.url;
	});
	if (!state.triggerId) return;

	await check('loop: generate 3 videos with the trigger\'s URL as Callback URL → 3 trigger executions with the 3 ids', async () => {
		const rows = [{ name: 'Ann', company: 'Acme' }, { name: 'Bo', company: 'Globex' }, { name: 'Cy', company: 'Hooli' }];
		const wf = operationWorkflow(
			'e2e loop generate',
			{
				resource: 'video',
				operation: 'generate',
				videoInstanceId: rl(data.videoInstances[0].id),
				inputMode: 'mapping',
				variables: { variable: [{ name: 'name', value: '={{ $json.name }}' }, { name: 'company', value: '={{ $json.company }}' }] },
				callbackUrl: `${state.url}?token=${TOKEN}`,
			},
			ctx.credential,
			{ prefix: [codeNode(rows)] },
		);
		const { output } = await runWebhookWorkflow(client, wf);
		state.generatePath = wf.path;
		const ids = (Array.isArray(output) ? output : [output]).map((o) => o.id);
		expect(ids.length === 3 && ids.every((id) => typeof id === 'string'), `generate returned ${JSON.stringify(ids)}`);
		state.ids = ids;
		// The simulator renders, then POSTs one callback per video to the trigger.
		const callbacks = await waitUntil('3 callbacks delivered', async () => {
			const sent = (await sim.control('GET', '/__sim/callbacks')).filter((c) => ids.includes(c.body && c.body.id));
			return { done: sent.length >= 3, value: sent, why: `${sent.length} delivered` };
		});
		const bad = callbacks.filter((c) => c.status !== 200);
		expect(!bad.length, `the trigger answered callbacks with ${bad.map((c) => c.status || c.error).join(', ')}`);
		state.callback = callbacks[0];
		const times = callbacks.map((c) => Date.parse(c.at) || c.at);
		state.spread = Math.max(...times) - Math.min(...times);
		const execs = await waitUntil('3 trigger executions', async () => {
			const list = await finishedExecutions(client, state.triggerId);
			return { done: list.length >= 3, value: list, why: `${list.length} executions` };
		});
		await sleep(1000); // any extra execution would show up now
		const all = await finishedExecutions(client, state.triggerId);
		expect(all.length === 3, `${all.length} trigger executions for 3 callbacks`);
		const failed = all.filter((e) => e.status !== 'success');
		if (failed.length) {
			const ex = await client.getExecution(failed[0].id);
			throw new CheckError(`${failed.length} trigger executions did not succeed`, { execution: require('../../../scripts/lib/n8n').executionError(ex) });
		}
		const got = await triggeredIds(client, execs);
		expect(got.length === 3 && [...got].sort().join() === [...ids].sort().join(), `trigger output ids ${JSON.stringify(got)} ≠ generation ids ${JSON.stringify(ids)}`);
		return `ids ${ids.map((id) => id.slice(0, 8)).join(', ')}`;
	});
	if (!state.callback) return;

	await check('loop: a callback with a wrong token is refused (403) and starts nothing', async () => {
		const before = (await client.listExecutions(state.triggerId)).length;
		const wrong = await client.callWebhook(`${state.url}?token=wrong-token`, { body: state.callback.body });
		const none = await client.callWebhook(state.url, { body: state.callback.body });
		await sleep(1000);
		const after = (await client.listExecutions(state.triggerId)).length;
		expect(wrong.status === 403, `wrong token answered ${wrong.status}`);
		expect(none.status === 401, `missing token answered ${none.status}`);
		expect(after === before, `${after - before} executions started`);
	});

	/** Replays the callbacks of `ids` (one after the other when `serial`); returns the executions started. */
	async function replay(ids, { serial }) {
		const before = (await client.listExecutions(state.triggerId)).length;
		const sentBefore = (await sim.control('GET', '/__sim/callbacks')).length;
		for (const [i, id] of ids.entries()) {
			await sim.control('POST', '/__sim/callbacks/replay', { id });
			if (serial) {
				await waitUntil('the replayed callback', async () => {
					const all = await sim.control('GET', '/__sim/callbacks');
					return { done: all.length >= sentBefore + i + 1 };
				});
			}
		}
		const replayed = await waitUntil('the replayed callbacks', async () => {
			const all = await sim.control('GET', '/__sim/callbacks');
			return { done: all.length >= sentBefore + ids.length, value: all.slice(sentBefore) };
		});
		await sleep(1000);
		const after = (await client.listExecutions(state.triggerId)).length;
		const notOk = replayed.filter((r) => r.status !== 200);
		expect(!notOk.length, `replays were answered ${notOk.map((r) => r.status || r.error).join(', ')}`);
		return after - before;
	}

	async function remembered() {
		const wf = await client.getWorkflow(state.triggerId);
		return JSON.stringify(wf.staticData || null).slice(0, 700);
	}

	await check('loop: repeated callbacks (simulator replay) start nothing — videos that called back one at a time', async () => {
		// Three more videos whose renders end 500 ms apart: their callbacks arrive one by one.
		await sim.control('POST', '/__sim/render', { staggerMs: 500 });
		let ids;
		try {
			const res = await client.callWebhook(state.generatePath, { body: {} });
			expect(res.status === 200, `the generate workflow answered ${res.status}`);
			ids = res.body.map((o) => o.id);
			await waitUntil('3 more trigger executions', async () => {
				const list = await finishedExecutions(client, state.triggerId);
				return { done: list.length >= 6, why: `${list.length} executions` };
			}, 30000);
		} finally {
			await sim.control('POST', '/__sim/render', { staggerMs: 0 });
		}
		const started = await replay(ids, { serial: true });
		if (started) {
			throw new CheckError(`${started} executions started by repeating ${ids.length} callbacks that had each been accepted once`, {
				details: `the trigger's static data (what it remembers) after them: ${await remembered()}\nexpected: the keys of video.succeeded for ${ids.join(', ')}`,
			});
		}
	});

	// n8n loads a workflow's static data when a webhook request arrives and saves it whole when
	// the request is handled; the trigger merges its process-wide cache of recent deliveries into
	// every save, so callbacks that arrived together are all remembered.
	await check('loop: repeated callbacks start nothing — videos that called back at the same instant', async () => {
		const started = await replay(state.ids, { serial: false });
		if (started) {
			throw new CheckError(
				`${started} of ${state.ids.length} repeats started, their first deliveries having arrived ${state.spread} ms apart; static data now: ${await remembered()}`,
			);
		}
	});

	await check('trigger with Verify With BHuman: a forged id is refused (403), a real one starts with BHuman\'s record', async () => {
		const t = triggerWorkflow('e2e verify trigger', { events: ['video.succeeded', 'video.failed'], token: '', verify: true, ignoreRepeats: true }, ctx.credential, { withCredential: true });
		const wf = await client.createWorkflow(t.workflow);
		await client.activateWorkflow(wf.id, wf.versionId);
		const url = `${n8n.url}/webhook/${t.webhookId}/bhuman`;
		const forged = await client.callWebhook(url, { body: { ...state.callback.body, id: '00000000-0000-4000-8000-000000000000' } });
		expect(forged.status === 403, `a forged id answered ${forged.status}`);
		const real = await client.callWebhook(url, { body: { ...state.callback.body, url: 'https://attacker.example/x.mp4' } });
		expect(real.status === 200, `a real id answered ${real.status}: ${JSON.stringify(real.body).slice(0, 200)}`);
		const execs = await waitUntil('the verified execution', async () => {
			const list = await finishedExecutions(client, wf.id);
			return { done: list.length >= 1, value: list };
		});
		await sleep(500);
		expect((await client.listExecutions(wf.id)).length === 1, 'more than one execution');
		const ex = await client.getExecution(execs[0].id);
		const out = nodeOutput(ex, 'BHuman Trigger') || [];
		expect(out.length === 1 && out[0].json.id === state.callback.body.id, `output ${JSON.stringify(out.map((o) => o.json.id))}`);
		const rec = await sim.api(`/api/ai_studio/generated_video_by_id?id=${state.callback.body.id}`);
		expect(out[0].json.mp4Url === rec.url, `mp4Url ${out[0].json.mp4Url} is not BHuman's ${rec.url}`);
	});
};
