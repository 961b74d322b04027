/**
 * BHuman Trigger → Save This URL in BHuman (issue 13): the webhook lifecycle methods, called the way
 * n8n calls them on activation (checkExists, then create when it answered false), through a real
 * n8n-core HookContext, against the simulator's saved webhooks.
 */
import { HookContext } from 'n8n-core';
import type {
	INode,
	INodeParameters,
	IWebhookData,
	WorkflowActivateMode,
	WorkflowExecuteMode,
} from 'n8n-workflow';
import { Workflow } from 'n8n-workflow';
import { BhumanTrigger } from '../../nodes/BhumanTrigger/BhumanTrigger.node';
import { additionalDataFor, nodeTypes } from '../helpers/engine';
import { withSimulator } from '../helpers/sim';
import { TRIGGER_TYPE, WEBHOOK_ID } from './harness';

const h = withSimulator();
const trigger = new BhumanTrigger();
const methods = trigger.webhookMethods.default;
const PRODUCTION_URL = `http://localhost:5678/webhook/${WEBHOOK_ID}/bhuman`;
const WEBHOOK = '/api/ai_studio/webhook';

function hookContext(
	parameters: INodeParameters,
	{
		mode = 'trigger',
		credentials = true,
	}: { mode?: WorkflowExecuteMode; credentials?: boolean } = {},
) {
	const node: INode = {
		id: 'trigger',
		name: 'BHuman Trigger',
		type: TRIGGER_TYPE,
		typeVersion: 1.1,
		position: [0, 0],
		webhookId: WEBHOOK_ID,
		parameters,
		...(credentials ? { credentials: { bhumanApi: { id: '1', name: 'BHuman account' } } } : {}),
	};
	const workflow = new Workflow({
		id: 'wf-7',
		name: 'Video ready → CRM',
		nodes: [node],
		connections: {},
		nodeTypes,
		active: true,
	});
	const activation: WorkflowActivateMode = mode === 'manual' ? 'manual' : 'activate';
	const webhookData = { isTest: mode === 'manual' } as IWebhookData;
	return new HookContext(
		workflow,
		node,
		additionalDataFor(h.credentials),
		mode,
		activation,
		webhookData,
	);
}

/** What n8n does when it activates the workflow. */
async function activate(context: HookContext) {
	if (!(await methods.checkExists.call(context))) await methods.create.call(context);
}

const calls = () => h.sim.requests.map(({ method, path, body }) => ({ method, path, body }));

test('off (the default): activation sends nothing to BHuman', async () => {
	await activate(hookContext({ events: ['video.succeeded'] }));
	expect(h.sim.requests).toEqual([]);
});

test('on: lists the saved webhooks, then saves the Production URL with the token, named after the workflow', async () => {
	await activate(hookContext({ saveUrl: true, token: 'tok-en_1.~x' }));
	const url = `${PRODUCTION_URL}?token=tok-en_1.~x`;
	expect(calls()).toEqual([
		{ method: 'GET', path: WEBHOOK, body: null },
		{ method: 'POST', path: WEBHOOK, body: { name: 'Video ready → CRM', webhook: url } },
	]);
	expect(h.sim.data.savedWebhooks.filter((w) => w.webhook === url)).toHaveLength(1);
	expect(new URL(url).searchParams.get('token')).toBe('tok-en_1.~x');
});

test('on, already saved: a second activation only lists, and saves nothing', async () => {
	await activate(hookContext({ saveUrl: true }));
	h.sim.clearRequests();
	await activate(hookContext({ saveUrl: true }));
	expect(calls()).toEqual([{ method: 'GET', path: WEBHOOK, body: null }]);
	expect(h.sim.data.savedWebhooks.filter((w) => w.webhook === PRODUCTION_URL)).toHaveLength(1);
});

test('a test activation (listening for a test event) saves nothing: the test URL would not last', async () => {
	await activate(hookContext({ saveUrl: true }, { mode: 'manual' }));
	expect(h.sim.requests).toEqual([]);
});

test('deactivating leaves the saved webhook (BHuman has no delete endpoint)', async () => {
	const context = hookContext({ saveUrl: true });
	await activate(context);
	h.sim.clearRequests();
	expect(await methods.delete.call(context)).toBe(true);
	expect(h.sim.requests).toEqual([]);
});

test('a failed save stops the activation with a clear error after one POST (never retried)', async () => {
	h.sim.inject({ method: 'POST', path: WEBHOOK, status: 503, times: -1 });
	await expect(activate(hookContext({ saveUrl: true }))).rejects.toThrow(/server error \(503\)/);
	expect(h.sim.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
});

test.each([
	[{ saveUrl: true }, 'Save This URL in BHuman needs a BHuman credential'],
	[{ verify: true }, 'Verify With BHuman needs a BHuman credential'],
	[
		{ verify: true, saveUrl: true },
		'Verify With BHuman and Save This URL in BHuman need a BHuman credential',
	],
])('without a credential, %j refuses to activate', async (parameters, message) => {
	await expect(activate(hookContext(parameters, { credentials: false }))).rejects.toThrow(message);
	expect(h.sim.requests).toEqual([]);
});

test('without a credential and with both options off, activation works', async () => {
	await expect(activate(hookContext({}, { credentials: false }))).resolves.toBeUndefined();
});
