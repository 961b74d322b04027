/**
 * The package as n8n loads it: every file in package.json's "n8n" section must
 * exist in dist/ and export a class named after the file (n8n's loader takes
 * the class name from the file name), with its codex and icons beside it.
 * Needs `npm run build` first (npm test does it).
 */
import { childProcess, fs, path, repoRoot as root } from '../host';

const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

const entries: Array<[string, string]> = [
	...pkg.n8n.credentials.map((file: string) => ['credentials', file]),
	...pkg.n8n.nodes.map((file: string) => ['nodes', file]),
];

test('package.json names the credential and both nodes, with no runtime dependencies', () => {
	expect(pkg.name).toBe('n8n-nodes-bhuman');
	expect(pkg.n8n.credentials).toHaveLength(1);
	expect(pkg.n8n.nodes).toHaveLength(2);
	expect(pkg.dependencies ?? {}).toEqual({});
	expect(pkg.peerDependencies).toEqual({ 'n8n-workflow': '*' });
	expect(pkg.files).toEqual(['dist']);
});

test.each(entries)('%s %s loads the way n8n loads it', async (kind, file) => {
	const full = path.join(root, file);
	expect(fs.existsSync(full)).toBe(true);
	const className = path.basename(file).replace(/\.(node|credentials)\.js$/, '');
	const exported = (await import(full))[className];
	expect(typeof exported).toBe('function');
	const instance = new exported();
	const icon = kind === 'nodes' ? instance.description.icon : instance.icon;
	for (const variant of [icon.light, icon.dark]) {
		expect(fs.existsSync(path.resolve(path.dirname(full), variant.replace(/^file:/, '')))).toBe(true);
	}
	if (kind === 'nodes') {
		const codex = full.replace(/\.js$/, '.json');
		expect(fs.existsSync(codex)).toBe(true);
		expect(JSON.parse(fs.readFileSync(codex, 'utf8')).node).toBe(`n8n-nodes-bhuman.${instance.description.name}`);
	}
});

test('index.js exports the classes', async () => {
	// the module's exports as n8n's loader requires them (import() adds a `default` beside them)
	const index = (await import(path.join(root, 'index.js'))).default;
	expect(Object.keys(index).sort()).toEqual(['Bhuman', 'BhumanApi', 'BhumanTrigger']);
	expect(new index.Bhuman().description.name).toBe('bhuman');
	expect(new index.BhumanTrigger().description.name).toBe('bhumanTrigger');
	expect(new index.BhumanApi().name).toBe('bhumanApi');
});

test('the credential keeps authenticate in the list n8n builds of credential types', async () => {
	// n8n-core's loader, on the built package, as n8n loads a community package; n8n's CLI then
	// lists each type as `{ ...type }` (load-nodes-and-credentials), and offers a credential to the
	// HTTP Request node and as "Custom API Call" only when that copy has `authenticate`.
	const { PackageDirectoryLoader } = await import('n8n-core');
	const loader = new PackageDirectoryLoader(root);
	await loader.loadAll();
	const type = loader.types.credentials.find((credential) => credential.name === 'bhumanApi');
	expect(type).toBeDefined();
	const listed = JSON.parse(JSON.stringify({ ...type }));
	expect(listed.authenticate).toBeDefined();
});

test("the nodes' output schemas are in dist beside the node files, and in npm pack's tarball", () => {
	const schemas = (fs.readdirSync(path.join(root, 'nodes'), { recursive: true }) as string[])
		.filter((file) => file.split(path.sep).includes('__schema__') && file.endsWith('.json'))
		.map((file) => `nodes/${file.split(path.sep).join('/')}`);
	// which ones there are is checked by test/integration/schemas.test.ts
	expect(schemas).toEqual(
		expect.arrayContaining([
			'nodes/Bhuman/__schema__/v1.0.0/video/generate.json',
			'nodes/BhumanTrigger/__schema__/v1.1.0.json',
		]),
	);
	for (const file of schemas) {
		expect(fs.readFileSync(path.join(root, 'dist', file), 'utf8')).toBe(
			fs.readFileSync(path.join(root, file), 'utf8'),
		);
	}
	const out = childProcess.execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: root, encoding: 'utf8' });
	const packed = (
		JSON.parse(out.slice(out.indexOf('['))) as Array<{ files: Array<{ path: string }> }>
	)[0].files.map((file) => file.path);
	expect(packed).toEqual(expect.arrayContaining(schemas.map((file) => `dist/${file}`)));
	// Version 1.1 of the BHuman node reads the same schemas from its own folder.
	expect(packed).toEqual(
		expect.arrayContaining(
			schemas
				.filter((file) => file.startsWith('nodes/Bhuman/__schema__/v1.0.0/'))
				.map((file) => `dist/${file.replace('/v1.0.0/', '/v1.1.0/')}`),
		),
	);
});
