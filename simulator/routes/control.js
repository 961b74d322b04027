// @ts-check
'use strict';
// The /__sim/ control surface for tests in other processes (no auth, not logged): the same knobs
// as the Simulator's methods. A knob's TypeError (bad value) is answered 400.

const { ApiError, controlBody } = require('../validate');
const { faultJson } = require('../faults');

/** @typedef {import('../dispatcher').Route} Route @typedef {import('../dispatcher').RouteContext} RouteContext */

/**
 * @param {string} method @param {string | RegExp} path
 * @param {(ctx: RouteContext, body: any) => unknown} handler gets the parsed JSON body ({} when empty)
 * @returns {Route}
 */
function control(method, path, handler) {
  return {
    method,
    path,
    auth: false,
    handler: (ctx) => {
      const body = controlBody(ctx.raw);
      try {
        return handler(ctx, body);
      } catch (err) {
        if (err instanceof TypeError) throw new ApiError(400, err.message);
        throw err;
      }
    },
  };
}

const OK = { ok: true };

/** @type {Route[]} */
const routes = [
  control('GET', '/__sim/requests', ({ sim, query }) => {
    const { method: m, path: p } = query;
    return sim.requests.filter((r) => (!m || r.method === m.toUpperCase()) && (!p || r.path === p));
  }),
  control('DELETE', '/__sim/requests', ({ sim }) => (sim.clearRequests(), OK)),
  control('GET', '/__sim/faults', ({ sim }) => sim.faults.map(faultJson)),
  control('POST', '/__sim/faults', ({ sim }, body) => {
    sim.inject(body);
    return { ok: true, faults: sim.faults.length };
  }),
  control('DELETE', '/__sim/faults', ({ sim }) => (sim.clearFaults(), OK)),
  control('POST', '/__sim/latency', ({ sim }, body) => {
    sim.setLatency(body.ms ?? body.latencyMs);
    return { ok: true, latencyMs: sim.latencyMs };
  }),
  control('POST', '/__sim/render', ({ sim }, body) => {
    sim.setRender(body);
    return { ok: true, render: sim.render };
  }),
  control('GET', '/__sim/callbacks', ({ sim }) => sim.callbacksSent),
  control('POST', '/__sim/callbacks', ({ sim }, body) => {
    sim.setCallbacks(body);
    return { ok: true, callbacks: sim.callbackOptions };
  }),
  control('GET', '/__sim/dialect', ({ sim }) => sim.dialect),
  control('POST', '/__sim/dialect', ({ sim }, body) => ({ ok: true, dialect: sim.setDialect(body) })),
  control('POST', '/__sim/callbacks/replay', ({ sim }, body) => {
    if (!body.id) throw new ApiError(400, "Missing 'id' of the generation to replay");
    return { ok: true, ...sim.replayCallback(body.id, body) };
  }),
  control('POST', '/__sim/reset', ({ sim }) => (sim.reset(), OK)),
  control('GET', '/__sim/state', ({ sim }) => sim.state()),
  control('GET', '/__sim/data', ({ sim }) => sim.data),
  control('POST', /^\/__sim\/generations\/([^/]+)\/complete$/, ({ sim, match }, body) =>
    sim.completeGeneration(/** @type {RegExpExecArray} */ (match)[1], body.status || 'succeeded', body.message),
  ),
  control('*', /^\/__sim(\/|$)/, ({ method, path }) => {
    throw new ApiError(404, `No control route for ${method} ${path}`);
  }),
];

module.exports = routes;
