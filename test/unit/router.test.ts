/**
 * The typed router's table agrees with the node's description: every (resource, operation) the UI
 * offers has an execute, and the NodeMap lists exactly those pairs.
 */
import type { INodePropertyOptions } from 'n8n-workflow';
import { Bhuman } from '../../nodes/Bhuman/Bhuman.node';
import { nodeMap } from '../../nodes/Bhuman/actions/node.type';
import { operations } from '../../nodes/Bhuman/actions/router';

const { properties } = new Bhuman().description;

/** resource → its operation values, read from the description. */
function describedPairs(): Record<string, string[]> {
	const resources = properties.find((p) => p.name === 'resource')!
		.options as INodePropertyOptions[];
	const pairs: Record<string, string[]> = {};
	for (const { value } of resources) {
		const operation = properties.find(
			(p) => p.name === 'operation' && p.displayOptions?.show?.resource?.includes(value),
		)!;
		pairs[value as string] = (operation.options as INodePropertyOptions[])
			.map((option) => option.value as string)
			.sort();
	}
	return pairs;
}

test('the NodeMap lists exactly the resources and operations of the description', () => {
	const fromMap = Object.fromEntries(
		Object.entries(nodeMap).map(([resource, names]) => [resource, [...names].sort()]),
	);
	expect(fromMap).toEqual(describedPairs());
});

test('every (resource, operation) of the description has an execute in the router', () => {
	const table = operations as unknown as Record<string, Record<string, { execute?: unknown }>>;
	const missing: string[] = [];
	for (const [resource, names] of Object.entries(describedPairs())) {
		for (const operation of names) {
			if (typeof table[resource]?.[operation]?.execute !== 'function') {
				missing.push(`${resource} → ${operation}`);
			}
		}
	}
	expect(missing).toEqual([]);
	expect(Object.keys(table).sort()).toEqual(Object.keys(describedPairs()).sort());
});

test("the node's waiting webhooks have static fields: n8n 2.x evaluates them on every resume, and its expression engine fails any expression there in the combined binary mode", () => {
	const { webhooks = [] } = new Bhuman().description;
	expect(webhooks.length).toBeGreaterThan(0);
	for (const webhook of webhooks) {
		for (const [field, value] of Object.entries(webhook)) {
			expect([field, typeof value === 'string' && value.startsWith('=')]).toEqual([field, false]);
		}
		// Not the empty path of a Wait node's resume URL: a later Wait node must not take BHuman's calls.
		expect(webhook.path).toBe('bhuman');
	}
});

test('n8n offers "Custom API Call" on this node: its defaultVersion is unset or equals its version', () => {
	// n8n's injectCustomApiCallOptions (1.x and 2.x) skips a node whose defaultVersion is set and
	// differs from `version`, which a version array always does.
	const { version, defaultVersion } = new Bhuman().description;
	expect(defaultVersion === undefined || defaultVersion === version).toBe(true);
	expect(version).toEqual([1, 1.1]); // the editor adds the last one
});
