'use strict';
// Resident memory and CPU time of a process tree, read from /proc: the n8n process started by
// the harness leads its own process group (scripts/lib/procs.js starts it detached), so its task
// runner and any other child share that group. A sampler keeps the peak of the group's summed
// RSS; a timeline keeps every sample with its time.

const fs = require('node:fs');
const { execFileSync } = require('node:child_process');

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
/** Calls take() now, every intervalMs, and once more at stop(); stop() returns done(). */
function every(intervalMs, take, done) {
	take();
	const timer = setInterval(take, intervalMs);
	timer.unref();
	return {
		stop() {
			clearInterval(timer);
			take();
			return done();
		},
	};
}

const toMB = (b) => Math.round((b / 1048576) * 10) / 10;

function startSampler(pgid, intervalMs = 100) {
	let first = null;
	let peak = 0;
	let processes = 0;
	let samples = 0;
	return every(
		intervalMs,
		() => {
			const s = treeRss(pgid);
			if (first === null) first = s.bytes;
			samples++;
			if (s.bytes > peak) peak = s.bytes;
			if (s.pids > processes) processes = s.pids;
		},
		() => ({ baselineMB: toMB(first), peakMB: toMB(peak), deltaMB: toMB(peak - first), samples, processes }),
	);
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times. */
let clockTicks;
function ticksPerSecond() {
	if (clockTicks === undefined) {
		try {
			clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
		} catch {
			clockTicks = 100;
		}
	}
	return clockTicks;
}

/** CPU time (user + system, ms) the processes of the tree led by `pgid` have used so far. */
function treeCpuMs(pgid) {
	let ticks = 0;
	for (const pid of groupPids(pgid)) {
		try {
			const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
			const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			ticks += Number(rest[11]) + Number(rest[12]); // utime, stime (fields 14 and 15)
		} catch {}
	}
	return (ticks * 1000) / ticksPerSecond();
}

/** Samples the tree's RSS every intervalMs until stop(), which returns [{ at, mb }]. */
function startTimeline(pgid, intervalMs = 500) {
	const samples = [];
	return every(intervalMs, () => samples.push({ at: Date.now(), mb: toMB(treeRss(pgid).bytes) }), () => samples);
}

module.exports = { treeRss, startSampler, groupPids, treeCpuMs, startTimeline };
