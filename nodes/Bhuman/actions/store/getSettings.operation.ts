import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { forEachItem } from '../../helpers/utils';
import { bhumanApiRecord } from '../../transport';

export const description: INodeProperties[] = [];

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]) {
	return await forEachItem.call(
		this,
		items,
		async (itemIndex) =>
			await bhumanApiRecord.call(this, 'GET', '/api/store/settings', { itemIndex }),
	);
}
