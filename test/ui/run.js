#!/usr/bin/env node
'use strict';
// `npm run test:ui`: the package in n8n's editor, in a real browser (playwright-core driving
// Debian's chromium), as a new user meets it. `npm run screenshots` runs the same test and copies
// the README's screenshots into docs/images/.
//
// Env: UI_SCREENSHOTS=1 (copy the documented screenshots to docs/images), UI_HEADED=1 (show the
// browser, with a display), UI_SKIP_BUILD=1 (pack dist as it is), UI_KEEP_WORK=1 (keep the work
// folder: screenshots of every step, n8n's and the simulator's logs).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium, selectors } = require('playwright-core');
const { stopAll, killAllSync } = require('../../scripts/lib/procs');
const { REPO } = require('../../scripts/lib/n8n');
const { ensureChromium, startEnv } = require('./env');
const STEPS = require('./steps');

const DOCS_IMAGES = path.join(REPO, 'docs', 'images');

async function main() {
	const started = Date.now();
	const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bhuman-ui-'));
	const shots = path.join(workDir, 'screenshots');
	fs.mkdirSync(shots);
	process.on('exit', killAllSync);
	for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, async () => { await stopAll(); process.exit(130); });

	const executablePath = ensureChromium();
	console.log(`BHuman UI test: chromium ${executablePath}; work ${workDir}`);
	const env = await startEnv(workDir, { skipBuild: process.env.UI_SKIP_BUILD === '1' });
	console.log(`n8n ${env.n8n.version} at ${env.n8n.url} (up in ${env.n8n.startSeconds} s), simulator ${env.sim.url}`);

	selectors.setTestIdAttribute('data-test-id'); // n8n's editor marks its elements with data-test-id
	const browser = await chromium.launch({ executablePath, headless: process.env.UI_HEADED !== '1', args: ['--no-sandbox'] });
	const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
	page.setDefaultTimeout(45000); // generous: the machine may be shared (a load of 37 on 2 cores was seen)
	const shot = (name) => page.screenshot({ path: path.join(shots, name) }); // extra screenshots inside a step
	const ctx = { env, page, shot, n8n: env.n8n.url, sim: env.sim, owner: env.owner };

	const counts = { pass: 0, fail: 0, skip: 0 };
	let failed = null;
	for (const [i, step] of STEPS.entries()) {
		const label = `${String(i + 1).padStart(2, '0')} ${step.name}`;
		if (failed) {
			counts.skip++;
			console.log(`  skip ${label} (after the failure above: each step builds on the one before)`);
			continue;
		}
		const t = Date.now();
		const file = path.join(shots, `${String(i + 1).padStart(2, '0')}-${step.id}.png`);
		try {
			const asserted = await step.run(ctx);
			await page.screenshot({ path: file });
			if (step.doc) fs.copyFileSync(file, path.join(shots, step.doc));
			counts.pass++;
			console.log(`  ok   ${label} (${((Date.now() - t) / 1000).toFixed(1)} s) — ${asserted}`);
		} catch (err) {
			await page.screenshot({ path: file }).catch(() => {});
			counts.fail++;
			failed = err;
			console.log(`  FAIL ${label} (${((Date.now() - t) / 1000).toFixed(1)} s) — ${err.message.split('\n').slice(0, 6).join('\n       ')}`);
			console.log(`       screenshot: ${file}`);
		}
	}
	await browser.close();
	await env.stop();
	await stopAll();

	if (!failed && process.env.UI_SCREENSHOTS === '1') {
		fs.mkdirSync(DOCS_IMAGES, { recursive: true });
		for (const step of STEPS.filter((s) => s.doc)) fs.copyFileSync(path.join(shots, step.doc), path.join(DOCS_IMAGES, step.doc));
		console.log(`screenshots: ${STEPS.filter((s) => s.doc).map((s) => `docs/images/${s.doc}`).join(', ')}`);
	}
	const keep = failed || process.env.UI_KEEP_WORK === '1';
	console.log(`(${Math.round((Date.now() - started) / 1000)} s${keep ? `; screenshots and logs in ${workDir}` : ''})`);
	console.log(`ui: ${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped`);
	if (!keep) fs.rmSync(workDir, { recursive: true, force: true });
	process.exit(failed ? 1 : 0);
}

main().catch(async (err) => {
	console.error(err);
	await stopAll();
	process.exit(1);
});
