import type { AllEntities } from 'n8n-workflow';

/**
 * Every resource and its operation values, as the description offers them (test/unit/router.test.ts
 * checks they agree). The values are what saved workflows hold: never rename one.
 */
export const nodeMap = {
	campaign: ['generate', 'get', 'getAll', 'getGeneratedVideos'],
	product: ['getAll', 'use'],
	savedWebhook: ['create', 'getAll'],
	speakeasyProject: ['getAll', 'import'],
	store: ['getSettings'],
	video: ['generate', 'get', 'getAll'],
	videoInstance: ['get', 'getAll'],
	workspace: ['getAll'],
} as const;

/** n8n's NodeMap (as in its Airtable v2 and Google Gemini nodes): resource → operation names. */
export type NodeMap = { [R in keyof typeof nodeMap]: (typeof nodeMap)[R][number] };

/** One (resource, operation) pair of the node. */
export type BHumanType = AllEntities<NodeMap>;
