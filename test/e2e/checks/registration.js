'use strict';
// The package as n8n sees it: loaded without errors, both nodes, the AI tool variant and the
// credential registered, the nodes' output schemas served, and the credential test answering OK /
// a clear failure.

const fs = require('node:fs');
const assert = require('node:assert');
const path = require('node:path');
const { REPO } = require('../../../scripts/lib/n8n');
const { CheckError, expect } = require('../lib/harness');
const { PKG } = require('../lib/workflows');

/** What package.json's n8n section lists, and the type names the built files declare. */
function expectedFromPackage() {
	const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
	const describe = (file, kind) => {
		const abs = path.join(REPO, file);
		const mod = require(abs);
		const className = path.basename(file).split('.')[0];
		const classes = Object.values(mod).filter((v) => typeof v === 'function');
		const instance = classes.length ? new classes[0]() : null;
		const name = kind === 'node' ? instance?.description?.name : instance?.name;
		return { file, className, name, exported: Object.keys(mod), hasClass: typeof mod[className] === 'function' };
	};
	return {
		nodes: (pkg.n8n?.nodes || []).map((f) => describe(f, 'node')),
		credentials: (pkg.n8n?.credentials || []).map((f) => describe(f, 'credential')),
	};
}

/** n8n's log lines about a package that did not load (it goes on starting without it). */
function loadErrors(logFile) {
	let text = '';
	try {
		text = fs.readFileSync(logFile, 'utf8');
	} catch {}
	// n8n 1.x logs the loader's error ("require(...).X is not a constructor"); 2.x logs
	// 'Failed to load package "n8n-nodes-bhuman"'. (The cache folder's name contains the package
	// name, so a loose pattern would match unrelated stack traces.)
	const patterns = [/is not a constructor/, /Class could not be found/, /Unrecognized (node|credential) type/, /Failed to load package/i, /nodes package .* is already loaded/];
	return text.split('\n').filter((l) => patterns.some((p) => p.test(l))).slice(0, 10);
}

/**
 * n8n's route `/schemas/:node/:version{/:resource}{/:operation}.json` (server.js, both lines)
 * serves `__schema__/v<version>/<resource>/<operation>.json` beside the node's file. The editor
 * asks without credentials and pads the version itself (1 → 1.0.0); the server pads it only on
 * 2.x (n8n-core's resolveOutputSchemaPath): on 1.x `/1/` looks for a `v1` folder, which is not there.
 */
async function outputSchemas(ctx) {
	// The built files (gulp copies version 1's schemas to v1.1.0): what the tarball holds.
	const packaged = (file) => JSON.parse(fs.readFileSync(path.join(REPO, 'dist', 'nodes', file), 'utf8'));
	const get = async (route) => {
		const res = await fetch(`${ctx.n8n.url}/schemas/${route}`); // no cookie, as the editor asks
		const text = await res.text();
		let json;
		try {
			json = JSON.parse(text);
		} catch {}
		return { status: res.status, type: res.headers.get('content-type') || '', json, text };
	};
	const served = [
		[`${PKG}.bhuman/1.1.0/video/generate.json`, 'Bhuman/__schema__/v1.1.0/video/generate.json'],
		[`${PKG}.bhuman/1.0.0/video/generate.json`, 'Bhuman/__schema__/v1.0.0/video/generate.json'],
		[`${PKG}.bhumanTrigger/1.1.0.json`, 'BhumanTrigger/__schema__/v1.1.0.json'],
	];
	for (const [route, file] of served) {
		const r = await get(route);
		expect(r.status === 200 && /json/.test(r.type), `/schemas/${route} answered ${r.status} ${r.type}: ${r.text.slice(0, 120)}`);
		assert.deepStrictEqual(r.json, packaged(file), `/schemas/${route} is not the packaged ${file}`);
	}
	const generate = (await get(served[0][0])).json;
	for (const field of ['pageUrl', 'mp4Url', 'status']) expect(generate.properties?.[field], `the served Video → Generate schema has no ${field}`);

	const missing = await get(`${PKG}.bhuman/1.0.0/video/noSuchOperation.json`);
	expect(missing.status === 404, `an operation without a schema answered ${missing.status}, not 404`);
	const unpadded = await get(`${PKG}.bhuman/1/video/generate.json`);
	const expected = ctx.line === 1 ? 404 : 200;
	expect(unpadded.status === expected, `/schemas/${PKG}.bhuman/1/video/generate.json answered ${unpadded.status}; n8n ${ctx.line}.x should answer ${expected}`);
	return `${served.map(([route]) => `/schemas/${route}`).join(' and ')}: 200, the packaged files (no login); unknown operation 404; version "1" unpadded: ${unpadded.status}`;
}

module.exports = async function registration(ctx, check) {
	const { client } = ctx;
	let expected;
	await check('package.json n8n section: each file exports the class n8n loads (named after the file)', async () => {
		expected = expectedFromPackage();
		const bad = [...expected.nodes, ...expected.credentials].filter((e) => !e.hasClass);
		if (bad.length) {
			throw new CheckError(
				bad
					.map((b) => `${b.file} exports ${b.exported.join(', ') || 'nothing'}, but n8n loads the class named after the file: ${b.className}`)
					.join('; '),
				{ details: 'n8n (n8n-core DirectoryLoader.loadClass) takes the class name from the file name; rename the class (or the file and the package.json entry) so they match.' },
			);
		}
		return `${expected.nodes.map((n) => n.name).join(', ')}; ${expected.credentials.map((c) => c.name).join(', ')}`;
	});

	await check('n8n loads the package without errors (its log)', async () => {
		const errs = loadErrors(ctx.n8n.logFile);
		if (errs.length) throw new CheckError(`n8n logged while loading the package: ${errs.join(' | ')}`);
	});

	const nodeTypes = await client.nodeTypes();
	ctx.nodeTypes = nodeTypes;
	const names = new Set(nodeTypes.map((n) => n.name));
	for (const n of expected?.nodes || [{ name: 'bhuman' }]) {
		await check(`node ${PKG}.${n.name} is registered (/types/nodes.json)`, async () => {
			expect(names.has(`${PKG}.${n.name}`), `n8n does not know ${PKG}.${n.name}: a workflow with it shows "Unrecognized node type"`, `BHuman types n8n knows: ${[...names].filter((x) => x.startsWith(PKG)).join(', ') || 'none'}`);
		});
	}
	await check('the nodes\' and the credential\'s icons are served by n8n (light and dark)', async () => {
		const creds = await client.credentialTypes();
		const owners = [
			...nodeTypes.filter((n) => n.name.startsWith(`${PKG}.`)),
			...creds.filter((c) => c.name === 'bhumanApi'),
		];
		expect(owners.length, 'no BHuman node or credential to check');
		const urls = new Set();
		for (const o of owners) {
			const icon = o.iconUrl;
			expect(icon, `${o.name} has no iconUrl (icon: ${JSON.stringify(o.icon)})`);
			for (const u of typeof icon === 'string' ? [icon] : Object.values(icon)) urls.add(u);
		}
		for (const u of urls) {
			const res = await fetch(`${ctx.n8n.url}/${u.replace(/^\/+/, '')}`, { headers: { cookie: client._cookieHeader() } });
			const body = await res.text();
			expect(res.ok && body.includes('<svg'), `${u} answered ${res.status} ${(res.headers.get('content-type') || '')}`);
		}
		return `${urls.size} icons`;
	});
	await check(`AI tool variant ${PKG}.bhumanTool is registered (usableAsTool)`, async () => {
		expect(names.has(`${PKG}.bhumanTool`), `n8n has no ${PKG}.bhumanTool`);
	});
	await check('output schemas are served where the editor asks for them: Video → Generate and the trigger', () => outputSchemas(ctx));
	await check('credential bhumanApi is registered (/types/credentials.json)', async () => {
		const creds = await client.credentialTypes();
		const c = creds.find((x) => x.name === 'bhumanApi');
		expect(c, 'n8n does not know the credential type bhumanApi');
		const props = c.properties.map((p) => p.name);
		for (const p of ['apiKeyId', 'apiKeySecret', 'baseUrl']) expect(props.includes(p), `bhumanApi has no ${p} field`);
	});

	const data = { apiKeyId: ctx.sim.keyId, apiKeySecret: ctx.sim.keySecret, baseUrl: ctx.sim.url };
	await check('credential created through the REST API (pointing at the simulator)', async () => {
		ctx.credential = await client.createCredential({ name: 'BHuman (simulator)', type: 'bhumanApi', data });
		expect(ctx.credential && ctx.credential.id, 'no credential id returned');
	});
	if (!ctx.credential) return;
	const cred = { id: ctx.credential.id, name: ctx.credential.name, type: 'bhumanApi' };
	await check('credential test: the right key answers OK', async () => {
		const r = await client.testCredential({ ...cred, data });
		expect(r && r.status === 'OK', `n8n's credential test answered ${JSON.stringify(r)}`);
		return r.message;
	});
	await check('credential test: a wrong secret fails clearly', async () => {
		const r = await client.testCredential({ ...cred, data: { ...data, apiKeySecret: 'wrong-secret' } });
		expect(r && r.status === 'Error', `n8n's credential test answered ${JSON.stringify(r)} for a wrong secret`);
		expect(/auth|401|credential|key/i.test(r.message || ''), `the failure does not say what is wrong: "${r.message}"`);
		return r.message;
	});
	await check('credential test: a plain-http Base URL to another host is refused, naming https', async () => {
		const r = await client.testCredential({ ...cred, data: { ...data, baseUrl: 'http://bhuman-proxy.example.com' } });
		expect(r && r.status === 'Error', `n8n's credential test answered ${JSON.stringify(r)} for an http Base URL`);
		expect(/must use https/.test(r.message || ''), `the failure does not say https is required: "${r.message}"`);
		expect(!(r.message || '').includes(data.apiKeySecret), 'the failure shows the secret');
		return r.message;
	});
	await check('credential test: a wrong key id fails clearly', async () => {
		const r = await client.testCredential({ ...cred, data: { ...data, apiKeyId: 'not-a-key' } });
		expect(r && r.status === 'Error', `n8n's credential test answered ${JSON.stringify(r)} for a wrong key id`);
		return r.message;
	});
};
