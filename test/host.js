// @ts-check
'use strict';
/**
 * The test suite's access to the machine: Node's built-in modules, timers, the process, the
 * repository's files, dynamic evaluation and printing a measurement.
 *
 * Why this file exists: `npx n8n-node lint` (strict mode, the config n8n's template fixes)
 * lints every `**\/*.ts` of the repository with the rules for node code, which forbid exactly
 * what tests are for: serving HTTP (fake BHuman, fake n8n), reading fixtures, spawning the
 * simulator's CLI and `npm pack`, timers, `process`. Node code must never do these; a test must.
 * So the tests' TypeScript obeys every rule node code obeys, and what only a test may do is
 * here, in one JavaScript file that the rules for TypeScript do not reach (like the simulator
 * and the scripts, which are JavaScript too). It is type-checked (`// @ts-check`, by
 * `npm run typecheck` through test/tsconfig.json), so what the tests import from it keeps
 * Node's types.
 *
 * test/unit/host.test.ts keeps the line honest: no TypeScript file in test/ imports a Node
 * built-in except `node:crypto` (allowed in node code too), nodes/ and credentials/ never
 * import test/, and the package (`files: ["dist"]`) never ships this file.
 */
const asyncHooks = require('node:async_hooks');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const nodeProcess = require('node:process');
const querystring = require('node:querystring');
const timers = require('node:timers');
const v8 = require('node:v8');
const vm = require('node:vm');

/** @typedef {import('node:http').Server} Server */
/** @typedef {import('node:http').IncomingMessage} IncomingMessage */
/** @typedef {import('node:http').ServerResponse} ServerResponse */
/** @typedef {import('node:net').AddressInfo} AddressInfo */
/** @typedef {import('node:child_process').ChildProcess} ChildProcess */

/** The repository's root (this file is `test/host.js`). */
const repoRoot = path.resolve(__dirname, '..');

/** A path inside the repository, from its root: `fromRoot('test', 'workflows')`. */
function fromRoot(/** @type {string[]} */ ...segments) {
	return path.join(repoRoot, ...segments);
}

/**
 * Runs `code` as the body of a function whose parameters are `names`, with `values`: the stand-in
 * for n8n's Code node that examples.test.ts uses to run an example's JavaScript.
 * @param {string[]} names
 * @param {string} code
 * @param {unknown[]} values
 * @returns {unknown}
 */
function evaluate(names, code, values) {
	return new Function(...names, code)(...values);
}

/** Prints a test's measurement (kept in the output of `npm test` on purpose), as console.log. */
function report(/** @type {unknown[]} */ ...parts) {
	console.log(...parts);
}

module.exports = {
	asyncHooks,
	childProcess,
	fs,
	http,
	net,
	os,
	path,
	querystring,
	v8,
	vm,
	process: nodeProcess,
	setTimeout: timers.setTimeout,
	clearTimeout: timers.clearTimeout,
	setImmediate: timers.setImmediate,
	repoRoot,
	fromRoot,
	evaluate,
	report,
};
