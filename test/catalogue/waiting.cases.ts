/**
 * Waiting: Max Wait is a deadline. Polls that BHuman answers slowly, not at all,
 * or with a long Retry-After end at it; the ids BHuman accepted are kept.
 */
import { MAX_CALLBACK_ROWS } from '../../nodes/Bhuman/helpers/callbacks';
import type { RunResult } from '../helpers/engine';
import { json } from '../helpers/hostile';
import { generateAndWait, generations, POLL_PATH, succeeded } from './generations';
import type { RunnableEntry } from './runner';

const rows = [{ name: 'Ann' }, { name: 'Bob' }];
/** n8n's engine and the first poll round (1 s in) add this to Max Wait at most. */
const MARGIN_MS = 1500;

/** Every row comes out with its id, timedOut, and the poll's error. */
function timedOut(pollError: RegExp, maxWaitMs: number) {
	return (result: RunResult, _hosts: unknown, ms: number) => {
		expect(ms).toBeLessThan(maxWaitMs + MARGIN_MS);
		expect(result.items).toHaveLength(rows.length);
		for (const item of result.items) {
			expect(item.json.id).toMatch(/^[0-9a-f-]{36}$/);
			expect(item.json.timedOut).toBe(true);
			expect(String(item.json.pollError)).toMatch(pollError);
		}
	};
}

export const entries: RunnableEntry[] = [
	{
		concern: 'waiting',
		input: 'Polls answered 429 with Retry-After: 60, Max Wait 1.5 s',
		outcome:
			'no wait past the deadline: the run ends at Max Wait, each row out with its id and timedOut: true',
		bhuman: generations((_request, response) =>
			json(response, 429, { message: 'slow down' }, { 'retry-after': '60' }),
		),
		parameters: () => generateAndWait(1.5),
		items: rows,
		requests: 1 + rows.length,
		error: null,
		then: timedOut(/rate limiting/, 1500),
	},
	{
		concern: 'waiting',
		input: 'Polls never answered (BHuman holds the connection), Max Wait 1.5 s',
		outcome:
			'each poll is aborted at the deadline: the run ends at Max Wait, rows timedOut with their ids',
		bhuman: generations(() => {
			// Never answers: the node must give up by itself.
		}),
		parameters: () => generateAndWait(1.5),
		items: rows,
		requests: 1 + rows.length,
		error: null,
		then: timedOut(/did not answer before the deadline/, 1500),
	},
	{
		concern: 'waiting',
		input: 'Polls answered 500 every time, Max Wait 1.2 s',
		outcome: 'no retry backoff past the deadline: one poll each, rows timedOut with their ids',
		bhuman: generations((_request, response) => json(response, 500, { message: 'down' })),
		parameters: () => generateAndWait(1.2),
		items: rows,
		requests: 1 + rows.length,
		error: null,
		then: timedOut(/server error \(500\)/, 1200),
	},
	{
		concern: 'waiting',
		input: 'Polls have their connection dropped, Max Wait 1.2 s',
		outcome: 'no retry backoff past the deadline: rows timedOut with their ids',
		bhuman: generations((_request, response) => {
			response.socket?.destroy();
		}),
		parameters: () => generateAndWait(1.2),
		items: rows,
		requests: 1 + rows.length,
		error: null,
		then: timedOut(/Could not reach BHuman|did not answer/, 1200),
	},
	{
		concern: 'waiting',
		input: 'A poll answered 429 with Retry-After: 0.2 inside Max Wait',
		outcome: 'retried within the deadline: the row comes out succeeded',
		bhuman: generations((request, response, hosts) => {
			const polls = hosts.bhuman.requests.filter((seen) => seen.path === POLL_PATH).length;
			if (polls === 1) return json(response, 429, {}, { 'retry-after': '0.2' });
			json(response, 200, succeeded(request.query.id, 'https://cdn.example.com/v.mp4'));
		}),
		parameters: () => generateAndWait(5),
		items: [{ name: 'Ann' }],
		requests: 1 + 2,
		error: null,
		then: (result, _hosts, ms) => {
			expect(ms).toBeLessThan(3000);
			expect(result.items[0].json).toMatchObject({
				status: 'succeeded',
				timedOut: false,
				polls: 1,
			});
		},
	},
	{
		concern: 'waiting',
		input: `Until BHuman Calls Back with ${MAX_CALLBACK_ROWS + 1} rows`,
		outcome: `refused before any request: at most ${MAX_CALLBACK_ROWS} videos per run, pointing to the polling mode, smaller runs or the trigger`,
		bhuman: generations(() => {}),
		parameters: () => generateAndWait(60, { waitMethod: 'callback', batchSize: 2000 }),
		items: Array.from({ length: MAX_CALLBACK_ROWS + 1 }, (_, i) => ({ name: `Row ${i}` })),
		requests: 0,
		error: new RegExp(
			`waits for at most ${MAX_CALLBACK_ROWS} videos in one run; this run has ${MAX_CALLBACK_ROWS + 1}[\\s\\S]*By Polling BHuman`,
		),
	},
	{
		concern: 'waiting',
		input:
			"Until BHuman Calls Back with BHuman itself (no Base URL) and n8n's resume URL on localhost",
		outcome:
			"refused before any request: BHuman could not call back; names the host and n8n's WEBHOOK_URL",
		bhuman: generations(() => {}),
		baseUrl: '',
		parameters: () => generateAndWait(60, { waitMethod: 'callback' }),
		items: rows,
		requests: 0,
		error: /BHuman cannot call back this n8n: its resume URL is on localhost[\s\S]*WEBHOOK_URL/,
	},
	{
		concern: 'waiting',
		input:
			'How to Wait holds a value this version does not know ("sometimes", in JSON edited by hand)',
		outcome: 'refused before any request, naming the field and the two values',
		bhuman: generations(() => {}),
		parameters: () => generateAndWait(60, { waitMethod: 'sometimes' }),
		items: rows,
		requests: 0,
		error: /Invalid item 0: How to Wait is "sometimes": it must be poll or callback/,
	},
];
