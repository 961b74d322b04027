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
	return node('Set', 'n8n-nodes-base.set', 3.4, {
		mode: 'manual',
		assignments: {
			assignments: [
				{ id: randomUUID(), name: 'generationId', value: `={{ ${prefix}.id }}`, type: 'string' },
				{ id: randomUUID(), name: 'status', value: `={{ ${prefix}.status }}`, type: 'string' },
				{ id: randomUUID(), name: 'videoUrl', value: `={{ ${prefix}.url }}`, type: 'string' },
			],
		},
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
	const hook = webhookNode({ name: 'Webhook', path: benchPath(expression ? 'cbx' : 'cb') });
	hook.parameters.responseMode = 'onReceived';
	delete hook.parameters.responseData;
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

module.exports = { generateA, generateB, generateC, getManyAll, callbackTrigger, callbackWebhook, waitGenerate, contactsNode };
