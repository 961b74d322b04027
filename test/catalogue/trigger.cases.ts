/**
 * The catalogue's trigger concern: hostile and careless callbacks and settings, what the BHuman
 * Trigger answers and that nothing starts. trigger.test.ts runs each through n8n-core's real
 * WebhookContext (test/trigger/harness.ts) against the simulator.
 */
import { randomBytes } from 'node:crypto';
import type { INodeParameters } from 'n8n-workflow';
import type { CatalogueEntry } from './catalogue';

export const TOKEN = `cat-trigger-token-${randomBytes(8).toString('hex')}`;
/** A generation id BHuman never issued. */
export const FORGED_ID = '3b241101-e2bb-4255-8caf-4136c566a962';
export const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';

export interface TriggerCase extends CatalogueEntry {
	parameters: INodeParameters;
	/** The request: a JSON body (or raw text with its content type), query string, headers. */
	request: {
		body?: unknown;
		raw?: string;
		contentType?: string;
		query?: string;
		headers?: Record<string, string>;
	};
	/** Deliveries sent before, each accepted, to set the case up (e.g. the first copy). */
	before?: unknown[];
	/** Use a credential whose secret BHuman refuses. */
	refusedCredential?: boolean;
	/** Checked at activation (webhookMethods.default.checkExists), not by a request. */
	activation?: boolean;
	status: number;
	/** The `reason` of the answer (or the activation error's text). */
	text: string;
	/** Requests BHuman (the simulator) saw. */
	bhumanRequests: number;
}

const succeeded = (id = ID) => ({ id, status: 'succeeded', url: `https://cdn.example/${id}.mp4` });

export const cases: TriggerCase[] = [
	{
		concern: 'trigger',
		input: 'Token set, callback without it',
		outcome: 'answered 401 "This callback needs a token"; nothing starts, the body is not read',
		parameters: { token: TOKEN },
		request: { body: succeeded() },
		status: 401,
		text: 'This callback needs a token',
		bhumanRequests: 0,
	},
	{
		concern: 'trigger',
		input: 'Token set, a wrong one in the X-BHuman-Token header',
		outcome: 'answered 403 "The token is wrong"; nothing starts',
		parameters: { token: TOKEN },
		request: { body: succeeded(), headers: { 'X-BHuman-Token': `${TOKEN}x` } },
		status: 403,
		text: 'The token is wrong',
		bhumanRequests: 0,
	},
	{
		concern: 'trigger',
		input: 'Token with a character a URL cannot carry as typed (a+b)',
		outcome:
			'the workflow does not activate (nor listen for a test event): "The Token may only contain letters, digits and …"',
		parameters: { token: 'a+b' },
		request: {},
		activation: true,
		status: 0,
		text: 'The Token may only contain letters, digits and the characters - . _ ~',
		bhumanRequests: 0,
	},
	{
		concern: 'trigger',
		input: 'Malformed JSON sent as application/json',
		outcome:
			'answered 422 "Failed to parse request body" by n8n before the node runs, with or without the token (n8n 1.123.81 and 2.40.7); nothing starts',
		parameters: { token: TOKEN },
		request: { raw: '{"id": "x",', contentType: 'application/json' },
		status: 422,
		text: 'Failed to parse request body',
		bhumanRequests: 0,
	},
	{
		concern: 'trigger',
		input: 'A body that is not JSON (text/plain)',
		outcome: 'answered 400 "The callback body is not JSON"; nothing starts',
		parameters: {},
		request: { raw: 'video done', contentType: 'text/plain' },
		status: 400,
		text: 'The callback body is not JSON',
		bhumanRequests: 0,
	},
	{
		concern: 'trigger',
		input: 'An empty body',
		outcome: 'answered 400 "The callback body is empty"; nothing starts',
		parameters: {},
		request: { raw: '', contentType: 'application/json' },
		status: 400,
		text: 'The callback body is empty',
		bhumanRequests: 0,
	},
	{
		concern: 'trigger',
		input: 'A JSON array of callbacks',
		outcome: 'answered 400 "The callback body is not a JSON object"; nothing starts',
		parameters: {},
		request: { body: [succeeded()] },
		status: 400,
		text: 'The callback body is not a JSON object',
		bhumanRequests: 0,
	},
	{
		concern: 'trigger',
		input: 'A callback without an id',
		outcome: 'answered 400 "The callback has no id"; nothing starts',
		parameters: {},
		request: { body: { status: 'succeeded' } },
		status: 400,
		text: 'The callback has no id',
		bhumanRequests: 0,
	},
	{
		concern: 'trigger',
		input: 'An id that is not a UUID (gen-0001), Verify on',
		outcome: 'answered 400 "The callback id is not a UUID" before BHuman is asked; nothing starts',
		parameters: { verify: true },
		request: { body: succeeded('gen-0001') },
		status: 400,
		text: 'The callback id is not a UUID',
		bhumanRequests: 0,
	},
	{
		concern: 'trigger',
		input: 'Neither a status nor an event',
		outcome: 'answered 400 "The callback has neither a status nor an event"; nothing starts',
		parameters: {},
		request: { body: { id: ID } },
		status: 400,
		text: 'The callback has neither a status nor an event',
		bhumanRequests: 0,
	},
	{
		concern: 'trigger',
		input: 'The same id again in upper case',
		outcome: 'answered 200 "repeated delivery"; the first copy started the only execution',
		parameters: {},
		before: [succeeded()],
		request: { body: succeeded(ID.toUpperCase()) },
		status: 200,
		text: 'repeated delivery',
		bhumanRequests: 0,
	},
	{
		concern: 'trigger',
		input: 'An event not selected (whatsapp.ready with the default events)',
		outcome: 'answered 200 "event not selected"; nothing starts',
		parameters: {},
		request: { body: { event: 'whatsapp.ready', id: ID } },
		status: 200,
		text: 'event not selected',
		bhumanRequests: 0,
	},
	{
		concern: 'trigger',
		input: 'Verify on, a forged id BHuman does not know',
		outcome: 'answered 403 "BHuman does not know this generation" after one lookup; nothing starts',
		parameters: { verify: true },
		request: { body: succeeded(FORGED_ID) },
		status: 403,
		text: 'BHuman does not know this generation',
		bhumanRequests: 1,
	},
	{
		concern: 'trigger',
		input: 'Verify on, BHuman refuses the credential',
		outcome:
			'answered 502 "Could not verify this callback with BHuman (HTTP 401)"; nothing starts, no secret in the answer',
		parameters: { verify: true },
		refusedCredential: true,
		request: { body: succeeded(FORGED_ID) },
		status: 502,
		text: 'Could not verify this callback with BHuman (HTTP 401)',
		bhumanRequests: 1,
	},
];

export const entries: CatalogueEntry[] = cases.map(({ concern, input, outcome }) => ({
	concern,
	input,
	outcome,
}));
