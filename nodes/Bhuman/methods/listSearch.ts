/** List searches behind the "From List" mode of the ID locators. */
import type {
	IDataObject,
	ILoadOptionsFunctions,
	INodeListSearchItems,
	INodeListSearchResult,
} from 'n8n-workflow';
import { bhumanApiList, bhumanApiRequestAllItems, PAGE_SIZE } from '../transport';

function matches(filter: string | undefined, ...fields: unknown[]) {
	if (!filter) return true;
	const needle = filter.toLowerCase();
	return fields.some((field) => typeof field === 'string' && field.toLowerCase().includes(needle));
}

/**
 * One page of a paged BHuman list, filtered by name or ID here (BHuman has no
 * search parameter). The page number travels as the pagination token.
 */
async function searchPaged(
	this: ILoadOptionsFunctions,
	path: string,
	toItem: (record: IDataObject) => INodeListSearchItems,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const page = paginationToken ? Number(paginationToken) : 0;
	const { records, total } = await bhumanApiList.call(this, path, {
		qs: { page, size: PAGE_SIZE },
	});
	const more =
		records.length === PAGE_SIZE && (total === undefined || (page + 1) * PAGE_SIZE < total);
	return {
		results: records.map(toItem).filter((item) => matches(filter, item.name, item.value)),
		paginationToken: more ? String(page + 1) : undefined,
	};
}

async function searchUnpaged(
	this: ILoadOptionsFunctions,
	path: string,
	toItem: (record: IDataObject) => INodeListSearchItems,
	filter?: string,
): Promise<INodeListSearchResult> {
	const { records } = await bhumanApiList.call(this, path);
	return { results: records.map(toItem).filter((item) => matches(filter, item.name, item.value)) };
}

export async function searchVideoInstances(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	return await searchPaged.call(
		this,
		'/api/ai_studio/video_instances',
		(instance) => ({
			name: String(instance.name ?? instance.id),
			value: String(instance.id),
			url: `https://app.bhuman.ai/instance/${String(instance.id)}`,
		}),
		filter,
		paginationToken,
	);
}

export async function searchCampaigns(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	return await searchPaged.call(
		this,
		'/api/ai_studio/campaigns',
		(campaign) => ({
			name: String(campaign.name ?? campaign.id),
			value: String(campaign.id),
			url: `https://app.bhuman.ai/campaign/generatedVideos/${String(campaign.id)}`,
		}),
		filter,
		paginationToken,
	);
}

export async function searchWorkspaces(
	this: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	return await searchUnpaged.call(
		this,
		'/api/workspace',
		(workspace) => ({
			name: `${String(workspace.name ?? workspace.workspace_id)}${workspace.role ? ` (${String(workspace.role)})` : ''}`,
			value: String(workspace.workspace_id),
		}),
		filter,
	);
}

export async function searchProducts(
	this: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	return await searchUnpaged.call(
		this,
		'/api/store/product',
		(product) => ({ name: String(product.name ?? product.id), value: String(product.id) }),
		filter,
	);
}

export async function searchSpeakeasyProjects(
	this: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	return await searchUnpaged.call(
		this,
		'/api/ai_studio/speakeasy_projects',
		(project) => ({ name: String(project.name ?? project.id), value: String(project.id) }),
		filter,
	);
}

/**
 * BHuman has no folder list endpoint; the folders that hold video instances
 * are the ones a user can pick, so they are gathered from all the instances.
 */
export async function searchFolders(
	this: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	const instances = await bhumanApiRequestAllItems.call(this, '/api/ai_studio/video_instances');
	const folders = new Map<string, string[]>();
	for (const instance of instances) {
		if (!instance.folder_id) continue;
		const id = String(instance.folder_id);
		const names = folders.get(id);
		if (names) names.push(String(instance.name ?? ''));
		else folders.set(id, [String(instance.name ?? '')]);
	}
	const results = [...folders].map(([id, names]) => ({
		name: `Folder of ${names.slice(0, 2).join(', ')}${names.length > 2 ? ` and ${names.length - 2} more` : ''}`,
		value: id,
	}));
	return { results: results.filter((item) => matches(filter, item.name, item.value)) };
}
