import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';
import { itemLabel } from '../../helpers/ids';
import { forEachItem, prepareEach, refuseRetryOnFail } from '../../helpers/utils';
import { bhumanApiRecords } from '../../transport';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['savedWebhook'], operation: ['create'] } },
	[
		{
			displayName: 'Name',
			name: 'name',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'e.g. CRM video links',
			description: 'How the webhook is listed in BHuman',
		},
		{
			displayName: 'Webhook URL',
			name: 'webhookUrl',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'e.g. https://example.com/hooks/bhuman',
			description: 'The http(s) URL BHuman will call',
		},
	],
);

/** True for an absolute http(s) URL. */
export function isHttpUrl(value: string): boolean {
	try {
		const url = new URL(value);
		return url.protocol === 'http:' || url.protocol === 'https:';
	} catch {
		return false;
	}
}

function webhookBody(this: IExecuteFunctions, itemIndex: number): IDataObject {
	const name = String(this.getNodeParameter('name', itemIndex, '') ?? '').trim();
	const webhook = String(this.getNodeParameter('webhookUrl', itemIndex, '') ?? '').trim();
	const refuse = (message: string, description: string) =>
		new NodeOperationError(this.getNode(), message, { itemIndex, description });
	if (name === '') {
		throw refuse(`Name of ${itemLabel(itemIndex)} is empty`, 'Give the webhook a name.');
	}
	if (!isHttpUrl(webhook)) {
		throw refuse(
			`Webhook URL of ${itemLabel(itemIndex)} is not an http(s) URL: '${webhook.slice(0, 80)}'`,
			'Use an absolute URL starting with https:// or http://.',
		);
	}
	return { name, webhook };
}

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]) {
	refuseRetryOnFail.call(this, 'Saved Webhook → Create', 'save webhooks');
	const bodies = prepareEach.call(this, items, (itemIndex) => webhookBody.call(this, itemIndex));
	return await forEachItem.call(
		this,
		items,
		async (itemIndex) =>
			await bhumanApiRecords.call(this, 'POST', '/api/ai_studio/webhook', {
				body: bodies[itemIndex](),
				itemIndex,
			}),
	);
}
