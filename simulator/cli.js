#!/usr/bin/env node
'use strict';
// Command line entry: `node simulator/cli.js --port 4010`. Prints the listening line and the
// credentials, optionally writes SIM_READY_FILE so scripts can wait for readiness.

const fs = require('node:fs');
const path = require('node:path');
const { startSimulator } = require('./index');
const { resolveDialect, DEFAULT_DIALECT } = require('./dialects');

/** The dialect knobs' flags. */
const DIALECT_FLAGS = { envelope: 'envelope', 'list-auth': 'listAuth', 'callback-id-query': 'callbackIdQuery', 'success-state': 'successState' };

const HELP = `Usage: node simulator/cli.js [options]
  --port <n>             port on 127.0.0.1 (default 4010, 0 = any free port)
  --key-id <s>           API key id accepted (default sim-key-id)
  --key-secret <s>       API key secret accepted (default sim-key-secret)
  --latency <ms>         delay added to every API request (default 0)
  --instances <n>        number of seeded video instances (default 250)
  --render-ms <ms>       total render time per generated row (default 1000; 20% queued)
  --seed <n>             data seed (default 1)
  --callback-repeat <n>  send each callback n times (default 1)
  --callback-delay <ms>  wait before sending callbacks (default 0)
  --whatsapp-delay <ms>  delay of the whatsapp.ready callback (default 300)
  --reorder              shuffle callbacks of rows that finish together
  --dialect <name>       answer as a public source does: guide (default), reference-2026-07,
                         reference-2026-10, swagger-2023 (sets the four knobs below)
  --envelope <v>         none | records | all: {code, result} around single records, or every answer
  --list-auth <v>        basic | bearer: list routes refuse the API key (401)
  --callback-id-query <v>  none | naive | proper: append ?id=<generation id> to callback URLs
  --success-state <v>    succeeded | completed: what a finished render's status is called
  --quiet                do not log each request
Env SIM_READY_FILE=<file>: write {url, port, keyId, keySecret} there once listening.`;

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') out.help = true;
    else if (a === '--reorder' || a === '--quiet') out[a.slice(2)] = true;
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const [k, v] = eq > 0 ? [a.slice(2, eq), a.slice(eq + 1)] : [a.slice(2), argv[++i]];
      if (v === undefined) throw new Error(`Missing value for --${k}`);
      out[k] = v;
    } else throw new Error(`Unexpected argument ${a}`);
  }
  return out;
}

function num(v, name) {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${v}`);
  return n;
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err.message}\n${HELP}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(HELP + '\n');
    return;
  }
  const known = ['port', 'key-id', 'key-secret', 'latency', 'instances', 'render-ms', 'seed', 'callback-repeat', 'callback-delay', 'whatsapp-delay', 'reorder', 'quiet', 'dialect', ...Object.keys(DIALECT_FLAGS)];
  const unknown = Object.keys(args).filter((k) => !known.includes(k));
  if (unknown.length) {
    process.stderr.write(`Unknown option --${unknown[0]}\n${HELP}\n`);
    process.exit(2);
  }
  const options = { port: 4010, quiet: Boolean(args.quiet), callbacks: {}, sizes: {} };
  try {
    if (args.port !== undefined) options.port = num(args.port, 'port');
    if (args['key-id'] !== undefined) options.keyId = args['key-id'];
    if (args['key-secret'] !== undefined) options.keySecret = args['key-secret'];
    if (args.latency !== undefined) options.latencyMs = num(args.latency, 'latency');
    if (args.instances !== undefined) options.sizes.videoInstances = num(args.instances, 'instances');
    if (args.seed !== undefined) options.seed = num(args.seed, 'seed');
    if (args['render-ms'] !== undefined) {
      const total = num(args['render-ms'], 'render-ms');
      options.render = { queuedMs: Math.round(total * 0.2), processingMs: total - Math.round(total * 0.2) };
    }
    if (args['callback-repeat'] !== undefined) options.callbacks.repeat = num(args['callback-repeat'], 'callback-repeat');
    if (args['callback-delay'] !== undefined) options.callbacks.delayMs = num(args['callback-delay'], 'callback-delay');
    if (args['whatsapp-delay'] !== undefined) options.callbacks.whatsappDelayMs = num(args['whatsapp-delay'], 'whatsapp-delay');
    if (args.reorder) options.callbacks.reorder = true;
    const dialect = { preset: args.dialect };
    for (const [flag, knob] of Object.entries(DIALECT_FLAGS)) if (args[flag] !== undefined) dialect[knob] = args[flag];
    resolveDialect(dialect, DEFAULT_DIALECT); // bad names and values: a usage error, before starting
    options.dialect = dialect;
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }

  let sim;
  try {
    sim = await startSimulator(options);
  } catch (err) {
    process.stderr.write(`BHuman simulator failed to start: ${err.message}\n`);
    process.exit(1);
  }

  // stdout to a pipe or file is synchronous on Linux, so these lines are flushed on return.
  process.stdout.write(
    `BHuman simulator listening on ${sim.url}\n` +
      `  API key id:     ${sim.keyId}\n` +
      `  API key secret: ${sim.keySecret}\n` +
      `  Base URL:       ${sim.url}\n` +
      `  Control:        ${sim.url}/__sim/state\n` +
      `  Dialect:        ${sim.dialect.name} (envelope ${sim.dialect.envelope}, list auth ${sim.dialect.listAuth}, ` +
      `callback id query ${sim.dialect.callbackIdQuery}, success state ${sim.dialect.successState})\n`,
  );

  const readyFile = process.env.SIM_READY_FILE;
  if (readyFile) {
    // Write-then-rename so a watcher never reads half a file.
    const tmp = path.join(path.dirname(readyFile), `.${path.basename(readyFile)}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, JSON.stringify({ url: sim.url, port: sim.port, keyId: sim.keyId, keySecret: sim.keySecret }));
    fs.renameSync(tmp, readyFile);
  }

  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    await sim.close();
    if (readyFile) fs.rmSync(readyFile, { force: true }); // a stale file would point at a dead port
    process.stdout.write(`BHuman simulator stopped (${signal})\n`);
    process.exit(0);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main();
