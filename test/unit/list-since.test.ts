/**
 * bhumanApiListSince: the records of a paged list created since a time, reading only the pages the
 * list's order needs. Against a fake n8n context whose request helper serves pages of a list in
 * memory (newest or oldest first, bare or with a total): the records found are exactly those a
 * full read would filter, and the pages asked for are counted.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { bhumanApiListSince, PAGE_SIZE } from '../../nodes/Bhuman/transport';

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

/** `count` videos a minute apart, oldest first; `same` gives them all one created_at. */
const videos = (count: number, same = false) =>
	Array.from({ length: count }, (_, i) => ({
		id: `v${i}`,
		created_at: new Date(T0 + (same ? 0 : i * MINUTE)).toISOString(),
	}));

/** A context serving `list` page by page (bare arrays, or `{total, videos}`); `asked` the pages requested. */
function serving(list: IDataObject[], withTotal = false) {
	const asked: number[] = [];
	const context = {
		getNode: () => ({
			id: '1',
			name: 'BHuman',
			type: 'n8n-nodes-bhuman.bhuman',
			typeVersion: 1,
			position: [0, 0],
			parameters: {},
			credentials: { bhumanApi: { id: '1', name: 'BHuman account' } },
		}),
		getCredentials: async () => ({ apiKeyId: 'id', apiKeySecret: 'secret' }),
		helpers: {
			httpRequestWithAuthentication: async (
				_type: string,
				request: { qs: { page: number; size: number } },
			) => {
				const { page, size } = request.qs;
				asked.push(page);
				const records = list.slice(page * size, page * size + size);
				return {
					statusCode: 200,
					headers: {},
					body: withTotal ? { total: list.length, videos: records } : records,
				};
			},
		},
	} as unknown as IExecuteFunctions;
	return { context, asked };
}

async function since(list: IDataObject[], time: number, withTotal = false) {
	const { context, asked } = serving(list, withTotal);
	const read = await bhumanApiListSince.call(
		context,
		'/api/ai_studio/generated_video_by_video_instance_id',
		{
			qs: { video_instance_id: 'x' },
			since: time,
		},
	);
	const ids = read.records.map((record) => record.id as string).sort();
	return { ...read, ids, asked };
}

const expected = (list: IDataObject[], time: number) =>
	list
		.filter((record) => Date.parse(record.created_at as string) >= time)
		.map((record) => record.id as string)
		.sort();

describe('the records found are exactly those created since the time, in every order and size', () => {
	const sizes = [0, 1, 99, 100, 101, 250, 1000, 1234];
	const cases = sizes.flatMap((count) =>
		[-1, 0, 0.5, 0.99, 1, 2].flatMap((at) =>
			(['oldest', 'newest'] as const).flatMap((order) =>
				[false, true].map((withTotal) => ({ count, at, order, withTotal })),
			),
		),
	);
	test.each(cases)('%j', async ({ count, at, order, withTotal }) => {
		const oldest = videos(count);
		const list = order === 'oldest' ? oldest : [...oldest].reverse();
		const time = T0 + Math.round(at * count) * MINUTE;
		const read = await since(list, time, withTotal);
		expect(read.ids).toEqual(expected(list, time));
		expect(read.readAll).toBe(false);
	});
});

describe('what it costs', () => {
	const list = videos(10_000);
	const lastHour = T0 + (10_000 - 60) * MINUTE;

	test('10,000 videos oldest first, the last hour: about log2 of the pages, then the recent ones', async () => {
		const read = await since(list, lastHour);
		expect(read.ids).toHaveLength(60);
		expect(read.order).toBe('oldest');
		expect(read.requests).toBeLessThanOrEqual(16);
		expect(new Set(read.asked).size).toBe(read.asked.length);
	});

	test('with a total, oldest first: the last page is found at once', async () => {
		const read = await since(list, lastHour, true);
		expect(read.ids).toHaveLength(60);
		expect(read.requests).toBeLessThanOrEqual(3);
	});

	test('10,000 videos newest first, the last hour: one page', async () => {
		const read = await since([...list].reverse(), lastHour);
		expect(read.ids).toHaveLength(60);
		expect(read.order).toBe('newest');
		expect(read.asked).toEqual([0]);
	});

	test('newest first, the last 250 videos: three pages, then the page that reaches before stops it', async () => {
		const read = await since([...list].reverse(), T0 + (10_000 - 250) * MINUTE);
		expect(read.ids).toHaveLength(250);
		expect(read.asked).toEqual([0, 1, 2]);
	});

	test('an order that cannot be told (one created_at for all): read to the end, and said', async () => {
		const same = videos(1_000, true);
		const read = await since(same, T0);
		expect(read.ids).toHaveLength(1_000);
		expect(read.readAll).toBe(true);
		expect(read.order).toBe('unknown');
		expect(read.requests).toBe(Math.ceil(1_000 / PAGE_SIZE) + 1);
	});

	test('records without created_at are never found', async () => {
		const read = await since([{ id: 'a' }, { id: 'b', created_at: 'yesterday' }], 0);
		expect(read.ids).toEqual([]);
	});
});
