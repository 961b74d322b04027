// @ts-check
'use strict';
// Dialects: the forms in which BHuman's public sources disagree (see simulator/README.md), as four
// independent knobs and named presets. The routes answer one canonical form; the dispatcher,
// the records and the callbacks ask this file how the current dialect shows it.

/**
 * @typedef {import('./index').DialectKnobs} DialectKnobs
 * @typedef {import('./index').Dialect} Dialect
 * @typedef {import('./index').DialectName} DialectName
 * @typedef {import('./index').DialectSpec} DialectSpec
 * @typedef {import('./dispatcher').Route} Route
 * @typedef {import('./dispatcher').RouteContext} RouteContext
 */

/** Each knob's values, the first being today's (the guide's) form. */
const KNOBS = {
  envelope: ['none', 'records', 'all'],
  listAuth: ['basic', 'bearer'],
  callbackIdQuery: ['none', 'naive', 'proper'],
  successState: ['succeeded', 'completed'],
};
const KNOB_NAMES = /** @type {Array<keyof DialectKnobs>} */ (Object.keys(KNOBS));

const GUIDE = { envelope: 'none', listAuth: 'basic', callbackIdQuery: 'none', successState: 'succeeded' };

/**
 * The presets: the knobs and, where the source says so, the callback repeat count.
 * @type {Record<DialectName, { knobs: DialectKnobs, repeat?: number }>}
 */
const PRESETS = {
  guide: { knobs: /** @type {DialectKnobs} */ (GUIDE) },
  'reference-2026-07': { knobs: /** @type {DialectKnobs} */ (GUIDE) },
  'reference-2026-10': {
    knobs: { envelope: 'records', listAuth: 'bearer', callbackIdQuery: 'naive', successState: 'completed' },
    repeat: 1,
  },
  'swagger-2023': { knobs: { envelope: 'all', listAuth: 'basic', callbackIdQuery: 'naive', successState: 'succeeded' } },
};

const SPEC_KEYS = ['preset', 'dialect', 'name', ...KNOB_NAMES];

/** @param {unknown} name @returns {DialectName} */
function presetName(name) {
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(PRESETS, name)) {
    throw new TypeError(`dialect must be one of ${Object.keys(PRESETS).join(', ')}; got ${JSON.stringify(name)}`);
  }
  return /** @type {DialectName} */ (name);
}

/**
 * Resolves a preset name or an object of knobs (with an optional preset under `preset`, `dialect`
 * or `name`) against the current dialect: a preset starts from its knobs, an object without one
 * from `current`; the object's knobs then override. Bad names and values throw TypeError.
 * @param {DialectSpec} spec @param {Dialect} current
 * @returns {{ dialect: Dialect, repeat: number | undefined }} repeat: the preset's callback repeat count, if it sets one
 */
function resolveDialect(spec, current) {
  const obj = typeof spec === 'string' ? { preset: spec } : spec;
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new TypeError('dialect must be a preset name or an object of knobs');
  const unknown = Object.keys(obj).filter((k) => !SPEC_KEYS.includes(k));
  if (unknown.length) throw new TypeError(`Unknown dialect knob '${unknown[0]}'; knobs are ${KNOB_NAMES.join(', ')}`);
  const given = [obj.preset, obj.dialect, obj.name].filter((n) => n !== undefined && n !== null && n !== 'custom');
  if (new Set(given).size > 1) throw new TypeError(`dialect names two presets: ${given.join(', ')}`);
  const name = given.length ? presetName(given[0]) : null;
  const preset = name ? PRESETS[name] : null;
  /** @type {DialectKnobs} */
  const knobs = { ...(preset ? preset.knobs : pickKnobs(current)) };
  for (const k of KNOB_NAMES) {
    const v = obj[k];
    if (v === undefined || v === null) continue;
    if (!KNOBS[k].includes(v)) throw new TypeError(`dialect ${k} must be one of ${KNOBS[k].join(', ')}; got ${JSON.stringify(v)}`);
    /** @type {Record<string, string>} */ (/** @type {unknown} */ (knobs))[k] = v;
  }
  const base = name || current.name;
  const named = base !== 'custom' && KNOB_NAMES.every((k) => knobs[k] === PRESETS[base].knobs[k]);
  return { dialect: { name: named ? base : 'custom', ...knobs }, repeat: preset ? preset.repeat : undefined };
}

/** @param {DialectKnobs} d @returns {DialectKnobs} */
function pickKnobs(d) {
  return { envelope: d.envelope, listAuth: d.listAuth, callbackIdQuery: d.callbackIdQuery, successState: d.successState };
}

/** @type {Dialect} */
const DEFAULT_DIALECT = { name: 'guide', ...PRESETS.guide.knobs };

/**
 * The dialect a simulator starts with: `options.dialect` (a preset or knobs) over the guide's,
 * then any knob given at the top level of the options.
 * @param {import('./index').SimulatorOptions} options
 */
function startDialect(options) {
  const first = options.dialect === undefined ? { dialect: DEFAULT_DIALECT, repeat: undefined } : resolveDialect(options.dialect, DEFAULT_DIALECT);
  /** @type {Partial<DialectKnobs>} */
  const top = {};
  for (const k of KNOB_NAMES) if (options[k] !== undefined) /** @type {Record<string, unknown>} */ (top)[k] = options[k];
  return { dialect: resolveDialect(top, first.dialect).dialect, repeat: first.repeat };
}

// ----- what the knobs change -----

/**
 * The body of a route's 200 answer. Routes with a `kind` return their canonical payload (the
 * record, the page's records, the ids, the created object); `generate` answers are always
 * `{code, result}`, `record` ones when envelope is records or all, every kind when all. Unwrapped,
 * a route's `bare` gives today's form (e.g. `{total, instances}`, or a one-element list).
 * @param {Dialect} dialect @param {Route} route @param {unknown} out @param {RouteContext} ctx
 */
function answerBody(dialect, route, out, ctx) {
  if (!route.kind) return out;
  const wrap = route.kind === 'generate' || dialect.envelope === 'all' || (dialect.envelope === 'records' && route.kind === 'record');
  if (wrap) return { code: 200, result: out };
  return route.bare ? route.bare(out, ctx) : out;
}

const BEARER_ONLY = "This list is served to BHuman's app (bearer token), not to API keys";

/**
 * Whether the dialect refuses this (already authenticated) Basic request: list routes under
 * listAuth bearer.
 * @param {Dialect} dialect @param {Route} route
 */
const refusesBasic = (dialect, route) => dialect.listAuth === 'bearer' && route.kind === 'list';

/**
 * Where a callback for generation `id` goes: callback_url as given, or with `id` appended to its
 * query naively (`?id=` even after an existing query, the 2023 Swagger's words taken literally)
 * or properly (`&` after an existing query, before any fragment).
 * @param {Dialect} dialect @param {string} url @param {string} id
 */
function callbackTarget(dialect, url, id) {
  const param = `id=${encodeURIComponent(id)}`;
  if (dialect.callbackIdQuery === 'naive') return `${url}?${param}`;
  if (dialect.callbackIdQuery !== 'proper') return url;
  const hash = url.indexOf('#');
  const [head, fragment] = hash >= 0 ? [url.slice(0, hash), url.slice(hash)] : [url, ''];
  const sep = !head.includes('?') ? '?' : /[?&]$/.test(head) ? '' : '&';
  return `${head}${sep}${param}${fragment}`;
}

/**
 * A status as the dialect shows it: the one internal success state, `succeeded`, may be called
 * `completed`; every other state is shown as is.
 * @param {string} status @param {Dialect['successState']} successState
 */
const shownStatus = (status, successState) => (status === 'succeeded' ? successState : status);

/** A status given to completeGeneration or the control route, as the internal state. */
const internalStatus = (/** @type {string} */ status) => (status === 'completed' ? 'succeeded' : status);

module.exports = {
  PRESETS,
  KNOBS,
  DEFAULT_DIALECT,
  BEARER_ONLY,
  resolveDialect,
  startDialect,
  answerBody,
  refusesBasic,
  callbackTarget,
  shownStatus,
  internalStatus,
};
