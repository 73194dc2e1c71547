// Floors for a Node proxy on this machine: a proxy that does nothing else, its server node:http
// or Node's native llhttp (the HTTPParser binding node:http runs on) on raw sockets, its client
// undici or the native parser; `node undici` is the classic node:http + undici floor.
// Not a gateway: GET only, no request bodies, no error handling, no timeouts; it measures what
// each HTTP layer costs.
//   node cli/bench/parser-level-proxy.js <server: node|raw> <client: undici|native> <port> <upstream origin>
"use strict";
const http = require("node:http");
const net = require("node:net");
const { Pool } = require("undici");
const { HTTPParser, methods } = require("node:_http_common");

const [serverKind, clientKind, port, upstream] = [process.argv[2], process.argv[3], Number(process.argv[4]), process.argv[5]];
const { kOnHeadersComplete, kOnBody, kOnMessageComplete, kOnExecute } = HTTPParser;
const HOP = new Set(["connection", "keep-alive", "transfer-encoding"]);

/** Keep-alive connections to the upstream, each with a native response parser on its handle. */
class NativePool {
  constructor(origin, max) {
    const url = new URL(origin);
    Object.assign(this, { host: url.hostname, port: Number(url.port), max, idle: [], count: 0, queue: [] });
  }
  request(head, handler) {
    const conn = this.idle.pop();
    if (conn) return conn.send(head, handler);
    if (this.count < this.max) {
      this.count++;
      return new NativeConnection(this).send(head, handler);
    }
    this.queue.push([head, handler]);
  }
  release(conn) {
    const next = this.queue.shift();
    if (next) conn.send(next[0], next[1]);
    else this.idle.push(conn);
  }
}
class NativeConnection {
  constructor(pool) {
    this.pool = pool;
    this.handler = null;
    const socket = (this.socket = net.connect({ host: pool.host, port: pool.port, noDelay: true }));
    const parser = new HTTPParser();
    parser.initialize(HTTPParser.RESPONSE, {}, 0, 0);
    parser[kOnHeadersComplete] = (_a, _b, headers, _m, _u, status) => (this.handler.onHeaders(status, headers), 0);
    parser[kOnBody] = (chunk) => this.handler.onData(chunk);
    parser[kOnMessageComplete] = () => {
      const handler = this.handler;
      this.handler = null;
      handler.onComplete();
      this.pool.release(this);
    };
    parser[kOnExecute] = (result) => typeof result === "object" && socket.destroy();
    socket.on("connect", () => parser.consume(socket._handle));
    socket.resume();
  }
  send(head, handler) {
    this.handler = handler;
    this.socket.write(head, "latin1");
  }
}

const undiciPool = clientKind === "undici" ? new Pool(upstream, { connections: 128, pipelining: 1 }) : null;
const nativePool = clientKind === "native" ? new NativePool(upstream, 128) : null;

/** Forwards (method, url, raw headers) and calls respond(status, raw headers, body chunks). */
function forward(method, url, rawHeaders, respond) {
  const chunks = [];
  let status = 0;
  let headers = null;
  if (nativePool) {
    let head = `${method} ${url} HTTP/1.1\r\n`;
    for (let i = 0; i < rawHeaders.length; i += 2) if (!HOP.has(rawHeaders[i].toLowerCase())) head += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
    nativePool.request(`${head}\r\n`, {
      onHeaders: (code, raw) => ((status = code), (headers = raw)),
      onData: (chunk) => chunks.push(chunk),
      onComplete: () => respond(status, headers, chunks),
    });
    return;
  }
  const out = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (!HOP.has(name) && name !== "host") out[name] = rawHeaders[i + 1];
  }
  undiciPool.dispatch(
    { method, path: url, headers: out, body: null },
    {
      onConnect() {},
      onError() {},
      onHeaders: (code, raw) => ((status = code), (headers = raw.map(String)), true),
      onData: (chunk) => (chunks.push(chunk), true),
      onComplete: () => respond(status, headers, chunks),
    },
  );
}

if (serverKind === "node") {
  http
    .createServer((req, res) => {
      forward(req.method, req.url, req.rawHeaders, (status, raw, chunks) => {
        const out = {};
        for (let i = 0; i < raw.length; i += 2) if (!HOP.has(raw[i].toLowerCase())) out[raw[i].toLowerCase()] = raw[i + 1];
        res.writeHead(status, out);
        for (const chunk of chunks) res.write(chunk);
        res.end();
      });
    })
    .listen(port, "127.0.0.1");
} else {
  net
    .createServer({ noDelay: true }, (socket) => {
      const parser = new HTTPParser();
      parser.initialize(HTTPParser.REQUEST, {}, 0, 0);
      let request = null;
      parser[kOnHeadersComplete] = (_a, _b, headers, method, url) => ((request = { method: methods[method], url, headers }), 0);
      parser[kOnBody] = () => {};
      parser[kOnMessageComplete] = () =>
        forward(request.method, request.url, request.headers, (status, raw, chunks) => {
          let head = `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n`;
          for (let i = 0; i < raw.length; i += 2) if (!HOP.has(raw[i].toLowerCase())) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
          socket.cork();
          socket.write(`${head}\r\n`, "latin1");
          for (const chunk of chunks) socket.write(chunk);
          socket.uncork();
        });
      parser[kOnExecute] = (result) => typeof result === "object" && socket.destroy();
      parser.consume(socket._handle);
      socket.on("error", () => {});
    })
    .listen(port, "127.0.0.1");
}
process.on("SIGINT", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
