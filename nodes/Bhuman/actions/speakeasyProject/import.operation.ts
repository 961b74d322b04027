import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { speakeasyProjectLocator, workspaceLocator } from '../common.descriptions';
import { getIdParameter, getOptionalIdParameter } from '../../helpers/ids';
import { forEachItem, prepareEach, refuseRetryOnFail } from '../../helpers/utils';
import { bhumanApiRecords } from '../../transport';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['speakeasyProject'], operation: ['import'] } },
	[
		speakeasyProjectLocator,
		{
			displayName: 'Options',
			name: 'options',
			type: 'collection',
			placeholder: 'Add Option',
			default: {},
			options: [
				{
					...workspaceLocator,
					required: false,
					description: "Workspace to import into (BHuman's default when not set)",
				},
			],
		},
	],
);

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]) {
	// Import creates content in the user's account: never sent twice, by us or by n8n.
	refuseRetryOnFail.call(this, 'Speakeasy Project → Import', 'import projects');
	const bodies = prepareEach.call(this, items, (itemIndex) => {
		const body: IDataObject = {
			project_id: getIdParameter.call(this, speakeasyProjectLocator, itemIndex),
		};
		const workspaceId = getOptionalIdParameter.call(this, workspaceLocator, itemIndex, 'options');
		if (workspaceId) body.workspace_id = workspaceId;
		return body;
	});
	return await forEachItem.call(this, items, async (itemIndex) => {
		const body = bodies[itemIndex]();
		return await bhumanApiRecords.call(this, 'POST', '/api/ai_studio/speakeasy_projects/import', {
			body,
			itemIndex,
			notFound: `Speakeasy project ${body.project_id as string}${body.workspace_id ? ` or workspace ${body.workspace_id as string}` : ''}`,
		});
	});
}
