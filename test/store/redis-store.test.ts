/**
 * The Redis store against a real redis-server: GCRA and quota decisions, key expiry, the same
 * decisions as the in-memory GCRA for any sequence of requests, and what happens when Redis
 * dies, hangs and comes back.
 */
import fc from "fast-check";
import pino, { type Logger } from "pino";
import { gcraStep, gcraTake } from "../../gateway-image/src/store/memory-store";
import { DEFAULT_COMMAND_TIMEOUT_MS, parseRedisUrl } from "../../gateway-image/src/store/redis-config";
import { LEASE_MS } from "../../gateway-image/src/store/leased-gcra";
import { QUOTA_EXPIRY_GRACE_MS, RedisStore, reconnectDelayMs } from "../../gateway-image/src/store/redis-store";
import { type GcraDecision, StoreUnavailableError } from "../../gateway-image/src/store/store";
import { type TestRedis, startRedis } from "../helpers/redis";

type LogLine = Record<string, unknown>;

let redis: TestRedis;
const stores: RedisStore[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await redis?.stop();
});

function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

/** A store on the test Redis, closed after all tests. */
function openStore(query = ""): { store: RedisStore; lines: LogLine[] } {
  const { logger, lines } = capturingLogger();
  const store = new RedisStore(`${redis.url}${query}`, { logger });
  stores.push(store);
  return { store, lines };
}

/** Waits until `check` passes (polling), or fails with its last error. */
async function eventually(check: () => Promise<void> | void, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const T0 = 1_750_000_000_000;

describe("settings from the URL", () => {
  it("takes prefix and timeoutMs, strips them from the client's URL and credentials from the logged one", () => {
    expect(parseRedisUrl("redis://user:s3cret@cache.internal:6380/2?prefix=acme:&timeoutMs=250")).toEqual({
      connectionUrl: "redis://user:s3cret@cache.internal:6380/2",
      displayUrl: "redis://cache.internal:6380/2",
      keyPrefix: "acme:",
      commandTimeoutMs: 250,
      leaseReplicas: 4,
    });
    expect(parseRedisUrl("rediss://cache.internal")).toMatchObject({ keyPrefix: "turnpike:", commandTimeoutMs: DEFAULT_COMMAND_TIMEOUT_MS });
  });

  it("refuses parameters it does not know (ioredis would take them as options) and bad timeouts", () => {
    expect(() => parseRedisUrl("redis://localhost?enableOfflineQueue=true")).toThrow('unknown parameter "enableOfflineQueue" in the store URL: use prefix, timeoutMs or leaseReplicas');
    expect(() => parseRedisUrl("redis://localhost?leaseReplicas=-1")).toThrow(/leaseReplicas .* from 0 \(no leases\) to 10000, not "-1"/);
    expect(() => parseRedisUrl("redis://localhost?timeoutMs=0")).toThrow(/timeoutMs .* from 1 to 10000, not "0"/);
    expect(() => parseRedisUrl("redis://localhost?timeoutMs=fast")).toThrow(/not "fast"/);
  });

  it("reconnects with capped, jittered backoff", () => {
    for (let attempt = 1; attempt < 20; attempt++) {
      const cap = Math.min(50 * 2 ** (attempt - 1), 1_000);
      const delay = reconnectDelayMs(attempt);
      expect(delay).toBeGreaterThanOrEqual(cap / 2);
      expect(delay).toBeLessThanOrEqual(cap);
    }
  });
});

describe("decisions", () => {
  it("answers the first request without falling back, while the connection is still being set up", async () => {
    const { store, lines } = openStore();
    const decision = await store.gcra("first", 1_000, 1, T0);
    expect(decision.allowed).toBe(true);
    expect(lines.map((line) => line.msg)).toEqual(["counter store connected"]);
    expect(store.available).toBe(true);
  });

  it("GCRA: the burst passes, then one request per interval; the key expires when the bucket is full again", async () => {
    const { store } = openStore();
    const decisions: GcraDecision[] = [];
    for (let i = 0; i < 4; i++) decisions.push(await store.gcra("rl:api:c:alice", 1_000, 3, T0));
    expect(decisions).toEqual([
      { allowed: true, remaining: 2, retryAfterMs: 0, resetMs: 1_000 },
      { allowed: true, remaining: 1, retryAfterMs: 0, resetMs: 2_000 },
      { allowed: true, remaining: 0, retryAfterMs: 0, resetMs: 3_000 },
      { allowed: false, remaining: 0, retryAfterMs: 1_000, resetMs: 3_000 },
    ]);
    expect(await store.gcra("rl:api:c:alice", 1_000, 3, T0 + 1_000)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0, resetMs: 3_000 });
    // Namespaced by the prefix; stored with full precision; expires at the TAT.
    const client = redis.client();
    expect(await client.get("turnpike:rl:api:c:alice")).toBe(String(T0 + 4_000));
    const ttl = await client.pttl("turnpike:rl:api:c:alice");
    expect(ttl).toBeGreaterThan(2_500);
    expect(ttl).toBeLessThanOrEqual(3_000);
  });

  it("GCRA keeps fractional intervals exact (1000/3 ms)", async () => {
    const { store } = openStore();
    const tats = new Map<string, number>();
    for (const now of [T0, T0, T0, T0 + 1, T0 + 333, T0 + 334]) {
      expect(await store.gcra("thirds", 1_000 / 3, 2, now)).toEqual(gcraStep(tats, "thirds", 1_000 / 3, 2, now));
    }
  });

  it("quota: counts up to the limit, does not count rejected requests, expires after the period (plus grace)", async () => {
    const { store } = openStore();
    const periodEnd = T0 + 60_000;
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await store.quota("q:api:c:bob", 2, periodEnd, T0 + i));
    expect(results).toEqual([
      { allowed: true, remaining: 1, resetMs: 60_000 },
      { allowed: true, remaining: 0, resetMs: 59_999 },
      { allowed: false, remaining: 0, resetMs: 59_998 },
      { allowed: false, remaining: 0, resetMs: 59_997 },
    ]);
    const key = `turnpike:q:api:c:bob:${periodEnd}`;
    const client = redis.client();
    expect(await client.get(key)).toBe("2");
    const ttl = await client.pttl(key);
    expect(ttl).toBeGreaterThan(60_000 + QUOTA_EXPIRY_GRACE_MS - 1_000);
    expect(ttl).toBeLessThanOrEqual(60_000 + QUOTA_EXPIRY_GRACE_MS);
    // The next period is a new counter.
    expect(await store.quota("q:api:c:bob", 2, periodEnd + 60_000, periodEnd)).toEqual({ allowed: true, remaining: 1, resetMs: 60_000 });
  });

  it("quotaUsed reads a period's count without counting", async () => {
    const { store } = openStore();
    const periodEnd = T0 + 120_000;
    for (let i = 0; i < 3; i++) await store.quota("q:api:c:read", 10, periodEnd, T0);
    expect(await store.quotaUsed("q:api:c:read", periodEnd)).toBe(3);
    expect(await store.quotaUsed("q:api:c:read", periodEnd)).toBe(3);
    expect(await store.quotaUsed("q:api:c:read", periodEnd + 60_000)).toBe(0);
  });

  it("two stores on one Redis share the counters; a prefix separates them", async () => {
    const a = openStore().store;
    const b = openStore().store;
    const other = openStore("?prefix=other:").store;
    const allowed = [];
    for (let i = 0; i < 6; i++) allowed.push((await (i % 2 === 0 ? a : b).gcra("shared", 10_000, 3, T0)).allowed);
    expect(allowed).toEqual([true, true, true, false, false, false]);
    expect((await other.gcra("shared", 10_000, 3, T0)).allowed).toBe(true);
    expect(await redis.client().exists("other:shared")).toBe(1);
  });

  it("many decisions in one tick go out together and all come back", async () => {
    // Batching is under test, not the 100 ms timeout: 500 scripts can take longer on a loaded CI machine.
    const { store } = openStore("?leaseReplicas=0&timeoutMs=2000");
    const decisions = await Promise.all(Array.from({ length: 500 }, () => store.gcra("busy", 1_000, 100, T0)));
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(100);
  });

  it("an error reply (a key of the wrong type) rejects that decision but is no outage", async () => {
    const { store, lines } = openStore();
    await redis.client().lpush("turnpike:not-a-counter", "x");
    await expect(store.gcra("not-a-counter", 1_000, 5, T0)).rejects.toThrow(/^Redis: .*WRONGTYPE/);
    expect(store.available).toBe(true);
    expect(lines.filter((line) => line.level === 40)).toEqual([]);
  });

  it("makes the same decisions as the in-memory gcraStep for any sequence of (time, key) requests", async () => {
    const { store } = openStore();
    let run = 0;
    // Intervals of at least 250 ms: the keys expire in Redis's real time (PX), and a run of
    // simulated time must finish before its shortest key would.
    const limit = fc.record({ requests: fc.integer({ min: 1, max: 8 }), perSeconds: fc.constantFrom(2, 5, 30, 60), burst: fc.integer({ min: 1, max: 10 }) });
    const steps = fc.array(fc.record({ gap: fc.double({ min: -0.5, max: 3, noNaN: true }), key: fc.constantFrom("a", "b", "c") }), { minLength: 1, maxLength: 40 });
    await fc.assert(
      fc.asyncProperty(limit, steps, fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }), async ({ requests, perSeconds, burst }, sequence, start) => {
        const interval = (perSeconds * 1_000) / requests;
        const namespace = `prop:${++run}:`;
        const tats = new Map<string, number>();
        let now = start;
        for (const { gap, key } of sequence) {
          // Whole milliseconds, like Date.now(); negative gaps stand for a replica whose clock is behind.
          now += Math.round(gap * interval);
          const expected = gcraStep(tats, namespace + key, interval, burst, now);
          const actual = await store.gcra(namespace + key, interval, burst, now);
          expect(actual).toEqual(expected);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe("leases of large rate limits", () => {
  /** How many times Redis ran the store's scripts so far. */
  async function scriptCalls(): Promise<number> {
    const stats = (await redis.client().info("commandstats")) as string;
    return [...stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
  }

  it("two replicas never take more than the bucket, and Redis runs a fraction of the decisions", async () => {
    // burst 640 with the default leaseReplicas (4): leases of 640 / 32 = 20 requests.
    const [a, b] = [openStore().store, openStore().store];
    const now = Date.now();
    const before = await scriptCalls();
    const decisions = await Promise.all(Array.from({ length: 1_000 }, (_, i) => (i % 2 === 0 ? a : b).gcra("leased-shared", 60_000, 640, now)));
    const calls = (await scriptCalls()) - before;
    const allowed = decisions.filter((decision) => decision.allowed).length;
    expect(allowed).toBeLessThanOrEqual(640);
    // At most one unused lease per replica (20 requests each) is the undershoot.
    expect(allowed).toBeGreaterThanOrEqual(640 - 2 * 20);
    expect(calls).toBeLessThan(100);
  });

  it("gives back what a lease left unused, so another replica can have it", async () => {
    const leasing = openStore("?leaseReplicas=1").store; // burst 64: leases of 8
    const exact = openStore("?leaseReplicas=0").store;
    expect((await leasing.gcra("leased-refund", 60_000, 64, Date.now())).allowed).toBe(true);
    // 1 used and 7 held by the lease: the exact store sees 64 − 8 − 1 left after its own.
    expect((await exact.gcra("leased-refund", 60_000, 64, Date.now())).remaining).toBe(55);
    // The lease ends after LEASE_MS and its 7 go back at the next sweep (every LEASE_MS).
    await new Promise((resolve) => setTimeout(resolve, 3 * LEASE_MS + 100));
    expect((await exact.gcra("leased-refund", 60_000, 64, Date.now())).remaining).toBe(64 - 3);
  });

  it("the take script grants as many requests as one-by-one GCRA steps would, and leaves the same bucket", async () => {
    const { store } = openStore("?leaseReplicas=0");
    await store.gcra("take:connected", 1_000, 1, Date.now());
    const client = redis.client();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 64 }), fc.array(fc.integer({ min: 0, max: 2_000 }), { minLength: 1, maxLength: 6 }), async (burst, want, gaps) => {
        const key = `take:${++run}`;
        const tats = new Map<string, number>();
        let now = Date.now();
        for (const gap of gaps) {
          now += gap;
          const expected = gcraTake(tats, key, 1_000, burst, now, want);
          const [granted, remaining] = await (store as unknown as { scripts: { turnpikeGcraTake: (...args: unknown[]) => Promise<[number, string]> } }).scripts.turnpikeGcraTake(`turnpike:${key}`, now, 1_000, burst, want);
          expect([granted, Number(remaining)]).toEqual([expected.granted, expected.allowed ? expected.remaining : 0]);
        }
        const stored = await client.get(`turnpike:${key}`);
        expect(stored === null ? undefined : Number(stored)).toBe(tats.get(key));
      }),
      { numRuns: 60 },
    );
  });
});

describe("when Redis is down, hung, and back", () => {
  it("rejects at once with StoreUnavailableError when Redis dies, logs the outage once, and resumes after a restart", async () => {
    const { store, lines } = openStore();
    await store.gcra("outage", 1_000, 5, T0);
    await redis.kill();
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await expect(store.gcra("outage", 1_000, 5, T0)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.quota("outage-q", 5, T0 + 1_000, T0)).rejects.toThrow(/^Redis: /);
      expect(performance.now() - started).toBeLessThan(200);
    }
    expect(store.available).toBe(false);
    // Reconnect attempts fail meanwhile: still one line.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lines.filter((line) => line.level === 40)).toEqual([expect.objectContaining({ msg: expect.stringMatching(/^counter store unavailable/), reason: expect.stringMatching(/ECONNREFUSED|connection lost|Connection is closed/) })]);

    await redis.restart();
    await eventually(async () => expect((await store.gcra("outage", 1_000, 5, T0)).allowed).toBe(true));
    expect(store.available).toBe(true);
    expect(lines.filter((line) => line.msg === "counter store available again; shared counting resumes")).toHaveLength(1);
    // The restarted Redis is empty: the counter is new.
    expect(await redis.client().exists("turnpike:outage")).toBe(1);
  });

  it("a hung Redis (SIGSTOP) costs a decision at most about the command timeout, then nothing", async () => {
    const { store, lines } = openStore("?timeoutMs=100");
    await store.gcra("hang", 1_000, 5, T0);
    redis.freeze();
    try {
      const durations: number[] = [];
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          await new Promise((resolve) => setTimeout(resolve, i * 10));
          const started = performance.now();
          const outcome = await Promise.resolve(store.gcra("hang", 1_000, 5, T0)).then(
            () => "answered",
            (error: unknown) => (error instanceof StoreUnavailableError ? "unavailable" : "other"),
          );
          durations.push(performance.now() - started);
          return outcome;
        }),
      );
      expect(new Set(outcomes)).toEqual(new Set(["unavailable"]));
      // 100 ms for the batch in flight, at most another 100 ms for the next batch behind it.
      expect(Math.max(...durations)).toBeLessThan(400);
      expect(lines.filter((line) => line.level === 40)).toHaveLength(1);
    } finally {
      redis.thaw();
    }
    // Answered again (allowed or not: the timed-out scripts still ran once Redis woke up).
    await eventually(async () => expect(await store.gcra("hang", 1_000, 5, T0)).toHaveProperty("allowed"), 2_000);
    expect(lines.at(-1)!.msg).toBe("counter store available again; shared counting resumes");
  });

  it("a store started while Redis is down falls back at once, then connects by itself", async () => {
    await redis.kill();
    const { store, lines } = openStore();
    try {
      const started = performance.now();
      await expect(store.gcra("late", 1_000, 5, T0)).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(performance.now() - started).toBeLessThan(DEFAULT_COMMAND_TIMEOUT_MS + 100);
      expect(lines.map((line) => line.msg)).toEqual([expect.stringMatching(/^counter store unavailable/)]);
    } finally {
      await redis.restart();
    }
    await eventually(async () => expect((await store.gcra("late", 1_000, 5, T0)).allowed).toBe(true));
  });

  it("close() quits: the connection leaves Redis", async () => {
    // Stores of the tests above reconnect by themselves after Redis's restarts, at their own
    // pace: close them first, or their connections come and go while this one is counted.
    await Promise.all(stores.splice(0).map((earlier) => earlier.close()));
    const { store } = openStore();
    await store.gcra("bye", 1_000, 5, T0);
    const named = async () => ((await redis.client().client("LIST")) as string).split("\n").filter((line) => line.includes("name=turnpike-gateway")).length;
    const before = await named();
    await store.close();
    await eventually(async () => expect(await named()).toBe(before - 1));
  });
});
