'use strict';
// The simulator: one HTTP origin serving BHuman's studio, user and store API paths, plus media,
// share pages and an unauthenticated /__sim/ control surface for tests in other processes.

const http = require('node:http');
const { randomUUID } = require('node:crypto');
const { buildData, createRng, DEFAULT_SIZES } = require('./data');
const media = require('./media');
const gens = require('./generations');
const { CallbackDispatcher } = require('./callbacks');

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_ROWS = 2000;
const MAX_BODY = 20 * 1024 * 1024;
const MAX_LOG = 50000; // keep long benchmarks from growing the logs without bound
const BACKGROUND_KINDS = ['link', 'site', 'linkedin'];
const BACKGROUND_MODES = ['circle', 'chroma'];
const BACKGROUND_POSITIONS = ['center', 'bottom-right', 'top-right'];

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const show = (v) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return `'${s && s.length > 80 ? s.slice(0, 77) + '...' : s}'`;
};

// ---------- validation helpers (422 = unparseable/mistyped, 400 = out of range/inconsistent) ----------

function intParam(q, name, { required = false, def, min, max }) {
  const v = q[name];
  if (v === undefined || v === '') {
    if (required) throw new ApiError(422, `Missing required query parameter '${name}'`);
    return def;
  }
  if (!/^-?\d+$/.test(v)) throw new ApiError(422, `Invalid integer for query parameter '${name}': ${show(v)}`);
  const n = Number(v);
  if (name === 'page' && n < 0) throw new ApiError(422, `Invalid value for query parameter 'page': ${show(v)} (must be a non-negative integer)`);
  if (min !== undefined && n < min) throw new ApiError(400, `${name} must be at least ${min}`);
  if (max !== undefined && n > max) throw new ApiError(400, `${name} must be at most ${max}`);
  return n;
}

function pageParams(q, required) {
  const page = intParam(q, 'page', { required, def: 0 });
  const size = intParam(q, 'size', { required, def: 100, min: 1, max: 100 });
  return { page, size, slice: (arr) => arr.slice(page * size, page * size + size) };
}

function uuidParam(q, name, required) {
  const v = q[name];
  if (v === undefined || v === '') {
    if (required) throw new ApiError(422, `Missing required query parameter '${name}'`);
    return undefined;
  }
  if (!UUID_RE.test(v)) throw new ApiError(422, `Invalid UUID for parameter '${name}': ${show(v)}`);
  return v.toLowerCase();
}

function jsonBody(raw) {
  if (!raw.length) throw new ApiError(422, 'Request body is empty; expected a JSON object');
  let body;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new ApiError(422, `Request body is not valid JSON: ${err.message}`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(422, 'Request body must be a JSON object');
  return body;
}

function uuidField(body, name, required) {
  const v = body[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw new ApiError(422, `Missing required field '${name}'`);
    return undefined;
  }
  if (typeof v !== 'string' || !UUID_RE.test(v)) throw new ApiError(422, `Invalid UUID for field '${name}': ${show(v)}`);
  return v.toLowerCase();
}

function stringMatrix(body, name, required) {
  const v = body[name];
  if (v === undefined || v === null) {
    if (required) throw new ApiError(422, `Missing required field '${name}'`);
    return undefined;
  }
  if (!Array.isArray(v)) throw new ApiError(422, `Field '${name}' must be an array of string arrays`);
  v.forEach((row, i) => {
    if (!Array.isArray(row)) throw new ApiError(422, `${name} row ${i} must be an array of strings`);
    row.forEach((cell, j) => {
      if (typeof cell !== 'string') throw new ApiError(422, `${name} row ${i} value ${j} must be a string, got ${show(cell)}`);
    });
  });
  return v;
}

function rowsFields(body) {
  const variables = body.variables;
  if (variables === undefined || variables === null) throw new ApiError(422, "Missing required field 'variables'");
  if (!Array.isArray(variables) || variables.some((x) => typeof x !== 'string')) {
    throw new ApiError(422, "Field 'variables' must be an array of strings");
  }
  return { variables, names: stringMatrix(body, 'names', true) };
}

// Checked after lookups: these are the request-level 400s "before any render starts".
function checkRows(variables, names) {
  if (names.length === 0) throw new ApiError(400, 'names must contain at least one row');
  if (names.length > MAX_ROWS) throw new ApiError(400, `names has ${names.length} rows; at most ${MAX_ROWS} rows per request`);
  names.forEach((row, i) => {
    if (row.length !== variables.length) {
      throw new ApiError(400, `names row ${i} has ${row.length} values but variables has ${variables.length}`);
    }
  });
}

function callbackField(body) {
  const v = body.callback_url;
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') throw new ApiError(422, "Field 'callback_url' must be a string");
  let u;
  try {
    u = new URL(v);
  } catch {
    u = null;
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) {
    throw new ApiError(422, `Invalid callback_url ${show(v)}: expected an absolute http(s) URL`);
  }
  return v;
}

function backgroundsField(body) {
  const v = body.backgrounds;
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new ApiError(422, "Field 'backgrounds' must be an array of Background objects");
  v.forEach((bg, i) => {
    const at = `backgrounds[${i}]`;
    if (!bg || typeof bg !== 'object' || Array.isArray(bg)) throw new ApiError(422, `${at} must be an object`);
    if (!BACKGROUND_KINDS.includes(bg.kind)) {
      throw new ApiError(422, `${at}.kind must be one of ${BACKGROUND_KINDS.join(', ')}; got ${show(bg.kind)}`);
    }
    if (bg.name !== undefined && bg.name !== null && typeof bg.name !== 'string') throw new ApiError(422, `${at}.name must be a string`);
    for (const k of ['start', 'end']) {
      if (bg[k] !== undefined && bg[k] !== null && typeof bg[k] !== 'number') throw new ApiError(422, `${at}.${k} must be a number (seconds)`);
    }
    const c = bg.config;
    if (c !== undefined && c !== null) {
      if (typeof c !== 'object' || Array.isArray(c)) throw new ApiError(422, `${at}.config must be an object`);
      if (c.mode !== undefined && !BACKGROUND_MODES.includes(c.mode)) {
        throw new ApiError(422, `${at}.config.mode must be one of ${BACKGROUND_MODES.join(', ')}; got ${show(c.mode)}`);
      }
      if (c.position !== undefined && !BACKGROUND_POSITIONS.includes(c.position)) {
        throw new ApiError(422, `${at}.config.position must be one of ${BACKGROUND_POSITIONS.join(', ')}; got ${show(c.position)}`);
      }
    }
  });
  return v;
}

// ---------- misc ----------

const STATUS_TEXT = http.STATUS_CODES;

function readBody(req) {
  return new Promise((resolve, reject) => {
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

function parseOrNull(raw) {
  if (!raw.length) return null;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return null;
  }
}

function capLog(arr) {
  if (arr.length > MAX_LOG) arr.splice(0, arr.length - Math.floor(MAX_LOG * 0.9));
}

function normalizeCallbacks(cur, opts = {}) {
  const next = { ...cur };
  for (const k of ['repeat', 'delayMs', 'whatsappDelayMs']) {
    if (opts[k] === undefined) continue;
    const n = Number(opts[k]);
    if (!Number.isInteger(n) || n < 0) throw new TypeError(`callbacks.${k} must be a non-negative integer`);
    next[k] = n;
  }
  if (opts.reorder !== undefined) next.reorder = Boolean(opts.reorder);
  return next;
}

function normalizeFault(f) {
  if (!f || typeof f !== 'object' || Array.isArray(f)) throw new TypeError('fault must be an object');
  const forever = f.times === -1 || f.times === Infinity || f.times === 'Infinity' || f.times === null;
  const times = f.times === undefined ? 1 : forever ? Infinity : Number(f.times);
  if (!(times === Infinity || (Number.isInteger(times) && times >= 1))) throw new TypeError('fault.times must be a positive integer, -1 or Infinity');
  const after = f.after === undefined ? 0 : Number(f.after);
  if (!Number.isInteger(after) || after < 0) throw new TypeError('fault.after must be a non-negative integer');
  const status = f.drop ? 0 : f.status === undefined ? 500 : Number(f.status);
  if (!f.drop && !(Number.isInteger(status) && status >= 100 && status <= 599)) throw new TypeError('fault.status must be an HTTP status code');
  if (f.path !== undefined && typeof f.path !== 'string') throw new TypeError('fault.path must be a string');
  const headers = {};
  for (const [k, v] of Object.entries(f.headers || {})) headers[k.toLowerCase()] = String(v);
  return {
    method: f.method ? String(f.method).toUpperCase() : null,
    path: f.path ? normPath(f.path) : null,
    status,
    body: f.body,
    headers,
    drop: Boolean(f.drop),
    times,
    after,
    seen: 0,
    fired: 0,
  };
}

function normPath(p) {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

function faultMatches(f, method, path) {
  if (f.method && f.method !== method) return false;
  if (!f.path) return true;
  return f.path.endsWith('*') ? path.startsWith(f.path.slice(0, -1)) : f.path === path;
}

const faultJson = (f) => ({ ...f, times: f.times === Infinity ? -1 : f.times });

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// ---------- the simulator ----------

class Simulator {
  constructor(options = {}) {
    this.port = options.port ?? 0;
    this.keyId = options.keyId ?? 'sim-key-id';
    this.keySecret = options.keySecret ?? 'sim-key-secret';
    this.seed = options.seed ?? 1;
    this.sizes = { ...DEFAULT_SIZES, ...(options.sizes || {}) };
    this.render = { queuedMs: 200, processingMs: 800, staggerMs: 0, ...(options.render || {}) };
    this.callbackOptions = normalizeCallbacks({ repeat: 1, reorder: false, delayMs: 0, whatsappDelayMs: 300 }, options.callbacks);
    this.latencyMs = 0;
    this.setLatency(options.latencyMs ?? 0);
    this.quiet = options.quiet ?? true;

    this.url = null;
    this.requests = [];
    this.callbacksSent = [];
    this.generations = new Map();
    this.faults = [];
    this.data = null;

    this._timers = new Map(); // timer -> kind ('latency' | 'callback'); close() clears them all
    this._rng = createRng(this.seed, 'runtime');
    this._byInstance = new Map();
    this._byCampaign = new Map();
    this._created = { instances: new Set(), folders: new Set() };
    this._closed = false;
    this._dispatcher = new CallbackDispatcher({
      record: (entry) => {
        this.callbacksSent.push(entry);
        capLog(this.callbacksSent);
      },
    });
    this._routes = this._buildRoutes();
  }

  // ----- lifecycle -----

  start() {
    return new Promise((resolve, reject) => {
      this.server = http.createServer((req, res) => {
        this._handle(req, res).catch((err) => this._internalError(res, err));
      });
      this.server.keepAliveTimeout = 5000;
      this.server.on('clientError', (err, socket) => {
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
        else socket.destroy();
      });
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = this.server.address().port;
        this.url = `http://127.0.0.1:${this.port}`;
        // Built after listen: product media URLs need the final port.
        const built = buildData({ seed: this.seed, sizes: this.sizes, baseUrl: this.url });
        this.data = built.data;
        this._userId = built.userId;
        this._actors = built.actors;
        this._videoIds = built.instanceVideoIds;
        this._instances = new Map(this.data.videoInstances.map((v) => [v.id, v]));
        for (const g of built.seededGenerations) this._addGeneration(g);
        resolve(this);
      });
    });
  }

  close() {
    if (this._closing) return this._closing;
    this._closed = true;
    for (const t of this._timers.keys()) clearTimeout(t);
    this._timers.clear();
    this._dispatcher.close();
    this._closing = new Promise((resolve) => {
      if (!this.server || !this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections(); // drop keep-alive and in-flight sockets (latency waits)
    });
    return this._closing;
  }

  // ----- public knobs -----

  clearRequests() {
    this.requests.length = 0;
  }

  inject(fault) {
    this.faults.push(normalizeFault(fault));
  }

  clearFaults() {
    this.faults.length = 0;
  }

  setLatency(ms) {
    const n = Number(ms);
    if (!Number.isFinite(n) || n < 0) throw new TypeError('latency must be a non-negative number of milliseconds');
    this.latencyMs = n;
  }

  setCallbacks(opts) {
    this.callbackOptions = normalizeCallbacks(this.callbackOptions, opts);
  }

  setRender(opts = {}) {
    for (const k of ['queuedMs', 'processingMs', 'staggerMs']) {
      if (opts[k] === undefined) continue;
      const n = Number(opts[k]);
      if (!Number.isFinite(n) || n < 0) throw new TypeError(`render.${k} must be a non-negative number`);
      this.render[k] = n;
    }
  }

  /** Back to the seeded state: logs, faults, live generations, pending callbacks, created folders/instances. */
  reset() {
    this.requests.length = 0;
    this.faults.length = 0;
    this.callbacksSent.length = 0;
    for (const [t, kind] of this._timers) {
      if (kind === 'callback') {
        clearTimeout(t);
        this._timers.delete(t);
      }
    }
    this._dispatcher.clearQueue();
    for (const [id, g] of this.generations) if (!g.seeded) this.generations.delete(id);
    for (const index of [this._byInstance, this._byCampaign]) {
      for (const [k, list] of index) {
        const kept = list.filter((g) => g.seeded);
        if (kept.length) index.set(k, kept);
        else index.delete(k);
      }
    }
    if (this.data) {
      const keep = (arr, ids, key) => {
        const kept = arr.filter((x) => !ids.has(x[key]));
        arr.splice(0, arr.length, ...kept);
      };
      keep(this.data.videoInstances, this._created.instances, 'id');
      keep(this.data.folders, this._created.folders, 'id');
      for (const id of this._created.instances) this._instances.delete(id);
      this._created.instances.clear();
      this._created.folders.clear();
    }
  }

  /** Force a generation to finish now (sends its callback if one is pending). */
  completeGeneration(id, status = 'succeeded', message) {
    const g = this.generations.get(String(id).toLowerCase());
    if (!g) throw new ApiError(404, `Generation ${id} not found`);
    if (!gens.FINAL.has(status)) throw new ApiError(400, "status must be 'succeeded' or 'failed'");
    const now = Date.now();
    if (!gens.isFinal(g, now)) {
      g.forced = { status, atMs: now, message: message || 'Render failed: forced by simulator control' };
      if (g.callbackUrl && !g.callbackDone) {
        g.callbackDone = true;
        this._deliverCallbacks([g]);
      }
    }
    return gens.toRecord(g, now, this.url);
  }

  /** Send a finished generation's callback once more (tests of duplicate delivery). */
  replayCallback(id, { event, url } = {}) {
    const g = this.generations.get(String(id).toLowerCase());
    if (!g) throw new ApiError(404, `Generation ${id} not found`);
    const target = url || g.callbackUrl;
    if (!target) throw new ApiError(409, `Generation ${id} has no callback_url`);
    const now = Date.now();
    if (!gens.isFinal(g, now)) throw new ApiError(409, `Generation ${id} is not finished (status ${gens.statusAt(g, now)})`);
    let body;
    if (event === 'whatsapp.ready') {
      if (!g.whatsapp || gens.statusAt(g, now) !== 'succeeded') throw new ApiError(409, `Generation ${id} has no WhatsApp video`);
      body = gens.whatsappReadyBody(g, this.url);
    } else {
      body = gens.callbackBody(g, now, this.url, { includeWhatsapp: this.callbackOptions.whatsappDelayMs <= 0 });
    }
    this._dispatcher.send(target, body);
    return { url: target, body };
  }

  state() {
    const byStatus = {};
    const now = Date.now();
    let live = 0;
    for (const g of this.generations.values()) {
      if (g.seeded) continue;
      live++;
      const s = gens.statusAt(g, now);
      byStatus[s] = (byStatus[s] || 0) + 1;
    }
    const d = this.data || {};
    return {
      url: this.url,
      port: this.port,
      keyId: this.keyId,
      seed: this.seed,
      latencyMs: this.latencyMs,
      render: { ...this.render },
      callbacks: { ...this.callbackOptions },
      sizes: { ...this.sizes },
      counts: {
        videoInstances: (d.videoInstances || []).length,
        workspaces: (d.workspaces || []).length,
        products: (d.products || []).length,
        campaigns: (d.campaigns || []).length,
        categories: (d.categories || []).length,
        tags: (d.tags || []).length,
        folders: (d.folders || []).length,
        generations: this.generations.size,
        liveGenerations: live,
        liveGenerationsByStatus: byStatus,
        requests: this.requests.length,
        faults: this.faults.length,
        callbacksSent: this.callbacksSent.length,
        callbacksPending: this._dispatcher.pending,
      },
    };
  }

  // ----- internals: timers, generations, callbacks -----

  _timer(fn, ms, kind) {
    const t = setTimeout(() => {
      this._timers.delete(t);
      if (!this._closed) fn();
    }, Math.max(0, ms));
    this._timers.set(t, kind);
    return t;
  }

  _sleep(ms) {
    return new Promise((resolve) => this._timer(resolve, ms, 'latency'));
  }

  _addGeneration(g) {
    this.generations.set(g.id, g);
    const [index, key] = g.campaignId ? [this._byCampaign, g.campaignId] : [this._byInstance, g.videoInstanceId];
    if (!index.has(key)) index.set(key, []);
    index.get(key).push(g);
  }

  _createGenerations({ instance, campaign, names, callbackUrl, extras }) {
    const now = Date.now();
    const stagger = this.render.staggerMs || 0;
    const created = names.map((row, i) => {
      const c = gens.rowControls(row, this.render);
      const id = randomUUID();
      const g = {
        id,
        videoId: this._videoIds.get(instance.id) || randomUUID(),
        userId: this._userId,
        actorId: instance.actor_id || this._actors[0],
        videoInstanceId: instance.id,
        campaignId: campaign ? campaign.id : null,
        campaignResultId: campaign ? randomUUID() : null,
        rowIndex: i,
        text: row.slice(),
        executionName: `render-${id.slice(0, 8)}-${this._rng.int(1000, 9999)}`,
        createdMs: now,
        queuedMs: c.queuedMs + stagger * i,
        totalMs: c.totalMs + stagger * i,
        outcome: c.outcome,
        failMessage: c.outcome === 'failed' ? `Render failed: row ${i} asked to fail (sim:fail)` : null,
        whatsapp: Boolean(campaign && campaign.whatsapp_enabled),
        callbackUrl,
        callbackDone: false,
        seeded: false,
        extras: extras ? extras(i) : undefined,
      };
      this._addGeneration(g);
      return g;
    });
    if (callbackUrl) this._scheduleCallbacks(created);
    return created.map((g) => g.id);
  }

  // One timer per distinct finish time: rows that finish together are delivered together,
  // which is what `reorder` shuffles.
  _scheduleCallbacks(list) {
    const groups = new Map();
    for (const g of list) {
      if (g.outcome === 'never') continue;
      const at = g.createdMs + g.totalMs;
      if (!groups.has(at)) groups.set(at, []);
      groups.get(at).push(g);
    }
    for (const [at, group] of groups) {
      this._timer(
        () => {
          const due = group.filter((g) => !g.callbackDone && this.generations.get(g.id) === g);
          due.forEach((g) => (g.callbackDone = true));
          this._deliverCallbacks(due);
        },
        at - Date.now(),
        'callback',
      );
    }
  }

  _deliverCallbacks(list) {
    const { reorder } = this.callbackOptions;
    const ordered = reorder && list.length > 1 ? this._rng.shuffle(list.slice()) : list;
    for (const g of ordered) this._sendCallback(g);
  }

  _sendCallback(g) {
    const { repeat, delayMs, whatsappDelayMs } = this.callbackOptions;
    // Timers can fire a hair before the wall clock agrees; evaluate at the scheduled finish.
    const now = g.forced ? Date.now() : Math.max(Date.now(), g.createdMs + g.totalMs);
    const body = gens.callbackBody(g, now, this.url, { includeWhatsapp: whatsappDelayMs <= 0 });
    const go = () => {
      for (let i = 0; i < repeat; i++) this._dispatcher.send(g.callbackUrl, body);
      if (g.whatsapp && body.status === 'succeeded') {
        const ready = gens.whatsappReadyBody(g, this.url);
        this._timer(
          () => {
            for (let i = 0; i < repeat; i++) this._dispatcher.send(g.callbackUrl, ready);
          },
          whatsappDelayMs,
          'callback',
        );
      }
    };
    if (delayMs > 0) this._timer(go, delayMs, 'callback');
    else go();
  }

  // ----- HTTP -----

  _send(res, status, body, headers = {}, entry) {
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
    if (!this.quiet && entry) {
      process.stdout.write(`[sim] ${entry.method} ${entry.path} -> ${status} (${Date.now() - entry.at} ms)\n`);
    }
  }

  _error(res, status, message, entry, headers) {
    this._send(res, status, { code: status, message }, headers, entry);
  }

  _internalError(res, err) {
    if (!this.quiet) process.stderr.write(`[sim] internal error: ${err && err.stack}\n`);
    if (!res.headersSent && !res.destroyed) {
      const status = err instanceof ApiError ? err.status : 500;
      this._error(res, status, err instanceof ApiError ? err.message : `Simulator internal error: ${err && err.message}`);
    }
  }

  async _handle(req, res) {
    const at = Date.now();
    let u;
    try {
      u = new URL(req.url, 'http://127.0.0.1');
    } catch {
      return this._error(res, 400, `Malformed request URL ${show(req.url)}`);
    }
    const method = req.method.toUpperCase();
    const path = normPath(u.pathname);
    if (path === '/__sim' || path.startsWith('/__sim/')) return this._control(req, res, method, path, u);
    if (path.startsWith('/media/') || path.startsWith('/share/')) return this._media(res, method, path);

    const raw = await readBody(req);
    const entry = {
      method,
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      headers: { ...req.headers },
      body: parseOrNull(raw),
      status: null,
      at,
    };
    this.requests.push(entry);
    capLog(this.requests);

    const fault = this._takeFault(method, path); // decided on arrival, so `after` counts in arrival order
    if (this.latencyMs > 0) await this._sleep(this.latencyMs);
    if (this._closed) return;

    if (fault) {
      if (fault.drop) {
        entry.status = 0;
        req.socket.destroy();
        return;
      }
      const body = fault.body !== undefined ? fault.body : { code: fault.status, message: `Injected fault: ${STATUS_TEXT[fault.status] || 'error'} (simulator)` };
      return this._send(res, fault.status, body, fault.headers, entry);
    }

    if (path.startsWith('/api/') && !this._authorized(req.headers.authorization)) {
      return this._error(res, 401, 'Unauthorized: invalid API key id or secret', entry, { 'www-authenticate': 'Basic realm="BHuman API"' });
    }
    const route = this._routes[path];
    if (!route) return this._error(res, 404, `No route for ${method} ${u.pathname}`, entry);
    const handler = route[method];
    if (!handler) {
      return this._error(res, 405, `Method ${method} not allowed for ${u.pathname}; use ${Object.keys(route).join(', ')}`, entry, {
        allow: Object.keys(route).join(', '),
      });
    }
    try {
      const out = handler({ query: entry.query, raw });
      this._send(res, 200, out, {}, entry);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      this._error(res, err.status, err.message, entry);
    }
  }

  _authorized(header) {
    const m = /^Basic\s+(\S+)\s*$/i.exec(header || '');
    if (!m) return false;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    return i >= 0 && decoded.slice(0, i) === this.keyId && decoded.slice(i + 1) === this.keySecret;
  }

  _takeFault(method, path) {
    let hit = null;
    for (const f of this.faults) {
      if (!faultMatches(f, method, path)) continue;
      f.seen++;
      if (!hit && f.seen > f.after && f.fired < f.times) {
        f.fired++;
        hit = f;
      }
    }
    return hit;
  }

  // ----- media and share pages (no auth, no latency, not logged) -----

  _media(res, method, path) {
    if (method !== 'GET' && method !== 'HEAD') return this._error(res, 405, `Method ${method} not allowed for ${path}`, null, { allow: 'GET, HEAD' });
    const now = Date.now();
    const share = /^\/share\/([0-9a-f-]{36})$/i.exec(path);
    if (share) {
      const g = this.generations.get(share[1].toLowerCase());
      if (!g || gens.statusAt(g, now) !== 'succeeded') return this._error(res, 404, `Share page ${share[1]} not found`);
      const html = `<!doctype html><html><head><meta charset="utf-8"><title>Your personalized video</title></head>
<body style="font-family:sans-serif;text-align:center"><h1>Hi ${escapeHtml(g.text[0] || 'there')}!</h1>
<video controls autoplay muted width="320" poster="/media/${g.id}.png" src="/media/${g.id}.mp4"></video>
<p>Personalized video ${g.id} (BHuman simulator)</p></body></html>`;
      return this._sendBytes(res, method, 'text/html; charset=utf-8', Buffer.from(html));
    }
    const m = /^\/media\/(product-)?([0-9a-f-]{36})(-whatsapp)?\.(mp4|png|gif)$/i.exec(path);
    let ok = false;
    if (m) {
      const [, product, rawId, whatsapp, ext] = m;
      const id = rawId.toLowerCase();
      if (product) ok = !whatsapp && this.data.products.some((p) => p.id === id);
      else {
        const g = this.generations.get(id);
        ok = Boolean(g) && gens.statusAt(g, now) === 'succeeded' && (!whatsapp || (g.whatsapp && ext === 'mp4'));
      }
      if (ok) {
        const key = path.slice('/media/'.length);
        const [type, bytes] =
          ext === 'mp4' ? ['video/mp4', media.mp4(key)] : ext === 'png' ? ['image/png', media.png(key)] : ['image/gif', media.gif()];
        return this._sendBytes(res, method, type, bytes);
      }
    }
    return this._error(res, 404, `Media ${path.slice('/media/'.length)} not found`);
  }

  _sendBytes(res, method, type, bytes) {
    res.writeHead(200, { 'content-type': type, 'content-length': bytes.length, 'cache-control': 'public, max-age=3600' });
    res.end(method === 'HEAD' ? undefined : bytes);
  }

  // ----- control surface -----

  async _control(req, res, method, path, u) {
    const raw = await readBody(req);
    let body = {};
    if (raw.length) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (err) {
        return this._error(res, 400, `Control body is not valid JSON: ${err.message}`);
      }
    }
    const ok = (out = { ok: true }) => this._send(res, 200, out);
    try {
      const key = `${method} ${path}`;
      const gen = /^\/__sim\/generations\/([^/]+)\/complete$/.exec(path);
      if (gen && method === 'POST') return ok(this.completeGeneration(gen[1], body.status || 'succeeded', body.message));
      switch (key) {
        case 'GET /__sim/requests': {
          const { method: m, path: p } = Object.fromEntries(u.searchParams);
          return ok(this.requests.filter((r) => (!m || r.method === m.toUpperCase()) && (!p || r.path === p)));
        }
        case 'DELETE /__sim/requests':
          this.clearRequests();
          return ok();
        case 'GET /__sim/faults':
          return ok(this.faults.map(faultJson));
        case 'POST /__sim/faults':
          this.inject(body);
          return ok({ ok: true, faults: this.faults.length });
        case 'DELETE /__sim/faults':
          this.clearFaults();
          return ok();
        case 'POST /__sim/latency':
          this.setLatency(body.ms ?? body.latencyMs);
          return ok({ ok: true, latencyMs: this.latencyMs });
        case 'POST /__sim/render':
          this.setRender(body);
          return ok({ ok: true, render: this.render });
        case 'GET /__sim/callbacks':
          return ok(this.callbacksSent);
        case 'POST /__sim/callbacks':
          this.setCallbacks(body);
          return ok({ ok: true, callbacks: this.callbackOptions });
        case 'POST /__sim/callbacks/replay':
          if (!body.id) return this._error(res, 400, "Missing 'id' of the generation to replay");
          return ok({ ok: true, ...this.replayCallback(body.id, body) });
        case 'POST /__sim/reset':
          this.reset();
          return ok();
        case 'GET /__sim/state':
          return ok(this.state());
        case 'GET /__sim/data':
          return ok(this.data);
        default:
          return this._error(res, 404, `No control route for ${method} ${path}`);
      }
    } catch (err) {
      if (err instanceof ApiError) return this._error(res, err.status, err.message);
      if (err instanceof TypeError) return this._error(res, 400, err.message);
      throw err;
    }
  }

  // ----- API routes -----

  _buildRoutes() {
    const S = '/api/ai_studio';
    return {
      [`${S}/video_instances`]: { GET: (c) => this._listInstances(c) },
      [`${S}/video_instance`]: { GET: (c) => [this._instanceOr404(uuidParam(c.query, 'id', true))] },
      [`${S}/generated_video_by_video_instance_id`]: { GET: (c) => this._generatedFor(c, 'video_instance_id') },
      [`${S}/try_sample`]: { POST: (c) => this._trySample(c) },
      [`${S}/pipeline/campaign`]: { POST: (c) => this._campaignRender(c) },
      [`${S}/generated_video_by_id`]: { GET: (c) => this._generatedById(c) },
      [`${S}/campaigns`]: { GET: (c) => this._listCampaigns(c) },
      [`${S}/campaign`]: { GET: (c) => this._campaignOr404(uuidParam(c.query, 'id', true)) },
      [`${S}/generated_video_by_campaign_id`]: { GET: (c) => this._generatedFor(c, 'campaign_id') },
      '/api/workspace': { GET: (c) => this._workspaces(c) },
      '/api/store/product': { GET: () => this.data.products },
      '/api/store/product/use': { POST: (c) => this._useProduct(c) },
      '/api/store/settings': { GET: () => ({ category: this.data.categories, tags: this.data.tags }) },
    };
  }

  _instanceOr404(id) {
    const inst = this._instances.get(id);
    if (!inst) throw new ApiError(404, `Video instance ${id} not found`);
    return inst;
  }

  _campaignOr404(id) {
    const c = this.data.campaigns.find((x) => x.id === id);
    if (!c) throw new ApiError(404, `Campaign ${id} not found`);
    return c;
  }

  _listInstances({ query }) {
    const p = pageParams(query, true);
    return { total: this.data.videoInstances.length, instances: p.slice(this.data.videoInstances) };
  }

  _listCampaigns({ query }) {
    const p = pageParams(query, false);
    return { total: this.data.campaigns.length, campaigns: p.slice(this.data.campaigns) };
  }

  _generatedFor({ query }, param) {
    const id = uuidParam(query, param, true);
    const p = pageParams(query, false);
    if (param === 'campaign_id') this._campaignOr404(id);
    else this._instanceOr404(id);
    const index = param === 'campaign_id' ? this._byCampaign : this._byInstance;
    const now = Date.now();
    return p.slice(index.get(id) || []).map((g) => gens.toRecord(g, now, this.url));
  }

  _generatedById({ query }) {
    const id = uuidParam(query, 'id', true);
    const g = this.generations.get(id);
    if (!g) throw new ApiError(404, `Generated video ${id} not found`);
    return gens.toRecord(g, Date.now(), this.url);
  }

  _workspaces({ query }) {
    const id = uuidParam(query, 'id', false);
    if (!id) return this.data.workspaces;
    const ws = this.data.workspaces.filter((w) => w.workspace_id === id);
    if (!ws.length) throw new ApiError(404, `Workspace ${id} not found`);
    return ws;
  }

  _trySample({ raw }) {
    const body = jsonBody(raw);
    const instanceId = uuidField(body, 'video_instance_id', true);
    const { variables, names } = rowsFields(body);
    const callbackUrl = callbackField(body);
    const instance = this._instanceOr404(instanceId);
    checkRows(variables, names);
    return { code: 200, result: this._createGenerations({ instance, campaign: null, names, callbackUrl }) };
  }

  _campaignRender({ raw }) {
    const body = jsonBody(raw);
    const campaignId = uuidField(body, 'campaign_id', true);
    const { variables, names } = rowsFields(body);
    const callbackUrl = callbackField(body);
    const assets = stringMatrix(body, 'assets', false);
    const backgrounds = backgroundsField(body);
    if (body.enable_lipsync !== undefined && body.enable_lipsync !== null && typeof body.enable_lipsync !== 'boolean') {
      throw new ApiError(422, "Field 'enable_lipsync' must be a boolean");
    }
    const campaign = this._campaignOr404(campaignId);
    checkRows(variables, names);
    if (backgrounds && backgrounds.length) {
      if (!assets) throw new ApiError(400, `assets is required when backgrounds is given (one row per names row, one column per background)`);
      if (assets.length !== names.length) throw new ApiError(400, `assets has ${assets.length} rows but names has ${names.length}`);
      assets.forEach((row, i) => {
        if (row.length !== backgrounds.length) {
          throw new ApiError(400, `assets row ${i} has ${row.length} values but backgrounds has ${backgrounds.length}`);
        }
      });
    } else if (assets && assets.some((row) => row.length)) {
      throw new ApiError(400, 'assets given but backgrounds is empty');
    }
    const instance = this._instances.get(campaign.video_instance_id) || { id: campaign.video_instance_id, actor_id: null };
    const ids = this._createGenerations({
      instance,
      campaign,
      names,
      callbackUrl,
      extras: (i) => ({ assets: assets ? assets[i] : undefined, backgrounds, enableLipsync: body.enable_lipsync }),
    });
    return { code: 200, result: ids };
  }

  _useProduct({ raw }) {
    const body = jsonBody(raw);
    const productId = uuidField(body, 'id', true);
    const workspaceId = uuidField(body, 'workspace_id', true);
    let folderId = uuidField(body, 'folder_id', false);
    const instanceId = uuidField(body, 'video_instance_id', false);
    if (instanceId && !folderId) throw new ApiError(400, 'folder_id is required when video_instance_id is given');
    const product = this.data.products.find((p) => p.id === productId);
    if (!product) throw new ApiError(404, `Product ${productId} not found`);
    if (!this.data.workspaces.some((w) => w.workspace_id === workspaceId)) throw new ApiError(404, `Workspace ${workspaceId} not found`);
    if (folderId && !this.data.folders.some((f) => f.id === folderId)) throw new ApiError(404, `Folder ${folderId} not found`);
    const now = new Date().toISOString();
    if (!folderId) {
      folderId = randomUUID();
      this.data.folders.push({ id: folderId, name: product.name, workspace_id: workspaceId, created_at: now });
      this._created.folders.add(folderId);
    }
    let instance;
    if (instanceId) {
      instance = this._instanceOr404(instanceId);
    } else {
      instance = {
        id: randomUUID(),
        name: product.name,
        user_id: this._userId,
        folder_id: folderId,
        actor_id: product.actor_id,
        product_id: product.id,
        industry: 1 + (product.category % 20),
        use_case: null,
        created_at: now,
        updated_at: now,
        variables: ['name', 'company'],
      };
      this._videoIds.set(instance.id, randomUUID());
      this.data.videoInstances.unshift(instance); // newest first, like the list endpoint
      this._instances.set(instance.id, instance);
      this._created.instances.add(instance.id);
    }
    const segments = Array.from({ length: 3 + (product.length % 3) }, () => randomUUID());
    return { video_instance_id: instance.id, video_id: this._videoIds.get(instance.id) || randomUUID(), folder_id: folderId, product, segments };
  }
}

async function startSimulator(options) {
  const sim = new Simulator(options);
  await sim.start();
  return sim;
}

module.exports = { Simulator, startSimulator, ApiError, UUID_RE };
