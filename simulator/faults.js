// @ts-check
'use strict';
// Injected faults: which request they hit (method, exact path or prefix*, after n, times) and
// what they answer (status, body, headers, or a dropped socket). Decided on arrival of a request;
// a `handled` fault lets the route act first (a generate creates its generations) and then answers
// in its place: a gateway or connection that lost BHuman's answer.

/**
 * @typedef {import('./index').Fault} Fault
 * @typedef {{ method: string | null, path: string | null, status: number, body: unknown,
 *   headers: Record<string, string>, drop: boolean, handled: boolean, times: number, after: number,
 *   seen: number, fired: number }} ActiveFault
 */

/** Drops one trailing slash, as the dispatcher does for request paths. */
function normPath(/** @type {string} */ p) {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/**
 * Checks a fault given by a test (or POST /__sim/faults) and fills in its defaults.
 * @param {Fault} f
 * @returns {ActiveFault}
 */
function normalizeFault(f) {
  if (!f || typeof f !== 'object' || Array.isArray(f)) throw new TypeError('fault must be an object');
  /** @type {unknown} */
  const rawTimes = f.times;
  const forever = rawTimes === -1 || rawTimes === Infinity || rawTimes === 'Infinity' || rawTimes === null;
  const times = rawTimes === undefined ? 1 : forever ? Infinity : Number(rawTimes);
  if (!(times === Infinity || (Number.isInteger(times) && times >= 1))) throw new TypeError('fault.times must be a positive integer, -1 or Infinity');
  const after = f.after === undefined ? 0 : Number(f.after);
  if (!Number.isInteger(after) || after < 0) throw new TypeError('fault.after must be a non-negative integer');
  const status = f.drop ? 0 : f.status === undefined ? 500 : Number(f.status);
  if (!f.drop && !(Number.isInteger(status) && status >= 100 && status <= 599)) throw new TypeError('fault.status must be an HTTP status code');
  if (f.path !== undefined && typeof f.path !== 'string') throw new TypeError('fault.path must be a string');
  /** @type {Record<string, string>} */
  const headers = {};
  for (const [k, v] of Object.entries(f.headers || {})) headers[k.toLowerCase()] = String(v);
  return {
    method: f.method ? String(f.method).toUpperCase() : null,
    path: f.path ? normPath(f.path) : null,
    status,
    body: f.body,
    headers,
    drop: Boolean(f.drop),
    handled: Boolean(f.handled),
    times,
    after,
    seen: 0,
    fired: 0,
  };
}

/** @param {ActiveFault} f @param {string} method @param {string} path */
function faultMatches(f, method, path) {
  if (f.method && f.method !== method) return false;
  if (!f.path) return true;
  return f.path.endsWith('*') ? path.startsWith(f.path.slice(0, -1)) : f.path === path;
}

/**
 * The fault that answers this request, if any. Every matching fault counts the request as seen
 * (so `after` counts in arrival order); the first one still due fires.
 * @param {ActiveFault[]} faults @param {string} method @param {string} path
 */
function takeFault(faults, method, path) {
  /** @type {ActiveFault | null} */
  let hit = null;
  for (const f of faults) {
    if (!faultMatches(f, method, path)) continue;
    f.seen++;
    if (!hit && f.seen > f.after && f.fired < f.times) {
      f.fired++;
      hit = f;
    }
  }
  return hit;
}

/** A fault as GET /__sim/faults shows it (Infinity is not JSON: -1). */
const faultJson = (/** @type {ActiveFault} */ f) => ({ ...f, times: f.times === Infinity ? -1 : f.times });

module.exports = { normalizeFault, takeFault, faultJson, normPath };
