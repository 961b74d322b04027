// Copies what tsc does not: node/credential icons, the nodes' codex files and their output
// schemas (nodes/<Node>/__schema__/**, which n8n reads beside the built node file, as n8n's own
// build and @n8n/node-cli's copy them).
const { src, dest, parallel } = require('gulp');

function copyIcons() {
	return src('icons/*.svg').pipe(dest('dist/icons'));
}

function copyCodex() {
	return src('nodes/**/*.node.json').pipe(dest('dist/nodes'));
}

function copySchemas() {
	return src('nodes/**/__schema__/**/*.json').pipe(dest('dist/nodes'));
}

// The BHuman node's version 1.1 outputs what version 1 does: n8n looks for its schemas under
// v1.1.0, so the one set of files goes there too.
function copySchemasV11() {
	return src('nodes/Bhuman/__schema__/v1.0.0/**/*.json').pipe(
		dest('dist/nodes/Bhuman/__schema__/v1.1.0'),
	);
}

exports['build:assets'] = parallel(copyIcons, copyCodex, copySchemas, copySchemasV11);
