/**
 * The one reader of BHuman's answers (transport/answers.ts): every form BHuman's public sources
 * show (docs/bhuman-api.md) is read, and an answer in none of them is told apart.
 */
import {
	failureCode,
	quoteAnswer,
	readIds,
	readList,
	readRecord,
	readRecords,
} from '../../nodes/Bhuman/transport/answers';

const a = { id: 'a', status: 'succeeded' };
const b = { id: 'b' };

describe('readRecord: one record', () => {
	test.each([
		['the record itself (public_api README)', a],
		['a one-element list (the API guide: video_instance)', [a]],
		[
			'{code, result: <record>} (the 2026-10-02 reference, the 2023 Swagger)',
			{ code: 200, result: a },
		],
		['{result: <record>} without code', { result: a }],
		['{code, result: [<record>]}', { code: 200, result: [a] }],
		['a string code', { code: '200', result: a }],
	])('%s', (_form, body) => {
		expect(readRecord(body)).toEqual(a);
	});

	test('with an id, a list gives the record of that id, or none', () => {
		expect(readRecord([a, b], 'B')).toEqual(b);
		expect(readRecord({ code: 200, result: [a, b] }, 'a')).toEqual(a);
		expect(readRecord([a, b], 'c')).toBeNull();
		expect(readRecord([a], 'c')).toEqual(a);
		expect(readRecord(a, 'c')).toEqual(a);
	});

	test('a record that has a result field among its own fields is the record', () => {
		const record = { id: 'x', result: 'win', status: 'succeeded' };
		expect(readRecord(record)).toEqual(record);
	});

	test.each([[[]], [{ code: 200, result: null }], [{ code: 200, result: [] }], [null]])(
		'%p holds no record (null: not found)',
		(body) => {
			expect(readRecord(body)).toBeNull();
		},
	);

	test.each([['text'], [42], [true], [undefined], [['x']], [{ code: 200, result: 'ok' }]])(
		'%p is in no known form (undefined)',
		(body) => {
			expect(readRecord(body)).toBeUndefined();
		},
	);
});

describe('readList: a list or a page of one', () => {
	test.each([
		['a bare array', [a, b], undefined],
		['{total, instances: [...]}', { total: 250, instances: [a, b] }, 250],
		['{total, campaigns: [...]}', { total: 12, campaigns: [a, b] }, 12],
		['{result: [...]}', { result: [a, b] }, undefined],
		['{code, result: [...]} (2023 Swagger)', { code: 200, result: [a, b] }, undefined],
		['{code, total, result: [...]}', { code: 200, total: 9, result: [a, b] }, 9],
		[
			'{code, result: {total, instances: [...]}}',
			{ code: 200, result: { total: 7, instances: [a, b] } },
			7,
		],
	])('%s', (_form, body, total) => {
		expect(readList(body)).toEqual({ records: [a, b], total });
	});

	test('an empty list in each form', () => {
		expect(readList([])).toEqual({ records: [] });
		expect(readList({ total: 0 })).toEqual({ records: [], total: 0 });
		expect(readList({ code: 200, result: [] })).toEqual({ records: [] });
		expect(readList({ code: 200, result: null })).toEqual({ records: [] });
	});

	test('a total that is not a number is ignored', () => {
		expect(readList({ total: '5', instances: [a] })).toEqual({ records: [a], total: undefined });
	});

	test.each([[{ id: 'x' }], ['text'], [42], [true], [undefined], [{ code: 200, result: 'x' }]])(
		'%p is in no known form',
		(body) => {
			expect(readList(body)).toBeUndefined();
		},
	);
});

describe('readRecords: what a create answers', () => {
	test('one record, several, in an envelope or not', () => {
		expect(readRecords(a)).toEqual([a]);
		expect(readRecords([a, b])).toEqual([a, b]);
		expect(readRecords({ code: 200, result: [a] })).toEqual([a]);
		expect(readRecords({ code: 200, result: a })).toEqual([a]);
	});
	test.each([['text'], [42], [[1, 2]], [null]])('%p is in no known form', (body) => {
		expect(readRecords(body)).toBeUndefined();
	});
});

describe('readIds: generation ids', () => {
	const ids = ['c10ee155-6202-4cec-9a40-dde536e2ab4e', '7d859e18-dc89-446f-9718-9533bb178a75'];
	test.each([
		['{result: [...]} (the API guide)', { result: ids }],
		['{code, result: [...]} (public_api README)', { code: 200, result: ids }],
		['a bare array', ids],
	])('%s', (_form, body) => {
		expect(readIds(body)).toEqual(ids);
	});
	test.each([[{ result: [1, 2] }], [{ ids }], ['text'], [{ code: 200 }]])(
		'%p is not a list of ids',
		(body) => {
			expect(readIds(body)).toBeUndefined();
		},
	);
});

describe('failureCode: a code in a 2xx answer that says failure', () => {
	test.each([
		[{ code: 401, message: 'Unauthorized' }, 401],
		[{ code: '500', message: 'oops' }, 500],
		[{ code: 422, detail: [{ msg: 'bad' }] }, 422],
		[{ code: 404, result: null }, 404],
	])('%p → %p', (body, code) => {
		expect(failureCode(body)).toBe(code);
	});
	test.each([
		[{ code: 200, result: [] }],
		[{ code: 0, result: [] }],
		[{ code: 'E_FAIL', message: 'x' }],
		// A record with a code of its own is not an envelope.
		[{ id: 'x', code: 404, name: 'a product' }],
		[[{ code: 500 }]],
		['text'],
	])('%p says no failure', (body) => {
		expect(failureCode(body)).toBeUndefined();
	});
});

test('quoteAnswer cuts long answers', () => {
	expect(quoteAnswer({ a: 1 })).toBe('{"a":1}');
	expect(quoteAnswer('x'.repeat(300))).toBe(`${'x'.repeat(200)}…`);
	expect(quoteAnswer(undefined)).toBe('(nothing)');
});
