#!/usr/bin/env node
'use strict';
// Callback bursts against the BHuman Trigger in a real n8n, figures printed (README, issue 9
// items 15 and 16). Not part of `npm run test:e2e` (which runs the 20- and 200-callback bursts
// as checks); this script measures any size, any package, and the kill test.
//
//   node test/e2e/burst.js [--line 1|2] [--sizes 20,200,2000] [--tarball <package.tgz>] [--kill <n>]
//
// --tarball: measure another build of the package (e.g. main's); default: build and pack this one.
// --kill <n>: n callbacks at once; as soon as the last is answered, SIGKILL n8n, start it again
// on the same database and count the executions n8n recorded (any status) against the 200s.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { LINES } = require('../../scripts/lib/install');
const { stopAll, killAllSync } = require('../../scripts/lib/procs');
const L = require('../../scripts/lib/n8n');
const { runBurst, describeBurst, executionCount, activeTrigger, callbackBody, post } = require('./lib/burst');

const OWNER = { email: 'burst-owner@example.com', password: 'Burst-Bhuman-Passw0rd', firstName: 'Burst', lastName: 'Owner' };

function arg(name, fallback) {
	const i = process.argv.indexOf(`--${name}`);
	return i > 0 ? process.argv[i + 1] : fallback;
}

async function start(line, tarball, dir, n) {
	const n8n = await L.startN8n({ line, tarball, userFolder: path.join(dir, 'user'), logFile: path.join(dir, `n8n-${n}.log`) });
	const client = new L.N8nClient(n8n.url, n8n.install);
	return { n8n, client };
}

async function main() {
	const line = Number(arg('line', '2'));
	if (!LINES[line]) throw new Error(`--line ${line}: 1 or 2`);
	const sizes = arg('sizes', '20,200').split(',').map(Number).filter(Boolean);
	const kill = Number(arg('kill', '0'));
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bhuman-burst-'));
	process.on('exit', killAllSync);
	let tarball = arg('tarball');
	if (!tarball) tarball = (await L.buildAndPack(path.join(dir, 'pack'))).tarball;
	console.log(`n8n ${LINES[line].version}, package ${path.basename(tarball)}, work ${dir}`);

	let { n8n, client } = await start(line, tarball, dir, 1);
	await client.setupOwner(OWNER);
	client.cookies.clear();
	await client.login(OWNER);

	for (const size of sizes) console.log(describeBurst(await runBurst(client, n8n.url, size)));

	if (kill) {
		const trigger = await activeTrigger(client, n8n.url, `burst kill ${kill}`, 'e2e-kill-token');
		const { randomUUID } = require('node:crypto');
		const ids = Array.from({ length: kill }, () => randomUUID());
		const statuses = await Promise.all(ids.map((id) => post(trigger.url, callbackBody(id))));
		process.kill(-n8n.proc.pid, 'SIGKILL');
		await n8n.proc.exitPromise;
		const answered = statuses.filter((s) => s === 200).length;
		({ n8n, client } = await start(line, undefined, dir, 2));
		await client.login(OWNER);
		const recorded = await executionCount(client, trigger.id);
		console.log(`kill test: ${kill} callbacks at once, ${answered} answered 200, n8n SIGKILLed right after the last answer; after the restart n8n has ${recorded} executions of the trigger's workflow${recorded >= answered ? ' (none lost)' : ` (${answered - recorded} accepted callbacks lost)`}`);
	}
	await n8n.stop();
	await stopAll();
	fs.rmSync(dir, { recursive: true, force: true });
}

main().catch(async (err) => {
	console.error(err);
	await stopAll();
	process.exit(1);
});
