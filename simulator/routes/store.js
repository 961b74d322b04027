// @ts-check
'use strict';
// store.bhuman.ai: products, "use a product" (creates a folder and/or a video instance), settings.

const { randomUUID } = require('node:crypto');
const { ApiError, jsonBody, uuidField } = require('../validate');
const { apiRoute } = require('../dispatcher');

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
  sim._workspaceOr404(workspaceId);
  if (folderId && !sim.data.folders.some((f) => f.id === folderId)) throw new ApiError(404, `Folder ${folderId} not found`);
  if (!folderId) folderId = sim._createFolder(product.name, workspaceId);
  const instance = instanceId
    ? sim._instanceOr404(instanceId)
    : sim._createInstance({
        name: product.name,
        folderId,
        actorId: product.actor_id,
        productId: product.id,
        industry: 1 + (product.category % 20),
      });
  const segments = Array.from({ length: 3 + (product.length % 3) }, () => randomUUID());
  return { video_instance_id: instance.id, video_id: sim._videoIds.get(instance.id) || randomUUID(), folder_id: folderId, product, segments };
}

/** @type {import('../dispatcher').Route[]} */
const routes = [
  apiRoute('GET', '/api/store/product', 'list', ({ sim }) => sim.data.products),
  apiRoute('POST', '/api/store/product/use', 'create', useProduct),
  apiRoute('GET', '/api/store/settings', 'other', ({ sim }) => ({ category: sim.data.categories, tags: sim.data.tags })),
];

module.exports = routes;
