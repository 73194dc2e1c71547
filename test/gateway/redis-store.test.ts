/**
 * Two gateway processes (the bundle) sharing one real redis-server (`--store redis://…`):
 * one limit and one quota for both, and what clients see when Redis is killed under load
 * (fail-open counts locally, fail-closed answers 503, nothing errors or hangs) and restarted
 * on the same port (the gateways reconnect and shared counting resumes).
 */
import { Consumer, Credential, Plan, Product, Secret, quota, rateLimit } from "../../constructs/index";
import { itemsApi, testPlatform } from "../helpers/declaration";
import { type RunningGateway, manifestOf, startGateway } from "../helpers/gateway";
import { type TestRedis, startRedis } from "../helpers/redis";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

/** One consumer per scenario: each has counters of its own. */
const CONSUMERS = ["alice", "bob", "carol", "dave", "erin"] as const;
type ConsumerName = (typeof CONSUMERS)[number];
const keyOf = (name: ConsumerName) => `${name}-key-0123456789`;

let upstream: TestUpstream;
let redis: TestRedis;
let gateways: RunningGateway[] = [];

beforeAll(async () => {
  [upstream, redis] = await Promise.all([startUpstream(), startRedis()]);
  const platform = testPlatform();
  // Windows long enough that nothing refills during the test: exactly `burst` pass.
  const api = itemsApi(platform, "items", {
    upstream: { targets: [{ url: upstream.url }], timeoutMs: 2_000 },
    operations: {
      listItems: { policies: [rateLimit({ requests: 5, perSeconds: 10, burst: 5 })] },
      deleteItem: { policies: [rateLimit({ requests: 5, perSeconds: 10, burst: 5, onStoreUnavailable: "fail-closed" })] },
      getItem: { policies: [quota({ requests: 3, period: "day" })] },
    },
  });
  const product = new Product(platform, "shop", { apis: [api], plans: [new Plan(platform, "free")] });
  const env: Record<string, string> = {};
  for (const name of CONSUMERS) {
    new Consumer(platform, name, { subscriptions: [{ product, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv(`${name.toUpperCase()}_KEY`) })] });
    env[`${name.toUpperCase()}_KEY`] = keyOf(name);
  }
  const manifest = await manifestOf(platform);
  gateways = await Promise.all([0, 1].map(() => startGateway(manifest, { env, args: ["--store", redis.url] })));
  await Promise.all(gateways.map((gateway) => gateway.waitForLog((line) => line.msg === "counter store connected")));
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.stop()));
  await Promise.all([upstream?.close(), redis?.stop()]);
});

interface Answer {
  readonly gateway: number;
  readonly status: number;
  readonly contentType: string | null;
  readonly body: string;
  readonly startedAt: number;
  readonly ms: number;
}

/** One request through gateway `index` as `consumer`; never throws (a failure is status 0). */
async function send(index: number, method: "GET" | "DELETE", path: string, consumer: ConsumerName): Promise<Answer> {
  const startedAt = performance.now();
  try {
    const response = await fetch(`${gateways[index]!.url}/items/v1${path}`, { method, headers: { "x-api-key": keyOf(consumer) }, signal: AbortSignal.timeout(5_000) });
    const body = await response.text();
    return { gateway: index, status: response.status, contentType: response.headers.get("content-type"), body, startedAt, ms: performance.now() - startedAt };
  } catch (error) {
    return { gateway: index, status: 0, contentType: null, body: (error as Error).message, startedAt, ms: performance.now() - startedAt };
  }
}

/** `count` requests one after the other, alternating between the two gateways. */
async function alternate(count: number, method: "GET" | "DELETE", path: string, consumer: ConsumerName): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push((await send(i % 2, method, path, consumer)).status);
  return statuses;
}

const count = (statuses: readonly number[], status: number) => statuses.filter((candidate) => candidate === status).length;

/** The value of one series in a gateway's Prometheus text; NaN when absent, so no check passes on a missing series. */
async function metric(gateway: RunningGateway, series: string): Promise<number> {
  const text = await (await fetch(`${gateway.operatorUrl}/metrics`)).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

const storeKeys = (pattern: string) => redis.client().keys(`turnpike:${pattern}`);

describe("two gateways, one Redis", () => {
  it("enforce ONE rate limit: 10 requests alternating between them, exactly 5 allowed", async () => {
    const statuses = await alternate(10, "GET", "/items", "alice");
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429, 429, 429]);
    const [key] = await storeKeys("rl:*c:alice");
    expect(key).toBeDefined();
    const ttl = await redis.client().pttl(key!);
    expect(ttl).toBeGreaterThan(8_000);
    expect(ttl).toBeLessThanOrEqual(10_000);
  });

  it("enforce ONE quota, and do not count the rejected requests", async () => {
    const statuses = await alternate(8, "GET", "/items/x", "alice");
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429, 429, 429]);
    const [key] = await storeKeys("q:*c:alice:*");
    expect(await redis.client().get(key!)).toBe("3");
    expect(await redis.client().pttl(key!)).toBeGreaterThan(0);
  });

  it("share a fail-closed limit the same way while Redis is up", async () => {
    expect(await alternate(8, "DELETE", "/items/x", "bob")).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
  });
});

describe("Redis killed under load, then restarted on the same port", () => {
  const LOAD_BEFORE_MS = 400;
  const LOAD_AFTER_MS = 1_200;
  const BOUND_MS = 1_000;
  let answers: { open: Answer[]; closed: Answer[] };
  /** When the kill was sent, and when redis-server was gone. */
  let killingAt = 0;
  let killedAt = 0;

  beforeAll(async () => {
    answers = { open: [], closed: [] };
    let stopAt = Infinity;
    // One client per (gateway, limit) pair, each keeping one request in flight.
    const client = async (gateway: number, open: boolean) => {
      while (performance.now() < stopAt) {
        const answer = open ? await send(gateway, "GET", "/items", "carol") : await send(gateway, "DELETE", "/items/x", "dave");
        (open ? answers.open : answers.closed).push(answer);
      }
    };
    const load = Promise.all([client(0, true), client(1, true), client(0, false), client(1, false)]);
    await new Promise((resolve) => setTimeout(resolve, LOAD_BEFORE_MS));
    killingAt = performance.now();
    await redis.kill();
    killedAt = performance.now();
    stopAt = killedAt + LOAD_AFTER_MS;
    await load;
  }, 30_000);

  it("answers every request, within a bound, while Redis dies", () => {
    const all = [...answers.open, ...answers.closed];
    expect(all.length).toBeGreaterThan(40);
    expect(all.filter((answer) => answer.status === 0)).toEqual([]);
    expect(Math.max(...all.map((answer) => answer.ms))).toBeLessThan(BOUND_MS);
    // Load ran on both sides of the kill.
    expect(all.some((answer) => answer.startedAt + answer.ms < killingAt)).toBe(true);
    expect(all.filter((answer) => answer.startedAt > killedAt).length).toBeGreaterThan(20);
  });

  it("before the kill, both gateways counted one shared limit", () => {
    const before = (list: Answer[]) => list.filter((answer) => answer.startedAt + answer.ms < killingAt).map((answer) => answer.status);
    expect(count(before(answers.open), 200)).toBeLessThanOrEqual(5);
    expect(count(before(answers.closed), 200)).toBeLessThanOrEqual(5);
  });

  it("fail-open keeps serving, rate limited by each gateway on its own", () => {
    // The shared bucket was used up before the kill: every 200 from here on is a local decision.
    const after = answers.open.filter((answer) => answer.startedAt > killingAt);
    expect(new Set(after.map((answer) => answer.status))).toEqual(new Set([200, 429]));
    for (const gateway of [0, 1]) {
      // A fresh local bucket per gateway: the burst of 5, plus at most one refill (one per 2 s).
      const allowed = after.filter((answer) => answer.gateway === gateway && answer.status === 200).length;
      expect(allowed).toBeGreaterThan(0);
      expect(allowed).toBeLessThanOrEqual(6);
    }
  });

  it("fail-closed answers 503 problem+json", () => {
    const after = answers.closed.filter((answer) => answer.startedAt > killedAt);
    expect(after.length).toBeGreaterThan(10);
    for (const answer of after) {
      expect(answer.status).toBe(503);
      expect(answer.contentType).toBe("application/problem+json");
      expect(JSON.parse(answer.body)).toMatchObject({ type: "https://turnpike.dev/problems/service-unavailable", status: 503 });
    }
  });

  it("logs the outage once per gateway and counts the decisions taken without Redis in /metrics", async () => {
    for (const gateway of gateways) {
      expect(gateway.logs.filter((line) => line.msg === "counter store unavailable; limits apply their onStoreUnavailable mode until it is back")).toHaveLength(1);
      expect(await metric(gateway, 'turnpike_store_unavailable_total{policy="rateLimit",mode="fail-open"}')).toBeGreaterThan(0);
      expect(await metric(gateway, 'turnpike_store_unavailable_total{policy="rateLimit",mode="fail-closed"}')).toBeGreaterThan(0);
      // Read at scrape time: an outage shows even when no request comes.
      expect(await metric(gateway, 'turnpike_store_up{store="redis"}')).toBe(0);
      expect(gateway.process.exitCode).toBeNull();
    }
  });

  it("reconnects by itself after the restart, and the limits are shared again", async () => {
    await redis.restart();
    await Promise.all(gateways.map((gateway) => gateway.waitForLog((line) => line.msg === "counter store available again; shared counting resumes", 10_000)));
    for (const gateway of gateways) expect(await metric(gateway, 'turnpike_store_up{store="redis"}')).toBe(1);
    // The restarted Redis is empty: the counters appear in it again.
    expect(await alternate(10, "GET", "/items", "erin")).toEqual([200, 200, 200, 200, 200, 429, 429, 429, 429, 429]);
    expect(await storeKeys("rl:*c:erin")).toHaveLength(1);
    expect(await alternate(6, "GET", "/items/x", "erin")).toEqual([200, 200, 200, 429, 429, 429]);
    expect(await storeKeys("q:*c:erin:*")).toHaveLength(1);
    // Fail-closed serves again, from the shared (fresh) counter.
    expect(await alternate(7, "DELETE", "/items/x", "dave")).toEqual([200, 200, 200, 200, 200, 429, 429]);
  });
});
