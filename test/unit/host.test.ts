/**
 * The line test/host.js draws: what only a test may do (Node's built-ins, timers, the process)
 * is in that one JavaScript file, type-checked; the TypeScript of the tests obeys n8n's rules
 * for node code (`npm run lint`); and node code never reaches the host.
 */
import { fromRoot, fs, path } from '../host';

const sources = (dir: string) =>
	(fs.readdirSync(fromRoot(dir), { recursive: true }) as string[])
		.filter((file) => file.endsWith('.ts'))
		.map((file) => path.join(dir, file));

test('test/host.js is type-checked by npm run typecheck', () => {
	expect(fs.readFileSync(fromRoot('test', 'host.js'), 'utf8').startsWith('// @ts-check\n')).toBe(true);
	const tsconfig = JSON.parse(fs.readFileSync(fromRoot('test', 'tsconfig.json'), 'utf8'));
	expect(tsconfig.compilerOptions.allowJs).toBe(true);
	expect(tsconfig.include).toContain('./**/*');
});

test('no file of nodes/ or credentials/ imports anything from test/', () => {
	const files = [...sources('nodes'), ...sources('credentials')];
	expect(files.length).toBeGreaterThan(20);
	const offenders = files.filter((file) =>
		/from '[^']*test\/|require\('[^']*test\/|import\('[^']*test\//.test(
			fs.readFileSync(fromRoot(file), 'utf8'),
		),
	);
	expect(offenders).toEqual([]);
});

test("the host's Node built-ins stay out of the TypeScript of the tests (but node:crypto)", () => {
	const offenders = sources('test')
		.filter((file) => !file.startsWith(path.join('test', 'e2e')))
		.flatMap((file) =>
			[...fs.readFileSync(fromRoot(file), 'utf8').matchAll(/(?:from |import\(|require\()'(node:[^']+)'/g)]
				.map((match) => match[1])
				.filter((specifier) => specifier !== 'node:crypto')
				.map((specifier) => `${file}: ${specifier}`),
		);
	expect(offenders).toEqual([]);
});
