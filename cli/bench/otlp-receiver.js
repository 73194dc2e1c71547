"use strict";
// The OTLP/HTTP receiver of the tracing benchmark: where an OpenTelemetry Collector would stand,
// doing as little as it can. Every POST body is read in full and its spans are counted: in JSON,
// occurrences of `"spanId"` searched in the bytes as they come; in protobuf, the entries of each
// ScopeSpans.spans, found by walking field tags (nothing else decoded); then answered 200.
// Uncompressed only (OTEL_EXPORTER_OTLP_COMPRESSION unset). With a second port it also takes
// OTLP/gRPC there (plaintext HTTP/2): each TraceService/Export call's message counted as the
// protobuf body is, answered with an empty message and grpc-status 0.
// `node otlp-receiver.js <port> [<grpc port>]`; prints one JSON line when listening; `GET /stats`
// (HTTP/1.1 on the first port) answers {"requests":…,"spans":…,"bytes":…} since the start.
const { createServer } = require("node:http");
const http2 = require("node:http2");

const port = Number(process.argv[2]);
const grpcPort = process.argv[3] === undefined ? null : Number(process.argv[3]);
if (!Number.isInteger(port) || port <= 0 || (grpcPort !== null && (!Number.isInteger(grpcPort) || grpcPort <= 0))) {
  process.stderr.write("usage: node otlp-receiver.js <port> [<grpc port>]\n");
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

/** A varint at `at`: [value, next offset]. */
function varint(buffer, at) {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = buffer[at++];
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return [value, at];
    scale *= 128;
  }
}

/** Calls `each(start, end)` for every length-delimited field `wanted` of the message in [start, end). */
function eachField(buffer, start, end, wanted, each) {
  let at = start;
  while (at < end) {
    let key;
    [key, at] = varint(buffer, at);
    const type = key & 7;
    if (type === 0) [, at] = varint(buffer, at);
    else if (type === 1) at += 8;
    else if (type === 5) at += 4;
    else if (type === 2) {
      let size;
      [size, at] = varint(buffer, at);
      if (key >>> 3 === wanted) each(at, at + size);
      at += size;
    } else throw new Error(`wire type ${type}`);
  }
}

/** Spans in an ExportTraceServiceRequest: resource_spans (1) → scope_spans (2) → spans (2). */
function protobufSpans(body) {
  let spans = 0;
  eachField(body, 0, body.length, 1, (rs, re) => eachField(body, rs, re, 2, (ss, se) => eachField(body, ss, se, 2, () => spans++)));
  return spans;
}

const server = createServer((req, res) => {
  if (req.method === "POST" && req.headers["content-type"] === "application/x-protobuf") {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      stats.requests++;
      stats.spans += protobufSpans(body);
      stats.bytes += body.length;
      // An empty ExportTraceServiceResponse.
      res.writeHead(200, { "content-type": "application/x-protobuf", "content-length": "0" });
      res.end();
    });
    return;
  }
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
const EMPTY_MESSAGE = Buffer.from([0, 0, 0, 0, 0]);
const grpcServer = grpcPort === null ? null : http2.createServer();
grpcServer?.on("stream", (stream) => {
  const chunks = [];
  stream.on("data", (chunk) => chunks.push(chunk));
  stream.on("end", () => {
    const body = Buffer.concat(chunks);
    stats.requests++;
    // One length-prefixed message: a compressed-flag byte and a 4-byte length.
    stats.spans += protobufSpans(body.subarray(5, 5 + body.readUInt32BE(1)));
    stats.bytes += body.length;
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(EMPTY_MESSAGE);
  });
  stream.on("error", () => undefined);
});
grpcServer?.on("error", (error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});

server.listen(port, "127.0.0.1", () => {
  if (grpcServer === null) process.stdout.write(`${JSON.stringify({ msg: "otlp receiver listening", port })}\n`);
  else grpcServer.listen(grpcPort, "127.0.0.1", () => process.stdout.write(`${JSON.stringify({ msg: "otlp receiver listening", port, grpcPort })}\n`));
});
server.on("error", (error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
