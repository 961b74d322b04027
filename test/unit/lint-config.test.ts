/**
 * n8n's strict mode: `npx n8n-node lint` and `npx n8n-node cloud-support` accept the package only
 * while eslint.config.mjs is n8n-node's template (whitespace aside). Run by n8n-node itself, in a
 * throw-away copy of package.json and the config, with a negative control: the same copy with a
 * changed config must be refused, so a check that accepts anything cannot pass.
 */
import { childProcess, fromRoot, fs, os, path, process } from '../host';

const N8N_NODE = fromRoot('node_modules', '@n8n', 'node-cli', 'bin', 'n8n-node.mjs');
const TEMPLATE = fromRoot(
	'node_modules/@n8n/node-cli/dist/template/templates/shared/default/eslint.config.mjs',
);

/** n8n-node's own comparison (dist/commands/lint.js verifyEslintConfig). */
const normalized = (text: string) => text.replace(/\s+/g, ' ').trim();

/** package.json and `config` in a fresh folder, with this checkout's node_modules. */
function copyWith(config: string): string {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bhuman-lint-'));
	fs.copyFileSync(fromRoot('package.json'), path.join(dir, 'package.json'));
	fs.writeFileSync(path.join(dir, 'eslint.config.mjs'), config);
	fs.symlinkSync(fromRoot('node_modules'), path.join(dir, 'node_modules'), 'dir');
	return dir;
}

function n8nNode(dir: string, command: string): { status: number | null; output: string } {
	const run = childProcess.spawnSync(process.execPath, [N8N_NODE, command], {
		cwd: dir,
		encoding: 'utf8',
		env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
	});
	return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const config = fs.readFileSync(fromRoot('eslint.config.mjs'), 'utf8');
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

test("eslint.config.mjs is n8n-node's template, and package.json asks for strict mode", () => {
	expect(normalized(config)).toBe(normalized(fs.readFileSync(TEMPLATE, 'utf8')));
	expect(JSON.parse(fs.readFileSync(fromRoot('package.json'), 'utf8')).n8n.strict).toBe(true);
});

test('n8n-node lint and cloud-support accept this config', () => {
	const dir = copyWith(config);
	dirs.push(dir);
	const lint = n8nNode(dir, 'lint');
	expect(lint.output).not.toContain('Strict mode violation');
	expect(lint.status).toBe(0);
	expect(n8nNode(dir, 'cloud-support').output).toMatch(/Status: eligible for n8n Cloud verification/);
}, 60_000);

test.each([
	['one rule switched off', `${config}\nconfig.push({ rules: { 'no-console': 'off' } });\n`],
	['test/ ignored', config.replace('export default config;', "export default [{ ignores: ['test/**'] }, ...config];")],
])('negative control: a config with %s is refused by n8n-node lint and cloud-support', (_label, changed) => {
	expect(changed).not.toBe(config);
	const dir = copyWith(changed);
	dirs.push(dir);
	const lint = n8nNode(dir, 'lint');
	expect(lint.output).toContain('Strict mode violation');
	expect(lint.status).toBe(1);
	expect(n8nNode(dir, 'cloud-support').output).toMatch(/Status: NOT eligible for n8n Cloud verification/);
}, 60_000);
