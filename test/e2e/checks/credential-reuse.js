'use strict';
// The BHuman credential wherever n8n offers credentials: n8n lists it under HTTP Request →
// Authentication → Predefined Credential Type, and adds "Custom API Call" to the node, only when
// the credential type has `authenticate` in /types/credentials.json. An HTTP Request node with
// the saved credential then reaches an endpoint the node does not cover, with the key, and a
// plain-http Base URL to another host is still refused before anything is sent.

const { randomUUID } = require('node:crypto');
const { TYPES, webhookNode, chain } = require('../lib/workflows');
const { CheckError, expect, latestExecution, runWebhookWorkflow } = require('../lib/harness');

/** Webhook → HTTP Request (GET url) with the BHuman credential as Predefined Credential Type. */
function httpRequestWorkflow(name, url, credential) {
	const hook = webhookNode();
	const request = {
		id: randomUUID(),
		name: 'HTTP Request',
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		position: [220, 0],
		parameters: { method: 'GET', url, authentication: 'predefinedCredentialType', nodeCredentialType: 'bhumanApi', options: {} },
		credentials: { bhumanApi: { id: credential.id, name: credential.name } },
	};
	return { workflow: chain(name, [hook, request]), path: hook.parameters.path };
}

function basicUser(header) {
	const m = /^Basic (.+)$/i.exec(header || '');
	return m ? Buffer.from(m[1], 'base64').toString('utf8').split(':')[0] : undefined;
}

module.exports = async function credentialReuse(ctx, check) {
	const { client, sim } = ctx;
	await check('/types/credentials.json: bhumanApi has authenticate (n8n offers it to HTTP Request)', async () => {
		const cred = (await client.credentialTypes()).find((c) => c.name === 'bhumanApi');
		expect(cred, 'n8n does not know bhumanApi');
		expect(cred.authenticate !== undefined, 'bhumanApi has no authenticate in /types/credentials.json: n8n offers it neither to the HTTP Request node nor as Custom API Call', `keys: ${Object.keys(cred).join(', ')}`);
		return `authenticate: ${JSON.stringify(cred.authenticate)}`;
	});

	await check('the BHuman node offers n8n\'s "Custom API Call" (its resource list)', async () => {
		const node = (ctx.nodeTypes || (await client.nodeTypes())).find((n) => n.name === TYPES.action);
		expect(node, `n8n does not know ${TYPES.action}`);
		const resource = node.properties.find((p) => p.name === 'resource');
		const values = (resource?.options || []).map((o) => o.value);
		expect(values.includes('__CUSTOM_API_CALL__'), `the resource list has no Custom API Call: ${values.join(', ')}`);
		return `${values.length} resources, the last "${resource.options[resource.options.length - 1].name}"`;
	});

	await check('HTTP Request with Predefined Credential Type → BHuman API calls the simulator with the key', async () => {
		await sim.control('DELETE', '/__sim/requests');
		const path = '/api/ai_studio/campaigns';
		const { output } = await runWebhookWorkflow(client, httpRequestWorkflow('e2e credential reuse', `${sim.url}${path}`, ctx.credential));
		const seen = (await sim.control('GET', `/__sim/requests?path=${encodeURIComponent(path)}`)) || [];
		expect(seen.length === 1, `the simulator saw ${seen.length} requests to ${path}`);
		expect(seen[0].status === 200, `the simulator answered ${seen[0].status} (was the key sent?)`);
		const { campaigns } = await sim.data();
		// BHuman's answer as it is: one item { total, campaigns: [...] } (a page of them).
		const body = Array.isArray(output) ? output[0] : output;
		const ids = (body?.campaigns || []).map((c) => c.id);
		expect(body?.total === campaigns.length && ids.length > 0, `HTTP Request output ${JSON.stringify(body).slice(0, 200)}; the simulator holds ${campaigns.length} campaigns`);
		expect(ids.every((id, i) => id === campaigns[i].id), 'the campaigns differ from the simulator\'s');
		const user = basicUser(seen[0].headers?.authorization);
		expect(user === sim.keyId, `the request carried Basic auth for "${user}", not the key id`);
		return `${ids.length} campaigns, Basic auth as ${user}`;
	});

	await check('HTTP Request with a BHuman credential whose Base URL is plain http to another host is refused, nothing sent', async () => {
		const bad = await client.createCredential({
			name: 'BHuman (http proxy)',
			type: 'bhumanApi',
			data: { apiKeyId: sim.keyId, apiKeySecret: sim.keySecret, baseUrl: 'http://bhuman-proxy.example.com' },
		});
		await sim.control('DELETE', '/__sim/requests');
		const { workflow, path } = httpRequestWorkflow('e2e credential reuse refused', `${sim.url}/api/ai_studio/campaigns`, bad);
		const wf = await client.createWorkflow(workflow);
		await client.activateWorkflow(wf.id, wf.versionId);
		const res = await client.callWebhook(path, { body: {} });
		const ex = await latestExecution(client, wf.id);
		const error = ex?.data?.resultData?.error;
		const text = `${error?.message || ''} ${error?.description || ''}`;
		expect(res.status !== 200 || error, `the webhook answered ${res.status} and the execution has no error`);
		expect(/must use https/.test(text), `the error does not say https is required: "${text.slice(0, 300)}"`);
		expect(!text.includes(sim.keySecret), 'the error shows the key secret');
		const seen = (await sim.control('GET', '/__sim/requests')) || [];
		if (seen.length) throw new CheckError(`the simulator received ${seen.length} requests`);
		return `${res.status}: ${error.message}`;
	});
};
