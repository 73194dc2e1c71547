/**
 * Preload for a running gateway: times every `fs.writeSync` of 4 KiB or more (the access
 * log's batches) and prints, every 2 s on stderr, how many there were, their mean and largest
 * time, and how many took over 1 ms. The measure behind the access log's 256 KiB file batches
 * (BENCHMARKS.md, tenth session):
 *
 *   node -r ./cli/bench/probes/time-log-writes.js dist/gateway/gateway.js --manifest <file> --workers 1 > access.log
 *
 * then a fixed load (e.g. `open-loop-load --rate 9800`); the mean per request is the writes'
 * total time over the requests served.
 */
"use strict";
const fs = require("node:fs");

const write = fs.writeSync;
let writes = 0;
let totalMicros = 0;
let largestMicros = 0;
let overOneMs = 0;
fs.writeSync = function timedWriteSync(fd, data, ...rest) {
  const started = process.hrtime.bigint();
  const written = write.call(fs, fd, data, ...rest);
  if (written >= 4096) {
    const micros = Number(process.hrtime.bigint() - started) / 1000;
    writes++;
    totalMicros += micros;
    if (micros > largestMicros) largestMicros = micros;
    if (micros > 1000) overOneMs++;
  }
  return written;
};
setInterval(() => {
  if (writes === 0) return;
  process.stderr.write(`log writes: ${writes}, mean ${(totalMicros / writes).toFixed(0)} µs, max ${largestMicros.toFixed(0)} µs, over 1 ms ${overOneMs}, total ${(totalMicros / 1000).toFixed(1)} ms\n`);
  writes = totalMicros = largestMicros = overOneMs = 0;
}, 2000).unref();
