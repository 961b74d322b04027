/**
 * BHuman IDs: UUID checks, IDs inside BHuman app URLs, and the regexes the
 * locators give n8n (extractValue and validation).
 */
import type { IExecuteFunctions, INode, INodeProperties, INodePropertyMode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import {
	campaignLocator,
	folderLocator,
	productLocator,
	videoInstanceLocator,
	workspaceLocator,
} from '../../nodes/Bhuman/actions/common.descriptions';
import {
	CAMPAIGN_URL_REGEX,
	extractId,
	getIdParameter,
	getOptionalIdParameter,
	INSTANCE_URL_REGEX,
	isUuid,
	itemLabel,
	UUID,
} from '../../nodes/Bhuman/helpers/ids';

const INSTANCE_ID = '7d859e18-dc89-446f-9718-9533bb178a75';
const CAMPAIGN_ID = 'b3d2bfa8-fa75-49ed-9f8b-bb13452f49fd';
const INSTANCE_URL = `https://app.bhuman.ai/instance/${INSTANCE_ID}`;
const CAMPAIGN_URL = `https://app.bhuman.ai/campaign/generatedVideos/${CAMPAIGN_ID}`;

describe('isUuid', () => {
	test.each([
		INSTANCE_ID,
		CAMPAIGN_ID,
		INSTANCE_ID.toUpperCase(),
		'00000000-0000-0000-0000-000000000000',
	])('%s is a UUID', (value) => {
		expect(isUuid(value)).toBe(true);
	});

	test.each([
		['empty', ''],
		['surrounded by spaces', ` ${INSTANCE_ID} `],
		['too short', INSTANCE_ID.slice(1)],
		['too long', `${INSTANCE_ID}0`],
		['not hex', INSTANCE_ID.replace('7', 'g')],
		['without dashes', INSTANCE_ID.replace(/-/g, '')],
		['a URL', INSTANCE_URL],
		['a number', 42],
		['null', null],
		['undefined', undefined],
		['an object', { id: INSTANCE_ID }],
	])('%s is not a UUID', (_what, value) => {
		expect(isUuid(value)).toBe(false);
	});
});

describe('extractId', () => {
	test('a bare UUID is returned lower-case and trimmed, whatever the kind', () => {
		for (const kind of ['videoInstance', 'campaign', 'other'] as const) {
			expect(extractId(INSTANCE_ID, kind)).toBe(INSTANCE_ID);
			expect(extractId(`  ${INSTANCE_ID.toUpperCase()}\n`, kind)).toBe(INSTANCE_ID);
		}
		expect(extractId(INSTANCE_ID)).toBe(INSTANCE_ID);
	});

	test('the instance URL of the API guide gives the instance id', () => {
		expect(extractId(INSTANCE_URL, 'videoInstance')).toBe(INSTANCE_ID);
	});

	test('the campaign URL of the API guide gives the campaign id', () => {
		expect(extractId(CAMPAIGN_URL, 'campaign')).toBe(CAMPAIGN_ID);
	});

	test.each([
		['http', `http://app.bhuman.ai/instance/${INSTANCE_ID}`],
		['upper-case id', `https://app.bhuman.ai/instance/${INSTANCE_ID.toUpperCase()}`],
		['query string', `${INSTANCE_URL}?tab=videos`],
		['fragment', `${INSTANCE_URL}#settings`],
		['trailing slash and more path', `${INSTANCE_URL}/edit`],
		['another subdomain', `https://studio.bhuman.ai/instance/${INSTANCE_ID}`],
		['bare domain', `https://bhuman.ai/instance/${INSTANCE_ID}`],
		['deeper path', `https://app.bhuman.ai/workspace/abc/instance/${INSTANCE_ID}`],
		['surrounding spaces', `  ${INSTANCE_URL}  `],
	])('instance URL variant (%s)', (_what, url) => {
		expect(extractId(url, 'videoInstance')).toBe(INSTANCE_ID);
	});

	test.each([
		['query string', `${CAMPAIGN_URL}?page=2`],
		['other campaign page', `https://app.bhuman.ai/campaign/${CAMPAIGN_ID}`],
		['deeper campaign page', `https://app.bhuman.ai/campaign/results/list/${CAMPAIGN_ID}`],
		[
			'upper-case id',
			`https://app.bhuman.ai/campaign/generatedVideos/${CAMPAIGN_ID.toUpperCase()}`,
		],
	])('campaign URL variant (%s)', (_what, url) => {
		expect(extractId(url, 'campaign')).toBe(CAMPAIGN_ID);
	});

	test.each([
		['a campaign URL as an instance', CAMPAIGN_URL, 'videoInstance'],
		['an instance URL as a campaign', INSTANCE_URL, 'campaign'],
		['an instance URL where no URL is accepted', INSTANCE_URL, 'other'],
		['a campaign URL where no URL is accepted', CAMPAIGN_URL, 'other'],
		['another host', `https://example.com/instance/${INSTANCE_ID}`],
		['a look-alike host', `https://notbhuman.ai/instance/${INSTANCE_ID}`],
		[
			'bhuman.ai as a subdomain of another host',
			`https://bhuman.ai.example.com/instance/${INSTANCE_ID}`,
		],
		['no scheme', `app.bhuman.ai/instance/${INSTANCE_ID}`],
		['an instance URL without id', 'https://app.bhuman.ai/instance/'],
		['a truncated id', `https://app.bhuman.ai/instance/${INSTANCE_ID.slice(0, 30)}`],
		['not-a-uuid', 'not-a-uuid'],
		['empty', ''],
	] as const)('%s gives no id', (_what, value, kind = 'videoInstance') => {
		expect(extractId(value, kind as 'videoInstance' | 'campaign' | 'other')).toBeUndefined();
	});

	test('values that are not strings give no id', () => {
		expect(extractId(undefined)).toBeUndefined();
		expect(extractId(null, 'videoInstance')).toBeUndefined();
		expect(extractId(123, 'campaign')).toBeUndefined();
		expect(extractId({ value: INSTANCE_ID })).toBeUndefined();
	});
});

describe('URL regexes as n8n uses them', () => {
	// n8n: extractValue → new RegExp(regex).exec(value)[1]; validation → ^<regex>$ over the whole value.
	const extract = (regex: string, value: string) => new RegExp(regex).exec(value)?.[1];
	const urlMode = (locator: INodeProperties) =>
		locator.modes!.find((mode) => mode.name === 'url') as INodePropertyMode;
	const idMode = (locator: INodeProperties) =>
		locator.modes!.find((mode) => mode.name === 'id') as INodePropertyMode;
	const validates = (mode: INodePropertyMode, value: string) =>
		(mode.validation ?? []).every((rule) => {
			const regex = (rule as unknown as { properties: { regex: string } }).properties.regex;
			return new RegExp(`^${regex}$`).test(value);
		});

	test('INSTANCE_URL_REGEX captures the instance id', () => {
		expect(extract(INSTANCE_URL_REGEX, INSTANCE_URL)).toBe(INSTANCE_ID);
		expect(extract(INSTANCE_URL_REGEX, CAMPAIGN_URL)).toBeUndefined();
	});

	test('CAMPAIGN_URL_REGEX captures the campaign id', () => {
		expect(extract(CAMPAIGN_URL_REGEX, CAMPAIGN_URL)).toBe(CAMPAIGN_ID);
		expect(extract(CAMPAIGN_URL_REGEX, INSTANCE_URL)).toBeUndefined();
	});

	test('UUID matches exactly one UUID', () => {
		expect(new RegExp(`^${UUID}$`).test(INSTANCE_ID)).toBe(true);
		expect(new RegExp(`^${UUID}$`).test(`${INSTANCE_ID}x`)).toBe(false);
	});

	test('the video instance locator: By URL extracts and validates instance URLs only', () => {
		const mode = urlMode(videoInstanceLocator);
		expect(mode.extractValue).toEqual({ type: 'regex', regex: INSTANCE_URL_REGEX });
		expect(extract(String(mode.extractValue!.regex), `${INSTANCE_URL}?x=1`)).toBe(INSTANCE_ID);
		expect(validates(mode, INSTANCE_URL)).toBe(true);
		expect(validates(mode, `${INSTANCE_URL}?x=1`)).toBe(true);
		expect(validates(mode, CAMPAIGN_URL)).toBe(false);
		expect(validates(mode, INSTANCE_ID)).toBe(false);
		expect(validates(mode, `see ${INSTANCE_URL}`)).toBe(false);
	});

	test('the campaign locator: By URL extracts and validates campaign URLs only', () => {
		const mode = urlMode(campaignLocator);
		expect(mode.extractValue).toEqual({ type: 'regex', regex: CAMPAIGN_URL_REGEX });
		expect(extract(String(mode.extractValue!.regex), CAMPAIGN_URL)).toBe(CAMPAIGN_ID);
		expect(validates(mode, CAMPAIGN_URL)).toBe(true);
		expect(validates(mode, INSTANCE_URL)).toBe(false);
	});

	test('By ID accepts a UUID (any case, surrounding spaces) and nothing else', () => {
		for (const locator of [videoInstanceLocator, campaignLocator, folderLocator]) {
			const mode = idMode(locator);
			expect(validates(mode, INSTANCE_ID)).toBe(true);
			expect(validates(mode, ` ${INSTANCE_ID.toUpperCase()} `)).toBe(true);
			expect(validates(mode, 'not-a-uuid')).toBe(false);
			expect(validates(mode, INSTANCE_URL)).toBe(false);
		}
	});

	test('locators without a BHuman URL have no By URL mode', () => {
		expect(folderLocator.modes!.map((mode) => mode.name)).toEqual(['list', 'id']);
	});
});

describe('getIdParameter', () => {
	const node: INode = {
		id: 'n',
		name: 'BHuman',
		type: 'n8n-nodes-bhuman.bhuman',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
	/** A context whose getNodeParameter answers `values[name]` (as with extractValue: the extracted value). */
	const context = (values: Record<string, unknown>) =>
		({
			getNode: () => node,
			getNodeParameter: (name: string, _itemIndex: number, fallback: unknown) =>
				name in values ? values[name] : fallback,
		}) as unknown as IExecuteFunctions;

	test('reads a locator value and returns the lower-case UUID', () => {
		const ctx = context({
			videoInstanceId: { __rl: true, mode: 'id', value: INSTANCE_ID.toUpperCase() },
		});
		expect(getIdParameter.call(ctx, videoInstanceLocator, 0)).toBe(INSTANCE_ID);
	});

	test('reads a plain string, and a URL of its kind', () => {
		expect(getIdParameter.call(context({ campaignId: CAMPAIGN_URL }), campaignLocator, 0)).toBe(
			CAMPAIGN_ID,
		);
		expect(getIdParameter.call(context({ productId: INSTANCE_ID }), productLocator, 0)).toBe(
			INSTANCE_ID,
		);
	});

	test('an invalid value throws, naming the field and the item, with the kind-specific hint', () => {
		const ctx = context({ videoInstanceId: 'not-a-uuid' });
		let error: NodeOperationError | undefined;
		try {
			getIdParameter.call(ctx, videoInstanceLocator, 3);
		} catch (caught) {
			error = caught as NodeOperationError;
		}
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error!.message).toBe("Video Instance of item 3 is not a valid ID: 'not-a-uuid'");
		expect(error!.context.itemIndex).toBe(3);
		expect(error!.description).toContain('https://app.bhuman.ai/instance/');
	});

	test('a URL of the wrong kind is invalid', () => {
		expect(() =>
			getIdParameter.call(context({ campaignId: INSTANCE_URL }), campaignLocator, 0),
		).toThrow(/Campaign of item 0 is not a valid ID/);
	});

	test('an empty required value throws "is required"; an empty optional one gives undefined', () => {
		expect(() => getIdParameter.call(context({ workspaceId: '  ' }), workspaceLocator, 1)).toThrow(
			'Workspace is required (item 1)',
		);
		expect(() => getIdParameter.call(context({}), workspaceLocator, 0)).toThrow(
			'Workspace is required (item 0)',
		);
		expect(getOptionalIdParameter.call(context({}), folderLocator, 0, 'options')).toBeUndefined();
		expect(
			getOptionalIdParameter.call(
				context({ 'options.folderId': { __rl: true, mode: 'list', value: '' } }),
				folderLocator,
				0,
				'options',
			),
		).toBeUndefined();
		// Inside a collection the path is collection.name; a set value is read and checked there.
		expect(
			getOptionalIdParameter.call(
				context({ 'options.videoInstanceId': INSTANCE_URL }),
				videoInstanceLocator,
				0,
				'options',
			),
		).toBe(INSTANCE_ID);
		expect(() =>
			getOptionalIdParameter.call(
				context({ 'options.folderId': 'nope' }),
				folderLocator,
				2,
				'options',
			),
		).toThrow("Folder of item 2 is not a valid ID: 'nope'");
	});

	test('a very long invalid value is cut in the message', () => {
		const long = 'x'.repeat(500);
		expect(() => getIdParameter.call(context({ productId: long }), productLocator, 0)).toThrow(
			`Product of item 0 is not a valid ID: '${'x'.repeat(80)}'`,
		);
	});

	test('itemLabel numbers items from 0, as the n8n UI does', () => {
		expect(itemLabel(0)).toBe('item 0');
		expect(itemLabel(12)).toBe('item 12');
	});
});
