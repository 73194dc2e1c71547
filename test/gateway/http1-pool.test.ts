/**
 * The gateway's upstream client (Http1Pool, on Node's native llhttp) against real servers:
 * raw TCP servers that answer byte for byte what a test needs (odd framings, early closes,
 * informational answers, broken HTTP) and real node:http and TLS servers.
 */
import { once } from "node:events";
import { type IncomingMessage, createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { type AddressInfo, type Server, type Socket, createServer } from "node:net";
import { PassThrough } from "node:stream";
import fc from "fast-check";
import { Http1Pool, type Http1PoolOptions, type UpstreamRequest, UpstreamClientError, nativeParser, requestHead } from "../../gateway-image/src/upstream/http1-pool";
import { type ConnectionPool } from "../../gateway-image/src/upstream/http1-pool";
import { PoolRegistry, defaultUpstreamClient } from "../../gateway-image/src/upstream/pool-registry";
import { TestPki, opensslAvailable } from "../helpers/certificates";

const OPTIONS: Http1PoolOptions = { connections: 8, connectTimeoutMs: 2_000, ca: null, keepAliveTimeoutMs: 30_000 };

interface Answer {
  status: number;
  headers: string[];
  body: string;
  error: UpstreamClientError | Error | null;
}

function send(pool: ConnectionPool, request: Partial<UpstreamRequest> = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const answer: Answer = { status: 0, headers: [], body: "", error: null };
    const chunks: Buffer[] = [];
    pool.dispatch(
      { method: "GET", path: "/", headers: {}, body: null, headersTimeout: 0, bodyTimeout: 0, ...request },
      {
        onConnect() {},
        onHeaders(status, raw) {
          answer.status = status;
          answer.headers = raw.map(String);
          return true;
        },
        onData(chunk) {
          chunks.push(chunk);
          return true;
        },
        onComplete() {
          answer.body = Buffer.concat(chunks).toString();
          resolve(answer);
        },
        onError(error) {
          answer.body = Buffer.concat(chunks).toString();
          answer.error = error;
          resolve(answer);
        },
      },
    );
  });
}

/** A TCP server that reads each request head (and declared body) and lets the test answer. */
class RawServer {
  readonly server: Server;
  readonly sockets: Socket[] = [];
  readonly received: string[] = [];
  /** Sockets the client closed first. */
  readonly closedByClient = new Set<Socket>();

  constructor(private readonly answer: (socket: Socket, request: string, index: number) => void) {
    this.server = createServer((socket) => {
      this.sockets.push(socket);
      let buffered = "";
      socket.on("data", (data) => {
        buffered += data.toString("latin1");
        for (;;) {
          const end = buffered.indexOf("\r\n\r\n");
          if (end < 0) return;
          const head = buffered.slice(0, end + 4);
          const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
          if (buffered.length < end + 4 + length) return;
          const request = buffered.slice(0, end + 4 + length);
          buffered = buffered.slice(end + 4 + length);
          this.received.push(request);
          this.answer(socket, request, this.received.length - 1);
        }
      });
      socket.on("end", () => this.closedByClient.add(socket));
      socket.on("error", () => {});
    });
  }

  async listen(): Promise<string> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
  }
}

const OK = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

let pools: Http1Pool[] = [];
let servers: Array<{ close(): void }> = [];
function pool(origin: string, options: Partial<Http1PoolOptions> = {}): Http1Pool {
  const created = new Http1Pool(origin, { ...OPTIONS, ...options }, nativeParser!);
  pools.push(created);
  return created;
}
async function raw(answer: (socket: Socket, request: string, index: number) => void): Promise<{ server: RawServer; url: string }> {
  const server = new RawServer(answer);
  servers.push(server);
  return { server, url: await server.listen() };
}

afterEach(async () => {
  await Promise.all(pools.map((each) => each.close()));
  for (const server of servers) server.close();
  pools = [];
  servers = [];
});

describe("Http1Pool", () => {
  it("is available on this Node (the gateway otherwise falls back to undici)", () => {
    expect(nativeParser).not.toBeNull();
  });

  it("keeps connections alive and reuses them; a Connection: close answer is not reused", async () => {
    const { server, url } = await raw((socket, request) => {
      socket.write(request.includes("/close") ? "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok" : OK);
    });
    const upstream = pool(url);
    for (let index = 0; index < 3; index++) expect(await send(upstream)).toMatchObject({ status: 200, body: "ok", error: null });
    expect(server.sockets).toHaveLength(1);
    expect(await send(upstream, { path: "/close" })).toMatchObject({ status: 200, body: "ok" });
    expect(await send(upstream)).toMatchObject({ status: 200, body: "ok" });
    expect(server.sockets).toHaveLength(2);
  });

  it("sends the request line, the headers as given, a Host when none was given and the framing it decides", async () => {
    const { server, url } = await raw((socket) => socket.write(OK));
    const upstream = pool(url);
    await send(upstream, { method: "POST", path: "/a?b=1", headers: { "x-one": "1", "x-list": ["a", "b"], "content-length": "99", "transfer-encoding": "chunked", skipped: undefined }, body: Buffer.from("hello") });
    const port = new URL(url).port;
    expect(server.received[0]).toBe(`POST /a?b=1 HTTP/1.1\r\nx-one: 1\r\nx-list: a\r\nx-list: b\r\nhost: 127.0.0.1:${port}\r\ncontent-length: 5\r\n\r\nhello`);
    await send(upstream, { method: "POST", headers: { host: "api.example" } });
    expect(server.received[1]).toBe("POST / HTTP/1.1\r\nhost: api.example\r\ncontent-length: 0\r\n\r\n");
  });

  it("refuses header values and names that would inject into the request, sending nothing", async () => {
    const { server, url } = await raw((socket) => socket.write(OK));
    const upstream = pool(url);
    const injected = await send(upstream, { headers: { "x-evil": "a\r\nx-injected: 1" } });
    expect(injected.error).toBeInstanceOf(UpstreamClientError);
    expect((injected.error as UpstreamClientError).code).toBe("UND_ERR_INVALID_ARG");
    const badName = await send(upstream, { headers: { "x bad": "1" } });
    expect((badName.error as UpstreamClientError).code).toBe("UND_ERR_INVALID_ARG");
    expect(server.received).toHaveLength(0);
    expect(await send(upstream)).toMatchObject({ status: 200 });
  });

  it("any valid header set arrives at a real node:http server exactly as given (property)", async () => {
    let last: IncomingMessage | null = null;
    const httpServer = createHttpServer((req, res) => {
      last = req;
      res.end("ok");
    });
    servers.push(httpServer);
    httpServer.listen(0, "127.0.0.1");
    await once(httpServer, "listening");
    const upstream = pool(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`);
    const name = fc.stringMatching(/^x-[a-z0-9!#$%&'*+.^_`|~-]{1,20}$/);
    const value = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e\t]{0,40}[\x21-\x7e])?$/);
    await fc.assert(
      fc.asyncProperty(fc.dictionary(name, value, { maxKeys: 12 }), async (headers) => {
        const answer = await send(upstream, { headers });
        expect(answer.status).toBe(200);
        for (const [key, sent] of Object.entries(headers)) expect(last!.headers[key]).toBe(sent);
      }),
      { numRuns: 60 },
    );
  });

  it("reads any split of a chunked or Content-Length answer into the same body (property)", async () => {
    const plan: { pieces: string[] } = { pieces: [] };
    const { url } = await raw((socket) => {
      socket.setNoDelay(true);
      const pieces = plan.pieces;
      let index = 0;
      const next = () => {
        if (index < pieces.length) socket.write(pieces[index++]!, () => setImmediate(next));
      };
      next();
    });
    const upstream = pool(url);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ minLength: 1, maxLength: 30 }), { maxLength: 6 }), fc.boolean(), fc.array(fc.nat(200), { maxLength: 5 }), async (parts, chunked, cuts) => {
        const body = parts.join("");
        const wire = chunked
          ? `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${parts.map((part) => `${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`).join("")}0\r\n\r\n`
          : `HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
        const bytes = Buffer.from(wire);
        const points = [...new Set(cuts.map((cut) => cut % bytes.length))].sort((a, b) => a - b);
        const pieces: string[] = [];
        let from = 0;
        for (const point of [...points, bytes.length]) {
          if (point > from) pieces.push(bytes.subarray(from, point).toString("latin1"));
          from = point;
        }
        plan.pieces = pieces.map((piece) => piece);
        const answer = await send(upstream);
        expect(answer.error).toBeNull();
        expect(Buffer.from(answer.body).equals(Buffer.from(body))).toBe(true);
      }),
      { numRuns: 80 },
    );
  });

  it("stops reading while the handler is paused, without counting the pause as upstream silence", async () => {
    const { url } = await raw((socket) => {
      socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2097152\r\n\r\n");
      for (let index = 0; index < 32; index++) socket.write(Buffer.alloc(65_536, 97 + (index % 26)));
    });
    let received = 0;
    let paused = false;
    const done = await new Promise<Error | null>((resolve) => {
      pool(url).dispatch(
        { method: "GET", path: "/", headers: {}, body: null, headersTimeout: 1_000, bodyTimeout: 60 },
        {
          onConnect() {},
          onHeaders(_status, _raw, resume) {
            // Pause after the first chunk for longer than the body timeout.
            this.resume = resume;
            return true;
          },
          onData(chunk: Buffer) {
            received += chunk.length;
            if (paused) return true;
            paused = true;
            setTimeout(() => (this as unknown as { resume: () => void }).resume(), 200);
            return false;
          },
          onComplete() {
            resolve(null);
          },
          onError(error) {
            resolve(error);
          },
        } as Parameters<Http1Pool["dispatch"]>[1] & { resume?: () => void },
      );
    });
    expect(done).toBeNull();
    expect(received).toBe(2_097_152);
  });

  it("reads an answer framed by the connection's end", async () => {
    const { url } = await raw((socket) => socket.end("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end"));
    expect(await send(pool(url))).toMatchObject({ status: 200, body: "until the end", error: null });
  });

  it("delivers every header of an answer with more than the parser hands over at once (32)", async () => {
    const many = Array.from({ length: 80 }, (_, index) => `x-h${index}: v${index}\r\n`).join("");
    const { url } = await raw((socket) => socket.write(`HTTP/1.1 200 OK\r\n${many}content-length: 2\r\n\r\nok`));
    const answer = await send(pool(url));
    expect(answer).toMatchObject({ status: 200, body: "ok", error: null });
    expect(answer.headers).toHaveLength(162);
    expect(answer.headers.slice(0, 2)).toEqual(["x-h0", "v0"]);
    expect(answer.headers.slice(158)).toEqual(["x-h79", "v79", "content-length", "2"]);
  });

  it("answers to HEAD have no body whatever Content-Length says, and the connection is reused", async () => {
    const { server, url } = await raw((socket, request) => socket.write(request.startsWith("HEAD") ? "HTTP/1.1 200 OK\r\ncontent-length: 1234\r\n\r\n" : OK));
    const upstream = pool(url);
    expect(await send(upstream, { method: "HEAD" })).toMatchObject({ status: 200, body: "", error: null });
    expect(await send(upstream)).toMatchObject({ status: 200, body: "ok" });
    expect(server.sockets).toHaveLength(1);
  });

  it("skips informational answers (100, 103) and delivers the final one", async () => {
    const { url } = await raw((socket) => socket.write(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n${OK}`));
    const answer = await send(pool(url));
    expect(answer).toMatchObject({ status: 200, body: "ok", error: null });
    expect(answer.headers).toEqual(["content-length", "2"]);
  });

  it("an answer that is not valid HTTP fails with the parser's code and the connection is dropped", async () => {
    const { server, url } = await raw((socket, _request, index) => socket.write(index === 0 ? "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nok" : OK));
    const upstream = pool(url);
    const answer = await send(upstream);
    expect((answer.error as UpstreamClientError).code).toMatch(/^HPE_/);
    expect(await send(upstream)).toMatchObject({ status: 200 });
    expect(server.sockets).toHaveLength(2);
  });

  it("times out waiting for the head, and on a silent body", async () => {
    const { url } = await raw((socket, request) => {
      if (request.includes("/slow-body")) socket.write("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc");
    });
    const upstream = pool(url);
    const started = performance.now();
    const head = await send(upstream, { headersTimeout: 150 });
    expect((head.error as UpstreamClientError).code).toBe("UND_ERR_HEADERS_TIMEOUT");
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    const body = await send(upstream, { path: "/slow-body", headersTimeout: 1000, bodyTimeout: 150 });
    expect(body.status).toBe(200);
    expect(body.body).toBe("abc");
    expect((body.error as UpstreamClientError).code).toBe("UND_ERR_BODY_TIMEOUT");
  });

  it("a connection the upstream closes while idle is not used again", async () => {
    const { server, url } = await raw((socket) => {
      socket.write(OK);
      setTimeout(() => socket.end(), 20);
    });
    const upstream = pool(url);
    expect(await send(upstream)).toMatchObject({ status: 200 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await send(upstream)).toMatchObject({ status: 200, error: null });
    expect(server.sockets).toHaveLength(2);
  });

  it("a connection torn down while idle (the idle sweep, a FIN) is never handed out, even before its 'close'", async () => {
    const { server, url } = await raw((socket) => socket.write(OK));
    const upstream = pool(url);
    expect(await send(upstream)).toMatchObject({ status: 200 });
    // What the idle sweep does, then a request in the same tick, before the socket's 'close'.
    const idle = (upstream as unknown as { idle: Array<{ destroy(): void }> }).idle;
    expect(idle).toHaveLength(1);
    idle[0]!.destroy();
    expect(await send(upstream)).toMatchObject({ status: 200, body: "ok", error: null });
    expect(server.sockets).toHaveLength(2);
  });

  it("an upstream cut mid-body fails the exchange after its head", async () => {
    const { url } = await raw((socket) => socket.end("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc"));
    const answer = await send(pool(url));
    expect(answer.status).toBe(200);
    expect(answer.error).not.toBeNull();
  });

  it("closes idle connections before the upstream's announced Keep-Alive timeout, and after its own", async () => {
    const hinted = await raw((socket) => socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nkeep-alive: timeout=1\r\n\r\nok"));
    const plain = await raw((socket) => socket.write(OK));
    await send(pool(hinted.url));
    await send(pool(plain.url, { keepAliveTimeoutMs: 300 }));
    const long = await raw((socket) => socket.write(OK));
    await send(pool(long.url));
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect(hinted.server.closedByClient.size).toBe(1);
    expect(plain.server.closedByClient.size).toBe(1);
    expect(long.server.closedByClient.size).toBe(0);
  });

  it("queues beyond its connections and serves every request in turn", async () => {
    const { server, url } = await raw((socket, request) => setTimeout(() => socket.write(`HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n${/GET \/(\d)/.exec(request)![1]}`), 5));
    const upstream = pool(url, { connections: 2 });
    const answers = await Promise.all([0, 1, 2, 3, 4, 5].map((index) => send(upstream, { path: `/${index}` })));
    expect(answers.map((answer) => answer.body)).toEqual(["0", "1", "2", "3", "4", "5"]);
    expect(server.sockets).toHaveLength(2);
  });

  it("streams a request body: as is with a Content-Length, chunked without one", async () => {
    const { server, url } = await raw((socket) => socket.write(OK));
    const upstream = pool(url);
    const withLength = Object.assign(new PassThrough(), { headers: { "content-length": "11" } }) as unknown as IncomingMessage;
    const sent = send(upstream, { method: "PUT", body: withLength });
    (withLength as unknown as PassThrough).write("hello ");
    setTimeout(() => (withLength as unknown as PassThrough).end("world"), 10);
    expect(await sent).toMatchObject({ status: 200, error: null });
    expect(server.received[0]).toMatch(/content-length: 11\r\n\r\nhello world$/);

    const chunkedServer = createHttpServer((req, res) => {
      const parts: Buffer[] = [];
      req.on("data", (part: Buffer) => parts.push(part));
      req.on("end", () => res.end(`${req.headers["transfer-encoding"]}:${Buffer.concat(parts).toString()}`));
    });
    servers.push(chunkedServer);
    chunkedServer.listen(0, "127.0.0.1");
    await once(chunkedServer, "listening");
    const noLength = Object.assign(new PassThrough(), { headers: {} }) as unknown as IncomingMessage;
    const streamed = send(pool(`http://127.0.0.1:${(chunkedServer.address() as AddressInfo).port}`), { method: "POST", body: noLength });
    (noLength as unknown as PassThrough).write("a");
    (noLength as unknown as PassThrough).end("bc");
    expect(await streamed).toMatchObject({ status: 200, body: "chunked:abc" });
  });

  it("a client body that stops short of its Content-Length fails the exchange and drops the connection", async () => {
    const { url } = await raw(() => {});
    const short = Object.assign(new PassThrough(), { headers: { "content-length": "10" } }) as unknown as IncomingMessage;
    const sent = send(pool(url), { method: "PUT", body: short });
    (short as unknown as PassThrough).end("abc");
    expect(((await sent).error as UpstreamClientError).code).toBe("UND_ERR_REQ_CONTENT_LENGTH_MISMATCH");
  });

  it("an answer that comes before the request body has gone out completes, and that connection is not reused", async () => {
    const sockets: Socket[] = [];
    const early = createServer((socket) => {
      sockets.push(socket);
      let answered = false;
      socket.on("data", (data: Buffer) => {
        if (!answered && data.toString().startsWith("PUT")) {
          answered = true;
          socket.write("HTTP/1.1 413 Payload Too Large\r\ncontent-length: 3\r\n\r\nbig");
        } else if (data.toString().startsWith("GET")) socket.write(OK);
      });
      socket.on("error", () => {});
    });
    servers.push({ close: () => (sockets.forEach((socket) => socket.destroy()), early.close()) });
    early.listen(0, "127.0.0.1");
    await once(early, "listening");
    const upstream = pool(`http://127.0.0.1:${(early.address() as AddressInfo).port}`);
    const body = Object.assign(new PassThrough(), { headers: { "content-length": "6" } }) as unknown as IncomingMessage;
    const sent = send(upstream, { method: "PUT", body });
    (body as unknown as PassThrough).write("abc");
    expect(await sent).toMatchObject({ status: 413, body: "big", error: null });
    // The rest of the client's body goes nowhere, and nothing breaks.
    (body as unknown as PassThrough).end("def");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await send(upstream)).toMatchObject({ status: 200, body: "ok", error: null });
    expect(sockets).toHaveLength(2);
  });

  it("a refused connection fails with ECONNREFUSED", async () => {
    const { url } = await raw(() => {});
    servers[0]!.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(((await send(pool(url))).error as UpstreamClientError).code).toBe("ECONNREFUSED");
  });

  it("makes a parser only for a connection that connected: refused attempts leave none behind", async () => {
    // Each parser is a native object that V8 keeps past young collections; one per refused
    // attempt filled the old generation while an upstream was down (BENCHMARKS.md, fifteenth session).
    let made = 0;
    const Counting = class extends nativeParser! {
      constructor() {
        super();
        made++;
      }
    };
    const { url } = await raw((socket) => socket.write(OK));
    const refused = await raw(() => {});
    refused.server.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const down = new Http1Pool(refused.url, OPTIONS, Counting);
    const up = new Http1Pool(url, OPTIONS, Counting);
    pools.push(down, up);
    const failures = await Promise.all(Array.from({ length: 5 }, () => send(down)));
    expect(failures.map((answer) => (answer.error as UpstreamClientError).code)).toEqual(Array(5).fill("ECONNREFUSED"));
    expect(made).toBe(0);
    expect(await send(up)).toMatchObject({ status: 200, body: "ok", error: null });
    expect(await send(up)).toMatchObject({ status: 200, body: "ok", error: null });
    expect(made).toBe(1);
  });

  it("close() lets the exchange in flight finish", async () => {
    const { url } = await raw((socket) => setTimeout(() => socket.write(OK), 50));
    const upstream = pool(url);
    const answer = send(upstream);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await upstream.close();
    expect(await answer).toMatchObject({ status: 200, body: "ok" });
    expect(((await send(upstream)).error as UpstreamClientError).code).toBe("UND_ERR_CLOSED");
  });

  (opensslAvailable() ? it : it.skip)("speaks TLS to an https origin signed by a private CA, and refuses one it cannot verify", async () => {
    const pki = new TestPki();
    try {
      const ca = pki.root("upstream-ca");
      const leaf = ca.issue({ subject: "/CN=localhost", extendedKeyUsage: "serverAuth", altNames: "IP:127.0.0.1,DNS:localhost" });
      const httpsServer = createHttpsServer({ cert: leaf.cert, key: leaf.key }, (req, res) => res.end(`tls ${req.url}`));
      servers.push(httpsServer as unknown as HttpServer);
      httpsServer.listen(0, "127.0.0.1");
      await once(httpsServer, "listening");
      const origin = `https://localhost:${(httpsServer.address() as AddressInfo).port}`;
      const trusted = pool(origin, { ca: ca.cert });
      expect(await send(trusted, { path: "/x" })).toMatchObject({ status: 200, body: "tls /x", error: null });
      expect(await send(trusted, { path: "/y" })).toMatchObject({ status: 200, body: "tls /y", error: null });
      const untrusted = await send(pool(origin));
      expect(untrusted.error).not.toBeNull();
    } finally {
      pki.remove();
    }
  });
});

describe("requestHead", () => {
  it("chunks a streamed body without a length and leaves a bodiless GET unframed, whatever framing headers it was given", () => {
    const stream = { headers: {} } as unknown as IncomingMessage;
    expect(requestHead({ method: "POST", path: "/", headers: { host: "h" }, body: stream, headersTimeout: 0, bodyTimeout: 0 }, "x")).toBe("POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n");
    expect(requestHead({ method: "GET", path: "/", headers: { host: "h", "content-length": "5", "transfer-encoding": "chunked" }, body: null, headersTimeout: 0, bodyTimeout: 0 }, "x")).toBe("GET / HTTP/1.1\r\nhost: h\r\n\r\n");
  });

  it("sends a header whose name is a token and refuses any other, however often either was seen", () => {
    const name = fc.string({ unit: fc.constantFrom("a", "x", "-", "1", "_", " ", ":", "\r", "\n", "é", "("), minLength: 0, maxLength: 6 });
    fc.assert(
      fc.property(fc.array(name, { minLength: 1, maxLength: 8 }), (names) => {
        // Twice each: the second time the name may come from what was remembered.
        for (const header of [...names, ...names]) {
          const send = () => requestHead({ method: "GET", path: "/", headers: { [header]: "v" }, body: null, headersTimeout: 0, bodyTimeout: 0 }, "x");
          if (/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(header)) expect(send()).toContain(`${header}: v\r\n`);
          else expect(send).toThrow(UpstreamClientError);
        }
      }),
    );
  });

  it("sends a header value of tabs, spaces, visible ASCII and Latin-1 as it is and refuses any other: no value adds a line (property)", () => {
    const value = fc.oneof(fc.string({ unit: fc.constantFrom("a", " ", "\t", "\r", "\n", "\0", "\x7f", "é", "ÿ", "\u0100", "\u2028", ":"), maxLength: 10 }), fc.string({ unit: "binary", maxLength: 10 }));
    fc.assert(
      fc.property(value, fc.boolean(), (text, inList) => {
        const headers = { "x-v": inList ? ["ok", text] : text };
        const send = () => requestHead({ method: "GET", path: "/", headers, body: null, headersTimeout: 0, bodyTimeout: 0 }, "x");
        if (/^[\t\x20-\x7e\x80-\xff]*$/.test(text)) {
          expect(send().split("\r\n")).toEqual(["GET / HTTP/1.1", ...(inList ? ["x-v: ok"] : []), `x-v: ${text}`, "host: x", "", ""]);
        } else {
          expect(send).toThrow(UpstreamClientError);
        }
      }),
    );
  });

  it("refuses a request target with spaces or control characters", () => {
    for (const path of ["/a b", "/a\r\nx", "/\u0100"]) {
      expect(() => requestHead({ method: "GET", path, headers: {}, body: null, headersTimeout: 0, bodyTimeout: 0 }, "x")).toThrow(UpstreamClientError);
    }
  });
});

describe.each(["native", "undici"] as const)("the %s upstream client, as the gateway uses it", (kind) => {
  let registry: PoolRegistry;
  beforeEach(() => {
    registry = new PoolRegistry(kind);
  });
  afterEach(() => registry.closeAll());

  it("proxies a GET, a HEAD and a streamed POST on one kept-alive connection", async () => {
    const httpServer = createHttpServer((req, res) => {
      const parts: Buffer[] = [];
      req.on("data", (part: Buffer) => parts.push(part));
      req.on("end", () => {
        const text = `${req.method} ${req.url} ${Buffer.concat(parts).toString()}`;
        res.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(text), "x-seen": req.method! }).end(text);
      });
    });
    servers.push(httpServer);
    httpServer.listen(0, "127.0.0.1");
    await once(httpServer, "listening");
    let connections = 0;
    httpServer.on("connection", () => connections++);
    const upstream = registry.acquire(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`, { connections: 4, connectTimeoutMs: 1_000, ca: null });
    expect(await send(upstream, { path: "/a" })).toMatchObject({ status: 200, body: "GET /a ", error: null });
    const head = await send(upstream, { method: "HEAD", path: "/a" });
    expect(head).toMatchObject({ status: 200, body: "", error: null });
    expect(head.headers).toContain("HEAD");
    const stream = Object.assign(new PassThrough(), { headers: { "content-length": "3" } }) as unknown as IncomingMessage;
    const posted = send(upstream, { method: "POST", path: "/b", body: stream });
    (stream as unknown as PassThrough).end("abc");
    expect(await posted).toMatchObject({ status: 200, body: "POST /b abc", error: null });
    // undici may open a second connection for the streamed body (its own choice); the native pool reuses the one.
    expect(connections).toBeLessThanOrEqual(kind === "native" ? 1 : 2);
  });

  it("is the default unless TURNPIKE_UPSTREAM_CLIENT says undici", () => {
    expect(defaultUpstreamClient({ TURNPIKE_UPSTREAM_CLIENT: kind === "undici" ? "undici" : undefined })).toBe(kind);
  });
});
