/** The access log line: pino's format, one JSON object per line, whatever the client sent. */
import fc from "fast-check";
import { JsonLinesAccessLog, milliseconds } from "../../gateway-image/src/observability/access-log";
import type { Exchange } from "../../gateway-image/src/http/exchange";

function exchange(fields: Partial<Record<string, unknown>> = {}): Exchange {
  const route = { operation: { route: "/items/v1/items/{itemId}" }, apiId: "items-v1", operationId: "getItem" };
  return {
    route,
    requestId: "0b6f6d1e-1c1a-4a3e-9d0e-2f6b7c8d9e0f",
    req: { method: "GET" },
    status: 200,
    elapsedMs: () => 1.23456,
    clientIp: "203.0.113.9",
    consumer: { name: "app" },
    subscription: { plan: "shop/free" },
    upstreamTarget: "http://127.0.0.1:8080",
    cacheStatus: null,
    failure: null,
    ...fields,
  } as unknown as Exchange;
}

describe("JsonLinesAccessLog", () => {
  it("writes pino-compatible lines with every field", () => {
    const lines: string[] = [];
    new JsonLinesAccessLog((line) => lines.push(line), 2).write(exchange());
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

  it("stays one valid JSON line whatever a client puts in the request id, and keeps it exact", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.option(fc.string({ unit: "binary" }), { nil: null }), (requestId, failure) => {
        const lines: string[] = [];
        new JsonLinesAccessLog((line) => lines.push(line)).write(exchange({ requestId, failure }));
        expect(lines[0]!.indexOf("\n")).toBe(lines[0]!.length - 1);
        const parsed = JSON.parse(lines[0]!) as { requestId: string; failure: string | null };
        expect(parsed.requestId).toBe(requestId);
        expect(parsed.failure).toBe(failure);
      }),
      { numRuns: 500 },
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
