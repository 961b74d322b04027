/**
 * The pure helpers of the transport: hosts, Retry-After, backoff, list
 * records, BHuman's error messages and network error codes.
 */
import {
	backoffMs,
	checkBaseUrl,
	hostFor,
	MAX_RETRIES,
	messageFromBody,
	networkErrorCode,
	PAGE_SIZE,
	retryAfterMs,
} from '../../nodes/Bhuman/transport';

describe('hostFor', () => {
	test.each([
		['/api/ai_studio/video_instances', 'https://studio.bhuman.ai'],
		['/api/ai_studio/video_instance', 'https://studio.bhuman.ai'],
		['/api/ai_studio/generated_video_by_video_instance_id', 'https://studio.bhuman.ai'],
		['/api/ai_studio/campaigns', 'https://studio.bhuman.ai'],
		['/api/ai_studio/try_sample', 'https://studio.bhuman.ai'],
		['/api/workspace', 'https://user.bhuman.ai'],
		['/api/store/product', 'https://store.bhuman.ai'],
		['/api/store/product/use', 'https://store.bhuman.ai'],
		['/api/store/settings', 'https://store.bhuman.ai'],
	])('%s is served by %s', (path, host) => {
		expect(hostFor(path)).toBe(host);
	});
});

describe('retryAfterMs', () => {
	const now = Date.UTC(2025, 0, 1, 12, 0, 0);

	test.each([
		['0', 0],
		['1', 1000],
		['1.5', 1500],
		[' 3 ', 3000],
		['120', 120000],
		[2, 2000],
		[0, 0],
	])('%p seconds → %p ms', (header, ms) => {
		expect(retryAfterMs(header, now)).toBe(ms);
	});

	test('an HTTP date in the future → the time until it', () => {
		expect(retryAfterMs(new Date(now + 5000).toUTCString(), now)).toBe(5000);
		expect(retryAfterMs('Wed, 01 Jan 2025 12:01:00 GMT', now)).toBe(60000);
	});

	test('an HTTP date in the past → 0', () => {
		expect(retryAfterMs(new Date(now - 60000).toUTCString(), now)).toBe(0);
	});

	test.each([
		['absent', undefined],
		['null', null],
		['empty', ''],
		['garbage', 'soon'],
		['an array (repeated header)', ['1', '2']],
		['an object', { seconds: 1 }],
	])('%s → undefined', (_what, header) => {
		expect(retryAfterMs(header, now)).toBeUndefined();
	});
});

describe('backoffMs', () => {
	test('doubles from 0.5 s: 0.5 s, 1 s, 2 s for the 3 retries', () => {
		expect([0, 1, 2].map(backoffMs)).toEqual([500, 1000, 2000]);
		expect(MAX_RETRIES).toBe(3);
	});

	test('is capped at 8 s', () => {
		expect(backoffMs(3)).toBe(4000);
		expect(backoffMs(4)).toBe(8000);
		expect(backoffMs(5)).toBe(8000);
		expect(backoffMs(30)).toBe(8000);
	});
});

describe('paging', () => {
	test('PAGE_SIZE is the API maximum of 100', () => {
		expect(PAGE_SIZE).toBe(100);
	});
});

describe('messageFromBody', () => {
	test.each([
		[{ code: 422, message: 'Invalid UUID' }, 'Invalid UUID'],
		[{ error: 'Unauthorized' }, 'Unauthorized'],
		[{ detail: 'Not found' }, 'Not found'],
		[{ msg: 'Bad' }, 'Bad'],
		[{ message: '', error: 'fallback' }, 'fallback'],
		[{ message: 'first', error: 'second' }, 'first'],
	])('%p → %p', (body, message) => {
		expect(messageFromBody(body)).toBe(message);
	});

	test('a list of validation entries is joined, using their msg', () => {
		expect(
			messageFromBody({
				detail: [
					{ loc: ['query', 'size'], msg: 'size must be at most 100' },
					{ loc: ['query', 'page'], msg: 'page is required' },
				],
			}),
		).toBe('size must be at most 100; page is required');
		expect(messageFromBody({ errors: 'x', detail: ['a', 'b'] })).toBe('a; b');
		expect(messageFromBody({ detail: [{ loc: ['q'] }] })).toBe('{"loc":["q"]}');
	});

	test('a JSON string is parsed', () => {
		expect(messageFromBody('{"message":"from JSON text"}')).toBe('from JSON text');
	});

	test('a Buffer is read as UTF-8', () => {
		expect(messageFromBody(Buffer.from('{"message":"from a buffer"}'))).toBe('from a buffer');
		expect(messageFromBody(Buffer.from('plain bytes'))).toBe('plain bytes');
	});

	test('plain text is the message, cut at 500 characters', () => {
		expect(messageFromBody('Bad Gateway')).toBe('Bad Gateway');
		expect(messageFromBody('x'.repeat(2000))).toBe('x'.repeat(500));
	});

	test('a number is its text', () => {
		expect(messageFromBody(404)).toBe('404');
	});

	test.each([undefined, null, '', {}, { code: 500 }, { message: 42 }, []])(
		'%p has no message',
		(body) => {
			expect(messageFromBody(body)).toBeUndefined();
		},
	);
});

describe('networkErrorCode', () => {
	test.each([
		'ECONNREFUSED',
		'ECONNRESET',
		'ETIMEDOUT',
		'ECONNABORTED',
		'EPIPE',
		'ENOTFOUND',
		'EAI_AGAIN',
		'EHOSTUNREACH',
		'UND_ERR_SOCKET',
	])('code %s', (code) => {
		expect(networkErrorCode(Object.assign(new Error('failed'), { code }))).toBe(code);
	});

	test('found in the cause chain (fetch / undici style)', () => {
		const error = new TypeError('fetch failed', {
			cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
		});
		expect(networkErrorCode(error)).toBe('ECONNREFUSED');
	});

	test('found in the context (n8n errors)', () => {
		expect(networkErrorCode({ message: 'wrapped', context: { code: 'ETIMEDOUT' } })).toBe(
			'ETIMEDOUT',
		);
	});

	test('found in the message', () => {
		expect(networkErrorCode(new Error('connect ECONNREFUSED 127.0.0.1:4010'))).toBe('ECONNREFUSED');
		expect(networkErrorCode(new Error('getaddrinfo ENOTFOUND studio.bhuman.ai'))).toBe('ENOTFOUND');
	});

	test('"socket hang up" is a reset connection', () => {
		expect(networkErrorCode(new Error('socket hang up'))).toBe('ECONNRESET');
	});

	test('HTTP and other errors have no network code', () => {
		expect(
			networkErrorCode(
				Object.assign(new Error('Request failed with status code 500'), {
					code: 'ERR_BAD_RESPONSE',
				}),
			),
		).toBeUndefined();
		expect(networkErrorCode(new Error('Unexpected token < in JSON'))).toBeUndefined();
		expect(networkErrorCode({ code: 'ECONNREFUSEDX' })).toBeUndefined();
	});

	test.each([undefined, null, 'ECONNREFUSED', 42])('%p (not an object) has no code', (value) => {
		expect(networkErrorCode(value)).toBeUndefined();
	});

	test('a cyclic cause chain ends', () => {
		const a: Record<string, unknown> = { message: 'a' };
		const b: Record<string, unknown> = { message: 'b', cause: a };
		a.cause = b;
		expect(networkErrorCode(a)).toBeUndefined();
	});
});

describe('checkBaseUrl', () => {
	test.each([
		['https://proxy.example.com/', 'https://proxy.example.com'],
		['http://localhost:4010//', 'http://localhost:4010'],
		['http://127.0.0.1:4010', 'http://127.0.0.1:4010'],
		['http://127.255.3.4', 'http://127.255.3.4'],
		['http://[::1]:4010', 'http://[::1]:4010'],
	])('accepts %s as %s', (raw, url) => {
		expect(checkBaseUrl(raw)).toEqual({ url });
	});

	test.each([
		'http://example.com',
		'http://127.0.0.1.nip.io',
		'http://localhost.example.com',
		'http://10.0.0.1',
		'http://[::2]',
		'ws://localhost',
		'file:///etc/passwd',
		'user.bhuman.ai',
	])('refuses %s', (raw) => {
		expect(checkBaseUrl(raw)).toHaveProperty('problem');
	});

	test('names the host, never a password in the URL', () => {
		const result = checkBaseUrl('http://me:hunter2@example.com:8080/x') as { problem: string };
		expect(result.problem).toContain('http://example.com:8080');
		expect(result.problem).not.toContain('hunter2');
	});
});
