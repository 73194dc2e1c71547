/**
 * apiKey, rateLimit, quota, cors, ipFilter, requestSizeLimit, lifecycle and transform through
 * the real gateway to a real upstream: what a client sees and what reaches the upstream.
 * (jwt, mtls, requestValidation, threatProtection and cache have suites of their own.)
 */
import { connect } from "node:net";
import { Api, Consumer, Credential, OpenApi, Plan, Product, Secret, apiKey, cors, ipFilter, quota, rateLimit, requestSizeLimit, transform } from "../../constructs/index";
import { itemsApi, itemsContract, testPlatform } from "../helpers/declaration";
import { type RunningGateway, startGateway } from "../helpers/gateway";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

const KEY_A = "key-a-0123456789abcdef";
const KEY_B = "key-b-0123456789abcdef";
const KEY_C = "key-of-carol-0123456789abcdef";
const QUIRKY_OPERATION = 'list "items"\r\nx-admin: yes, ünïcode';
let upstream: TestUpstream;
let gateway: RunningGateway;

beforeAll(async () => {
  upstream = await startUpstream();
  const platform = testPlatform({ gateway: { trustedProxies: ["127.0.0.1"] } });
  const target = { targets: [{ url: upstream.url }] };
  const items = itemsApi(platform, "items", {
    upstream: target,
    policies: [
      apiKey(),
      cors({ origins: ["https://shop.example"], exposedHeaders: ["x-request-id"] }),
      requestSizeLimit({ maxBodyBytes: 1_000 }),
      transform({ request: { headers: { set: { "x-gateway": "turnpike" }, remove: ["x-debug"] }, query: { set: { source: "gateway" }, remove: ["trace"] } }, response: { headers: { set: { "x-served-by": "turnpike" }, remove: ["x-powered-by"] } } }),
    ],
    operations: {
      listItems: { policies: [rateLimit({ requests: 3, perSeconds: 60 })] },
      getItem: { policies: [quota({ requests: 2, period: "day" })] },
    },
  });
  const guarded = itemsApi(platform, "guarded", { upstream: target, policies: [apiKey(), ipFilter({ deny: ["203.0.113.0/24", "2001:db8::/32"] })] });
  const successor = new Api(platform, "items-next", { name: "items", version: "2.0.0", contract: OpenApi.fromDocument(itemsContract()), upstream: target, policies: [apiKey()] });
  const old = new Api(platform, "legacy", { version: "1.9.0", lifecycle: "deprecated", deprecatedSince: "2026-01-15", sunset: "2027-06-30", successor, contract: OpenApi.fromDocument(itemsContract()), upstream: target, policies: [apiKey()] });
  const retired = new Api(platform, "ancient", { version: "0.9.0", lifecycle: "retired", successor, contract: OpenApi.fromDocument(itemsContract()), upstream: target, policies: [apiKey()] });
  // operationId is any string in OpenAPI: one with a quote, a line break and non-ASCII names a limit.
  const quirkyContract = itemsContract((document) => {
    ((document.paths as Record<string, Record<string, { operationId: string }>>)["/items"]!.get!).operationId = QUIRKY_OPERATION;
  });
  const quirky = itemsApi(platform, "quirky", { upstream: target, contract: OpenApi.fromDocument(quirkyContract), operations: { [QUIRKY_OPERATION]: { policies: [rateLimit({ requests: 5, perSeconds: 60 })] } } });
  const queryKeyContract = itemsContract((document) => {
    (document.components as { securitySchemes: Record<string, unknown> }).securitySchemes.ApiKeyAuth = { type: "apiKey", in: "query", name: "api_key" };
  });
  const queryKeyed = itemsApi(platform, "querykey", { upstream: target, contract: OpenApi.fromDocument(queryKeyContract), policies: [apiKey({ in: "query", name: "api_key" }), cors({ origins: ["*"] })] });
  const product = new Product(platform, "shop", { apis: [items, guarded, successor, old, retired, quirky, queryKeyed], plans: [new Plan(platform, "free")] });
  new Consumer(platform, "alice", { subscriptions: [{ product, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("KEY_A") })] });
  new Consumer(platform, "bob", { subscriptions: [{ product, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("KEY_B") })] });
  // A product of its own: only carol subscribes to it, and carol to nothing else.
  const partner = itemsApi(platform, "partner", { upstream: target, policies: [apiKey()] });
  const partners = new Product(platform, "partners", { apis: [partner], plans: [new Plan(platform, "partner-plan")] });
  new Consumer(platform, "carol", { subscriptions: [{ product: partners, plan: "partner-plan" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("KEY_C") })] });
  gateway = await startGateway(platform, { env: { KEY_A, KEY_B, KEY_C } });
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
});

type Seen = { method: string; url: string; headers: Record<string, string>; body: string };
const seen = () => upstream.requests.at(-1) as unknown as Seen;

describe("apiKey", () => {
  it("identifies the consumer and never forwards the key", async () => {
    const response = await fetch(`${gateway.url}/items/v1/items/1?x=1`, { headers: { "x-api-key": KEY_A } });
    expect(response.status).toBe(200);
    expect(seen().headers["x-api-key"]).toBeUndefined();
  });

  it("takes a key from the query, and forwards every other parameter as the client wrote it", async () => {
    const response = await fetch(`${gateway.url}/querykey/v1/items?q=a%20b&api_key=${KEY_A}&flag&tilde=~&plus=a+b&&x=%7e`);
    expect(response.status).toBe(200);
    expect(seen().url).toBe("/items?q=a%20b&flag&tilde=~&plus=a+b&&x=%7e");
    expect((await fetch(`${gateway.url}/querykey/v1/items?api_key=not-a-key`)).status).toBe(401);
    expect((await fetch(`${gateway.url}/querykey/v1/items`, { headers: { "x-api-key": KEY_A } })).status).toBe(401);
  });

  it("401 problem for a missing or unknown key, without reaching the upstream", async () => {
    const before = upstream.requests.length;
    const missing = await fetch(`${gateway.url}/items/v2/items`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
    const wrong = await fetch(`${gateway.url}/items/v2/items`, { headers: { "x-api-key": "not-a-key" } });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { detail: string }).detail).not.toContain("not-a-key");
    expect(upstream.requests.length).toBe(before);
  });
});

describe("subscriptions", () => {
  it("a valid key of a consumer not subscribed to the API gets 403, without reaching the upstream", async () => {
    const before = upstream.requests.length;
    const alice = await fetch(`${gateway.url}/partner/v1/items`, { headers: { "x-api-key": KEY_A } });
    expect(alice.status).toBe(403);
    expect(await alice.json()).toMatchObject({ type: "https://turnpike.dev/problems/forbidden", detail: "the consumer has no subscription to a product with this API (partner-v1)" });
    const carolElsewhere = await fetch(`${gateway.url}/items/v1/items`, { headers: { "x-api-key": KEY_C } });
    expect(carolElsewhere.status).toBe(403);
    expect(upstream.requests.length).toBe(before);
  });

  it("the subscribed consumer goes through, and an operation open to anonymous callers needs no subscription", async () => {
    expect((await fetch(`${gateway.url}/partner/v1/items`, { headers: { "x-api-key": KEY_C } })).status).toBe(200);
    expect((await fetch(`${gateway.url}/partner/v1/health`, { headers: { "x-api-key": KEY_A } })).status).toBe(200);
  });
});

describe("rateLimit", () => {
  it("names a limit on any operationId with a valid RateLimit field, never splitting the head", async () => {
    const response = await fetch(`${gateway.url}/quirky/v1/items`, { headers: { "x-api-key": KEY_A } });
    expect(response.status).toBe(200);
    expect(response.headers.get("ratelimit-policy")).toBe('"quirky-v1/list \\"items\\"%0D%0Ax-admin: yes, %C3%BCn%C3%AFcode/rateLimit:consumer";q=5;w=60');
    expect(response.headers.get("ratelimit")).toBe('"quirky-v1/list \\"items\\"%0D%0Ax-admin: yes, %C3%BCn%C3%AFcode/rateLimit:consumer";r=4;t=12');
    expect(response.headers.get("x-admin")).toBeNull();
  });

  it("allows the burst per consumer, then 429 with Retry-After and IETF RateLimit headers", async () => {
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      last = await fetch(`${gateway.url}/items/v1/items`, { headers: { "x-api-key": KEY_A } });
      statuses.push(last.status);
      if (i === 0) {
        expect(last.headers.get("ratelimit-policy")).toBe('"items-v1/listItems/rateLimit:consumer";q=3;w=60');
        expect(last.headers.get("ratelimit")).toBe('"items-v1/listItems/rateLimit:consumer";r=2;t=20');
      }
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThanOrEqual(19);
    expect(((await last!.json()) as { type: string }).type).toBe("https://turnpike.dev/problems/rate-limited");
    // Another consumer has a budget of its own.
    expect((await fetch(`${gateway.url}/items/v1/items`, { headers: { "x-api-key": KEY_B } })).status).toBe(200);
  });
});

describe("quota", () => {
  it("counts per consumer per calendar day, answers 429 quota-exceeded with the time to midnight UTC", async () => {
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 3; i++) {
      last = await fetch(`${gateway.url}/items/v1/items/q`, { headers: { "x-api-key": KEY_B } });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 429]);
    const now = new Date();
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    const retryAfter = Number(last!.headers.get("retry-after"));
    expect(Math.abs(retryAfter - (midnight - Date.now()) / 1000)).toBeLessThan(5);
    expect(((await last!.json()) as { type: string }).type).toBe("https://turnpike.dev/problems/quota-exceeded");
  });
});

describe("cors", () => {
  it("answers an allowed preflight at the gateway", async () => {
    const before = upstream.requests.length;
    const response = await fetch(`${gateway.url}/items/v1/items`, { method: "OPTIONS", headers: { origin: "https://shop.example", "access-control-request-method": "POST", "access-control-request-headers": "x-api-key, content-type" } });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://shop.example");
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    expect(response.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("x-api-key");
    expect(response.headers.get("access-control-max-age")).toBe("600");
    expect(response.headers.get("vary")?.toLowerCase()).toContain("origin");
    expect(upstream.requests.length).toBe(before);
  });

  it("gives no CORS grant to another origin, and adds the headers to actual responses", async () => {
    const denied = await fetch(`${gateway.url}/items/v1/items`, { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "GET" } });
    expect(denied.headers.get("access-control-allow-origin")).toBeNull();
    const actual = await fetch(`${gateway.url}/items/v1/items/c`, { headers: { origin: "https://shop.example", "x-api-key": KEY_B } });
    expect(actual.headers.get("access-control-allow-origin")).toBe("https://shop.example");
    expect(actual.headers.get("access-control-expose-headers")).toContain("x-request-id");
  });

  it("says Vary: Origin on answers to no origin and to another origin too, so a shared cache never hands them to an allowed one", async () => {
    for (const origin of [undefined, "https://evil.example"]) {
      const response = await fetch(`${gateway.url}/items/v1/health`, { headers: origin === undefined ? {} : { origin } });
      expect({ origin, status: response.status, grant: response.headers.get("access-control-allow-origin") }).toEqual({ origin, status: 200, grant: null });
      expect(response.headers.get("vary")?.toLowerCase()).toContain("origin");
    }
    // With "*" (no credentials) the grant is the same for every caller, Origin or not: nothing varies.
    const open = await fetch(`${gateway.url}/querykey/v1/items?api_key=${KEY_A}`);
    expect(open.headers.get("access-control-allow-origin")).toBe("*");
    expect(open.headers.get("vary")).toBeNull();
  });
});

describe("ipFilter", () => {
  it("denies listed ranges (the client address taken through trusted proxies) with 403", async () => {
    const denied = await fetch(`${gateway.url}/guarded/v1/health`, { headers: { "x-forwarded-for": "203.0.113.7" } });
    expect(denied.status).toBe(403);
    const deniedV6 = await fetch(`${gateway.url}/guarded/v1/health`, { headers: { "x-forwarded-for": "2001:db8::1" } });
    expect(deniedV6.status).toBe(403);
    const allowed = await fetch(`${gateway.url}/guarded/v1/health`, { headers: { "x-forwarded-for": "198.51.100.7" } });
    expect(allowed.status).toBe(200);
  });
});

describe("requestSizeLimit", () => {
  it("413 from Content-Length before reading, and while streaming a chunked body, never forwarding it", async () => {
    const before = upstream.requests.length;
    const headers = { "x-api-key": KEY_A, "content-type": "application/json", "idempotency-key": "k" };
    const declared = await fetch(`${gateway.url}/items/v1/items`, { method: "POST", headers, body: JSON.stringify({ name: "x".repeat(2_000) }) });
    expect(declared.status).toBe(413);
    // Chunked: no length to check up front; the limit applies while the body streams in.
    const chunked = await rawExchange(
      `POST /items/v1/items HTTP/1.1\r\nHost: x\r\nx-api-key: ${KEY_A}\r\ncontent-type: application/json\r\nidempotency-key: k\r\ntransfer-encoding: chunked\r\n\r\n`,
      Array.from({ length: 10 }, () => `1f4\r\n${"a".repeat(500)}\r\n`),
    );
    expect(chunked).toMatch(/^HTTP\/1\.1 413 /);
    expect(upstream.requests.length).toBe(before);
    const small = await fetch(`${gateway.url}/items/v1/items`, { method: "POST", headers, body: '{"name":"pen"}' });
    expect(small.status).toBe(200);
  });
});

describe("lifecycle", () => {
  it("a deprecated API answers with Deprecation, Sunset and a successor Link", async () => {
    const response = await fetch(`${gateway.url}/legacy/v1/items/1`, { headers: { "x-api-key": KEY_A } });
    expect(response.status).toBe(200);
    expect(response.headers.get("deprecation")).toBe(`@${Date.UTC(2026, 0, 15) / 1000}`);
    expect(response.headers.get("sunset")).toBe("Wed, 30 Jun 2027 00:00:00 GMT");
    expect(response.headers.get("link")).toBe('</items/v2>; rel="successor-version"');
  });

  it("a retired API answers 410 Gone with the successor, without reaching the upstream", async () => {
    const before = upstream.requests.length;
    const response = await fetch(`${gateway.url}/ancient/v0/items/1`, { headers: { "x-api-key": KEY_A } });
    expect(response.status).toBe(410);
    expect(response.headers.get("link")).toBe('</items/v2>; rel="successor-version"');
    expect(((await response.json()) as { detail: string }).detail).toContain("/items/v2");
    expect(upstream.requests.length).toBe(before);
  });
});

describe("transform", () => {
  it("sets and removes request headers and query parameters, and response headers", async () => {
    const response = await fetch(`${gateway.url}/items/v1/items/t?trace=1&keep=a%20b&flag`, { headers: { "x-api-key": KEY_A, "x-debug": "1" } });
    expect(response.status).toBe(200);
    const request = seen();
    expect(request.headers["x-gateway"]).toBe("turnpike");
    expect(request.headers["x-debug"]).toBeUndefined();
    // The parameters it does not edit go on as the client wrote them (not `keep=a+b&flag=`).
    expect(request.url).toBe("/items/t?keep=a%20b&flag&source=gateway");
    expect(response.headers.get("x-served-by")).toBe("turnpike");
  });
});

/** Sends a request head, then body pieces 20 ms apart; resolves to what the gateway answered. */
function rawExchange(head: string, pieces: readonly string[]): Promise<string> {
  const { port } = new URL(gateway.url);
  return new Promise((resolve) => {
    let answer = "";
    const socket = connect(Number(port), "127.0.0.1", async () => {
      socket.write(head);
      for (const piece of pieces) {
        if (socket.destroyed || answer !== "") break;
        socket.write(piece);
        await new Promise((next) => setTimeout(next, 20));
      }
    });
    socket.on("data", (chunk) => (answer += chunk.toString()));
    socket.on("error", () => resolve(answer));
    socket.on("close", () => resolve(answer));
    socket.setTimeout(3_000, () => socket.destroy());
  });
}
