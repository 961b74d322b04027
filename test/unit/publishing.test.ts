/**
 * What n8n's verification and a user's manual install need from this repository, checked here
 * because they cannot run here: the GitHub workflows (CI and the provenance publish), the package
 * metadata that provenance ties to the repository, and the README's manual install.
 */
import { fs, path, repoRoot as REPO } from '../host';
import { parseDocument } from 'yaml';

const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));

type Step = { uses?: string; run?: string; env?: Record<string, string>; with?: Record<string, unknown> };
type Job = { 'runs-on'?: string; permissions?: Record<string, string>; steps?: Step[]; strategy?: { matrix?: Record<string, unknown[]> }; env?: Record<string, string> };
type Workflow = { name?: string; on?: Record<string, unknown>; permissions?: Record<string, string>; jobs?: Record<string, Job> };

function loadWorkflow(file: string): Workflow {
	const doc = parseDocument(fs.readFileSync(path.join(REPO, '.github', 'workflows', file), 'utf8'), { prettyErrors: true, uniqueKeys: true });
	expect(doc.errors.map((e) => e.message)).toEqual([]);
	expect(doc.warnings.map((e) => e.message)).toEqual([]);
	return doc.toJS() as Workflow;
}

const runs = (job: Job) => (job.steps ?? []).map((s) => s.run ?? '').join('\n');
const uses = (job: Job) => (job.steps ?? []).map((s) => s.uses ?? '').filter(Boolean);

describe('.github/workflows/publish.yml (npm provenance, as n8n requires)', () => {
	const wf = loadWorkflow('publish.yml');
	const jobs = Object.values(wf.jobs ?? {});

	it('runs on a version tag push only', () => {
		expect(Object.keys(wf.on ?? {})).toEqual(['push']);
		const push = wf.on?.push as { tags?: string[]; branches?: string[] };
		expect(push.branches).toBeUndefined();
		expect(push.tags?.length).toBeGreaterThan(0);
		for (const t of push.tags ?? []) expect(t).toMatch(/\*\.\*\.\*$/);
	});

	it('publishes from one GitHub-hosted job with id-token: write (provenance) and read-only contents', () => {
		expect(jobs).toHaveLength(1);
		const [job] = jobs;
		expect(job['runs-on']).toBe('ubuntu-latest'); // npm provenance needs a GitHub-hosted runner
		const permissions = { ...(wf.permissions ?? {}), ...(job.permissions ?? {}) };
		expect(permissions['id-token']).toBe('write');
		expect(permissions.contents).toBe('read');
	});

	it('checks out, installs with npm ci, runs npm test, then npm publish --provenance --access public', () => {
		const [job] = jobs;
		expect(uses(job)).toEqual(expect.arrayContaining([expect.stringMatching(/^actions\/checkout@v\d+$/), expect.stringMatching(/^actions\/setup-node@v\d+$/)]));
		const commands = runs(job);
		const order = ['npm ci', 'npm test', 'npm publish --provenance --access public'].map((c) => commands.indexOf(c));
		expect(order.every((i) => i >= 0)).toBe(true);
		expect([...order].sort((a, b) => a - b)).toEqual(order);
		expect(commands).not.toMatch(/--ignore-scripts publish|npm publish(?! --provenance)/);
	});

	it('never prints or hard-codes a token', () => {
		const text = fs.readFileSync(path.join(REPO, '.github', 'workflows', 'publish.yml'), 'utf8');
		expect(text).not.toMatch(/npm_[A-Za-z0-9]{20,}/);
		expect(runs(jobs[0])).not.toMatch(/echo[^\n]*NPM_TOKEN/);
	});
});

describe('.github/workflows/ci.yml', () => {
	const wf = loadWorkflow('ci.yml');
	const jobs = wf.jobs ?? {};

	it('runs on pushes and pull requests', () => {
		expect(Object.keys(wf.on ?? {})).toEqual(expect.arrayContaining(['push', 'pull_request']));
	});

	it('installs with npm ci and runs npm test', () => {
		const all = Object.values(jobs);
		expect(all.every((j) => runs(j).includes('npm ci'))).toBe(true);
		expect(all.some((j) => /(^|\n)npm test(\n|$)/.test(runs(j)))).toBe(true);
	});

	it('runs the end-to-end suite on both n8n lines, and the UI test', () => {
		const e2e = Object.values(jobs).find((j) => runs(j).includes('npm run test:e2e'));
		expect(e2e).toBeDefined();
		expect(e2e!.strategy?.matrix?.line).toEqual([1, 2]);
		const step = e2e!.steps!.find((s) => s.run === 'npm run test:e2e');
		expect(step?.env?.E2E_LINES).toBe('${{ matrix.line }}');
		expect(Object.values(jobs).some((j) => runs(j).includes('npm run test:ui'))).toBe(true);
	});
});

describe('package metadata for provenance and the manual install', () => {
	it('names its public GitHub repository (provenance is checked against it; n8n fetches the attested source from GitHub)', () => {
		expect(pkg.repository?.url).toMatch(/^git\+https:\/\/github\.com\/[\w.-]+\/[\w.-]+\.git$/);
	});

	it('declares n8n-workflow an optional peer, so a manual npm install does not install it', () => {
		expect(pkg.peerDependencies).toEqual({ 'n8n-workflow': '*' });
		expect(pkg.peerDependenciesMeta?.['n8n-workflow']?.optional).toBe(true);
		expect(pkg.dependencies ?? {}).toEqual({});
	});

	it('the README shows the manual install the e2e suite runs (scripts/lib/n8n.js readmeInstallScript)', async () => {
		const { readmeInstallScript } = await import('../../scripts/lib/n8n');
		expect(readmeInstallScript()).toEqual(['mkdir -p ~/.n8n/nodes && cd ~/.n8n/nodes', 'npm install n8n-nodes-bhuman']);
	});

	it('npm test runs n8n\'s scanner (npm run scan)', () => {
		expect(pkg.scripts.test).toContain('npm run scan');
		expect(pkg.scripts.scan).toBe('node scripts/scan.mjs');
	});
});
