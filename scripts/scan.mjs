#!/usr/bin/env node
// `npm run scan`: n8n's verification scanner (@n8n/scan-community-package) run on this checkout
// and on `npm pack`'s output, with the scanner's own analysis and the same two legs its CLI runs
// for a published package (scanner.mjs, analyzePackageByName): the source with
// SOURCE_FILE_PATTERNS, and the tarball's compiled `**/*.js` + package.json.
// What cannot run here: the CLI's provenance check and its downloads (the npm registry's
// attestations, the tarball from the registry, the attested commit from GitHub) need a
// published version; see "Publishing" in the README.
// A negative control proves the scan is live: the same tarball with a `console.log` added to
// one node file must fail.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzePackage, SOURCE_FILE_PATTERNS } from '@n8n/scan-community-package/scanner/scanner.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST_PATTERNS = ['**/*.js', 'package.json']; // the CLI's tarball leg
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bhuman-scan-'));

function packAndExtract() {
	if (!fs.existsSync(path.join(REPO, 'dist'))) throw new Error('no dist/: run `npm run build` first');
	const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: REPO, encoding: 'utf8' });
	const tarball = path.join(work, JSON.parse(out.slice(out.indexOf('[')))[0].filename);
	const dir = path.join(work, 'package');
	fs.mkdirSync(dir);
	execFileSync('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1']);
	return { tarball, dir };
}

function report(label, result) {
	console.log(`${result.passed ? 'PASS' : 'FAIL'} ${label}${result.message ? `: ${result.message}` : ''}`);
	if (result.details) console.log(result.details);
	return result.passed;
}

let ok = true;
try {
	ok = report(`source (${SOURCE_FILE_PATTERNS.join(', ')})`, await analyzePackage(REPO, SOURCE_FILE_PATTERNS)) && ok;
	const { tarball, dir } = packAndExtract();
	const files = fs.readdirSync(dir, { recursive: true }).filter((f) => f.endsWith('.js') || f === 'package.json');
	if (!files.some((f) => f.endsWith('.node.js'))) throw new Error(`the tarball has no node files: ${files.join(', ')}`);
	ok = report(`${path.basename(tarball)} (${DIST_PATTERNS.join(', ')}; ${files.length} files)`, await analyzePackage(dir, DIST_PATTERNS)) && ok;

	// negative control: a console call in shipped code must be caught
	const victim = path.join(dir, files.find((f) => f.endsWith('.node.js')));
	fs.appendFileSync(victim, '\nconsole.log("scan control");\n');
	const control = await analyzePackage(dir, DIST_PATTERNS);
	if (control.passed) {
		console.log('FAIL negative control: the scanner passed a tarball with console.log added');
		ok = false;
	} else {
		console.log(`PASS negative control: console.log added to ${path.relative(dir, victim)} is reported (${control.message})`);
	}
} catch (err) {
	console.error(err);
	ok = false;
} finally {
	fs.rmSync(work, { recursive: true, force: true });
}
console.log(ok ? 'scan: passed' : 'scan: FAILED');
process.exit(ok ? 0 : 1);
