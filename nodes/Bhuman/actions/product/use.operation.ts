import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';
import {
	folderLocator,
	productLocator,
	videoInstanceLocator,
	workspaceLocator,
} from '../common.descriptions';
import { getIdParameter, getOptionalIdParameter, itemLabel } from '../../helpers/ids';
import { forEachItem } from '../../helpers/utils';
import { bhumanApiRecords } from '../../transport';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['product'], operation: ['use'] } },
	[
		productLocator,
		{ ...workspaceLocator, description: 'The workspace to add the product to' },
		{
			displayName:
				'Without a folder, BHuman creates a new folder and video instance. With a folder only, it creates a new video instance in it. An existing video instance needs its folder.',
			name: 'useNotice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'Options',
			name: 'options',
			type: 'collection',
			placeholder: 'Add Option',
			default: {},
			options: [
				{ ...folderLocator, description: 'Folder to put the video instance in' },
				{
					...videoInstanceLocator,
					required: false,
					description: 'Existing video instance to apply the product to (needs Folder)',
				},
			],
		},
	],
);

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]) {
	return await forEachItem.call(this, items, async (itemIndex) => {
		const body: IDataObject = {
			id: getIdParameter.call(this, productLocator, itemIndex),
			workspace_id: getIdParameter.call(this, workspaceLocator, itemIndex),
			folder_id: getOptionalIdParameter.call(this, folderLocator, itemIndex, 'options') ?? null,
			video_instance_id:
				getOptionalIdParameter.call(this, videoInstanceLocator, itemIndex, 'options') ?? null,
		};
		// The guide's rule, checked here so that no request is sent that BHuman would refuse.
		if (body.video_instance_id && !body.folder_id) {
			throw new NodeOperationError(
				this.getNode(),
				`Folder is required when Video Instance is set (${itemLabel(itemIndex)})`,
				{
					itemIndex,
					description:
						'Add the folder the video instance is in, or remove the video instance to create a new one.',
				},
			);
		}
		return await bhumanApiRecords.call(this, 'POST', '/api/store/product/use', {
			body,
			itemIndex,
			// BHuman's message (in the description) says which of them it did not know.
			notFound: `One of ${Object.entries(body)
				.filter(([, value]) => value)
				.map(
					([field, value]) =>
						`${field === 'id' ? 'product' : field.replace(/_id$/, '').replace('_', ' ')} ${value as string}`,
				)
				.join(', ')}`,
		});
	});
}
