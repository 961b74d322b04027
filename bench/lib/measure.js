'use strict';
// One measured run of a webhook-started workflow: simulator log cleared, n8n's memory
// sampled, the production webhook called (it answers once the last node is done), then the
// execution read back through n8n's REST API for its startedAt/stoppedAt and node times.

const { executionError, sleep } = require('../../scripts/lib/n8n');
const { startSampler } = require('./memory');

const FINISHED = (e) => e.status && !['new', 'running', 'waiting', 'unknown'].includes(e.status);

/** Creates and activates (publishes on 2.x) a workflow; returns it with its id. */
async function deploy(client, built) {
	const wf = await client.createWorkflow(built.workflow);
	await client.activateWorkflow(wf.id, wf.versionId);
	return { ...built, id: wf.id, seen: new Set() };
}

/** The newest finished execution of the workflow that was not read before. */
async function newExecution(client, deployed, { timeoutMs = 60000 } = {}) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const list = await client.listExecutions(deployed.id, { limit: 5 });
		const fresh = list.find((e) => !deployed.seen.has(String(e.id)));
		if (fresh && FINISHED(fresh)) {
			deployed.seen.add(String(fresh.id));
			return client.getExecution(fresh.id);
		}
		if (Date.now() > deadline) throw new Error(`no finished execution of workflow ${deployed.id} after ${timeoutMs / 1000} s`);
		await sleep(200);
	}
}

/** Per-node run time (ms) and output item count of an execution. */
function nodeTimes(ex) {
	const out = {};
	for (const [name, runs] of Object.entries(ex.data?.resultData?.runData || {})) {
		const r = runs[0] || {};
		out[name] = { ms: r.executionTime ?? null, items: r.data?.main?.[0]?.length ?? 0, error: r.error ? r.error.message : undefined };
	}
	return out;
}

/** Requests the simulator received (optionally of one method and path). */
async function simRequests(sim, { method, path } = {}) {
	const qs = new URLSearchParams();
	if (method) qs.set('method', method);
	if (path) qs.set('path', path);
	return sim.control('GET', `/__sim/requests?${qs}`);
}

/**
 * Runs a deployed webhook workflow once. Returns { wallMs, roundTripMs, nodes, memory,
 * requests (all API requests the simulator received), ok, error }.
 */
async function runWorkflow(env, deployed, { timeoutMs = 300000, resetSim = true } = {}) {
	const { client, sim } = env;
	if (resetSim) await sim.control('POST', '/__sim/reset');
	const sampler = startSampler(env.n8n.proc.pid);
	const t0 = Date.now();
	let res;
	let memory;
	try {
		res = await client.callWebhook(deployed.path, { body: {}, timeoutMs });
	} finally {
		memory = sampler.stop();
	}
	const roundTripMs = Date.now() - t0;
	const ex = await newExecution(client, deployed);
	const requests = await simRequests(sim);
	const result = {
		executionId: ex.id,
		status: ex.status,
		wallMs: Date.parse(ex.stoppedAt) - Date.parse(ex.startedAt),
		startedAt: Date.parse(ex.startedAt),
		stoppedAt: Date.parse(ex.stoppedAt),
		roundTripMs,
		nodes: nodeTimes(ex),
		memory,
		requests,
		ok: res.status === 200 && ex.status === 'success',
	};
	if (!result.ok) result.error = `webhook answered ${res.status}; execution ${ex.id} ${ex.status}: ${executionError(ex)}`;
	result.execution = ex;
	return result;
}

module.exports = { deploy, runWorkflow, newExecution, nodeTimes, simRequests, FINISHED };
