/**
 * The trigger's node description and its small helpers (token, memory, body).
 */
import type {
	IHookFunctions,
	INode,
	INodeCredentialDescription,
	TriggerPanelDefinition,
} from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';
import { BhumanTrigger } from '../../nodes/BhumanTrigger/BhumanTrigger.node';
import { eventOf, filterOf, parseCallback } from '../../nodes/BhumanTrigger/callback';
import {
	cacheScope,
	clearDeliveryCache,
	deliveryKey,
	MAX_REMEMBERED,
	remember,
	seenBefore,
} from '../../nodes/BhumanTrigger/deliveries';
import { checkToken, tokenProblem, tokensEqual } from '../../nodes/BhumanTrigger/token';

const trigger = new BhumanTrigger();
const { description } = trigger;
const property = (name: string) => description.properties.find((p) => p.name === name)!;

describe('description', () => {
	it('is a trigger with one POST webhook that answers on receipt', () => {
		expect(description).toMatchObject({
			name: 'bhumanTrigger',
			displayName: 'BHuman Trigger',
			group: ['trigger'],
			version: [1, 1.1],
			defaultVersion: 1.1,
			inputs: [],
		});
		expect(description.outputs).toEqual(['main']);
		expect(description.webhooks).toEqual([
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				responseData: '',
				path: 'bhuman',
			},
		]);
		expect(description.icon).toEqual({
			light: 'file:../../icons/bhuman.svg',
			dark: 'file:../../icons/bhuman.dark.svg',
		});
	});

	it('offers the BHuman credential as optional: Verify or Save This URL need it (checked at activation, register.test.ts)', () => {
		const credential = description.credentials![0] as INodeCredentialDescription;
		expect(credential).toEqual({ name: 'bhumanApi', required: false });
		const node = { parameters: {} } as INode;
		for (const parameters of [{}, { verify: true }, { saveUrl: true }])
			expect(NodeHelpers.displayParameter(parameters, credential, node, description)).toBe(true);
	});

	it('has the options of the issue, with their defaults', () => {
		expect(property('events')).toMatchObject({
			type: 'multiOptions',
			default: ['video.failed', 'video.succeeded'],
		});
		expect(
			(property('events').options as Array<{ value: string }>).map((o) => o.value).sort(),
		).toEqual(['other', 'video.failed', 'video.succeeded', 'whatsapp.ready'].sort());
		expect(property('token')).toMatchObject({
			type: 'string',
			default: '',
			typeOptions: { password: true },
		});
		expect(property('verify')).toMatchObject({ type: 'boolean', default: false });
		expect(property('ignoreRepeats')).toMatchObject({ type: 'boolean', default: true });
	});

	it("follows n8n's trigger conventions: a trigger panel says where to paste the Production URL and how to add the token", () => {
		const panel = description.triggerPanel as TriggerPanelDefinition;
		expect(panel.header).toContain('Production URL');
		expect(panel.header).toContain('Callback URL');
		const help = panel.executionsHelp as { active: string; inactive: string };
		for (const text of [help.active, help.inactive]) {
			expect(text).toContain('Production URL');
			expect(text).toContain('?token=');
		}
		expect(panel.activationHint).toContain('activate');
		// No long notice left in the properties: only the two conditional warnings.
		expect(description.properties.filter((p) => p.type === 'notice').map((p) => p.name)).toEqual([
			'unprotectedNotice',
			'tokenCharactersNotice',
		]);
	});

	const shown = (name: string, parameters: Record<string, unknown>) =>
		NodeHelpers.displayParameter(
			{ token: '', verify: false, ...parameters } as never,
			property(name),
			{ parameters: {} } as INode,
			description,
		);

	it('warns in the node when the trigger is unprotected (no token, Verify off), and only then', () => {
		expect(property('unprotectedNotice').displayName).toContain('Anyone who learns this URL');
		expect(shown('unprotectedNotice', {})).toBe(true);
		expect(shown('unprotectedNotice', { token: 'abc' })).toBe(false);
		expect(shown('unprotectedNotice', { verify: true })).toBe(false);
		expect(shown('unprotectedNotice', { token: '={{ $env.TOKEN }}' })).toBe(false);
	});

	it('warns in the node about a token with characters a URL cannot carry as typed', () => {
		for (const token of ['a+b', 'a b', 'a&b', 'a#b', 'a%2Bb', 'ü', 'a/b'])
			expect([token, shown('tokenCharactersNotice', { token })]).toEqual([token, true]);
		for (const token of ['', 'abc-DEF_1.2~3', '={{ $env.TOKEN }}', '=a+b'])
			expect([token, shown('tokenCharactersNotice', { token })]).toEqual([token, false]);
	});

	const hook = (token: string) =>
		({
			getNodeParameter: () => token,
			getNode: () => ({ name: 'BHuman Trigger' }) as INode,
		}) as unknown as IHookFunctions;

	it('keeps the three webhook lifecycle methods (the lint requires them); with Save This URL off they register nothing', async () => {
		expect(await trigger.webhookMethods.default.checkExists.call(hook(''))).toBe(true);
		expect(await trigger.webhookMethods.default.checkExists.call(hook('ok-token'))).toBe(true);
		expect(await trigger.webhookMethods.default.create.call(hook(''))).toBe(true);
		expect(await trigger.webhookMethods.default.delete.call(hook(''))).toBe(true);
	});

	it('refuses to activate (checkExists) with a token a URL cannot carry, with a clear error', async () => {
		await expect(trigger.webhookMethods.default.checkExists.call(hook('a+b/c'))).rejects.toThrow(
			'The Token may only contain letters, digits and the characters - . _ ~',
		);
		await expect(
			trigger.webhookMethods.default.checkExists.call(hook('a+b/c')),
		).rejects.not.toThrow('a+b/c');
	});
});

describe('token', () => {
	it('compares equal and different tokens of any length', () => {
		expect(tokensEqual('abc', 'abc')).toBe(true);
		expect(tokensEqual('abc', 'abd')).toBe(false);
		expect(tokensEqual('abc', 'abcd')).toBe(false);
		expect(tokensEqual('', 'a')).toBe(false);
		expect(tokensEqual('ü'.repeat(300), 'ü'.repeat(300))).toBe(true);
	});

	it('names the problem of a token that is not URL-safe, and accepts the unreserved characters', () => {
		expect(tokenProblem('')).toBeUndefined();
		expect(tokenProblem('AZaz09-._~')).toBeUndefined();
		for (const token of ['a+b', 'a b', 'a=b', 'a?b', 'é'])
			expect(tokenProblem(token)).toContain('letters, digits');
	});

	it('reads the query parameter or the header; missing, wrong or ok', () => {
		expect(checkToken('t', {}, {})).toBe('missing');
		expect(checkToken('t', { token: '' }, {})).toBe('missing');
		expect(checkToken('t', { token: 'x' }, {})).toBe('wrong');
		expect(checkToken('t', { token: 't' }, {})).toBe('ok');
		expect(checkToken('t', {}, { 'x-bhuman-token': 't' })).toBe('ok');
		expect(checkToken('t', { token: 'x' }, { 'x-bhuman-token': 't' })).toBe('ok');
		expect(checkToken('t', { token: ['t', 'x'] }, {})).toBe('ok');
		expect(checkToken('t', { token: ['x', 't'] }, {})).toBe('wrong');
	});
});

describe('memory of deliveries', () => {
	it('remembers keys once, newest last, at most MAX_REMEMBERED', () => {
		const data = {};
		remember(data, deliveryKey('video.succeeded', 'a'));
		remember(data, deliveryKey('video.succeeded', 'b'));
		remember(data, deliveryKey('video.succeeded', 'a'));
		expect(data).toEqual({ deliveries: ['video.succeeded b', 'video.succeeded a'] });
		for (let i = 0; i < MAX_REMEMBERED + 5; i++)
			remember(data, deliveryKey('video.failed', String(i)));
		expect((data as { deliveries: string[] }).deliveries).toHaveLength(MAX_REMEMBERED);
		expect(seenBefore(data, 'video.failed 4')).toBe(false);
		expect(seenBefore(data, 'video.failed 5')).toBe(true);
		expect(seenBefore(data, `video.failed ${MAX_REMEMBERED + 4}`)).toBe(true);
	});

	it('with a scope, remembers in the process-wide cache too and merges it into every save', () => {
		clearDeliveryCache();
		const scope = cacheScope('wf1', 'BHuman Trigger');
		// Two requests loaded the same (empty) static data; each saves its own copy.
		const first = {};
		const second = {};
		remember(first, 'video.succeeded a', scope);
		remember(second, 'video.succeeded b', scope);
		// The last save holds both keys; a third request with stale static data knows both.
		expect(second).toEqual({ deliveries: ['video.succeeded a', 'video.succeeded b'] });
		expect(seenBefore({}, 'video.succeeded a', scope)).toBe(true);
		// Another workflow (or trigger) has its own memory; without a scope only static data counts.
		expect(seenBefore({}, 'video.succeeded a', cacheScope('wf2', 'BHuman Trigger'))).toBe(false);
		expect(seenBefore({}, 'video.succeeded a', cacheScope('wf1', 'Other Trigger'))).toBe(false);
		expect(seenBefore({}, 'video.succeeded a')).toBe(false);
		clearDeliveryCache();
		expect(seenBefore({}, 'video.succeeded a', scope)).toBe(false);
		expect(seenBefore(second, 'video.succeeded a', scope)).toBe(true);
	});

	it('lower-cases the id in the key', () => {
		expect(deliveryKey('video.succeeded', 'ABC-def')).toBe('video.succeeded abc-def');
	});

	it('tolerates static data it did not write', () => {
		expect(seenBefore({ deliveries: 'nonsense' }, 'x')).toBe(false);
		const data = { deliveries: [1, null, 'video.failed x'] };
		expect(seenBefore(data, 'video.failed x')).toBe(true);
		remember(data, 'video.failed y');
		expect(data.deliveries).toEqual(['video.failed x', 'video.failed y']);
	});
});

describe('callback bodies', () => {
	it('names events', () => {
		expect(eventOf({ status: 'succeeded' })).toBe('video.succeeded');
		expect(eventOf({ event: 'whatsapp.ready', status: 'succeeded' })).toBe('whatsapp.ready');
		expect(eventOf({})).toBeUndefined();
		expect(filterOf('video.succeeded')).toBe('video.succeeded');
		expect(filterOf('video.processing')).toBe('other');
		expect(filterOf('other')).toBe('other');
		expect(filterOf('something.new')).toBe('other');
	});

	it('trims and lower-cases the id, and refuses one that is not a UUID', () => {
		const id = '0F8FAD5B-D9CB-469F-A165-70867728950E';
		expect(parseCallback({ body: { id: ` ${id} `, status: 'failed' } })).toMatchObject({
			ok: true,
			id: id.toLowerCase(),
		});
		expect(parseCallback({ body: { id: 'abc', status: 'failed' } })).toEqual({
			ok: false,
			reason: 'The callback id is not a UUID',
		});
	});
});
