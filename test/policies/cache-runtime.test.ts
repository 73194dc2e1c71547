/**
 * cache's runtime pieces (policies/cache): Cache-Control parsing and freshness, what may be
 * stored, keys and variants, the byte-bounded LRU (property-tested against a model), the
 * recording sink, and the handler itself over in-memory sinks: coalescing, failures, namespaces.
 */
import fc from "fast-check";
import type { Exchange, HeaderMap } from "../../gateway-image/src/http/exchange";
import type { ResponseSink } from "../../gateway-image/src/upstream/upstream";
import { cacheOptions } from "../../policies/cache/schema";
import { ByteLru } from "../../policies/cache/byte-lru";
import { clientDirectives, freshnessLifetime, parseCacheControl } from "../../policies/cache/cache-control";
import { normalizedQuery, parseVary, primaryKey, variantKey } from "../../policies/cache/cache-key";
import { cacheHandler } from "../../policies/cache/handler";
import { RecordingSink } from "../../policies/cache/recording-sink";
import { ResponseStore } from "../../policies/cache/response-store";
import { type StorabilityRules, storability } from "../../policies/cache/storability";

describe("Cache-Control", () => {
  it("parses directives case-insensitively, with quoted arguments holding commas, first occurrence winning", () => {
    const directives = parseCacheControl(['Max-Age=60, private="set-cookie, x-a"', "no-transform, max-age=5,,"]);
    expect([...directives]).toEqual([
      ["max-age", "60"],
      ["private", "set-cookie, x-a"],
      ["no-transform", ""],
    ]);
  });

  it("takes the lifetime from s-maxage, then max-age, then Expires - Date, then the default", () => {
    const date = "Mon, 01 Jan 2024 00:00:00 GMT";
    const lifetime = (cacheControl: string, headers: { expires?: string; date?: string } = {}, respect = true) => freshnessLifetime(parseCacheControl(cacheControl), headers, 60, respect);
    expect(lifetime("max-age=10, s-maxage=20")).toBe(20);
    expect(lifetime("max-age=10", { expires: "Mon, 01 Jan 2024 01:00:00 GMT", date })).toBe(10);
    expect(lifetime("", { expires: "Mon, 01 Jan 2024 01:00:00 GMT", date })).toBe(3_600);
    expect(lifetime("", { expires: "0", date })).toBe(0);
    expect(lifetime("max-age=oops")).toBe(60);
    expect(lifetime("")).toBe(60);
    expect(lifetime("s-maxage=20", {}, false)).toBe(60);
  });

  it("reads what the client asks: no-cache, max-age=0 and Pragma refresh; no-store; max-age; only-if-cached", () => {
    expect(clientDirectives({ "cache-control": "no-cache" })).toMatchObject({ refresh: true, noStore: false });
    expect(clientDirectives({ "cache-control": "max-age=0" })).toMatchObject({ refresh: true, maxAge: 0 });
    expect(clientDirectives({ "cache-control": "max-age=30" })).toMatchObject({ refresh: false, maxAge: 30 });
    expect(clientDirectives({ "cache-control": "no-store, only-if-cached" })).toMatchObject({ noStore: true, onlyIfCached: true });
    expect(clientDirectives({ pragma: "no-cache" })).toMatchObject({ refresh: true });
    // Pragma counts only without Cache-Control.
    expect(clientDirectives({ pragma: "no-cache", "cache-control": "max-age=30" })).toMatchObject({ refresh: false });
  });
});

describe("storability", () => {
  const rules: StorabilityRules = { statuses: new Set([200]), defaultTtlSeconds: 60, respectCacheControl: true, maxEntryBytes: 1_000 };
  const anonymous = { authorization: false, shared: true };
  const decide = (headers: HeaderMap, options: { status?: number; request?: typeof anonymous; rules?: Partial<StorabilityRules> } = {}) =>
    storability(options.status ?? 200, headers, options.request ?? anonymous, { ...rules, ...options.rules });

  it("stores a plain 200 for the default TTL, remembering its Vary", () => {
    expect(decide({ vary: "Accept-Encoding, accept-language" })).toEqual({ store: true, freshSeconds: 60, initialAge: 0, varyNames: ["accept-encoding", "accept-language"] });
  });

  it.each<[string, HeaderMap, number]>([
    ["status 404 is not cached", {}, 404],
    ["Vary: *", { vary: "accept, *" }, 200],
    ["Set-Cookie", { "set-cookie": ["a=1"] }, 200],
    ["Cache-Control: no-store", { "cache-control": "no-store" }, 200],
    ["Cache-Control: private", { "cache-control": 'private="x-user", max-age=60' }, 200],
    ["Cache-Control: no-cache", { "cache-control": "no-cache" }, 200],
    ["body of 1001 bytes exceeds maxEntryBytes", { "content-length": "1001" }, 200],
    ["already stale", { "cache-control": "max-age=10", age: "10" }, 200],
  ])("does not store: %s", (reason, headers, status) => {
    expect(decide(headers, { status })).toEqual({ store: false, reason });
  });

  it("counts the Age a response arrived with against its lifetime", () => {
    expect(decide({ "cache-control": "max-age=60", age: "45" })).toMatchObject({ store: true, freshSeconds: 15, initialAge: 45 });
  });

  it("ignores the upstream's directives with respectCacheControl false, but never stores Set-Cookie or Vary: *", () => {
    const ignoring = { rules: { respectCacheControl: false } };
    expect(decide({ "cache-control": "no-store, max-age=5" }, ignoring)).toMatchObject({ store: true, freshSeconds: 60 });
    expect(decide({ "set-cookie": "a=1" }, ignoring)).toMatchObject({ store: false });
    expect(decide({ vary: "*" }, ignoring)).toMatchObject({ store: false });
  });

  it("shares an answer to an Authorization request only when the upstream marks it public (RFC 9111 §3.5)", () => {
    const sharedAuthorized = { request: { authorization: true, shared: true } };
    expect(decide({}, sharedAuthorized)).toMatchObject({ store: false });
    expect(decide({ "cache-control": "public" }, sharedAuthorized)).toMatchObject({ store: true });
    expect(decide({ "cache-control": "s-maxage=30" }, sharedAuthorized)).toMatchObject({ store: true, freshSeconds: 30 });
    // Kept per identified consumer, the entry is that caller's alone.
    expect(decide({}, { request: { authorization: true, shared: false } })).toMatchObject({ store: true });
  });
});

/** Just enough of an Exchange for the cache. */
function fakeExchange(url: string, options: { method?: string; headers?: Record<string, string>; consumer?: string; requestId?: string } = {}): Exchange {
  const mark = url.indexOf("?");
  return {
    req: { method: options.method ?? "GET", url, headers: { host: "gateway.test", ...options.headers } },
    url,
    query: mark < 0 ? "" : url.slice(mark + 1),
    consumer: options.consumer === undefined ? null : { name: options.consumer },
    requestId: options.requestId ?? "request-1",
    cacheStatus: null,
  } as unknown as Exchange;
}

describe("cache keys", () => {
  it("sorts query parameters by name, keeping repeated names in order, and encodes one way", () => {
    expect(normalizedQuery("b=2&a=1&a=0&c=%7E+x")).toBe("a=1&a=0&b=2&c=%7E+x");
    expect(normalizedQuery("c=~%20x")).toBe(normalizedQuery("c=%7E+x"));
    expect(normalizedQuery("")).toBe("");
  });

  it("separates consumers, anonymous callers and shared entries, hosts, paths and configured vary headers", () => {
    const key = (url: string, scope: string | null, headers: Record<string, string> = {}) => primaryKey("p", fakeExchange(url, { headers }), scope, ["x-tenant"]);
    const keys = [
      key("/a?x=1", "alice"),
      key("/a?x=1", "bob"),
      key("/a?x=1", ""),
      key("/a?x=1", null),
      key("/b?x=1", "alice"),
      key("/a?x=2", "alice"),
      key("/a?x=1", "alice", { host: "other.test" }),
      key("/a?x=1", "alice", { "x-tenant": "t1" }),
      key("/a?x=1", "alice", { "x-tenant": "" }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    expect(key("/a?x=1", "alice", { host: "GATEWAY.test" })).toBe(keys[0]);
  });

  it("adds the values of the upstream's Vary headers, telling absent from empty and ignoring list whitespace", () => {
    expect(variantKey("p", [], { accept: "x" })).toBe("p");
    const keyed = (headers: Record<string, string>) => variantKey("p", ["accept", "accept-language"], headers);
    expect(keyed({ accept: "a, b" })).toBe(keyed({ accept: "a,b" }));
    expect(new Set([keyed({}), keyed({ accept: "" }), keyed({ accept: "a" }), keyed({ "accept-language": "a" })]).size).toBe(4);
  });

  it("parses Vary into sorted unique names, or *", () => {
    expect(parseVary(["Accept-Language, accept", "ACCEPT"])).toEqual(["accept", "accept-language"]);
    expect(parseVary("accept, *")).toBe("*");
    expect(parseVary(undefined)).toEqual([]);
  });
});

describe("ByteLru", () => {
  it("evicts the least recently used values until the total fits, and refuses a value larger than the bound", () => {
    const lru = new ByteLru<string>(10);
    lru.set("a", "a", 4);
    lru.set("b", "b", 4);
    lru.get("a"); // b is now the least recently used
    lru.set("c", "c", 4);
    expect([lru.peek("a"), lru.peek("b"), lru.peek("c"), lru.bytes]).toEqual(["a", undefined, "c", 8]);
    expect(lru.set("huge", "x", 11)).toBe(false);
    expect([lru.size, lru.bytes]).toEqual([2, 8]);
  });

  it("always holds at most its bound, counts exactly what it holds, and keeps the most recent value it can", () => {
    const operation = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), key: fc.integer({ min: 0, max: 9 }), size: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ kind: fc.constant("get" as const), key: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ kind: fc.constant("delete" as const), key: fc.integer({ min: 0, max: 9 }) }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 100 }), (operations) => {
        const lru = new ByteLru<number>(32);
        const model = new Map<string, number>(); // key → size, in recency order
        for (const op of operations) {
          const key = String(op.key);
          if (op.kind === "set") {
            lru.set(key, op.size, op.size);
            model.delete(key);
            if (op.size <= 32) {
              model.set(key, op.size);
              let total = [...model.values()].reduce((sum, size) => sum + size, 0);
              for (const [oldest, size] of model) {
                if (total <= 32) break;
                model.delete(oldest);
                total -= size;
              }
            }
          } else if (op.kind === "get") {
            expect(lru.get(key)).toBe(model.get(key));
            if (model.has(key)) {
              const size = model.get(key)!;
              model.delete(key);
              model.set(key, size);
            }
          } else {
            lru.delete(key);
            model.delete(key);
          }
          expect(lru.bytes).toBe([...model.values()].reduce((sum, size) => sum + size, 0));
          expect(lru.bytes).toBeLessThanOrEqual(32);
          expect(lru.size).toBe(model.size);
        }
      }),
    );
  });
});

/** A client sink in memory; like the real one, it changes the headers it is given. */
class MemorySink implements ResponseSink {
  status = 0;
  headers: HeaderMap = {};
  readonly chunks: Buffer[] = [];
  ended = false;
  aborted: Error | null = null;
  closed = false;

  head(status: number, headers: HeaderMap): void {
    this.status = status;
    this.headers = headers;
    headers["x-request-id"] = "set-by-the-client-sink";
  }

  data(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return true;
  }

  end(): void {
    this.ended = true;
  }

  onDrain(resume: () => void): void {
    resume();
  }

  abort(error: Error): void {
    this.aborted = error;
  }

  get body(): string {
    return Buffer.concat(this.chunks).toString();
  }
}

describe("RecordingSink", () => {
  it("passes everything through and keeps a copy of the head and body the client sink cannot change", () => {
    const client = new MemorySink();
    const kept: { headers?: HeaderMap; body?: Buffer | null } = {};
    const sink = new RecordingSink(client, 10, {
      head: (_status, headers) => ((kept.headers = headers), true),
      done: (body) => (kept.body = body),
    });
    sink.head(200, { etag: '"1"' });
    sink.data(Buffer.from("hello "));
    sink.data(Buffer.from("you"));
    sink.end();
    expect([client.status, client.body, client.ended]).toEqual([200, "hello you", true]);
    expect(kept.headers).toEqual({ etag: '"1"' });
    expect(kept.body!.toString()).toBe("hello you");
  });

  it("drops the copy once the body is over the limit, and still streams all of it", () => {
    const client = new MemorySink();
    const done = jest.fn();
    const sink = new RecordingSink(client, 5, { head: () => true, done });
    sink.head(200, {});
    sink.data(Buffer.from("1234"));
    expect(done).not.toHaveBeenCalled();
    sink.data(Buffer.from("56"));
    expect(done).toHaveBeenCalledWith(null);
    sink.data(Buffer.from("78"));
    sink.end();
    expect(done).toHaveBeenCalledTimes(1);
    expect(client.body).toBe("12345678");
  });

  it("gives up the copy when the response is aborted", () => {
    const done = jest.fn();
    const client = new MemorySink();
    const sink = new RecordingSink(client, 100, { head: () => true, done });
    sink.head(200, {});
    sink.abort(new Error("reset"));
    expect(done).toHaveBeenCalledWith(null);
    expect(client.aborted?.message).toBe("reset");
  });
});

describe("the handler", () => {
  const config = cacheOptions.parse({});
  /** An upstream answering after `delayMs`, counting calls. */
  function upstream(options: { delayMs?: number; headers?: HeaderMap; fail?: boolean } = {}) {
    let calls = 0;
    const forward = (sink: ResponseSink) => {
      calls++;
      const call = calls;
      return new Promise<void>((resolve, reject) =>
        setTimeout(() => {
          if (options.fail) return reject(new Error("connect-failure"));
          sink.head(200, { "content-type": "text/plain", "x-request-id": "request-1", ...options.headers });
          sink.data(Buffer.from(`answer ${call}`));
          sink.end();
          resolve();
        }, options.delayMs ?? 0),
      );
    };
    return { forward, calls: () => calls };
  }

  async function run(handler: ReturnType<typeof cacheHandler>, exchange: Exchange, forward: (sink: ResponseSink) => Promise<void>) {
    const sink = new MemorySink();
    await handler.proxy!(exchange, sink, forward);
    return { sink, status: exchange.cacheStatus };
  }

  it("coalesces concurrent misses into one upstream call and serves the waiters from it", async () => {
    const handler = cacheHandler(config, "api/cache", new ResponseStore());
    const origin = upstream({ delayMs: 20 });
    const results = await Promise.all(Array.from({ length: 5 }, () => run(handler, fakeExchange("/slow"), origin.forward)));
    expect(origin.calls()).toBe(1);
    expect(results.map((result) => result.status).sort()).toEqual(["hit", "hit", "hit", "hit", "miss"]);
    expect(results.every((result) => result.sink.body === "answer 1" && result.sink.ended)).toBe(true);
    const hit = results.find((result) => result.status === "hit")!;
    expect(hit.sink.headers).toMatchObject({ age: "0", "content-length": "8", "content-type": "text/plain" });
  });

  it("lets waiters fetch for themselves when the leading request fails", async () => {
    const handler = cacheHandler(config, "api/cache", new ResponseStore());
    const failing = upstream({ delayMs: 20, fail: true });
    const working = upstream();
    const leader = run(handler, fakeExchange("/flaky"), failing.forward);
    const waiters = Array.from({ length: 3 }, () => run(handler, fakeExchange("/flaky"), working.forward));
    await expect(leader).rejects.toThrow("connect-failure");
    const answers = await Promise.all(waiters);
    expect(working.calls()).toBe(3);
    expect(answers.map((answer) => answer.status)).toEqual(["miss", "miss", "miss"]);
  });

  it("never stores the storing request's id, whatever header the upstream echoed it in", async () => {
    const store = new ResponseStore();
    const handler = cacheHandler(config, "api/cache", store);
    const origin = upstream({ headers: { "x-correlation": "request-1", etag: '"e"' } });
    await run(handler, fakeExchange("/ids"), origin.forward);
    const hit = await run(handler, fakeExchange("/ids", { requestId: "request-2" }), origin.forward);
    expect(hit.status).toBe("hit");
    expect(hit.sink.headers["x-correlation"]).toBeUndefined();
    expect(hit.sink.headers.etag).toBe('"e"');
  });

  it("keeps entries across a reload with the same configuration, and starts afresh when it changes", async () => {
    const store = new ResponseStore();
    const origin = upstream();
    await run(cacheHandler(config, "api/cache", store), fakeExchange("/reload"), origin.forward);
    expect((await run(cacheHandler(config, "api/cache", store), fakeExchange("/reload"), origin.forward)).status).toBe("hit");
    expect((await run(cacheHandler({ ...config, ttlSeconds: 5 }, "api/cache", store), fakeExchange("/reload"), origin.forward)).status).toBe("miss");
    expect((await run(cacheHandler(config, "other/cache", store), fakeExchange("/reload"), origin.forward)).status).toBe("miss");
  });

  it("answers only-if-cached misses with 504 without calling the upstream", async () => {
    const handler = cacheHandler(config, "api/cache", new ResponseStore());
    const origin = upstream();
    const answer = await run(handler, fakeExchange("/cold", { headers: { "cache-control": "only-if-cached" } }), origin.forward);
    expect([answer.sink.status, origin.calls()]).toEqual([504, 0]);
  });

  it("does not serve an entry older than the client's max-age, and expires entries at their TTL", async () => {
    const now = jest.spyOn(Date, "now");
    try {
      const handler = cacheHandler({ ...config, ttlSeconds: 60 }, "api/cache", new ResponseStore());
      const origin = upstream();
      now.mockReturnValue(1_000_000);
      await run(handler, fakeExchange("/aging"), origin.forward);
      now.mockReturnValue(1_030_000);
      expect((await run(handler, fakeExchange("/aging"), origin.forward)).sink.headers.age).toBe("30");
      expect((await run(handler, fakeExchange("/aging", { headers: { "cache-control": "max-age=20" } }), origin.forward)).status).toBe("miss");
      now.mockReturnValue(1_030_000 + 60_000);
      expect((await run(handler, fakeExchange("/aging"), origin.forward)).status).toBe("miss");
      expect(origin.calls()).toBe(3);
    } finally {
      now.mockRestore();
    }
  });

  it("bounds the store by bytes: old entries go when new ones need the room", async () => {
    const store = new ResponseStore(3_000);
    const handler = cacheHandler(config, "api/cache", store);
    const origin = upstream();
    for (let index = 0; index < 20; index++) await run(handler, fakeExchange(`/many/${index}`), origin.forward);
    expect(store.bytes).toBeLessThanOrEqual(3_000);
    expect((await run(handler, fakeExchange("/many/19"), origin.forward)).status).toBe("hit");
    expect((await run(handler, fakeExchange("/many/0"), origin.forward)).status).toBe("miss");
  });
});
