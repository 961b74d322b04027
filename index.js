'use strict';
// Entry point for code that wants the classes directly (n8n itself loads the
// files listed in package.json's "n8n" section). Run `npm run build` first.
// n8n takes a node's class name from its file name: Bhuman.node.js exports Bhuman.
const { BhumanApi } = require('./dist/credentials/BhumanApi.credentials');
const { Bhuman } = require('./dist/nodes/Bhuman/Bhuman.node');
const { BhumanTrigger } = require('./dist/nodes/BhumanTrigger/BhumanTrigger.node');

module.exports = { BhumanApi, Bhuman, BhumanTrigger };
