/**
 * Preload for a running gateway: what stops its event loop. A 1 ms timer notes every time it
 * fires more than 3 ms late, and a GC observer every pause over 2 ms (with its kind: 1 minor,
 * 4 major, 8 incremental marking, 16 weak callbacks). On SIGUSR2 it prints what it saw since
 * the previous SIGUSR2 as one JSON line on stderr and starts again, so one signal before and
 * one after a fixed load give that load's stalls (times in ms since the process started):
 *
 *   node -r ./cli/bench/probes/loop-stalls.js dist/gateway/gateway.js --manifest <file> --workers 1 > access.log
 *   kill -USR2 <pid>; open-loop-load --url … --rate 6000 --duration 10 --warmup 1; kill -USR2 <pid>
 *
 * The timer keeps the loop from sleeping longer than 1 ms, which changes the process a little
 * (a few hundred wake-ups a second): use it to find stalls, not to measure latency.
 * The measure behind "the gateway on a core of its own" (BENCHMARKS.md, fourteenth session).
 */
"use strict";
const { PerformanceObserver, performance } = require("node:perf_hooks");

const LATE_MS = 3;
const GC_MS = 2;
let lates = [];
let pauses = [];
let last = performance.now();
const timer = setInterval(() => {
  const now = performance.now();
  const late = now - last - 1;
  last = now;
  if (late > LATE_MS) lates.push([Math.round(now), Number(late.toFixed(1))]);
}, 1);
timer.unref();

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.duration > GC_MS) pauses.push([Math.round(entry.startTime), Number(entry.duration.toFixed(1)), entry.detail?.kind ?? null]);
  }
}).observe({ entryTypes: ["gc"] });

process.on("SIGUSR2", () => {
  const lateTotal = lates.reduce((sum, [, ms]) => sum + ms, 0);
  process.stderr.write(
    `${JSON.stringify({ probe: "loop-stalls", pid: process.pid, at: Math.round(performance.now()), late: { count: lates.length, totalMs: Number(lateTotal.toFixed(1)), worst: [...lates].sort((a, b) => b[1] - a[1]).slice(0, 10) }, gc: { count: pauses.length, worst: [...pauses].sort((a, b) => b[1] - a[1]).slice(0, 10) } })}\n`,
  );
  lates = [];
  pauses = [];
});
