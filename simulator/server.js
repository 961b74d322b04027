// @ts-check
'use strict';
// The simulator: one HTTP origin serving BHuman's studio, user and store API paths, plus media,
// share pages and an unauthenticated /__sim/ control surface for tests in other processes.
// This file holds the state, lifecycle, knobs and render/callback timing; the routes live in
// routes/*.js, and dispatcher.js applies their auth, latency, fault and logging flags.

const http = require('node:http');
const { randomUUID } = require('node:crypto');
const { buildData, createRng, DEFAULT_SIZES } = require('./data');
const gens = require('./generations');
const { CallbackDispatcher } = require('./callbacks');
const { ApiError, UUID_RE } = require('./validate');
const { normalizeFault } = require('./faults');
const { dispatch, sendError, capLog, FALLBACK_ROUTES } = require('./dispatcher');
const { resolveDialect, startDialect, callbackTarget, internalStatus } = require('./dialects');

/** The route table, in lookup order; each file's entries are `{ method, path, auth, log, handler }`. */
const ROUTES = [
  ...require('./routes/studio'),
  ...require('./routes/user'),
  ...require('./routes/store'),
  ...require('./routes/media'),
  ...require('./routes/control'),
  ...FALLBACK_ROUTES,
];

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

/**
 * @typedef {import('./index').SimulatorOptions} SimulatorOptions
 * @typedef {import('./index').SimData} SimData
 * @typedef {import('./index').VideoInstance} VideoInstance
 * @typedef {import('./index').GenerationRecord} GenerationRecord
 * @typedef {import('./index').RequestLogEntry} RequestLogEntry
 * @typedef {import('./index').CallbackSent} CallbackSent
 * @typedef {import('./faults').ActiveFault} ActiveFault
 * @typedef {import('./index').Simulator} SimulatorApi
 */

// ---------- the simulator ----------

/**
 * `@implements` makes `npm run typecheck` fail when this class and index.d.ts disagree.
 * @implements {SimulatorApi}
 */
class Simulator {
  /** @param {SimulatorOptions} [options] */
  constructor(options = {}) {
    this.port = options.port ?? 0;
    this.keyId = options.keyId ?? 'sim-key-id';
    this.keySecret = options.keySecret ?? 'sim-key-secret';
    this.seed = options.seed ?? 1;
    this.sizes = { ...DEFAULT_SIZES, ...(options.sizes || {}) };
    this.render = { queuedMs: 200, processingMs: 800, staggerMs: 0, ...(options.render || {}) };
    const start = startDialect(options);
    /** The dialect now (setDialect), and the one given at start (restored by reset). */
    this.dialect = start.dialect;
    this._startDialect = start.dialect;
    // A preset's repeat count (reference-2026-10: 1) yields to an explicit options.callbacks.repeat.
    const repeat = start.repeat ?? 1;
    this.callbackOptions = normalizeCallbacks({ repeat, reorder: false, delayMs: 0, whatsappDelayMs: 300 }, options.callbacks);
    this._startRepeat = this.callbackOptions.repeat;
    /** Whether setDialect applied a preset's repeat count since start (reset then restores _startRepeat). */
    this._presetRepeat = false;
    this.latencyMs = 0;
    this.setLatency(options.latencyMs ?? 0);
    this.quiet = options.quiet ?? true;
    /** @type {import('./index').ListOrder} */
    this.listOrder = 'oldest';
    this.setListOrder(options.listOrder ?? 'oldest');
    this._startListOrder = this.listOrder;

    /** Set by start(), as `data` and the lookups below; routes only run after it. */
    this.url = '';
    /** @type {RequestLogEntry[]} */
    this.requests = [];
    /** @type {CallbackSent[]} */
    this.callbacksSent = [];
    /** @type {Map<string, GenerationRecord>} */
    this.generations = new Map();
    /** @type {ActiveFault[]} */
    this.faults = [];
    this.data = /** @type {SimData} */ (/** @type {unknown} */ (null));
    /** @type {Map<string, VideoInstance>} */
    this._instances = new Map();
    /** @type {Map<string | null, string>} instance id -> its video id */
    this._videoIds = new Map();
    this._userId = '';
    /** @type {string[]} */
    this._actors = [];
    /** @type {http.Server | undefined} */
    this.server = undefined;
    /** @type {Promise<void> | undefined} */
    this._closing = undefined;

    this._timers = new Map(); // timer -> kind ('latency' | 'callback'); close() clears them all
    this._rng = createRng(this.seed, 'runtime');
    /** @type {Map<string | null, GenerationRecord[]>} */
    this._byInstance = new Map();
    /** @type {Map<string | null, GenerationRecord[]>} */
    this._byCampaign = new Map();
    /** Created through the API, dropped by reset(). */
    /** @type {{ instances: Set<string>, folders: Set<string>, webhooks: Set<string> }} */
    this._created = { instances: new Set(), folders: new Set(), webhooks: new Set() };
    this._closed = false;
    this._dispatcher = new CallbackDispatcher({
      record: (entry) => {
        this.callbacksSent.push(entry);
        capLog(this.callbacksSent);
      },
    });
  }

  // ----- lifecycle -----

  /** @returns {Promise<this>} */
  start() {
    return new Promise((resolve, reject) => {
      const server = http.createServer((req, res) => {
        dispatch(this, ROUTES, req, res).catch((err) => this._internalError(res, err));
      });
      this.server = server;
      server.keepAliveTimeout = 5000;
      server.on('clientError', (err, socket) => {
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
        else socket.destroy();
      });
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        this.port = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
        this.url = `http://127.0.0.1:${this.port}`;
        // Built after listen: product media URLs need the final port.
        const built = buildData({ seed: this.seed, sizes: this.sizes, baseUrl: this.url });
        this.data = /** @type {SimData} */ (built.data);
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
    const server = this.server;
    this._closing = new Promise((resolve) => {
      if (!server || !server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections(); // drop keep-alive and in-flight sockets (latency waits)
    });
    return this._closing;
  }

  // ----- public knobs -----

  clearRequests() {
    this.requests.length = 0;
  }

  /** @param {import('./index').Fault} fault */
  inject(fault) {
    this.faults.push(normalizeFault(fault));
  }

  clearFaults() {
    this.faults.length = 0;
  }

  /** @param {number} ms */
  setLatency(ms) {
    const n = Number(ms);
    if (!Number.isFinite(n) || n < 0) throw new TypeError('latency must be a non-negative number of milliseconds');
    this.latencyMs = n;
  }

  /** @param {Partial<import('./index').CallbackOptions>} opts */
  setCallbacks(opts) {
    this.callbackOptions = normalizeCallbacks(this.callbackOptions, opts);
  }

  /**
   * Switch the dialect: a preset name, or knobs over a preset (`preset`/`dialect`) or over the
   * current dialect. Throws TypeError for unknown names or values.
   * @param {import('./index').DialectSpec} spec
   */
  setDialect(spec) {
    const { dialect, repeat } = resolveDialect(spec, this.dialect);
    this.dialect = dialect;
    if (repeat !== undefined) {
      this.callbackOptions = { ...this.callbackOptions, repeat };
      this._presetRepeat = true;
    }
    return dialect;
  }

  /** @param {import('./index').ListOrder} order */
  setListOrder(order) {
    if (order !== 'oldest' && order !== 'newest') throw new TypeError(`listOrder must be oldest or newest; got ${JSON.stringify(order)}`);
    this.listOrder = order;
  }

  /** @param {Partial<import('./index').RenderOptions>} [opts] */
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
    this.dialect = this._startDialect;
    this.listOrder = this._startListOrder;
    if (this._presetRepeat) {
      this.callbackOptions = { ...this.callbackOptions, repeat: this._startRepeat };
      this._presetRepeat = false;
    }
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
      keep(this.data.savedWebhooks, this._created.webhooks, 'id');
      for (const id of this._created.instances) this._instances.delete(id);
      this._created.instances.clear();
      this._created.folders.clear();
      this._created.webhooks.clear();
    }
  }

  /**
   * Force a generation to finish now (sends its callback if one is pending). `completed` is
   * `succeeded` under its other name.
   * @param {string} id @param {'succeeded' | 'completed' | 'failed'} [status] @param {string} [message]
   */
  completeGeneration(id, status = 'succeeded', message) {
    const g = this.generations.get(String(id).toLowerCase());
    if (!g) throw new ApiError(404, `Generation ${id} not found`);
    const final = /** @type {'succeeded' | 'failed'} */ (internalStatus(status));
    if (!gens.FINAL.has(final)) throw new ApiError(400, "status must be 'succeeded', 'completed' or 'failed'");
    const now = Date.now();
    if (!gens.isFinal(g, now)) {
      g.forced = { status: final, atMs: now, message: message || 'Render failed: forced by simulator control' };
      if (g.callbackUrl && !g.callbackDone) {
        g.callbackDone = true;
        this._deliverCallbacks([g]);
      }
    }
    return this._record(g, now);
  }

  /**
   * Send a finished generation's callback once more (tests of duplicate delivery).
   * @param {string} id @param {{ event?: 'whatsapp.ready', url?: string }} [opts]
   */
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
      body = this._callbackBody(g, now);
    }
    return { url: this._sendTo(target, g, body), body };
  }

  state() {
    /** @type {Record<string, number>} */
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
      dialect: { ...this.dialect },
      sizes: { ...this.sizes },
      counts: {
        videoInstances: (d.videoInstances || []).length,
        workspaces: (d.workspaces || []).length,
        products: (d.products || []).length,
        campaigns: (d.campaigns || []).length,
        categories: (d.categories || []).length,
        tags: (d.tags || []).length,
        folders: (d.folders || []).length,
        speakeasyProjects: (d.speakeasyProjects || []).length,
        savedWebhooks: (d.savedWebhooks || []).length,
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

  /** @param {GenerationRecord} g */
  _addGeneration(g) {
    this.generations.set(g.id, g);
    const [index, key] = g.campaignId ? [this._byCampaign, g.campaignId] : [this._byInstance, g.videoInstanceId];
    const list = index.get(key) || [];
    index.set(key, list);
    list.push(g);
  }

  /**
   * One live generation per row, rendered on the simulator's clock; returns their ids.
   * @param {{ instance: { id: string | null, actor_id: string | null }, campaign: import('./index').Campaign | null,
   *   names: string[][], callbackUrl: string | null, extras?: (row: number) => import('./index').GenerationExtras }} request
   */
  _createGenerations({ instance, campaign, names, callbackUrl, extras }) {
    const now = Date.now();
    const stagger = this.render.staggerMs || 0;
    const created = names.map((row, i) => {
      const c = gens.rowControls(row, this.render);
      const id = randomUUID();
      /** @type {GenerationRecord} */
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
        outcome: /** @type {GenerationRecord['outcome']} */ (c.outcome),
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
    const body = this._callbackBody(g, now);
    const go = () => {
      for (let i = 0; i < repeat; i++) this._sendTo(g.callbackUrl, g, body);
      if (g.whatsapp && gens.statusAt(g, now) === 'succeeded') {
        const ready = gens.whatsappReadyBody(g, this.url);
        this._timer(
          () => {
            for (let i = 0; i < repeat; i++) this._sendTo(g.callbackUrl, g, ready);
          },
          whatsappDelayMs,
          'callback',
        );
      }
    };
    if (delayMs > 0) this._timer(go, delayMs, 'callback');
    else go();
  }

  /** POSTs a callback of generation `g` to `url` as the dialect addresses it; returns that URL. */
  _sendTo(/** @type {string} */ url, /** @type {GenerationRecord} */ g, /** @type {unknown} */ body) {
    const target = callbackTarget(this.dialect, url, g.id);
    this._dispatcher.send(target, body);
    return target;
  }

  /** The public polling record of `g`, as the dialect shows it. */
  _record(/** @type {GenerationRecord} */ g, now = Date.now()) {
    return gens.toRecord(g, now, this.url, this.dialect.successState);
  }

  /** The completion callback body of `g`, as the dialect shows it. */
  _callbackBody(/** @type {GenerationRecord} */ g, /** @type {number} */ now) {
    const { whatsappDelayMs } = this.callbackOptions;
    return gens.callbackBody(g, now, this.url, { includeWhatsapp: whatsappDelayMs <= 0, successState: this.dialect.successState });
  }

  // ----- HTTP -----

  _internalError(res, err) {
    if (!this.quiet) process.stderr.write(`[sim] internal error: ${err && err.stack}\n`);
    if (!res.headersSent && !res.destroyed) {
      const status = err instanceof ApiError ? err.status : 500;
      sendError(this, res, status, err instanceof ApiError ? err.message : `Simulator internal error: ${err && err.message}`);
    }
  }

  // ----- lookups shared by the routes -----

  /** @param {string} id */
  _instanceOr404(id) {
    const inst = this._instances.get(id);
    if (!inst) throw new ApiError(404, `Video instance ${id} not found`);
    return inst;
  }

  /** A new folder in a workspace (product/use, speakeasy import); returns its id. */
  _createFolder(/** @type {string} */ name, /** @type {string | null} */ workspaceId) {
    const id = randomUUID();
    this.data.folders.push({ id, name, workspace_id: workspaceId, created_at: new Date().toISOString() });
    this._created.folders.add(id);
    return id;
  }

  /**
   * A new video instance, listed first like the newest of the list endpoint.
   * @param {{ name: string, folderId: string, actorId: string | null, productId: string | null, industry: number }} init
   */
  _createInstance({ name, folderId, actorId, productId, industry }) {
    const now = new Date().toISOString();
    /** @type {VideoInstance} */
    const instance = {
      id: randomUUID(),
      name,
      user_id: this._userId,
      folder_id: folderId,
      actor_id: actorId,
      product_id: productId,
      industry,
      use_case: null,
      created_at: now,
      updated_at: now,
      variables: ['name', 'company'],
    };
    this._videoIds.set(instance.id, randomUUID());
    this.data.videoInstances.unshift(instance);
    this._instances.set(instance.id, instance);
    this._created.instances.add(instance.id);
    return instance;
  }

  /** @param {string} id */
  _workspaceOr404(id) {
    const ws = this.data.workspaces.find((w) => w.workspace_id === id);
    if (!ws) throw new ApiError(404, `Workspace ${id} not found`);
    return ws;
  }

  /** @param {string} id */
  _campaignOr404(id) {
    const c = this.data.campaigns.find((x) => x.id === id);
    if (!c) throw new ApiError(404, `Campaign ${id} not found`);
    return c;
  }
}

/** @param {SimulatorOptions} [options] */
async function startSimulator(options) {
  const sim = new Simulator(options);
  await sim.start();
  return sim;
}

module.exports = { Simulator, startSimulator, ApiError, UUID_RE };
