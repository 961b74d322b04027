'use strict';
// Entry point for code that wants the classes directly (n8n itself loads the
// files listed in package.json's "n8n" section). Run `npm run build` first.
const { BHumanApi } = require('./dist/credentials/BHumanApi.credentials');
const { BHuman } = require('./dist/nodes/BHuman/Bhuman.node');
const { BHumanTrigger } = require('./dist/nodes/BHumanTrigger/BhumanTrigger.node');

module.exports = { BHumanApi, BHuman, BHumanTrigger };
