"use strict";
// The OTLP/HTTP receiver of the tracing benchmark: where an OpenTelemetry Collector would stand,
// doing as little as it can. Every POST body is read in full, its spans are counted (occurrences
// of `"spanId"`, searched in the bytes as they come: nothing is decoded, parsed or kept) and it is answered 200 `{}`.
// Uncompressed JSON only (the gateway's default, OTEL_EXPORTER_OTLP_COMPRESSION unset).
// `node otlp-receiver.js <port>`; prints one JSON line when listening; `GET /stats` answers
// {"requests":…,"spans":…,"bytes":…} since the start.
const { createServer } = require("node:http");

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write("usage: node otlp-receiver.js <port>\n");
  process.exit(2);
}

const SPAN_ID = Buffer.from('"spanId"');
const OK_HEADERS = { "content-type": "application/json", "content-length": "2" };
const stats = { requests: 0, spans: 0, bytes: 0 };

/** Occurrences of `"spanId"` in `chunk` from `from`. */
function countIn(chunk, from) {
  let count = 0;
  for (let at = chunk.indexOf(SPAN_ID, from); at !== -1; at = chunk.indexOf(SPAN_ID, at + SPAN_ID.length)) count++;
  return count;
}

const server = createServer((req, res) => {
  if (req.method === "POST") {
    // Counted chunk by chunk, nothing kept: an occurrence split between two chunks is found in
    // the joint (the previous chunk's last 7 bytes and the next one's first 7).
    let spans = 0;
    let size = 0;
    let tail = null;
    req.on("data", (chunk) => {
      if (tail !== null) spans += countIn(Buffer.concat([tail, chunk.subarray(0, SPAN_ID.length - 1)]), 0);
      spans += countIn(chunk, 0);
      tail = chunk.length >= SPAN_ID.length - 1 ? chunk.subarray(chunk.length - (SPAN_ID.length - 1)) : Buffer.concat([tail ?? Buffer.alloc(0), chunk]).subarray(-(SPAN_ID.length - 1));
      size += chunk.length;
    });
    req.on("end", () => {
      stats.requests++;
      stats.spans += spans;
      stats.bytes += size;
      res.writeHead(200, OK_HEADERS);
      res.end("{}");
    });
    return;
  }
  if (req.method === "GET" && req.url === "/stats") {
    const body = JSON.stringify(stats);
    res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) });
    res.end(body);
    return;
  }
  res.writeHead(404, { "content-length": "0" });
  res.end();
});
// The exporter keeps its connections between batches (5 s apart at most, by default).
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.listen(port, "127.0.0.1", () => process.stdout.write(`${JSON.stringify({ msg: "otlp receiver listening", port })}\n`));
server.on("error", (error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
