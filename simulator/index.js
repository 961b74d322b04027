'use strict';
// Local BHuman API simulator: one origin for studio.bhuman.ai, user.bhuman.ai and
// store.bhuman.ai paths, with seeded data, timed renders, callbacks and fault injection.
// No dependencies beyond Node built-ins, so tests, benchmarks and demos can run it anywhere.

const { Simulator, startSimulator } = require('./server');
const { DEFAULT_SIZES } = require('./data');
const media = require('./media');

module.exports = { startSimulator, Simulator, DEFAULT_SIZES, media };
