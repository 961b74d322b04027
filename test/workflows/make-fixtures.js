#!/usr/bin/env node
'use strict';
// Writes the *.workflow.json fixtures of this folder. Expected outputs come from the seeded
// simulator's own data (never from running the node), with its URL written as $SIM_URL.
// Rerun after changing the seeded data: `node test/workflows/make-fixtures.js`.

const fs = require('node:fs');
const path = require('node:path');
const { startSimulator } = require('../../simulator');

// The same simulator as test/integration/workflows.test.ts.
const SIM_OPTIONS = { sizes: { generatedVideosPerCampaign: 130 } };
const INSTANCE_URL = 'https://app.bhuman.ai/instance/';
const CAMPAIGN_URL = 'https://app.bhuman.ai/campaign/generatedVideos/';
const rl = (value, mode = 'id') => ({ __rl: true, mode, value });
const page = (n, size = 100, extra = {}) => ({ ...extra, page: String(n), size: String(size) });

/** A generated video as the node outputs it: BHuman's record plus the normalized fields. */
function normalized(record) {
  const text = (value) => (typeof value === 'string' && value !== '' ? value : null);
  return {
    ...record,
    pageUrl: text(record.share_url) ?? text(record.vimeo_url),
    mp4Url: text(record.url),
    thumbnailUrl: text(record.thumbnail),
    gifUrl: text(record.gif),
    whatsappVideoUrl: text(record.whatsapp_video_url),
    message: text(record.message),
    videoInstanceId: record.video_instance_id,
    campaignId: record.campaign_id,
    rowIndex: record.row_index,
  };
}

/** Start → (Items →) BHuman, expecting `output` from BHuman and exactly `requests`. */
function fixture(name, parameters, output, requests, inputItems) {
  const nodes = [
    { id: 'start', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
    {
      id: 'bhuman',
      name: 'BHuman',
      type: 'n8n-nodes-bhuman.bhuman',
      typeVersion: 1,
      position: [440, 0],
      parameters,
      credentials: { bhumanApi: { id: '1', name: 'BHuman account' } },
    },
  ];
  const connections = { Start: { main: [[{ node: inputItems ? 'Items' : 'BHuman', type: 'main', index: 0 }]] } };
  if (inputItems) {
    nodes.splice(1, 0, {
      id: 'items',
      name: 'Items',
      type: 'test.items',
      typeVersion: 1,
      position: [220, 0],
      parameters: { items: JSON.stringify(inputItems) },
    });
    connections.Items = { main: [[{ node: 'BHuman', type: 'main', index: 0 }]] };
  }
  const req = requests.map(([p, query, method = 'GET']) => ({ method, path: p, ...(query ? { query } : {}) }));
  return { name, nodes, connections, pinData: { BHuman: output.map((json) => ({ json })) }, requests: req };
}

async function main() {
  const sim = await startSimulator(SIM_OPTIONS);
  const get = async (p, query = {}) => {
    const url = new URL(p, sim.url);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
    const basic = Buffer.from(`${sim.keyId}:${sim.keySecret}`).toString('base64');
    return (await fetch(url, { headers: { authorization: `Basic ${basic}` } })).json();
  };
  const d = sim.data;
  const I = '/api/ai_studio/video_instance';
  const C = '/api/ai_studio/campaign';
  const inst7 = d.videoInstances[7];
  const [a, b] = [d.videoInstances[10], d.videoInstances[20]];
  const inst42 = d.videoInstances[42];
  const ws = d.workspaces[2];
  const camp4 = d.campaigns[4];
  const camp1 = d.campaigns[1];
  const camp3 = d.campaigns[3];
  const settings = { category: d.categories, tags: d.tags };
  const videos42 = await get('/api/ai_studio/generated_video_by_video_instance_id', { video_instance_id: inst42.id, page: 0, size: 100 });
  const videos3 = await get('/api/ai_studio/generated_video_by_campaign_id', { campaign_id: camp3.id, page: 0, size: 10 });
  const getInstance = (locator) => ({ resource: 'videoInstance', operation: 'get', videoInstanceId: locator });
  const getCampaign = (locator) => ({ resource: 'campaign', operation: 'get', campaignId: locator });

  const cases = {
    'video-instance.get-many.limit-30': fixture(
      'Video Instance → Get Many, Limit 30: one page of exactly 30',
      { resource: 'videoInstance', operation: 'getAll', returnAll: false, limit: 30 },
      d.videoInstances.slice(0, 30),
      [['/api/ai_studio/video_instances', page(0, 30)]],
    ),
    'video-instance.get.by-list': fixture('Video Instance → Get, from the list', getInstance(rl(inst7.id, 'list')), [inst7], [[I, { id: inst7.id }]]),
    'video-instance.get.by-id': fixture('Video Instance → Get, by ID', getInstance(rl(inst7.id)), [inst7], [[I, { id: inst7.id }]]),
    'video-instance.get.by-url': fixture('Video Instance → Get, by URL', getInstance(rl(`${INSTANCE_URL}${inst7.id}`, 'url')), [inst7], [[I, { id: inst7.id }]]),
    'video-instance.get.by-url-with-query': fixture(
      'Video Instance → Get, by URL with a query string',
      getInstance(rl(`${INSTANCE_URL}${inst7.id}?tab=videos`, 'url')),
      [inst7],
      [[I, { id: inst7.id }]],
    ),
    'video-instance.get.upper-case-id': fixture(
      'Video Instance → Get, an upper-case ID with spaces is sent as the lower-case UUID',
      getInstance(rl(` ${d.videoInstances[3].id.toUpperCase()} `)),
      [d.videoInstances[3]],
      [[I, { id: d.videoInstances[3].id }]],
    ),
    'video-instance.get.two-items-by-expression': fixture(
      'Video Instance → Get, ID by expression for two items (an ID and a URL): one request each',
      getInstance(rl('={{ $json.instance }}')),
      [a, b],
      [[I, { id: a.id }], [I, { id: b.id }]],
      [{ instance: a.id }, { instance: `${INSTANCE_URL}${b.id}` }],
    ),
    'video.get-many.few-videos': fixture(
      'Video → Get Many of an instance with a few videos: one request, all of them normalized',
      { resource: 'video', operation: 'getAll', videoInstanceId: rl(inst42.id), returnAll: true },
      videos42.map(normalized),
      [['/api/ai_studio/generated_video_by_video_instance_id', page(0, 100, { video_instance_id: inst42.id })]],
    ),
    'workspace.get-many.return-all': fixture(
      'Workspace → Get Many, Return All: one request, no id',
      { resource: 'workspace', operation: 'getAll', returnAll: true },
      d.workspaces,
      [['/api/workspace']],
    ),
    'workspace.get-many.limit-2': fixture(
      'Workspace → Get Many, Limit 2',
      { resource: 'workspace', operation: 'getAll', returnAll: false, limit: 2 },
      d.workspaces.slice(0, 2),
      [['/api/workspace']],
    ),
    'workspace.get-many.filter-by-list': fixture(
      'Workspace → Get Many, filtered by a workspace from the list: sends id',
      { resource: 'workspace', operation: 'getAll', returnAll: true, filters: { workspaceId: rl(ws.workspace_id, 'list') } },
      [ws],
      [['/api/workspace', { id: ws.workspace_id }]],
    ),
    'workspace.get-many.filter-by-id': fixture(
      'Workspace → Get Many, filtered by workspace ID: sends id',
      { resource: 'workspace', operation: 'getAll', returnAll: true, filters: { workspaceId: rl(ws.workspace_id) } },
      [ws],
      [['/api/workspace', { id: ws.workspace_id }]],
    ),
    'product.get-many.return-all': fixture(
      'Product → Get Many, Return All: the whole store',
      { resource: 'product', operation: 'getAll', returnAll: true },
      d.products,
      [['/api/store/product']],
    ),
    'product.get-many.limit-5': fixture(
      'Product → Get Many, Limit 5',
      { resource: 'product', operation: 'getAll', returnAll: false, limit: 5 },
      d.products.slice(0, 5),
      [['/api/store/product']],
    ),
    'store.get-settings': fixture(
      'Store → Get Categories and Tags',
      { resource: 'store', operation: 'getSettings' },
      [settings],
      [['/api/store/settings']],
    ),
    'store.get-settings.two-items': fixture(
      'Store → Get Categories and Tags for two items: one request and one output each',
      { resource: 'store', operation: 'getSettings' },
      [settings, settings],
      [['/api/store/settings'], ['/api/store/settings']],
      [{}, {}],
    ),
    'campaign.get-many.return-all': fixture(
      'Campaign → Get Many, Return All (one page)',
      { resource: 'campaign', operation: 'getAll', returnAll: true },
      d.campaigns,
      [['/api/ai_studio/campaigns', page(0)]],
    ),
    'campaign.get-many.limit-5': fixture(
      'Campaign → Get Many, Limit 5: a page of 5',
      { resource: 'campaign', operation: 'getAll', returnAll: false, limit: 5 },
      d.campaigns.slice(0, 5),
      [['/api/ai_studio/campaigns', page(0, 5)]],
    ),
    'campaign.get.by-list': fixture('Campaign → Get, from the list', getCampaign(rl(camp4.id, 'list')), [camp4], [[C, { id: camp4.id }]]),
    'campaign.get.by-id': fixture('Campaign → Get, by ID', getCampaign(rl(camp4.id)), [camp4], [[C, { id: camp4.id }]]),
    'campaign.get.by-url': fixture('Campaign → Get, by URL', getCampaign(rl(`${CAMPAIGN_URL}${camp4.id}`, 'url')), [camp4], [[C, { id: camp4.id }]]),
    'campaign.get.url-by-expression': fixture(
      'Campaign → Get, a campaign URL given by expression in mode ID',
      getCampaign(rl('={{ $json.link }}')),
      [camp1],
      [[C, { id: camp1.id }]],
      [{ link: `${CAMPAIGN_URL}${camp1.id}` }],
    ),
    'campaign.get-generated-videos.limit-10-by-url': fixture(
      'Campaign → Get Generated Videos, Limit 10 by campaign URL: one request of size 10',
      {
        resource: 'campaign',
        operation: 'getGeneratedVideos',
        campaignId: rl(`${CAMPAIGN_URL}${camp3.id}`, 'url'),
        returnAll: false,
        limit: 10,
      },
      videos3.map(normalized),
      [['/api/ai_studio/generated_video_by_campaign_id', page(0, 10, { campaign_id: camp3.id })]],
    ),
    'speakeasy-project.get-many.return-all': fixture(
      "Speakeasy Project → Get Many, Return All: BHuman's list unchanged",
      { resource: 'speakeasyProject', operation: 'getAll', returnAll: true },
      d.speakeasyProjects,
      [['/api/ai_studio/speakeasy_projects']],
    ),
    'speakeasy-project.get-many.limit-2': fixture(
      'Speakeasy Project → Get Many, Limit 2 (applied by the node: the list is not paged)',
      { resource: 'speakeasyProject', operation: 'getAll', returnAll: false, limit: 2 },
      d.speakeasyProjects.slice(0, 2),
      [['/api/ai_studio/speakeasy_projects']],
    ),
    'saved-webhook.get-many.return-all': fixture(
      'Saved Webhook → Get Many, Return All',
      { resource: 'savedWebhook', operation: 'getAll', returnAll: true },
      d.savedWebhooks,
      [['/api/ai_studio/webhook']],
    ),
    'saved-webhook.get-many.limit-1': fixture(
      'Saved Webhook → Get Many, Limit 1',
      { resource: 'savedWebhook', operation: 'getAll', returnAll: false, limit: 1 },
      d.savedWebhooks.slice(0, 1),
      [['/api/ai_studio/webhook']],
    ),
  };
  for (const [file, data] of Object.entries(cases)) {
    const text = JSON.stringify(data, null, '\t').split(sim.url).join('$SIM_URL');
    fs.writeFileSync(path.join(__dirname, `${file}.workflow.json`), text + '\n');
  }
  await sim.close();
  console.log(`wrote ${Object.keys(cases).length} fixtures`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
