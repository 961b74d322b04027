'use strict';
// Workflow JSON for the benchmark: the BHuman node and what a user builds instead from n8n's
// own nodes. Every measured workflow starts with a Webhook node (production URL, answering
// when the last node is done, with no data, so a 10,000-item run sends back nothing big);
// the node builders of the e2e suite (test/e2e/lib/workflows.js) are reused.

const { randomUUID } = require('node:crypto');
const { TYPES, rl, webhookNode, bhumanNode, chain } = require('../../test/e2e/lib/workflows');

let seq = 0;
const benchPath = (what) => `bench-${what}-${Date.now().toString(36)}-${(seq++).toString(36)}`;

function node(name, type, typeVersion, parameters, extra = {}) {
	return { id: randomUUID(), name, type, typeVersion, position: [0, 0], parameters, ...extra };
}

/** Webhook (answers when the last node is done, without data) — the start of measured runs. */
function startNode(what) {
	return webhookNode({ name: 'Start', path: benchPath(what), responseData: 'noData' });
}

/** A Webhook node answering on receipt (Respond: Immediately), with no response data to send. */
function immediateWebhook(name, what) {
	const hook = webhookNode({ name, path: benchPath(what) });
	hook.parameters.responseMode = 'onReceived';
	delete hook.parameters.responseData;
	return hook;
}

/** Code node producing N contacts {first_name, company}, plus `extra(i)` fields. */
function contactsNode(n, { name = 'Contacts', company = '`Company ${i}`' } = {}) {
	return node(name, 'n8n-nodes-base.code', 2, {
		jsCode: `const out = new Array(${n});\nfor (let i = 0; i < ${n}; i++) out[i] = { json: { first_name: \`Contact \${i}\`, company: ${company}, email: \`contact\${i}@example.com\` } };\nreturn out;`,
	});
}

const VARIABLES = {
	variable: [
		{ name: 'name', value: '={{ $json.first_name }}' },
		{ name: 'company', value: '={{ $json.company }}' },
	],
};

/** A: the BHuman node, Video → Generate, one request per `batchSize` rows. */
function generateA({ n, instanceId, credential, batchSize = 2000, fixedValues = false }) {
	const start = startNode(fixedValues ? 'a-fixed' : 'a');
	// fixedValues (diagnostic): the same node with constant variable values, no expression per item
	const variables = fixedValues
		? { variable: [{ name: 'name', value: 'Contact' }, { name: 'company', value: 'Company' }] }
		: VARIABLES;
	const bh = bhumanNode(
		{ resource: 'video', operation: 'generate', videoInstanceId: rl(instanceId), inputMode: 'mapping', variables, batchSize },
		credential,
		{ name: 'BHuman Generate' },
	);
	const label = fixedValues ? ' (constant values, diagnostic)' : '';
	return { workflow: chain(`bench A: BHuman Generate ${n} rows${label}`, [start, contactsNode(n), bh]), path: start.parameters.path, measured: ['BHuman Generate'] };
}

/**
 * B: the do-it-yourself build: HTTP Request node, one try_sample per item, the JSON body
 * templated from the item (the two expressions per item the BHuman node also evaluates).
 * batching: null = no Batching option (all items' requests at once), or {batchSize, batchInterval}.
 */
function httpTrySample({ simUrl, instanceId, basicAuth, batching, name = 'HTTP Request', jsonBody }) {
	const options = {};
	if (batching) options.batching = { batch: { batchSize: batching.batchSize, batchInterval: batching.batchInterval } };
	return node(
		name,
		'n8n-nodes-base.httpRequest',
		4.2,
		{
			method: 'POST',
			url: `${simUrl}/api/ai_studio/try_sample`,
			authentication: 'genericCredentialType',
			genericAuthType: 'httpBasicAuth',
			sendBody: true,
			specifyBody: 'json',
			jsonBody:
				jsonBody ??
				`={"video_instance_id": "${instanceId}", "variables": ["name", "company"], "names": [["{{ $json.first_name }}", "{{ $json.company }}"]]}`,
			options,
		},
		{ credentials: { httpBasicAuth: { id: basicAuth.id, name: basicAuth.name } } },
	);
}

function generateB({ n, simUrl, instanceId, basicAuth, batching }) {
	const start = startNode('b');
	const http = httpTrySample({ simUrl, instanceId, basicAuth, batching });
	const label = batching ? `${batching.batchSize} items / ${batching.batchInterval} ms` : 'no batching';
	return { workflow: chain(`bench B: HTTP Request per item (${label}) ${n} rows`, [start, contactsNode(n), http]), path: start.parameters.path, measured: ['HTTP Request'] };
}

/** C: the expert build: a Code node builds `names` per 2,000 rows, one HTTP Request per batch. */
function generateC({ n, simUrl, instanceId, basicAuth, batchSize = 2000 }) {
	const start = startNode('c');
	const build = node('Build names', 'n8n-nodes-base.code', 2, {
		jsCode: `const rows = $input.all();\nconst out = [];\nfor (let i = 0; i < rows.length; i += ${batchSize}) {\n  out.push({ json: { video_instance_id: ${JSON.stringify(instanceId)}, variables: ['name', 'company'], names: rows.slice(i, i + ${batchSize}).map((r) => [r.json.first_name, r.json.company]) } });\n}\nreturn out;`,
	});
	// The same HTTP Request as B, sending each batch the Code node built.
	const http = httpTrySample({ simUrl, instanceId, basicAuth, jsonBody: '={{ JSON.stringify($json) }}' });
	return { workflow: chain(`bench C: Code + HTTP Request per ${batchSize} rows, ${n} rows`, [start, contactsNode(n), build, http]), path: start.parameters.path, measured: ['Build names', 'HTTP Request'] };
}

/** Get Many with Return All over every video instance. */
function getManyAll({ credential }) {
	const start = startNode('getmany');
	const bh = bhumanNode({ resource: 'videoInstance', operation: 'getAll', returnAll: true }, credential, { name: 'BHuman Get Many' });
	return { workflow: chain('bench: Video Instance Get Many (Return All)', [start, bh]), path: start.parameters.path, measured: ['BHuman Get Many'] };
}

/** The same downstream work after either receiver: a Set node keeping the callback's fields. */
function downstreamSet(prefix) {
	return setNode('Set', { generationId: `={{ ${prefix}.id }}`, status: `={{ ${prefix}.status }}`, videoUrl: `={{ ${prefix}.url }}` });
}

/** A Set node of string fields ({name: expression}), as a user maps them. */
function setNode(name, fields) {
	return node(name, 'n8n-nodes-base.set', 3.4, {
		mode: 'manual',
		assignments: { assignments: Object.entries(fields).map(([field, value]) => ({ id: randomUUID(), name: field, value, type: 'string' })) },
		options: {},
	});
}

/** BHuman Trigger (token, repeats ignored: the defaults a user keeps) → Set. */
function callbackTrigger({ token, ignoreRepeats = true }) {
	const trig = node(
		'BHuman Trigger',
		TYPES.trigger,
		1.1,
		{ events: ['video.succeeded', 'video.failed'], token, verify: false, ignoreRepeats },
		{ webhookId: randomUUID() },
	);
	// The trigger's output carries the callback's id and status; its media URL field is mp4Url.
	const set = downstreamSet('$json');
	set.parameters.assignments.assignments[2].value = '={{ $json.mp4Url }}';
	return { workflow: chain(`bench: BHuman Trigger${ignoreRepeats ? '' : ' (repeats not ignored)'} → Set`, [trig, set]), webhookId: trig.webhookId, webhookPath: `${trig.webhookId}/bhuman` };
}

/** n8n's Webhook node (answers on receipt, as the trigger does) → Set. */
function callbackWebhook({ expression = false } = {}) {
	const hook = immediateWebhook('Webhook', expression ? 'cbx' : 'cb');
	// One expression in its options (same behaviour: bots are not ignored) makes n8n 2.x treat
	// its own Webhook node like any other start node: an expression isolate for the webhook phase
	// (LiveWebhooks.webhookPhaseNeedsIsolate). The control row of the queue-mode comparison.
	if (expression) hook.parameters.options = { ...(hook.parameters.options || {}), ignoreBots: '={{ false }}' };
	const name = expression ? 'bench: Webhook (an expression in its options) → Set' : 'bench: Webhook → Set';
	return { workflow: chain(name, [hook, downstreamSet('$json.body')]), webhookPath: hook.parameters.path };
}

/** Generate with Wait for Completion over rows whose render times are spread. */
function waitGenerate({ n, spreadMs, instanceId, credential, pollInterval, maxWait, pollConcurrency }) {
	const start = startNode('wait');
	// company carries the simulator's per-row render steering: sim:render=<ms>, spread 0..spreadMs
	const contacts = contactsNode(n, { company: `\`sim:render=\${Math.round(i * ${spreadMs} / ${Math.max(1, n - 1)})}\`` });
	const params = {
		resource: 'video',
		operation: 'generate',
		videoInstanceId: rl(instanceId),
		inputMode: 'mapping',
		variables: VARIABLES,
		batchSize: 2000,
		waitForCompletion: true,
		pollInterval,
		maxWait,
		options: pollConcurrency ? { pollConcurrency } : {},
	};
	const bh = bhumanNode(params, credential, { name: 'BHuman Generate' });
	return { workflow: chain(`bench: Generate ${n} rows + Wait for Completion`, [start, contacts, bh]), path: start.parameters.path, measured: ['BHuman Generate'] };
}

// ---------------------------------------------------------------- waiting for renders

const LEAD_VARIABLES = {
	variable: [
		{ name: 'name', value: '={{ $json.name }}' },
		{ name: 'company', value: '={{ $json.company }}' },
	],
};

/**
 * The three ways to wait for a lead's video, each one lead per execution: Lead webhook → Lead (Set:
 * one lead from the body) → the build → Email (Set: the lead read back through paired items, and
 * the video's id, status and page URL).
 * - poll: Generate, Wait for Completion By Polling BHuman;
 * - callback: Generate, Wait for Completion Until BHuman Calls Back;
 * - waitNode: what users build today: Generate without waiting, Callback URL = the execution's
 *   resume URL, then n8n's Wait node (Resume: On Webhook Call, POST), which resumes at the first call.
 */
function leadVideo(build, { instanceId, credential, pollInterval = 5, maxWait }) {
	const hook = immediateWebhook('Lead webhook', `lead-${build}`);
	const lead = setNode('Lead', { name: '={{ $json.body.name }}', email: '={{ $json.body.email }}', company: '={{ $json.body.company }}' });
	const params = { resource: 'video', operation: 'generate', videoInstanceId: rl(instanceId), inputMode: 'mapping', variables: LEAD_VARIABLES };
	if (build === 'poll') Object.assign(params, { waitForCompletion: true, waitMethod: 'poll', pollInterval, maxWait });
	else if (build === 'callback') Object.assign(params, { waitForCompletion: true, waitMethod: 'callback', maxWait });
	else if (build === 'waitNode') params.callbackUrl = '={{ $execution.resumeUrl }}';
	else throw new Error(`unknown build ${build}`);
	const nodes = [hook, lead, bhumanNode(params, credential, { name: 'BHuman Generate' })];
	// n8n 2.40.7's Wait node (n8n-nodes-base/dist/nodes/Wait/Wait.node.js, version 1.1): resume
	// 'webhook' with its Webhook-node fields httpMethod and responseMode (Respond: Immediately), no
	// time limit (limitWaitTime off), no suffix: it listens at $execution.resumeUrl itself.
	if (build === 'waitNode') nodes.push(node('Wait', 'n8n-nodes-base.wait', 1.1, { resume: 'webhook', httpMethod: 'POST', responseMode: 'onReceived', options: {} }, { webhookId: randomUUID() }));
	// After the Wait node the video is the callback's body (video_url is its share page).
	const video = build === 'waitNode' ? { videoId: '={{ $json.body.id }}', status: '={{ $json.body.status }}', pageUrl: '={{ $json.body.video_url }}' } : { videoId: '={{ $json.id }}', status: '={{ $json.status }}', pageUrl: '={{ $json.pageUrl }}' };
	nodes.push(setNode('Email', { to: "={{ $('Lead').item.json.email }}", name: "={{ $('Lead').item.json.name }}", ...video }));
	return { workflow: chain(`bench renders: ${build}`, nodes), path: hook.parameters.path };
}

/**
 * One run of Until BHuman Calls Back over N rows (section renders, part B): Lead webhook → Code (n
 * contacts; the webhook body gives n and the company value, which carries the simulator's render
 * steering, sim:never or sim:render=<ms>) → Generate (one request per 2,000 rows) → Email (Set).
 */
function callbackRows({ instanceId, credential, maxWait = 30 }) {
	const hook = immediateWebhook('Lead webhook', 'rows');
	const contacts = node('Contacts', 'n8n-nodes-base.code', 2, {
		jsCode: "const { n, company } = $('Lead webhook').first().json.body;\nconst out = new Array(n);\nfor (let i = 0; i < n; i++) out[i] = { json: { first_name: `Contact ${i}`, company, email: `contact${i}@example.com` } };\nreturn out;",
	});
	const bh = bhumanNode(
		{ resource: 'video', operation: 'generate', videoInstanceId: rl(instanceId), inputMode: 'mapping', variables: VARIABLES, batchSize: 2000, waitForCompletion: true, waitMethod: 'callback', maxWait },
		credential,
		{ name: 'BHuman Generate' },
	);
	const email = setNode('Email', { to: "={{ $('Contacts').item.json.email }}", videoId: '={{ $json.id }}', status: '={{ $json.status }}' });
	return { workflow: chain('bench renders: Until BHuman Calls Back, N rows', [hook, contacts, bh, email]), path: hook.parameters.path };
}

module.exports = { generateA, generateB, generateC, getManyAll, callbackTrigger, callbackWebhook, waitGenerate, contactsNode, leadVideo, callbackRows };
