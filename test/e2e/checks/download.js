'use strict';
// Generate with Wait for Completion and Download Video: the MP4 comes out as a binary in a
// real execution (its bytes answered by the workflow's webhook, compared with the file the
// simulator serves), a failed render comes out failed without a binary, and Video → Get
// downloads too.

const { codeNode, generateParams: baseParams, operationWorkflow } = require('../lib/workflows');
const { CheckError, expect, latestExecution, runWebhookWorkflow } = require('../lib/harness');
const { nodeOutput } = require('../../../scripts/lib/n8n');

function generateParams(data, extra = {}) {
	return baseParams(data, {
		waitForCompletion: true,
		pollInterval: 1, // the shortest the node accepts
		maxWait: 1,
		downloadVideo: true,
		binaryPropertyName: 'data',
		...extra,
	});
}

async function mp4Of(sim, url) {
	const res = await fetch(url);
	if (!res.ok) throw new CheckError(`the simulator does not serve ${url}: ${res.status}`);
	return Buffer.from(await res.arrayBuffer());
}

/**
 * The bytes a binary webhook answer carries. n8n 1.x answers a binary kept in memory (the
 * default binary mode) as JSON of the Buffer ({"type":"Buffer","data":[…]}) with the binary's
 * content type: an n8n quirk (res.json of a Buffer), decoded here.
 */
function answerBytes(body) {
	if (!Buffer.isBuffer(body)) return body;
	if (body.subarray(0, 16).toString('latin1') === '{"type":"Buffer"') {
		try {
			return Buffer.from(JSON.parse(body.toString('utf8')).data);
		} catch {}
	}
	return body;
}

function isMp4(buf) {
	return Buffer.isBuffer(buf) && buf.length > 12 && buf.subarray(4, 8).toString('latin1') === 'ftyp';
}

/**
 * `binaryMode` (checks/n8n3.js: n8n restarted with N8N_DEFAULT_BINARY_DATA_MODE=filesystem, n8n
 * 3.0's default): the checks' names say so, and each MP4 must be stored that way (the binary's
 * id names the mode, e.g. `filesystem-v2:…`; kept in memory, a binary has no id).
 */
module.exports = async function download(ctx, check, { binaryMode } = {}) {
	const { client, sim } = ctx;
	const data = await sim.data();
	let generated;
	const named = (name) => (binaryMode ? `${name} (N8N_DEFAULT_BINARY_DATA_MODE=${binaryMode})` : name);
	const stored = (bin, what) => {
		if (binaryMode) expect(String(bin.id || '').startsWith(binaryMode), `${what} is not stored in ${binaryMode} mode: id ${bin.id}`);
	};

	await check(named('wait for completion + Download Video: the MP4 binary in a real execution'), async () => {
		const wf = operationWorkflow('e2e generate wait download', generateParams(data), ctx.credential, {
			prefix: [codeNode([{ name: 'Cleo', company: 'Initech' }, { name: 'Dan', company: 'Hooli' }])],
			responseData: 'firstEntryBinary',
		});
		const { wf: saved, output: answer } = await runWebhookWorkflow(client, wf, { expectBinary: true });
		const output = answerBytes(answer);
		const ex = await latestExecution(client, saved.id);
		expect(ex.status === 'success', `execution ${ex.id} ended ${ex.status}`);
		const items = nodeOutput(ex, 'BHuman');
		expect(items && items.length === 2, `BHuman output ${items ? items.length : 'no'} items for 2 rows`);
		for (const it of items) {
			expect(it.json.status === 'succeeded', `generation ${it.json.id} ended ${it.json.status} (timedOut ${it.json.timedOut})`);
			const bin = it.binary && it.binary.data;
			expect(bin, `generation ${it.json.id} has no binary property "data"`, JSON.stringify(it.json).slice(0, 300));
			expect(bin.mimeType === 'video/mp4', `binary mimeType ${bin.mimeType}`);
			expect(bin.fileName === `${it.json.id}.mp4`, `binary fileName ${bin.fileName}`);
			stored(bin, `generation ${it.json.id}'s MP4`);
		}
		generated = items.map((it) => it.json);
		const expected = await mp4Of(sim, generated[0].mp4Url);
		expect(isMp4(output), 'the webhook did not answer with MP4 bytes', Buffer.isBuffer(output) ? output.subarray(0, 40).toString('hex') : JSON.stringify(output).slice(0, 200));
		expect(Buffer.compare(output, expected) === 0, `the MP4 n8n holds (${output.length} bytes) differs from the simulator's (${expected.length} bytes)`);
		return `${items.length} MP4s, ${output.length} bytes each${binaryMode ? `, stored as ${items[0].binary.data.id}` : ''}`;
	});

	await check(named('wait for completion: a failed render comes out failed, with its message and no binary'), async () => {
		const wf = operationWorkflow('e2e generate wait failed', generateParams(data), ctx.credential, {
			prefix: [codeNode([{ name: 'Eve', company: 'sim:fail' }])],
		});
		const { output } = await runWebhookWorkflow(client, wf);
		const out = Array.isArray(output) ? output : [output];
		expect(out.length === 1, `got ${out.length} items`);
		expect(out[0].status === 'failed', `status ${out[0].status}`, JSON.stringify(out[0]).slice(0, 300));
		expect(typeof out[0].message === 'string' && out[0].message.length > 0, 'no failure message');
		return out[0].message;
	});

	await check(named('operation video.get with Download Video: the MP4 binary'), async () => {
		if (!generated) throw new CheckError('needs the generation of the previous check');
		const wf = operationWorkflow(
			'e2e video get download',
			{ resource: 'video', operation: 'get', generationId: generated[1].id, downloadVideo: true, binaryPropertyName: 'video' },
			ctx.credential,
			{ responseData: 'firstEntryBinary' },
		);
		wf.workflow.nodes[0].parameters.responseBinaryPropertyName = 'video';
		const { wf: saved, output: answer } = await runWebhookWorkflow(client, wf, { expectBinary: true });
		const output = answerBytes(answer);
		const expected = await mp4Of(sim, generated[1].mp4Url);
		expect(isMp4(output) && Buffer.compare(output, expected) === 0, 'the MP4 differs from the simulator\'s');
		if (!binaryMode) return undefined;
		const [item] = nodeOutput(await latestExecution(client, saved.id), 'BHuman') || [];
		expect(item?.binary?.video, 'the execution shows no binary "video"');
		stored(item.binary.video, 'the MP4');
		return `${output.length} bytes, stored as ${item.binary.video.id}`;
	});
};
