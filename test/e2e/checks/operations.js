'use strict';
// Every operation of the action node, each once in a real workflow execution (Webhook →
// BHuman, activated through the REST API), compared with what the simulator holds.

const { TYPES, rl, codeNode, operationWorkflow } = require('../lib/workflows');
const saveUrl = require('./saveUrl');
const { CheckError, expect, sameData, runWebhookWorkflow } = require('../lib/harness');

/** (resource, operation) pairs as n8n registered them. */
function operationsOf(nodeTypes) {
	const node = nodeTypes.find((n) => n.name === TYPES.action);
	if (!node) return [];
	const ops = [];
	for (const p of node.properties) {
		if (p.name !== 'operation' || !p.displayOptions?.show?.resource) continue;
		for (const resource of p.displayOptions.show.resource) {
			// n8n adds "Custom API Call" (an HTTP Request with this credential) to every resource.
			for (const o of p.options || []) if (o.value !== '__CUSTOM_API_CALL__') ops.push(`${resource}.${o.value}`);
		}
	}
	return [...new Set(ops)];
}

/**
 * One case per operation: parameters (and nodes before BHuman), then a comparison with the
 * simulator. `out` is the list of output items' json (the webhook answers with all entries).
 */
const CASES = {
	'workspace.getAll': {
		params: () => ({ resource: 'workspace', operation: 'getAll', returnAll: true }),
		verify: async ({ out, sim }) => sameData(out, (await sim.data()).workspaces, 'workspaces'),
	},
	'videoInstance.getAll': {
		// Return All over the 250 seeded instances: three pages of 100.
		params: () => ({ resource: 'videoInstance', operation: 'getAll', returnAll: true }),
		verify: async ({ out, sim }) => {
			const { videoInstances } = await sim.data();
			expect(out.length === videoInstances.length, `got ${out.length} video instances, the simulator has ${videoInstances.length}`);
			sameData(out, videoInstances, 'video instances');
			return `${out.length} instances (paged)`;
		},
	},
	'videoInstance.get': {
		params: ({ data }) => ({ resource: 'videoInstance', operation: 'get', videoInstanceId: rl(data.videoInstances[3].id) }),
		verify: async ({ out, data }) => sameData(out, [data.videoInstances[3]], 'video instance'),
	},
	'video.getAll': {
		params: ({ fixtures }) => ({ resource: 'video', operation: 'getAll', videoInstanceId: rl(fixtures.instanceWithVideos), returnAll: true }),
		verify: async ({ out, sim, fixtures }) => {
			const raw = await sim.api(`/api/ai_studio/generated_video_by_video_instance_id?video_instance_id=${fixtures.instanceWithVideos}&page=0&size=100`);
			sameData(out.map((v) => v.id), raw.map((v) => v.id), 'generated video ids');
			out.forEach((v, i) => {
				// A fixture video may finish rendering between the workflow's read and this one (seen
				// in CI): a render that moved on is not a difference, anything else is.
				if (['queued', 'processing'].includes(v.status) && v.status !== raw[i].status && v.mp4Url === null) return;
				expect(v.status === raw[i].status, `video ${v.id}: status ${v.status}, simulator ${raw[i].status}`);
				expect(v.mp4Url === (raw[i].url || null), `video ${v.id}: mp4Url ${v.mp4Url}, simulator url ${raw[i].url}`);
			});
			return `${out.length} videos`;
		},
	},
	'video.get': {
		params: ({ fixtures }) => ({ resource: 'video', operation: 'get', generationId: fixtures.generationId }),
		verify: async ({ out, sim, fixtures }) => {
			const raw = await sim.api(`/api/ai_studio/generated_video_by_id?id=${fixtures.generationId}`);
			expect(out.length === 1, `got ${out.length} items`);
			for (const k of Object.keys(raw)) sameData(out[0][k], raw[k], `field ${k}`);
			expect(out[0].mp4Url === (raw.url || null) && out[0].status === raw.status, 'normalized fields differ from the record');
		},
	},
	'video.generate': {
		prefix: () => [codeNode([{ name: 'Ann', company: 'Acme' }, { name: 'Bo', company: 'Globex' }])],
		params: ({ data }) => ({
			resource: 'video',
			operation: 'generate',
			videoInstanceId: rl(data.videoInstances[0].id),
			inputMode: 'mapping',
			variables: { variable: [{ name: 'name', value: '={{ $json.name }}' }, { name: 'company', value: '={{ $json.company }}' }] },
		}),
		verify: async ({ out, sim, data }) => {
			expect(out.length === 2, `got ${out.length} items for 2 rows`);
			const rows = [['Ann', 'Acme'], ['Bo', 'Globex']];
			for (const [i, item] of out.entries()) {
				expect(typeof item.id === 'string', `item ${i} has no generation id`, JSON.stringify(item));
				const rec = await sim.api(`/api/ai_studio/generated_video_by_id?id=${item.id}`);
				expect(rec.video_instance_id === data.videoInstances[0].id, `generation ${item.id} is for instance ${rec.video_instance_id}`);
				sameData(rec.text, rows[i], `generation ${item.id}'s row`);
			}
			return `ids ${out.map((o) => o.id.slice(0, 8)).join(', ')}`;
		},
	},
	'campaign.getAll': {
		params: () => ({ resource: 'campaign', operation: 'getAll', returnAll: true }),
		verify: async ({ out, sim }) => sameData(out, (await sim.data()).campaigns, 'campaigns'),
	},
	'campaign.get': {
		params: ({ data }) => ({ resource: 'campaign', operation: 'get', campaignId: rl(data.campaigns[1].id) }),
		verify: async ({ out, data }) => sameData(out, [data.campaigns[1]], 'campaign'),
	},
	'campaign.getGeneratedVideos': {
		params: ({ data }) => ({ resource: 'campaign', operation: 'getGeneratedVideos', campaignId: rl(data.campaigns[0].id), returnAll: true }),
		verify: async ({ out, sim, data }) => {
			const raw = await sim.api(`/api/ai_studio/generated_video_by_campaign_id?campaign_id=${data.campaigns[0].id}&page=0&size=100`);
			sameData(out.map((v) => v.id), raw.map((v) => v.id), 'campaign video ids');
			return `${out.length} videos`;
		},
	},
	'campaign.generate': {
		params: ({ data }) => ({
			resource: 'campaign',
			operation: 'generate',
			campaignId: rl(data.campaigns[0].id),
			inputMode: 'json',
			variablesJson: JSON.stringify(data.campaigns[0].variables),
			namesJson: JSON.stringify([data.campaigns[0].variables.map((v, i) => `r0-${v}-${i}`), data.campaigns[0].variables.map((v, i) => `r1-${v}-${i}`)]),
		}),
		verify: async ({ out, sim, data }) => {
			expect(out.length === 2, `got ${out.length} items for 2 rows`);
			for (const item of out) {
				const rec = await sim.api(`/api/ai_studio/generated_video_by_id?id=${item.id}`);
				expect(rec.campaign_id === data.campaigns[0].id, `generation ${item.id} has campaign ${rec.campaign_id}`);
			}
		},
	},
	'product.getAll': {
		params: () => ({ resource: 'product', operation: 'getAll', returnAll: true }),
		verify: async ({ out, sim }) => sameData(out, (await sim.data()).products, 'products'),
	},
	'product.use': {
		params: ({ data }) => ({
			resource: 'product',
			operation: 'use',
			productId: rl(data.products[0].id),
			workspaceId: rl(data.workspaces[0].workspace_id),
		}),
		verify: async ({ out, sim, data }) => {
			expect(out.length === 1 && out[0].video_instance_id, 'no video_instance_id in the output', JSON.stringify(out).slice(0, 300));
			const now = await sim.data();
			const inst = now.videoInstances.find((v) => v.id === out[0].video_instance_id);
			expect(inst, `the simulator has no video instance ${out[0].video_instance_id}`);
			expect(inst.product_id === data.products[0].id, `instance ${inst.id} has product ${inst.product_id}`);
			expect(now.folders.some((f) => f.id === out[0].folder_id), `the simulator has no folder ${out[0].folder_id}`);
		},
	},
	'speakeasyProject.getAll': {
		params: () => ({ resource: 'speakeasyProject', operation: 'getAll', returnAll: true }),
		verify: async ({ out, sim }) => sameData(out, (await sim.data()).speakeasyProjects, 'speakeasy projects'),
	},
	'speakeasyProject.import': {
		params: ({ data }) => ({
			resource: 'speakeasyProject',
			operation: 'import',
			projectId: rl(data.speakeasyProjects[0].id),
			options: { workspaceId: rl(data.workspaces[1].workspace_id) },
		}),
		verify: async ({ out, sim, data }) => {
			expect(out.length === 1 && out[0].project_id === data.speakeasyProjects[0].id, 'not one item with the project id', JSON.stringify(out).slice(0, 300));
			expect(out[0].workspace_id === data.workspaces[1].workspace_id, `imported into workspace ${out[0].workspace_id}`);
			const now = await sim.data();
			expect(now.videoInstances.some((v) => v.id === out[0].video_instance_id), `the simulator has no video instance ${out[0].video_instance_id}`);
			const posts = await sim.control('GET', '/__sim/requests?method=POST&path=/api/ai_studio/speakeasy_projects/import');
			sameData(posts.at(-1).body, { project_id: data.speakeasyProjects[0].id, workspace_id: data.workspaces[1].workspace_id }, 'import body');
		},
	},
	'savedWebhook.getAll': {
		params: () => ({ resource: 'savedWebhook', operation: 'getAll', returnAll: true }),
		verify: async ({ out, sim }) => sameData(out, (await sim.data()).savedWebhooks, 'saved webhooks'),
	},
	'savedWebhook.create': {
		params: () => ({ resource: 'savedWebhook', operation: 'create', name: 'e2e webhook', webhookUrl: 'https://hooks.example.com/e2e?x=1' }),
		verify: async ({ out, sim }) => {
			expect(out.length === 1 && out[0].webhook === 'https://hooks.example.com/e2e?x=1' && out[0].name === 'e2e webhook', 'not the created webhook', JSON.stringify(out));
			const saved = (await sim.data()).savedWebhooks;
			expect(saved.some((w) => w.id === out[0].id), `the simulator has no saved webhook ${out[0].id}`);
		},
	},
	'store.getSettings': {
		params: () => ({ resource: 'store', operation: 'getSettings' }),
		verify: async ({ out, data }) => sameData(out, [{ category: data.categories, tags: data.tags }], 'store settings'),
	},
};

module.exports = async function operations(ctx, check) {
	const { client, sim } = ctx;
	const ops = operationsOf(ctx.nodeTypes || []);
	if (!ops.length) {
		ctx.suite.fail(ctx.label, 'action node operations', new CheckError('n8n has no BHuman action node: no operation can run'));
		return;
	}
	const data = await sim.data();
	// Fixtures: an instance with seeded generated videos, and one of those generations.
	let instanceWithVideos;
	let generationId;
	for (const v of data.videoInstances.slice(0, 30)) {
		const list = await sim.api(`/api/ai_studio/generated_video_by_video_instance_id?video_instance_id=${v.id}&page=0&size=100`);
		if (list.length) {
			instanceWithVideos = v.id;
			generationId = list[0].id;
			break;
		}
	}
	const fixtures = { instanceWithVideos, generationId };
	// These change the simulator's data: run them last.
	const writes = ['product.use', 'speakeasyProject.import', 'savedWebhook.create'];
	const ordered = [...ops.filter((o) => !writes.includes(o)), ...ops.filter((o) => writes.includes(o))];
	for (const op of ordered) {
		const c = CASES[op];
		if (!c) {
			ctx.suite.fail(ctx.label, `operation ${op}`, new CheckError(`the node has operation ${op} but the e2e suite has no case for it: add one to test/e2e/checks/operations.js`));
			continue;
		}
		await check(`operation ${op} in a workflow matches the simulator`, async () => {
			const wf = operationWorkflow(`e2e ${op}`, c.params({ data, fixtures }), ctx.credential, { prefix: c.prefix ? c.prefix() : [] });
			const { output } = await runWebhookWorkflow(client, wf);
			const out = Array.isArray(output) ? output : [output];
			return c.verify({ out, sim, data, fixtures });
		});
	}
	for (const op of Object.keys(CASES)) {
		if (!ops.includes(op)) ctx.suite.skip(ctx.label, `operation ${op}`, 'the node registered in n8n has no such operation (yet)');
	}
	if ((ctx.nodeTypes || []).some((n) => n.name === TYPES.trigger)) await saveUrl(ctx, check);
};

module.exports.operationsOf = operationsOf;
