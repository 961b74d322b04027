import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { returnAllOrLimit } from '../common.descriptions';
import { forEachItem, getLimit } from '../../helpers/utils';
import { bhumanApiList } from '../../transport';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['product'], operation: ['getAll'] } },
	returnAllOrLimit,
);

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]) {
	return await forEachItem.call(this, items, async (itemIndex) => {
		// The store's product list is not paged by BHuman: Limit is applied here.
		const limit = getLimit.call(this, itemIndex);
		const { records: products } = await bhumanApiList.call(this, '/api/store/product', {
			itemIndex,
		});
		return limit === undefined ? products : products.slice(0, limit);
	});
}
