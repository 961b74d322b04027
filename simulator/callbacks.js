'use strict';
// Outgoing callback delivery with bounded concurrency, so a 2,000-row render finishing at once
// does not open 2,000 sockets. One delivery = one POST; nothing is retried (BHuman documents
// none). Each attempt is recorded; a failing receiver never throws into the simulator.

const http = require('node:http');
const https = require('node:https');

class CallbackDispatcher {
  /**
   * @param {object} o
   * @param {(entry: object) => void} o.record  called once per delivery with {url, body, status|error, at, ms}
   * @param {number} [o.concurrency]
   * @param {number} [o.timeoutMs]
   */
  constructor({ record, concurrency = 20, timeoutMs = 10000 }) {
    this.record = record;
    this.concurrency = concurrency;
    this.timeoutMs = timeoutMs;
    this.queue = [];
    this.inFlight = new Set();
    this.closed = false;
    // Own agents, so close() can destroy every kept-alive socket we opened.
    this.agents = {
      'http:': new http.Agent({ keepAlive: true, maxSockets: concurrency }),
      'https:': new https.Agent({ keepAlive: true, maxSockets: concurrency }),
    };
  }

  get pending() {
    return this.queue.length + this.inFlight.size;
  }

  send(url, body) {
    if (this.closed) return;
    this.queue.push({ url, body });
    this._pump();
  }

  /** Drop queued deliveries (reset); in-flight ones finish but are not recorded. */
  clearQueue() {
    this.queue.length = 0;
    for (const req of this.inFlight) req.silenced = true;
  }

  close() {
    this.closed = true;
    this.queue.length = 0;
    for (const req of this.inFlight) {
      req.silenced = true;
      req.destroy();
    }
    this.inFlight.clear();
    for (const agent of Object.values(this.agents)) agent.destroy();
  }

  _pump() {
    while (!this.closed && this.inFlight.size < this.concurrency && this.queue.length) {
      this._deliver(this.queue.shift());
    }
  }

  _deliver({ url, body }) {
    const at = Date.now();
    const payload = Buffer.from(JSON.stringify(body));
    let done = false;
    let req;
    const finish = (result) => {
      if (done) return;
      done = true;
      this.inFlight.delete(req);
      if (!req.silenced) {
        try {
          // ms: from the start of the POST to the receiver's answer (or the error)
          this.record({ url, body, ...result, at, ms: Date.now() - at });
        } catch {
          /* a throwing observer must not stop delivery */
        }
      }
      this._pump();
    };
    try {
      const u = new URL(url);
      const mod = u.protocol === 'https:' ? https : http;
      const options = {
        method: 'POST',
        hostname: u.hostname.replace(/^\[|\]$/g, ''),
        port: u.port || undefined,
        path: rawPathAndQuery(url, u),
        agent: this.agents[u.protocol],
        headers: {
          'content-type': 'application/json',
          'content-length': payload.length,
          'user-agent': 'BHuman-Simulator/1.0',
        },
      };
      if (u.username) options.auth = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
      try {
        req = mod.request(options);
      } catch (err) {
        // The raw path held characters Node refuses; fall back to the normalised form.
        if (err && err.code !== 'ERR_UNESCAPED_CHARACTERS') throw err;
        req = mod.request({ ...options, path: u.pathname + u.search });
      }
    } catch (err) {
      req = { destroy() {} };
      this.inFlight.add(req);
      finish({ error: String(err && err.message ? err.message : err) });
      return;
    }
    this.inFlight.add(req);
    req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`callback timed out after ${this.timeoutMs} ms`)));
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => finish({ status: res.statusCode }));
      res.on('error', (err) => finish({ status: res.statusCode, error: err.message }));
    });
    req.on('error', (err) => finish({ error: err.message || String(err) }));
    req.end(payload);
  }
}

/** The path and query exactly as the caller wrote them (the URL parser would re-encode). */
function rawPathAndQuery(url, parsed) {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^#]*)/i.exec(url);
  let p = m ? m[1] : parsed.pathname + parsed.search;
  if (!p.startsWith('/')) p = '/' + p;
  return p;
}

module.exports = { CallbackDispatcher, rawPathAndQuery };
