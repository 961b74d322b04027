/**
 * The one HTTP caller of the BHuman nodes. It alone knows BHuman's hosts, how
 * the credential is applied, which requests are retried and how pages are walked.
 */
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	IN8nHttpFullResponse,
	IWebhookFunctions,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';
import { basicAuth, checkBaseUrl } from './baseUrl';

export { checkBaseUrl, isLoopbackHost } from './baseUrl';

/** A streamed response body (node:stream may not be imported by community nodes). */
type Readable = Extract<
	Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0],
	{ pipe: unknown }
>;

export type BHumanContext =
	| IExecuteFunctions
	| ILoadOptionsFunctions
	| IHookFunctions
	| IWebhookFunctions;

export const CREDENTIAL_TYPE = 'bhumanApi';

/** BHuman serves its API from three hosts; the path prefix says which. */
const HOSTS = {
	studio: 'https://studio.bhuman.ai',
	user: 'https://user.bhuman.ai',
	store: 'https://store.bhuman.ai',
} as const;

export const PAGE_SIZE = 100;
/** Return All stops with an error after this many pages (100,000 records at PAGE_SIZE). */
export const MAX_PAGES = 1000;

/** GET requests are retried this many times at most (so 4 attempts in all). */
export const MAX_RETRIES = 3;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 8_000;
/** A Retry-After longer than this is not waited for: the error is reported instead. */
const RETRY_AFTER_MAX_MS = 60_000;

export interface RequestOptions {
	qs?: IDataObject;
	body?: IDataObject;
	/** The item the request is made for, carried into errors. */
	itemIndex?: number;
	/** What a 404 means, e.g. "Video instance 7d85…": the error then says it was not found. */
	notFound?: string;
	/**
	 * A time (ms since the epoch) no retry wait and no request may run past (a
	 * poll inside Max Wait): at it, the request is aborted and its error reported.
	 */
	deadline?: number;
	/**
	 * The BHuman credential, already read (see `readCredentials`): the request is sent with its
	 * Basic auth instead of through n8n's credential helper, which reads it again.
	 */
	credentials?: ICredentialDataDecryptedObject;
}

/**
 * The BHuman credential, read once for several requests. Outside an execution (a webhook call)
 * n8n resolves a credential in an expression isolate it starts for the purpose: about 0.1 s of
 * CPU on n8n 2.x each time, twice per request through its credential helper. A webhook that
 * asks BHuman several times reads it once and passes it as `credentials`.
 */
export async function readCredentials(
	this: BHumanContext,
): Promise<ICredentialDataDecryptedObject> {
	return await this.getCredentials(CREDENTIAL_TYPE);
}

export function hostFor(path: string): string {
	if (path.startsWith('/api/ai_studio/')) return HOSTS.studio;
	if (path.startsWith('/api/store/')) return HOSTS.store;
	return HOSTS.user;
}

async function baseUrlFor(
	this: BHumanContext,
	path: string,
	credentials: ICredentialDataDecryptedObject,
): Promise<string> {
	const override = typeof credentials.baseUrl === 'string' ? credentials.baseUrl.trim() : '';
	if (!override) return hostFor(path);
	const checked = checkBaseUrl(override);
	if ('problem' in checked) {
		throw new NodeOperationError(this.getNode(), checked.problem, {
			description: 'Change the Base URL of the BHuman credential, or leave it empty for BHuman.',
		});
	}
	return checked.url;
}

/** BHuman's own explanation from an error body, whatever shape it came in. */
export function messageFromBody(body: unknown): string | undefined {
	if (body === undefined || body === null || body === '') return undefined;
	if (typeof body === 'string') {
		try {
			return messageFromBody(JSON.parse(body));
		} catch {
			return body.slice(0, 500);
		}
	}
	if (Buffer.isBuffer(body)) return messageFromBody(body.toString('utf8'));
	if (typeof body !== 'object') return String(body);
	const data = body as IDataObject;
	for (const key of ['message', 'error', 'detail', 'msg']) {
		const value = data[key];
		if (typeof value === 'string' && value) return value;
		if (Array.isArray(value) && value.length) {
			return value
				.map((entry) =>
					typeof entry === 'object' && entry
						? ((entry as IDataObject).msg ?? JSON.stringify(entry))
						: String(entry),
				)
				.join('; ');
		}
	}
	return undefined;
}

function statusMessage(status: number, options: RequestOptions, bhumanMessage?: string): string {
	if (status === 401) {
		return 'BHuman rejected the API key: check the API Key ID and API Key Secret of your BHuman credential';
	}
	if (status === 403) return 'BHuman refused access with this API key';
	if (status === 404)
		return options.notFound
			? `${options.notFound} was not found`
			: 'BHuman could not find the resource';
	if (status === 400 || status === 422) {
		return `BHuman rejected the request: ${bhumanMessage ?? 'invalid parameters'}`;
	}
	if (status === 429)
		return 'BHuman is rate limiting requests: try again later or send fewer at once';
	if (status >= 500) return `BHuman answered with a server error (${status})`;
	return `BHuman answered with HTTP ${status}`;
}

function apiError(
	this: BHumanContext,
	status: number,
	body: unknown,
	options: RequestOptions,
): NodeApiError {
	const bhumanMessage = messageFromBody(body);
	const message = statusMessage(status, options, bhumanMessage);
	const description = bhumanMessage ? `BHuman says: ${bhumanMessage}` : undefined;
	return new NodeApiError(
		this.getNode(),
		{ message: bhumanMessage ?? message, httpCode: String(status) } as JsonObject,
		{ message, description, httpCode: String(status), itemIndex: options.itemIndex },
	);
}

/** A 404 for a resource BHuman answered with an empty list for. */
export function notFoundError(this: BHumanContext, what: string, itemIndex?: number) {
	return apiError.call(this, 404, undefined, { notFound: what, itemIndex });
}

/**
 * A request that got no HTTP answer (refused, reset, timed out, or refused by
 * n8n itself). The error is rebuilt from its code and message alone: the
 * original carries the request config, which holds the Authorization header.
 */
function networkError(this: BHumanContext, error: unknown, url: string, options: RequestOptions) {
	const code = networkErrorCode(error);
	if (code === undefined) {
		const message = error instanceof Error ? error.message : String(error);
		return new NodeApiError(this.getNode(), { message } as JsonObject, {
			message: `The request to BHuman failed: ${message}`,
			itemIndex: options.itemIndex,
		});
	}
	const message = `Could not reach BHuman at ${new URL(url).origin} (${code})`;
	const nodeError = new NodeApiError(
		this.getNode(),
		{ message: `Could not reach BHuman (${code})`, code } as JsonObject,
		{
			message,
			description: 'Check the network, and the Base URL of the BHuman credential if one is set.',
			itemIndex: options.itemIndex,
		},
	);
	// NodeApiError swaps any message holding a known code (ECONNREFUSED…) for n8n's
	// generic text, which names neither BHuman, the origin nor the code: keep ours.
	nodeError.message = message;
	return nodeError;
}

const NETWORK_CODES =
	/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ECONNABORTED|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ERR_SOCKET_CONNECTION_TIMEOUT|UND_ERR_SOCKET|ESOCKETTIMEDOUT)$/;

export function networkErrorCode(error: unknown): string | undefined {
	const seen = new Set<unknown>();
	let current = error as IDataObject | undefined;
	while (current && typeof current === 'object' && !seen.has(current)) {
		seen.add(current);
		if (typeof current.code === 'string' && NETWORK_CODES.test(current.code)) return current.code;
		const message = typeof current.message === 'string' ? current.message : '';
		const match = message.match(
			/\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ECONNABORTED|EPIPE|ENOTFOUND|EAI_AGAIN)\b/,
		);
		if (match) return match[1];
		if (/socket hang up/i.test(message)) return 'ECONNRESET';
		current = (current.cause ?? current.context) as IDataObject | undefined;
	}
	return undefined;
}

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date), if any. */
export function retryAfterMs(header: unknown, now = Date.now()): number | undefined {
	if (typeof header !== 'string' && typeof header !== 'number') return undefined;
	const text = String(header).trim();
	if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
	const date = Date.parse(text);
	return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function backoffMs(attempt: number): number {
	return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
}

function isRetryableStatus(status: number) {
	return status === 429 || status >= 500;
}

/**
 * Sends one request, retrying it `retries` times on 429, 5xx and network
 * errors with a bounded backoff that honours Retry-After. With a deadline, no
 * wait and no request runs past it: what would is reported as it stands.
 */
async function send(
	this: BHumanContext,
	request: IHttpRequestOptions,
	retries: number,
	options: RequestOptions,
	authenticated: boolean,
): Promise<IN8nHttpFullResponse> {
	const { deadline } = options;
	const timeLeft = () => (deadline === undefined ? Infinity : deadline - Date.now());
	for (let attempt = 0; ; attempt++) {
		if (timeLeft() <= 0) throw deadlineError.call(this, request.url, options);
		const timeout = Number.isFinite(timeLeft()) ? Math.max(1, Math.ceil(timeLeft())) : undefined;
		let response: IN8nHttpFullResponse;
		try {
			response = (
				authenticated
					? await this.helpers.httpRequestWithAuthentication.call(this, CREDENTIAL_TYPE, {
							...request,
							...(timeout ? { timeout } : {}),
						})
					: await this.helpers.httpRequest({ ...request, ...(timeout ? { timeout } : {}) })
			) as IN8nHttpFullResponse;
		} catch (error) {
			if (timeLeft() <= 0) throw deadlineError.call(this, request.url, options);
			if (networkErrorCode(error) !== undefined && attempt < retries) {
				const pause = backoffMs(attempt);
				if (pause < timeLeft()) {
					await sleep(pause);
					continue;
				}
			}
			throw networkError.call(this, error, request.url, options);
		}

		const status = response.statusCode;
		if (status >= 200 && status < 300) return response;
		if (status >= 300 && status < 400) {
			discard(response.body);
			throw redirectError.call(this, status, response.headers?.location, request.url, options);
		}

		if (attempt < retries && isRetryableStatus(status)) {
			const asked = retryAfterMs(response.headers?.['retry-after']);
			const pause = asked ?? backoffMs(attempt);
			if (pause <= RETRY_AFTER_MAX_MS && pause < timeLeft()) {
				discard(response.body);
				await sleep(pause);
				continue;
			}
		}
		discard(response.body);
		throw apiError.call(this, status, isStream(response.body) ? undefined : response.body, options);
	}
}

/**
 * A 3xx to an authenticated request. It is not followed: n8n's request helper
 * would send the key along to wherever it points (also to another host), and a
 * 307/308 would send a paid POST again.
 */
function redirectError(
	this: BHumanContext,
	status: number,
	location: unknown,
	url: string,
	options: RequestOptions,
) {
	let target = 'no Location';
	if (typeof location === 'string' && location) {
		try {
			target = new URL(location, url).host;
		} catch {
			target = 'an invalid Location';
		}
	}
	const message = `BHuman answered with a redirect (${status}) to ${target}, which is not followed`;
	return new NodeApiError(this.getNode(), { message, httpCode: String(status) } as JsonObject, {
		message,
		description:
			'Requests carrying the BHuman API key never follow redirects, so the key is not sent to another host and a generation is not sent twice. Check the Base URL of the BHuman credential (a proxy must answer itself, not redirect).',
		httpCode: String(status),
		itemIndex: options.itemIndex,
	});
}

/** The deadline passed before BHuman answered (a retry wait or the request itself would run past it). */
function deadlineError(this: BHumanContext, url: string, options: RequestOptions) {
	return new NodeApiError(
		this.getNode(),
		{ message: 'No answer before the deadline' } as JsonObject,
		{
			message: `BHuman at ${new URL(url).origin} did not answer before the deadline`,
			itemIndex: options.itemIndex,
		},
	);
}

function isStream(body: unknown): body is Readable {
	return typeof (body as Readable | undefined)?.pipe === 'function';
}

/** An unread error body of a streamed download would hold its socket open. */
function discard(body: unknown) {
	if (isStream(body)) body.destroy();
}

/**
 * One BHuman API call. GETs are retried (see `send`). Nothing else is: a POST
 * may have been acted on (generation is paid), so its failure is reported as is.
 */
export async function bhumanApiRequest<T = unknown>(
	this: BHumanContext,
	method: IHttpRequestMethods,
	path: string,
	options: RequestOptions = {},
): Promise<T> {
	const credentials = options.credentials ?? (await readCredentials.call(this));
	const request: IHttpRequestOptions = {
		method,
		url: `${await baseUrlFor.call(this, path, credentials)}${path}`,
		qs: options.qs,
		body: options.body,
		json: true,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		// The key must not follow a redirect to another host, nor a POST be sent twice (see redirectError).
		disableFollowRedirect: true,
		sendCredentialsOnCrossOriginRedirect: false,
		headers: { Accept: 'application/json' },
	};
	// With the credential given, its Basic auth goes into the request (as the credential's own
	// `authenticate` sets it); otherwise n8n's credential helper applies it.
	if (options.credentials) request.auth = basicAuth(options.credentials);
	const response = await send.call(
		this,
		request,
		method === 'GET' ? MAX_RETRIES : 0,
		options,
		!options.credentials,
	);
	return response.body as T;
}

/**
 * Streams a rendered file (MP4, thumbnail) from the URL BHuman gave. These are
 * public storage URLs: the BHuman credential is not sent to them, so they may
 * follow redirects (storage often answers through a CDN). A file larger than
 * `maxBytes` is refused by its Content-Length before it is read, and a stream
 * that passes it (no or a wrong Content-Length) is aborted.
 */
export async function downloadMedia(
	this: IExecuteFunctions | IWebhookFunctions,
	url: string,
	options: RequestOptions & { maxBytes: number; what: string },
): Promise<{ stream: Readable; contentType?: string }> {
	const request: IHttpRequestOptions = {
		method: 'GET',
		url,
		encoding: 'stream',
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
	};
	const response = await send.call(this, request, MAX_RETRIES, options, false);
	const stream = response.body as Readable;
	const declared = Number(response.headers?.['content-length']);
	if (Number.isFinite(declared) && declared > options.maxBytes) {
		discard(stream);
		throw tooLargeError.call(this, options, declared);
	}
	limitStream(stream, options.maxBytes, () => tooLargeError.call(this, options));
	const contentType = response.headers?.['content-type'];
	return {
		stream,
		contentType: typeof contentType === 'string' ? contentType.split(';')[0].trim() : undefined,
	};
}

function megabytes(bytes: number) {
	return `${Math.round((bytes / 1_000_000) * 100) / 100} MB`;
}

function tooLargeError(
	this: IExecuteFunctions | IWebhookFunctions,
	options: RequestOptions & { maxBytes: number; what: string },
	declared?: number,
) {
	const size = declared === undefined ? 'more than that' : megabytes(declared);
	return new NodeOperationError(
		this.getNode(),
		`${options.what} is larger than Max Download Size (${megabytes(options.maxBytes)}): ${size}`,
		{
			itemIndex: options.itemIndex,
			description:
				'Raise Max Download Size, or turn Download Video off and use mp4Url. For large files or many downloads, run n8n with N8N_DEFAULT_BINARY_DATA_MODE=filesystem so binaries are not held in memory.',
		},
	);
}

/**
 * Destroys `stream` with the error once more than `maxBytes` have gone through
 * it. Every consumer (pipe, 'data' listeners, async iteration) receives chunks
 * through `emit('data')`, so counting there sees them all without starting the
 * flow early (a 'data' listener would, losing chunks before n8n reads them);
 * community nodes may not import node:stream for a Transform.
 */
function limitStream(stream: Readable, maxBytes: number, error: () => Error) {
	let seen = 0;
	const emit = stream.emit.bind(stream) as (event: string | symbol, ...args: unknown[]) => boolean;
	stream.emit = ((event: string | symbol, ...args: unknown[]) => {
		if (event === 'data') {
			seen += (args[0] as { length: number }).length;
			if (seen > maxBytes) {
				stream.destroy(error());
				return false;
			}
		}
		return emit(event, ...args);
	}) as Readable['emit'];
}

/** The one record of an answer BHuman gives as a one-element list or as the object itself. */
export function firstRecord(body: unknown): unknown {
	return Array.isArray(body) ? (body as unknown[])[0] : body;
}

/** The records of a list response: a bare array, or the array inside `{ total, <key>: [...] }`. */
export function recordsOf(body: unknown): { records: IDataObject[]; total?: number } {
	if (Array.isArray(body)) return { records: body as IDataObject[] };
	if (body && typeof body === 'object') {
		const data = body as IDataObject;
		const total = typeof data.total === 'number' ? data.total : undefined;
		for (const value of Object.values(data)) {
			if (Array.isArray(value)) return { records: value as IDataObject[], total };
		}
		return { records: [], total };
	}
	return { records: [] };
}

/** Ids of a page's records (their JSON where there is no id), to notice a page served twice. */
function pageKey(records: IDataObject[]): string {
	return JSON.stringify(records.map((record) => record.id ?? record));
}

/**
 * Walks a paged list (page 0, 1, 2 … at one page size) until `limit` records,
 * the reported total, or (without a total) a short page. A short page before
 * the total is not the end (BHuman's pages can come short), an empty one is.
 * A page equal to the one before (a server ignoring `page`) and more than
 * MAX_PAGES pages stop with an error instead of looping. With a limit under a
 * page, one page of exactly that size is asked for.
 */
export async function bhumanApiRequestAllItems(
	this: BHumanContext,
	path: string,
	options: RequestOptions & { limit?: number } = {},
): Promise<IDataObject[]> {
	const { limit, ...requestOptions } = options;
	if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
		throw new NodeOperationError(this.getNode(), `Limit must be a whole number of at least 1`, {
			itemIndex: options.itemIndex,
		});
	}
	const size = limit !== undefined ? Math.min(PAGE_SIZE, limit) : PAGE_SIZE;
	const collected: IDataObject[] = [];
	let previous: string | undefined;
	for (let page = 0; ; page++) {
		if (page >= MAX_PAGES) {
			throw pagingError.call(
				this,
				`BHuman's list ${path} has more than ${MAX_PAGES} pages: stopped after ${collected.length} records`,
				'Use Limit, or a narrower list (e.g. one video instance or campaign).',
				options.itemIndex,
			);
		}
		const body = await bhumanApiRequest.call(this, 'GET', path, {
			...requestOptions,
			qs: { ...requestOptions.qs, page, size },
		});
		const { records, total } = recordsOf(body);
		const key = pageKey(records);
		if (records.length > 0 && key === previous) {
			throw pagingError.call(
				this,
				`BHuman returned the same records for page ${page} as for page ${page - 1} of ${path}: stopped after ${collected.length} records`,
				'The server seems to ignore the page parameter. Check the Base URL of the BHuman credential (a proxy must pass the query string on).',
				options.itemIndex,
			);
		}
		previous = key;
		collected.push(...records);
		if (limit !== undefined && collected.length >= limit) return collected.slice(0, limit);
		if (records.length === 0) return collected;
		if (total !== undefined) {
			if (collected.length >= total) return collected;
		} else if (records.length < size) {
			return collected;
		}
	}
}

function pagingError(
	this: BHumanContext,
	message: string,
	description: string,
	itemIndex?: number,
) {
	return new NodeOperationError(this.getNode(), message, { description, itemIndex });
}
