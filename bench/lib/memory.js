'use strict';
// Resident memory of a process tree, read from /proc: the n8n process started by the harness
// leads its own process group (scripts/lib/procs.js starts it detached), so its task runner
// and any other child share that group. A sampler keeps the peak of the group's summed RSS.

const fs = require('node:fs');

const PAGE = 4096;

/** pids whose process group is `pgid`, and the descendants of `pgid` (whatever their group). */
function groupPids(pgid) {
	const pids = [];
	const parents = new Map();
	let entries;
	try {
		entries = fs.readdirSync('/proc');
	} catch {
		return pids;
	}
	for (const e of entries) {
		if (!/^\d+$/.test(e)) continue;
		let stat;
		try {
			stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
		} catch {
			continue;
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses
		const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		const ppid = Number(rest[1]);
		const pgrp = Number(rest[2]);
		parents.set(Number(e), ppid);
		if (pgrp === pgid) pids.push(Number(e));
	}
	// children that moved to a group of their own are still part of the tree
	for (const [pid] of parents) {
		if (pids.includes(pid)) continue;
		let p = parents.get(pid);
		for (let depth = 0; p && depth < 20; depth++) {
			if (p === pgid) {
				pids.push(pid);
				break;
			}
			p = parents.get(p);
		}
	}
	return pids;
}

function rssBytes(pid) {
	try {
		const statm = fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
		return Number(statm[1]) * PAGE;
	} catch {
		return 0;
	}
}

/** Summed RSS (bytes) of the tree led by `pgid`, with the pids counted. */
function treeRss(pgid) {
	const pids = groupPids(pgid);
	let total = 0;
	for (const p of pids) total += rssBytes(p);
	return { bytes: total, pids: pids.length };
}

/**
 * Samples the tree every intervalMs until stop(); stop() returns
 * { baselineMB, peakMB, deltaMB, samples, processes }.
 */
function startSampler(pgid, intervalMs = 100) {
	const first = treeRss(pgid);
	let peak = first.bytes;
	let processes = first.pids;
	let samples = 1;
	const timer = setInterval(() => {
		const s = treeRss(pgid);
		samples++;
		if (s.bytes > peak) peak = s.bytes;
		if (s.pids > processes) processes = s.pids;
	}, intervalMs);
	timer.unref();
	return {
		stop() {
			clearInterval(timer);
			const last = treeRss(pgid);
			if (last.bytes > peak) peak = last.bytes;
			const mb = (b) => Math.round((b / 1048576) * 10) / 10;
			return { baselineMB: mb(first.bytes), peakMB: mb(peak), deltaMB: mb(peak - first.bytes), samples: samples + 1, processes };
		},
	};
}

module.exports = { treeRss, startSampler, groupPids };
