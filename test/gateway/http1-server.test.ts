/**
 * The data plane's HTTP/1.1 server (Http1Server, on Node's native llhttp) over real sockets:
 * raw TCP clients writing exact bytes (pipelining, malformed input, half-close, timeouts,
 * slow readers) and real clients (undici, node:https) for ordinary exchanges; request headers
 * compared with what node:http makes of the same bytes.
 */
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer as createNodeServer, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import * as net from "node:net";
import fc from "fast-check";
import { Agent, request } from "undici";
import { nativeServerParser } from "../../gateway-image/src/http/native-parser";
import { Http1Server, type Http1ServerOptions } from "../../gateway-image/src/http/server/http1-server";
import { requestHeaders } from "../../gateway-image/src/http/server/request-headers";
import type { ServerRequest } from "../../gateway-image/src/http/server/server-request";
import type { ServerResponse } from "../../gateway-image/src/http/server/server-response";
import { TestPki, opensslAvailable } from "../helpers/certificates";

const DEFAULTS: Http1ServerOptions = { maxHeaderBytes: 16_384, headersTimeoutMs: 30_000, requestTimeoutMs: 300_000, keepAliveTimeoutMs: 65_000, sweepIntervalMs: 1_000 };
const FAST: Partial<Http1ServerOptions> = { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 400, sweepIntervalMs: 50 };

type Handler = (req: ServerRequest, res: ServerResponse) => void;

const servers: Http1Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(() => resolve(undefined)));
  }
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Asserts `floor <= ms < ceiling`. */
const expectWithin = (ms: number, floor: number, ceiling: number) => expect([ms, ms >= floor && ms < ceiling]).toEqual([ms, true]);

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A server on an ephemeral port; its client-error callback answers as the gateway does and records the codes. */
async function start(handler: Handler, options: Partial<Http1ServerOptions> = {}) {
  const clientErrors: string[] = [];
  let handled = 0;
  const onRequest: Handler = (req, res) => void (handled++, handler(req, res));
  const server = new Http1Server(nativeServerParser!, { ...DEFAULTS, ...options }, onRequest, (error, socket) => {
    const code = error.code ?? "unknown";
    clientErrors.push(code);
    const status = code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : code === "ERR_HTTP_REQUEST_TIMEOUT" ? "408 Request Timeout" : "400 Bad Request";
    if (!socket.writable) return void socket.destroy();
    socket.once("finish", () => socket.destroy());
    socket.end(`HTTP/1.1 ${status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listener.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.listener.address() as net.AddressInfo).port;
  return { server, port, url: `http://127.0.0.1:${port}`, clientErrors, handled: () => handled };
}

/** A raw TCP client: writes exact bytes, keeps everything received (latin1), knows when the server closed. */
class RawClient {
  readonly socket: net.Socket;
  text = "";
  closedAt: number | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(port: number) {
    this.socket = net.connect(port, "127.0.0.1").setNoDelay(true);
    this.socket.on("data", (chunk: Buffer) => ((this.text += chunk.toString("latin1")), this.notify()));
    this.socket.on("error", () => {});
    this.socket.on("close", () => ((this.closedAt = Date.now()), this.notify()));
  }

  write(data: string | Buffer): this {
    this.socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
    return this;
  }

  /** True once `predicate` holds; false if the socket closed first or on timeout. */
  until(predicate: (client: RawClient) => boolean, timeoutMs = 3_000): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => (predicate(this) ? done(true) : this.closedAt !== null ? done(false) : undefined);
      const done = (value: boolean) => (clearTimeout(timer), this.waiters.delete(check), resolve(value));
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Waits for `count` complete final responses and returns all parsed. */
  async responses(count: number, methods: readonly string[] = []): Promise<Parsed[]> {
    const complete = (c: RawClient) => {
      try {
        return parseResponses(c.text, methods).filter((r) => r.status >= 200).length >= count;
      } catch {
        return false;
      }
    };
    await this.until(complete);
    return parseResponses(this.text, methods);
  }

  /** Whether the server closed the connection within `timeoutMs`. */
  closes(timeoutMs = 3_000): Promise<boolean> {
    return this.until((c) => c.closedAt !== null, timeoutMs);
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Writes `bytes` on a new connection; returns the client once the server has closed it (or after `timeoutMs`). */
async function exchange(port: number, bytes: string | Buffer, timeoutMs = 3_000): Promise<RawClient> {
  const client = new RawClient(port).write(bytes);
  await client.closes(timeoutMs);
  return client;
}

type Parsed = { status: number; headers: Record<string, string>; body: string };

/** Parses a stream of responses; HEAD answers, 1xx, 204 and 304 have no body; no length means close-delimited. Throws on anything incomplete. */
function parseResponses(text: string, methods: readonly string[] = []): Parsed[] {
  const out: Parsed[] = [];
  let pos = 0;
  let finals = 0;
  while (pos < text.length) {
    const end = text.indexOf("\r\n\r\n", pos);
    if (end < 0) throw new Error(`incomplete head: ${JSON.stringify(text.slice(pos, pos + 200))}`);
    const [statusLine, ...lines] = text.slice(pos, end).split("\r\n");
    const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine!)?.[1] ?? NaN);
    if (Number.isNaN(status)) throw new Error(`bad status line: ${JSON.stringify(statusLine)}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const name = line.slice(0, line.indexOf(":")).toLowerCase();
      const value = line.slice(line.indexOf(":") + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    pos = end + 4;
    let body = "";
    const method = status >= 200 ? (methods[finals++] ?? "GET") : "HEAD";
    if (method === "HEAD" || status === 204 || status === 304) {
      // no body
    } else if (headers["transfer-encoding"] === "chunked") {
      for (let size = -1; size !== 0; ) {
        const lineEnd = text.indexOf("\r\n", pos);
        size = parseInt(text.slice(pos, lineEnd), 16);
        if (lineEnd < 0 || Number.isNaN(size)) throw new Error("bad or incomplete chunk size line");
        pos = lineEnd + 2;
        if (text.slice(pos + size, pos + size + 2) !== "\r\n") throw new Error("incomplete chunk, or no CRLF after it");
        body += text.slice(pos, pos + size);
        pos += size + 2;
      }
    } else if (headers["content-length"] !== undefined) {
      const length = Number(headers["content-length"]);
      if (pos + length > text.length) throw new Error("incomplete body");
      body = text.slice(pos, (pos += length));
    } else {
      body = text.slice(pos);
      pos = text.length;
    }
    out.push({ status, headers, body });
  }
  return out;
}

async function readAll(req: ServerRequest): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const GET = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
const CLOSE = "Connection: close\r\n";
const digest = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

describe("Http1Server", () => {
  test("answers a GET from undici with the handler's status, headers and body, and shows the request as node:http would", async () => {
    expect(nativeServerParser).not.toBeNull();
    let seen: Record<string, unknown> = {};
    const { url } = await start((req, res) => {
      seen = { method: req.method, url: req.url, headers: req.headers, httpVersion: req.httpVersion, remoteAddress: req.socket.remoteAddress };
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "x-answer": "42", "x-multi": ["a", "b"] }).end("hello there");
    });
    const agent = new Agent({ connections: 1 });
    try {
      const { statusCode, headers, body } = await request(`${url}/things/1?x=1&y=two`, { dispatcher: agent, headers: { "X-Custom": "v", accept: "text/plain" } });
      expect(statusCode).toBe(200);
      expect(headers).toMatchObject({ "content-type": "text/plain; charset=utf-8", "x-answer": "42", "x-multi": ["a", "b"], "content-length": "11" });
      expect(await body.text()).toBe("hello there");
    } finally {
      await agent.close();
    }
    expect(seen).toMatchObject({ method: "GET", url: "/things/1?x=1&y=two", httpVersion: "1.1", remoteAddress: "127.0.0.1" });
    expect(seen.headers).toMatchObject({ host: expect.stringMatching(/^127\.0\.0\.1:\d+$/), "x-custom": "v", accept: "text/plain" });
  });

  test("a head and a body of known length leave in one write of one buffer, at once; a body over 16 KiB is written beside the head, not copied", async () => {
    const writes: { bytes: number; buffer: boolean; corked: number }[][] = [];
    const big = Buffer.alloc(20 * 1024, "b");
    const { port } = await start((req, res) => {
      const socket = req.socket;
      const mine: { bytes: number; buffer: boolean; corked: number }[] = [];
      writes.push(mine);
      const write = socket.write;
      socket.write = function (this: net.Socket, data: string | Uint8Array, ...rest: unknown[]) {
        mine.push({ bytes: Buffer.byteLength(data), buffer: Buffer.isBuffer(data), corked: this.writableCorked });
        return (write as (...args: unknown[]) => boolean).call(this, data, ...rest);
      } as typeof socket.write;
      const body = req.url === "/big" ? big : Buffer.from("hello");
      res.writeHead(200, { "content-length": body.length, "content-type": "text/plain" });
      res.write(body);
      res.end();
      socket.write = write;
    });
    const small = await exchange(port, "GET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const [answer] = parseResponses(small.text);
    expect(answer).toMatchObject({ status: 200, body: "hello" });
    expect(writes[0]).toEqual([{ bytes: small.text.length, buffer: true, corked: 0 }]);
    const large = await exchange(port, "GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(parseResponses(large.text)[0]!.body).toBe(big.toString());
    expect(writes[1]).toHaveLength(2);
    expect(writes[1]![1]).toEqual({ bytes: big.length, buffer: true, corked: 1 });
  });

  test("writeHead refuses a header value that could split the head, sends nothing of it, and the handler can still answer (property)", async () => {
    let value: string | string[] = "";
    let refusal: unknown = null;
    const { port } = await start((_req, res) => {
      refusal = null;
      try {
        res.writeHead(200, { "x-v": value, "content-length": "2" });
      } catch (error) {
        refusal = error;
        res.writeHead(500, { "content-length": "0" }).end();
        return;
      }
      res.end("ok");
    });
    const text = fc.oneof(fc.string({ unit: fc.constantFrom("a", " ", "\t", "\r", "\n", "\0", "é", "ÿ", "\u0100", ":"), maxLength: 8 }), fc.constantFrom("a\r\nx-admin: yes", "a\nx-admin: yes", "a\rb"));
    await fc.assert(
      fc.asyncProperty(text, fc.boolean(), async (item, inList) => {
        value = inList ? ["ok", item] : item;
        const client = await exchange(port, GET("/", CLOSE));
        const head = client.text.slice(0, client.text.indexOf("\r\n\r\n"));
        const lines = head.split("\r\n").slice(1).map((line) => line.slice(0, line.indexOf(":")).toLowerCase());
        if (/^[\t\x20-\x7e\x80-\xff]*$/.test(item)) {
          expect(refusal).toBeNull();
          expect(head.split("\r\n")[0]).toBe("HTTP/1.1 200 OK");
          expect(lines.sort()).toEqual([...(inList ? ["x-v"] : []), "x-v", "content-length", "date", "connection"].sort());
          expect(head).toContain(`\r\nx-v: ${item}\r\n`);
        } else {
          expect(refusal).toBeInstanceOf(TypeError);
          expect(head.split("\r\n")[0]).toBe("HTTP/1.1 500 Internal Server Error");
          expect(lines).not.toContain("x-v");
          expect(lines).not.toContain("x-admin");
        }
      }),
      { numRuns: 60 },
    );
  });

  test("merges repeated request headers as node:http does", async () => {
    let headers: IncomingHttpHeaders = {};
    const { port } = await start((req, res) => ((headers = req.headers), res.end()));
    // (Two Host fields are not merged but refused: see "malformed requests".)
    const head = ["Host: first", "X-Custom: 1", "x-custom: 2", "Cookie: a=1", "cookie: b=2", "Authorization: one", "authorization: two", "Content-Type: text/a", "content-type: text/b", "Set-Cookie: s=1", "set-cookie: s=2", "Connection: close"];
    await exchange(port, `GET / HTTP/1.1\r\n${head.join("\r\n")}\r\n\r\n`);
    expect(headers).toEqual({ host: "first", "x-custom": "1, 2", cookie: "a=1; b=2", authorization: "one", "content-type": "text/a", "set-cookie": ["s=1", "s=2"], connection: "close" });
  });

  test("requestHeaders() and the server's req.headers equal node:http's req.headers for the same raw header list (property)", async () => {
    let nodeHeaders: IncomingHttpHeaders = {};
    const nodeServer = createNodeServer((req, res) => ((nodeHeaders = { ...req.headers }), res.end()));
    await new Promise<void>((resolve) => nodeServer.listen(0, "127.0.0.1", () => resolve()));
    const nodePort = (nodeServer.address() as net.AddressInfo).port;
    let ourHeaders: IncomingHttpHeaders = {};
    const { port } = await start((req, res) => ((ourHeaders = { ...req.headers }), res.end()));
    const names = ["host", "Host", "cookie", "set-cookie", "authorization", "x-a", "X-A", "accept", "content-type"];
    const header = fc.tuple(fc.constantFrom(...names), fc.stringMatching(/^[A-Za-z0-9=._~-]{1,8}$/));
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(header, { maxLength: 8 }), async (random) => {
          const list: Array<[string, string]> = [["Host", "h0"], ...random, ["Connection", "close"]];
          const bytes = `GET / HTTP/1.1\r\n${list.map(([n, v]) => `${n}: ${v}\r\n`).join("")}\r\n`;
          // node:http keeps the first of several Host fields; this server refuses them (RFC 9112 §3.2).
          const hosts = list.filter(([name]) => name.toLowerCase() === "host").length;
          expect((await exchange(nodePort, bytes)).text).toMatch(/^HTTP\/1\.1 200 /);
          expect((await exchange(port, bytes)).text).toMatch(hosts > 1 ? /^HTTP\/1\.1 400 / : /^HTTP\/1\.1 200 /);
          expect({ ...requestHeaders(list.flat()) }).toEqual(nodeHeaders);
          if (hosts === 1) expect(ourHeaders).toEqual(nodeHeaders);
        }),
        { numRuns: 30 },
      );
    } finally {
      await new Promise((resolve) => nodeServer.close(resolve));
    }
  });

  test("a head with 40 headers arriving in pieces (URL split too) reaches the handler whole, within headersTimeoutMs", async () => {
    let seen: { url?: string; headers?: IncomingHttpHeaders } = {};
    const { port } = await start((req, res) => ((seen = { url: req.url, headers: req.headers }), res.end("patient")), FAST);
    const many = Array.from({ length: 40 }, (_, i) => `X-H${i}: v${i}\r\n`).join("");
    const client = new RawClient(port).write("GET /a-long-pa");
    for (const piece of [`th?q=1 HTTP/1.1\r\nHost: x\r\n${many.slice(0, 150)}`, many.slice(150, 400), `${many.slice(400)}${CLOSE}\r\n`]) {
      await sleep(60);
      client.write(piece);
    }
    expect(await client.closes()).toBe(true);
    expect(parseResponses(client.text)[0]!.body).toBe("patient");
    expect(seen.url).toBe("/a-long-path?q=1");
    expect(Object.keys(seen.headers!)).toHaveLength(42);
    expect(seen.headers).toMatchObject({ host: "x", "x-h0": "v0", "x-h20": "v20", "x-h39": "v39", connection: "close" });
  });

  describe("response framing", () => {
    test("a body given whole to end() gets a Content-Length; write()s get chunked framing; a Date header is always there", async () => {
      const { port } = await start((req, res) => {
        if (req.url === "/whole") return void res.end("hello");
        if (req.url === "/hex") return void res.end("68c3a9", "hex");
        res.write("a");
        res.write("b");
        res.end();
      });
      const client = new RawClient(port).write(GET("/whole") + GET("/hex") + GET("/parts", CLOSE));
      const [whole, hex, parts] = await client.responses(3);
      // The length of the bytes the encoding gives, not of the text.
      expect(hex).toMatchObject({ body: "h\xc3\xa9", headers: { "content-length": "3" } });
      expect(whole).toMatchObject({ body: "hello", headers: { "content-length": "5", connection: "keep-alive", "keep-alive": "timeout=65" } });
      expect(whole!.headers["transfer-encoding"]).toBeUndefined();
      expect(parts).toMatchObject({ body: "ab", headers: { "transfer-encoding": "chunked", connection: "close" } });
      expect(parts!.headers["content-length"]).toBeUndefined();
      for (const response of [whole!, parts!]) expect(response.headers.date).toMatch(/^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/);
      expect(await client.closes()).toBe(true);
    });

    test("a HEAD answer has the handler's headers but no body, and the connection serves a GET after it", async () => {
      const { port } = await start((req, res) => res.writeHead(200, { "content-length": 5, "x-method": req.method }).end("hello"));
      const client = new RawClient(port).write(`HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n`);
      const [head] = await client.responses(1, ["HEAD"]);
      expect(head).toMatchObject({ status: 200, body: "", headers: { "content-length": "5", "x-method": "HEAD" } });
      await sleep(30);
      expect(client.text).toMatch(/\r\n\r\n$/);
      client.write(GET("/g", CLOSE));
      expect(await client.closes()).toBe(true);
      expect(parseResponses(client.text, ["HEAD", "GET"])[1]).toMatchObject({ status: 200, body: "hello", headers: { "x-method": "GET" } });
    });

    test("204 and 304 answers carry no body and no framing headers, even when the handler gives one", async () => {
      const { port } = await start((req, res) => {
        if (req.url === "/204") return void res.writeHead(204, { "x-k": "v" }).end("must not appear");
        if (req.url === "/after") return void res.end("after");
        res.writeHead(304, { etag: '"1"' }).write("nor this");
        res.end();
      });
      const client = await exchange(port, GET("/204") + GET("/304") + GET("/after", CLOSE));
      const responses = parseResponses(client.text);
      expect(responses.map((r) => [r.status, r.body])).toEqual([[204, ""], [304, ""], [200, "after"]]);
      for (const r of responses.slice(0, 2)) expect([r.headers["content-length"], r.headers["transfer-encoding"]]).toEqual([undefined, undefined]);
      expect(client.text).not.toMatch(/must not appear|nor this/);
    });

    test("an HTTP/1.0 request gets Connection: close, a close-delimited body without chunked framing, and the socket closes", async () => {
      const { port } = await start((_req, res) => {
        res.writeHead(200, { "content-type": "text/plain" }).write("a");
        res.end("bc");
      });
      const client = await exchange(port, "GET /old HTTP/1.0\r\n\r\n");
      expect(client.closedAt).not.toBeNull();
      const [response] = parseResponses(client.text);
      expect(response).toMatchObject({ body: "abc", headers: { connection: "close" } });
      expect([response!.headers["content-length"], response!.headers["transfer-encoding"]]).toEqual([undefined, undefined]);
    });
  });

  describe("response header validation", () => {
    test.each([
      ["a CR LF in a value", { "x-bad": "a\r\nInjected: 1" }],
      ["a space in a name", { "bad name": "x" }],
      ["a LF in an array item", { "x-bad": ["ok", "b\nInjected: 1"] }],
    ])("writeHead with %s throws synchronously, sends nothing, and the handler can still answer 500", async (_label, bad) => {
      const errors: string[] = [];
      const { port } = await start((_req, res) => {
        try {
          res.writeHead(200, bad);
        } catch (error) {
          errors.push((error as Error).name);
        }
        res.writeHead(500, { "x-recovered": "yes" }).end("recovered");
      });
      const client = await exchange(port, GET("/", CLOSE));
      expect(errors).toEqual(["TypeError"]);
      expect(parseResponses(client.text)).toEqual([expect.objectContaining({ status: 500, body: "recovered", headers: expect.objectContaining({ "x-recovered": "yes" }) })]);
      expect(client.text).not.toMatch(/Injected|bad name/i);
    });

    test("setHeader with a CR LF in a value is refused (as node:http refuses it) and the handler can still answer 500", async () => {
      const outcome: string[] = [];
      const { port } = await start((_req, res) => {
        try {
          res.setHeader("x-bad", "a\r\nInjected: 1");
          res.writeHead(200).end("should not be sent");
        } catch {
          try {
            res.writeHead(500, { "x-recovered": "yes" }).end("recovered");
          } catch (again) {
            outcome.push(`the 500 threw too: ${(again as Error).message}`);
            res.destroy();
          }
        }
      });
      const client = await exchange(port, GET("/", CLOSE));
      expect(outcome).toEqual([]);
      expect(parseResponses(client.text)).toEqual([expect.objectContaining({ status: 500, body: "recovered" })]);
      expect(client.text).not.toMatch(/Injected/);
    });
  });

  describe("keep-alive", () => {
    test("sequential undici requests share one connection", async () => {
      const { url } = await start((req, res) => res.end(String(req.socket.remotePort)));
      const agent = new Agent({ connections: 1 });
      try {
        const ports: string[] = [];
        for (let i = 0; i < 4; i++) {
          const { statusCode, headers, body } = await request(`${url}/${i}`, { dispatcher: agent });
          expect([statusCode, headers.connection]).toEqual([200, "keep-alive"]);
          ports.push(await body.text());
        }
        expect(new Set(ports).size).toBe(1);
      } finally {
        await agent.close();
      }
    });

    test("a client's Connection: close is answered with Connection: close, then the server closes and processes nothing more", async () => {
      const { port, handled } = await start((_req, res) => setTimeout(() => res.end("only"), 10));
      const client = await exchange(port, GET("/1", CLOSE) + GET("/2"));
      expect(client.closedAt).not.toBeNull();
      expect(parseResponses(client.text)).toEqual([expect.objectContaining({ status: 200, body: "only", headers: expect.objectContaining({ connection: "close" }) })]);
      expect(handled()).toBe(1);
    });

    test("res.setHeader('connection', 'close') makes the answer say Connection: close and the socket close after it", async () => {
      const { port, handled } = await start((_req, res) => {
        res.setHeader("connection", "close");
        res.writeHead(200, { "x-k": "v" }).end("bye");
      });
      const client = await exchange(port, GET("/1") + GET("/2"));
      expect(client.closedAt).not.toBeNull();
      expect(parseResponses(client.text)).toEqual([expect.objectContaining({ status: 200, body: "bye", headers: expect.objectContaining({ connection: "close", "x-k": "v" }) })]);
      expect(handled()).toBe(1);
    });

    test("an Upgrade request is answered as a plain request and is the connection's last: what follows its head is not parsed as HTTP", async () => {
      const { port, handled } = await start((req, res) => res.end(`plain ${req.url}`));
      const client = await exchange(port, GET("/ws", "Connection: Upgrade\r\nUpgrade: websocket\r\n") + GET("/smuggled"));
      expect(parseResponses(client.text)).toEqual([expect.objectContaining({ status: 200, body: "plain /ws", headers: expect.objectContaining({ connection: "close" }) })]);
      expect(handled()).toBe(1);
    });
  });

  describe("pipelining", () => {
    test("three requests in one write, answered out of order by the handler, come back in request order", async () => {
      const { port } = await start((req, res) => (req.url === "/1" ? setTimeout(() => res.end("one"), 50) : res.end(req.url === "/2" ? "two" : "three")));
      const client = await exchange(port, GET("/1") + GET("/2") + GET("/3", CLOSE));
      expect(parseResponses(client.text).map((r) => r.body)).toEqual(["one", "two", "three"]);
    });

    test("twenty pipelined requests (more than are parsed ahead) are all answered, in order", async () => {
      const { port } = await start((req, res) => {
        const n = Number(req.url!.slice(1));
        setTimeout(() => res.end(`r${n}`), (20 - n) * 3);
      });
      const client = await exchange(port, Array.from({ length: 20 }, (_, i) => GET(`/${i}`, i === 19 ? CLOSE : "")).join(""));
      expect(parseResponses(client.text).map((r) => r.body)).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`));
    });

    test("a POST whose large body the handler never reads is dumped, and the GET pipelined behind it is answered", async () => {
      // Answered once the unread body has filled the request's buffer (reading paused), then dumped.
      const { port } = await start((req, res) => (req.method === "POST" ? setTimeout(() => res.end("post ignored"), 30) : res.end(`get ${req.url}`)));
      const body = "x".repeat(200_000);
      const client = await exchange(port, `POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}${GET("/g", CLOSE)}`);
      expect(parseResponses(client.text).map((r) => [r.status, r.body])).toEqual([[200, "post ignored"], [200, "get /g"]]);
    });
  });

  describe("request bodies", () => {
    const echo: Handler = (req, res) => void readAll(req).then((body) => res.end(`${req.method} ${body.length} ${digest(body)}`));

    test("a Content-Length body from undici and a chunked body from a raw client reach the handler whole", async () => {
      const { url, port } = await start(echo);
      const { body } = await request(`${url}/u`, { method: "POST", body: "payload from undici" });
      expect(await body.text()).toBe(`POST 19 ${digest("payload from undici")}`);
      const client = await exchange(port, `POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n${CLOSE}\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`);
      expect(parseResponses(client.text)[0]!.body).toBe(`POST 11 ${digest("hello world")}`);
    });

    test("a 1 MiB body sent in 64 KiB pieces arrives intact", async () => {
      const { port } = await start(echo);
      const payload = randomBytes(1024 * 1024);
      const client = new RawClient(port).write(`POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: ${payload.length}\r\n${CLOSE}\r\n`);
      for (let offset = 0; offset < payload.length; offset += 65_536) {
        client.write(payload.subarray(offset, offset + 65_536));
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(await client.closes()).toBe(true);
      expect(parseResponses(client.text)[0]!.body).toBe(`POST ${payload.length} ${digest(payload)}`);
    });

    test("a request without a body ends: 'end' fires after resume(), at once or later, and for-await finishes", async () => {
      const { port } = await start((req, res) => {
        const listen = () => (req.on("end", () => res.end(`ended ${req.url}`)), req.resume());
        if (req.url === "/now") listen();
        else if (req.url === "/later") setTimeout(listen, 20);
        else void readAll(req).then((body) => res.end(`iterated ${body.length}`));
      });
      const client = await exchange(port, GET("/now") + GET("/later") + GET("/iterate", CLOSE));
      expect(parseResponses(client.text).map((r) => r.body)).toEqual(["ended /now", "ended /later", "iterated 0"]);
    });
  });

  describe("Expect", () => {
    test("Expect: 100-continue gets 100 Continue before the final answer, and the body then reaches the handler", async () => {
      const { port } = await start((req, res) => void readAll(req).then((body) => res.end(`got ${body}`)));
      const client = new RawClient(port).write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n${CLOSE}\r\n`);
      expect(await client.until((c) => c.text.includes("\r\n\r\n"))).toBe(true);
      expect(client.text).toBe("HTTP/1.1 100 Continue\r\n\r\n");
      client.write("hello");
      expect(await client.closes()).toBe(true);
      expect(parseResponses(client.text).map((r) => [r.status, r.body])).toEqual([[100, ""], [200, "got hello"]]);
    });

    test("any other expectation is answered 417 without calling the handler", async () => {
      const { port, handled } = await start((_req, res) => res.end("no"));
      const client = await exchange(port, GET("/", "Expect: something-else\r\n"));
      expect(client.closedAt).not.toBeNull();
      expect(parseResponses(client.text).map((r) => r.status)).toEqual([417]);
      expect(handled()).toBe(0);
    });
  });

  describe("malformed requests", () => {
    test.each([
      ["both Content-Length and Transfer-Encoding", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, /^HPE_(UNEXPECTED_CONTENT_LENGTH|INVALID_TRANSFER_ENCODING)$/],
      ["two different Content-Length values", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400, /^HPE_UNEXPECTED_CONTENT_LENGTH$/],
      ["an invalid byte in a header name", "GET / HTTP/1.1\r\nHost: x\r\nX-B\x01d: 1\r\n\r\n", 400, /^HPE_INVALID_HEADER_TOKEN$/],
      ["a header section larger than maxHeaderBytes", `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`, 431, /^HPE_HEADER_OVERFLOW$/],
      ["an HTTP/1.1 request without Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400, /^HPE_MISSING_HOST$/],
      ["a request with two Host fields (RFC 9112 §3.2)", "GET / HTTP/1.1\r\nHost: api.example\r\nHOST: evil.example\r\n\r\n", 400, /^HPE_INVALID_HOST$/],
      ["an HTTP/1.0 request with two Host fields", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", 400, /^HPE_INVALID_HOST$/],
      ["a Host that is not host[:port]", "GET / HTTP/1.1\r\nHost: evil.example/x?\r\n\r\n", 400, /^HPE_INVALID_HOST$/],
      ["a Host with a quote", 'GET / HTTP/1.1\r\nHost: a";for=1\r\n\r\n', 400, /^HPE_INVALID_HOST$/],
    ])("%s never reaches the handler and goes to the client-error callback", async (_label, bytes, status, code) => {
      const { server, port, clientErrors, handled } = await start((_req, res) => res.end("should not"));
      const client = await exchange(port, bytes);
      expect(client.closedAt).not.toBeNull();
      expect(parseResponses(client.text).map((r) => r.status)).toEqual([status]);
      expect(clientErrors).toEqual([expect.stringMatching(code)]);
      expect(handled()).toBe(0);
      await sleep(20);
      expect(server.connectionCount).toBe(0);
    });

    test("garbage pipelined after a valid request: the valid one is answered first, then the error answer, then close", async () => {
      const { port, clientErrors, handled } = await start((_req, res) => setTimeout(() => res.end("valid"), 30));
      const client = await exchange(port, `${GET("/ok")}GARBAGE\x01 / HTTP/1.1\r\n\r\n`);
      expect(client.closedAt).not.toBeNull();
      expect(parseResponses(client.text).map((r) => [r.status, r.body])).toEqual([[200, "valid"], [400, ""]]);
      expect(handled()).toBe(1);
      expect(clientErrors).toEqual([expect.stringMatching(/^HPE_/)]);
    });
  });

  describe("timeouts", () => {
    test("half a head and nothing more: 408 after headersTimeoutMs, then close", async () => {
      const { server, port, clientErrors } = await start(() => {}, FAST);
      const client = new RawClient(port).write("GET / HTTP/1.1\r\nHost: x\r\n");
      const sentAt = Date.now();
      expect(await client.closes()).toBe(true);
      expectWithin(client.closedAt! - sentAt, 280, 1_500);
      expect(client.text).toMatch(/^HTTP\/1\.1 408 /);
      expect(clientErrors).toEqual(["ERR_HTTP_REQUEST_TIMEOUT"]);
      expect(server.connectionCount).toBe(0);
    });

    test("a POST whose body stops after 2 of 10 bytes is timed out after requestTimeoutMs: 408 and close, as node:http does", async () => {
      const events: string[] = [];
      const { server, port, clientErrors } = await start((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => res.end(Buffer.concat(chunks)));
        req.on("close", () => events.push("req close"));
      }, FAST);
      const client = new RawClient(port).write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab");
      const sentAt = Date.now();
      expect(await client.closes(2_500)).toBe(true);
      expectWithin(client.closedAt! - sentAt, 550, 1_500);
      expect(client.text).toMatch(/^HTTP\/1\.1 408 /);
      expect(clientErrors).toEqual(["ERR_HTTP_REQUEST_TIMEOUT"]);
      expect(events).toEqual(["req close"]);
      expect(server.connectionCount).toBe(0);
    });

    test("an idle keep-alive connection is closed after keepAliveTimeoutMs, one in use is not", async () => {
      const { server, port } = await start((_req, res) => res.end("ok"), FAST);
      const idle = new RawClient(port).write(GET("/"));
      await idle.responses(1);
      const answeredAt = Date.now();
      const busy = new RawClient(port);
      for (let i = 0; i < 4; i++) {
        busy.write(GET(`/${i}`));
        await busy.responses(i + 1);
        await sleep(200);
      }
      expect(busy.closedAt).toBeNull();
      expect(await idle.closes(2_000)).toBe(true);
      expectWithin(idle.closedAt! - answeredAt, 350, 1_500);
      expect(await busy.closes(2_000)).toBe(true);
      await sleep(20);
      expect(server.connectionCount).toBe(0);
    });

    test("a connection that never sends a byte is closed after headersTimeoutMs", async () => {
      const { server, port, handled } = await start(() => {}, FAST);
      const client = new RawClient(port);
      await new Promise((resolve) => client.socket.once("connect", resolve));
      const connectedAt = Date.now();
      expect(await client.closes()).toBe(true);
      expectWithin(client.closedAt! - connectedAt, 250, 1_500);
      expect(handled()).toBe(0);
      expect(server.connectionCount).toBe(0);
    });
  });

  test("a client that half-closes after its request still gets the whole answer, then the server closes", async () => {
    const { server, port } = await start((_req, res) => setTimeout(() => res.writeHead(200, { "x-late": "1" }).end("late answer"), 50));
    const client = new RawClient(port).write(GET("/"));
    client.socket.end();
    expect(await client.closes()).toBe(true);
    expect(parseResponses(client.text)).toEqual([expect.objectContaining({ status: 200, body: "late answer", headers: expect.objectContaining({ "x-late": "1" }) })]);
    await sleep(20);
    expect(server.connectionCount).toBe(0);
  });

  test("backpressure: 8 MiB written in 64 KiB chunks honouring write() and 'drain' reaches a slow reader whole and in order", async () => {
    const CHUNK = 64 * 1024;
    const COUNT = 128;
    const block = (i: number) => Buffer.alloc(CHUNK, i % 251);
    let blocked = 0;
    const { port } = await start((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      let i = 0;
      const pump = () => {
        while (i < COUNT) {
          if (!res.write(block(i++))) return void (blocked++, res.once("drain", pump));
        }
        res.end();
      };
      pump();
    });
    const client = new RawClient(port);
    client.socket.pause();
    client.write(GET("/", CLOSE));
    await sleep(200);
    client.socket.resume();
    expect(await client.closes(10_000)).toBe(true);
    const [response] = parseResponses(client.text);
    expect(response!.headers["transfer-encoding"]).toBe("chunked");
    const body = Buffer.from(response!.body, "latin1");
    expect(body.length).toBe(CHUNK * COUNT);
    expect(body.equals(Buffer.concat(Array.from({ length: COUNT }, (_, i) => block(i))))).toBe(true);
    expect(blocked).toBeGreaterThan(0);
  });

  describe("shutdown", () => {
    test("closeIdleConnections() closes an idle connection but not one with a request in progress; close() then calls back", async () => {
      const slow = deferred<ServerResponse>();
      const { server, port } = await start((req, res) => (req.url === "/slow" ? slow.resolve(res) : res.end("quick")));
      const idle = new RawClient(port).write(GET("/quick"));
      await idle.responses(1);
      const busy = new RawClient(port).write(GET("/slow"));
      const res = await slow.promise;
      server.closeIdleConnections();
      expect(await idle.closes(1_000)).toBe(true);
      expect(await busy.closes(150)).toBe(false);
      res.end("slow done");
      expect((await busy.responses(1))[0]!.body).toBe("slow done");
      await new Promise<void>((resolve) => server.close(() => resolve()));
      expect(await busy.closes(1_000)).toBe(true);
      expect(server.connectionCount).toBe(0);
    });

    test("close() waits for a request in progress, which completes; the callback runs once its connection has gone (node:http: after keepAliveTimeout + 1 s)", async () => {
      const slow = deferred<ServerResponse>();
      const { server, port } = await start((_req, res) => slow.resolve(res), FAST);
      const busy = new RawClient(port).write(GET("/slow"));
      const res = await slow.promise;
      let called = false;
      const closed = new Promise<void>((resolve) => server.close(() => ((called = true), resolve())));
      await sleep(100);
      expect(called).toBe(false);
      res.end("finished while closing");
      expect((await busy.responses(1))[0]!.body).toBe("finished while closing");
      const result = await Promise.race([closed.then(() => "called back"), sleep(2_500).then(() => "still waiting")]);
      expect(result).toBe("called back");
      // The server destroyed its end; the client sees it a moment later.
      expect(await busy.closes(1_000)).toBe(true);
    });
  });

  describe("client going away", () => {
    test("mid-response: the response emits 'close' when the client resets, and when it closes while the handler keeps writing", async () => {
      const closed = [deferred(), deferred()];
      const { port } = await start((req, res) => {
        const i = req.url === "/reset" ? 0 : 1;
        res.on("close", () => closed[i]!.resolve());
        res.writeHead(200);
        res.write("partial");
        if (i === 0) return;
        const timer = setInterval(() => res.write("more"), 10);
        res.on("close", () => clearInterval(timer));
      });
      for (const [i, path] of ["/reset", "/fin"].entries()) {
        const client = new RawClient(port).write(GET(path));
        expect(await client.until((c) => c.text.includes("partial"))).toBe(true);
        if (i === 0) client.socket.resetAndDestroy();
        else client.socket.destroy();
        await closed[i]!.promise;
      }
    });

    test("mid-upload: req emits 'close', and 'error' (ECONNRESET) only where someone listens for it", async () => {
      const events: string[] = [];
      const gotData = [deferred(), deferred()];
      const closed = [deferred(), deferred()];
      const { port } = await start((req) => {
        const i = req.url === "/listening" ? 0 : 1;
        if (i === 0) req.on("error", (error: Error & { code?: string }) => events.push(`error ${error.code}`));
        req.on("data", () => gotData[i]!.resolve());
        req.on("close", () => (events.push(`close ${req.url} complete=${req.complete}`), closed[i]!.resolve()));
      });
      for (const [i, path] of ["/listening", "/silent"].entries()) {
        const client = new RawClient(port).write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789`);
        await gotData[i]!.promise;
        client.socket.destroy();
        await closed[i]!.promise;
      }
      await sleep(20);
      expect(events).toEqual(["error ECONNRESET", "close /listening complete=false", "close /silent complete=false"]);
    });
  });

  (opensslAvailable() ? test : test.skip)("serves over TLS: a POST from node:https gets its body echoed", async () => {
    const pki = new TestPki();
    try {
      const leaf = pki.root("server-ca").issue({ subject: "/CN=localhost", extendedKeyUsage: "serverAuth", altNames: "IP:127.0.0.1,DNS:localhost" });
      const encrypted = (req: ServerRequest) => String((req.socket as { encrypted?: boolean }).encrypted === true);
      const { port } = await start((req, res) => void readAll(req).then((body) => res.writeHead(201, { "x-tls": encrypted(req) }).end(`${req.method} ${req.url} ${body}`)), { tls: { cert: leaf.cert, key: leaf.key } });
      const req = httpsRequest({ host: "127.0.0.1", port, method: "POST", path: "/secure?q=1", rejectUnauthorized: false });
      req.write("over ");
      req.end("tls");
      const [res] = (await once(req, "response")) as [IncomingMessage];
      let body = "";
      for await (const chunk of res) body += chunk;
      expect({ status: res.statusCode, tls: res.headers["x-tls"], body }).toEqual({ status: 201, tls: "true", body: "POST /secure?q=1 over tls" });
    } finally {
      pki.remove();
    }
  });
});
