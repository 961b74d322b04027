'use strict';
// A minimal SMTP server on loopback that keeps the messages it receives: the e2e suite and
// `npm start` point n8n's SMTP credential at it, so the email step of the CRM example runs
// with no mail account. No TLS, no AUTH; enough of RFC 5321 for nodemailer (n8n's Send Email).

const net = require('node:net');

function decodeBody(headers, body) {
	const cte = (headers['content-transfer-encoding'] || '').toLowerCase();
	if (cte === 'quoted-printable') {
		return Buffer.from(
			body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16))),
			'latin1',
		).toString('utf8');
	}
	if (cte === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
	return body;
}

function decodeWord(s) {
	// =?UTF-8?Q?...?= / =?UTF-8?B?...?= (subjects with non-ASCII text)
	return s.replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=/gi, (_, cs, enc, text) =>
		enc.toUpperCase() === 'B'
			? Buffer.from(text, 'base64').toString('utf8')
			: Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'),
	);
}

function parseMessage(raw) {
	const i = raw.search(/\r?\n\r?\n/);
	const head = i >= 0 ? raw.slice(0, i) : raw;
	const body = i >= 0 ? raw.slice(i).replace(/^\r?\n\r?\n/, '') : '';
	const headers = {};
	for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
		const c = line.indexOf(':');
		if (c > 0) headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
	}
	return { headers, subject: decodeWord(headers.subject || ''), text: decodeBody(headers, body) };
}

/** Starts the server; returns { port, messages, waitFor(pred, ms), close() }. */
function startMailCatcher({ port = 0, onMessage } = {}) {
	const messages = [];
	const waiters = new Set();
	const server = net.createServer((socket) => {
		socket.setEncoding('latin1');
		let buf = '';
		let inData = false;
		let env = { from: null, to: [] };
		const say = (line) => socket.write(line + '\r\n');
		say('220 localhost BHuman demo mail catcher');
		socket.on('data', (chunk) => {
			buf += chunk;
			for (;;) {
				if (inData) {
					const end = buf.indexOf('\r\n.\r\n');
					if (end < 0) return;
					const raw = buf.slice(0, end).replace(/\r\n\.\./g, '\r\n.');
					buf = buf.slice(end + 5);
					inData = false;
					const msg = { from: env.from, to: env.to, ...parseMessage(Buffer.from(raw, 'latin1').toString('utf8')), raw, at: new Date().toISOString() };
					messages.push(msg);
					env = { from: null, to: [] };
					say('250 OK: queued');
					if (onMessage) onMessage(msg);
					for (const w of waiters) w();
					continue;
				}
				const nl = buf.indexOf('\r\n');
				if (nl < 0) return;
				const line = buf.slice(0, nl);
				buf = buf.slice(nl + 2);
				const cmd = line.slice(0, 4).toUpperCase();
				if (cmd === 'EHLO') say('250-localhost\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 20000000');
				else if (cmd === 'HELO') say('250 localhost');
				else if (cmd === 'MAIL') {
					env.from = (/<([^>]*)>/.exec(line) || [])[1] || null;
					say('250 OK');
				} else if (cmd === 'RCPT') {
					env.to.push((/<([^>]*)>/.exec(line) || [])[1]);
					say('250 OK');
				} else if (cmd === 'DATA') {
					inData = true;
					say('354 End data with <CR><LF>.<CR><LF>');
				} else if (cmd === 'RSET') {
					env = { from: null, to: [] };
					say('250 OK');
				} else if (cmd === 'NOOP') say('250 OK');
				else if (cmd === 'QUIT') {
					say('221 Bye');
					socket.end();
				} else say('502 Command not implemented');
			}
		});
		socket.on('error', () => {});
	});
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, '127.0.0.1', () => {
			const catcher = {
				host: '127.0.0.1',
				port: server.address().port,
				messages,
				/** Resolves with the first message matching pred (already received or to come). */
				waitFor(pred, timeoutMs = 30000) {
					return new Promise((res, rej) => {
						const check = () => {
							const m = messages.find(pred);
							if (m) {
								waiters.delete(check);
								clearTimeout(t);
								res(m);
							}
						};
						const t = setTimeout(() => {
							waiters.delete(check);
							rej(new Error(`no matching email within ${timeoutMs / 1000} s (${messages.length} received)`));
						}, timeoutMs);
						waiters.add(check);
						check();
					});
				},
				close: () => new Promise((r) => server.close(() => r())),
			};
			resolve(catcher);
		});
	});
}

module.exports = { startMailCatcher, parseMessage };
