import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';
import {
	executeGenerate,
	finishResumedGenerate,
	refuseGenerateRetry,
} from '../../helpers/generate';
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
								default: 0,
							},
							{
								displayName: 'Color',
								name: 'color',
								type: 'color',
								default: '#00ff00',
								description: 'Chroma key color',
							},
							{
								displayName: 'Mode',
								name: 'mode',
								type: 'options',
								options: [
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
							},
							{
								displayName: 'Position',
								name: 'position',
								type: 'options',
								options: [
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
								default: 0.3,
							},
							{
								displayName: 'Similarity',
								name: 'similarity',
								type: 'number',
								default: 0.4,
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

/** BHuman's Background: config only with the settings the user set; numbers must be finite (JSON would send NaN as null). */
function readBackgrounds(this: IExecuteFunctions): IDataObject[] {
	const list = this.getNodeParameter('backgrounds.background', 0, []) as IDataObject[];
	return list.map(({ name, kind, start, end, config }, index) => {
		const numbers = { Start: start, End: end, ...(config as IDataObject | undefined) };
		for (const [field, value] of Object.entries(numbers)) {
			if (typeof value === 'number' && !Number.isFinite(value)) {
				throw new NodeOperationError(
					this.getNode(),
					`Invalid item 0: Background ${index + 1}'s ${field} is ${value}: it must be a number`,
					{ itemIndex: 0, description: 'Nothing was sent to BHuman.' },
				);
			}
		}
		return { ...(name ? { name } : {}), kind, start, end, config: config ?? {} };
	});
}

/** POST /api/ai_studio/pipeline/campaign: the campaign's video, one per row. */
export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]) {
	// The run n8n starts again after a resume with Download Video reads no parameter of its own.
	const resumed = await finishResumedGenerate.call(this, items);
	if (resumed) return resumed;
	refuseGenerateRetry.call(this); // before anything is read, as executeGenerate does
	const backgrounds = readBackgrounds.call(this);
	const enableLipsync = this.getNodeParameter('enableLipsync', 0, false) as boolean;
	const enableSubtitles = this.getNodeParameter('enableSubtitles', 0, false) as boolean;
	return await executeGenerate.call(this, items, {
		path: '/api/ai_studio/pipeline/campaign',
		bodyField: 'campaign_id',
		outputField: 'campaignId',
		listAll: 'Campaign → Get Generated Videos for campaign',
		locator: campaignLocator,
		assetsPerRow: backgrounds.length,
		extraBody: (batch) => ({
			...(backgrounds.length > 0
				? { backgrounds, assets: batch.map((row) => row.assets ?? []) }
				: {}),
			enable_lipsync: enableLipsync,
			// Sent only when on (BHuman's reference lists it as optional).
			...(enableSubtitles === true ? { enable_subtitles: true } : {}),
		}),
	});
}
