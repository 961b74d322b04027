'use strict';
// Child processes in their own process groups, stopped with SIGTERM then SIGKILL (also when
// the parent fails or is interrupted), free loopback ports and small wait helpers.

const fs = require('node:fs');
const net = require('node:net');
const { spawn } = require('node:child_process');

const children = new Set();

/** Starts a command as the leader of a new process group; output goes to logFile. */
function startProcess(name, cmd, args, { cwd, env, logFile, onLine } = {}) {
	const out = logFile ? fs.openSync(logFile, 'a') : 'ignore';
	const child = spawn(cmd, args, {
		cwd,
		env,
		detached: true, // own process group: kill(-pid) reaches its children (task runners, npx)
		stdio: ['ignore', onLine ? 'pipe' : out, onLine ? 'pipe' : out],
	});
	if (onLine) {
		let buf = '';
		const feed = (d) => {
			if (logFile) fs.appendFileSync(logFile, d);
			buf += d.toString();
			let i;
			while ((i = buf.indexOf('\n')) >= 0) {
				onLine(buf.slice(0, i));
				buf = buf.slice(i + 1);
			}
		};
		child.stdout.on('data', feed);
		child.stderr.on('data', feed);
	}
	if (typeof out === 'number') fs.closeSync(out);
	const proc = {
		name,
		child,
		pid: child.pid,
		logFile,
		exited: false,
		exitCode: null,
		exitPromise: null,
	};
	proc.exitPromise = new Promise((resolve) => {
		child.on('exit', (code, signal) => {
			proc.exited = true;
			proc.exitCode = code ?? signal;
			children.delete(proc);
			resolve(proc.exitCode);
		});
		child.on('error', (err) => {
			proc.exited = true;
			proc.exitCode = err.message;
			children.delete(proc);
			resolve(err.message);
		});
	});
	children.add(proc);
	return proc;
}

function signalGroup(pid, sig) {
	try {
		process.kill(-pid, sig);
		return true;
	} catch {
		try {
			process.kill(pid, sig);
			return true;
		} catch {
			return false;
		}
	}
}

function groupAlive(pid) {
	try {
		process.kill(-pid, 0);
		return true;
	} catch {
		return false;
	}
}

/** SIGTERM to the whole group, SIGKILL after graceMs if anything of it is still alive. */
async function stopProcess(proc, graceMs = 10000) {
	if (!proc || !proc.pid) return;
	signalGroup(proc.pid, 'SIGTERM');
	const deadline = Date.now() + graceMs;
	while (Date.now() < deadline && (groupAlive(proc.pid) || !proc.exited)) {
		await sleep(200);
		if (proc.exited && !groupAlive(proc.pid)) break;
	}
	if (groupAlive(proc.pid)) signalGroup(proc.pid, 'SIGKILL');
	await Promise.race([proc.exitPromise, sleep(2000)]);
	children.delete(proc);
}

async function stopAll() {
	await Promise.all([...children].map((p) => stopProcess(p)));
}

/** Synchronous last resort (process 'exit'): SIGKILL every group still running. */
function killAllSync() {
	for (const p of children) signalGroup(p.pid, 'SIGKILL');
	children.clear();
}

function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

/** A free TCP port on 127.0.0.1 (not in `avoid`). */
async function freePort(avoid = new Set()) {
	for (;;) {
		const port = await new Promise((resolve, reject) => {
			const srv = net.createServer();
			srv.unref();
			srv.on('error', reject);
			srv.listen(0, '127.0.0.1', () => {
				const { port } = srv.address();
				srv.close(() => resolve(port));
			});
		});
		if (!avoid.has(port)) {
			avoid.add(port);
			return port;
		}
	}
}

/** Polls fn until it returns a truthy value; throws a clear error at the deadline. */
async function waitFor(what, fn, { timeoutMs = 60000, intervalMs = 500, proc } = {}) {
	const deadline = Date.now() + timeoutMs;
	let lastErr;
	for (;;) {
		if (proc && proc.exited) {
			throw new Error(`${proc.name} exited (${proc.exitCode}) while waiting for ${what}${proc.logFile ? `; log: ${proc.logFile}\n${tail(proc.logFile)}` : ''}`);
		}
		try {
			const v = await fn();
			if (v) return v;
		} catch (e) {
			lastErr = e;
		}
		if (Date.now() > deadline) {
			throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${lastErr ? ` (last error: ${lastErr.message})` : ''}${proc && proc.logFile ? `; log: ${proc.logFile}\n${tail(proc.logFile)}` : ''}`);
		}
		await sleep(intervalMs);
	}
}

function tail(file, lines = 25) {
	try {
		return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => '    | ' + l).join('\n');
	} catch {
		return '';
	}
}

module.exports = { startProcess, stopProcess, stopAll, killAllSync, freePort, waitFor, sleep, tail };
