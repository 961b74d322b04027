'use strict';
// Every example workflow imports into n8n with all its node types known; those that need no
// third-party account run: the sheet example (its Manual Trigger swapped for a Webhook of the
// same name, so it can be started over HTTP), the CRM loop (lead webhook → generate, waiting
// until BHuman calls back → email, sent to a local SMTP catcher; 10 leads at once, and a lead
// whose video outlasts Max Wait through the example's Timed out? branch), the campaign
// example (BHuman Trigger for renders started elsewhere → email to the team) and the AI agent
// (its chat model pointed at a scripted OpenAI-compatible server on loopback, its chat trigger
// made reachable over HTTP) that lists video instances and generates through the BHuman tool.

const { randomUUID } = require('node:crypto');
const { listExamples, prepareExample, nodeTypesOf } = require('../../../scripts/lib/examples');
const { startMailCatcher } = require('../../../scripts/lib/mailcatcher');
const { executionError, nodeOutput } = require('../../../scripts/lib/n8n');
const { CheckError, SkipCheck, expect, latestExecution } = require('../lib/harness');
const { startFakeOpenAI } = require('../lib/fake-openai');

const RUNS = {
	'sheet-to-videos.json': runSheet,
	'crm-video-loop.json': runCrm,
	'campaign-videos-trigger.json': runCampaignTrigger,
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

/** Simulator settings for a check, restored after it. */
async function withSimulator(sim, settings, fn) {
	const before = await sim.control('GET', '/__sim/state');
	await sim.control('POST', '/__sim/render', settings.render || {});
	await sim.control('POST', '/__sim/callbacks', settings.callbacks || {});
	try {
		return await fn();
	} finally {
		await sim.control('POST', '/__sim/render', before.render);
		await sim.control('POST', '/__sim/callbacks', before.callbacks);
	}
}

/** The executions of a workflow once every one has ended (none new, running or waiting). */
async function settled(client, workflowId, count, timeoutMs = 90000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const list = await client.listExecutions(workflowId);
		if (list.length >= count && list.every((x) => !['new', 'running', 'waiting'].includes(x.status))) return list;
		if (Date.now() > deadline) return list;
		await new Promise((r) => setTimeout(r, 300));
	}
}

async function failedExecution(client, list) {
	const bad = list.filter((x) => x.status !== 'success');
	if (!bad.length) return;
	const ex = await client.getExecution(bad[0].id);
	throw new CheckError(`${bad.length} of ${list.length} executions of the example did not succeed (${bad.map((x) => x.status).join(', ')})`, { execution: executionError(ex) });
}

/**
 * The CRM loop as it is used: 10 leads POSTed at once to its webhook, every callback delivered
 * twice, renders of a few seconds finishing one after another. Each lead gets exactly one email,
 * with the link of the video the simulator rendered for that lead; 10 executions, all succeeded.
 * Beside them, the path of a video that outlasts Max Wait (its callback comes too late): a copy
 * of the example whose only change is Max Wait 6 s, one lead whose render takes 20 s. Its item
 * comes out timedOut, the example's Timed out? branch asks BHuman (Video → Get), and the lead
 * still gets the video.
 */
async function runCrm(ctx, wf) {
	const { client, sim, mail } = ctx;
	const saved = await client.createWorkflow(wf);
	await client.activateWorkflow(saved.id, saved.versionId);
	const hook = wf.nodes.find((n) => n.type === 'n8n-nodes-base.webhook');
	const late = JSON.parse(JSON.stringify(wf));
	const lateHook = late.nodes.find((n) => n.type === 'n8n-nodes-base.webhook');
	Object.assign(lateHook, { webhookId: randomUUID(), parameters: { ...lateHook.parameters, path: `${hook.parameters.path}-late-${ctx.line}` } });
	late.nodes.find((n) => n.name === GENERATE).parameters.maxWait = 0.1;
	const lateSaved = await client.createWorkflow({ ...late, name: `${wf.name} (Max Wait 6 s)` });
	await client.activateWorkflow(lateSaved.id, lateSaved.versionId);
	const lateLead = { first_name: 'Late', company: 'sim:render=20000', email: `late-${ctx.line}@example.com` };
	const leads = Array.from({ length: 10 }, (_, i) => ({ first_name: `Lead${i}`, company: `Company ${i}`, email: `lead-${i}-${ctx.line}@example.com` }));
	const settings = { render: { queuedMs: 1000, processingMs: 3000, staggerMs: 200 }, callbacks: { repeat: 2 } };
	return withSimulator(sim, settings, async () => {
		const lateAnswer = await client.callWebhook(lateHook.parameters.path, { body: lateLead });
		expect(lateAnswer.status === 200, `the lead webhook of the copy answered ${lateAnswer.status}`);
		const callbacksBefore = (await sim.control('GET', '/__sim/callbacks')).length;
		const answers = await Promise.all(leads.map((lead) => client.callWebhook(hook.parameters.path, { body: lead })));
		const refused = answers.filter((res) => res.status !== 200);
		expect(!refused.length, `the lead webhook answered ${refused.map((res) => res.status).join(', ')}`);
		const list = await settled(client, saved.id, leads.length);
		await failedExecution(client, list);
		expect(list.length === leads.length, `${list.length} executions for ${leads.length} leads`);
		const emails = mail.messages.filter((m) => leads.some((lead) => m.to.includes(lead.email)));
		expect(emails.length === leads.length, `${emails.length} emails for ${leads.length} leads`, emails.map((m) => m.to.join()).join(', '));
		for (const lead of leads) {
			const mine = emails.filter((m) => m.to.includes(lead.email));
			expect(mine.length === 1, `${mine.length} emails to ${lead.email}`);
			const link = /(https?:\/\/\S+\/share\/([0-9a-f-]{36}))/.exec(mine[0].text);
			expect(link, `the email to ${lead.email} has no video link`, mine[0].text);
			const rec = await sim.api(`/api/ai_studio/generated_video_by_id?id=${link[2]}`);
			expect(rec.status === 'succeeded' && rec.text[0] === lead.first_name, `${lead.email} got the video of ${JSON.stringify(rec.text)} (${rec.status})`);
			expect(mine[0].subject.includes(lead.first_name), `subject "${mine[0].subject}"`);
		}
		const sent = (await sim.control('GET', '/__sim/callbacks')).slice(callbacksBefore);
		const answered = sent.reduce((count, c) => {
			const key = c.status || c.error || 'pending';
			return { ...count, [key]: (count[key] || 0) + 1 };
		}, {});
		const [lateRun] = await settled(client, lateSaved.id, 1, 240000);
		await failedExecution(client, lateRun ? [lateRun] : []);
		expect(lateRun && lateRun.status === 'success', `the late lead's execution: ${lateRun?.status || 'none'}`);
		const lateEx = await client.getExecution(lateRun.id);
		const [waited] = nodeOutput(lateEx, GENERATE) || [];
		const [asked] = nodeOutput(lateEx, 'BHuman: ask about the video') || [];
		expect(waited?.json.timedOut === true && asked?.json.status === 'succeeded', `the late lead: Generate ${JSON.stringify(waited?.json).slice(0, 200)}, Video → Get ${JSON.stringify(asked?.json).slice(0, 200)}`);
		const lateMail = mail.messages.filter((m) => m.to.includes(lateLead.email));
		expect(lateMail.length === 1 && lateMail[0].text.includes(`/share/${waited.json.id}`), `${lateMail.length} emails to the late lead`, lateMail.map((m) => m.text).join('\n'));
		return `10 leads at once: 10 executions, 10 emails, each lead its own video; callbacks answered ${JSON.stringify(answered)}; the lead whose video outlasted Max Wait 6 s: timedOut, Video → Get said succeeded, emailed its video`;
	});
}

const GENERATE = 'BHuman: generate, wait for the callback';

/**
 * The trigger example: a campaign render started outside n8n (here: the simulator's API, as BHuman's
 * app would) with the trigger's Production URL and token; the team gets one email per video.
 */
async function runCampaignTrigger(ctx, wf) {
	const { client, sim, mail } = ctx;
	const trigger = wf.nodes.find((n) => n.type === 'n8n-nodes-bhuman.bhumanTrigger');
	trigger.webhookId = randomUUID(); // one per line's instance, as on a fresh import
	const saved = await client.createWorkflow(wf);
	await client.activateWorkflow(saved.id, saved.versionId);
	const url = `${ctx.n8n.url}/webhook/${trigger.webhookId}/bhuman?token=${trigger.parameters.token}`;
	const data = await sim.data();
	const campaign = data.campaigns[0];
	const before = mail.messages.length;
	return withSimulator(sim, { render: { queuedMs: 300, processingMs: 700 }, callbacks: { repeat: 2 } }, async () => {
		const res = await fetch(`${sim.url}/api/ai_studio/pipeline/campaign`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', authorization: 'Basic ' + Buffer.from(`${sim.keyId}:${sim.keySecret}`).toString('base64') },
			body: JSON.stringify({ campaign_id: campaign.id, variables: ['name', 'company'], names: [['Ann', 'Acme'], ['Bo', 'Globex']], callback_url: url }),
		});
		expect(res.ok, `the campaign render answered ${res.status}`);
		const { result: ids } = await res.json();
		const list = await settled(client, saved.id, 2);
		await failedExecution(client, list);
		expect(list.length === 2, `${list.length} trigger executions for 2 videos delivered twice each`);
		const emails = mail.messages.slice(before).filter((m) => m.to.includes('sales-team@example.com'));
		expect(emails.length === 2, `${emails.length} emails to the team for 2 videos`);
		const linked = emails.map((m) => (/\/share\/([0-9a-f-]{36})/.exec(m.text) || [])[1]).sort();
		expect(linked.join() === [...ids].sort().join(), `the emails link ${linked.join(', ')}, the campaign made ${ids.join(', ')}`);
		return `2 campaign videos (each callback twice) → 2 trigger executions → 2 emails to the team`;
	});
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
			await check(`example ${ex.file}: runs against the simulator`, () => run(ctx, JSON.parse(JSON.stringify(wf))), { timeoutMs: 300000 });
		} else {
			await check(`example ${ex.file}: run`, async () => {
				if (NOT_RUN[ex.file]) throw new SkipCheck(NOT_RUN[ex.file]);
				throw new CheckError('no run defined for this example: add one to test/e2e/checks/examples.js (or say why it cannot run in NOT_RUN)');
			});
		}
	}
};
