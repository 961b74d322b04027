'use strict';
// A reverse proxy that publishes only n8n's webhook paths (`/webhook/` and `/webhook-waiting/`),
// as a common deployment does: a proxy or tunnel in front of n8n, the editor, the REST API and
// every other path kept private. The e2e suite starts n8n with WEBHOOK_URL at it, so BHuman's
// callbacks reach n8n only through it, and n8n itself could reach no other of its own URLs
// through its public address. Every request is recorded (method, path, status).

const http = require('node:http');
const { readBody } = require('./relay');

const PUBLISHED = ['/webhook/', '/webhook-waiting/'];

/** Starts the proxy on a free loopback port; `target` (n8n's origin) may be set or changed later. */
async function startWebhookProxy({ target } = {}) {
	const requests = [];
	const proxy = {
		target,
		requests,
		url: '',
		/** Requests to a path the proxy does not publish (answered 404 without reaching n8n). */
		refused: () => requests.filter((r) => r.refused),
		close: () => new Promise((resolve) => {
			server.closeAllConnections();
			server.close(() => resolve());
		}),
	};
	const agent = new http.Agent({ keepAlive: false });
	const server = http.createServer(async (req, res) => {
		const entry = { method: req.method, path: req.url.split('?')[0], at: Date.now() };
		requests.push(entry);
		const body = await readBody(req).catch(() => Buffer.alloc(0));
		if (!PUBLISHED.some((prefix) => entry.path.startsWith(prefix)) || !proxy.target) {
			entry.refused = true;
			entry.status = 404;
			res.writeHead(404, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ message: 'Not published by the proxy' }));
			return;
		}
		const to = new URL(req.url, proxy.target);
		const headers = { ...req.headers, host: to.host, 'x-forwarded-for': req.socket.remoteAddress };
		delete headers.connection;
		const out = http.request({ method: req.method, hostname: to.hostname, port: to.port, path: to.pathname + to.search, agent, headers }, (upstream) => {
			entry.status = upstream.statusCode;
			res.writeHead(upstream.statusCode, upstream.headers);
			upstream.pipe(res);
		});
		out.on('error', (error) => {
			entry.status = 502;
			entry.error = error.message;
			if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ message: `n8n did not answer: ${error.message}` }));
		});
		out.end(body);
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	proxy.url = `http://127.0.0.1:${server.address().port}`;
	return proxy;
}

module.exports = { startWebhookProxy, PUBLISHED };
