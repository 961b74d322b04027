/**
 * A stand-in for BHuman's generate and polling endpoints, for the waiting and
 * download catalogues: a POST answers one new id per row, a poll answers what
 * `poll` makes of it.
 */
import type { ServerResponse } from '../host';
import { randomUUID } from 'node:crypto';
import type { INodeParameters } from 'n8n-workflow';
import { json, type Received } from '../helpers/hostile';
import { rl } from '../helpers/sim';
import type { EntryHandler, Hosts } from './runner';

export const GENERATE_PATH = '/api/ai_studio/try_sample';
export const POLL_PATH = '/api/ai_studio/generated_video_by_id';

export function generations(
	poll: (request: Received, response: ServerResponse, hosts: Hosts) => void | Promise<void>,
): EntryHandler {
	return (request, response, hosts) => {
		if (request.method === 'POST' && request.path === GENERATE_PATH) {
			const { names } = JSON.parse(request.body) as { names: unknown[] };
			return json(response, 200, { result: names.map(() => randomUUID()) });
		}
		if (request.method === 'GET' && request.path === POLL_PATH)
			return poll(request, response, hosts);
		return json(response, 404, { message: 'not here' });
	};
}

/** A succeeded generation whose MP4 is at `mp4Url`. */
export function succeeded(id: string, mp4Url: string) {
	return { id, status: 'succeeded', url: mp4Url, share_url: `https://app.bhuman.ai/share/${id}` };
}

/** Video → Generate of one row per item, waiting (Poll Interval 1 s) for at most `maxWaitSeconds`. */
export function generateAndWait(
	maxWaitSeconds: number,
	more: INodeParameters = {},
): INodeParameters {
	return {
		resource: 'video',
		operation: 'generate',
		videoInstanceId: rl(randomUUID()),
		inputMode: 'mapping',
		variables: { variable: [{ name: 'name', value: '={{ $json.name }}' }] },
		waitForCompletion: true,
		pollInterval: 1,
		maxWait: maxWaitSeconds / 60,
		...more,
	};
}
