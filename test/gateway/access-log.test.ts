/** The access log line: pino's format, one JSON object per line, whatever the client sent. */
import fc from "fast-check";
import { IsoClock, JsonLinesAccessLog, milliseconds } from "../../gateway-image/src/observability/access-log";
import type { Exchange } from "../../gateway-image/src/http/exchange";
import { requestIdOf } from "../../gateway-image/src/http/forwarding";

function exchange(fields: Partial<Record<string, unknown>> = {}): Exchange {
  const route = { operation: { route: "/items/v1/items/{itemId}" }, apiId: "items-v1", operationId: "getItem" };
  return {
    route,
    requestId: "0b6f6d1e-1c1a-4a3e-9d0e-2f6b7c8d9e0f",
    req: { method: "GET" },
    status: 200,
    clientIp: "203.0.113.9",
    consumer: { name: "app" },
    subscription: { plan: "shop/free" },
    upstreamTarget: "http://127.0.0.1:8080",
    cacheStatus: null,
    failure: null,
    ...fields,
  } as unknown as Exchange;
}

/** What a client may send as X-Request-Id: absent, anything, or something that looks like an id (kept). */
const anyRequestIdHeader = fc.oneof(
  fc.constant(undefined),
  fc.string({ unit: "binary" }),
  fc.string({ unit: fc.constantFrom(..."aZ09._:@/+=-\"\\ \u00e9\n"), minLength: 1, maxLength: 130 }),
);

describe("JsonLinesAccessLog", () => {
  it("writes pino-compatible lines with every field", () => {
    const lines: string[] = [];
    new JsonLinesAccessLog((line) => lines.push(line), 2).write(exchange(), 1.23456);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith("}\n")).toBe(true);
    const parsed = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(parsed).toEqual({
      level: 30,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      service: "turnpike-gateway",
      worker: 2,
      msg: "request",
      requestId: "0b6f6d1e-1c1a-4a3e-9d0e-2f6b7c8d9e0f",
      method: "GET",
      route: "/items/v1/items/{itemId}",
      api: "items-v1",
      operation: "getItem",
      status: 200,
      durationMs: 1.235,
      client: "203.0.113.9",
      consumer: "app",
      plan: "shop/free",
      upstream: "http://127.0.0.1:8080",
      cache: null,
      failure: null,
    });
  });

  it("stays one valid JSON line in ASCII whatever a client or a declaration puts in it, and keeps it exact", () => {
    const anyText = fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }));
    fc.assert(
      fc.property(anyRequestIdHeader, fc.option(fc.string({ unit: "grapheme" }), { nil: null }), fc.string({ unit: "binary" }), anyText, anyText, (sentId, failure, consumer, operationId, clientIp) => {
        const lines: string[] = [];
        const route = { operation: { route: "/ïtems/{id}" }, apiId: "items-v1", operationId };
        // The request id is written unescaped: it is only ever what requestIdOf returns.
        const requestId = requestIdOf({ headers: sentId === undefined ? {} : { "x-request-id": sentId } }, "x-request-id");
        new JsonLinesAccessLog((line) => lines.push(line)).write(exchange({ requestId, failure, route, consumer: { name: consumer }, clientIp }), 0.5);
        const line = lines[0]!;
        expect(line.indexOf("\n")).toBe(line.length - 1);
        // The writer copies the line one byte per character.
        expect(/^[\x00-\x7f]*$/.test(line)).toBe(true);
        const parsed = JSON.parse(line) as { requestId: string; failure: string | null; consumer: string; operation: string; route: string; client: string };
        expect(parsed.requestId).toBe(requestId);
        expect(parsed.client).toBe(clientIp);
        expect(parsed.failure).toBe(failure);
        expect(parsed.consumer).toBe(consumer);
        expect(parsed.operation).toBe(operationId);
        expect(parsed.route).toBe("/ïtems/{id}");
      }),
      { numRuns: 500 },
    );
  });
  it("writes each exchange's own consumer, plan and upstream when one log serves many (names are escaped once and reused)", () => {
    // The same objects come back, as the gateway's consumer records and target URLs do.
    const consumers = [null, { name: "app" }, { name: 'we"ird\\name' }, { name: "émile" }];
    const plans = [null, { plan: "shop/free" }, { plan: "shop/gold" }, { plan: "ünï" }];
    const upstreams = [null, "http://127.0.0.1:8080", 'http://"quoted"', "http://b:9"];
    const caches = [null, "hit", "miss"];
    const failures = [null, "upstream reset", 'a "quoted" failure'];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.nat(2), fc.nat(2), fc.integer({ min: 0, max: 599 })), { minLength: 1, maxLength: 40 }),
        (picks) => {
          const lines: string[] = [];
          const log = new JsonLinesAccessLog((line) => lines.push(line));
          for (const [c, p, u, k, f, status] of picks) {
            log.write(exchange({ consumer: consumers[c], subscription: plans[p], upstreamTarget: upstreams[u], cacheStatus: caches[k], failure: failures[f], status }), 2);
          }
          lines.forEach((line, index) => {
            const [c, p, u, k, f, status] = picks[index]!;
            const parsed = JSON.parse(line) as Record<string, unknown>;
            expect(parsed.consumer).toBe(consumers[c]?.name ?? null);
            expect(parsed.plan).toBe(plans[p]?.plan ?? null);
            expect(parsed.upstream).toBe(upstreams[u]);
            expect(parsed.cache).toBe(caches[k]);
            expect(parsed.failure).toBe(failures[f]);
            expect(parsed.status).toBe(status || 499);
            expect(/^[\x00-\x7f]*$/.test(line)).toBe(true);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("starts every line with the time of its own millisecond", () => {
    const lines: string[] = [];
    let now = 0;
    const log = new JsonLinesAccessLog((line) => lines.push(line), undefined, () => now);
    for (const ms of [1_790_000_000_000, 1_790_000_000_000, 1_790_000_000_001, 1_790_000_001_000, 1_790_000_000_999, 1_790_000_000_999]) {
      now = ms;
      log.write(exchange(), 1);
      expect((JSON.parse(lines.at(-1)!) as { time: string }).time).toBe(new Date(ms).toISOString());
    }
  });
});

describe("IsoClock", () => {
  test("gives Date.prototype.toISOString() of every millisecond it is asked for, in any order", () => {
    const instant = fc.oneof(fc.integer({ min: -62_000_000_000_000, max: 250_000_000_000_000 }), fc.integer({ min: 1_790_000_000_000, max: 1_790_000_005_000 }));
    fc.assert(
      fc.property(fc.array(fc.oneof(instant, fc.integer({ min: 0, max: 1_500 })), { minLength: 1, maxLength: 200 }), (steps) => {
        let now = 1_790_000_000_000;
        const clock = new IsoClock(() => now);
        for (const step of steps) {
          // Small steps walk forward through one second and across into the next; large ones jump anywhere.
          now = step <= 1_500 ? now + step : step;
          expect(clock.now()).toBe(new Date(now).toISOString());
        }
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("milliseconds", () => {
  test("prints durations as Math.round(ms * 1000) / 1000 does (any double, and every whole microsecond)", () => {
    const reference = (ms: number) => String(Math.round(ms * 1000) / 1000);
    fc.assert(fc.property(fc.double({ min: 0, max: 1e7, noNaN: true }), (ms) => milliseconds(ms) === reference(ms)), { numRuns: 20_000 });
    fc.assert(fc.property(fc.integer({ min: 0, max: 10_000_000 }), (micros) => milliseconds(micros / 1000) === reference(micros / 1000)), { numRuns: 20_000 });
    for (const ms of [0, 0.0004, 0.001, 0.01, 0.1, 1, 1.5, 12.05, 2 ** 31]) expect(milliseconds(ms)).toBe(reference(ms));
  });
});
