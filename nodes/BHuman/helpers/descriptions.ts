/** Shared parameter descriptions: ID locators and the Return All / Limit pair. */
import type { INodeProperties } from 'n8n-workflow';
import { CAMPAIGN_URL_REGEX, INSTANCE_URL_REGEX, UUID } from './ids';

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
		errorMessage: 'Not a BHuman video instance URL (https://app.bhuman.ai/instance/<ID>)',
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
		errorMessage: 'Not a BHuman campaign URL (https://app.bhuman.ai/campaign/generatedVideos/<ID>)',
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

/** Max Download Size's default, in MB (1 MB = 1,000,000 bytes). */
export const DEFAULT_MAX_DOWNLOAD_MB = 500;

/**
 * Download Video and its binary property, for Video → Get and (shown only
 * while waiting) the generate operations.
 */
export function downloadVideoProperties(show: Record<string, boolean[]> = {}): INodeProperties[] {
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
