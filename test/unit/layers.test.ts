/**
 * The direction of imports in nodes/ and credentials/ (the map in docs/development.md):
 * node → actions → helpers → shared → transport, methods → helpers/shared/transport, the
 * trigger → shared and the transport (never the action node's helpers). Nothing imports upward. Bare imports (n8n-workflow, crypto) are
 * left to the lint rules and the package test.
 */
import { fs, path, repoRoot as ROOT } from '../host';
import ts from 'typescript';

/** Layer of a source file (path relative to the repo, without extension). */
function layerOf(file: string): string {
	const parts = file.split('/');
	const [top, folder, sub] = parts;
	if (top === 'credentials') return 'credentials';
	if (folder === 'BhumanTrigger') return 'trigger';
	if (folder === 'shared') return 'shared';
	if (sub === 'actions') {
		if (parts.length > 4) return 'actions/resource'; // actions/<resource>/<file>
		return parts[3] === 'common.descriptions' ? 'actions/common' : 'actions';
	}
	return ['helpers', 'methods', 'transport'].includes(sub) ? sub : 'node';
}

/** Which layers each layer may import from (its own layer is always allowed, except resources). */
const ALLOWED: Record<string, string[]> = {
	node: ['actions', 'actions/resource', 'methods'],
	actions: ['actions/resource', 'helpers', 'shared', 'transport'],
	'actions/resource': ['actions/common', 'helpers', 'shared', 'transport'],
	'actions/common': ['helpers'],
	methods: ['helpers', 'shared', 'transport'],
	helpers: ['shared', 'transport'],
	shared: ['transport'],
	transport: [],
	trigger: ['shared', 'transport'],
	credentials: ['transport'],
};

/** The problem with `from` importing `to` (paths relative to the repo, no extension), if any. */
function importProblem(from: string, to: string): string | undefined {
	const [a, b] = [layerOf(from), layerOf(to)];
	if (a === 'actions/resource' && b === 'actions/resource') {
		// A resource folder imports its own operations only.
		return path.dirname(from) === path.dirname(to)
			? undefined
			: `${from} imports another resource: ${to}`;
	}
	if (a === b || ALLOWED[a].includes(b)) return undefined;
	return `${from} (${a}) may not import ${to} (${b})`;
}

function sources(dir: string): string[] {
	return fs
		.readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
		.filter(
			(entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'),
		)
		.map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)));
}

function relativeImports(file: string): string[] {
	const { importedFiles } = ts.preProcessFile(
		fs.readFileSync(path.join(ROOT, file), 'utf8'),
		true,
		true,
	);
	return importedFiles
		.map(({ fileName }) => fileName)
		.filter((specifier) => specifier.startsWith('.'))
		.map((specifier) => {
			const target = path.join(path.dirname(file), specifier);
			// A folder import means its index.
			const isFolder = fs
				.readdirSync(path.join(ROOT, path.dirname(target)))
				.includes(path.basename(target));
			return isFolder ? path.join(target, 'index') : target;
		});
}

test('imports in nodes/ and credentials/ follow the layers', () => {
	const files = [...sources('nodes'), ...sources('credentials')];
	expect(files.length).toBeGreaterThan(30);
	const imports = files.flatMap((file) =>
		relativeImports(file).map((to) => [file.replace(/\.ts$/, ''), to] as const),
	);
	expect(imports.length).toBeGreaterThan(50);
	expect(imports.flatMap(([from, to]) => importProblem(from, to) ?? [])).toEqual([]);
});

test('the check refuses upward and sideways imports', () => {
	const op = 'nodes/Bhuman/actions/video/get.operation';
	expect(
		importProblem('nodes/Bhuman/helpers/generate', 'nodes/Bhuman/actions/common.descriptions'),
	).toMatch(/may not import/);
	expect(importProblem('nodes/Bhuman/transport/index', 'nodes/Bhuman/helpers/ids')).toMatch(
		/may not/,
	);
	expect(importProblem('nodes/Bhuman/methods/listSearch', 'nodes/Bhuman/actions/router')).toMatch(
		/may not/,
	);
	expect(importProblem('nodes/BhumanTrigger/register', 'nodes/Bhuman/actions/router')).toMatch(
		/may not/,
	);
	expect(importProblem(op, 'nodes/Bhuman/actions/router')).toMatch(/may not/);
	expect(importProblem(op, 'nodes/Bhuman/actions/campaign/get.operation')).toMatch(
		/another resource/,
	);
	expect(importProblem(op, 'nodes/Bhuman/actions/common.descriptions')).toBeUndefined();
	expect(importProblem(op, 'nodes/shared/video')).toBeUndefined();
	expect(importProblem('nodes/BhumanTrigger/callback', 'nodes/shared/video')).toBeUndefined();
	// The trigger has a room of its own: the action node's helpers are not its.
	expect(
		importProblem('nodes/BhumanTrigger/BhumanTrigger.node', 'nodes/Bhuman/helpers/callbacks'),
	).toMatch(/may not import/);
	expect(importProblem('nodes/shared/video', 'nodes/Bhuman/helpers/ids')).toMatch(/may not/);
});
