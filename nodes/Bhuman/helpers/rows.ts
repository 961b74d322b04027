/**
 * Input items → recipient rows for BHuman's generate calls (`variables` +
 * `names`), validated for the whole run before anything is sent.
 */
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { jsonParse, NodeOperationError } from 'n8n-workflow';
import { getIdParameter, itemLabel } from './ids';

export interface Row {
	itemIndex: number;
	/** Video instance or campaign the row is generated from. */
	targetId: string;
	callbackUrl?: string;
	values: string[];
	/** Campaign renders: one asset per background. */
	assets?: string[];
}

export interface RowsResult {
	variables: string[];
	rows: Row[];
	/** Items that cannot be sent, with the reason (a NodeOperationError naming item and field). */
	invalid: Map<number, NodeOperationError>;
}

export interface RowOptions {
	/** The locator of the video instance or campaign the rows are generated from. */
	locator: INodeProperties;
	/** Campaign generation: each row carries this many assets, one per background. */
	assetsPerRow?: number;
	/** The callback URL of every row, set by the node (its Callback URL parameter is then not read). */
	callbackUrl?: string;
}

class InvalidItem extends Error {
	/** An empty value: the one case Allow Empty Values is the fix for. */
	constructor(
		message: string,
		readonly empty = false,
	) {
		super(message);
	}
}

/** A value BHuman can take: strings as they are, numbers and booleans as text. */
function cellText(value: unknown, allowEmpty: boolean, where: () => string): string {
	if (typeof value === 'number' && !Number.isFinite(value)) {
		// String(NaN) would make BHuman speak the word "NaN".
		throw new InvalidItem(`${where()} is ${value}, not a number that can be spoken`);
	}
	if (typeof value === 'number' || typeof value === 'boolean') return String(value);
	if (typeof value === 'string') {
		if (value.trim() === '' && !allowEmpty) throw new InvalidItem(`${where()} is empty`, true);
		return value;
	}
	if (value === undefined || value === null) {
		if (allowEmpty) return '';
		throw new InvalidItem(
			value === null
				? `${where()} is empty (null)`
				: `${where()} has no value: the item has no such field, or the expression gives nothing`,
			value === null,
		);
	}
	throw new InvalidItem(
		`${where()} is ${Array.isArray(value) ? 'an array' : 'an object'}: only text, numbers and booleans can be spoken in a video`,
	);
}

function checkNames(names: unknown[], where: string): string[] {
	const seen = new Set<string>();
	return names.map((name, index) => {
		if (typeof name !== 'string' || name.trim() === '') {
			throw new InvalidItem(`${where}: variable ${index + 1} has no name`);
		}
		const trimmed = name.trim();
		if (seen.has(trimmed)) throw new InvalidItem(`${where}: variable "${trimmed}" is given twice`);
		seen.add(trimmed);
		return trimmed;
	});
}

const NOT_JSON = Symbol('not JSON');

function parseJson(value: unknown, field: string): unknown {
	if (typeof value !== 'string') return value;
	const parsed = jsonParse<unknown>(value, { fallbackValue: NOT_JSON });
	if (parsed === NOT_JSON) throw new InvalidItem(`${field} is not valid JSON`);
	return parsed;
}

function sameNames(a: string[], b: string[]) {
	return a.length === b.length && a.every((name, index) => name === b[index]);
}

function checkCallbackUrl(value: unknown): string | undefined {
	if (value === undefined || value === null || String(value).trim() === '') return undefined;
	const text = String(value).trim();
	if (!URL.canParse(text)) {
		// Without its query string: a trigger's token must not be echoed into an error.
		throw new InvalidItem(`Callback URL is not a URL: '${text.split('?')[0].slice(0, 100)}'`);
	}
	const url = new URL(text);
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw new InvalidItem('Callback URL must start with http:// or https://');
	}
	return text;
}

/**
 * Campaign assets of an item's rows: one list per row (the item's Assets in
 * mapping mode, Assets (JSON) rows in JSON mode), each one asset per background.
 */
function readAssets(
	this: IExecuteFunctions,
	itemIndex: number,
	inputMode: string,
	rowCount: number,
	perRow: number,
): Array<string[] | undefined> {
	let lists: unknown[][];
	if (inputMode === 'json') {
		const parsed = parseJson(this.getNodeParameter('assetsJson', itemIndex, '[]'), 'Assets (JSON)');
		if (!Array.isArray(parsed) || !parsed.every(Array.isArray)) {
			throw new InvalidItem('Assets (JSON) must be an array of rows, e.g. [["https://acme.com"]]');
		}
		lists = parsed as unknown[][];
		if (lists.length > 0 && lists.length !== rowCount) {
			throw new InvalidItem(
				`Assets (JSON) has ${lists.length} rows but Names (JSON) has ${rowCount}`,
			);
		}
	} else {
		const assets = this.getNodeParameter('assets.asset', itemIndex, []) as IDataObject[];
		lists = assets.length > 0 ? [assets.map((asset) => asset.value)] : [];
	}
	if (lists.length === 0) {
		if (perRow > 0) throw new InvalidItem(`add one asset per background (${perRow})`);
		return [];
	}
	return lists.map((list, rowIndex) => {
		if (list.length !== perRow) {
			throw new InvalidItem(
				`${inputMode === 'json' ? `Assets (JSON) row ${rowIndex}` : 'Assets'} has ${list.length} values but there are ${perRow} backgrounds`,
			);
		}
		return list.map((value, column) => cellText(value, false, () => `Asset ${column + 1}`));
	});
}

function holdsExpression(value: unknown): boolean {
	if (typeof value === 'string') return value.startsWith('=');
	if (Array.isArray(value)) return value.some(holdsExpression);
	if (value && typeof value === 'object') return Object.values(value).some(holdsExpression);
	return false;
}

/** `{{ $json.first_name }}`, `{{ $json.contact.company }}`: a field of the item, nothing else. */
const PLAIN_FIELD = /^=\{\{\s*\$json((?:\.[A-Za-z_$][\w$]*)+)\s*\}\}$/;

function fieldOf(json: IDataObject, path: string): unknown {
	let value: unknown = json;
	for (const key of path.slice(1).split('.')) {
		if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
		value = (value as IDataObject)[key];
	}
	return value;
}

/**
 * Parameters of a run, read for each item the way n8n does, but cheaper:
 * evaluating an expression is most of the node's time at 10,000 items, so a
 * parameter whose stored value holds no expression (the same for every item)
 * is read once, and variable values of the plain form {{ $json.field }} are
 * read from the item directly (what n8n's evaluator would return).
 */
class RunParameters {
	private readonly constants = new Map<string, unknown>();

	private readonly plainVariables:
		| Array<{ name: string; field?: string; value?: unknown }>
		| undefined;

	constructor(
		private readonly context: IExecuteFunctions,
		private readonly items: INodeExecutionData[],
	) {
		const stored = (context.getNode().parameters.variables as IDataObject | undefined)?.variable;
		if (Array.isArray(stored) && stored.length > 0) {
			const pairs = (stored as IDataObject[]).map((pair) => {
				if (holdsExpression(pair.name)) return undefined;
				const field =
					typeof pair.value === 'string' ? PLAIN_FIELD.exec(pair.value)?.[1] : undefined;
				if (field) return { name: pair.name as string, field };
				return holdsExpression(pair.value)
					? undefined
					: { name: pair.name as string, value: pair.value };
			});
			if (pairs.every(Boolean)) this.plainVariables = pairs as typeof this.plainVariables;
		}
	}

	get<T>(name: string, itemIndex: number, fallback: T, read?: () => T): T {
		if (this.constants.has(name)) return this.constants.get(name) as T;
		const value = read ? read() : (this.context.getNodeParameter(name, itemIndex, fallback) as T);
		const stored = name
			.split('.')
			.reduce<unknown>(
				(parent, key) => (parent as IDataObject | undefined)?.[key],
				this.context.getNode().parameters,
			);
		if (!holdsExpression(stored)) this.constants.set(name, value);
		return value;
	}

	/** The variables' name/value pairs of an item (mapping mode). */
	variables(itemIndex: number): Array<{ name?: unknown; value?: unknown }> {
		if (!this.plainVariables) {
			return this.context.getNodeParameter('variables.variable', itemIndex, []) as IDataObject[];
		}
		const json = this.items[itemIndex].json;
		return this.plainVariables.map(({ name, field, value }) => ({
			name,
			value: field ? fieldOf(json, field) : value,
		}));
	}
}

/** Rows of one input item: one row (mapping mode) or the item's JSON rows. */
function rowsOfItem(
	this: IExecuteFunctions,
	itemIndex: number,
	options: RowOptions,
	parameters: RunParameters,
): { variables: string[]; rows: Row[] } {
	const allowEmpty = parameters.get('options.allowEmptyValues', itemIndex, false);
	const inputMode = parameters.get<string>('inputMode', itemIndex, 'mapping');
	const targetId = parameters.get(options.locator.name, itemIndex, '', () =>
		getIdParameter.call(this, options.locator, itemIndex),
	);
	const callbackUrl =
		options.callbackUrl ??
		parameters.get('callbackUrl', itemIndex, undefined as string | undefined, () =>
			checkCallbackUrl(this.getNodeParameter('callbackUrl', itemIndex, '')),
		);

	let variables: string[];
	let valueRows: unknown[][];
	if (inputMode === 'json') {
		const parsedVariables = parseJson(
			this.getNodeParameter('variablesJson', itemIndex),
			'Variables (JSON)',
		);
		if (!Array.isArray(parsedVariables) || parsedVariables.length === 0) {
			throw new InvalidItem(
				'Variables (JSON) must be a non-empty array of variable names, e.g. ["name", "company"]',
			);
		}
		variables = checkNames(parsedVariables, 'Variables (JSON)');
		const names = parseJson(this.getNodeParameter('namesJson', itemIndex), 'Names (JSON)');
		if (!Array.isArray(names) || names.length === 0 || !names.every(Array.isArray)) {
			throw new InvalidItem(
				'Names (JSON) must be a non-empty array of rows, e.g. [["Don", "Apple"]]',
			);
		}
		valueRows = names as unknown[][];
		valueRows.forEach((row, rowIndex) => {
			if (row.length !== variables.length) {
				throw new InvalidItem(
					`Names (JSON) row ${rowIndex} has ${row.length} values but there are ${variables.length} variables`,
				);
			}
		});
	} else {
		const pairs = parameters.variables(itemIndex);
		if (pairs.length === 0) throw new InvalidItem('add at least one variable (name and value)');
		variables = checkNames(
			pairs.map((pair) => pair.name),
			'Variables',
		);
		valueRows = [pairs.map((pair) => pair.value)];
	}

	const assetRows =
		options.assetsPerRow === undefined
			? []
			: readAssets.call(this, itemIndex, inputMode, valueRows.length, options.assetsPerRow);
	const rows = valueRows.map((values, rowIndex) => ({
		itemIndex,
		targetId,
		callbackUrl,
		assets: assetRows[rowIndex],
		values: values.map((value, column) =>
			cellText(value, allowEmpty, () =>
				inputMode === 'json'
					? `Names (JSON) row ${rowIndex}, variable "${variables[column]}"`
					: `Variable "${variables[column]}"`,
			),
		),
	}));
	return { variables, rows };
}

/**
 * Reads every input item. The variable names must be the same for all items
 * (they become the request's `variables`); an item that breaks a rule is
 * recorded in `invalid` with an error naming the item and the variable.
 */
export function readRows(
	this: IExecuteFunctions,
	items: INodeExecutionData[],
	options: RowOptions,
): RowsResult {
	let variables: string[] | undefined;
	let firstItem = 0;
	const rows: Row[] = [];
	const invalid = new Map<number, NodeOperationError>();
	const parameters = new RunParameters(this, items);

	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const result = rowsOfItem.call(this, itemIndex, options, parameters);
			if (variables === undefined) {
				variables = result.variables;
				firstItem = itemIndex;
			} else if (!sameNames(variables, result.variables)) {
				throw new InvalidItem(
					`the variables [${result.variables.join(', ')}] differ from ${itemLabel(firstItem)}'s [${variables.join(', ')}]: one request carries one list of variable names`,
				);
			}
			rows.push(...result.rows);
		} catch (error) {
			const nodeError =
				error instanceof InvalidItem
					? new NodeOperationError(
							this.getNode(),
							`Invalid ${itemLabel(itemIndex)}: ${error.message}`,
							{
								itemIndex,
								description: error.empty
									? 'Nothing was sent to BHuman. Fix the item, or turn on "Allow Empty Values" if empty values are intended.'
									: 'Nothing was sent to BHuman. Fix the item.',
							},
						)
					: error instanceof NodeOperationError
						? error
						: new NodeOperationError(this.getNode(), error as Error, { itemIndex });
			invalid.set(itemIndex, nodeError);
		}
	}
	return { variables: variables ?? [], rows, invalid };
}

/** Rows split into requests: grouped by target and callback URL, in input order, at most `size` rows each. */
export function toBatches(rows: Row[], size: number): Row[][] {
	const groups = new Map<string, Row[]>();
	for (const row of rows) {
		const key = `${row.targetId} ${row.callbackUrl ?? ''}`;
		const group = groups.get(key);
		if (group) group.push(row);
		else groups.set(key, [row]);
	}
	const batches: Row[][] = [];
	for (const group of groups.values()) {
		for (let start = 0; start < group.length; start += size)
			batches.push(group.slice(start, start + size));
	}
	return batches;
}
