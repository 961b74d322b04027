/**
 * The trigger's catalogue (trigger.cases.ts): each case through n8n-core's real WebhookContext
 * (or, for a setting checked at activation, its HookContext) against the simulator: the status,
 * that nothing started where refused, the reason, the requests BHuman saw, and that neither the
 * token nor the API secret appears in any answer, output or error.
 */
import { randomBytes } from 'node:crypto';
import { HookContext } from 'n8n-core';
import type { INode } from 'n8n-workflow';
import { Workflow } from 'n8n-workflow';
import { BhumanTrigger } from '../../nodes/BhumanTrigger/BhumanTrigger.node';
import { startSimulator, type Simulator } from '../../simulator';
import { additionalDataFor, nodeTypes, type SimCredentials } from '../helpers/engine';
import { startTriggerListener, TRIGGER_TYPE, type TriggerListener } from '../trigger/harness';
import { expectNoSecrets } from './catalogue';
import { cases, entries, TOKEN, type TriggerCase } from './trigger.cases';

let sim: Simulator;
let credentials: SimCredentials;
let listener: TriggerListener | undefined;

beforeAll(async () => {
	sim = await startSimulator();
	credentials = { apiKeyId: sim.keyId, apiKeySecret: sim.keySecret, baseUrl: sim.url };
});
afterAll(() => sim.close());
afterEach(async () => {
	await listener?.close();
	listener = undefined;
});

const REFUSED_SECRET = `refused-secret-${randomBytes(8).toString('hex')}`;

function secrets(c: TriggerCase): string[] {
	const secret = c.refusedCredential ? REFUSED_SECRET : sim.keySecret;
	const basic = Buffer.from(`${sim.keyId}:${secret}`).toString('base64');
	return [TOKEN, secret, basic, ...(c.parameters.token ? [String(c.parameters.token)] : [])];
}

/** n8n's activation step for a webhook trigger: checkExists through n8n-core's HookContext. */
async function activate(c: TriggerCase): Promise<unknown> {
	const node: INode = {
		id: 'trigger',
		name: 'BHuman Trigger',
		type: TRIGGER_TYPE,
		typeVersion: 1.1,
		position: [0, 0],
		parameters: c.parameters,
	};
	const workflow = new Workflow({
		id: 'cat',
		nodes: [node],
		connections: {},
		nodeTypes,
		active: false,
	});
	const context = new HookContext(
		workflow,
		node,
		additionalDataFor(credentials),
		'trigger',
		'activate',
	);
	try {
		await new BhumanTrigger().webhookMethods.default.checkExists.call(context);
		return undefined;
	} catch (error) {
		return error;
	}
}

it('has at least 10 trigger cases, each with an input and an outcome', () => {
	expect(entries.length).toBeGreaterThanOrEqual(10);
	for (const entry of entries) {
		expect(entry.concern).toBe('trigger');
		expect(entry.input.length).toBeGreaterThan(5);
		expect(entry.outcome.length).toBeGreaterThan(5);
	}
});

it.each(cases.map((c) => [c.input, c] as const))('%s', async (_input, c) => {
	sim.clearRequests();
	if (c.activation) {
		const error = (await activate(c)) as Error | undefined;
		expect(error?.message).toContain(c.text);
		expectNoSecrets(error, secrets(c));
		expect(sim.requests).toHaveLength(c.bhumanRequests);
		return;
	}

	listener = await startTriggerListener({
		parameters: c.parameters,
		credentials: c.refusedCredential
			? { ...credentials, apiKeySecret: REFUSED_SECRET }
			: credentials,
	});
	for (const body of c.before ?? []) expect((await listener.post(body)).items).toHaveLength(1);
	const before = listener.accepted.length;
	sim.clearRequests();

	const { request } = c;
	const delivery =
		request.raw !== undefined
			? await listener.post(request.raw, {
					raw: true,
					query: request.query,
					headers: {
						'content-type': request.contentType ?? 'application/json',
						...request.headers,
					},
				})
			: await listener.post(request.body, { query: request.query, headers: request.headers });

	expect(delivery.status).toBe(c.status);
	// Nothing started: no items, no new accepted delivery.
	expect(delivery.items).toBeUndefined();
	expect(listener.accepted).toHaveLength(before);
	const text = delivery.response?.reason ?? delivery.response?.message;
	expect(text).toBe(c.text);
	expect(sim.requests).toHaveLength(c.bhumanRequests);
	expectNoSecrets(listener.deliveries, secrets(c));
	expectNoSecrets(listener.staticData(), secrets(c));
});
