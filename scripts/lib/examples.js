'use strict';
// The example workflows (examples/*.json) made ready to import into a given n8n: credentials
// replaced by the ones created there, and the default local n8n URL (http://localhost:5678, in
// the CRM example's Callback URL) replaced by the instance's own URL.

const fs = require('node:fs');
const path = require('node:path');
const { REPO } = require('./n8n');

const EXAMPLES_DIR = path.join(REPO, 'examples');
const DEFAULT_N8N_URL = 'http://localhost:5678';

function listExamples() {
	return fs
		.readdirSync(EXAMPLES_DIR)
		.filter((f) => f.endsWith('.json'))
		.sort()
		.map((f) => ({ file: f, path: path.join(EXAMPLES_DIR, f), workflow: JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, f), 'utf8')) }));
}

/**
 * credentials: { bhumanApi: {id, name}, smtp: {id, name}, … } by credential type; a node's
 * credential of a type not given is removed (the editor then asks for one).
 */
function prepareExample(workflow, { credentials = {}, baseUrl } = {}) {
	let text = JSON.stringify(workflow);
	if (baseUrl) text = text.split(DEFAULT_N8N_URL).join(baseUrl.replace(/\/+$/, ''));
	const wf = JSON.parse(text);
	for (const node of wf.nodes) {
		if (!node.credentials) continue;
		for (const type of Object.keys(node.credentials)) {
			if (credentials[type]) node.credentials[type] = { id: credentials[type].id, name: credentials[type].name };
			else delete node.credentials[type];
		}
		if (!Object.keys(node.credentials).length) delete node.credentials;
	}
	return wf;
}

/** Node types an example uses (sticky notes included). */
function nodeTypesOf(workflow) {
	return [...new Set(workflow.nodes.map((n) => `${n.type}@${n.typeVersion}`))];
}

module.exports = { EXAMPLES_DIR, DEFAULT_N8N_URL, listExamples, prepareExample, nodeTypesOf };
