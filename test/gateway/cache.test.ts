/**
 * cache at the gateway: real requests through the gateway bundle to a real upstream that
 * counts what reaches it. Every test uses its own item id, so entries never leak between tests.
 */
import { createHash } from "node:crypto";
import { Consumer, Credential, Plan, Product, Secret, apiKey, cache } from "../../constructs/index";
import { itemsApi, testPlatform } from "../helpers/declaration";
import { type RunningGateway, startGateway } from "../helpers/gateway";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

const ALICE = "alice-key-0123456789";
const BOB = "bob-key-0123456789";
const BIG = Buffer.alloc(2 * 1024 * 1024);
for (let index = 0; index < BIG.length; index++) BIG[index] = (index * 31 + (index >> 16)) & 0xff;

let upstream: TestUpstream;
let gateway: RunningGateway;
let served = 0;

/** The upstream's behaviour is chosen by the item id's first word: `/items/<behaviour>-<test>`. */
function answer(url: string, headers: Record<string, string | string[] | undefined>): { status: number; headers: Record<string, string>; body: Buffer | string; delayMs?: number } {
  const behaviour = (url.split("?")[0]!.split("/")[2] ?? "").split("-")[0];
  const body = JSON.stringify({ n: ++served, url, lang: headers["accept-language"] ?? null });
  const json = { "content-type": "application/json" };
  switch (behaviour) {
    case "maxage":
      return { status: 200, headers: { ...json, "cache-control": "max-age=1" }, body };
    case "smaxage":
      return { status: 200, headers: { ...json, "cache-control": "max-age=600, s-maxage=1" }, body };
    case "nostore":
      return { status: 200, headers: { ...json, "cache-control": "no-store" }, body };
    case "private":
      return { status: 200, headers: { ...json, "cache-control": "private, max-age=600" }, body };
    case "public":
      return { status: 200, headers: { ...json, "cache-control": "public, max-age=600" }, body };
    case "cookie":
      return { status: 200, headers: { ...json, "set-cookie": "session=abc" }, body };
    case "vary":
      return { status: 200, headers: { ...json, vary: "Accept-Language" }, body };
    case "missing":
      return { status: 404, headers: json, body };
    case "big":
      return { status: 200, headers: { "content-type": "application/octet-stream" }, body: BIG };
    case "slow":
      return { status: 200, headers: json, body, delayMs: 300 };
    default:
      // Echoes the request id, as some services do: a hit must still carry its own request's id.
      return { status: 200, headers: { ...json, "x-request-id": String(headers["x-request-id"] ?? ""), etag: `"${served}"` }, body };
  }
}

beforeAll(async () => {
  upstream = await startUpstream((request, res) => {
    const reply = answer(request.url, request.headers);
    const send = () => res.writeHead(reply.status, reply.headers).end(reply.body);
    if (reply.delayMs) setTimeout(send, reply.delayMs).unref();
    else send();
  });
  const platform = testPlatform();
  const target = { upstream: { targets: [{ url: upstream.url }] } };
  const items = itemsApi(platform, "items", { ...target, policies: [apiKey(), cache({ varyHeaders: ["x-tenant"] })] });
  const short = itemsApi(platform, "short", { ...target, policies: [apiKey(), cache({ ttlSeconds: 1, methods: ["GET"] })] });
  const shared = itemsApi(platform, "shared", { ...target, policies: [apiKey(), cache({ perConsumer: false })] });
  const product = new Product(platform, "shop", { apis: [items, short, shared], plans: [new Plan(platform, "free")] });
  new Consumer(platform, "alice", { subscriptions: [{ product, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("ALICE_KEY") })] });
  new Consumer(platform, "bob", { subscriptions: [{ product, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("BOB_KEY") })] });
  gateway = await startGateway(platform, { env: { ALICE_KEY: ALICE, BOB_KEY: BOB } });
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
});

interface Answer {
  readonly status: number;
  readonly cache: string | null;
  readonly age: string | null;
  readonly headers: Headers;
  readonly body: Buffer;
  /** The upstream's counter in the body: which upstream response this is. */
  readonly n: number | undefined;
}

async function get(path: string, headers: Record<string, string> = {}, options: { key?: string; method?: string } = {}): Promise<Answer> {
  const response = await fetch(`${gateway.url}${path}`, { method: options.method ?? "GET", headers: { "x-api-key": options.key ?? ALICE, ...headers } });
  const body = Buffer.from(await response.arrayBuffer());
  let n: number | undefined;
  if (response.headers.get("content-type") === "application/json" && body.length > 0) n = (JSON.parse(body.toString()) as { n: number }).n;
  return { status: response.status, cache: response.headers.get("x-cache"), age: response.headers.get("age"), headers: response.headers, body, n };
}

/** Requests the upstream received for a path (with or without a query). */
function upstreamHits(path: string): number {
  return upstream.requests.filter((request) => request.url.split("?")[0] === path).length;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("hits and misses", () => {
  it("answers a repeated GET from the cache: one upstream request, X-Cache MISS then HIT, with Age", async () => {
    const first = await get("/items/v1/items/plain-1");
    const second = await get("/items/v1/items/plain-1");
    expect([first.status, first.cache, second.status, second.cache]).toEqual([200, "MISS", 200, "HIT"]);
    expect(second.body.equals(first.body)).toBe(true);
    expect(Number(second.age)).toBeGreaterThanOrEqual(0);
    expect(second.headers.get("etag")).toBe(first.headers.get("etag"));
    expect(upstreamHits("/items/plain-1")).toBe(1);
  });

  it("keys on the query with its parameters in any order", async () => {
    const first = await get("/items/v1/items/plain-query?b=2&a=1");
    const second = await get("/items/v1/items/plain-query?a=1&b=2");
    const other = await get("/items/v1/items/plain-query?a=1&b=3");
    expect([first.cache, second.cache, other.cache]).toEqual(["MISS", "HIT", "MISS"]);
    expect(upstreamHits("/items/plain-query")).toBe(2);
  });

  it("gives a hit the current request's id, not the one stored with the response", async () => {
    await get("/items/v1/items/plain-ids", { "x-request-id": "first-request" });
    const hit = await get("/items/v1/items/plain-ids", { "x-request-id": "second-request" });
    expect(hit.cache).toBe("HIT");
    expect(hit.headers.get("x-request-id")).toBe("second-request");
    expect(hit.headers.get("via")).toBe("1.1 turnpike");
  });

  it("expires entries after ttlSeconds", async () => {
    const first = await get("/short/v1/items/plain-ttl");
    const second = await get("/short/v1/items/plain-ttl");
    await sleep(1_100);
    const third = await get("/short/v1/items/plain-ttl");
    expect([first.cache, second.cache, third.cache]).toEqual(["MISS", "HIT", "MISS"]);
    expect(third.n).not.toBe(first.n);
    expect(upstreamHits("/items/plain-ttl")).toBe(2);
  });

  it("does not cache statuses outside `statuses` (404 by default)", async () => {
    const first = await get("/items/v1/items/missing-1");
    const second = await get("/items/v1/items/missing-1");
    expect([first.status, first.cache, second.status, second.cache]).toEqual([404, "MISS", 404, "MISS"]);
    expect(upstreamHits("/items/missing-1")).toBe(2);
  });

  it("passes a body larger than maxEntryBytes through intact, uncached", async () => {
    const first = await get("/items/v1/items/big-1");
    const second = await get("/items/v1/items/big-1");
    for (const answer of [first, second]) {
      expect(answer.cache).toBe("MISS");
      expect(answer.body.length).toBe(BIG.length);
      expect(createHash("sha256").update(answer.body).digest("hex")).toBe(createHash("sha256").update(BIG).digest("hex"));
    }
    expect(upstreamHits("/items/big-1")).toBe(2);
  });
});

describe("Cache-Control", () => {
  it("takes the TTL from the upstream's max-age, and s-maxage over max-age", async () => {
    const answers = [await get("/items/v1/items/maxage-1"), await get("/items/v1/items/maxage-1"), await get("/items/v1/items/smaxage-1"), await get("/items/v1/items/smaxage-1")];
    expect(answers.map((answer) => answer.cache)).toEqual(["MISS", "HIT", "MISS", "HIT"]);
    await sleep(1_100);
    // Both would still be fresh under the API's 60 s default (and max-age=600 for the second).
    expect([(await get("/items/v1/items/maxage-1")).cache, (await get("/items/v1/items/smaxage-1")).cache]).toEqual(["MISS", "MISS"]);
  });

  it("does not store responses marked no-store or private, or setting a cookie", async () => {
    for (const path of ["nostore-1", "private-1", "cookie-1"]) {
      const answers = [await get(`/items/v1/items/${path}`), await get(`/items/v1/items/${path}`)];
      expect(answers.map((answer) => answer.cache)).toEqual(["MISS", "MISS"]);
      expect(upstreamHits(`/items/${path}`)).toBe(2);
    }
    expect((await get("/items/v1/items/cookie-1")).headers.get("set-cookie")).toBe("session=abc");
  });

  it("goes to the upstream for a client's no-cache, and keeps the fresh response", async () => {
    const first = await get("/items/v1/items/plain-nocache");
    const refreshed = await get("/items/v1/items/plain-nocache", { "cache-control": "no-cache" });
    const after = await get("/items/v1/items/plain-nocache");
    expect([first.cache, refreshed.cache, after.cache]).toEqual(["MISS", "MISS", "HIT"]);
    expect(refreshed.n).not.toBe(first.n);
    expect(after.n).toBe(refreshed.n);
    expect(upstreamHits("/items/plain-nocache")).toBe(2);
  });

  it("does not store the answer to a client's no-store", async () => {
    const first = await get("/items/v1/items/plain-clientnostore", { "cache-control": "no-store" });
    const second = await get("/items/v1/items/plain-clientnostore");
    expect([first.cache, second.cache]).toEqual(["MISS", "MISS"]);
    expect(upstreamHits("/items/plain-clientnostore")).toBe(2);
  });
});

describe("variants", () => {
  it("keeps one entry per value of the headers the upstream's Vary names", async () => {
    const path = "/items/v1/items/vary-1";
    const en = await get(path, { "accept-language": "en" });
    const de = await get(path, { "accept-language": "de" });
    const enAgain = await get(path, { "accept-language": "en" });
    const deAgain = await get(path, { "accept-language": "de" });
    expect([en.cache, de.cache, enAgain.cache, deAgain.cache]).toEqual(["MISS", "MISS", "HIT", "HIT"]);
    expect([enAgain.n, deAgain.n]).toEqual([en.n, de.n]);
    expect(JSON.parse(deAgain.body.toString()).lang).toBe("de");
    expect(upstreamHits("/items/vary-1")).toBe(2);
  });

  it("keys on the configured varyHeaders", async () => {
    const one = await get("/items/v1/items/plain-tenant", { "x-tenant": "one" });
    const two = await get("/items/v1/items/plain-tenant", { "x-tenant": "two" });
    const oneAgain = await get("/items/v1/items/plain-tenant", { "x-tenant": "one" });
    expect([one.cache, two.cache, oneAgain.cache]).toEqual(["MISS", "MISS", "HIT"]);
    expect(oneAgain.n).toBe(one.n);
  });

  it("keeps consumers apart: one never gets another's entry", async () => {
    const path = "/items/v1/items/plain-consumers";
    const alice = await get(path, {}, { key: ALICE });
    const bob = await get(path, {}, { key: BOB });
    const aliceAgain = await get(path, {}, { key: ALICE });
    const bobAgain = await get(path, {}, { key: BOB });
    expect([alice.cache, bob.cache, aliceAgain.cache, bobAgain.cache]).toEqual(["MISS", "MISS", "HIT", "HIT"]);
    expect(bob.n).not.toBe(alice.n);
    expect([aliceAgain.n, bobAgain.n]).toEqual([alice.n, bob.n]);
    expect(upstreamHits("/items/plain-consumers")).toBe(2);
  });

  it("shares entries between consumers with perConsumer false, but not answers to Authorization requests unless public", async () => {
    const alice = await get("/shared/v1/items/plain-shared", {}, { key: ALICE });
    const bob = await get("/shared/v1/items/plain-shared", {}, { key: BOB });
    expect([alice.cache, bob.cache, bob.n]).toEqual(["MISS", "HIT", alice.n]);

    const authorization = { authorization: "Bearer some-token" };
    const withAuth = [await get("/shared/v1/items/plain-auth", authorization), await get("/shared/v1/items/plain-auth", authorization)];
    expect(withAuth.map((answer) => answer.cache)).toEqual(["MISS", "MISS"]);
    const publicAuth = [await get("/shared/v1/items/public-auth", authorization), await get("/shared/v1/items/public-auth", authorization)];
    expect(publicAuth.map((answer) => answer.cache)).toEqual(["MISS", "HIT"]);
  });
});

describe("HEAD", () => {
  it("answers a HEAD from the GET entry, with the GET's headers and no body", async () => {
    const got = await get("/items/v1/items/plain-head");
    const head = await get("/items/v1/items/plain-head", {}, { method: "HEAD" });
    expect([head.status, head.cache, head.body.length]).toEqual([200, "HIT", 0]);
    expect(head.headers.get("content-length")).toBe(String(got.body.length));
    expect(head.headers.get("etag")).toBe(got.headers.get("etag"));
    expect(upstreamHits("/items/plain-head")).toBe(1);
  });

  it("forwards a HEAD on a cold key as HEAD without storing, and bypasses when HEAD is not in methods", async () => {
    const head = await get("/items/v1/items/plain-coldhead", {}, { method: "HEAD" });
    expect([head.status, head.cache]).toEqual([200, "MISS"]);
    expect(upstream.requests.filter((request) => request.url === "/items/plain-coldhead").map((request) => request.method)).toEqual(["HEAD"]);
    expect((await get("/items/v1/items/plain-coldhead")).cache).toBe("MISS");

    await get("/short/v1/items/plain-bypass");
    expect((await get("/short/v1/items/plain-bypass", {}, { method: "HEAD" })).cache).toBe("BYPASS");
  });
});

describe("stampede protection", () => {
  it("sends 10 concurrent requests on a cold key to the upstream once, and answers all of them", async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => get("/items/v1/items/slow-stampede")));
    expect(upstreamHits("/items/slow-stampede")).toBe(1);
    expect(answers.every((answer) => answer.status === 200 && answer.n === answers[0]!.n)).toBe(true);
    expect(answers.map((answer) => answer.cache).sort()).toEqual(["HIT", "HIT", "HIT", "HIT", "HIT", "HIT", "HIT", "HIT", "HIT", "MISS"]);
  });

  it("lets waiting requests fetch for themselves when the response cannot be stored", async () => {
    const answers = await Promise.all(Array.from({ length: 4 }, () => get("/items/v1/items/nostore-stampede")));
    expect(answers.every((answer) => answer.status === 200 && answer.cache === "MISS")).toBe(true);
    expect(upstreamHits("/items/nostore-stampede")).toBe(4);
  });
});

describe("metrics", () => {
  /** The value of a sample in the gateway's /metrics, 0 when absent. */
  async function sample(name: string, labels: string): Promise<number> {
    const text = await (await fetch(`${gateway.operatorUrl}/metrics`)).text();
    const line = text.split("\n").find((candidate) => candidate.startsWith(`${name}{${labels}}`) || (labels === "" && candidate.startsWith(`${name} `)));
    return line === undefined ? 0 : Number(line.split(" ").at(-1));
  }

  it("counts hits, misses and bypasses per API, and reports the bytes the cache holds", async () => {
    const before = { hit: await sample("turnpike_cache_requests_total", 'api="short-v1",result="hit"'), miss: await sample("turnpike_cache_requests_total", 'api="short-v1",result="miss"'), bypass: await sample("turnpike_cache_requests_total", 'api="short-v1",result="bypass"') };
    await get("/short/v1/items/plain-metrics");
    await get("/short/v1/items/plain-metrics");
    await get("/short/v1/items/plain-metrics");
    await get("/short/v1/items/plain-metrics", {}, { method: "HEAD" });
    expect(await sample("turnpike_cache_requests_total", 'api="short-v1",result="miss"')).toBe(before.miss + 1);
    expect(await sample("turnpike_cache_requests_total", 'api="short-v1",result="hit"')).toBe(before.hit + 2);
    expect(await sample("turnpike_cache_requests_total", 'api="short-v1",result="bypass"')).toBe(before.bypass + 1);
    expect(await sample("turnpike_cache_bytes", "")).toBeGreaterThan(0);
  });
});

describe("the cache budget (--cache-max-mb)", () => {
  it("keeps at most that much per process, evicting the least recently used", async () => {
    const body = Buffer.alloc(200 * 1024, 1);
    const bodies = await startUpstream((_request, res) => res.writeHead(200, { "content-type": "application/octet-stream" }).end(body));
    const platform = testPlatform();
    const items = itemsApi(platform, "items", { upstream: { targets: [{ url: bodies.url }] }, policies: [apiKey(), cache({ ttlSeconds: 600 })] });
    const product = new Product(platform, "shop", { apis: [items], plans: [new Plan(platform, "free")] });
    new Consumer(platform, "alice", { subscriptions: [{ product, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("ALICE_KEY") })] });
    const small = await startGateway(platform, { env: { ALICE_KEY: ALICE }, args: ["--cache-max-mb", "1"] });
    try {
      const fetchItem = async (n: number) => {
        const response = await fetch(`${small.url}/items/v1/items/budget-${n}`, { headers: { "x-api-key": ALICE } });
        await response.arrayBuffer();
        return response.headers.get("x-cache");
      };
      for (let n = 0; n < 10; n++) expect(await fetchItem(n)).toBe("MISS");
      const metrics = await (await fetch(`${small.operatorUrl}/metrics`)).text();
      const bytes = Number(/^turnpike_cache_bytes (\d+)/m.exec(metrics)?.[1]);
      // Five 200 KiB entries fit in 1 MiB, ten do not.
      expect(bytes).toBeGreaterThan(4 * 200 * 1024);
      expect(bytes).toBeLessThanOrEqual(1024 * 1024);
      expect(await fetchItem(9)).toBe("HIT");
      expect(await fetchItem(0)).toBe("MISS");
    } finally {
      await small.stop();
      await bodies.close();
    }
  });

  it("refuses a budget that is not a whole number of MiB, with the usage", async () => {
    const refused = await startGateway(testPlatform(), { args: ["--cache-max-mb", "lots"] }).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(refused).toMatch(/--cache-max-mb must be a whole number of MiB from 1 to 65536, not "lots"/);
  });
});
