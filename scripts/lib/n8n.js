'use strict';
// One module for the e2e suite and `npm start`: build + pack this package, install it into an
// n8n user folder the way a self-hosted user does, start the BHuman simulator and n8n on free
// loopback ports, and talk to n8n's REST API (owner, login, credentials, workflows, executions).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createRequire } = require('node:module');
const { ensureN8n, run, log } = require('./install');
const { startProcess, stopProcess, freePort, waitFor, sleep } = require('./procs');

const REPO = path.resolve(__dirname, '..', '..');
const PACKAGE = require(path.join(REPO, 'package.json')).name;

// ---------------------------------------------------------------- package

/** `npm run build` then `npm pack` into outDir; returns the tarball's path. */
async function buildAndPack(outDir, { skipBuild = false } = {}) {
	fs.mkdirSync(outDir, { recursive: true });
	if (!skipBuild) await run('npm', ['run', 'build'], { cwd: REPO });
	const out = await run('npm', ['pack', '--json', '--pack-destination', outDir], { cwd: REPO });
	const info = JSON.parse(out.slice(out.indexOf('[')));
	const tarball = path.join(outDir, info[0].filename);
	if (!fs.existsSync(tarball)) throw new Error(`npm pack did not write ${tarball}`);
	return { tarball, files: info[0].files.map((f) => f.path), version: info[0].version };
}

/**
 * Installs the tarball by running the README's manual install (the bash block under "Self-hosted,
 * by hand") word for word, with <userFolder> for `~` and the tarball for the package name, so the
 * README's command is the one tested. n8n-workflow is an optional peer (peerDependenciesMeta): npm
 * leaves it out (n8n provides it; installing it would pull isolated-vm, which fails on Node 20).
 */
function readmeInstallScript() {
	const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
	const m = /Self-hosted, by hand:[^\n]*\n\s*```bash\n([\s\S]*?)\n\s*```/.exec(readme);
	if (!m) throw new Error('README.md: no ```bash block under "Self-hosted, by hand:"');
	return m[1].split('\n').map((l) => l.trim()).filter(Boolean);
}

async function installPackage(userFolder, tarball, env) {
	const q = (s) => `'${s.replace(/'/g, "'\\''")}'`;
	const script = readmeInstallScript()
		.map((l) => l.replace(/~(?=\/)/g, q(userFolder)).replace(new RegExp(`(?<=npm install )${PACKAGE}$`), q(tarball)))
		.join('\n');
	if (!script.includes(tarball)) throw new Error(`README.md's install block has no \`npm install ${PACKAGE}\` line`);
	await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: userFolder, env });
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	const installed = path.join(nodesDir, 'node_modules', PACKAGE, 'package.json');
	if (!fs.existsSync(installed)) throw new Error(`${PACKAGE} is not in ${nodesDir}/node_modules after the README's install`);
	if (fs.existsSync(path.join(nodesDir, 'node_modules', 'n8n-workflow'))) {
		throw new Error(`the README's install put the peer n8n-workflow into ${nodesDir}: it must stay optional`);
	}
	return nodesDir;
}

// ---------------------------------------------------------------- simulator

async function startSimulator({ renderMs = 300, logFile, workDir, extraArgs = [] } = {}) {
	const ready = path.join(workDir || os.tmpdir(), `sim-ready-${process.pid}-${Date.now()}.json`);
	fs.rmSync(ready, { force: true });
	const proc = startProcess(
		'simulator',
		process.execPath,
		[path.join(REPO, 'simulator', 'cli.js'), '--port', '0', '--render-ms', String(renderMs), ...extraArgs],
		{ cwd: REPO, env: { ...process.env, SIM_READY_FILE: ready }, logFile },
	);
	const info = await waitFor('the simulator to listen', () => fs.existsSync(ready) && JSON.parse(fs.readFileSync(ready, 'utf8')), {
		timeoutMs: 20000,
		intervalMs: 100,
		proc,
	});
	const sim = { ...info, proc, stop: () => stopProcess(proc, 5000) };
	sim.control = async (method, p, body) => {
		const res = await fetch(sim.url + p, {
			method,
			headers: body ? { 'content-type': 'application/json' } : {},
			body: body ? JSON.stringify(body) : undefined,
		});
		const text = await res.text();
		if (!res.ok) throw new Error(`simulator ${method} ${p} -> ${res.status}: ${text.slice(0, 300)}`);
		return text ? JSON.parse(text) : null;
	};
	sim.data = () => sim.control('GET', '/__sim/data');
	/** The simulator's own API with its key (to compare with what n8n returned). */
	sim.api = async (p) => {
		const res = await fetch(sim.url + p, {
			headers: { authorization: 'Basic ' + Buffer.from(`${sim.keyId}:${sim.keySecret}`).toString('base64') },
		});
		if (!res.ok) throw new Error(`simulator GET ${p} -> ${res.status}`);
		return res.json();
	};
	return sim;
}

// ---------------------------------------------------------------- n8n

/** The environment n8n runs with; `line` picks the line-specific settings. */
function n8nEnv({ install, userFolder, port, brokerPort, extra = {} }) {
	const env = { ...install.env };
	for (const k of Object.keys(env)) {
		// an n8n or DB setting from the caller's shell must not leak into a test instance
		if (/^(N8N_|DB_|EXECUTIONS_|WEBHOOK_URL|QUEUE_|GENERIC_TIMEZONE)/.test(k)) delete env[k];
		if (k.startsWith('npm_')) delete env[k];
	}
	if (install.env.npm_config_nodedir) env.npm_config_nodedir = install.env.npm_config_nodedir;
	Object.assign(env, {
		N8N_USER_FOLDER: userFolder,
		N8N_PORT: String(port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		WEBHOOK_URL: `http://127.0.0.1:${port}/`,
		N8N_EDITOR_BASE_URL: `http://127.0.0.1:${port}/`,
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
		N8N_RUNNERS_MODE: 'internal',
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_LOG_LEVEL: 'info',
		N8N_LOG_OUTPUT: 'console',
		N8N_NO_COLOR: 'true',
		NO_COLOR: '1',
		EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
		EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
		GENERIC_TIMEZONE: 'UTC',
		TZ: 'UTC',
	});
	if (install.line === 1) {
		env.N8N_RUNNERS_ENABLED = 'true'; // 2.x always runs task runners (and warns about the variable)
	} else {
		env.N8N_WEBHOOK_URL = env.WEBHOOK_URL; // 2.x's name for it (WEBHOOK_URL is deprecated there)
		delete env.WEBHOOK_URL;
	}
	// 2.x publishes workflows through an outbox polled every 15 s by default: poll it often.
	if (install.line === 2) env.N8N_WORKFLOW_PUBLICATION_OUTBOX_POLL_INTERVAL_MS = '300';
	// 1.x: SQLite's legacy single connection (pool size 0) fails concurrent transactions
	// ("Transaction is not started yet"); n8n recommends a pool, 2.x has one by default.
	if (install.line === 1) env.DB_SQLITE_POOL_SIZE = '3';
	// 1.x on Node 20: the default `vm` expression engine needs isolated-vm, which does not build there.
	if (install.line === 1) env.N8N_EXPRESSION_ENGINE = 'legacy';
	return Object.assign(env, extra);
}

/**
 * Installs (or reuses) the line, makes a fresh user folder with the package installed and
 * starts n8n; resolves once /healthz answers. Returns { url, port, userFolder, proc, ... }.
 */
async function startN8n({ line, tarball, userFolder, logFile, env: extra, port, quiet = true, ports = new Set() }) {
	const install = await ensureN8n(line, { quiet });
	fs.mkdirSync(userFolder, { recursive: true });
	if (tarball) await installPackage(userFolder, tarball, install.env);
	port = port || (await freePort(ports));
	const brokerPort = await freePort(ports);
	const env = n8nEnv({ install, userFolder, port, brokerPort, extra });
	const started = Date.now();
	// `npx n8n start` from the cache folder, without npx's extra process: the line's node runs n8n's bin.
	const proc = startProcess(`n8n ${install.version}`, install.nodeBin, [install.n8nBin, 'start'], {
		cwd: install.dir,
		env,
		logFile,
	});
	const url = `http://127.0.0.1:${port}`;
	await waitFor(
		`n8n ${install.version} /healthz`,
		async () => {
			const r = await fetch(`${url}/healthz`);
			return r.ok && (await r.json()).status === 'ok';
		},
		{ timeoutMs: 240000, intervalMs: 1000, proc },
	);
	// /healthz answers before the migrations end (then every other route says "n8n is starting
	// up"): wait for readiness and for the REST API to answer with JSON.
	await waitFor(
		`n8n ${install.version} /healthz/readiness and /rest/settings`,
		async () => {
			if (!(await fetch(`${url}/healthz/readiness`)).ok) return false;
			const r = await fetch(`${url}/rest/settings`);
			if (!r.ok || !(r.headers.get('content-type') || '').includes('json')) return false;
			const body = await r.json();
			return Boolean(body && body.data);
		},
		{ timeoutMs: 180000, intervalMs: 500, proc },
	);
	return {
		line,
		version: install.version,
		install,
		url,
		port,
		userFolder,
		logFile,
		proc,
		startSeconds: Math.round((Date.now() - started) / 1000),
		stop: () => stopProcess(proc, 15000),
	};
}

// ---------------------------------------------------------------- REST client

class RestError extends Error {
	constructor(method, p, status, body) {
		const msg = body && typeof body === 'object' ? body.message || JSON.stringify(body) : String(body).slice(0, 500);
		super(`${method} ${p} -> ${status}: ${msg}`);
		this.status = status;
		this.body = body;
	}
}

class N8nClient {
	constructor(baseUrl, install) {
		this.url = baseUrl.replace(/\/+$/, '');
		this.cookies = new Map();
		this.browserId = 'bhuman-e2e-' + Math.random().toString(36).slice(2);
		this.install = install;
		this._flatted = null;
	}

	_cookieHeader() {
		return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
	}

	_keepCookies(res) {
		const list = typeof res.headers.getSetCookie === 'function' ? res.headers.getSetCookie() : [];
		for (const c of list) {
			const [pair] = c.split(';');
			const i = pair.indexOf('=');
			if (i > 0) this.cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
		}
	}

	/** A REST call; returns the body's `data` (n8n wraps REST answers in {data}). */
	async request(method, p, body, opts = {}) {
		for (let attempt = 1; ; attempt++) {
			try {
				return await this._request(method, p, body, opts);
			} catch (e) {
				// SQLite contention inside n8n, or n8n refusing every request while its database
				// health ping is late under load (503 "Database is not ready!", answered before any
				// route runs): the request did nothing; try again.
				const transient =
					e.status >= 500 && /Transaction is not started|SQLITE_BUSY|database is locked|Database is not ready/.test(e.message);
				if (!transient || attempt >= 8) throw e;
				await sleep(500 * attempt);
			}
		}
	}

	async _request(method, p, body, { raw = false, headers = {}, timeoutMs = 60000 } = {}) {
		const res = await fetch(this.url + p, {
			method,
			headers: {
				accept: 'application/json',
				'browser-id': this.browserId,
				...(body !== undefined ? { 'content-type': 'application/json' } : {}),
				...(this.cookies.size ? { cookie: this._cookieHeader() } : {}),
				...headers,
			},
			body: body !== undefined ? JSON.stringify(body) : undefined,
			signal: AbortSignal.timeout(timeoutMs),
		});
		this._keepCookies(res);
		const text = await res.text();
		let parsed = text;
		try {
			parsed = text ? JSON.parse(text) : null;
		} catch {}
		if (!res.ok) throw new RestError(method, p, res.status, parsed);
		if (raw) return parsed;
		return parsed && typeof parsed === 'object' && 'data' in parsed ? parsed.data : parsed;
	}

	async setupOwner({ email, password, firstName = 'Demo', lastName = 'Owner' }) {
		return this.request('POST', '/rest/owner/setup', { email, password, firstName, lastName });
	}

	async login({ email, password }) {
		return this.request('POST', '/rest/login', { emailOrLdapLoginId: email, password });
	}

	async createCredential({ name, type, data }) {
		return this.request('POST', '/rest/credentials', { name, type, data });
	}

	/** n8n's credential test (the "Retry"/"Test" button). data: unredacted values to test. */
	async testCredential({ id, name, type, data }) {
		return this.request('POST', '/rest/credentials/test', { credentials: { id, name, type, data } });
	}

	async nodeTypes() {
		return this.request('GET', '/types/nodes.json', undefined, { raw: true });
	}

	async credentialTypes() {
		return this.request('GET', '/types/credentials.json', undefined, { raw: true });
	}

	/** Creates a workflow from importable JSON (nodes, connections, settings, name). */
	async createWorkflow(wf) {
		const { name, nodes, connections, settings, pinData, staticData, meta } = wf;
		return this.request('POST', '/rest/workflows', {
			name,
			nodes,
			connections,
			settings: settings || { executionOrder: 'v1' },
			pinData: pinData || {},
			staticData: staticData || null,
			meta: meta || undefined,
			active: false,
		});
	}

	async getWorkflow(id) {
		return this.request('GET', `/rest/workflows/${id}`);
	}

	/**
	 * Activates (1.x) / publishes (2.x) a workflow: both lines have
	 * POST /rest/workflows/:id/activate {versionId}.
	 */
	async activateWorkflow(id, versionId, { timeoutMs = 60000 } = {}) {
		if (!versionId) versionId = (await this.getWorkflow(id)).versionId;
		const wf = await this.request('POST', `/rest/workflows/${id}/activate`, { versionId });
		// 2.x publishes through an outbox, asynchronously: its triggers and webhooks are live once
		// GET /rest/workflows/:id/publication-status says so. 1.x activates synchronously (no such route).
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			let st;
			try {
				st = await this.request('GET', `/rest/workflows/${id}/publication-status`);
			} catch (e) {
				if (e.status === 404) return wf;
				throw e;
			}
			if (st.status === 'published' && (!st.liveVersionId || st.liveVersionId === versionId)) return wf;
			if (st.status === 'failed' || st.status === 'partial') {
				const why = (st.triggers || []).filter((t) => t.status === 'failed').map((t) => t.errorMessage).join('; ');
				throw new Error(`publishing workflow ${id} ${st.status}: ${why || JSON.stringify(st)}`);
			}
			if (Date.now() > deadline) throw new Error(`workflow ${id} not published after ${timeoutMs / 1000} s: ${JSON.stringify(st)}`);
			await sleep(250);
		}
	}

	/** Saves changes to a workflow (the editor's Save): PATCH with the version it read. */
	async updateWorkflow(id, changes) {
		const current = await this.getWorkflow(id);
		return this.request('PATCH', `/rest/workflows/${id}`, { ...changes, versionId: current.versionId });
	}

	/** Executions → Retry of a failed execution ("with currently saved workflow": loadWorkflow). */
	async retryExecution(id, { loadWorkflow = false } = {}) {
		return this.request('POST', `/rest/executions/${id}/retry`, { loadWorkflow }, { timeoutMs: 180000 });
	}

	async deactivateWorkflow(id) {
		return this.request('POST', `/rest/workflows/${id}/deactivate`, {});
	}

	async listExecutions(workflowId, { limit = 100 } = {}) {
		const filter = encodeURIComponent(JSON.stringify(workflowId ? { workflowId } : {}));
		const out = await this.request('GET', `/rest/executions?filter=${filter}&limit=${limit}`);
		return out.results || out;
	}

	/** One execution with its run data parsed (n8n stores it flatted). */
	async getExecution(id) {
		const ex = await this.request('GET', `/rest/executions/${id}`);
		if (ex && typeof ex.data === 'string') ex.data = this.unflatten(ex.data);
		return ex;
	}

	unflatten(s) {
		if (!this._flatted) {
			const req = createRequire(path.join(this.install.dir, 'node_modules', 'n8n', 'package.json'));
			this._flatted = req('flatted');
		}
		return this._flatted.parse(s);
	}

	/**
	 * Runs a saved workflow as the editor's "Execute workflow" and "Execute step" do:
	 * POST /rest/workflows/:id/run, with the editor's push connection in the push-ref header (the
	 * run's events, a wait and a resume included, go there). 1.x runs the workflow in the body
	 * (workflowData, with its id: n8n-editor-ui's useRunWorkflow); 2.x reads it from the database
	 * and validates the rest (@n8n/api-types ManualRunDto). Execute workflow: triggerToStartFrom;
	 * Execute step: destinationNode {nodeName, mode: 'inclusive'} with the editor's run data.
	 * Returns { executionId } or { waitingForWebhook: true }.
	 */
	async runManually(workflow, { triggerToStartFrom, destinationNode, runData, dirtyNodeNames, pushRef } = {}) {
		const body = this.install.line === 1 ? { workflowData: workflow } : { workflowId: workflow.id };
		Object.assign(body, { runData, triggerToStartFrom, destinationNode, dirtyNodeNames });
		return this.request('POST', `/rest/workflows/${workflow.id}/run`, body, { headers: pushRef ? { 'push-ref': pushRef } : {} });
	}

	/**
	 * The editor's push connection (a WebSocket to /rest/push?pushRef=…, with the login cookie and
	 * the editor's Origin), with n8n's own `ws`. Returns { pushRef, messages (JSON messages, in
	 * order), close() }; binary frames (2.x's node data) are left out.
	 */
	async openPush(pushRef = `bhuman-e2e-${Math.random().toString(36).slice(2)}`) {
		const WebSocket = createRequire(path.join(this.install.dir, 'node_modules', 'n8n', 'package.json'))('ws');
		const ws = new WebSocket(`${this.url.replace(/^http/, 'ws')}/rest/push?pushRef=${encodeURIComponent(pushRef)}`, {
			headers: { cookie: this._cookieHeader(), origin: this.url },
		});
		const messages = [];
		ws.on('message', (data, isBinary) => {
			if (isBinary) return;
			try {
				messages.push(JSON.parse(data.toString('utf8')));
			} catch {}
		});
		await new Promise((resolve, reject) => {
			ws.once('open', resolve);
			ws.once('error', reject);
			ws.once('unexpected-response', (_req, res) => reject(new Error(`push connection refused: ${res.statusCode}`)));
		});
		return { pushRef, messages, close: () => ws.close() };
	}

	/** Calls a production webhook; returns { status, headers, body (parsed JSON or Buffer) }. */
	async callWebhook(pathOrUrl, { method = 'POST', body, headers = {}, timeoutMs = 120000 } = {}) {
		const url = /^https?:/.test(pathOrUrl) ? pathOrUrl : `${this.url}/webhook/${pathOrUrl.replace(/^\/+/, '')}`;
		const res = await fetch(url, {
			method,
			headers: { 'content-type': 'application/json', ...headers },
			body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
			signal: AbortSignal.timeout(timeoutMs),
		});
		const buf = Buffer.from(await res.arrayBuffer());
		const type = res.headers.get('content-type') || '';
		let parsed = buf;
		if (type.includes('json')) {
			try {
				parsed = JSON.parse(buf.toString('utf8'));
			} catch {}
		}
		return { status: res.status, headers: res.headers, body: parsed };
	}
}

/** The error of an execution, as readable text (node name, message, description). */
function executionError(ex) {
	const rd = ex && ex.data && ex.data.resultData;
	if (!rd) return ex ? `execution ${ex.id}: status ${ex.status}` : 'no execution';
	const errs = [];
	if (rd.error) errs.push(`${rd.error.node ? `[${rd.error.node.name || rd.error.node}] ` : ''}${rd.error.message}${rd.error.description ? ` — ${rd.error.description}` : ''}`);
	for (const [node, runs] of Object.entries(rd.runData || {})) {
		for (const r of runs) {
			if (r.error && !errs.some((e) => e.includes(r.error.message))) errs.push(`[${node}] ${r.error.message}${r.error.description ? ` — ${r.error.description}` : ''}`);
		}
	}
	return errs.join('; ') || `execution ${ex.id}: status ${ex.status}`;
}

/** Output items (json) of a node in an execution (first run, first output by default). */
function nodeOutput(ex, nodeName, { run = 0, output = 0 } = {}) {
	const runs = ex.data?.resultData?.runData?.[nodeName];
	if (!runs || !runs[run]) return null;
	return runs[run].data?.main?.[output] || [];
}

module.exports = {
	REPO,
	PACKAGE,
	buildAndPack,
	installPackage,
	readmeInstallScript,
	startSimulator,
	startN8n,
	n8nEnv,
	N8nClient,
	RestError,
	executionError,
	nodeOutput,
	freePort,
	sleep,
	log,
};
