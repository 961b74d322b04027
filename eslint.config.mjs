// n8n's community-node rules (the ones n8n's verification scanner applies) for
// nodes/, credentials/ and package.json. Tests, the simulator and scripts are
// dev tooling and are not linted by these rules.
import { config } from '@n8n/node-cli/eslint';

export default [
	{ ignores: ['dist/**', 'node_modules/**', 'test/**', 'simulator/**', 'scripts/**', 'bench/**', 'examples/**', '*.js', '*.mjs'] },
	...config,
];
