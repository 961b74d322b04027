'use strict';
// Where n8n's CPU time goes during a measured piece of work: n8n runs with an inspector
// port reserved (NODE_OPTIONS=--inspect-port, inactive); SIGUSR1 opens it, a small CDP
// client (cdp-profiler.js, run with n8n's own Node, which has WebSocket) samples the CPU
// while `fn` runs, and the profile is summarised by the frames on each sample's stack.
// Diagnostic only: sampling slows n8n down, so profiled runs are never the timed ones.

const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { sleep } = require('../../scripts/lib/procs');

async function enableInspector(env) {
	if (env.inspectorOpen) return;
	process.kill(env.n8n.proc.pid, 'SIGUSR1');
	const deadline = Date.now() + 10000;
	for (;;) {
		try {
			const r = await fetch(`http://127.0.0.1:${env.inspectPort}/json/list`);
			if (r.ok) break;
		} catch {}
		if (Date.now() > deadline) throw new Error(`n8n's inspector did not open on port ${env.inspectPort}`);
		await sleep(200);
	}
	env.inspectorOpen = true;
}

/** Runs fn while sampling n8n's main process; returns { result, profile, file }. */
async function profileWhile(env, name, fn) {
	await enableInspector(env);
	const file = path.join(env.workDir, `${name}.cpuprofile`);
	const child = spawn(env.n8n.install.nodeBin, [path.join(__dirname, 'cdp-profiler.js'), String(env.inspectPort), file, '500'], { stdio: ['pipe', 'pipe', 'pipe'] });
	let out = '';
	let err = '';
	child.stdout.on('data', (d) => (out += d));
	child.stderr.on('data', (d) => (err += d));
	const exited = new Promise((resolve) => child.on('exit', resolve));
	try {
		const deadline = Date.now() + 15000;
		while (!out.includes('started')) {
			if (child.exitCode !== null || Date.now() > deadline) throw new Error(`profiler did not start: ${err.trim()}`);
			await sleep(50);
		}
		const result = await fn();
		child.stdin.write('stop\n');
		const code = await Promise.race([exited, sleep(60000).then(() => 'timeout')]);
		if (code !== 0) throw new Error(`profiler ended with ${code}: ${err.trim()}`);
		return { result, profile: JSON.parse(fs.readFileSync(file, 'utf8')), file };
	} finally {
		if (child.exitCode === null) child.kill('SIGKILL');
	}
}

const frameKey = (cf) => `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^.*node_modules\//, '')}`;

/** Stacks (outermost first) of every sample with its duration in ms. */
function samples(profile) {
	const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
	const parent = new Map();
	for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
	const cache = new Map();
	const stackOf = (id) => {
		if (cache.has(id)) return cache.get(id);
		const stack = [];
		for (let cur = id; cur; cur = parent.get(cur)) stack.push(frameKey(nodes.get(cur).callFrame));
		stack.reverse();
		cache.set(id, stack);
		return stack;
	};
	return profile.samples.map((id, i) => ({ stack: stackOf(id), ms: (profile.timeDeltas[i] || 0) / 1000 }));
}

/**
 * Time (ms) of the samples inside `focus` (a regexp on "function url"), split by the first
 * category (in the given order) found on the stack below the focus frame.
 */
function breakdown(profile, focus, categories) {
	const out = { totalMs: 0, byCategory: Object.fromEntries(categories.map((c) => [c.name, 0])), otherMs: 0 };
	let busy = 0;
	for (const s of samples(profile)) {
		const leaf = s.stack[s.stack.length - 1] || '';
		if (!/^\((idle|program|garbage collector)\)/.test(leaf)) busy += s.ms;
		const at = s.stack.findIndex((f) => focus.test(f));
		if (at < 0) continue;
		out.totalMs += s.ms;
		const below = s.stack.slice(at + 1);
		const cat = categories.find((c) => below.some((f) => c.match.test(f)));
		if (cat) out.byCategory[cat.name] += s.ms;
		else out.otherMs += s.ms;
	}
	out.busyMs = busy;
	const r = (x) => Math.round(x * 10) / 10;
	out.totalMs = r(out.totalMs);
	out.otherMs = r(out.otherMs);
	out.busyMs = r(out.busyMs);
	for (const k of Object.keys(out.byCategory)) out.byCategory[k] = r(out.byCategory[k]);
	return out;
}

/** Total ms of samples having a frame matching `re` anywhere on the stack. */
function inclusiveMs(profile, re) {
	let t = 0;
	for (const s of samples(profile)) if (s.stack.some((f) => re.test(f))) t += s.ms;
	return Math.round(t * 10) / 10;
}

module.exports = { enableInspector, profileWhile, breakdown, inclusiveMs, samples };
