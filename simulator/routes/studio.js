// @ts-check
'use strict';
// studio.bhuman.ai: video instances, renders (try_sample, campaign pipeline), generated videos,
// campaigns, Speakeasy projects and saved webhooks.

const { randomUUID } = require('node:crypto');
const v = require('../validate');
const { apiRoute: api } = require('../dispatcher');

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
  const all = index.get(id) || [];
  // Kept in creation order; listOrder newest shows them the other way round.
  return p.slice(sim.listOrder === 'newest' ? [...all].reverse() : all).map((g) => sim._record(g, now));
}

function trySample(/** @type {RouteContext} */ { sim, raw }) {
  const body = v.jsonBody(raw);
  const instanceId = v.uuidField(body, 'video_instance_id', true);
  const { variables, names } = v.rowsFields(body);
  const callbackUrl = v.callbackField(body);
  const instance = sim._instanceOr404(instanceId);
  v.checkRows(variables, names);
  return sim._createGenerations({ instance, campaign: null, names, callbackUrl });
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
  return sim._createGenerations({
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

/**
 * A paged list of seeded data: the page's records, unwrapped as `{total, <key>: page}`.
 * @param {string} path @param {'instances' | 'campaigns'} key @param {'videoInstances' | 'campaigns'} all
 * @param {boolean} pageRequired
 */
const pagedList = (path, key, all, pageRequired) =>
  api(
    'GET',
    path,
    'list',
    ({ sim, query }) => v.pageParams(query, pageRequired).slice(/** @type {unknown[]} */ (sim.data[all])),
    (page, { sim }) => ({ total: sim.data[all].length, [key]: page }),
  );

/** @type {Route[]} */
const routes = [
  pagedList(`${S}/video_instances`, 'instances', 'videoInstances', true),
  // Unwrapped, the one instance comes as a one-element list.
  api('GET', `${S}/video_instance`, 'record', ({ sim, query }) => sim._instanceOr404(v.uuidParam(query, 'id', true)), (rec) => [rec]),
  api('GET', `${S}/generated_video_by_video_instance_id`, 'list', (c) => generatedFor(c, 'video_instance_id')),
  api('POST', `${S}/try_sample`, 'generate', trySample),
  api('POST', `${S}/pipeline/campaign`, 'generate', campaignRender),
  api('GET', `${S}/generated_video_by_id`, 'record', ({ sim, query }) => {
    const id = v.uuidParam(query, 'id', true);
    const g = sim.generations.get(id);
    if (!g) throw new ApiError(404, `Generated video ${id} not found`);
    return sim._record(g);
  }),
  pagedList(`${S}/campaigns`, 'campaigns', 'campaigns', false),
  api('GET', `${S}/campaign`, 'record', ({ sim, query }) => sim._campaignOr404(v.uuidParam(query, 'id', true))),
  api('GET', `${S}/generated_video_by_campaign_id`, 'list', (c) => generatedFor(c, 'campaign_id')),
  // Bare arrays, not paged, like the workspace and product lists.
  api('GET', `${S}/speakeasy_projects`, 'list', ({ sim }) => sim.data.speakeasyProjects),
  api('POST', `${S}/speakeasy_projects/import`, 'create', importSpeakeasy),
  api('GET', `${S}/webhook`, 'list', ({ sim }) => sim.data.savedWebhooks),
  api('POST', `${S}/webhook`, 'create', createWebhook),
];

module.exports = routes;
