// The floor for a Node gateway on this machine: node:http + undici Pool.dispatch, streaming,
// nothing else (no routing, no forwarding headers, no policies, no logs). Used beside the
// gateway benchmark to measure how far Turnpike is above it (BENCHMARKS.md).
//   node cli/bench/minimal-proxy.js <port> <upstream origin>
"use strict";
const http = require("node:http");
const { Pool } = require("undici");

const [port, upstream] = [Number(process.argv[2]), process.argv[3]];
const pool = new Pool(upstream, { connections: 128, pipelining: 1 });
http
  .createServer((req, res) => {
    const headers = { ...req.headers };
    delete headers.connection;
    delete headers.host;
    pool.dispatch(
      { method: req.method, path: req.url, headers, body: null },
      {
        onConnect() {},
        onError() {
          res.statusCode = 502;
          res.end();
        },
        onHeaders(status, raw) {
          const out = {};
          for (let i = 0; i < raw.length; i += 2) {
            const name = raw[i].toString().toLowerCase();
            if (name !== "connection" && name !== "keep-alive") out[name] = raw[i + 1].toString();
          }
          res.writeHead(status, out);
          return true;
        },
        onData(chunk) {
          return res.write(chunk);
        },
        onComplete() {
          res.end();
        },
      },
    );
  })
  .listen(port, "127.0.0.1");
process.on("SIGINT", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
