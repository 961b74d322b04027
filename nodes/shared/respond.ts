/**
 * How the BHuman node's waiting webhook and the trigger answer a callback: with their own status
 * and JSON body, written here, so that n8n does not answer again.
 */
import type { IDataObject, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

/** The part of n8n's response object a webhook answers with. */
interface WebhookAnswer {
	writeHead(status: number, headers: Record<string, string>): unknown;
	end(body: string): unknown;
}

/**
 * Answers the call here, with our status and JSON body, and tells n8n not to answer again: for a
 * callback that starts or resumes nothing.
 */
export function respond(
	this: IWebhookFunctions,
	status: number,
	body: IDataObject,
): IWebhookResponseData {
	const res = this.getResponseObject() as unknown as WebhookAnswer;
	res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
	res.end(JSON.stringify(body));
	return { noWebhookResponse: true };
}
