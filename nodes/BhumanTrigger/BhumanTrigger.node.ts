import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import { respond } from '../shared/respond';
import { fetchGeneration } from '../shared/video';
import {
	callbackQuery,
	parseCallback,
	videoEvent,
	type CallbackRequest,
} from '../shared/callbackBody';
import { checkToken, tokenProblem } from '../shared/token';
import { callbackOutput, filterOf, WHATSAPP_READY } from './callback';
import { cacheScope, deliveryKey, remember, seenBefore } from './deliveries';
import { isSaved, requireCredential, save, saveUrlProperty } from './register';

/** Refused: answered with the status and reason, no execution. */
function refuse(this: IWebhookFunctions, status: number, reason: string): IWebhookResponseData {
	return respond.call(this, status, { result: 'rejected', reason });
}

/** Acknowledged with 200, nothing started. */
function ignore(
	this: IWebhookFunctions,
	reason: string,
	id: string,
	event: string,
): IWebhookResponseData {
	return respond.call(this, 200, { result: 'ignored', reason, id, event });
}

type Verification =
	| { outcome: 'known'; record: IDataObject }
	| { outcome: 'unknown' }
	| { outcome: 'failed'; httpCode?: string };

/** BHuman's own record of a generation, fetched with the node's credential. */
async function verifyWithBHuman(this: IWebhookFunctions, id: string): Promise<Verification> {
	let data: IDataObject;
	try {
		data = await fetchGeneration.call(this, id);
	} catch (error) {
		const httpCode = (error as { httpCode?: unknown }).httpCode;
		const code = typeof httpCode === 'string' ? httpCode : undefined;
		// 404: no such generation. 400/422: not an id BHuman could have issued.
		if (code === '404' || code === '400' || code === '422') return { outcome: 'unknown' };
		return { outcome: 'failed', httpCode: code };
	}
	if (data.id !== undefined && String(data.id).toLowerCase() !== id.toLowerCase())
		return { outcome: 'unknown' };
	if (typeof data.status !== 'string' || data.status === '') return { outcome: 'failed' };
	return { outcome: 'known', record: data };
}

export class BhumanTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'BHuman Trigger',
		name: 'bhumanTrigger',
		icon: { light: 'file:../../icons/bhuman.svg', dark: 'file:../../icons/bhuman.dark.svg' },
		group: ['trigger'],
		// 1.1: n8n evaluates an extra expression on every request for a version-1 webhook start
		// node (its binary-data option); from 1.1 it parses JSON bodies directly. Same behaviour.
		version: [1, 1.1], // the editor adds the last one
		subtitle: '={{"On " + ($parameter["events"] || []).join(", ")}}',
		description: 'Starts the workflow when BHuman calls back about a generated video',
		defaults: { name: 'BHuman Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		// Needed by Verify With BHuman or Save This URL in BHuman (n8n's displayOptions cannot say
		// "either"): optional here, and activation refuses either option without it.
		credentials: [{ name: 'bhumanApi', required: false }],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				// '' (not unset): n8n then answers with the node's webhookResponse instead of its
				// responseData default, the literal text "firstEntryJson".
				responseData: '',
				path: 'bhuman',
			},
		],
		triggerPanel: {
			header:
				"Copy the Production URL below into the Callback URL of the BHuman node's Generate operation (add ?token=<your token> when a Token is set)",
			executionsHelp: {
				inactive:
					"<b>While building your workflow</b>, click 'Listen for test event' and put the Test URL (plus ?token=… when a Token is set) into a Generate's Callback URL: the next callback shows up in this editor.<br /><br /><b>Once you're happy with your workflow</b>, <a data-key='activate'>activate</a> it and put the <b>Production URL</b> into the Callback URL instead: <code>&lt;Production URL&gt;?token=&lt;your token&gt;</code>. Or turn on <b>Save This URL in BHuman</b> to save it in BHuman's saved webhooks on activation. Each generated video then starts one execution, shown in the <a data-key='executions'>executions list</a>, not in the editor.",
				active:
					"<b>While building your workflow</b>, click 'Listen for test event' and put the Test URL (plus ?token=… when a Token is set) into a Generate's Callback URL: the next callback shows up in this editor.<br /><br /><b>Your workflow also runs automatically</b>, since it is active: every callback to the <b>Production URL</b> (<code>&lt;Production URL&gt;?token=&lt;your token&gt;</code>, in a Generate's Callback URL) starts one execution, shown in the <a data-key='executions'>executions list</a>, not in the editor.",
			},
			activationHint:
				"Once you've finished building your workflow, activate it and put its Production URL into the Callback URL of the BHuman node's Generate operation: the Test URL answers only while n8n listens for a test event.",
		},
		properties: [
			{
				displayName:
					'Anyone who learns this URL can start this workflow with any data: set a Token, or turn on Verify With BHuman',
				name: 'unprotectedNotice',
				type: 'notice',
				default: '',
				displayOptions: { hide: { token: [{ _cnd: { exists: true } }], verify: [true] } },
			},
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				required: true,
				options: [
					{
						name: 'Other Status',
						value: 'other',
						description: 'A callback with any other status or event (e.g. processing)',
					},
					{
						name: 'Video Failed',
						value: 'video.failed',
						description: 'A generation ended with status failed',
					},
					{
						name: 'Video Succeeded',
						value: 'video.succeeded',
						description:
							"A generation ended with status succeeded (or completed, as some of BHuman's sources name it): its page, MP4, thumbnail and GIF are ready",
					},
					{
						name: 'WhatsApp Video Ready',
						value: 'whatsapp.ready',
						description:
							'The WhatsApp version of a succeeded video is ready (campaigns with WhatsApp enabled)',
					},
				],
				default: ['video.failed', 'video.succeeded'],
				description:
					'Callbacks that start the workflow. Others are acknowledged to BHuman and start nothing.',
			},
			// The character rule is checked on activation (checkExists), not by a notice: a regex
			// display condition costs n8n a vm run each time it builds the workflow, several times
			// per callback (~2.5 ms of CPU each callback, measured with `npm run bench`).
			{
				displayName: 'Token',
				name: 'token',
				type: 'string',
				typeOptions: { password: true },
				default: '',
				description:
					'Optional shared secret: letters, digits and - . _ ~ only (with any other character the workflow does not activate). When set, a callback must carry it in the URL (?token=…) or in an X-BHuman-Token header: without it the callback is refused with 401, with a wrong one with 403, and nothing starts.',
			},
			{
				displayName: 'Verify With BHuman',
				name: 'verify',
				type: 'boolean',
				default: false,
				description:
					"Whether to fetch each generation from BHuman (with the credential) before starting. A callback for an ID BHuman does not know is refused with 403, and the workflow gets BHuman's own status and URLs instead of the posted ones.",
			},
			saveUrlProperty,
			{
				displayName: 'Ignore Repeated Deliveries',
				name: 'ignoreRepeats',
				type: 'boolean',
				default: true,
				description:
					'Whether to acknowledge, without starting the workflow, a callback whose event and generation ID already started it. The last 2,000 are remembered.',
			},
		],
	};

	// n8n's webhook lifecycle. n8n runs checkExists when the workflow is activated or listens for
	// a test event: it refuses a token that cannot go into a URL, then (Save This URL in BHuman)
	// lists BHuman's saved webhooks; create saves the URL (register.ts). BHuman has no endpoint to
	// delete a saved webhook, so delete has nothing to do. n8n's community-node lint
	// (webhook-lifecycle-complete) requires all three.
	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const problem = tokenProblem(this.getNodeParameter('token', '') as string);
				if (problem) throw new NodeOperationError(this.getNode(), problem);
				requireCredential.call(this);
				return await isSaved.call(this);
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return await save.call(this);
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		// 1. The token, before anything in the body is looked at (read also where BHuman appended
		// `?id=` to the URL's query).
		const query = callbackQuery(this.getQueryData() as IDataObject);
		const token = this.getNodeParameter('token', '') as string;
		if (token !== '') {
			const check = checkToken(token, query, this.getHeaderData() as IDataObject);
			if (check === 'missing') return refuse.call(this, 401, 'This callback needs a token');
			if (check === 'wrong') return refuse.call(this, 403, 'The token is wrong');
		}

		// 2. The body: a JSON object with a status or event, and an id (its own, or the URL's).
		const parsed = parseCallback(this.getRequestObject() as unknown as CallbackRequest, query.id);
		if (!parsed.ok) return refuse.call(this, 400, parsed.reason);
		const { body } = parsed;
		let { id, event } = parsed;

		const events = this.getNodeParameter('events', []) as string[];
		const ignoreRepeats = this.getNodeParameter('ignoreRepeats', true) as boolean;
		const staticData = this.getWorkflowStaticData('node');
		// The process-wide cache serves production callbacks only: test runs save no static data
		// and remember nothing, as before.
		const scope =
			this.getMode() === 'manual'
				? undefined
				: cacheScope(this.getWorkflow().id, this.getNode().name);
		const repeated = (key: string) => ignoreRepeats && seenBefore(staticData, key, scope);

		// 3. Cheap answers first: an unselected event or a known repeat costs no API call.
		if (!events.includes(filterOf(event)))
			return ignore.call(this, 'event not selected', id, event);
		if (repeated(deliveryKey(event, id))) return ignore.call(this, 'repeated delivery', id, event);

		// 4. Verification: BHuman's record replaces what was posted.
		let source = body;
		const verify = this.getNodeParameter('verify', false) as boolean;
		if (verify) {
			const verification = await verifyWithBHuman.call(this, id);
			if (verification.outcome === 'unknown') {
				return refuse.call(this, 403, 'BHuman does not know this generation');
			}
			if (verification.outcome === 'failed') {
				const code = verification.httpCode ? ` (HTTP ${verification.httpCode})` : '';
				return refuse.call(this, 502, `Could not verify this callback with BHuman${code}`);
			}
			const { record } = verification;
			// The key of a verified delivery is BHuman's own record id.
			if (typeof record.id === 'string' && record.id !== '') id = record.id.toLowerCase();
			if (event === WHATSAPP_READY) {
				const url = record.whatsapp_video_url;
				if (typeof url !== 'string' || url === '') {
					return refuse.call(this, 403, 'BHuman has no WhatsApp video for this generation');
				}
			} else if (event.startsWith('video.')) {
				event = videoEvent(record.status as string);
				if (!events.includes(filterOf(event)))
					return ignore.call(this, 'event not selected', id, event);
			}
			// Asked again after the wait: a copy accepted meanwhile by this process is known now.
			if (repeated(deliveryKey(event, id)))
				return ignore.call(this, 'repeated delivery', id, event);
			source = record;
		}

		// 5. Accepted: remembered, one execution with one item. n8n answers 200 with this body:
		// n8n 2.x once it has created the execution (so a 200 means the callback is recorded),
		// 1.x just before. Either way n8n saves the static data (the memory) before answering.
		if (ignoreRepeats) remember(staticData, deliveryKey(event, id), scope);
		return {
			webhookResponse: { result: 'accepted', id, event },
			workflowData: [[{ json: callbackOutput(id, event, body, source, verify) }]],
		};
	}
}
