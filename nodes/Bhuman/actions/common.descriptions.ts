/**
 * Parameter descriptions several operations share: ID locators, Return All / Limit, downloading,
 * and the rows and delivery of the generate operations.
 */
import type { INodeProperties } from 'n8n-workflow';
import {
	DEFAULT_REUSE_HOURS,
	MAX_BATCH_SIZE,
	MAX_CALLBACK_ROWS,
	MAX_REUSE_HOURS,
} from '../helpers/generate';
import { CAMPAIGN_URL_REGEX, INSTANCE_URL_REGEX, UUID } from '../helpers/ids';
import { DEFAULT_MAX_DOWNLOAD_MB } from '../helpers/wait';

interface LocatorOptions {
	displayName: string;
	name: string;
	searchListMethod: string;
	example: string;
	description?: string;
	required?: boolean;
	/** BHuman app URLs that hold this kind of ID, if any. */
	url?: { regex: string; example: string; errorMessage: string };
}

/** An ID as a resource locator: From List, By ID (UUID checked in the UI) and, where BHuman has one, By URL. */
function idLocator(options: LocatorOptions): INodeProperties {
	return {
		displayName: options.displayName,
		name: options.name,
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: options.required ?? true,
		description: options.description,
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: `Select a ${options.displayName.toLowerCase()}...`,
				typeOptions: { searchListMethod: options.searchListMethod, searchable: true },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: `e.g. ${options.example}`,
				validation: [
					{
						type: 'regex',
						properties: {
							regex: `^\\s*${UUID}\\s*$`,
							errorMessage: 'Not a valid ID: expected a UUID',
						},
					},
				],
			},
			...(options.url
				? [
						{
							displayName: 'By URL',
							name: 'url',
							type: 'string' as const,
							placeholder: `e.g. ${options.url.example}`,
							extractValue: { type: 'regex' as const, regex: options.url.regex },
							validation: [
								{
									type: 'regex' as const,
									properties: {
										regex: `${options.url.regex}.*`,
										errorMessage: options.url.errorMessage,
									},
								},
							],
						},
					]
				: []),
		],
	};
}

export const videoInstanceLocator = idLocator({
	displayName: 'Video Instance',
	name: 'videoInstanceId',
	searchListMethod: 'searchVideoInstances',
	example: '7d859e18-dc89-446f-9718-9533bb178a75',
	description: 'The video instance (the template video with its variables)',
	url: {
		regex: INSTANCE_URL_REGEX,
		example: 'https://app.bhuman.ai/instance/7d859e18-dc89-446f-9718-9533bb178a75',
		errorMessage:
			'Not a BHuman video instance URL: paste one like https://app.bhuman.ai/instance/ followed by its ID',
	},
});

export const campaignLocator = idLocator({
	displayName: 'Campaign',
	name: 'campaignId',
	searchListMethod: 'searchCampaigns',
	example: 'b3d2bfa8-fa75-49ed-9f8b-bb13452f49fd',
	url: {
		regex: CAMPAIGN_URL_REGEX,
		example: 'https://app.bhuman.ai/campaign/generatedVideos/b3d2bfa8-fa75-49ed-9f8b-bb13452f49fd',
		errorMessage:
			'Not a BHuman campaign URL: paste one like https://app.bhuman.ai/campaign/generatedVideos/ followed by its ID',
	},
});

export const workspaceLocator = idLocator({
	displayName: 'Workspace',
	name: 'workspaceId',
	searchListMethod: 'searchWorkspaces',
	example: '0b1c2d3e-4f50-4a6b-8c7d-8e9fa0b1c2d3',
});

export const productLocator = idLocator({
	displayName: 'Product',
	name: 'productId',
	searchListMethod: 'searchProducts',
	example: '5f0c7a3e-2b1d-4c9e-8f6a-1d2e3f4a5b6c',
	description: 'The store product to use',
});

export const speakeasyProjectLocator = idLocator({
	displayName: 'Speakeasy Project',
	name: 'projectId',
	searchListMethod: 'searchSpeakeasyProjects',
	example: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
	description: 'The Speakeasy project to import',
});

export const folderLocator = idLocator({
	displayName: 'Folder',
	name: 'folderId',
	searchListMethod: 'searchFolders',
	example: '3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d',
	description: 'A folder holding video instances',
	required: false,
});

/** Return All / Limit of a Get Many operation (displayOptions added by updateDisplayOptions). */
export const returnAllOrLimit: INodeProperties[] = [
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		displayOptions: { show: { returnAll: [false] } },
		typeOptions: { minValue: 1 },
		default: 50,
		description: 'Max number of results to return',
	},
];

/**
 * Download Video and its binary property, for Video → Get and (shown only
 * while waiting) the generate operations.
 */
export function downloadVideoProperties(
	show: Record<string, Array<boolean | string>> = {},
): INodeProperties[] {
	return [
		{
			displayName: 'Download Video',
			name: 'downloadVideo',
			type: 'boolean',
			default: false,
			...(Object.keys(show).length ? { displayOptions: { show } } : {}),
			description:
				'Whether to put the MP4 of each succeeded video into a binary property of its item',
		},
		{
			displayName: 'Put Video in Field',
			name: 'binaryPropertyName',
			type: 'string',
			default: 'data',
			required: true,
			displayOptions: { show: { ...show, downloadVideo: [true] } },
			description: 'The name of the binary property to put the MP4 in',
		},
		{
			displayName: 'Max Download Size (MB)',
			name: 'maxDownloadSize',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: DEFAULT_MAX_DOWNLOAD_MB,
			displayOptions: { show: { ...show, downloadVideo: [true] } },
			description:
				'A larger video is not downloaded: its item fails with an error naming the generation. For many or large downloads, run n8n with N8N_DEFAULT_BINARY_DATA_MODE=filesystem.',
		},
	];
}

/** The rows of Video → Generate and Campaign → Generate: mapped from items, or JSON. */
export const rowProperties: INodeProperties[] = [
	{
		displayName: 'Input Mode',
		name: 'inputMode',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Map Each Item to a Row',
				value: 'mapping',
				description: 'Each input item is one recipient; set each variable from the item',
			},
			{
				name: 'JSON (Variables and Names)',
				value: 'json',
				description:
					"Give BHuman's variables and names arrays directly (advanced users, AI agents)",
			},
		],
		default: 'mapping',
	},
	{
		displayName: 'Variables',
		name: 'variables',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		placeholder: 'Add Variable',
		default: {},
		displayOptions: { show: { inputMode: ['mapping'] } },
		description: "The video instance's variables and, for each item, what to say",
		options: [
			{
				name: 'variable',
				displayName: 'Variable',
				values: [
					{
						displayName: 'Name',
						name: 'name',
						type: 'string',
						default: '',
						placeholder: 'e.g. name',
						description: 'Variable name as in the video instance, e.g. name or company',
					},
					{
						displayName: 'Value',
						name: 'value',
						type: 'string',
						default: '',
						placeholder: 'e.g. {{ $json.first_name }}',
						description:
							'What this recipient gets: usually an expression that reads a field of the input item',
					},
				],
			},
		],
	},
	{
		displayName: 'Variables (JSON)',
		name: 'variablesJson',
		type: 'json',
		default: '["name", "company"]',
		required: true,
		displayOptions: { show: { inputMode: ['json'] } },
		description: 'Variable names, e.g. ["name", "company"]',
	},
	{
		displayName: 'Names (JSON)',
		name: 'namesJson',
		type: 'json',
		default: '[["Don", "Apple"], ["James", "Google"]]',
		required: true,
		displayOptions: { show: { inputMode: ['json'] } },
		description: 'One row per video, one value per variable. Each row becomes one output item.',
	},
];

/** Where the videos go, batching and waiting, of both generate operations. */
export const deliveryProperties: INodeProperties[] = [
	{
		displayName: 'Callback URL',
		name: 'callbackUrl',
		type: 'string',
		default: '',
		placeholder: 'e.g. https://n8n.example.com/webhook/…/bhuman?token=…',
		// Until BHuman Calls Back sets the callback URL itself (this execution's resume URL).
		displayOptions: { hide: { waitMethod: ['callback'] } },
		description:
			'Where BHuman POSTs each finished video: the Production URL of a BHuman Trigger node (with its token). Leave empty to wait here or fetch the videos later.',
	},
	{
		displayName: 'Batch Size',
		name: 'batchSize',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: MAX_BATCH_SIZE },
		default: 100,
		description: `Rows sent in one request (BHuman takes up to ${MAX_BATCH_SIZE}). The items of a run go out in as few requests as this allows.`,
	},
	{
		displayName: 'Wait for Completion',
		name: 'waitForCompletion',
		type: 'boolean',
		default: false,
		description:
			'Whether to wait until each video has succeeded or failed, and output the video URLs',
	},
	{
		displayName: 'How to Wait',
		name: 'waitMethod',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { waitForCompletion: [true] } },
		options: [
			{
				name: 'By Polling BHuman',
				value: 'poll',
				description:
					'Ask BHuman every Poll Interval. The execution keeps running (in queue mode it holds a worker slot) until the videos are done. Works wherever n8n can reach BHuman.',
			},
			{
				name: 'Until BHuman Calls Back',
				value: 'callback',
				description: `The execution pauses, holding no memory and no worker, and resumes when BHuman has called back for every video: n8n must be reachable from BHuman (its public URL). At most ${MAX_CALLBACK_ROWS} rows per run, one row per item.`,
			},
		],
		default: 'poll',
	},
	{
		displayName:
			"The execution pauses until BHuman has called back for every video, then outputs them all with BHuman's records. BHuman calls this execution's own resume URL (n8n's public URL, WEBHOOK_URL), so n8n must be reachable from the internet. To attach the MP4 files, add a BHuman node after this one: Video → Get of each output item's generation, with Download Video on.",
		name: 'callbackNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { waitForCompletion: [true], waitMethod: ['callback'] } },
	},
	{
		displayName: 'Poll Interval (Seconds)',
		name: 'pollInterval',
		type: 'number',
		typeOptions: { minValue: 1, numberPrecision: 1 },
		default: 10,
		displayOptions: { show: { waitForCompletion: [true], waitMethod: ['poll'] } },
		description: 'How often to ask BHuman about unfinished videos (at least every second)',
	},
	{
		displayName: 'Max Wait (Minutes)',
		name: 'maxWait',
		type: 'number',
		typeOptions: { minValue: 0.01, numberPrecision: 2 },
		default: 15,
		displayOptions: { show: { waitForCompletion: [true] } },
		description:
			'After this, unfinished videos are output with their generation ID and timedOut set to true (Until BHuman Calls Back: n8n ends the wait up to 2.5 minutes later)',
	},
	...downloadVideoProperties({ waitForCompletion: [true], waitMethod: ['poll'] }),
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Allow Empty Values',
				name: 'allowEmptyValues',
				type: 'boolean',
				default: false,
				description:
					'Whether a variable may be empty. Off, an empty value stops the run before anything is sent.',
			},
			{
				displayName: 'Max Concurrent Polls',
				name: 'pollConcurrency',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 100 },
				default: 20,
				description: 'How many generations are polled at once while waiting',
			},
			{
				displayName: 'Reuse Videos BHuman Already Made',
				name: 'reuseVideos',
				type: 'boolean',
				default: false,
				description:
					'Whether a row gets a video BHuman already made instead of a new, paid one: same video instance or campaign, same values, made within Reuse Window. A succeeded video is taken first, else one still rendering (waited for like a new one); a failed one is never reused, a new one is made. Reused items have reused: true and batch 0. BHuman compares values only (not assets or backgrounds). Needs BHuman to serve its list of generated videos to the API key: where it does not, the run stops before sending anything.',
			},
			{
				displayName: 'Reuse Window (Hours)',
				name: 'reuseWindow',
				type: 'number',
				typeOptions: { minValue: 0.01, maxValue: MAX_REUSE_HOURS, numberPrecision: 2 },
				default: DEFAULT_REUSE_HOURS,
				description:
					'With Reuse Videos BHuman Already Made: how far back a video counts as already made',
			},
			{
				displayName: 'Send Unsure Rows Again',
				name: 'sendUnsureRows',
				type: 'boolean',
				default: false,
				description:
					'Whether a retry sends rows whose earlier send got no clear answer (no answer, a 5xx, a timeout) when BHuman does not let the API key read its list to check them. BHuman may have made them: they may be paid twice. Off, such a retry stops before sending anything and names the rows.',
			},
		],
	},
];
