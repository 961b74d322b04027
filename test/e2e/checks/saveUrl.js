'use strict';
// BHuman Trigger → Save This URL in BHuman, in a real n8n (called from operations.js, so the
// trigger branch's check files stay untouched): activating saves the Production URL with its
// token as a BHuman saved webhook named after the workflow; activating again saves nothing more.

const { triggerWorkflow } = require('../lib/workflows');
const { expect } = require('../lib/harness');

const TOKEN = 'e2e-save-token-7c21';
const SAVED = '/api/ai_studio/webhook';

module.exports = async function saveUrl(ctx, check) {
	const { client, sim, n8n } = ctx;
	const posts = async () => (await sim.control('GET', `/__sim/requests?method=POST&path=${SAVED}`)).length;
	const state = {};

	await check('trigger: Save This URL in BHuman saves the Production URL (with token) on activation', async () => {
		const name = `e2e save url ${Date.now().toString(36)}`;
		const t = triggerWorkflow(name, { events: ['video.succeeded'], token: TOKEN, saveUrl: true }, ctx.credential, {
			withCredential: true,
		});
		const before = await posts();
		const wf = await client.createWorkflow(t.workflow);
		await client.activateWorkflow(wf.id, wf.versionId);
		state.wf = wf;
		// n8n's Production URL is its public address (WEBHOOK_URL: the webhook-only proxy the suite
		// puts in front of n8n), not the address n8n listens on.
		const publicUrl = ctx.proxy ? ctx.proxy.url : n8n.url;
		state.url = `${publicUrl}/webhook/${t.webhookId}/bhuman?token=${TOKEN}`;
		const saved = (await sim.data()).savedWebhooks.filter((w) => w.webhook === state.url);
		expect(saved.length === 1, `${saved.length} saved webhooks with ${state.url}`, JSON.stringify((await sim.data()).savedWebhooks));
		expect(saved[0].name === name, `saved as '${saved[0].name}', not after the workflow '${name}'`);
		expect((await posts()) === before + 1, 'not exactly one POST /api/ai_studio/webhook');
		return `saved ${state.url.replace(TOKEN, '<token>')}`;
	});
	if (!state.wf) return;

	await check('trigger: deactivated and activated again, the URL already saved is not saved twice', async () => {
		const before = await posts();
		await client.deactivateWorkflow(state.wf.id);
		const again = await client.getWorkflow(state.wf.id);
		await client.activateWorkflow(state.wf.id, again.versionId);
		const saved = (await sim.data()).savedWebhooks.filter((w) => w.webhook === state.url);
		expect(saved.length === 1, `${saved.length} saved webhooks with the URL after reactivation`);
		expect((await posts()) === before, 'a POST /api/ai_studio/webhook was sent again');
		await client.deactivateWorkflow(state.wf.id);
	});
};
