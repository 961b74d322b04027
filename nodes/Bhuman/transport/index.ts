/**
 * The one HTTP caller of the BHuman nodes. It alone knows BHuman's hosts, how
 * the credential is applied, which requests are retried and how pages are walked.
 */
import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
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
import { failureCode, quoteAnswer, readList, readRecord, readRecords } from './answers';
import { checkBaseUrl, isLoopbackHost } from './baseUrl';
import { forgetOld } from './bounded';

export { readIds, quoteAnswer } from './answers';
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
	 * The request reads a list: BHuman may serve lists to its own app only (its 2026-10 reference),
	 * so a 401/403 says that, and what to use instead.
	 */
	list?: boolean;
	/** A download: redirects are followed on the same origin only (`what` names the file in errors). */
	download?: { what: string };
}

/** Redirects a download follows (on its own origin) before it gives up. */
const MAX_REDIRECTS = 5;

/**
 * The BHuman credential, read once per request path: a node run, a list search, a webhook call
 * each read it once, however many requests they send. Every request then goes through n8n's
 * credential helper with the credential as read (the credential's own `authenticate` applies the
 * Basic auth and the Base URL rule), the one way BHuman is called.
 */
const credentialReads = new WeakMap<object, Promise<ICredentialsDecrypted>>();

/**
 * Outside an execution (a webhook call) n8n 2.x reads a credential in an expression isolate of
 * its own, created for that read and disposed after (n8n's pool hands out single-use isolates,
 * and the webhook call holds one already): the dearest part of a callback of Until BHuman Calls
 * Back, which come in bursts. So the webhook calls of one workflow share the credential this
 * process read for that workflow in the last minute: a changed credential reaches callbacks
 * within a minute; it is never written anywhere.
 */
const webhookReads = new Map<string, { read: Promise<ICredentialsDecrypted>; at: number }>();
const WEBHOOK_READ_MS = 60_000;
const WEBHOOK_READS_MAX = 100;

function isWebhookCall(context: BHumanContext): context is IWebhookFunctions {
	return typeof (context as IWebhookFunctions).getRequestObject === 'function';
}

function readCredential(this: BHumanContext): Promise<ICredentialsDecrypted> {
	return (async () => {
		const data = await this.getCredentials<ICredentialDataDecryptedObject>(CREDENTIAL_TYPE);
		const { id = null, name = '' } = this.getNode().credentials?.[CREDENTIAL_TYPE] ?? {};
		return { id: id ?? '', name, type: CREDENTIAL_TYPE, data };
	})();
}

/** A webhook call's read: the one of its workflow's credential in the last minute, if any. */
function sharedRead(this: IWebhookFunctions): Promise<ICredentialsDecrypted> {
	const id = this.getNode().credentials?.[CREDENTIAL_TYPE]?.id;
	if (!id) return readCredential.call(this);
	const key = `${this.getWorkflow().id ?? ''} ${id}`;
	forgetOld(webhookReads, (entry) => entry.at, WEBHOOK_READ_MS, WEBHOOK_READS_MAX);
	const known = webhookReads.get(key);
	if (known) return known.read;
	const read = readCredential.call(this);
	webhookReads.set(key, { read, at: Date.now() });
	read.catch(() => webhookReads.delete(key));
	return read;
}

function credentialOf(this: BHumanContext): Promise<ICredentialsDecrypted> {
	let read = credentialReads.get(this);
	if (read) return read;
	read = isWebhookCall(this) ? sharedRead.call(this) : readCredential.call(this);
	credentialReads.set(this, read);
	// A failed read is not kept: the next request reads again.
	read.catch(() => credentialReads.delete(this));
	return read;
}

/** Whether the credential names a Base URL (the simulator, a proxy) instead of BHuman's hosts. */
export async function hasBaseUrl(this: BHumanContext): Promise<boolean> {
	const { data } = await credentialOf.call(this);
	return typeof data?.baseUrl === 'string' && data.baseUrl.trim() !== '';
}

export function hostFor(path: string): string {
	if (path.startsWith('/api/ai_studio/')) return HOSTS.studio;
	if (path.startsWith('/api/store/')) return HOSTS.store;
	return HOSTS.user;
}

function baseUrlFor(
	this: BHumanContext,
	path: string,
	credentials: ICredentialDataDecryptedObject,
): string {
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

/** The routes BHuman promises take the API key (its 2026-10 reference): a 401 there is a wrong key. */
const KEY_ROUTES = ['/api/ai_studio/try_sample', '/api/ai_studio/pipeline/campaign'];

/** The API route a request went to, for its errors. */
interface Route {
	method: IHttpRequestMethods;
	path: string;
}

/** The message and advice of a 401/403 (also a `code` of 401/403 in a 200 answer). */
function keyRefusal(status: number, options: RequestOptions, to?: Route) {
	const checkKey = 'check the API Key ID and API Key Secret of your BHuman credential';
	if (to === undefined || KEY_ROUTES.includes(to.path)) {
		return {
			message:
				status === 401
					? `BHuman rejected the API key: ${checkKey}`
					: 'BHuman refused access with this API key',
		};
	}
	const route = `${to.method} ${to.path}`;
	if (options.list) {
		return {
			message: `BHuman did not allow this list with an API key: enter the ID or the app URL instead (if Generate fails with ${status} too, ${checkKey})`,
			advice: `BHuman answered ${status} to ${route}. Its API reference of 2026-10-02 serves template, campaign and result lists to its own app only, not to API keys; generating videos and reading a generation by its ID work with the key. In an ID field, switch From List to By ID or By URL and paste the ID or the BHuman app URL.`,
		};
	}
	return {
		message: `BHuman did not accept the API key for ${route} (${status}): ${checkKey}`,
		advice: `If the key is right (Generate works with it), BHuman does not allow ${route} with an API key: its API reference of 2026-10-02 promises the key only for generating videos.`,
	};
}

function statusMessage(status: number, options: RequestOptions, bhumanMessage?: string): string {
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
	to?: Route,
): NodeApiError {
	const bhumanMessage = messageFromBody(body);
	const refusal = status === 401 || status === 403 ? keyRefusal(status, options, to) : undefined;
	const message = refusal?.message ?? statusMessage(status, options, bhumanMessage);
	const description =
		[bhumanMessage ? `BHuman says: ${bhumanMessage}` : '', refusal?.advice ?? '']
			.filter(Boolean)
			.join('\n\n') || undefined;
	return new NodeApiError(
		this.getNode(),
		{ message: bhumanMessage ?? message, httpCode: String(status) } as JsonObject,
		{ message, description, httpCode: String(status), itemIndex: options.itemIndex },
	);
}

/** A 404 for a resource BHuman answered with an empty list for. */
function notFoundError(this: BHumanContext, what: string, itemIndex?: number) {
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

/** How a request to BHuman is signed: the credential as read, and the API route (for its errors). */
interface Signing extends Route {
	credential: ICredentialsDecrypted;
}

/**
 * Sends one request, retrying it `retries` times on 429, 5xx and network
 * errors with a bounded backoff that honours Retry-After. With a deadline, no
 * wait and no request runs past it: what would is reported as it stands. A
 * 2xx answer whose `code` says failure counts as that status (BHuman's
 * envelope `{code, message}` may come with HTTP 200).
 */
async function send(
	this: BHumanContext,
	request: IHttpRequestOptions,
	retries: number,
	options: RequestOptions,
	signing?: Signing,
): Promise<IN8nHttpFullResponse> {
	const { deadline } = options;
	const timeLeft = () => (deadline === undefined ? Infinity : deadline - Date.now());
	let url = request.url;
	let redirects = 0;
	for (let attempt = 0; ; attempt++) {
		if (timeLeft() <= 0) throw deadlineError.call(this, request.url, options);
		const timeout = Number.isFinite(timeLeft()) ? Math.max(1, Math.ceil(timeLeft())) : undefined;
		const attemptRequest = { ...request, url, ...(timeout ? { timeout } : {}) };
		let response: IN8nHttpFullResponse;
		try {
			response = (
				signing
					? await this.helpers.httpRequestWithAuthentication.call(
							this,
							CREDENTIAL_TYPE,
							attemptRequest,
							{ credentialsDecrypted: signing.credential },
						)
					: await this.helpers.httpRequest(attemptRequest)
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

		let status = response.statusCode;
		if (status >= 200 && status < 300) {
			const coded = isStream(response.body) ? undefined : failureCode(response.body);
			if (coded === undefined) return response;
			status = coded;
		}
		if (status >= 300 && status < 400) {
			discard(response.body);
			const next = sameOrigin(url, response.headers?.location);
			if (options.download && next && redirects < MAX_REDIRECTS) {
				redirects++;
				url = next;
				attempt--;
				continue;
			}
			throw redirectError.call(this, status, response.headers?.location, url, options);
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
		throw apiError.call(
			this,
			status,
			isStream(response.body) ? undefined : response.body,
			options,
			signing,
		);
	}
}

/** Where a redirect points when that is on the origin of `url` (scheme, host and port). */
function sameOrigin(url: string, location: unknown): string | undefined {
	if (typeof location !== 'string' || !URL.canParse(location, url)) return undefined;
	const next = new URL(location, url);
	return next.origin === new URL(url).origin ? next.toString() : undefined;
}

/**
 * A 3xx that is not followed. To an authenticated request never: n8n's request
 * helper would send the key along to wherever it points (also to another host),
 * and a 307/308 would send a paid POST again. To a download, when it leaves the
 * file's origin: what n8n fetches is where BHuman said, nowhere else.
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
		target = URL.canParse(location, url) ? new URL(location, url).host : 'an invalid Location';
	}
	const message = options.download
		? `${options.download.what} was not downloaded: its URL redirects (${status}) to ${target}, which is not followed`
		: `BHuman answered with a redirect (${status}) to ${target}, which is not followed`;
	return new NodeApiError(this.getNode(), { message, httpCode: String(status) } as JsonObject, {
		message,
		description: options.download
			? 'A download follows redirects on the host of the URL BHuman gave only, never to another host.'
			: 'Requests carrying the BHuman API key never follow redirects, so the key is not sent to another host and a generation is not sent twice. Check the Base URL of the BHuman credential (a proxy must answer itself, not redirect).',
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
 * One BHuman API call, BHuman's answer as it came (see the readers below for what it holds). GETs
 * are retried (see `send`). Nothing else is: a POST may have been acted on (generation is paid),
 * so its failure is reported as is.
 */
export async function bhumanApiRequest<T = unknown>(
	this: BHumanContext,
	method: IHttpRequestMethods,
	path: string,
	options: RequestOptions = {},
): Promise<T> {
	const credential = await credentialOf.call(this);
	const request: IHttpRequestOptions = {
		method,
		url: `${baseUrlFor.call(this, path, credential.data ?? {})}${path}`,
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
	const response = await send.call(this, request, method === 'GET' ? MAX_RETRIES : 0, options, {
		credential,
		method,
		path,
	});
	return response.body as T;
}

/** An answer in none of the forms BHuman's sources show: the endpoint named, the answer quoted. */
function formError(
	this: BHumanContext,
	method: IHttpRequestMethods,
	path: string,
	body: unknown,
	expected: string,
	options: RequestOptions,
) {
	return new NodeOperationError(
		this.getNode(),
		`BHuman's answer to ${method} ${path} is not ${expected}: ${quoteAnswer(body)}`,
		{
			itemIndex: options.itemIndex,
			description:
				"The node reads every form of this answer that BHuman documents (docs/bhuman-api.md). If a proxy sits in between (the Base URL of the credential), check that it passes BHuman's answers on unchanged.",
		},
	);
}

/**
 * One record (a generation, a campaign, a video instance, settings): the record, a one-element
 * list, or `{code, result: <record>}`. None in the answer is a 404 with `options.notFound`.
 */
export async function bhumanApiRecord(
	this: BHumanContext,
	method: IHttpRequestMethods,
	path: string,
	options: RequestOptions & { recordId?: string } = {},
): Promise<IDataObject> {
	const { recordId, ...requestOptions } = options;
	const body = await bhumanApiRequest.call(this, method, path, requestOptions);
	const record = readRecord(body, recordId);
	if (record) return record;
	if (record === null && options.notFound)
		throw notFoundError.call(this, options.notFound, options.itemIndex);
	throw formError.call(this, method, path, body, 'a record', options);
}

/** What a request that creates something answers: one record or several, bare or in an envelope. */
export async function bhumanApiRecords(
	this: BHumanContext,
	method: IHttpRequestMethods,
	path: string,
	options: RequestOptions = {},
): Promise<IDataObject[]> {
	const body = await bhumanApiRequest.call(this, method, path, options);
	const records = readRecords(body);
	if (records) return records;
	throw formError.call(this, method, path, body, 'a record or a list of records', options);
}

/** One page (or the whole) of a list: a bare array, `{result: [...]}` or `{total, <key>: [...]}`. */
export async function bhumanApiList(
	this: BHumanContext,
	path: string,
	options: RequestOptions = {},
): Promise<{ records: IDataObject[]; total?: number }> {
	const body = await bhumanApiRequest.call(this, 'GET', path, { ...options, list: true });
	const list = readList(body);
	if (list) return list;
	throw formError.call(this, 'GET', path, body, 'a list', options);
}

/**
 * Streams a rendered file (MP4, thumbnail) from the URL BHuman gave. These are
 * public storage URLs: the BHuman credential is not sent to them. Redirects are
 * followed on that URL's origin only (n8n fetches where BHuman said). A file larger than
 * `maxBytes` is refused by its Content-Length before it is read, and a stream
 * that passes it (no or a wrong Content-Length) is aborted.
 */
export async function downloadMedia(
	this: IExecuteFunctions,
	url: string,
	options: RequestOptions & { maxBytes: number; what: string },
): Promise<{ stream: Readable; contentType?: string }> {
	await checkMediaUrl.call(this, url, options);
	const request: IHttpRequestOptions = {
		method: 'GET',
		url,
		encoding: 'stream',
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		disableFollowRedirect: true,
	};
	const response = await send.call(this, request, MAX_RETRIES, {
		...options,
		download: { what: options.what },
	});
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

/**
 * BHuman serves its files over https. Plain http only from this machine, and only with a Base URL
 * in the credential (the simulator, a local proxy): a URL given in an answer must not make n8n
 * fetch any address it can reach.
 */
async function checkMediaUrl(
	this: IExecuteFunctions,
	url: string,
	options: RequestOptions & { what: string },
) {
	const parsed = URL.canParse(url) ? new URL(url) : undefined;
	if (parsed?.protocol === 'https:') return;
	if (parsed?.protocol === 'http:' && isLoopbackHost(parsed.hostname)) {
		if (await hasBaseUrl.call(this)) return;
	}
	const shown = parsed ? `${parsed.protocol}//${parsed.host}` : `"${url.slice(0, 40)}"`;
	throw new NodeOperationError(
		this.getNode(),
		`${options.what} was not downloaded: its URL must use https (got ${shown})`,
		{
			itemIndex: options.itemIndex,
			description:
				'BHuman serves its files over https. Plain http is allowed only from this machine (localhost, 127.0.0.0/8, [::1]) when the credential has a Base URL (the simulator, a local proxy).',
		},
	);
}

function megabytes(bytes: number) {
	return `${Math.round((bytes / 1_000_000) * 100) / 100} MB`;
}

function tooLargeError(
	this: IExecuteFunctions,
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
		const { records, total } = await bhumanApiList.call(this, path, {
			...requestOptions,
			qs: { ...requestOptions.qs, page, size },
		});
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

/** What bhumanApiListSince read: the records created since the time asked, and what it cost. */
export interface ListSince {
	/** The records created at or after `since` (each id once), in no particular order. */
	records: IDataObject[];
	/** Pages requested. */
	requests: number;
	/** The list's order as read (`unknown`: every record read had the same or no created_at). */
	order: 'newest' | 'oldest' | 'unknown';
	/** Whether more than one page was read to the end because the order could not be told. */
	readAll: boolean;
}

/** A record's created_at in ms since the epoch, if it has one. */
function createdMs(record: IDataObject): number | undefined {
	const time = typeof record.created_at === 'string' ? Date.parse(record.created_at) : NaN;
	return Number.isNaN(time) ? undefined : time;
}

/**
 * The records of a paged list created at or after `since` (ms since the epoch), reading as few
 * pages as the list's order allows. BHuman documents no order for its lists of generated videos,
 * so the order is read from the records' created_at: newest first stops at the first page that
 * reaches before `since`; oldest first reads back from the last page when the list gives a total,
 * else jumps ahead (pages 1, 2, 4 … then halving back) to the first page that reaches `since` and
 * reads from there to the end, so 10,000 older videos cost about 15 requests, not 101. A list
 * whose order cannot be told is read to its end. Records without a created_at are left out
 * (nothing says they are recent).
 */
export async function bhumanApiListSince(
	this: BHumanContext,
	path: string,
	options: RequestOptions & { since: number },
): Promise<ListSince> {
	const { since, ...requestOptions } = options;
	const size = PAGE_SIZE;
	const pages = new Map<number, IDataObject[]>();
	const seenPages = new Map<string, number>();
	let total: number | undefined;
	const read = async (page: number): Promise<IDataObject[]> => {
		const known = pages.get(page);
		if (known) return known;
		if (page >= MAX_PAGES) {
			throw pagingError.call(
				this,
				`BHuman's list ${path} has more than ${MAX_PAGES} pages`,
				'Narrow the Reuse Window, or check the Base URL of the BHuman credential.',
				options.itemIndex,
			);
		}
		const list = await bhumanApiList.call(this, path, {
			...requestOptions,
			qs: { ...requestOptions.qs, page, size },
		});
		if (list.total !== undefined) total = list.total;
		const key = pageKey(list.records);
		const same = seenPages.get(key);
		if (list.records.length > 0 && same !== undefined) {
			throw pagingError.call(
				this,
				`BHuman returned the same records for page ${page} as for page ${same} of ${path}`,
				'The server seems to ignore the page parameter. Check the Base URL of the BHuman credential (a proxy must pass the query string on).',
				options.itemIndex,
			);
		}
		seenPages.set(key, page);
		pages.set(page, list.records);
		return list.records;
	};
	const isLast = (page: number, records: IDataObject[]) =>
		records.length === 0 ||
		(total !== undefined ? (page + 1) * size >= total : records.length < size);
	/** The last created_at of a page (the newest of an oldest-first page), if any. */
	const lastTime = (records: IDataObject[]) => {
		for (let index = records.length - 1; index >= 0; index--) {
			const time = createdMs(records[index]);
			if (time !== undefined) return time;
		}
		return undefined;
	};
	/** The order of the records read so far, page by page: the first two times that differ. */
	const orderOf = (upTo: number): ListSince['order'] => {
		let previous: number | undefined;
		for (let page = 0; page <= upTo; page++) {
			for (const record of pages.get(page) ?? []) {
				const time = createdMs(record);
				if (time === undefined) continue;
				if (previous !== undefined && time !== previous)
					return time < previous ? 'newest' : 'oldest';
				previous = time;
			}
		}
		return 'unknown';
	};
	const result = (order: ListSince['order'], readAll: boolean): ListSince => {
		const records = new Map<string, IDataObject>();
		for (const list of pages.values()) {
			for (const record of list) {
				const time = createdMs(record);
				if (time !== undefined && time >= since) records.set(pageKey([record]), record);
			}
		}
		return { records: [...records.values()], requests: pages.size, order, readAll };
	};

	// From page 0 until the order is known: every page read so far may hold recent videos.
	let order: ListSince['order'] = 'unknown';
	let page = 0;
	for (; ; page++) {
		const records = await read(page);
		order = orderOf(page);
		const last = lastTime(records);
		// Read to the end: a cost only when the order was never told and there was more than a page.
		if (isLast(page, records)) return result(order, order === 'unknown' && page > 0);
		if (order === 'newest' && last !== undefined && last < since) return result(order, false);
		if (order === 'oldest' && last !== undefined && last < since) break;
	}

	// Oldest first, page `page` all older than `since`. With a total, back from the last page until
	// a page starts before `since`.
	if (total !== undefined) {
		for (let back = Math.ceil(total / size) - 1; back > page; back--) {
			const records = await read(back);
			const first = records.map(createdMs).find((time) => time !== undefined);
			if (first !== undefined && first < since) break;
		}
		return result(order, false);
	}
	// Without one, find the first page that reaches it: pages 1, 2, 4 … ahead, then halving back.
	const before = async (at: number) => {
		const records = await read(at);
		const last = lastTime(records);
		return records.length > 0 && last !== undefined && last < since && !isLast(at, records);
	};
	let low = page;
	let high: number | undefined;
	for (let step = 1; high === undefined; step *= 2) {
		const probe = low + step;
		const records = await read(probe);
		const last = lastTime(records);
		if (records.length > 0 && last !== undefined && last < since && isLast(probe, records))
			return result(order, false);
		if (await before(probe)) low = probe;
		else high = probe;
	}
	while (high - low > 1) {
		const middle = Math.floor((low + high) / 2);
		if (await before(middle)) low = middle;
		else high = middle;
	}
	// From there to the end: all of it is recent.
	for (page = high; ; page++) {
		const records = await read(page);
		if (isLast(page, records)) return result(order, false);
	}
}
