#!/usr/bin/env node
/**
 * What one write of a batch to a new file costs on this disk, at a given pace: the measure
 * behind the access log's 256 KiB file batches (BENCHMARKS.md, tenth session).
 *
 *   node cli/bench/probes/write-pace.js BYTES GAP_MS COUNT [DIR]
 *   node cli/bench/probes/write-pace.js 65536 0 2000     # back to back
 *   node cli/bench/probes/write-pace.js 65536 13 300     # 64 KiB every 13 ms (~5 MB/s)
 *   node cli/bench/probes/write-pace.js 262144 52 80     # 256 KiB at the same rate
 *
 * Prints the mean, median and largest time of a `writeSync`, and the mean per 400-byte line
 * (an access line's size). The process sleeps through each gap; what matters is that the
 * writes come apart in time, as a gateway's do (spinning through the gaps instead measured
 * 65–74 µs per 64 KiB write every 6 ms, sleeping 80–91 µs, back to back ~20 µs).
 */
"use strict";
const { closeSync, mkdtempSync, openSync, rmSync, writeSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

const [bytes, gapMs, count] = process.argv.slice(2, 5).map(Number);
if (!(bytes > 0) || !(gapMs >= 0) || !(count > 0)) {
  console.error("usage: write-pace.js BYTES GAP_MS COUNT [DIR]");
  process.exit(2);
}
const directory = mkdtempSync(join(process.argv[5] ?? tmpdir(), "write-pace-"));
const fd = openSync(join(directory, "batches.log"), "w");
const batch = Buffer.alloc(bytes, 0x61);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const micros = [];
try {
  for (let index = 0; index < count; index++) {
    if (gapMs > 0) Atomics.wait(sleeper, 0, 0, gapMs);
    const started = process.hrtime.bigint();
    writeSync(fd, batch, 0, bytes);
    micros.push(Number(process.hrtime.bigint() - started) / 1000);
  }
} finally {
  closeSync(fd);
  rmSync(directory, { recursive: true, force: true });
}
micros.sort((a, b) => a - b);
const mean = micros.reduce((sum, value) => sum + value, 0) / micros.length;
const perLine = mean / (bytes / 400);
console.log(`${bytes} bytes every ${gapMs} ms, ${count} writes: mean ${mean.toFixed(1)} µs, median ${micros[micros.length >> 1].toFixed(1)} µs, max ${micros[micros.length - 1].toFixed(1)} µs; ${perLine.toFixed(3)} µs per 400-byte line`);
