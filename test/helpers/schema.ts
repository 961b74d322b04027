/**
 * The output schemas n8n shows for a node that has not run: JSON Schema files beside the node,
 * `__schema__/v<major.minor.patch>/<resource>/<operation>.json` (a node without resource and
 * operation, like the trigger: `__schema__/v<version>.json`), as n8n's server resolves them.
 *
 * The check of real output against a schema goes both ways:
 * - every field of every output item is in the schema, with one of its types;
 * - every field in `required` is in every item; a field not in `required` may be absent (it
 *   appears only in some runs: e.g. the URLs of Generate, only when it waits);
 * - every field the schema names, required or not, appears in at least one item of the
 *   operation's runs: a schema cannot name a field the node never outputs.
 */
import { fs, path } from '../host';

/** The part of JSON Schema these files use (the part n8n's editor reads, plus `required`). */
export interface JsonSchema {
	type?: string | string[];
	properties?: Record<string, JsonSchema>;
	required?: string[];
	items?: JsonSchema;
	/** A map whose keys are the user's (Generate's variables): the schema of every value. */
	additionalProperties?: JsonSchema;
	/** n8n's own schema files carry a revision number here. */
	version?: number;
}

/** n8n's version folder name: 1 → v1.0.0, 1.1 → v1.1.0 (its padVersion). */
export function versionFolder(version: number): string {
	return `v${String(version).split('.').concat(['0', '0']).slice(0, 3).join('.')}`;
}

/** The schema file of a node version (and resource and operation), as n8n looks for it. */
export function schemaFile(
	nodeDir: string,
	version: number,
	resource?: string,
	operation?: string,
): string {
	const parts = [versionFolder(version), resource, operation].filter(Boolean).join('/');
	return path.join(nodeDir, '__schema__', `${parts}.json`);
}

export function readSchema(file: string): JsonSchema {
	return JSON.parse(fs.readFileSync(file, 'utf8')) as JsonSchema;
}

function typesOf(schema: JsonSchema): string[] {
	if (schema.type === undefined) return [];
	return Array.isArray(schema.type) ? schema.type : [schema.type];
}

function jsonType(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'array';
	if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
	return typeof value;
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every field path a schema names: `$.pageUrl`, `$.variables.*`, `$.text[]`, `$.body.id`. */
export function schemaPaths(schema: JsonSchema, at = '$'): string[] {
	const paths: string[] = [];
	for (const [key, property] of Object.entries(schema.properties ?? {})) {
		paths.push(`${at}.${key}`, ...schemaPaths(property, `${at}.${key}`));
	}
	if (schema.additionalProperties) {
		paths.push(`${at}.*`, ...schemaPaths(schema.additionalProperties, `${at}.*`));
	}
	if (schema.items) paths.push(`${at}[]`, ...schemaPaths(schema.items, `${at}[]`));
	return paths;
}

/** Output items checked against one schema; `problems` and `unseen()` say where they differ. */
export class SchemaCheck {
	readonly problems: string[] = [];
	private readonly seen = new Set<string>();

	constructor(readonly schema: JsonSchema) {}

	/** Checks each item's json; `label` names the run in the problems. */
	check(items: unknown[], label: string) {
		if (items.length === 0) this.problems.push(`${label}: no output items to check`);
		items.forEach((item, index) => this.walk(this.schema, item, '$', `${label}, item ${index}`));
		return this;
	}

	/** Fields the schema names that no checked item had. */
	unseen(): string[] {
		return schemaPaths(this.schema).filter((at) => !this.seen.has(at));
	}

	private walk(schema: JsonSchema, value: unknown, at: string, label: string) {
		this.seen.add(at);
		const types = typesOf(schema);
		const actual = jsonType(value);
		if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) {
			const shown = JSON.stringify(value)?.slice(0, 60);
			this.problems.push(
				`${label}: ${at} is ${actual} (${shown}); the schema says ${types.join(' or ') || 'nothing'}`,
			);
			return;
		}
		if (isObject(value)) {
			const properties = schema.properties ?? {};
			for (const [key, field] of Object.entries(value)) {
				if (Object.hasOwn(properties, key))
					this.walk(properties[key], field, `${at}.${key}`, label);
				else if (schema.additionalProperties)
					this.walk(schema.additionalProperties, field, `${at}.*`, label);
				else this.problems.push(`${label}: ${at}.${key} is in the output, not in the schema`);
			}
			for (const key of schema.required ?? []) {
				if (!Object.hasOwn(value, key))
					this.problems.push(`${label}: ${at}.${key} is required by the schema, not in the output`);
			}
		} else if (Array.isArray(value) && schema.items) {
			for (const element of value) this.walk(schema.items, element, `${at}[]`, label);
		}
	}
}
