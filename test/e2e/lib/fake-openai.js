'use strict';
// A scripted, OpenAI-compatible chat model on loopback (POST /v1/chat/completions), so the AI
// agent example runs with no OpenAI account. It plays a fixed conversation through the tools
// n8n offers it: 1) call the tool whose name mentions "list", 2) call the "generate" tool for
// the first listed video instance with the variables it has, 3) answer with the generation ids.
// Both plain JSON and streamed (SSE) answers are supported.

const http = require('node:http');

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

function toolNamed(tools, word) {
	return tools.find((t) => t.function && t.function.name.toLowerCase().includes(word));
}

/** Arguments for a tool from its JSON schema, filled by property name. */
function argsFor(tool, values) {
	const props = tool.function.parameters?.properties || {};
	const out = {};
	for (const [name, schema] of Object.entries(props)) {
		const key = Object.keys(values).find((k) => name.toLowerCase().includes(k.toLowerCase()));
		out[name] = key !== undefined ? values[key] : schema.type === 'number' ? 1 : schema.type === 'boolean' ? false : 'list';
	}
	return out;
}

function textOf(content) {
	if (typeof content === 'string') return content;
	if (Array.isArray(content)) return content.map((c) => (typeof c === 'string' ? c : c.text || '')).join('');
	return JSON.stringify(content ?? '');
}

/** The next assistant message of the scripted conversation. */
function nextMessage(body, scenario) {
	const tools = body.tools || [];
	const toolResults = (body.messages || []).filter((m) => m.role === 'tool');
	const call = (tool, args) => ({
		role: 'assistant',
		content: null,
		tool_calls: [{ id: `call_${toolResults.length + 1}`, type: 'function', function: { name: tool.function.name, arguments: JSON.stringify(args) } }],
	});
	if (toolResults.length === 0) {
		const list = toolNamed(tools, 'list');
		if (!list) return { role: 'assistant', content: `No list tool among: ${tools.map((t) => t.function.name).join(', ')}` };
		return call(list, argsFor(list, {}));
	}
	if (toolResults.length === 1) {
		const gen = toolNamed(tools, 'generate');
		const listed = textOf(toolResults[0].content);
		let instances = [];
		try {
			const parsed = JSON.parse(listed);
			instances = Array.isArray(parsed) ? parsed : [parsed];
		} catch {}
		const inst = instances.find((i) => Array.isArray(i.variables) && i.variables.join() === 'name,company') || instances[0];
		if (!gen || !inst) return { role: 'assistant', content: `Cannot generate: ${listed.slice(0, 200)}` };
		scenario.instanceId = inst.id;
		return call(gen, argsFor(gen, { instance: inst.id, variables: JSON.stringify(inst.variables), names: JSON.stringify(scenario.rows) }));
	}
	// The generate tool answers with its output items: their `id` is the generation id.
	const result = textOf(toolResults[toolResults.length - 1].content);
	let ids;
	try {
		const parsed = JSON.parse(result);
		ids = (Array.isArray(parsed) ? parsed : [parsed]).map((item) => item.id).filter(Boolean);
	} catch {
		ids = [...new Set(result.match(UUID) || [])].filter((id) => id !== scenario.instanceId);
	}
	return { role: 'assistant', content: `Done: I started ${ids.length} video(s). Generation ids: ${ids.join(', ')}.` };
}

function startFakeOpenAI({ rows = [['Don', 'Apple']] } = {}) {
	const scenario = { rows, requests: [], instanceId: null };
	const server = http.createServer((req, res) => {
		let raw = '';
		req.on('data', (d) => (raw += d));
		req.on('end', () => {
			const path = req.url.split('?')[0];
			if (req.method === 'GET' && path.endsWith('/models')) {
				res.writeHead(200, { 'content-type': 'application/json' });
				return res.end(JSON.stringify({ object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', owned_by: 'fake' }] }));
			}
			if (req.method !== 'POST' || !path.endsWith('/chat/completions')) {
				res.writeHead(404, { 'content-type': 'application/json' });
				return res.end(JSON.stringify({ error: { message: `fake OpenAI: no route ${req.method} ${path}` } }));
			}
			let body = {};
			try {
				body = JSON.parse(raw);
			} catch {}
			scenario.requests.push(body);
			const msg = nextMessage(body, scenario);
			const finish = msg.tool_calls ? 'tool_calls' : 'stop';
			const id = `chatcmpl-fake-${scenario.requests.length}`;
			const created = Math.floor(Date.now() / 1000);
			const usage = { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 };
			if (!body.stream) {
				res.writeHead(200, { 'content-type': 'application/json' });
				return res.end(JSON.stringify({ id, object: 'chat.completion', created, model: body.model || 'gpt-4o-mini', choices: [{ index: 0, message: msg, finish_reason: finish }], usage }));
			}
			res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
			const chunk = (delta, finishReason = null, extra = {}) =>
				res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model || 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra })}\n\n`);
			chunk({ role: 'assistant', content: msg.content ? '' : null });
			if (msg.tool_calls) chunk({ tool_calls: msg.tool_calls.map((t, index) => ({ index, ...t })) });
			else chunk({ content: msg.content });
			chunk({}, finish);
			if (body.stream_options && body.stream_options.include_usage) {
				res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage })}\n\n`);
			}
			res.end('data: [DONE]\n\n');
		});
	});
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			resolve({ url: `http://127.0.0.1:${server.address().port}/v1`, scenario, close: () => new Promise((r) => server.close(() => r())) });
		});
	});
}

module.exports = { startFakeOpenAI };
