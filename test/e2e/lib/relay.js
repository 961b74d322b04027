'use strict';
// Two small loopback servers for the queue line's burst:
// - a relay in front of n8n's webhook processors, as a load balancer would be: each callback
//   goes to the next processor in turn (round robin) and is answered with that processor's
//   answer; with `duplicateMs: [min, max]` every callback is delivered a second time, the copy
//   a random min..max ms later and to the next processor (so a repeat lands on another one);
// - a sink that the trigger workflow's last node POSTs {id, event, execution} to: what the
//   workflow actually did, counted outside n8n.

const http = require('node:http');

function listen(server) {
	return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

function readBody(req) {
	return new Promise((resolve, reject) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => resolve(Buffer.concat(chunks)));
		req.on('error', reject);
	});
}

// No keep-alive: a socket reused just as n8n closes it idle (its keepAliveTimeout) fails with
// ECONNRESET, which would count against n8n (seen 11 times in 4,000 callbacks under load).
const agent = new http.Agent({ keepAlive: false, maxSockets: 64 });

function forward(base, req, body) {
	return new Promise((resolve) => {
		const u = new URL(req.url, base);
		const out = http.request(
			{ method: req.method, hostname: u.hostname, port: u.port, path: u.pathname + u.search, agent, headers: { 'content-type': req.headers['content-type'] || 'application/json', 'content-length': body.length } },
			(res) => {
				const chunks = [];
				res.on('data', (c) => chunks.push(c));
				res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
			},
		);
		out.setTimeout(60000, () => out.destroy(new Error('timed out')));
		out.on('error', (err) => resolve({ status: 0, error: err.message, body: Buffer.alloc(0) }));
		out.end(body);
	});
}

async function startRelay({ targets, duplicateMs = null }) {
	const stats = { first: [], copy: [] };
	let next = 0;
	const pending = new Set();
	const server = http.createServer(async (req, res) => {
		const body = await readBody(req);
		const i = next++ % targets.length;
		const t = Date.now();
		const answer = await forward(targets[i], req, body);
		stats.first.push({ status: answer.status, error: answer.error, target: i, ms: Date.now() - t });
		res.writeHead(answer.status || 502, { 'content-type': answer.headers?.['content-type'] || 'text/plain' });
		res.end(answer.body);
		if (duplicateMs) {
			const [min, max] = duplicateMs;
			const j = (i + 1) % targets.length;
			const p = new Promise((resolve) => setTimeout(resolve, min + Math.random() * (max - min)))
				.then(() => forward(targets[j], req, body))
				.then((a) => stats.copy.push({ status: a.status, error: a.error, target: j }))
				.finally(() => pending.delete(p));
			pending.add(p);
		}
	});
	const url = await listen(server);
	return {
		url,
		stats,
		/** Resolves once every scheduled copy has been delivered. */
		async drain() {
			while (pending.size) await Promise.all([...pending]);
		},
		close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
	};
}

async function startSink() {
	const hits = [];
	const server = http.createServer(async (req, res) => {
		const body = await readBody(req);
		try {
			hits.push({ ...JSON.parse(body.toString('utf8')), at: Date.now() });
		} catch {
			hits.push({ bad: body.toString('utf8').slice(0, 200), at: Date.now() });
		}
		res.writeHead(200, { 'content-type': 'application/json' });
		res.end('{"ok":true}');
	});
	const url = await listen(server);
	return { url, hits, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }) };
}

/**
 * What a burst did: answers, executions started, unique ids, duplicates. `hits`: what reached
 * the last step (default: every sink hit; one guard's hits when the workflow has several).
 */
function burstFigures({ relay, sink, hits = sink.hits, expectedIds }) {
	const ok = (list) => list.filter((s) => s.status >= 200 && s.status < 300).length;
	const ids = hits.map((h) => h.id);
	const unique = new Set(ids);
	const missing = expectedIds.filter((id) => !unique.has(id));
	return {
		callbacks: relay.stats.first.length + relay.stats.copy.length,
		answered2xx: ok(relay.stats.first) + ok(relay.stats.copy),
		notAnswered2xx: [...relay.stats.first, ...relay.stats.copy].filter((s) => !(s.status >= 200 && s.status < 300)).map((s) => s.status || s.error),
		executions: ids.length,
		uniqueIds: unique.size,
		missing,
		duplicates: ids.length - unique.size,
	};
}

module.exports = { startRelay, startSink, burstFigures, readBody };
