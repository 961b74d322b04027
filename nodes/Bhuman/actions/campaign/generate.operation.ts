import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';
import { executeGenerate, refuseGenerateRetry } from '../../helpers/generate';
import { campaignLocator, deliveryProperties, rowProperties } from '../common.descriptions';

const backgroundProperties: INodeProperties[] = [
	{
		displayName: 'Backgrounds',
		name: 'backgrounds',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		placeholder: 'Add Background',
		default: {},
		description:
			'Screens shown behind or beside the speaker. Each row gives one asset per background (below).',
		options: [
			{
				name: 'background',
				displayName: 'Background',
				values: [
					{
						displayName: 'Config',
						name: 'config',
						type: 'collection',
						default: {},
						placeholder: 'Add Setting',
						options: [
							{
								displayName: 'Audio',
								name: 'audio',
								type: 'boolean',
								default: false,
								description: 'Whether to play the background audio',
							},
							{
								displayName: 'Blend',
								name: 'blend',
								type: 'number',
								default: 0.1,
							},
							{
								displayName: 'Brightness',
								name: 'brightness',
								type: 'number',
								default: 1,
								description:
									"Brightness of the background around the speaker (BHuman's default when not set: 1)",
							},
							{
								displayName: 'Color',
								name: 'color',
								type: 'color',
								default: '#00FF00',
								description:
									'Chroma key color (Chroma mode). Sent as BHuman documents it: six hex digits without #, e.g. 00FF00.',
							},
							{
								displayName: 'Mode',
								name: 'mode',
								type: 'options',
								options: [
									{
										name: 'Basic',
										value: 'basic',
									},
									{
										name: 'Chroma',
										value: 'chroma',
									},
									{
										name: 'Circle',
										value: 'circle',
									},
								],
								default: 'circle',
								description:
									'How the speaker is shown over the background. BHuman requires a mode: Circle when not set.',
							},
							{
								displayName: 'Position',
								name: 'position',
								type: 'options',
								options: [
									{
										name: 'Bottom',
										value: 'bottom',
									},
									{
										name: 'Bottom Left',
										value: 'bottom-left',
									},
									{
										name: 'Bottom Right',
										value: 'bottom-right',
									},
									{
										name: 'Center',
										value: 'center',
									},
									{
										name: 'Top Right',
										value: 'top-right',
									},
								],
								default: 'bottom-right',
							},
							{
								displayName: 'Scale',
								name: 'scale',
								type: 'number',
								default: 0.4,
								description: "Size of the speaker's overlay (BHuman's default when not set: 0.4)",
							},
							{
								displayName: 'Similarity',
								name: 'similarity',
								type: 'number',
								default: 0.1,
								description: "Chroma key similarity (BHuman's default when not set: 0.1)",
							},
						],
					},
					{
						displayName: 'End (Seconds)',
						name: 'end',
						type: 'number',
						default: -1,
						description: 'When the background ends;	-1 means at the end of the video',
					},
					{
						displayName: 'Kind',
						name: 'kind',
						type: 'options',
						options: [
							{
								name: 'Link',
								value: 'link',
								description: 'A video or image URL',
							},
							{
								name: 'LinkedIn',
								value: 'linkedin',
								description: "The recipient's LinkedIn profile",
							},
							{
								name: 'Site',
								value: 'site',
								description: "A web page, e.g. the recipient's website",
							},
						],
						default: 'site',
					},
					{
						displayName: 'Name',
						name: 'name',
						type: 'string',
						default: '',
					},
					{
						displayName: 'Start (Seconds)',
						name: 'start',
						type: 'number',
						default: 0,
					},
				],
			},
		],
	},
	{
		displayName: 'Assets',
		name: 'assets',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		placeholder: 'Add Asset',
		default: {},
		displayOptions: { show: { inputMode: ['mapping'] } },
		description:
			"This item's asset for each background, in the backgrounds' order (e.g. the recipient's website)",
		options: [
			{
				name: 'asset',
				displayName: 'Asset',
				values: [
					{
						displayName: 'Value',
						name: 'value',
						type: 'string',
						default: '',
						placeholder: 'e.g. {{ $json.website }}',
					},
				],
			},
		],
	},
	{
		displayName: 'Assets (JSON)',
		name: 'assetsJson',
		type: 'json',
		default: '[]',
		displayOptions: { show: { inputMode: ['json'] } },
		description: 'One row per row of Names, one asset per background, e.g. [["https://acme.com"]]',
	},
	{
		displayName: 'Enable Lip Sync',
		name: 'enableLipsync',
		type: 'boolean',
		default: false,
		description: 'Whether BHuman lip-syncs the speaker to the personalized audio',
	},
	{
		displayName: 'Enable Subtitles',
		name: 'enableSubtitles',
		type: 'boolean',
		default: false,
		description:
			"Whether BHuman adds subtitles to the videos. Off, the request leaves it out and the campaign's own setting applies.",
		hint: "BHuman's current API reference no longer lists this option: a campaign may ignore it",
	},
	{
		displayName: 'Generation Mode',
		name: 'generationMode',
		type: 'options',
		options: [
			{
				name: 'Keep Original',
				value: 'keep_original',
				description: "Keep the campaign's recording and replace only the variables",
			},
			{
				name: 'Full Script',
				value: 'full_script',
				description: 'Generate the whole script with the personalized values',
			},
		],
		default: 'keep_original',
		description:
			'How BHuman renders each video. Always sent (BHuman asks clients to send it); Keep Original is also what BHuman uses when it is missing.',
	},
];

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['campaign'], operation: ['generate'] } },
	[
		{ ...campaignLocator, description: 'The campaign to generate videos for' },
		...rowProperties,
		...backgroundProperties,
		...deliveryProperties,
	],
);

const GENERATION_MODES = ['keep_original', 'full_script'];

/**
 * BHuman's Background. Its config carries the settings the user set (BHuman's own defaults apply
 * to the others: brightness 1, similarity 0.1, scale 0.4), and always a mode, which every
 * version of BHuman's reference marks required (Circle when not set). The colour goes as BHuman
 * documents it: six hex digits without '#' (00FF00). Numbers must be finite (JSON would send NaN
 * as null).
 */
function readBackgrounds(this: IExecuteFunctions): IDataObject[] {
	const list = this.getNodeParameter('backgrounds.background', 0, []) as IDataObject[];
	const invalid = (message: string) =>
		new NodeOperationError(this.getNode(), `Invalid item 0: ${message}`, {
			itemIndex: 0,
			description: 'Nothing was sent to BHuman.',
		});
	return list.map(({ name, kind, start, end, config }, index) => {
		const settings: IDataObject = { mode: 'circle', ...(config as IDataObject | undefined) };
		const numbers = { Start: start, End: end, ...settings };
		for (const [field, value] of Object.entries(numbers)) {
			if (typeof value === 'number' && !Number.isFinite(value)) {
				throw invalid(`Background ${index + 1}'s ${field} is ${value}: it must be a number`);
			}
		}
		if (settings.color !== undefined) {
			const hex = /^#?([0-9a-f]{6}|[0-9a-f]{3})$/i.exec(String(settings.color).trim());
			if (!hex) {
				throw invalid(
					`Background ${index + 1}'s Color is "${String(settings.color).slice(0, 20)}": it must be a hex colour such as #00FF00`,
				);
			}
			const digits = hex[1].length === 3 ? hex[1].replace(/./g, '$&$&') : hex[1];
			settings.color = digits.toUpperCase();
		}
		return { ...(name ? { name } : {}), kind, start, end, config: settings };
	});
}

/** POST /api/ai_studio/pipeline/campaign: the campaign's video, one per row. */
export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]) {
	refuseGenerateRetry.call(this); // before anything is read, as executeGenerate does
	const backgrounds = readBackgrounds.call(this);
	const enableLipsync = this.getNodeParameter('enableLipsync', 0, false) as boolean;
	const enableSubtitles = this.getNodeParameter('enableSubtitles', 0, false) as boolean;
	const generationMode = this.getNodeParameter('generationMode', 0, 'keep_original');
	if (!GENERATION_MODES.includes(generationMode as string)) {
		throw new NodeOperationError(
			this.getNode(),
			`Invalid item 0: Generation Mode is "${String(generationMode).slice(0, 40)}": it must be keep_original or full_script`,
			{ itemIndex: 0, description: 'Nothing was sent to BHuman.' },
		);
	}
	return await executeGenerate.call(this, items, {
		path: '/api/ai_studio/pipeline/campaign',
		bodyField: 'campaign_id',
		outputField: 'campaignId',
		listAll: 'Campaign → Get Generated Videos for campaign',
		list: { path: '/api/ai_studio/generated_video_by_campaign_id', param: 'campaign_id' },
		locator: campaignLocator,
		assetsPerRow: backgrounds.length,
		extraBody: (batch) => ({
			...(backgrounds.length > 0
				? { backgrounds, assets: batch.map((row) => row.assets ?? []) }
				: {}),
			enable_lipsync: enableLipsync,
			// Sent always: BHuman's 2026-10-02 reference asks clients to send it explicitly.
			generation_mode: generationMode,
			// Sent only when on (BHuman's reference lists it as optional).
			...(enableSubtitles === true ? { enable_subtitles: true } : {}),
		}),
	});
}
