/**
 * The resume catalogue (resume.cases.ts): each callback against a run waiting until BHuman calls
 * back (two generations, the second still rendering), served as n8n serves resume URLs
 * (test/helpers/waiting.ts): the status and answer, that the run still waits, the requests
 * BHuman saw, and that neither the run's token nor the API secret appears in the answer.
 */
import type { IDataObject } from 'n8n-workflow';
import { rl, withSimulator } from '../helpers/sim';
import { startWaitingServer, type WaitingServer } from '../helpers/waiting';
import { expectNoSecrets } from './catalogue';
import { cases, type ResumeCase } from './resume.cases';

const h = withSimulator({ render: { queuedMs: 20, processingMs: 40 }, callbacks: { repeat: 0 } });
let server: WaitingServer;
beforeEach(async () => {
	server = await startWaitingServer({ credentials: h.credentials });
});
afterEach(async () => {
	h.sim.clearFaults();
	await server.close();
});

const POLL = '/api/ai_studio/generated_video_by_id';

test.each(cases.map((c) => [c.input, c] as const))('%s', async (_input, c: ResumeCase) => {
	const started = await server.start({
		parameters: {
			resource: 'video',
			operation: 'generate',
			videoInstanceId: rl(h.sim.data.videoInstances[0].id),
			inputMode: 'mapping',
			variables: { variable: [{ name: 'name', value: '={{ $json.name }}' }] },
			waitForCompletion: true,
			waitMethod: 'callback',
			maxWait: 10,
		},
		items: [{ name: 'Ann' }, { name: 'sim:never' }],
	});
	expect(started.status).toBe('waiting');
	const post = h.sim.requests.find((r) => r.path === '/api/ai_studio/try_sample')!;
	const url = new URL(post.body.callback_url as string);
	const runToken = url.searchParams.get('token')!;
	if (c.token === 'none') url.searchParams.delete('token');
	if (c.token === 'wrong') url.searchParams.set('token', 'guessed-token');
	const pending = started.runs[0].data.resultData.runData.BHuman[0].data!.main[0]!;
	const ids = pending.map((item) => item.json.id as string) as [string, string];
	if (c.bhumanDown) h.sim.inject({ method: 'GET', path: POLL, status: 500, times: -1 });
	const before = h.sim.requests.filter((r) => r.path === POLL).length;
	let target = url.toString();
	const extra = Object.entries(c.query?.(ids) ?? {});
	if (extra.length && c.naive) target += `?${new URLSearchParams(extra)}`;
	else for (const [key, value] of extra) url.searchParams.append(key, value);
	if (!c.naive) target = url.toString();

	const response = await fetch(target, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(c.body(ids)),
	});
	const answer = (await response.json()) as IDataObject;
	expect(response.status).toBe(c.status);
	expect(answer).toMatchObject(c.answer);
	const asked = h.sim.requests.filter((r) => r.path === POLL).length - before;
	expect(asked).toBe(c.bhumanRequests);
	expect(server.executions.get(started.id)!.status).toBe('waiting');
	expect(server.calls.every((call) => call.result?.workflowData === undefined)).toBe(true);
	expectNoSecrets(answer, [runToken, h.sim.keySecret]);
});
