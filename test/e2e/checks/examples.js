'use strict';
// Every example workflow imports into n8n with all its node types known; those that need no
// third-party account run: the sheet example (its Manual Trigger swapped for a Webhook of the
// same name, so it can be started over HTTP) and the CRM loop (lead webhook → generate with
// callback → BHuman Trigger → email, sent to a local SMTP catcher) and the AI agent (its chat
// model pointed at a scripted OpenAI-compatible server on loopback, its chat trigger made
// reachable over HTTP) that lists video instances and generates through the BHuman tool.

const { randomUUID } = require('node:crypto');
const { listExamples, prepareExample, nodeTypesOf } = require('../../../scripts/lib/examples');
const { startMailCatcher } = require('../../../scripts/lib/mailcatcher');
const { executionError } = require('../../../scripts/lib/n8n');
const { CheckError, SkipCheck, expect, latestExecution } = require('../lib/harness');
const { startFakeOpenAI } = require('../lib/fake-openai');

const RUNS = {
	'sheet-to-videos.json': runSheet,
	'crm-video-loop.json': runCrm,
	'ai-agent-bhuman-tool.json': runAgent,
};
/** Examples that cannot run here, with the reason. */
const NOT_RUN = {};

async function runSheet(ctx, wf) {
	const { client, sim } = ctx;
	const start = wf.nodes.find((n) => n.type === 'n8n-nodes-base.manualTrigger');
	expect(start, 'the sheet example has no Manual Trigger');
	const path = `e2e-example-sheet-${randomUUID().slice(0, 8)}`;
	Object.assign(start, {
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		webhookId: randomUUID(),
		parameters: { httpMethod: 'POST', path, responseMode: 'lastNode', responseData: 'allEntries', options: {} },
	});
	const saved = await client.createWorkflow(wf);
	await client.activateWorkflow(saved.id, saved.versionId);
	const res = await client.callWebhook(path, { body: {} });
	if (res.status !== 200) {
		const ex = await latestExecution(client, saved.id);
		throw new CheckError(`the example answered ${res.status}`, { execution: ex ? executionError(ex) : 'no execution' });
	}
	const rows = res.body;
	expect(Array.isArray(rows) && rows.length === 3, `${Array.isArray(rows) ? rows.length : 'no'} rows out for 3 rows in`, JSON.stringify(rows).slice(0, 300));
	for (const row of rows) {
		expect(row.row_number && row.email, 'a row lost its sheet columns', JSON.stringify(row));
		expect(row.video_status === 'succeeded', `row ${row.row_number}: video ${row.video_status}`, JSON.stringify(row));
		const rec = await sim.api(`/api/ai_studio/generated_video_by_id?id=${row.video_id}`);
		expect(row.video_mp4_url === rec.url, `row ${row.row_number}: mp4 ${row.video_mp4_url} ≠ simulator ${rec.url}`);
		expect(rec.text[0] === row.first_name && rec.text[1] === row.company, `row ${row.row_number}'s video says ${JSON.stringify(rec.text)}`);
	}
	return `3 rows with their video links`;
}

async function runCrm(ctx, wf) {
	const { client, sim } = ctx;
	const saved = await client.createWorkflow(wf);
	await client.activateWorkflow(saved.id, saved.versionId);
	const hook = wf.nodes.find((n) => n.type === 'n8n-nodes-base.webhook');
	const lead = { first_name: 'Dana', company: 'Vandelay Industries', email: `dana-${ctx.line}@example.com` };
	// The example remembers the lead in static data, which n8n saves when the lead's execution
	// ends; BHuman's renders take minutes, the simulator's 0.3 s can beat that save on a busy
	// machine. Renders of a few seconds keep the order the example relies on.
	// (The lead webhook answers on receipt, so the render settings are restored only at the end.)
	const { render } = await sim.control('POST', '/__sim/render', { queuedMs: 1000, processingMs: 3000 });
	try {
		return await crmLoop(ctx, saved, hook, lead);
	} finally {
		await sim.control('POST', '/__sim/render', { queuedMs: 1000, processingMs: 3000, ...render });
	}
}

async function crmLoop({ client, sim, mail }, saved, hook, lead) {
	const res = await client.callWebhook(hook.parameters.path, { body: lead });
	expect(res.status === 200, `the lead webhook answered ${res.status}: ${JSON.stringify(res.body).slice(0, 200)}`);
	let msg;
	try {
		msg = await mail.waitFor((m) => m.to.includes(lead.email), 45000);
	} catch (e) {
		const list = await client.listExecutions(saved.id);
		const failed = list.find((x) => x.status !== 'success');
		const ex = failed ? await client.getExecution(failed.id) : null;
		throw new CheckError(`no email to ${lead.email}: ${e.message}; ${list.length} executions (${list.map((x) => x.status).join(', ')})`, {
			execution: ex ? executionError(ex) : undefined,
		});
	}
	const link = /(https?:\/\/\S+\/share\/([0-9a-f-]{36}))/.exec(msg.text);
	expect(link, 'the email has no video link', msg.text);
	const rec = await sim.api(`/api/ai_studio/generated_video_by_id?id=${link[2]}`);
	expect(rec.status === 'succeeded' && rec.text[0] === lead.first_name, `the linked video is ${rec.status} for ${JSON.stringify(rec.text)}`);
	expect(msg.subject.includes(lead.first_name), `subject "${msg.subject}"`);
	// The email goes out before its execution is saved: wait for every execution to end.
	let list;
	for (let i = 0; i < 50; i++) {
		list = await client.listExecutions(saved.id);
		if (list.length >= 2 && list.every((x) => !['new', 'running', 'waiting'].includes(x.status))) break;
		await new Promise((r) => setTimeout(r, 200));
	}
	const bad = list.filter((x) => x.status !== 'success');
	if (bad.length) {
		const ex = await client.getExecution(bad[0].id);
		throw new CheckError(`${bad.length} of ${list.length} executions of the example did not succeed (${bad.map((x) => x.status).join(', ')})`, { execution: executionError(ex) });
	}
	return `email to ${lead.email}: "${msg.subject}" with ${link[1]}`;
}

async function runAgent(ctx, wf) {
	const { client, sim } = ctx;
	const fake = await startFakeOpenAI({ rows: [['Don', 'Apple']] });
	try {
		const openAi = await client.createCredential({
			name: 'OpenAI (scripted fake on loopback)',
			type: 'openAiApi',
			data: { apiKey: 'sk-fake-e2e', organizationId: '', url: fake.url, header: false },
		});
		for (const node of wf.nodes) {
			if (node.type === '@n8n/n8n-nodes-langchain.lmChatOpenAi') node.credentials = { openAiApi: { id: openAi.id, name: openAi.name } };
		}
		const chat = wf.nodes.find((n) => n.type === '@n8n/n8n-nodes-langchain.chatTrigger');
		expect(chat, 'the agent example has no chat trigger');
		// Reachable over HTTP (the editor's chat panel uses the test URL instead).
		chat.parameters = { ...chat.parameters, public: true, mode: 'webhook', options: { responseMode: 'lastNode' } };
		const saved = await client.createWorkflow(wf);
		await client.activateWorkflow(saved.id, saved.versionId);
		const res = await client.callWebhook(`${ctx.n8n.url}/webhook/${chat.webhookId}/chat`, {
			body: { action: 'sendMessage', sessionId: `e2e-${ctx.line}`, chatInput: 'Make a personalized video for Don at Apple.' },
		});
		if (res.status !== 200) {
			const ex = await latestExecution(client, saved.id);
			throw new CheckError(`the chat answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`, { execution: ex ? executionError(ex) : 'no execution' });
		}
		const answer = typeof res.body === 'object' && !Buffer.isBuffer(res.body) ? res.body.output || JSON.stringify(res.body) : String(res.body);
		const ids = answer.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi) || [];
		expect(fake.scenario.requests.length >= 3, `the model was asked ${fake.scenario.requests.length} times (list, generate, answer expected)`, answer);
		expect(ids.length === 1, `the agent's answer has ${ids.length} generation ids: "${answer.slice(0, 300)}"`);
		const rec = await sim.api(`/api/ai_studio/generated_video_by_id?id=${ids[0]}`);
		expect(rec.video_instance_id === fake.scenario.instanceId, `generated from ${rec.video_instance_id}, the agent chose ${fake.scenario.instanceId}`);
		expect(rec.text.join() === 'Don,Apple', `the video says ${JSON.stringify(rec.text)}`);
		return `agent → list tool → generate tool → "${answer.slice(0, 80)}…"`;
	} finally {
		await fake.close();
	}
}

module.exports = async function examples(ctx, check) {
	const { client } = ctx;
	const examples = listExamples();
	if (!ctx.mail) ctx.mail = await startMailCatcher();
	ctx.cleanups = ctx.cleanups || [];
	ctx.cleanups.push(() => ctx.mail.close());
	let smtp;
	await check('SMTP credential to a local mail catcher created (for the email step)', async () => {
		smtp = await client.createCredential({
			name: 'SMTP (local mail catcher)',
			type: 'smtp',
			data: { user: '', password: '', host: '127.0.0.1', port: ctx.mail.port, secure: false, disableStartTls: true },
		});
	});
	const known = new Set((ctx.nodeTypes || []).flatMap((n) => [].concat(n.version).map((v) => `${n.name}@${v}`)));
	for (const ex of examples) {
		const wf = prepareExample(ex.workflow, {
			credentials: { bhumanApi: ctx.credential, ...(smtp ? { smtp } : {}) },
			baseUrl: ctx.n8n.url,
		});
		await check(`example ${ex.file}: every node type (and version) is known to n8n`, async () => {
			const unknown = nodeTypesOf(ex.workflow).filter((t) => !known.has(t));
			expect(!unknown.length, `unknown to n8n ${ctx.n8n.version}: ${unknown.join(', ')}`);
		});
		await check(`example ${ex.file}: imports through the REST API`, async () => {
			const saved = await client.createWorkflow({ ...wf, name: `${wf.name} (import check)` });
			const back = await client.getWorkflow(saved.id);
			expect(back.nodes.length === wf.nodes.length, `${back.nodes.length} nodes saved of ${wf.nodes.length}`);
		});
		const run = RUNS[ex.file];
		if (run) {
			await check(`example ${ex.file}: runs against the simulator`, () => run(ctx, JSON.parse(JSON.stringify(wf))), { timeoutMs: 120000 });
		} else {
			await check(`example ${ex.file}: run`, async () => {
				if (NOT_RUN[ex.file]) throw new SkipCheck(NOT_RUN[ex.file]);
				throw new CheckError('no run defined for this example: add one to test/e2e/checks/examples.js (or say why it cannot run in NOT_RUN)');
			});
		}
	}
};
