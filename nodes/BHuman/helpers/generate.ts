/**
 * What Video → Generate and Campaign → Generate share: the row parameters,
 * batching, the never-retried generate POST, waiting and downloading.
 */
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { bhumanApiRequest } from '../transport';
import { downloadVideoProperties } from './descriptions';
import { itemLabel } from './ids';
import { readRows, toBatches, type Row, type RowOptions } from './rows';
import { errorJson, toNodeError } from './utils';
import { normalizeVideo } from './video';
import { attachVideo, readMaxDownloadBytes, waitForGenerations, type WaitResult } from './wait';

/** BHuman takes at most this many rows in one generate request. */
export const MAX_BATCH_SIZE = 2000;

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

export const deliveryProperties: INodeProperties[] = [
	{
		displayName: 'Callback URL',
		name: 'callbackUrl',
		type: 'string',
		default: '',
		placeholder: 'e.g. https://n8n.example.com/webhook/…/bhuman?token=…',
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
			'Whether to poll BHuman until each video has succeeded or failed, and output the video URLs',
	},
	{
		displayName: 'Poll Interval (Seconds)',
		name: 'pollInterval',
		type: 'number',
		typeOptions: { minValue: 0.1, numberPrecision: 1 },
		default: 10,
		displayOptions: { show: { waitForCompletion: [true] } },
		description: 'How often to ask BHuman about unfinished videos',
	},
	{
		displayName: 'Max Wait (Minutes)',
		name: 'maxWait',
		type: 'number',
		typeOptions: { minValue: 0, numberPrecision: 2 },
		default: 15,
		displayOptions: { show: { waitForCompletion: [true] } },
		description:
			'After this, unfinished videos are output with their last status and timedOut set to true',
	},
	...downloadVideoProperties({ waitForCompletion: [true] }),
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
		],
	},
];

export interface GenerateTarget extends RowOptions {
	path: string;
	/** Field of the request body that names the target (video_instance_id, campaign_id). */
	bodyField: string;
	/** Field of the output items that names the target (videoInstanceId, campaignId). */
	outputField: string;
	/** Extra body fields of a batch (campaign: assets, backgrounds, lip sync). */
	extraBody?: (batch: Row[]) => IDataObject;
}

interface Accepted {
	row: Row;
	id: string;
	batch: number;
	rowIndex: number;
}

/** Adds to an error what BHuman had already accepted, so no paid generation is lost with it. */
function withAccepted(
	error: NodeApiError | NodeOperationError,
	failed: string,
	accepted: Accepted[],
	unanswered?: string,
) {
	error.message = `${failed}: ${error.message}`;
	const parts = [error.description ?? ''];
	if (unanswered && !(error as NodeApiError).httpCode) {
		parts.push(
			`BHuman may or may not have received ${unanswered}. It was not sent again, since generation is paid: check BHuman before re-running these items.`,
		);
	}
	if (accepted.length > 0) {
		parts.push(
			`BHuman accepted ${accepted.length} generations before this batch; they are rendering, so do not send them again:\n${accepted
				.map((entry) => `${itemLabel(entry.row.itemIndex)}: ${entry.id}`)
				.join('\n')}`,
		);
	} else {
		parts.push('BHuman accepted no generation in this run.');
	}
	error.description = parts.filter(Boolean).join('\n\n');
	return error;
}

function resultIds(body: unknown): string[] | undefined {
	const result = (body as IDataObject | undefined)?.result;
	return Array.isArray(result) && result.every((id) => typeof id === 'string')
		? (result as string[])
		: undefined;
}

/**
 * Validates all items, sends their rows in batches, optionally waits and
 * downloads, and returns one output item per row in input order.
 */
export async function executeGenerate(
	this: IExecuteFunctions,
	items: INodeExecutionData[],
	target: GenerateTarget,
): Promise<INodeExecutionData[]> {
	const continueOnFail = this.continueOnFail();
	const { variables, rows, invalid } = readRows.call(this, items, target);

	if (invalid.size > 0 && !continueOnFail) {
		const [first] = invalid.values();
		if (invalid.size > 1) {
			first.description = `${first.description ?? ''} ${invalid.size - 1} other items are invalid too: ${[
				...invalid.keys(),
			]
				.slice(1, 21)
				.map(itemLabel)
				.join(', ')}${invalid.size > 21 ? ', …' : ''}.`;
		}
		throw first;
	}

	const batchSize = this.getNodeParameter('batchSize', 0, 100) as number;
	if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
		throw new NodeOperationError(
			this.getNode(),
			`Batch Size must be a whole number from 1 to ${MAX_BATCH_SIZE}`,
		);
	}
	const batches = toBatches(rows, batchSize);
	// Read before the first POST: a bad value must stop the run before anything is paid for.
	const maxDownloadBytes =
		this.getNodeParameter('waitForCompletion', 0, false) &&
		this.getNodeParameter('downloadVideo', 0, false)
			? readMaxDownloadBytes.call(this, 0)
			: 0;

	const accepted: Accepted[] = [];
	const acceptedByRow = new Map<Row, Accepted>();
	const failedRows = new Map<Row, NodeApiError | NodeOperationError>();

	for (const [index, batch] of batches.entries()) {
		const body: IDataObject = {
			[target.bodyField]: batch[0].targetId,
			variables,
			names: batch.map((row) => row.values),
			...(batch[0].callbackUrl ? { callback_url: batch[0].callbackUrl } : {}),
			...target.extraBody?.(batch),
		};
		let ids: string[] | undefined;
		try {
			const response = await bhumanApiRequest.call(this, 'POST', target.path, {
				body,
				itemIndex: batch[0].itemIndex,
				notFound: `${target.targetLabel} ${batch[0].targetId}`,
			});
			ids = resultIds(response);
			if (!ids || ids.length !== batch.length) {
				throw new NodeApiError(this.getNode(), (response ?? {}) as never, {
					message: `BHuman answered ${ids?.length ?? 'no'} generation IDs for ${batch.length} rows`,
					description: `Its answer: ${JSON.stringify(response).slice(0, 2000)}`,
					itemIndex: batch[0].itemIndex,
				});
			}
		} catch (caught) {
			const error = withAccepted(
				toNodeError.call(this, caught, batch[0].itemIndex),
				`Batch ${index + 1} of ${batches.length} failed`,
				accepted,
				`batch ${index + 1}`,
			);
			if (!continueOnFail) throw error;
			for (const row of batch) failedRows.set(row, error);
			continue;
		}
		batch.forEach((row, rowIndex) => {
			const entry = { row, id: ids![rowIndex], batch: index + 1, rowIndex };
			accepted.push(entry);
			acceptedByRow.set(row, entry);
		});
	}

	const wait = this.getNodeParameter('waitForCompletion', 0, false) as boolean;
	let waited: Map<string, WaitResult> | undefined;
	if (wait && accepted.length > 0) {
		waited = await waitForGenerations.call(
			this,
			accepted.map((entry) => entry.id),
			{
				pollIntervalMs: (this.getNodeParameter('pollInterval', 0, 10) as number) * 1000,
				maxWaitMs: (this.getNodeParameter('maxWait', 0, 15) as number) * 60_000,
				concurrency: this.getNodeParameter('options.pollConcurrency', 0, 20) as number,
			},
		);
	}

	const rowsByItem = new Map<number, Row[]>();
	for (const row of rows) {
		const list = rowsByItem.get(row.itemIndex);
		if (list) list.push(row);
		else rowsByItem.set(row.itemIndex, [row]);
	}
	const download = wait && (this.getNodeParameter('downloadVideo', 0, false) as boolean);
	const binaryPropertyName = download
		? (this.getNodeParameter('binaryPropertyName', 0, 'data') as string)
		: '';

	const returnData: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const invalidError = invalid.get(itemIndex);
		if (invalidError) {
			returnData.push({ json: errorJson(invalidError), pairedItem: { item: itemIndex } });
			continue;
		}
		for (const row of rowsByItem.get(itemIndex) ?? []) {
			const sent: IDataObject = {
				variables: Object.fromEntries(variables.map((name, column) => [name, row.values[column]])),
				[target.outputField]: row.targetId,
			};
			const entry = acceptedByRow.get(row);
			if (!entry) {
				returnData.push({
					json: { ...errorJson(failedRows.get(row)!), ...sent },
					pairedItem: { item: itemIndex },
				});
				continue;
			}
			const result = waited?.get(entry.id);
			const json: IDataObject = {
				...(result?.record ? normalizeVideo(result.record) : {}),
				id: entry.id,
				status: (result?.record?.status as string | undefined) ?? 'accepted',
				rowIndex: entry.rowIndex,
				batch: entry.batch,
				...sent,
			};
			if (result) {
				json.timedOut = result.timedOut;
				json.polls = result.polls;
				if (result.pollError) json.pollError = result.pollError;
			}
			const item: INodeExecutionData = { json, pairedItem: { item: itemIndex } };
			if (download && json.status === 'succeeded' && typeof json.mp4Url === 'string') {
				try {
					await attachVideo.call(
						this,
						item,
						entry.id,
						json.mp4Url,
						binaryPropertyName,
						itemIndex,
						maxDownloadBytes,
					);
				} catch (caught) {
					const error = toNodeError.call(this, caught, itemIndex);
					if (!continueOnFail) {
						throw withAccepted(
							error,
							`Downloading the video of ${itemLabel(itemIndex)} failed`,
							accepted,
						);
					}
					Object.assign(json, errorJson(error));
				}
			}
			returnData.push(item);
		}
	}
	return returnData;
}
