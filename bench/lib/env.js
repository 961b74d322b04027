'use strict';
// The benchmark's environment, built on the e2e harness (scripts/lib/*.js): the packed
// package installed into a fresh n8n user folder, the simulator with a fixed latency, the
// owner account, a BHuman credential and, for the do-it-yourself builds, a Basic Auth
// credential holding the same API key. Also what the results record about the machine.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const L = require('../../scripts/lib/n8n');
const { LINES, supportedLines } = require('../../scripts/lib/install');

const OWNER = { email: 'bench-owner@example.com', password: 'Bench-Bhuman-Passw0rd', firstName: 'Bench', lastName: 'Owner' };

/** The newest n8n line the harness can run on this machine. */
function newestLine() {
	const lines = supportedLines();
	if (!lines.length) throw new Error('the e2e harness supports no n8n line on this machine');
	return Math.max(...lines);
}

/** A REST client of a fresh n8n, its owner set up and logged in. */
async function ownerClient(url, install) {
	const client = new L.N8nClient(url, install);
	await client.setupOwner(OWNER);
	client.cookies.clear();
	await client.login(OWNER);
	return client;
}

/** The BHuman credential for the simulator (its key, its URL as Base URL). */
function simCredential(client, sim) {
	return client.createCredential({ name: 'BHuman (simulator)', type: 'bhumanApi', data: { apiKeyId: sim.keyId, apiKeySecret: sim.keySecret, baseUrl: sim.url } });
}

async function setup({ workDir, line, latencyMs, instances, skipBuild, log }) {
	const env = { workDir, line, version: LINES[line].version, latencyMs };
	log(`build and pack the package${skipBuild ? ' (BENCH_SKIP_BUILD=1: dist as is)' : ''}`);
	const packed = await L.buildAndPack(path.join(workDir, 'pack'), { skipBuild });
	env.tarball = packed.tarball;
	env.packageVersion = packed.version;

	log(`start the simulator: --latency ${latencyMs} --instances ${instances}`);
	env.sim = await L.startSimulator({
		renderMs: 300,
		logFile: path.join(workDir, 'simulator.log'),
		workDir,
		extraArgs: ['--latency', String(latencyMs), '--instances', String(instances), '--quiet'],
	});
	const state = await env.sim.control('GET', '/__sim/state');
	if (state.latencyMs !== latencyMs) throw new Error(`the simulator runs with latency ${state.latencyMs} ms, not ${latencyMs}`);
	if (state.counts.videoInstances !== instances) throw new Error(`the simulator holds ${state.counts.videoInstances} video instances, not ${instances}`);

	log(`start n8n ${env.version} with the packed package installed`);
	const userFolder = path.join(workDir, 'user');
	const tarball = env.tarball;
	// an inspector port reserved but closed: the diagnostics open it (SIGUSR1) to profile n8n
	const ports = new Set();
	env.inspectPort = await L.freePort(ports);
	env.n8n = await L.startN8n({
		ports,
		line,
		tarball,
		userFolder,
		logFile: path.join(workDir, 'n8n.log'),
		env: {
			NODE_OPTIONS: `--inspect-port=127.0.0.1:${env.inspectPort}`,
			// BENCH_LAZY_ISOLATE=1: the setting the README recommends for callback bursts (n8n 2.x
			// then takes an expression isolate only when an expression is evaluated).
			...(process.env.BENCH_LAZY_ISOLATE === '1' ? { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' } : {}),
		},
	});
	env.nodeVersion = execFileSync(env.n8n.install.nodeBin, ['--version']).toString().trim();
	log(`n8n ${env.version} up at ${env.n8n.url} in ${env.n8n.startSeconds} s (Node ${env.nodeVersion})`);

	const client = await ownerClient(env.n8n.url, env.n8n.install);
	env.client = client;
	env.credential = await simCredential(client, env.sim);
	env.basicAuth = await client.createCredential({
		name: 'BHuman API key as Basic Auth (HTTP Request builds)',
		type: 'httpBasicAuth',
		data: { user: env.sim.keyId, password: env.sim.keySecret },
	});
	env.data = await env.sim.data();
	env.instanceId = env.data.videoInstances[0].id;
	return env;
}

async function teardown(env) {
	if (!env) return;
	if (env.n8n) await env.n8n.stop().catch(() => {});
	if (env.sim) await env.sim.stop().catch(() => {});
}

function machine() {
	let cpuModel = os.cpus()[0]?.model || 'unknown';
	try {
		const m = /model name\s*:\s*(.+)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
		if (m) cpuModel = m[1].trim();
	} catch {}
	let osName = `${os.type()} ${os.release()}`;
	try {
		const m = /PRETTY_NAME="([^"]+)"/.exec(fs.readFileSync('/etc/os-release', 'utf8'));
		if (m) osName = `${m[1]} (kernel ${os.release()})`;
	} catch {}
	return {
		cpuModel,
		cores: os.cpus().length,
		memoryGB: Math.round((os.totalmem() / 1073741824) * 10) / 10,
		os: osName,
		arch: process.arch,
		benchNodeVersion: process.version,
		loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
	};
}

module.exports = { setup, teardown, machine, newestLine, ownerClient, simCredential, OWNER };
