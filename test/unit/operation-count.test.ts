/**
 * The README's operation count (and list of resources) follows the node's description.
 */
import { fromRoot, fs } from '../host';
import type { INodePropertyOptions } from 'n8n-workflow';
import { Bhuman } from '../../nodes/Bhuman/Bhuman.node';

test("the README states the node's number of operations and resources", () => {
	const { properties } = new Bhuman().description;
	const resources = properties.find((p) => p.name === 'resource')!
		.options as INodePropertyOptions[];
	const operations = properties
		.filter((p) => p.name === 'operation')
		.reduce(
			(sum, p) => sum + (p.options?.length ?? 0) * (p.displayOptions?.show?.resource?.length ?? 0),
			0,
		);
	const readme = fs.readFileSync(fromRoot('README.md'), 'utf8');
	expect(readme).toContain(`${operations} operations on ${resources.length} resources`);
	for (const resource of resources) expect(readme).toContain(`${resource.name} (`);
});
