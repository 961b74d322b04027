'use strict';
// What n8n 3.0 changes, on lines 1 and 2 set to behave as 3.0 where they can (group `n8n3`, run
// last: it restarts the line's n8n with other settings):
// - binary data: 3.0 drops the in-memory mode, `filesystem` is its default. n8n restarted with
//   N8N_DEFAULT_BINARY_DATA_MODE=filesystem; the download checks (checks/download.js) run again:
//   each MP4 byte for byte, and stored on disk (its binary id `filesystem…`).
// - line 2: 3.0 turns N8N_UNVERIFIED_PACKAGES_ENABLED off by default. n8n 2.40.7 restarted with it
//   off (and filesystem mode): read in 2.40.7's source, the flag only gates installs
//   (community-packages.service.js checkInstallPermissions: "Installation of unverified community
//   packages is forbidden!"), npm's update check and the editor's install button (settings
//   `unverifiedCommunityNodesEnabled`); the community-packages module loads <user
//   folder>/.n8n/nodes/node_modules whatever it says (community-packages.module.js nodeLoaders).
//   Proved: settings say false, the node types are served, a workflow saved and published before
//   the restart still runs through its webhook, and the log names no trouble with the package.
//   3.0 itself stops loading such packages: 2.40.7 cannot behave as 3.0 there.
// - line 2: the env-managed install (N8N_COMMUNITY_PACKAGES_MANAGED_BY_ENV=true,
//   N8N_COMMUNITY_PACKAGES) of this package without a checksum, unverified packages off: n8n
//   refuses to start (instance-settings-loader/loaders/community-packages.instance-settings-loader.js).
//   N8N_VERIFIED_PACKAGES_ENABLED=false keeps n8n from asking api.n8n.io for its vetted list
//   (this package is not on it; with the list, the answer is the same). Then n8n is started again
//   with the line's own settings.

const fs = require('node:fs');
const path = require('node:path');
const download = require('./download');
const { operationWorkflow, TYPES } = require('../lib/workflows');
const { CheckError, expect, latestExecution } = require('../lib/harness');
const { startN8n, executionError, nodeOutput, sleep, PACKAGE, REPO } = require('../../../scripts/lib/n8n');

const FILESYSTEM = { N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem' };
const UNVERIFIED_OFF = { ...FILESYSTEM, N8N_UNVERIFIED_PACKAGES_ENABLED: 'false' };

/**
 * The lines of n8n's log that name this package, community packages or unverified ones (the
 * n8n install's own path, in the e2e cache folder named after the package, taken out first).
 */
function packageLines(n8n) {
	const cache = path.dirname(n8n.install.dir);
	return fs.readFileSync(n8n.logFile, 'utf8').split('\n').map((l) => l.split(cache).join('<n8n cache>')).filter((l) => /n8n-nodes-bhuman|community|unverified|Unrecognized node type/i.test(l));
}

module.exports = async function n8n3(ctx, check) {
	const { client, sim } = ctx;
	const data = await sim.data();

	const fsMode = await check('n8n 3.0 binary data: n8n restarted with N8N_DEFAULT_BINARY_DATA_MODE=filesystem (3.0 has no in-memory mode)', async () => {
		const seconds = await ctx.restartN8n(FILESYSTEM);
		return `restart ${seconds} s`;
	}, { timeoutMs: 300000 });
	if (fsMode.ok) await download(ctx, check, { binaryMode: 'filesystem' });
	if (ctx.line !== 2) return;

	// A workflow saved and published while the package loads as before; after the restart with
	// unverified packages off, n8n publishes it again at startup and runs it through its webhook.
	const saved = {};
	await check('n8n 3.0 unverified packages: a workflow with the BHuman node (Workspace → Get Many) saved and published; its webhook answers with the workspaces', async () => {
		const wf = operationWorkflow('e2e n8n3 unverified', { resource: 'workspace', operation: 'getAll', returnAll: true }, ctx.credential);
		saved.wf = await client.createWorkflow(wf.workflow);
		saved.path = wf.path;
		await client.activateWorkflow(saved.wf.id, saved.wf.versionId);
		const res = await client.callWebhook(wf.path, { body: {} });
		expect(res.status === 200 && Array.isArray(res.body) && res.body.length === data.workspaces.length, `the webhook answered ${res.status}: ${JSON.stringify(res.body).slice(0, 200)}`);
		return `${res.body.length} workspaces`;
	});

	const off = await check('n8n 3.0 unverified packages: n8n 2.40.7 restarted with N8N_UNVERIFIED_PACKAGES_ENABLED=false; its settings say so (unverifiedCommunityNodesEnabled false)', async () => {
		const seconds = await ctx.restartN8n(UNVERIFIED_OFF);
		const s = await client.request('GET', '/rest/settings'); // the editor's settings, with the login
		expect(s.unverifiedCommunityNodesEnabled === false && s.communityNodesEnabled === true, `settings: unverifiedCommunityNodesEnabled ${s.unverifiedCommunityNodesEnabled}, communityNodesEnabled ${s.communityNodesEnabled}`);
		// 2.40.7's deprecation notice at every start while the variable is unset (deprecation.service.js), gone once it is set
		const notice = /N8N_UNVERIFIED_PACKAGES_ENABLED -> The default for this variable will change to `false`/;
		expect(notice.test(fs.readFileSync(path.join(ctx.dir, 'n8n.log'), 'utf8')), "the line's first start (variable unset) logged no deprecation notice about N8N_UNVERIFIED_PACKAGES_ENABLED");
		expect(!notice.test(fs.readFileSync(ctx.n8n.logFile, 'utf8')), 'the restart with the variable set still logged the deprecation notice');
		return `restart ${seconds} s; the first start's log had "N8N_UNVERIFIED_PACKAGES_ENABLED -> The default for this variable will change to \`false\` in a future version…", this one has not`;
	}, { timeoutMs: 300000 });
	if (off.ok) {
		await check(`n8n 3.0 unverified packages off, package installed as the README installs it (<user folder>/.n8n/nodes): n8n 2.40.7 still loads it: ${TYPES.action}, ${TYPES.trigger} and ${TYPES.tool} in /types/nodes.json, bhumanApi in /types/credentials.json`, async () => {
			const types = new Set((await client.nodeTypes()).map((t) => t.name));
			const missing = Object.values(TYPES).filter((t) => !types.has(t));
			expect(!missing.length, `/types/nodes.json lacks ${missing.join(', ')}`);
			const creds = (await client.credentialTypes()).map((c) => c.name);
			expect(creds.includes('bhumanApi'), '/types/credentials.json lacks bhumanApi');
			return `${types.size} node types served, the package's 3 among them`;
		});

		await check('n8n 3.0 unverified packages off: the workflow saved before runs through its webhook (one more execution, success); n8n\'s log since the restart names no trouble with the package', async () => {
			const before = (await client.listExecutions(saved.wf.id)).length;
			// n8n publishes active workflows again at startup: its webhook answers once that is done (bounded).
			const deadline = Date.now() + 60000;
			let res;
			for (;;) {
				res = await client.callWebhook(saved.path, { body: {} });
				if (res.status !== 404 || Date.now() > deadline) break;
				await sleep(500);
			}
			expect(res.status === 200 && Array.isArray(res.body) && res.body.length === data.workspaces.length, `the webhook answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
			const ex = await latestExecution(client, saved.wf.id, { count: before + 1 });
			if (ex.status !== 'success') throw new CheckError(`execution ${ex.id} ended ${ex.status}`, { execution: executionError(ex) });
			expect((nodeOutput(ex, 'BHuman') || []).length === data.workspaces.length, `BHuman output ${(nodeOutput(ex, 'BHuman') || []).length} items`);
			const lines = packageLines(ctx.n8n);
			const trouble = lines.filter((l) => /error|warn|fail|unrecognized|forbidden/i.test(l));
			expect(!trouble.length, `n8n's log: ${trouble.slice(0, 5).join(' | ')}`);
			return `execution ${ex.id} success; log lines about packages: ${lines.length ? lines.map((l) => l.trim().slice(0, 120)).join(' | ') : 'none'}`;
		});
	}

	await check('n8n 3.0 env-managed install: N8N_COMMUNITY_PACKAGES_MANAGED_BY_ENV=true, N8N_COMMUNITY_PACKAGES=[{"name":"n8n-nodes-bhuman","version":…}] without a checksum, unverified packages off: n8n 2.40.7 refuses to start ("no checksum available … and unverified packages are disabled")', async () => {
		const { version } = require(`${REPO}/package.json`);
		await ctx.n8n.stop();
		const logFile = `${ctx.dir}/n8n-managed-by-env-${Date.now()}.log`;
		let started;
		try {
			started = await startN8n({
				line: 2,
				userFolder: ctx.n8n.userFolder,
				port: ctx.n8n.port,
				logFile,
				env: {
					...UNVERIFIED_OFF,
					N8N_VERIFIED_PACKAGES_ENABLED: 'false',
					N8N_COMMUNITY_PACKAGES_MANAGED_BY_ENV: 'true',
					N8N_COMMUNITY_PACKAGES: JSON.stringify([{ name: PACKAGE, version }]),
				},
			});
		} catch (err) {
			const expected = `N8N_COMMUNITY_PACKAGES: no checksum available for '${PACKAGE}@${version}' and unverified packages are disabled`;
			const log = fs.readFileSync(logFile, 'utf8');
			expect(/exited \(1\)/.test(err.message) && log.includes(expected), `n8n did not refuse with "${expected}": ${err.message.split('\n')[0]}`, log.split('\n').slice(-15).join('\n'));
			return `n8n exited (1): "${expected}"`;
		} finally {
			if (started) await started.stop();
			// the line's n8n again, with its own settings, for whatever runs after this group
			await ctx.restartN8n().catch(() => {});
		}
		throw new CheckError('n8n started');
	}, { timeoutMs: 400000 });
};
