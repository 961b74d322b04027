// @ts-check
'use strict';
// user.bhuman.ai: workspaces (all, or one by ?id=).

const { ApiError, uuidParam } = require('../validate');
const { apiRoute } = require('../dispatcher');

/** @type {import('../dispatcher').Route[]} */
const routes = [
  // A list even with ?id= (of one workspace).
  apiRoute('GET', '/api/workspace', 'list', ({ sim, query }) => {
    const id = uuidParam(query, 'id', false);
    if (!id) return sim.data.workspaces;
    const ws = sim.data.workspaces.filter((w) => w.workspace_id === id);
    if (!ws.length) throw new ApiError(404, `Workspace ${id} not found`);
    return ws;
  }),
];

module.exports = routes;
