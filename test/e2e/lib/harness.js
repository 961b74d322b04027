'use strict';
// A small check runner: named checks per n8n line, each with a timeout; a failure keeps the
// check's name, the line, the message and, when a workflow ran, the execution's error. The
// report ends with the plain "e2e: N passed, N failed, N skipped" line.

const assert = require('node:assert');
const { executionError, sleep } = require('../../../scripts/lib/n8n');

class CheckError extends Error {
	constructor(message, { execution, details } = {}) {
		super(message);
		this.execution = execution;
		this.details = details;
	}
}

class SkipCheck extends Error {}

class Suite {
	constructor() {
		this.results = [];
	}

	/** Runs fn as the check `name` of `line`; never throws (failures are recorded). */
	async check(lineLabel, name, fn, { timeoutMs = 120000 } = {}) {
		const started = Date.now();
		let timer;
		try {
			const value = await Promise.race([
				fn(),
				new Promise((_, reject) => {
					timer = setTimeout(() => reject(new CheckError(`timed out after ${timeoutMs / 1000} s`)), timeoutMs);
				}),
			]);
			this._record(lineLabel, name, 'pass', started, null, value);
			return { ok: true, value };
		} catch (err) {
			if (err instanceof SkipCheck) {
				this._record(lineLabel, name, 'skip', started, err);
				return { ok: false, skipped: true };
			}
			this._record(lineLabel, name, 'fail', started, err);
			return { ok: false, error: err };
		} finally {
			clearTimeout(timer);
		}
	}

	skip(lineLabel, name, reason) {
		this._record(lineLabel, name, 'skip', Date.now(), new SkipCheck(reason));
	}

	fail(lineLabel, name, err) {
		this._record(lineLabel, name, 'fail', Date.now(), err);
	}

	/** After an interruption: checks that end now are neither printed nor reported. */
	silence() {
		this.silenced = true;
	}

	_record(line, name, status, started, err, value) {
		if (this.silenced) return;
		const r = { line, name, status, ms: Date.now() - started };
		if (err) {
			r.message = err.message;
			if (err.execution) r.execution = err.execution;
			if (err.details) r.details = err.details;
			if (status === 'fail' && !(err instanceof CheckError) && !(err instanceof assert.AssertionError) && err.stack) {
				r.stack = err.stack.split('\n').slice(1, 4).join('\n');
			}
		}
		if (typeof value === 'string') r.note = value;
		this.results.push(r);
		const mark = { pass: 'ok  ', fail: 'FAIL', skip: 'skip' }[status];
		const extra = status === 'pass' ? (r.note ? ` — ${r.note}` : '') : ` — ${r.message}`;
		console.log(`  ${mark} [${line}] ${name} (${(r.ms / 1000).toFixed(1)} s)${extra}`);
		if (status === 'fail' && r.execution) console.log(`       execution: ${r.execution}`);
	}

	counts() {
		const c = { pass: 0, fail: 0, skip: 0 };
		for (const r of this.results) c[r.status]++;
		return c;
	}

	report() {
		const c = this.counts();
		if (this.silenced) return c;
		const lines = [''];
		lines.push('='.repeat(72));
		lines.push('BHuman nodes in a real n8n: end-to-end report');
		const byLine = new Map();
		for (const r of this.results) {
			if (!byLine.has(r.line)) byLine.set(r.line, []);
			byLine.get(r.line).push(r);
		}
		for (const [line, list] of byLine) {
			const p = list.filter((r) => r.status === 'pass').length;
			const f = list.filter((r) => r.status === 'fail').length;
			const s = list.filter((r) => r.status === 'skip').length;
			lines.push(`  ${line}: ${p} passed, ${f} failed, ${s} skipped`);
		}
		const failed = this.results.filter((r) => r.status === 'fail');
		if (failed.length) {
			lines.push('');
			lines.push('Failed checks:');
			for (const r of failed) {
				lines.push(`  ✗ [${r.line}] ${r.name}`);
				lines.push(`      ${r.message.split('\n').join('\n      ')}`);
				if (r.execution) lines.push(`      execution's error: ${r.execution}`);
				if (r.details) lines.push(`      ${String(r.details).split('\n').join('\n      ')}`);
				if (r.stack) lines.push(`      ${r.stack.split('\n').join('\n      ')}`);
			}
		}
		const skipped = this.results.filter((r) => r.status === 'skip');
		if (skipped.length) {
			lines.push('');
			lines.push('Skipped checks:');
			for (const r of skipped) lines.push(`  - [${r.line}] ${r.name}: ${r.message}`);
		}
		lines.push('='.repeat(72));
		lines.push(`e2e: ${c.pass} passed, ${c.fail} failed, ${c.skip} skipped`);
		console.log(lines.join('\n'));
		return c;
	}
}

/** Deep equality with a short, readable difference. */
function sameData(actual, expected, what) {
	try {
		assert.deepStrictEqual(JSON.parse(JSON.stringify(actual)), JSON.parse(JSON.stringify(expected)));
	} catch {
		const a = JSON.stringify(actual);
		const b = JSON.stringify(expected);
		let i = 0;
		while (i < a.length && i < b.length && a[i] === b[i]) i++;
		throw new CheckError(`${what}: n8n's output differs from the simulator's data`, {
			details: `first difference at character ${i}:\n  n8n:       …${a.slice(Math.max(0, i - 60), i + 100)}\n  simulator: …${b.slice(Math.max(0, i - 60), i + 100)}`,
		});
	}
}

function expect(cond, message, details) {
	if (!cond) throw new CheckError(message, { details });
}

/** The newest finished execution of a workflow (waits for it to be saved). */
async function latestExecution(client, workflowId, { timeoutMs = 15000, count = 1 } = {}) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const list = await client.listExecutions(workflowId);
		const done = list.filter((e) => e.status && !['new', 'running', 'waiting'].includes(e.status));
		if (done.length >= count) return client.getExecution(done[0].id);
		if (Date.now() > deadline) return list[0] ? client.getExecution(list[0].id) : null;
		await sleep(300);
	}
}

/**
 * Creates the workflow, activates/publishes it, calls its webhook and returns the response.
 * A non-200 answer fails with the execution's error.
 */
async function runWebhookWorkflow(client, { workflow, path }, { body = {}, expectBinary = false, timeoutMs } = {}) {
	const wf = await client.createWorkflow(workflow);
	await client.activateWorkflow(wf.id, wf.versionId);
	const res = await client.callWebhook(path, { body, timeoutMs });
	if (res.status !== 200) {
		const ex = await latestExecution(client, wf.id);
		const answer = Buffer.isBuffer(res.body) ? res.body.toString('utf8').slice(0, 300) : JSON.stringify(res.body).slice(0, 300);
		throw new CheckError(`the workflow's webhook answered ${res.status}: ${answer}`, {
			execution: ex ? executionError(ex) : 'no execution was saved',
		});
	}
	if (!expectBinary && Buffer.isBuffer(res.body)) {
		throw new CheckError(`the workflow's webhook answered non-JSON: ${res.body.toString('utf8').slice(0, 200)}`);
	}
	return { wf, res, output: res.body };
}

module.exports = { Suite, CheckError, SkipCheck, sameData, expect, latestExecution, runWebhookWorkflow };
