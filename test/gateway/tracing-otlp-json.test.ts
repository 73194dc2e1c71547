/**
 * The OTLP/HTTP JSON the gateway sends, checked against OpenTelemetry's own encoder: the same
 * spans are built through the OpenTelemetry SDK (@opentelemetry/sdk-trace-base 1.30.1) and
 * serialized by @opentelemetry/otlp-transformer 0.57.2's JsonTraceSerializer, and the two
 * requests, parsed, must be equal up to what the OTLP JSON encoding lets encoders differ on.
 */
import fc from "fast-check";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import { type AttributeValue, type FinishedSpan, type InstrumentationScope, SPAN_KIND_SERVER, encodeTraceRequest } from "../../gateway-image/src/observability/tracing/otlp-json";
import { anyText, exampleSpan, otlpArbitraries, referenceSpans } from "../helpers/otlp-reference";

// ---------------------------------------------------------------------------------------------
// The same spans through the OpenTelemetry SDK

/** The request the OpenTelemetry SDK's JSON serializer writes for `spans`, as text. */
function referenceRequest(resource: ReadonlyArray<readonly [string, AttributeValue]>, scope: InstrumentationScope, spans: readonly FinishedSpan[]): string {
  return new TextDecoder().decode(JsonTraceSerializer.serializeRequest(referenceSpans(resource, scope, spans)));
}

// ---------------------------------------------------------------------------------------------
// What the OTLP JSON encoding lets two encoders write differently

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Fields whose zero value (0, "", [], {}) an encoder may write or leave out (proto3 JSON defaults). */
const DEFAULTABLE = new Set(["droppedAttributesCount", "droppedEventsCount", "droppedLinksCount", "events", "links", "status", "code", "message", "traceState", "parentSpanId", "schemaUrl", "version"]);

function isDefault(value: Json): boolean {
  if (value === 0 || value === "" || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && Object.keys(value).length === 0;
}

/**
 * `json` with int64s as decimal strings (OTLP JSON accepts a number or a string), fields at
 * their default value left out (an absent field and a zero one mean the same), and resource
 * attributes sorted by key (a resource's attributes are a set; the SDK keeps them in an object,
 * whose integer-like keys JavaScript reorders). An AnyValue's oneof member is kept even at its
 * default: proto3 JSON must write a set oneof member.
 */
function normalized(json: Json, key = ""): Json {
  if (Array.isArray(json)) {
    const items = json.map((item) => normalized(item));
    return key === "resource.attributes" ? [...items].sort((a, b) => compareKeys(a, b)) : items;
  }
  if (json === null || typeof json !== "object") return json;
  const out: { [key: string]: Json } = {};
  for (const [field, value] of Object.entries(json)) {
    if (field === "intValue" || field.endsWith("UnixNano")) {
      out[field] = typeof value === "number" ? String(value) : value;
      continue;
    }
    if (field === "value" && value !== null && typeof value === "object" && !Array.isArray(value)) {
      // An AnyValue: its member is kept as written, an int64 read as its decimal text.
      out[field] = typeof value.intValue === "number" ? { ...value, intValue: String(value.intValue) } : value;
      continue;
    }
    const inner = normalized(value, key === "resource" && field === "attributes" ? "resource.attributes" : field);
    if (DEFAULTABLE.has(field) && isDefault(inner)) continue;
    out[field] = inner;
  }
  return out;
}

function compareKeys(a: Json, b: Json): number {
  const keyOf = (item: Json) => (item !== null && typeof item === "object" && !Array.isArray(item) ? String(item.key) : "");
  const [x, y] = [keyOf(a), keyOf(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Our request, with each span's `flags` checked and then set aside: otlp-transformer 0.57.2
 * predates Span.flags (an [Optional] fixed32, absent meaning 0, "unknown"), so it never writes
 * it; ours writes the W3C sampled bit plus "has is-remote" (0x100) and, with a parent, "is
 * remote" (0x200), as the 2.x SDKs do for a span whose parent came from the network.
 */
function withoutFlags(json: Json, spans: readonly FinishedSpan[]): Json {
  const request = json as { resourceSpans: { scopeSpans: { spans: { flags?: number }[] }[] }[] };
  const encoded = request.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
  expect(encoded.map((span) => span.flags)).toEqual(spans.map((span) => (span.remoteParent ? 0x301 : 0x101)));
  for (const span of encoded) delete span.flags;
  return json;
}

// ---------------------------------------------------------------------------------------------
// Generated spans

const { finishedSpan, resource, scope } = otlpArbitraries(anyText);

// ---------------------------------------------------------------------------------------------

describe("OTLP/HTTP JSON encoding", () => {
  it("writes what OpenTelemetry's own JSON serializer writes for the same spans (300 generated requests)", () => {
    fc.assert(
      fc.property(resource, scope, fc.array(finishedSpan, { minLength: 1, maxLength: 4 }), (resourceAttributes, instrumentationScope, spans) => {
        const ours = encodeTraceRequest(resourceAttributes, instrumentationScope, spans);
        const theirs = referenceRequest(resourceAttributes, instrumentationScope, spans);
        expect(normalized(withoutFlags(JSON.parse(ours) as Json, spans))).toEqual(normalized(JSON.parse(theirs) as Json));
      }),
      { numRuns: 300 },
    );
  });

  it("writes an end before the start as the start, as the SDK does", () => {
    const span = exampleSpan({ startUnixMicros: 1_700_000_000_000_500, endUnixMicros: 1_700_000_000_000_000 });
    const ours = JSON.parse(encodeTraceRequest([["service.name", "s"]], { name: "t" }, [span])) as Json;
    expect(normalized(withoutFlags(ours, [span]))).toEqual(normalized(JSON.parse(referenceRequest([["service.name", "s"]], { name: "t" }, [span])) as Json));
    expect(JSON.stringify(ours)).toContain('"startTimeUnixNano":"1700000000000500000","endTimeUnixNano":"1700000000000500000"');
  });

  it("writes a small request exactly so: hex ids, int64s as decimal strings, enums as integers, null attributes left out", () => {
    const encoded = encodeTraceRequest([["service.name", "turnpike-gateway"], ["process.pid", 7]], { name: "turnpike-gateway", version: "1.2.3" }, [
      {
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "00f067aa0ba902b7",
        parentSpanId: "b7ad6b7169203331",
        remoteParent: true,
        traceState: "congo=t61rcWkgMzE",
        name: "GET /items/{id}",
        kind: SPAN_KIND_SERVER,
        startUnixMicros: 1_700_000_000_123_456,
        endUnixMicros: 1_700_000_000_223_456,
        attributes: { "http.request.method": "GET", "http.response.status_code": 502, "turnpike.cache": null, ratio: 0.25, cached: false, "turnpike.consumer": undefined },
        error: "upstream refused",
      },
      {
        traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
        spanId: "a3ce929d0e0e4736",
        parentSpanId: null,
        remoteParent: false,
        traceState: null,
        name: "POST",
        kind: SPAN_KIND_SERVER,
        startUnixMicros: 1_700_000_001_000_000,
        endUnixMicros: 1_700_000_001_000_500,
        attributes: {},
        error: null,
      },
    ]);
    expect(encoded).toBe(
      '{"resourceSpans":[{"resource":{"attributes":[' +
        '{"key":"service.name","value":{"stringValue":"turnpike-gateway"}},{"key":"process.pid","value":{"intValue":"7"}}]},' +
        '"scopeSpans":[{"scope":{"name":"turnpike-gateway","version":"1.2.3"},"spans":[' +
        '{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7","parentSpanId":"b7ad6b7169203331","traceState":"congo=t61rcWkgMzE","flags":769,' +
        '"name":"GET /items/{id}","kind":2,"startTimeUnixNano":"1700000000123456000","endTimeUnixNano":"1700000000223456000",' +
        '"attributes":[{"key":"http.request.method","value":{"stringValue":"GET"}},{"key":"http.response.status_code","value":{"intValue":"502"}},' +
        '{"key":"ratio","value":{"doubleValue":0.25}},{"key":"cached","value":{"boolValue":false}}],' +
        '"status":{"code":2,"message":"upstream refused"}},' +
        '{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"a3ce929d0e0e4736","flags":257,' +
        '"name":"POST","kind":2,"startTimeUnixNano":"1700000001000000000","endTimeUnixNano":"1700000001000500000",' +
        '"attributes":[],"status":{}}]}]}]}',
    );
  });

  it("writes text with quotes, backslashes, control characters and lone surrogates as well-formed JSON that reads back to the same text", () => {
    const nasty = `quote " backslash \\ slash / newline \n tab \t nul \u0000 unit-separator \u001f del \u007f line-separator \u2028 lone-high \ud800 lone-low \udfff pair \ud83d\ude00 end`;
    const encoded = encodeTraceRequest([[nasty, nasty]], { name: nasty, version: nasty }, [
      {
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "00f067aa0ba902b7",
        parentSpanId: null,
        remoteParent: false,
        traceState: nasty,
        name: nasty,
        kind: SPAN_KIND_SERVER,
        startUnixMicros: 1_700_000_000_000_000,
        endUnixMicros: 1_700_000_000_000_001,
        attributes: { [nasty]: nasty },
        error: nasty,
      },
    ]);
    // Nothing below U+0020 raw, and no lone surrogate: the text survives UTF-8 unchanged.
    expect(encoded).not.toMatch(/[\u0000-\u001f]/);
    expect(Buffer.from(encoded, "utf8").toString("utf8")).toBe(encoded);
    const parsed = JSON.parse(encoded) as {
      resourceSpans: [{ resource: { attributes: [{ key: string; value: { stringValue: string } }] }; scopeSpans: [{ scope: { name: string; version: string }; spans: [{ name: string; traceState: string; attributes: [{ key: string; value: { stringValue: string } }]; status: { message: string } }] }] }];
    };
    const [resourceSpans] = parsed.resourceSpans;
    const [scopeSpans] = resourceSpans.scopeSpans;
    const [span] = scopeSpans.spans;
    expect(resourceSpans.resource.attributes).toEqual([{ key: nasty, value: { stringValue: nasty } }]);
    expect(scopeSpans.scope).toEqual({ name: nasty, version: nasty });
    expect([span.name, span.traceState, span.status.message]).toEqual([nasty, nasty, nasty]);
    expect(span.attributes).toEqual([{ key: nasty, value: { stringValue: nasty } }]);
  });
});
