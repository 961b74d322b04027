// @ts-check
'use strict';
// store.bhuman.ai: products, "use a product" (creates a folder and/or a video instance), settings.

const { randomUUID } = require('node:crypto');
const { ApiError, jsonBody, uuidField } = require('../validate');

/** @typedef {import('../dispatcher').RouteContext} RouteContext */

/** Applies a product: to a given instance, or to a new one (in a given or a new folder). */
function useProduct(/** @type {RouteContext} */ { sim, raw }) {
  const body = jsonBody(raw);
  const productId = uuidField(body, 'id', true);
  const workspaceId = uuidField(body, 'workspace_id', true);
  let folderId = uuidField(body, 'folder_id', false);
  const instanceId = uuidField(body, 'video_instance_id', false);
  if (instanceId && !folderId) throw new ApiError(400, 'folder_id is required when video_instance_id is given');
  const product = sim.data.products.find((p) => p.id === productId);
  if (!product) throw new ApiError(404, `Product ${productId} not found`);
  if (!sim.data.workspaces.some((w) => w.workspace_id === workspaceId)) throw new ApiError(404, `Workspace ${workspaceId} not found`);
  if (folderId && !sim.data.folders.some((f) => f.id === folderId)) throw new ApiError(404, `Folder ${folderId} not found`);
  const now = new Date().toISOString();
  if (!folderId) {
    folderId = randomUUID();
    sim.data.folders.push({ id: folderId, name: product.name, workspace_id: workspaceId, created_at: now });
    sim._created.folders.add(folderId);
  }
  let instance;
  if (instanceId) {
    instance = sim._instanceOr404(instanceId);
  } else {
    instance = {
      id: randomUUID(),
      name: product.name,
      user_id: sim._userId,
      folder_id: folderId,
      actor_id: product.actor_id,
      product_id: product.id,
      industry: 1 + (product.category % 20),
      use_case: null,
      created_at: now,
      updated_at: now,
      variables: ['name', 'company'],
    };
    sim._videoIds.set(instance.id, randomUUID());
    sim.data.videoInstances.unshift(instance); // newest first, like the list endpoint
    sim._instances.set(instance.id, instance);
    sim._created.instances.add(instance.id);
  }
  const segments = Array.from({ length: 3 + (product.length % 3) }, () => randomUUID());
  return { video_instance_id: instance.id, video_id: sim._videoIds.get(instance.id) || randomUUID(), folder_id: folderId, product, segments };
}

/** @type {import('../dispatcher').Route[]} */
const routes = [
  { method: 'GET', path: '/api/store/product', auth: true, log: true, handler: ({ sim }) => sim.data.products },
  { method: 'POST', path: '/api/store/product/use', auth: true, log: true, handler: useProduct },
  {
    method: 'GET',
    path: '/api/store/settings',
    auth: true,
    log: true,
    handler: ({ sim }) => ({ category: sim.data.categories, tags: sim.data.tags }),
  },
];

module.exports = routes;
