/**
 * Preload for a running gateway: where its JavaScript allocates, objects collected since
 * included (V8's sampling heap profiler through `node:inspector`, one sample every 4 KiB on
 * average). The first SIGUSR2 starts sampling; the second stops it, writes the profile to
 * `allocations-<pid>.heapprofile` in the working directory (it opens in Chrome DevTools'
 * Memory tab) and prints the 15 functions that allocated most as one JSON line on stderr.
 * Divide by the requests served between the signals (`turnpike_requests_total` on the
 * operator port's /metrics) for bytes per request:
 *
 *   node -r ./cli/bench/probes/allocation-sampler.js dist/gateway/gateway.js --manifest <file> --workers 1 > access.log
 *   kill -USR2 <pid>; wrk -t2 -c64 -d8s …; kill -USR2 <pid>
 *
 * Allocation decides how often the young generation is scavenged, and each scavenge stops
 * the event loop (BENCHMARKS.md, fourteenth session).
 */
"use strict";
const { Session } = require("node:inspector");
const { writeFileSync } = require("node:fs");

const session = new Session();
session.connect();
let sampling = false;

function top(profile, count) {
  const bytes = new Map();
  const visit = (node) => {
    const frame = node.callFrame;
    const site = `${frame.functionName || "(anonymous)"} ${frame.url ? `${frame.url.split("/").pop()}:${frame.lineNumber + 1}` : "(native)"}`;
    if (node.selfSize) bytes.set(site, (bytes.get(site) ?? 0) + node.selfSize);
    for (const child of node.children ?? []) visit(child);
  };
  visit(profile.head);
  const total = [...bytes.values()].reduce((sum, value) => sum + value, 0);
  return { total, sites: [...bytes].sort((a, b) => b[1] - a[1]).slice(0, count) };
}

process.on("SIGUSR2", () => {
  if (!sampling) {
    sampling = true;
    session.post("HeapProfiler.startSampling", { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true }, (error) => {
      if (error) process.stderr.write(`allocation-sampler: cannot start: ${error.message}\n`);
    });
    return;
  }
  sampling = false;
  session.post("HeapProfiler.stopSampling", (error, result) => {
    if (error) return void process.stderr.write(`allocation-sampler: cannot stop: ${error.message}\n`);
    const file = `allocations-${process.pid}.heapprofile`;
    writeFileSync(file, JSON.stringify(result.profile));
    process.stderr.write(`${JSON.stringify({ probe: "allocation-sampler", pid: process.pid, file, ...top(result.profile, 15) })}\n`);
  });
});
