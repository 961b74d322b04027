/**
 * The example workflows of examples/ through the fixture harness (test/helpers/engine.ts), against
 * the seeded simulator. Only sheet-to-videos runs here: its other nodes are a Manual Trigger and two
 * Code nodes, played by stand-ins below. crm-video-loop (Webhook, Filter, Send Email) and
 * ai-agent-bhuman-tool (LangChain agent and model) need n8n-nodes-base and n8n's AI nodes, which
 * are not dependencies: `npm run test:e2e` imports and runs all three in a real n8n.
 */
import { evaluate, fromRoot, path } from '../host';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType } from 'n8n-workflow';
import { nodeOutputs, readWorkflowFixture, registerNodeType, runWorkflow } from '../helpers/engine';
import { withSimulator } from '../helpers/sim';

/**
 * Stand-in for n8n-nodes-base.code: runs the node's JavaScript with n8n's own workflow data proxy
 * ($, $json, $input), in both modes, though not in n8n's sandbox or task runner.
 */
class CodeStandIn implements INodeType {
	description = {
		displayName: 'Code (stand-in)',
		name: 'code',
		group: ['transform'],
		version: [1, 2],
		description: 'Runs JavaScript',
		defaults: { name: 'Code' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [
			{ displayName: 'Mode', name: 'mode', type: 'string', default: 'runOnceForAllItems' },
			{ displayName: 'JavaScript', name: 'jsCode', type: 'string', default: '' },
		],
	} as unknown as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const names = ['$', '$json', '$input'];
		const run = (itemIndex: number) => {
			const proxy = this.getWorkflowDataProxy(itemIndex) as unknown as IDataObject;
			const code = this.getNodeParameter('jsCode', itemIndex) as string;
			return evaluate(names, code, names.map((name) => proxy[name]));
		};
		if (this.getNodeParameter('mode', 0) !== 'runOnceForEachItem') return [run(0) as INodeExecutionData[]];
		return [this.getInputData().map((_, item) => ({ ...(run(item) as INodeExecutionData), pairedItem: { item } }))];
	}
}

/** Sticky notes are never run; n8n only needs their type to be known. */
const stickyNote = {
	description: {
		displayName: 'Sticky Note',
		name: 'stickyNote',
		group: ['input'],
		version: 1,
		properties: [],
	},
} as unknown as INodeType;

registerNodeType('n8n-nodes-base.code', new CodeStandIn());
registerNodeType('n8n-nodes-base.stickyNote', stickyNote);

const h = withSimulator();
const examples = fromRoot('examples');

describe('examples/sheet-to-videos.json', () => {
	test('each sheet row comes out with its own succeeded video, in order', async () => {
		const workflow = readWorkflowFixture(path.join(examples, 'sheet-to-videos.json'));
		const run = await runWorkflow(workflow, h.credentials);
		expect(run.data.resultData.error?.message).toBeUndefined();

		const rows = [
			{ row_number: 2, first_name: 'Don', company: 'Apple', email: 'don@example.com' },
			{ row_number: 3, first_name: 'James', company: 'Google', email: 'james@example.com' },
			{ row_number: 4, first_name: 'Priya', company: 'Initech', email: 'priya@example.com' },
		];
		// One render request with the mapped rows, for the example's video instance.
		const posts = h.sim.requests.filter((request) => request.method === 'POST');
		expect(posts.map((request) => [request.path, request.body])).toEqual([
			[
				'/api/ai_studio/try_sample',
				expect.objectContaining({
					video_instance_id: 'd0e37669-0128-41f0-8290-c2d886e26b47',
					variables: ['name', 'company'],
					names: rows.map((row) => [row.first_name, row.company]),
				}),
			],
		]);
		const ids = [...h.sim.generations.values()].filter((generation) => !generation.seeded);
		expect(ids.map((generation) => generation.text)).toEqual(
			rows.map((row) => [row.first_name, row.company]),
		);

		const output = nodeOutputs(run)['Rows with video links (demo)'].map(({ json }) => json);
		expect(output).toEqual(
			rows.map((row, index) => ({
				...row,
				video_status: 'succeeded',
				video_page_url: `${h.sim.url}/share/${ids[index].id}`,
				video_mp4_url: `${h.sim.url}/media/${ids[index].id}.mp4`,
				video_id: ids[index].id,
			})),
		);
	});
});
