'use strict';
// Small statistics and formatting helpers.

function median(values) {
	const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
	if (!v.length) return null;
	const m = Math.floor(v.length / 2);
	return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

function percentile(values, p) {
	const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
	if (!v.length) return null;
	return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))];
}

const round = (x, digits = 0) => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10 ** digits) / 10 ** digits);
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null);

/** "1,234" / "12.3 s" style numbers for the markdown table. */
function ms(x) {
	if (x === null || x === undefined) return '—';
	if (x >= 10000) return `${(x / 1000).toFixed(1)} s`;
	if (x >= 1000) return `${(x / 1000).toFixed(2)} s`;
	return `${Math.round(x)} ms`;
}

function num(x, digits = 0) {
	if (x === null || x === undefined || !Number.isFinite(x)) return '—';
	return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A target as the JSON lists it: {name, value, threshold, pass, ...}. `op` is '>=' or '<=' or '=='. */
function target(name, value, op, threshold, extra = {}) {
	let pass = false;
	if (value !== null && value !== undefined && Number.isFinite(value)) {
		if (op === '>=') pass = value >= threshold;
		else if (op === '<=') pass = value <= threshold;
		else if (op === '==') pass = value === threshold;
	}
	return { name, value: typeof value === 'number' ? round(value, 3) : value, threshold, comparison: op, pass, ...extra };
}

module.exports = { median, percentile, round, ratio, ms, num, target };
