'use strict';
// Workflow JSON builders for the e2e checks: each check's workflow starts with a Webhook node
// (production URL, responds with the last node's output), which works the same on n8n 1.x and
// 2.x once the workflow is activated (1.x) / published (2.x) through the REST API.

const { randomUUID } = require('node:crypto');

const PKG = 'n8n-nodes-bhuman';
const TYPES = {
	action: `${PKG}.bhuman`,
	trigger: `${PKG}.bhumanTrigger`,
	tool: `${PKG}.bhumanTool`,
};

let seq = 0;
const uid = () => `e2e-${Date.now().toString(36)}-${(seq++).toString(36)}`;

function rl(value) {
	return { __rl: true, mode: 'id', value };
}

function webhookNode({ name = 'Webhook', path = uid(), responseData = 'allEntries', binaryProperty = 'data' } = {}) {
	return {
		id: randomUUID(),
		name,
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		position: [0, 0],
		webhookId: randomUUID(),
		parameters: {
			httpMethod: 'POST',
			path,
			responseMode: 'lastNode',
			responseData,
			...(responseData === 'firstEntryBinary' ? { responseBinaryPropertyName: binaryProperty } : {}),
			options: {},
		},
	};
}

/** The editor's Manual Trigger (what "Execute workflow" starts from). */
function manualTriggerNode({ name = 'Manual Trigger' } = {}) {
	return { id: randomUUID(), name, type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} };
}

/** A BHuman node at the version the editor adds (1.1; the engine tests run version 1). */
function bhumanNode(parameters, credential, { name = 'BHuman', position = [440, 0], type = TYPES.action } = {}) {
	return {
		id: randomUUID(),
		name,
		type,
		typeVersion: 1.1,
		position,
		parameters,
		credentials: credential ? { bhumanApi: { id: credential.id, name: credential.name } } : undefined,
	};
}

/** A Code node returning fixed items, or running the given code (in n8n's task runner on both lines). */
function codeNode(items, { name = 'Rows', position = [220, 0] } = {}) {
	return {
		id: randomUUID(),
		name,
		type: 'n8n-nodes-base.code',
		typeVersion: 2,
		position,
		parameters: { jsCode: typeof items === 'string' ? items : `return ${JSON.stringify(items.map((json) => ({ json })))};` },
	};
}

/** Video → Generate of the first video instance, name and company from the item. */
function generateParams(data, extra = {}) {
	return {
		resource: 'video',
		operation: 'generate',
		videoInstanceId: rl(data.videoInstances[0].id),
		inputMode: 'mapping',
		variables: { variable: [{ name: 'name', value: '={{ $json.name }}' }, { name: 'company', value: '={{ $json.company }}' }] },
		...extra,
	};
}

/** A chain of nodes, connected in order (main output 0 → main input 0). */
function chain(name, nodes, extra = {}) {
	const connections = {};
	for (let i = 0; i < nodes.length - 1; i++) {
		connections[nodes[i].name] = { main: [[{ node: nodes[i + 1].name, type: 'main', index: 0 }]] };
	}
	nodes.forEach((n, i) => {
		n.position = [i * 220, 0];
	});
	return { name, nodes, connections, settings: { executionOrder: 'v1' }, ...extra };
}

/** Webhook → (prefix nodes) → BHuman(parameters): the usual operation check. */
function operationWorkflow(name, parameters, credential, { prefix = [], responseData = 'allEntries' } = {}) {
	const hook = webhookNode({ responseData });
	return { workflow: chain(name, [hook, ...prefix, bhumanNode(parameters, credential)]), path: hook.parameters.path };
}

/** A BHuman Trigger node named 'BHuman Trigger', with its own webhook id. */
function triggerNode(parameters, credential) {
	return {
		id: randomUUID(),
		name: 'BHuman Trigger',
		type: TYPES.trigger,
		typeVersion: 1.1,
		position: [0, 0],
		webhookId: randomUUID(),
		parameters,
		...(credential ? { credentials: { bhumanApi: { id: credential.id, name: credential.name } } } : {}),
	};
}

function triggerWorkflow(name, parameters, credential, { withCredential = false } = {}) {
	const node = triggerNode(parameters, withCredential ? credential : undefined);
	const after = {
		id: randomUUID(),
		name: 'Received',
		type: 'n8n-nodes-base.noOp',
		typeVersion: 1,
		position: [220, 0],
		parameters: {},
	};
	return { workflow: chain(name, [node, after]), webhookId: node.webhookId };
}

module.exports = { TYPES, PKG, uid, rl, webhookNode, manualTriggerNode, bhumanNode, codeNode, generateParams, chain, operationWorkflow, triggerNode, triggerWorkflow };
