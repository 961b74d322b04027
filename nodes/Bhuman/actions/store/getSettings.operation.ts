import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { forEachItem } from '../../helpers/utils';
import { bhumanApiRequest } from '../../transport';

export const description: INodeProperties[] = [];

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]) {
	return await forEachItem.call(
		this,
		items,
		async (itemIndex) =>
			(await bhumanApiRequest.call(this, 'GET', '/api/store/settings', {
				itemIndex,
			})) as IDataObject,
	);
}
