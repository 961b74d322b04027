'use strict';
// Generate under n8n's own node settings, in a real n8n: Retry On Fail is refused before any
// paid request (n8n would re-run the node and re-send accepted batches), and a 10,000-row run
// whose last batch fails with Continue On Fail is saved (its output was 784 MB before).

const { codeNode, generateParams, operationWorkflow } = require('../lib/workflows');
const { expect, latestExecution, runWebhookWorkflow } = require('../lib/harness');
const { executionError, nodeOutput } = require('../../../scripts/lib/n8n');

const POST_PATH = '/api/ai_studio/try_sample';

async function generatePosts(sim) {
	const log = await sim.control('GET', '/__sim/requests');
	return log.filter((r) => r.method === 'POST' && r.path === POST_PATH).length;
}

module.exports = async function generate(ctx, check) {
	const { client, sim } = ctx;
	const data = await sim.data();

	await check('Retry On Fail on Generate: refused before any request, even with batch 2 failing', async () => {
		const before = await generatePosts(sim);
		await sim.control('POST', '/__sim/faults', { method: 'POST', path: POST_PATH, status: 500, after: 1 });
		try {
			const { workflow, path } = operationWorkflow('e2e generate retry on fail', generateParams(data, { batchSize: 1 }), ctx.credential, {
				prefix: [codeNode([{ name: 'Ann', company: 'A' }, { name: 'Ben', company: 'B' }])],
			});
			Object.assign(workflow.nodes.find((n) => n.name === 'BHuman'), { retryOnFail: true, maxTries: 3, waitBetweenTries: 1000 });
			const wf = await client.createWorkflow(workflow);
			await client.activateWorkflow(wf.id, wf.versionId);
			const res = await client.callWebhook(path, { body: {} });
			const ex = await latestExecution(client, wf.id);
			const posts = (await generatePosts(sim)) - before;
			expect(posts === 0, `${posts} generate requests were sent`);
			expect(res.status !== 200 && ex && ex.status === 'error', `webhook ${res.status}, execution ${ex && ex.status}`);
			const error = executionError(ex);
			expect(/Retry On Fail/.test(error), 'the error does not name Retry On Fail', error.slice(0, 300));
			return `0 requests; ${error.slice(0, 120)}`;
		} finally {
			await sim.control('DELETE', '/__sim/faults');
		}
	});

	await check('10,000 rows, batch 5 of 5 fails, Continue On Fail: the execution is saved with 8,000 IDs and 2,000 short errors', async () => {
		await sim.control('POST', '/__sim/faults', { method: 'POST', path: POST_PATH, status: 500, after: 4 });
		try {
			const rows = codeNode('return Array.from({ length: 10000 }, (_, i) => ({ json: { name: `N${i}`, company: `C${i}` } }));');
			const { workflow, path } = operationWorkflow('e2e generate 10000 continue on fail', generateParams(data, { batchSize: 2000 }), ctx.credential, {
				prefix: [rows],
				responseData: 'firstEntryJson',
			});
			workflow.nodes.find((n) => n.name === 'BHuman').onError = 'continueRegularOutput';
			const { wf } = await runWebhookWorkflow(client, { workflow, path }, { timeoutMs: 120000 });
			const ex = await latestExecution(client, wf.id, { timeoutMs: 60000 });
			expect(ex && ex.status === 'success', `execution ${ex && ex.id} ended ${ex && ex.status}`, ex && executionError(ex));
			const items = nodeOutput(ex, 'BHuman');
			const ids = items.filter((it) => typeof it.json.id === 'string').length;
			const failed = items.filter((it) => it.json.error);
			expect(items.length === 10000 && ids === 8000 && failed.length === 2000, `${items.length} items, ${ids} with IDs, ${failed.length} errors`);
			const size = JSON.stringify(items).length;
			expect(size < 8e6, `the saved output is ${(size / 1e6).toFixed(1)} MB`);
			return `saved; BHuman output ${(size / 1e6).toFixed(2)} MB; failed item: ${JSON.stringify(failed[0].json).length} B`;
		} finally {
			await sim.control('DELETE', '/__sim/faults');
		}
	});
};
