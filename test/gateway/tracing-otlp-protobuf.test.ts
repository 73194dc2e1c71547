/**
 * The OTLP/HTTP protobuf the gateway sends, checked against OpenTelemetry's own encoder: the
 * same spans built through the OpenTelemetry SDK and serialized by otlp-transformer's
 * ProtobufTraceSerializer; both requests decoded with the protocol's generated messages
 * (protobufjs, from the same package) must be equal up to what proto3 lets encoders differ on
 * (default values written or not).
 */
import fc from "fast-check";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { type AttributeValue, type FinishedSpan, type InstrumentationScope } from "../../gateway-image/src/observability/tracing/otlp-json";
import { encodeSpanEntry, encodeTraceRequestProto, partialSuccessProto, traceRequestHeadProto } from "../../gateway-image/src/observability/tracing/otlp-protobuf";
import { SpanBatches } from "../../gateway-image/src/observability/tracing/span-batches";
import { exampleSpan, otlpArbitraries, referenceSpans, wellFormedText } from "../helpers/otlp-reference";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const root = require("@opentelemetry/otlp-transformer/build/src/generated/root") as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: ProtoType; ExportTraceServiceResponse: ProtoType } } } } };
};
interface ProtoType {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: Record<string, unknown>): unknown;
  fromObject(object: unknown): unknown;
  encode(message: unknown): { finish(): Uint8Array };
}
const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const Response = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;

type Json = unknown;
const decode = (bytes: Uint8Array): Json => Request.toObject(Request.decode(bytes), { longs: String, bytes: String, enums: Number, defaults: false });

/** Default values written or left out, empty lists, and resource attribute order: what encoders may differ on. */
function normalized(value: Json): Json {
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map(normalized);
  if (value !== null && typeof value === "object") {
    const out: Record<string, Json> = {};
    for (const [key, inner] of Object.entries(value as Record<string, Json>)) {
      const cleaned = normalized(inner);
      // An AnyValue's one field is written even when it is a default value: that is its type.
      const anyValueField = key === "stringValue" || key === "intValue" || key === "boolValue" || key === "doubleValue";
      if (cleaned === undefined || (!anyValueField && (cleaned === 0 || cleaned === "0" || cleaned === "" || cleaned === false))) continue;
      if (key === "status" && cleaned !== null && typeof cleaned === "object" && Object.keys(cleaned).length === 0) continue;
      out[key] = cleaned;
    }
    return out;
  }
  return value;
}

/**
 * Span.flags (field 16, fixed32) is newer than the messages otlp-transformer 0.57.2 generated
 * (its decoder skips it as unknown), so it is checked in the bytes: the last field of each
 * span entry, the W3C sampled flag with "has is-remote" (0x100) and, with a parent, "is remote"
 * (0x200), as the 2.x SDKs write it.
 */
function expectFlags(spans: readonly FinishedSpan[]): void {
  for (const span of spans) {
    const entry = encodeSpanEntry(span);
    const flags = Buffer.alloc(6);
    flags.writeUInt8(0x85, 0);
    flags.writeUInt8(0x01, 1);
    flags.writeUInt32LE(span.remoteParent ? 0x301 : 0x101, 2);
    expect(entry.subarray(entry.length - 6)).toEqual(flags);
  }
}

function sortResource(json: Json): Json {
  const request = json as { resourceSpans: { resource?: { attributes?: { key: string }[] } }[] };
  for (const resourceSpans of request.resourceSpans) resourceSpans.resource?.attributes?.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return json;
}

/** The request OpenTelemetry's own protobuf serializer writes for the same spans. */
function referenceRequest(resource: ReadonlyArray<readonly [string, AttributeValue]>, scope: InstrumentationScope, spans: readonly FinishedSpan[]): Uint8Array {
  return ProtobufTraceSerializer.serializeRequest(referenceSpans(resource, scope, spans))!;
}

const { finishedSpan, resource, scope: anyScope } = otlpArbitraries(wellFormedText);
/** protobufjs writes an empty scope name, which reads back as absent: the same, but not equal as objects. */
const scope = anyScope.filter((candidate) => candidate.name !== "" && candidate.version !== "");

describe("OTLP/HTTP protobuf encoding", () => {
  it("decodes to what OpenTelemetry's own protobuf serializer writes for the same spans (300 generated requests)", () => {
    fc.assert(
      fc.property(resource, scope, fc.array(finishedSpan, { minLength: 1, maxLength: 4 }), (resourceAttributes, instrumentationScope, spans) => {
        const ours = decode(encodeTraceRequestProto(resourceAttributes, instrumentationScope, spans));
        const theirs = decode(referenceRequest(resourceAttributes, instrumentationScope, spans));
        expect(normalized(sortResource(ours))).toEqual(normalized(sortResource(theirs)));
        expectFlags(spans);
      }),
      { numRuns: 300 },
    );
  });

  it("writes long messages (lengths of two and three bytes) and negative integers as protobuf does", () => {
    const span = exampleSpan({ name: "x".repeat(20_000), attributes: { negative: -5, min: Number.MIN_SAFE_INTEGER, big: "é".repeat(100_000) } });
    const request = decode(encodeTraceRequestProto([["service.name", "s"]], { name: "t" }, [span])) as { resourceSpans: { scopeSpans: { spans: { name: string; attributes: { key: string; value: Record<string, string> }[] }[] }[] }[] };
    const decoded = request.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    expect(decoded.name).toHaveLength(20_000);
    expect(decoded.attributes).toEqual([
      { key: "negative", value: { intValue: "-5" } },
      { key: "min", value: { intValue: String(Number.MIN_SAFE_INTEGER) } },
      { key: "big", value: { stringValue: "é".repeat(100_000) } },
    ]);
  });

  it("is the same request whether built at once or span by span into batches, as the exporter does", () => {
    fc.assert(
      fc.property(fc.array(finishedSpan, { minLength: 1, maxLength: 6 }), (spans) => {
        const queue = new SpanBatches(spans.length, false);
        for (const span of spans) queue.appendBytes(encodeSpanEntry(span));
        const batch = queue.take()!;
        const resourceAttributes: [string, AttributeValue][] = [["service.name", "turnpike-gateway"]];
        const exported = Buffer.concat([traceRequestHeadProto(resourceAttributes, { name: "turnpike-gateway" }, batch.body.length), batch.body]);
        expect(exported.equals(encodeTraceRequestProto(resourceAttributes, { name: "turnpike-gateway" }, spans))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("reads a receiver's partial success", () => {
    const answer = Response.encode(Response.fromObject({ partialSuccess: { rejectedSpans: 3, errorMessage: "too old" } })).finish();
    expect(partialSuccessProto(Buffer.from(answer))).toEqual({ rejected: 3, message: "too old" });
    expect(partialSuccessProto(Buffer.alloc(0))).toEqual({ rejected: 0, message: "" });
    // Truncated: a partial_success whose length runs past the end is not read.
    expect(partialSuccessProto(Buffer.from([0x0a, 0x05, 0x08]))).toEqual({ rejected: 0, message: "" });
  });
});
