// @ts-check
'use strict';
// The one dispatcher: finds a request's route in the table and applies what the route's flags ask
// for. `log` routes (BHuman's API) are recorded in sim.requests, may be hit by an injected fault and
// wait the configured latency; `auth` routes need the Basic key. Media, share pages and /__sim/ are
// neither. Handlers return the JSON to answer with 200, or write the response themselves; the
// dialect (dialects.js) decides how a `kind` route's answer is wrapped and whether a list route
// takes Basic at all.

const http = require('node:http');
const { ApiError, show } = require('./validate');
const { takeFault, normPath } = require('./faults');
const { answerBody, refusesBasic, BEARER_ONLY } = require('./dialects');

const MAX_BODY = 20 * 1024 * 1024;
const MAX_LOG = 50000; // keep long benchmarks from growing the logs without bound

/**
 * @typedef {import('./server').Simulator} Simulator
 * @typedef {import('./index').RequestLogEntry} RequestLogEntry
 * @typedef {{ sim: Simulator, req: http.IncomingMessage, res: http.ServerResponse, method: string,
 *   path: string, pathname: string, query: Record<string, string>, raw: Buffer,
 *   match: RegExpExecArray | null }} RouteContext
 *   path: without a trailing slash; pathname: as the client sent it (for messages).
 * @typedef {{ method: string, path: string | RegExp, auth: boolean, log?: boolean,
 *   kind?: 'record' | 'list' | 'generate' | 'create' | 'other',
 *   bare?: (out: any, ctx: RouteContext) => unknown,
 *   handler: (ctx: RouteContext) => unknown }} Route
 *   method '*' = any method (a fallback); a RegExp path is matched against the whole path.
 *   kind: what a BHuman API route answers, for the dialect (dialects.js: the envelope, and list
 *   routes' auth); its handler then returns the canonical payload and `bare` today's unwrapped form.
 */

/** @param {Route} route @param {string} path */
function matchPath(route, path) {
  if (typeof route.path === 'string') return route.path === path ? /** @type {RegExpExecArray} */ ([path]) : null;
  return route.path.exec(path);
}

/**
 * The route for a request: the one with its path and method; else, when routes have its path but
 * not its method, the first of them with `allow` (answered 405); else the first fallback ('*').
 * @param {Route[]} routes @param {string} method @param {string} path
 */
function lookup(routes, method, path) {
  const onPath = routes.filter((r) => matchPath(r, path));
  const specific = onPath.filter((r) => r.method !== '*');
  const hit = specific.find((r) => r.method === method);
  if (hit) return { route: hit };
  if (specific.length) return { route: specific[0], allow: specific.map((r) => r.method).join(', ') };
  return { route: onPath[0] };
}

/** @param {http.IncomingMessage} req @returns {Promise<Buffer>} */
function readBody(req) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, `Request body larger than ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** @param {Buffer} raw */
function parseOrNull(raw) {
  if (!raw.length) return null;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return null;
  }
}

/** @param {unknown[]} arr */
function capLog(arr) {
  if (arr.length > MAX_LOG) arr.splice(0, arr.length - Math.floor(MAX_LOG * 0.9));
}

/**
 * @param {Simulator} sim @param {http.ServerResponse} res @param {number} status @param {unknown} body
 * @param {Record<string, string>} [headers] @param {RequestLogEntry | null} [entry]
 */
function send(sim, res, status, body, headers = {}, entry) {
  if (entry) entry.status = status;
  if (res.headersSent || res.destroyed) return;
  const isText = typeof body === 'string';
  const buf = Buffer.from(isText ? body : JSON.stringify(body));
  res.writeHead(status, {
    'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': buf.length,
    ...headers,
  });
  res.end(buf);
  if (!sim.quiet && entry) {
    process.stdout.write(`[sim] ${entry.method} ${entry.path} -> ${status} (${Date.now() - entry.at} ms)\n`);
  }
}

/**
 * @param {Simulator} sim @param {http.ServerResponse} res @param {number} status @param {string} message
 * @param {RequestLogEntry | null} [entry] @param {Record<string, string>} [headers]
 */
function sendError(sim, res, status, message, entry, headers) {
  send(sim, res, status, { code: status, message }, headers, entry);
}

/** @param {http.ServerResponse} res @param {string} method @param {string} type @param {Buffer} bytes */
function sendBytes(res, method, type, bytes) {
  res.writeHead(200, { 'content-type': type, 'content-length': bytes.length, 'cache-control': 'public, max-age=3600' });
  res.end(method === 'HEAD' ? undefined : bytes);
}

/** @param {Simulator} sim @param {string | undefined} header */
function authorized(sim, header) {
  const m = /^Basic\s+(\S+)\s*$/i.exec(header || '');
  if (!m) return false;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i >= 0 && decoded.slice(0, i) === sim.keyId && decoded.slice(i + 1) === sim.keySecret;
}

/**
 * Answers one request. Unexpected errors are rejected to the server, which answers 500.
 * @param {Simulator} sim @param {Route[]} routes @param {http.IncomingMessage} req @param {http.ServerResponse} res
 */
async function dispatch(sim, routes, req, res) {
  const at = Date.now();
  /** @type {URL} */
  let u;
  try {
    u = new URL(req.url || '', 'http://127.0.0.1');
  } catch {
    return sendError(sim, res, 400, `Malformed request URL ${show(req.url)}`);
  }
  const method = (req.method || 'GET').toUpperCase();
  const path = normPath(u.pathname);
  const { route, allow } = lookup(routes, method, path);
  const raw = await readBody(req);
  const query = Object.fromEntries(u.searchParams);

  /** @type {RequestLogEntry | null} */
  let entry = null;
  if (route.log) {
    entry = { method, path: u.pathname, query, headers: { ...req.headers }, body: parseOrNull(raw), status: null, at };
    sim.requests.push(entry);
    capLog(sim.requests);
    const fault = takeFault(sim.faults, method, path); // decided on arrival, so `after` counts in arrival order
    if (sim.latencyMs > 0) await sim._sleep(sim.latencyMs);
    if (sim._closed) return;
    if (fault) {
      // A lost answer: BHuman acted on the request (its answer or error is discarded).
      if (fault.handled && !(route.auth && !authorized(sim, req.headers.authorization))) {
        try {
          route.handler({ sim, req, res, method, path, pathname: u.pathname, query, raw, match: matchPath(route, path) });
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
        }
      }
      if (fault.drop) {
        entry.status = 0;
        req.socket.destroy();
        return;
      }
      const body =
        fault.body !== undefined ? fault.body : { code: fault.status, message: `Injected fault: ${http.STATUS_CODES[fault.status] || 'error'} (simulator)` };
      return send(sim, res, fault.status, body, fault.headers, entry);
    }
  }
  if (route.auth && !authorized(sim, req.headers.authorization)) {
    return sendError(sim, res, 401, 'Unauthorized: invalid API key id or secret', entry, { 'www-authenticate': 'Basic realm="BHuman API"' });
  }
  if (allow) return sendError(sim, res, 405, `Method ${method} not allowed for ${u.pathname}; use ${allow}`, entry, { allow });
  if (refusesBasic(sim.dialect, route)) {
    return sendError(sim, res, 401, BEARER_ONLY, entry, { 'www-authenticate': 'Bearer realm="BHuman app"' });
  }
  try {
    const ctx = { sim, req, res, method, path, pathname: u.pathname, query, raw, match: matchPath(route, path) };
    const out = route.handler(ctx);
    if (!res.headersSent) send(sim, res, 200, answerBody(sim.dialect, route, out, ctx), {}, entry);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    sendError(sim, res, err.status, err.message, entry, err.headers);
  }
}

/**
 * A route of BHuman's API: Basic key, logged (faults, latency), answering as its kind.
 * @param {string} method @param {string} path @param {NonNullable<Route['kind']>} kind
 * @param {Route['handler']} handler @param {Route['bare']} [bare] today's form when not enveloped
 * @returns {Route}
 */
const apiRoute = (method, path, kind, handler, bare) => ({ method, path, auth: true, log: true, kind, handler, bare });

/**
 * The last entries of the table: any other path is treated as API traffic (logged, faults,
 * latency), with the key required under /api/, and answered 404.
 * @type {Route[]}
 */
const FALLBACK_ROUTES = [true, false].map((auth) => ({
  method: '*',
  path: auth ? /^\/api\// : /^/,
  auth,
  log: true,
  handler: ({ method, pathname }) => {
    throw new ApiError(404, `No route for ${method} ${pathname}`);
  },
}));

module.exports = { dispatch, apiRoute, FALLBACK_ROUTES, send, sendError, sendBytes, capLog };
