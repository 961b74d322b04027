// @ts-check
'use strict';
// studio.bhuman.ai: video instances, renders (try_sample, campaign pipeline), generated videos,
// campaigns, Speakeasy projects and saved webhooks.

const { randomUUID } = require('node:crypto');
const gens = require('../generations');
const v = require('../validate');

const { ApiError } = v;
const S = '/api/ai_studio';

/** @typedef {import('../dispatcher').Route} Route @typedef {import('../dispatcher').RouteContext} RouteContext */

/** Generated videos of an instance or a campaign (404 for an unknown one), one page. */
function generatedFor(/** @type {RouteContext} */ { sim, query }, /** @type {'campaign_id' | 'video_instance_id'} */ param) {
  const id = v.uuidParam(query, param, true);
  const p = v.pageParams(query, false);
  if (param === 'campaign_id') sim._campaignOr404(id);
  else sim._instanceOr404(id);
  const index = param === 'campaign_id' ? sim._byCampaign : sim._byInstance;
  const now = Date.now();
  return p.slice(index.get(id) || []).map((g) => gens.toRecord(g, now, sim.url));
}

function trySample(/** @type {RouteContext} */ { sim, raw }) {
  const body = v.jsonBody(raw);
  const instanceId = v.uuidField(body, 'video_instance_id', true);
  const { variables, names } = v.rowsFields(body);
  const callbackUrl = v.callbackField(body);
  const instance = sim._instanceOr404(instanceId);
  v.checkRows(variables, names);
  return { code: 200, result: sim._createGenerations({ instance, campaign: null, names, callbackUrl }) };
}

function campaignRender(/** @type {RouteContext} */ { sim, raw }) {
  const body = v.jsonBody(raw);
  const campaignId = v.uuidField(body, 'campaign_id', true);
  const { variables, names } = v.rowsFields(body);
  const callbackUrl = v.callbackField(body);
  const assets = v.stringMatrix(body, 'assets', false);
  const backgrounds = v.backgroundsField(body);
  const generationMode = v.generationModeField(body);
  for (const flag of ['enable_lipsync', 'enable_subtitles']) {
    if (body[flag] !== undefined && body[flag] !== null && typeof body[flag] !== 'boolean') {
      throw new ApiError(422, `Field '${flag}' must be a boolean`);
    }
  }
  const campaign = sim._campaignOr404(campaignId);
  v.checkRows(variables, names);
  if (backgrounds && backgrounds.length) {
    if (!assets) throw new ApiError(400, `assets is required when backgrounds is given (one row per names row, one column per background)`);
    if (assets.length !== names.length) throw new ApiError(400, `assets has ${assets.length} rows but names has ${names.length}`);
    assets.forEach((row, i) => {
      if (row.length !== backgrounds.length) {
        throw new ApiError(400, `assets row ${i} has ${row.length} values but backgrounds has ${backgrounds.length}`);
      }
    });
  } else if (assets && assets.some((row) => row.length)) {
    throw new ApiError(400, 'assets given but backgrounds is empty');
  }
  const linked = campaign.video_instance_id ? sim._instances.get(campaign.video_instance_id) : undefined;
  const instance = linked || { id: campaign.video_instance_id, actor_id: null };
  const ids = sim._createGenerations({
    instance,
    campaign,
    names,
    callbackUrl,
    extras: (i) => ({
      assets: assets ? assets[i] : undefined,
      backgrounds,
      enableLipsync: body.enable_lipsync,
      enableSubtitles: body.enable_subtitles,
      generationMode,
    }),
  });
  return { code: 200, result: ids };
}

/** Imports a Speakeasy project as a new video instance, in a new folder of the workspace. */
function importSpeakeasy(/** @type {RouteContext} */ { sim, raw }) {
  const body = v.jsonBody(raw);
  const projectId = v.uuidField(body, 'project_id', true);
  const workspaceId = v.uuidField(body, 'workspace_id', false);
  const project = sim.data.speakeasyProjects.find((p) => p.id === projectId);
  if (!project) throw new ApiError(404, `Speakeasy project ${projectId} not found`);
  if (workspaceId) sim._workspaceOr404(workspaceId);
  const target = workspaceId || project.workspace_id;
  const folderId = sim._createFolder(project.name, target);
  const instance = sim._createInstance({ name: project.name, folderId, actorId: sim._actors[0] || null, productId: null, industry: 1 });
  return { project_id: project.id, workspace_id: target, folder_id: folderId, video_instance_id: instance.id, name: project.name };
}

function createWebhook(/** @type {RouteContext} */ { sim, raw }) {
  const body = v.jsonBody(raw);
  const name = v.stringField(body, 'name');
  const webhook = /** @type {string} */ (v.urlField(body, 'webhook', true));
  const saved = { id: randomUUID(), name, webhook, created_at: new Date().toISOString() };
  sim.data.savedWebhooks.push(saved);
  sim._created.webhooks.add(saved.id);
  return saved;
}

/** @type {Route[]} */
const routes = [
  {
    method: 'GET',
    path: `${S}/video_instances`,
    auth: true,
    log: true,
    handler: ({ sim, query }) => {
      const p = v.pageParams(query, true);
      return { total: sim.data.videoInstances.length, instances: p.slice(sim.data.videoInstances) };
    },
  },
  {
    method: 'GET',
    path: `${S}/video_instance`,
    auth: true,
    log: true,
    handler: ({ sim, query }) => [sim._instanceOr404(v.uuidParam(query, 'id', true))],
  },
  {
    method: 'GET',
    path: `${S}/generated_video_by_video_instance_id`,
    auth: true,
    log: true,
    handler: (c) => generatedFor(c, 'video_instance_id'),
  },
  { method: 'POST', path: `${S}/try_sample`, auth: true, log: true, handler: trySample },
  { method: 'POST', path: `${S}/pipeline/campaign`, auth: true, log: true, handler: campaignRender },
  {
    method: 'GET',
    path: `${S}/generated_video_by_id`,
    auth: true,
    log: true,
    handler: ({ sim, query }) => {
      const id = v.uuidParam(query, 'id', true);
      const g = sim.generations.get(id);
      if (!g) throw new ApiError(404, `Generated video ${id} not found`);
      return gens.toRecord(g, Date.now(), sim.url);
    },
  },
  {
    method: 'GET',
    path: `${S}/campaigns`,
    auth: true,
    log: true,
    handler: ({ sim, query }) => {
      const p = v.pageParams(query, false);
      return { total: sim.data.campaigns.length, campaigns: p.slice(sim.data.campaigns) };
    },
  },
  {
    method: 'GET',
    path: `${S}/campaign`,
    auth: true,
    log: true,
    handler: ({ sim, query }) => sim._campaignOr404(v.uuidParam(query, 'id', true)),
  },
  {
    method: 'GET',
    path: `${S}/generated_video_by_campaign_id`,
    auth: true,
    log: true,
    handler: (c) => generatedFor(c, 'campaign_id'),
  },
  // Bare arrays, not paged, like the workspace and product lists.
  { method: 'GET', path: `${S}/speakeasy_projects`, auth: true, log: true, handler: ({ sim }) => sim.data.speakeasyProjects },
  { method: 'POST', path: `${S}/speakeasy_projects/import`, auth: true, log: true, handler: importSpeakeasy },
  { method: 'GET', path: `${S}/webhook`, auth: true, log: true, handler: ({ sim }) => sim.data.savedWebhooks },
  { method: 'POST', path: `${S}/webhook`, auth: true, log: true, handler: createWebhook },
];

module.exports = routes;
