// @ts-check
'use strict';
// Request validation shared by the route files: 422 = unparseable or mistyped, 400 = out of range
// or inconsistent (BHuman's split). Every failure is an ApiError the dispatcher turns into JSON.

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_ROWS = 2000;
const BACKGROUND_KINDS = ['link', 'site', 'linkedin'];
const BACKGROUND_MODES = ['circle', 'chroma', 'basic'];
const BACKGROUND_POSITIONS = ['center', 'bottom-right', 'top-right', 'bottom', 'bottom-left'];
/** A background colour: 3 or 6 hex digits, with or without a leading `#`. */
const HEX_COLOUR_RE = /^#?(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
const GENERATION_MODES = ['keep_original', 'full_script'];

/** An error answered as `{code, message}` with its status (and extra headers, e.g. allow). */
class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   * @param {Record<string, string>} [headers]
   */
  constructor(status, message, headers) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

/** @param {unknown} v */
const show = (v) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return `'${s && s.length > 80 ? s.slice(0, 77) + '...' : s}'`;
};

/**
 * @param {Record<string, string>} q @param {string} name
 * @param {{ required?: boolean, def?: number, min?: number, max?: number }} opts
 */
function intParam(q, name, { required = false, def, min, max }) {
  const v = q[name];
  if (v === undefined || v === '') {
    if (required) throw new ApiError(422, `Missing required query parameter '${name}'`);
    return /** @type {number} */ (def);
  }
  if (!/^-?\d+$/.test(v)) throw new ApiError(422, `Invalid integer for query parameter '${name}': ${show(v)}`);
  const n = Number(v);
  if (name === 'page' && n < 0) throw new ApiError(422, `Invalid value for query parameter 'page': ${show(v)} (must be a non-negative integer)`);
  if (min !== undefined && n < min) throw new ApiError(400, `${name} must be at least ${min}`);
  if (max !== undefined && n > max) throw new ApiError(400, `${name} must be at most ${max}`);
  return n;
}

/** @param {Record<string, string>} q @param {boolean} required */
function pageParams(q, required) {
  const page = intParam(q, 'page', { required, def: 0 });
  const size = intParam(q, 'size', { required, def: 100, min: 1, max: 100 });
  return { page, size, slice: /** @template T @param {T[]} arr */ (arr) => arr.slice(page * size, page * size + size) };
}

/**
 * @param {Record<string, string>} q @param {string} name
 * @template {boolean} R
 * @param {R} required
 * @returns {R extends true ? string : string | undefined} (typed by `required`, so routes need no checks)
 */
function uuidParam(q, name, required) {
  const v = q[name];
  if (v === undefined || v === '') {
    if (required) throw new ApiError(422, `Missing required query parameter '${name}'`);
    return /** @type {any} */ (undefined);
  }
  if (!UUID_RE.test(v)) throw new ApiError(422, `Invalid UUID for parameter '${name}': ${show(v)}`);
  return /** @type {any} */ (v.toLowerCase());
}

/** @param {Buffer} raw @returns {Record<string, any>} */
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

/**
 * @param {Record<string, any>} body @param {string} name
 * @template {boolean} R
 * @param {R} required
 * @returns {R extends true ? string : string | undefined} (typed by `required`, so routes need no checks)
 */
function uuidField(body, name, required) {
  const v = body[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw new ApiError(422, `Missing required field '${name}'`);
    return /** @type {any} */ (undefined);
  }
  if (typeof v !== 'string' || !UUID_RE.test(v)) throw new ApiError(422, `Invalid UUID for field '${name}': ${show(v)}`);
  return /** @type {any} */ (v.toLowerCase());
}

/**
 * @param {Record<string, any>} body @param {string} name
 * @template {boolean} R
 * @param {R} required
 * @returns {R extends true ? string[][] : string[][] | undefined} (typed by `required`, so routes need no checks)
 */
function stringMatrix(body, name, required) {
  const v = body[name];
  if (v === undefined || v === null) {
    if (required) throw new ApiError(422, `Missing required field '${name}'`);
    return /** @type {any} */ (undefined);
  }
  if (!Array.isArray(v)) throw new ApiError(422, `Field '${name}' must be an array of string arrays`);
  v.forEach((row, i) => {
    if (!Array.isArray(row)) throw new ApiError(422, `${name} row ${i} must be an array of strings`);
    row.forEach((cell, j) => {
      if (typeof cell !== 'string') throw new ApiError(422, `${name} row ${i} value ${j} must be a string, got ${show(cell)}`);
    });
  });
  return /** @type {any} */ (v);
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

/**
 * An absolute http(s) URL field; null when absent unless required.
 * @param {Record<string, any>} body @param {string} name @param {boolean} [required]
 * @returns {string | null}
 */
function urlField(body, name, required = false) {
  const v = body[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw new ApiError(422, `Missing required field '${name}'`);
    return null;
  }
  if (typeof v !== 'string') throw new ApiError(422, `Field '${name}' must be a string`);
  let u;
  try {
    u = new URL(v);
  } catch {
    u = null;
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) {
    throw new ApiError(422, `Invalid ${name} ${show(v)}: expected an absolute http(s) URL`);
  }
  return v;
}

/** @param {Record<string, any>} body */
const callbackField = (body) => urlField(body, 'callback_url');

/** A required non-empty string field (at most `max` characters). */
function stringField(/** @type {Record<string, any>} */ body, /** @type {string} */ name, max = 255) {
  const v = body[name];
  if (v === undefined || v === null || v === '') throw new ApiError(422, `Missing required field '${name}'`);
  if (typeof v !== 'string') throw new ApiError(422, `Field '${name}' must be a string`);
  if (v.length > max) throw new ApiError(400, `${name} must be at most ${max} characters`);
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
      if (c.color !== undefined && c.color !== null && (typeof c.color !== 'string' || !HEX_COLOUR_RE.test(c.color))) {
        throw new ApiError(422, `${at}.config.color must be a hex colour (3 or 6 hex digits, '#' optional); got ${show(c.color)}`);
      }
    }
  });
  return v;
}

/** Campaign generate's `generation_mode`: missing or "" means keep_original. */
function generationModeField(/** @type {Record<string, any>} */ body) {
  const v = body.generation_mode;
  if (v === undefined || v === null || v === '') return 'keep_original';
  if (!GENERATION_MODES.includes(v)) throw new ApiError(422, "Field 'generation_mode' must be keep_original or full_script");
  return /** @type {'keep_original' | 'full_script'} */ (v);
}

/** The control surface's lenient body: empty = {}, anything else must be JSON. */
function controlBody(/** @type {Buffer} */ raw) {
  if (!raw.length) return {};
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new ApiError(400, `Control body is not valid JSON: ${err.message}`);
  }
}

module.exports = {
  ApiError,
  UUID_RE,
  MAX_ROWS,
  show,
  intParam,
  pageParams,
  uuidParam,
  jsonBody,
  uuidField,
  stringMatrix,
  rowsFields,
  checkRows,
  callbackField,
  urlField,
  stringField,
  backgroundsField,
  generationModeField,
  controlBody,
};
