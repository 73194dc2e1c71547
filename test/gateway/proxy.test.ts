/** The gateway as a proxy: routing, streaming, forwarding headers, hop-by-hop, errors as problem+json. */
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { Consumer, Credential, Plan, Product, Secret } from "../../constructs/index";
import { itemsApi, testPlatform } from "../helpers/declaration";
import { type RunningGateway, startGateway } from "../helpers/gateway";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

const KEY = "test-key-0123456789";
let upstream: TestUpstream;
let gateway: RunningGateway;
/** The same manifest on node:http's server (TURNPIKE_HTTP_SERVER=node). */
let fallback: RunningGateway;

beforeAll(async () => {
  upstream = await startUpstream((request, res) => {
    if (request.url.startsWith("/items/slow")) {
      setTimeout(() => res.writeHead(200, { "content-type": "text/plain" }).end("slow"), 3_000).unref();
      return;
    }
    if (request.url.startsWith("/items/big")) {
      res.writeHead(200, { "content-type": "application/octet-stream", connection: "close, x-internal", "x-internal": "secret", "keep-alive": "timeout=5" });
      for (let i = 0; i < 64; i++) res.write(Buffer.alloc(16_384, i));
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json", "set-cookie": ["a=1", "b=2"] });
    res.end(JSON.stringify(request));
  });
  const platform = testPlatform({ gateway: { trustedProxies: ["127.0.0.1"] } });
  const api = itemsApi(platform, "items", { upstream: { targets: [{ url: upstream.url }], timeoutMs: 1_000 } });
  const product = new Product(platform, "shop", { apis: [api], plans: [new Plan(platform, "free")] });
  new Consumer(platform, "app", { subscriptions: [{ product, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("APP_KEY") })] });
  gateway = await startGateway(platform, { env: { APP_KEY: KEY } });
  fallback = await startGateway({ manifest: gateway.manifest, json: readFileSync(gateway.manifestFile, "utf8") }, { env: { APP_KEY: KEY, TURNPIKE_HTTP_SERVER: "node" } });
});

afterAll(async () => {
  await fallback?.stop();
  await gateway?.stop();
  await upstream?.close();
});

const authed = { "x-api-key": KEY };

describe("proxying", () => {
  it("forwards to the upstream with the base path stripped, the query kept and the key removed", async () => {
    const response = await fetch(`${gateway.url}/items/v1/items/abc?limit=5&x=%20y`, { headers: authed });
    expect(response.status).toBe(200);
    const seen = (await response.json()) as { method: string; url: string; headers: Record<string, string> };
    expect(seen.method).toBe("GET");
    expect(seen.url).toBe("/items/abc?limit=5&x=%20y");
    expect(seen.headers["x-api-key"]).toBeUndefined();
    expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
  });

  it("sets X-Forwarded-*, Forwarded, Via and a request id, and passes the client's traceparent on as it came (tracing off)", async () => {
    const trace = "0af7651916cd43dd8448eb211c80319c";
    const response = await fetch(`${gateway.url}/items/v1/items`, {
      headers: { ...authed, traceparent: `00-${trace}-b7ad6b7169203331-01`, tracestate: "vendor=abc", "x-request-id": "req-123", "x-forwarded-for": "203.0.113.9" },
    });
    const seen = (await response.json()) as { headers: Record<string, string> };
    expect(seen.headers["x-forwarded-for"]).toBe("203.0.113.9, 127.0.0.1");
    expect(seen.headers["x-forwarded-proto"]).toBe("http");
    expect(seen.headers["x-forwarded-host"]).toBe(new URL(gateway.url).host);
    expect(seen.headers.forwarded).toBe(`for=127.0.0.1;proto=http;host="${new URL(gateway.url).host}"`);
    expect(seen.headers.via).toBe("1.1 turnpike");
    expect(seen.headers["x-request-id"]).toBe("req-123");
    // No tracer reports a span of the gateway's here, so it names none: the upstream's parent is the client's span.
    expect(seen.headers.traceparent).toBe(`00-${trace}-b7ad6b7169203331-01`);
    expect(seen.headers.tracestate).toBe("vendor=abc");
    expect(response.headers.get("x-request-id")).toBe("req-123");
    expect(response.headers.get("via")).toBe("1.1 turnpike");
  });

  it("passes on a valid trace of any version but ff, and starts a new one for an invalid traceparent (W3C Trace Context)", async () => {
    const trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    const upstreamTrace = async (traceparent: string) => {
      const response = await fetch(`${gateway.url}/items/v1/health`, { headers: { traceparent } });
      return ((await response.json()) as { headers: Record<string, string> }).headers.traceparent;
    };
    expect(await upstreamTrace(`00-${trace}-00f067aa0ba902b7-01`)).toBe(`00-${trace}-00f067aa0ba902b7-01`);
    // A later version, with a field version 00 does not have: valid, and passed on unchanged.
    expect(await upstreamTrace(`01-${trace}-00f067aa0ba902b7-01-what-comes-next`)).toBe(`01-${trace}-00f067aa0ba902b7-01-what-comes-next`);
    for (const invalid of [`ff-${trace}-00f067aa0ba902b7-01`, `00-${trace}-0000000000000000-01`, `00-${"0".repeat(32)}-00f067aa0ba902b7-01`, `00-${trace}-00f067aa0ba902b7-01-extra`, `00-${trace.toUpperCase()}-00f067aa0ba902b7-01`]) {
      const forwarded = await upstreamTrace(invalid);
      expect({ invalid, forwarded }).toEqual({ invalid, forwarded: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/) });
      expect(forwarded).not.toContain(trace);
    }
  });

  it("never forwards a client-asserted certificate (RFC 9440 headers only the gateway sets)", async () => {
    const response = await fetch(`${gateway.url}/items/v1/health`, { headers: { "client-cert": ":AAAA:", "client-cert-chain": ":BBBB:" } });
    const seen = (await response.json()) as { headers: Record<string, string> };
    expect(seen.headers["client-cert"]).toBeUndefined();
    expect(seen.headers["client-cert-chain"]).toBeUndefined();
  });

  it("generates a request id and a new trace when the client sends none", async () => {
    const response = await fetch(`${gateway.url}/items/v1/items`, { headers: authed });
    const seen = (await response.json()) as { headers: Record<string, string> };
    expect(seen.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(response.headers.get("x-request-id")).toBe(seen.headers["x-request-id"]);
  });

  it("streams large responses and drops hop-by-hop headers, including those named in Connection", async () => {
    const response = await fetch(`${gateway.url}/items/v1/items/big`, { headers: authed });
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.length).toBe(64 * 16_384);
    expect(body[16_384 * 63]).toBe(63);
    expect(response.headers.get("x-internal")).toBeNull();
    expect(response.headers.get("keep-alive")).not.toBe("timeout=5");
  });

  it("streams request bodies upstream", async () => {
    const body = JSON.stringify({ name: "x".repeat(100_000) });
    const response = await fetch(`${gateway.url}/items/v1/items`, { method: "POST", headers: { ...authed, "content-type": "application/json", "idempotency-key": "k1" }, body });
    const seen = (await response.json()) as { body: string; headers: Record<string, string> };
    expect(seen.body).toBe(body);
    expect(seen.headers["content-length"]).toBe(String(body.length));
  });

  it("answers Expect: 100-continue itself and forwards the body without the expectation", async () => {
    const body = JSON.stringify({ name: "expecting" });
    const socket = connect(Number(new URL(gateway.url).port), "127.0.0.1");
    let received = "";
    let sentBody = false;
    socket.on("data", (data: Buffer) => {
      received += data.toString();
      if (received.startsWith("HTTP/1.1 100 Continue\r\n\r\n") && !sentBody) {
        sentBody = true;
        socket.write(body);
      }
    });
    socket.write(`POST /items/v1/items HTTP/1.1\r\nhost: gw\r\nx-api-key: ${KEY}\r\ncontent-type: application/json\r\nidempotency-key: k2\r\ncontent-length: ${body.length}\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n`);
    await new Promise((resolve) => socket.on("close", resolve));
    const final = received.slice(received.indexOf("\r\n\r\n") + 4);
    expect(final).toMatch(/^HTTP\/1\.1 200 /);
    let rest = final.slice(final.indexOf("\r\n\r\n") + 4);
    let payload = "";
    // The answer is chunked: de-chunk it.
    for (let size = parseInt(rest, 16); size > 0; size = parseInt(rest, 16)) {
      const start = rest.indexOf("\r\n") + 2;
      payload += rest.slice(start, start + size);
      rest = rest.slice(start + size + 2);
    }
    const seen = JSON.parse(payload) as { body: string; headers: Record<string, string> };
    expect(seen.body).toBe(body);
    expect(seen.headers.expect).toBeUndefined();
  });

  it("answers HEAD through the GET operation", async () => {
    const response = await fetch(`${gateway.url}/items/v1/items`, { method: "HEAD", headers: authed });
    expect(response.status).toBe(200);
    expect(upstream.requests.at(-1)!.method).toBe("HEAD");
  });
});

describe("errors are problem+json and the gateway keeps serving", () => {
  it("404 for a path no API serves", async () => {
    const response = await fetch(`${gateway.url}/nowhere`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await response.json()).toEqual({ type: "https://turnpike.dev/problems/not-found", title: "Not found", status: 404, detail: "no API serves GET /nowhere" });
  });

  it("405 with Allow for a method the path does not serve, 204 with Allow for OPTIONS", async () => {
    const response = await fetch(`${gateway.url}/items/v1/items`, { method: "PUT", headers: authed });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD, OPTIONS, POST");
    const options = await fetch(`${gateway.url}/items/v1/items`, { method: "OPTIONS" });
    expect([options.status, options.headers.get("allow")]).toEqual([204, "GET, HEAD, OPTIONS, POST"]);
  });

  it("504 when the upstream does not answer within the timeout", async () => {
    const started = Date.now();
    const response = await fetch(`${gateway.url}/items/v1/items/slow`, { headers: authed });
    expect(response.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(((await response.json()) as { type: string }).type).toBe("https://turnpike.dev/problems/gateway-timeout");
  });

  it("rejects ambiguous framing (Content-Length with Transfer-Encoding) with 400 without reaching the upstream", async () => {
    const before = upstream.requests.length;
    const answer = await rawRequest(`POST /items/v1/items HTTP/1.1\r\nHost: x\r\nx-api-key: ${KEY}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain("application/problem+json");
    expect(upstream.requests.length).toBe(before);
  });

  it("rejects invalid header bytes with 400 and over-long headers with 431", async () => {
    expect(await rawRequest("GET /items/v1/items HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 /);
    expect(await rawRequest(`GET /items/v1/items HTTP/1.1\r\nHost: x\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
    const response = await fetch(`${gateway.url}/items/v1/items`, { headers: authed });
    expect(response.status).toBe(200);
  });

  it("rejects two Host fields and a Host that is not host[:port] with 400, before any upstream (RFC 9112 §3.2)", async () => {
    const before = upstream.requests.length;
    for (const target of [gateway, fallback]) {
      for (const hosts of ["Host: api.example\r\nHost: evil.example", "Host: api.example\r\nhost: api.example", "Host: evil.example/x?", 'Host: a";for=x']) {
        const answer = await rawRequest(`GET /items/v1/health HTTP/1.1\r\n${hosts}\r\n\r\n`, target);
        expect({ hosts, answer: answer.split("\r\n")[0] }).toEqual({ hosts, answer: "HTTP/1.1 400 Bad Request" });
        expect(answer).toContain("application/problem+json");
      }
      for (const host of ["api.example:8443", "[::1]:8080", "127.0.0.1"]) {
        expect(await rawRequest(`GET /items/v1/health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, target)).toMatch(/^HTTP\/1\.1 200 /);
      }
    }
    expect(upstream.requests.length).toBe(before + 6);
  });
});

describe("on node:http's server (TURNPIKE_HTTP_SERVER=node, the fallback where Node lacks the parser binding)", () => {

  it("says so in its listening line, proxies, answers HEAD, and rejects malformed requests the same way", async () => {
    expect(fallback.logs.find((line) => line.msg === "gateway listening")).toMatchObject({ httpServer: "node" });
    expect(gateway.logs.find((line) => line.msg === "gateway listening")).toMatchObject({ httpServer: "native" });
    const response = await fetch(`${fallback.url}/items/v1/items/42?x=1`, { headers: authed });
    expect(response.status).toBe(200);
    expect(JSON.parse(await response.text())).toMatchObject({ method: "GET", url: "/items/42?x=1" });
    expect((await fetch(`${fallback.url}/items/v1/items/42`, { method: "HEAD", headers: authed })).status).toBe(200);
    const before = upstream.requests.length;
    const ambiguous = await rawRequest(`POST /items/v1/items HTTP/1.1\r\nHost: x\r\nx-api-key: ${KEY}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, fallback);
    expect(ambiguous).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(ambiguous).toContain("application/problem+json");
    expect(await rawRequest(`GET /items/v1/items HTTP/1.1\r\nHost: x\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`, fallback)).toMatch(/^HTTP\/1\.1 431 /);
    expect(upstream.requests.length).toBe(before);
  });
});

function rawRequest(text: string, target: RunningGateway = gateway): Promise<string> {
  const { port } = new URL(target.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () => socket.write(text));
    let answer = "";
    socket.on("data", (chunk) => (answer += chunk.toString()));
    socket.on("end", () => resolve(answer));
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
    socket.setTimeout(3_000, () => socket.destroy());
  });
}
