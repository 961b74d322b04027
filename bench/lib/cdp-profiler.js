'use strict';
// A CPU profiler for another Node process through its inspector (Chrome DevTools Protocol).
// Run by bench/lib/profile.js with a Node that has a global WebSocket (n8n 2.x's Node 24):
//   node cdp-profiler.js <inspector port> <output .cpuprofile>
// prints "started" once sampling runs, stops on a "stop" line on stdin, writes the profile,
// prints "done" and exits.

const fs = require('node:fs');

async function main() {
	const [port, outFile, intervalUs = '500'] = process.argv.slice(2);
	const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
	if (!targets.length) throw new Error('no inspector target');
	const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
	await new Promise((resolve, reject) => {
		ws.addEventListener('open', resolve);
		ws.addEventListener('error', () => reject(new Error('inspector WebSocket failed')));
	});
	let seq = 0;
	const pending = new Map();
	ws.addEventListener('message', (m) => {
		const d = JSON.parse(m.data);
		if (d.id && pending.has(d.id)) {
			pending.get(d.id)(d);
			pending.delete(d.id);
		}
	});
	const send = (method, params = {}) =>
		new Promise((resolve, reject) => {
			const id = ++seq;
			pending.set(id, (d) => (d.error ? reject(new Error(`${method}: ${d.error.message}`)) : resolve(d.result)));
			ws.send(JSON.stringify({ id, method, params }));
		});
	await send('Profiler.enable');
	await send('Profiler.setSamplingInterval', { interval: Number(intervalUs) });
	await send('Profiler.start');
	process.stdout.write('started\n');
	await new Promise((resolve) => {
		let buf = '';
		process.stdin.on('data', (d) => {
			buf += d;
			if (buf.includes('stop')) resolve();
		});
		process.stdin.on('end', resolve);
	});
	const { profile } = await send('Profiler.stop');
	await send('Profiler.disable');
	fs.writeFileSync(outFile, JSON.stringify(profile));
	ws.close();
	process.stdout.write('done\n');
}

main().then(
	() => process.exit(0),
	(e) => {
		process.stderr.write(`cdp-profiler: ${e.message}\n`);
		process.exit(1);
	},
);
