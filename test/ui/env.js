'use strict';
// What the UI test runs against: Debian's chromium (installed with apt when missing), the packed
// package installed into a real n8n of the newest line (the e2e suite's setup, scripts/lib/n8n.js),
// the simulator, and an owner account (the REST setup; logging in is the UI test's first step).

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const L = require('../../scripts/lib/n8n');

const OWNER = { email: 'ui-owner@example.com', password: 'Ui-Bhuman-Passw0rd', firstName: 'Ada', lastName: 'Owner' };
const LINE = 2; // the newest n8n line (2.40.7)

function which(cmd) {
	try {
		return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || null;
	} catch {
		return null;
	}
}

/** Debian's chromium; installed with apt-get when missing (needs root, as on CI). No browser download. */
function ensureChromium() {
	// Debian's chromium; GitHub's Ubuntu runners have Google Chrome instead (ci.yml sets CHROMIUM_PATH)
	const found = process.env.CHROMIUM_PATH || which('chromium') || which('chromium-browser');
	if (found) return found;
	if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
		throw new Error('chromium is not installed and this is not root: run `apt-get update && apt-get install -y chromium`');
	}
	L.log('installing Debian chromium (apt-get update && apt-get install -y chromium)');
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
	execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env });
	const installed = which('chromium');
	if (!installed) throw new Error('apt-get install chromium did not provide a chromium binary');
	return installed;
}

/** Packs the package, starts the simulator and n8n with it installed, creates the owner. */
async function startEnv(workDir, { skipBuild = false } = {}) {
	const env = { workDir, owner: OWNER };
	const packed = await L.buildAndPack(path.join(workDir, 'pack'), { skipBuild });
	env.sim = await L.startSimulator({ renderMs: 300, logFile: path.join(workDir, 'simulator.log'), workDir });
	env.n8n = await L.startN8n({ line: LINE, tarball: packed.tarball, userFolder: path.join(workDir, 'user'), logFile: path.join(workDir, 'n8n.log') });
	env.client = new L.N8nClient(env.n8n.url, env.n8n.install);
	await env.client.setupOwner(OWNER);
	env.client.cookies.clear();
	await env.client.login(OWNER);
	env.stop = async () => {
		await env.n8n.stop();
		await env.sim.stop();
	};
	fs.writeFileSync(path.join(workDir, 'env.json'), JSON.stringify({ n8n: env.n8n.url, sim: env.sim.url, keyId: env.sim.keyId, keySecret: env.sim.keySecret, owner: OWNER }, null, 2));
	return env;
}

module.exports = { ensureChromium, startEnv, OWNER, LINE };
