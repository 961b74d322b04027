/**
 * "Save This URL in BHuman": on activation the trigger saves its Production URL (with its token)
 * as a BHuman saved webhook, named after the workflow, unless one with that URL is already saved.
 * n8n calls these from the webhook lifecycle methods: checkExists (GET the saved webhooks) and,
 * when it answers false, create (POST one). BHuman has no endpoint to delete a saved webhook, so
 * deactivating leaves it in BHuman until it is removed in the app.
 */
import type { IHookFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { bhumanApiList, bhumanApiRequest, CREDENTIAL_TYPE } from '../Bhuman/transport';

const SAVED_WEBHOOKS = '/api/ai_studio/webhook';

export const saveUrlProperty: INodeProperties = {
	displayName: 'Save This URL in BHuman',
	name: 'saveUrl',
	type: 'boolean',
	default: false,
	description:
		"Whether to save this node's Production URL (with the token) in BHuman's saved webhooks when the workflow is activated, named after the workflow, unless it is already saved. BHuman has no API to delete it: it stays until removed in the BHuman app.",
};

/** Verify With BHuman and Save This URL in BHuman call BHuman: refuse to activate without a credential. */
export function requireCredential(this: IHookFunctions) {
	const uses = [
		this.getNodeParameter('verify', false) === true ? 'Verify With BHuman' : '',
		this.getNodeParameter('saveUrl', false) === true ? 'Save This URL in BHuman' : '',
	].filter(Boolean);
	if (uses.length && !this.getNode().credentials?.[CREDENTIAL_TYPE]) {
		throw new NodeOperationError(
			this.getNode(),
			`${uses.join(' and ')} ${uses.length > 1 ? 'need' : 'needs'} a BHuman credential`,
			{
				description:
					'Choose your BHuman account under Credential to connect with, or turn the option off.',
			},
		);
	}
}

/** Only production activations are saved: a test URL answers only while n8n listens. */
function saving(this: IHookFunctions): boolean {
	return this.getNodeParameter('saveUrl', false) === true && this.getMode() !== 'manual';
}

/** The URL BHuman must call: the Production URL, with ?token= when a token is set. */
export function callbackUrl(this: IHookFunctions): string {
	const url = this.getNodeWebhookUrl('default') as string;
	const token = this.getNodeParameter('token', '') as string;
	// checkExists has refused a token that is not URL-safe: it goes in as typed, the URL the
	// README tells users to paste.
	return token === '' ? url : `${url}?token=${token}`;
}

/** checkExists: true when there is nothing to save, or BHuman already has this URL. */
export async function isSaved(this: IHookFunctions): Promise<boolean> {
	if (!saving.call(this)) return true;
	const url = callbackUrl.call(this);
	const { records: saved } = await bhumanApiList.call(this, SAVED_WEBHOOKS);
	return saved.some((webhook) => webhook.webhook === url);
}

/** create: saves the URL (one POST, never retried). */
export async function save(this: IHookFunctions): Promise<boolean> {
	if (!saving.call(this)) return true;
	const { id, name } = this.getWorkflow();
	await bhumanApiRequest.call(this, 'POST', SAVED_WEBHOOKS, {
		body: { name: name || `n8n workflow ${id ?? ''}`.trim(), webhook: callbackUrl.call(this) },
	});
	return true;
}
