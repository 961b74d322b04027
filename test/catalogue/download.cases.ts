/**
 * Download: Max Download Size on Video → Get and on Generate's download. A file
 * over the limit is refused by its Content-Length or aborted mid-stream; the
 * limit itself is checked before any request.
 */
import type { ServerResponse } from '../host';
import { randomUUID } from 'node:crypto';
import type { INodeParameters } from 'n8n-workflow';
import type { RunResult } from '../helpers/engine';
import { json } from '../helpers/hostile';
import { generateAndWait, generations, POLL_PATH, succeeded } from './generations';
import type { EntryHandler, Hosts, RunnableEntry } from './runner';

const MB = 1_000_000;
const GENERATION = randomUUID();

/** Video → Get with Download Video on and the given Max Download Size (MB). */
const getAndDownload = (maxDownloadSize: unknown): INodeParameters => ({
	resource: 'video',
	operation: 'get',
	generationId: GENERATION,
	downloadVideo: true,
	binaryPropertyName: 'data',
	maxDownloadSize: maxDownloadSize as number,
});

/** BHuman's stand-in answering the poll with a succeeded video stored on the second host. */
const storedElsewhere: EntryHandler = (request, response, hosts) =>
	request.path === POLL_PATH
		? json(response, 200, succeeded(request.query.id, `${hosts.other.url}/${request.query.id}.mp4`))
		: json(response, 404, {});

/** An MP4 of `bytes`, sent with its Content-Length or (false) chunked, in 64 KB writes. */
function mp4(bytes: number, withLength = true): EntryHandler {
	return async (_request, response: ServerResponse) => {
		response.on('error', () => {});
		response.writeHead(200, {
			'content-type': 'video/mp4',
			...(withLength ? { 'content-length': String(bytes) } : {}),
		});
		const chunk = Buffer.alloc(64 * 1024, 1);
		for (let sent = 0; sent < bytes && !response.destroyed; sent += chunk.length) {
			const part = chunk.subarray(0, Math.min(chunk.length, bytes - sent));
			if (!response.write(part))
				await new Promise((resolve) => response.once('drain', resolve).once('close', resolve));
		}
		response.end();
	};
}

const tooLarge = (generation: string, size: string) =>
	new RegExp(
		`The video file of generation ${generation} is larger than Max Download Size \\(1 MB\\): ${size}`,
	);

/** Ids of the generations the stand-in was polled for. */
const polledIds = (hosts: Hosts) =>
	hosts.bhuman.requests.filter((seen) => seen.path === POLL_PATH).map((seen) => seen.query.id);

const invalidSize = (value: unknown, shown: string): RunnableEntry => ({
	concern: 'download',
	input: `Max Download Size is ${shown} (Video → Get)`,
	outcome: `refused before any request: "Max Download Size (MB) of item 0 must be a number above 0, not ${shown}"`,
	bhuman: storedElsewhere,
	other: mp4(1000),
	parameters: () => getAndDownload(value),
	requests: 0,
	error: new RegExp(`Max Download Size \\(MB\\) of item 0 must be a number above 0, not ${shown}`),
});

const rows = [{ name: 'Ann' }, { name: 'Bob' }];

export const entries: RunnableEntry[] = [
	{
		concern: 'download',
		input: 'Video → Get: the MP4 declares 2 MB (Content-Length), Max Download Size 1 MB',
		outcome:
			'refused before reading it: "The video file of generation <id> is larger than Max Download Size (1 MB): 2 MB"',
		bhuman: storedElsewhere,
		other: mp4(2 * MB),
		parameters: () => getAndDownload(1),
		requests: 1,
		otherRequests: 1,
		error: tooLarge(GENERATION, '2 MB'),
	},
	{
		concern: 'download',
		input: 'Video → Get: the MP4 is streamed without a Content-Length past Max Download Size',
		outcome: 'the stream is aborted once it passes the limit, same error ("… : more than that")',
		bhuman: storedElsewhere,
		other: mp4(3 * MB, false),
		parameters: () => getAndDownload(1),
		requests: 1,
		otherRequests: 1,
		error: tooLarge(GENERATION, 'more than that'),
	},
	{
		concern: 'download',
		input: 'Video → Get: the MP4 (0.5 MB) is within Max Download Size',
		outcome: 'downloaded into the binary property, whole',
		bhuman: storedElsewhere,
		other: mp4(MB / 2, false),
		parameters: () => getAndDownload(1),
		requests: 1,
		otherRequests: 1,
		error: null,
		then: (result: RunResult) => {
			expect(result.items[0].binary?.data).toMatchObject({ mimeType: 'video/mp4' });
			expect(result.items[0].binary?.data.fileSize).toMatch(/^(500 kB|488 kB)$/);
		},
	},
	{
		concern: 'download',
		input: 'The MP4 URL redirects (302) to another host',
		outcome:
			'not followed (n8n fetches where BHuman said, nowhere else): "The video file of generation <id> was not downloaded: its URL redirects (302) to <host>, which is not followed"',
		bhuman: storedElsewhere,
		other: (request, response, hosts) => {
			if (request.path.startsWith('/final/')) return mp4(1000)(request, response, hosts);
			// localhost is another origin than 127.0.0.1: a cross-origin redirect.
			response.writeHead(302, {
				location: `${hosts.other.url.replace('127.0.0.1', 'localhost')}/final${request.path}`,
			});
			response.end();
		},
		parameters: () => getAndDownload(1),
		requests: 1,
		otherRequests: 1,
		error: new RegExp(
			`The video file of generation ${GENERATION} was not downloaded: its URL redirects \\(302\\) to localhost:\\d+, which is not followed`,
		),
	},
	{
		concern: 'download',
		input: 'The MP4 URL redirects (302) on its own host',
		outcome: 'followed: downloaded, no Authorization header at either host',
		bhuman: storedElsewhere,
		other: (request, response, hosts) => {
			if (request.path.startsWith('/final/')) return mp4(1000)(request, response, hosts);
			response.writeHead(302, { location: `/final${request.path}` });
			response.end();
		},
		parameters: () => getAndDownload(1),
		requests: 1,
		otherRequests: 2,
		error: null,
		then: (result) => expect(result.items[0].binary?.data).toBeDefined(),
	},
	invalidSize('={{ Number("big") }}', 'NaN'),
	invalidSize('={{ 0 }}', '0'),
	{
		...invalidSize('={{ -5 }}', '-5'),
		input: 'Max Download Size is -5 on Video → Generate (waiting, downloading)',
		outcome: 'refused with the other parameters, before the paid POST: no request',
		bhuman: generations(storedElsewhere),
		parameters: () => generateAndWait(5, { downloadVideo: true, maxDownloadSize: '={{ -5 }}' }),
		items: rows,
	},
	{
		concern: 'download',
		input: 'Video → Generate (waiting, downloading): the first video is over Max Download Size',
		outcome:
			'the error names the generation and the limit, and lists every accepted generation id so none is lost',
		bhuman: generations(storedElsewhere),
		other: mp4(2 * MB),
		parameters: () => generateAndWait(5, { downloadVideo: true, maxDownloadSize: 1 }),
		items: rows,
		requests: 1 + rows.length,
		otherRequests: 1,
		error:
			/Downloading the video of item 0 failed: The video file of generation [0-9a-f-]{36} is larger than Max Download Size \(1 MB\): 2 MB/,
		then: (result, hosts) => {
			const description = String((result.error as { description?: string }).description);
			for (const id of polledIds(hosts)) expect(description).toContain(id);
		},
	},
	{
		concern: 'download',
		input:
			'Video → Generate with Continue On Fail (waiting, downloading): every video over Max Download Size',
		outcome: 'each item comes out with its generation id and the size error, none is lost',
		bhuman: generations(storedElsewhere),
		other: mp4(2 * MB),
		parameters: () => generateAndWait(5, { downloadVideo: true, maxDownloadSize: 1 }),
		items: rows,
		continueOnFail: true,
		requests: 1 + rows.length,
		otherRequests: rows.length,
		error: null,
		then: (result, hosts) => {
			expect(result.items.map((item) => item.json.id)).toEqual(polledIds(hosts));
			for (const item of result.items) {
				expect(item.json.error).toMatch(tooLarge(String(item.json.id), '2 MB'));
				expect(item.binary).toBeUndefined();
			}
		},
	},
];
