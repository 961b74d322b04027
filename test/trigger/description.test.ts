/**
 * The trigger's node description and its small helpers (token, memory, body).
 */
import type { IHookFunctions, INode, INodeCredentialDescription } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';
import { BhumanTrigger } from '../../nodes/BHumanTrigger/BhumanTrigger.node';
import { eventOf, filterOf, parseCallback } from '../../nodes/BHumanTrigger/callback';
import {
	deliveryKey,
	MAX_REMEMBERED,
	remember,
	seenBefore,
} from '../../nodes/BHumanTrigger/deliveries';
import { checkToken, tokensEqual } from '../../nodes/BHumanTrigger/token';

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
			{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'bhuman' },
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

	it('tells in a notice where to paste the Production URL and how to add the token', () => {
		const notice = property('callbackUrlNotice');
		expect(notice.type).toBe('notice');
		expect(notice.displayName).toContain('Production URL');
		expect(notice.displayName).toContain('Callback URL');
		expect(notice.displayName).toContain('?token=');
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

	it('trims the id', () => {
		expect(parseCallback({ body: { id: ' abc ', status: 'failed' } })).toMatchObject({
			ok: true,
			id: 'abc',
		});
	});
});
