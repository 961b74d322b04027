/**
 * The trigger's node description and its small helpers (token, memory, body).
 */
import type {
	IDataObject,
	IHookFunctions,
	INode,
	INodeCredentialDescription,
	TriggerPanelDefinition,
} from 'n8n-workflow';
import { NodeHelpers, resetSafeRegexEngine, safeRegex, setSafeRegexEngine } from 'n8n-workflow';
import { BhumanTrigger } from '../../nodes/BhumanTrigger/BhumanTrigger.node';
import { eventOf, parseCallback } from '../../nodes/shared/callbackBody';
import { filterOf } from '../../nodes/BhumanTrigger/callback';
import {
	CACHE_MAX_KEYS,
	cacheScope,
	clearDeliveryCache,
	deliveryKey,
	MAX_REMEMBERED,
	remember,
	rememberedKeys,
	seenBefore,
} from '../../nodes/BhumanTrigger/deliveries';
import { checkToken, tokenProblem, tokensEqual } from '../../nodes/shared/token';

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

	it('uses no regex display condition: n8n tests those in a vm on every workflow build, several times per callback', () => {
		// The character rule of the token is enforced on activation instead (tests below).
		const regexConditions = JSON.stringify(description.properties).match(/"regex"/g) ?? [];
		expect(regexConditions).toEqual([]);
		const names = description.properties.map((p) => p.name);
		expect(names).not.toContain('tokenCharactersNotice');
		// Building the node's parameters, as n8n does for every callback, runs no safe regex.
		let regexRuns = 0;
		const counting = (pattern: string, input: string, flags?: string) => {
			regexRuns++;
			return new RegExp(pattern, flags).test(input);
		};
		setSafeRegexEngine({ ...safeRegex, test: counting });
		try {
			for (const token of ['', 'a+b', 'abc'])
				NodeHelpers.getNodeParameters(
					description.properties,
					{ token },
					true,
					false,
					null,
					description,
				);
		} finally {
			resetSafeRegexEngine();
		}
		expect(regexRuns).toBe(0);
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
	const key = (id: string, event = 'video.succeeded') => deliveryKey(event, id);

	it('remembers keys once, newest last, at most MAX_REMEMBERED, 12 characters each in one string', () => {
		const data: IDataObject = {};
		remember(data, key('a'));
		remember(data, key('b'));
		remember(data, key('a'));
		expect(data).toEqual({ seen: key('b') + key('a') });
		expect(rememberedKeys(data)).toEqual([key('b'), key('a')]);
		for (let i = 0; i < MAX_REMEMBERED + 5; i++) remember(data, key(String(i), 'video.failed'));
		expect(rememberedKeys(data)).toHaveLength(MAX_REMEMBERED);
		expect((data.seen as string).length).toBe(MAX_REMEMBERED * 12);
		expect(seenBefore(data, key('4', 'video.failed'))).toBe(false);
		expect(seenBefore(data, key('5', 'video.failed'))).toBe(true);
		expect(seenBefore(data, key(String(MAX_REMEMBERED + 4), 'video.failed'))).toBe(true);
	});

	it('with a scope, remembers in the process-wide cache too and merges it into every save', () => {
		clearDeliveryCache();
		const scope = cacheScope('wf1', 'BHuman Trigger');
		// Two requests loaded the same (empty) static data; each saves its own copy.
		const first = {};
		const second = {};
		remember(first, key('a'), scope);
		remember(second, key('b'), scope);
		// n8n saves with JSON.stringify once each request was handled: both saves hold both keys,
		// also the first request's, though it was accepted before b.
		const saved = (data: IDataObject) => JSON.parse(JSON.stringify(data)) as IDataObject;
		expect(saved(first)).toEqual({ seen: key('a') + key('b') });
		expect(saved(second)).toEqual({ seen: key('a') + key('b') });
		// A third request with stale static data knows both.
		expect(seenBefore({}, key('a'), scope)).toBe(true);
		// Another workflow (or trigger) has its own memory; without a scope only static data counts.
		expect(seenBefore({}, key('a'), cacheScope('wf2', 'BHuman Trigger'))).toBe(false);
		expect(seenBefore({}, key('a'), cacheScope('wf1', 'Other Trigger'))).toBe(false);
		expect(seenBefore({}, key('a'))).toBe(false);
		// After a restart only the saved static data remembers.
		const afterRestart = saved(second);
		clearDeliveryCache();
		expect(seenBefore({}, key('a'), scope)).toBe(false);
		expect(seenBefore(afterRestart, key('a'), scope)).toBe(true);
	});

	it('the cache keeps at most CACHE_MAX_KEYS for all scopes together, dropping the oldest', () => {
		clearDeliveryCache();
		const a = cacheScope('wf1', 'BHuman Trigger');
		const b = cacheScope('wf2', 'BHuman Trigger');
		remember({}, key('first'), a);
		for (let i = 0; i < CACHE_MAX_KEYS; i++) remember({}, key(String(i)), i % 2 ? a : b);
		expect(seenBefore({}, key('first'), a)).toBe(false);
		expect(seenBefore({}, key('0'), b)).toBe(true);
		expect(seenBefore({}, key(String(CACHE_MAX_KEYS - 1)), a)).toBe(true);
		clearDeliveryCache();
	});

	it('one key per (event, id), whatever the letter case of the id', () => {
		expect(deliveryKey('video.succeeded', 'ABC-def')).toBe(
			deliveryKey('video.succeeded', 'abc-DEF'),
		);
		expect(deliveryKey('video.succeeded', 'abc')).not.toBe(deliveryKey('whatsapp.ready', 'abc'));
		expect(deliveryKey('video.succeeded', 'abc')).toMatch(/^[A-Za-z0-9_-]{12}$/);
	});

	it('tolerates static data it did not write', () => {
		expect(seenBefore({ seen: 12345 }, key('x'))).toBe(false);
		expect(seenBefore({ seen: 'short' }, key('x'))).toBe(false);
		const data: IDataObject = { seen: key('x') + 'tail' };
		expect(seenBefore(data, key('x'))).toBe(true);
		remember(data, key('y'));
		expect(rememberedKeys(data)).toEqual([key('x'), key('y')]);
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
