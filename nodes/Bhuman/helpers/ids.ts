/** BHuman IDs are UUIDs; users often paste them inside BHuman app URLs. */
import type {
	IExecuteFunctions,
	ILoadOptionsFunctions,
	INodeParameterResourceLocator,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

export const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const UUID_ONLY = new RegExp(`^${UUID}$`);

/** `https://app.bhuman.ai/instance/<uuid>` → video instance id. */
export const INSTANCE_URL_REGEX = `https?://(?:[\\w-]+\\.)*bhuman\\.ai/(?:[^\\s?#]*/)?instance/(${UUID})`;
/** `https://app.bhuman.ai/campaign/generatedVideos/<uuid>` → campaign id. */
export const CAMPAIGN_URL_REGEX = `https?://(?:[\\w-]+\\.)*bhuman\\.ai/campaign/(?:[^\\s?#/]+/)*(${UUID})`;

export type IdKind = 'videoInstance' | 'campaign' | 'other';

const URL_PATTERNS: Record<IdKind, RegExp | undefined> = {
	videoInstance: new RegExp(INSTANCE_URL_REGEX),
	campaign: new RegExp(CAMPAIGN_URL_REGEX),
	other: undefined,
};

export function isUuid(value: unknown): value is string {
	return typeof value === 'string' && UUID_ONLY.test(value);
}

/**
 * The UUID in `value`: a bare UUID, or a BHuman app URL of the given kind.
 * Returns undefined when there is none.
 */
export function extractId(value: unknown, kind: IdKind = 'other'): string | undefined {
	if (typeof value !== 'string') return undefined;
	const text = value.trim();
	if (UUID_ONLY.test(text)) return text.toLowerCase();
	const match = URL_PATTERNS[kind]?.exec(text);
	return match ? match[1].toLowerCase() : undefined;
}

/** Human name of an item for error messages: n8n's UI numbers items from 0. */
export function itemLabel(itemIndex: number) {
	return `item ${itemIndex}`;
}

/** Which app URLs an ID field takes: those its By URL mode extracts from (the same regex as the UI). */
function kindOf(field: INodeProperties): IdKind {
	const regex = field.modes?.find((mode) => mode.name === 'url')?.extractValue?.regex;
	if (regex === INSTANCE_URL_REGEX) return 'videoInstance';
	return regex === CAMPAIGN_URL_REGEX ? 'campaign' : 'other';
}

/**
 * Reads an ID parameter (a resource locator or a plain string) and checks it holds a UUID before
 * anything is sent; `field` is its description (name and display name), inside `collection` if
 * given. The error names the item and the field.
 */
export function getIdParameter(
	this: IExecuteFunctions | ILoadOptionsFunctions,
	field: INodeProperties,
	itemIndex: number,
	collection?: string,
): string {
	const id = getOptionalIdParameter.call(this, field, itemIndex, collection);
	if (id === undefined) {
		throw new NodeOperationError(
			this.getNode(),
			`${field.displayName} is required (${itemLabel(itemIndex)})`,
			{
				itemIndex,
				description: `Choose one from the list, or enter its ID.`,
			},
		);
	}
	return id;
}

/** As getIdParameter, for an ID that may be left empty: undefined then. */
export function getOptionalIdParameter(
	this: IExecuteFunctions | ILoadOptionsFunctions,
	field: INodeProperties,
	itemIndex: number,
	collection?: string,
): string | undefined {
	const parameterName = collection ? `${collection}.${field.name}` : field.name;
	const raw = (this as IExecuteFunctions).getNodeParameter(parameterName, itemIndex, '', {
		extractValue: true,
	}) as string | INodeParameterResourceLocator;
	const value = typeof raw === 'object' && raw !== null ? raw.value : raw;
	if (value === undefined || value === null || String(value).trim() === '') return undefined;
	const kind = kindOf(field);
	const id = extractId(String(value), kind);
	if (!id) {
		throw new NodeOperationError(
			this.getNode(),
			`${field.displayName} of ${itemLabel(itemIndex)} is not a valid ID: '${String(value).slice(0, 80)}'`,
			{
				itemIndex,
				description:
					kind === 'videoInstance'
						? 'Use a UUID such as 7d859e18-dc89-446f-9718-9533bb178a75, or the URL https://app.bhuman.ai/instance/<id>.'
						: kind === 'campaign'
							? 'Use a UUID, or the URL https://app.bhuman.ai/campaign/generatedVideos/<id>.'
							: 'Use a UUID such as 7d859e18-dc89-446f-9718-9533bb178a75.',
			},
		);
	}
	return id;
}
