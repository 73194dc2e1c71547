/**
 * Finished spans as an OTLP/HTTP JSON `ExportTraceServiceRequest` (OpenTelemetry protocol
 * specification, "JSON Protobuf Encoding"): trace and span ids as lower-case hex (not
 * base64, unlike protobuf's own JSON mapping), enums as integers, 64-bit times as decimal
 * strings, field names in lowerCamelCase.
 */

/** An attribute value: text, an integer (`intValue`), another number (`doubleValue`) or a boolean. */
export type AttributeValue = string | number | boolean;

/** OTLP `Span.SpanKind`. */
export const SPAN_KIND_SERVER = 2;
/** OTLP `Status.StatusCode`. */
const STATUS_ERROR = 2;
/** OTLP `SpanFlags`: the W3C sampled flag, and whether the parent is known to be remote (and is). */
const TRACE_FLAG_SAMPLED = 0x01;
const CONTEXT_HAS_IS_REMOTE = 0x100;
const CONTEXT_IS_REMOTE = 0x200;

export interface FinishedSpan {
  /** 32 lower-case hex digits. */
  readonly traceId: string;
  /** 16 lower-case hex digits. */
  readonly spanId: string;
  /** The caller's span, or null for a trace the gateway started. */
  readonly parentSpanId: string | null;
  /** The caller's W3C `tracestate`, kept with the span as the specification asks; null when none. */
  readonly traceState: string | null;
  readonly name: string;
  readonly kind: number;
  /** Wall-clock start and end, microseconds since the Unix epoch. */
  readonly startUnixMicros: number;
  readonly endUnixMicros: number;
  /** Attributes by name; null or undefined ones are left out. */
  readonly attributes: Readonly<Record<string, AttributeValue | null | undefined>>;
  /** Null: status unset; otherwise the span's status is ERROR with this description. */
  readonly error: string | null;
}

export interface InstrumentationScope {
  readonly name: string;
  readonly version?: string;
}

/** One export request for `spans`, all from one resource and one instrumentation scope. */
export function encodeTraceRequest(resource: ReadonlyArray<readonly [string, AttributeValue]>, scope: InstrumentationScope, spans: readonly FinishedSpan[]): string {
  const resourceAttributes = resource.map(([key, value]) => attribute(key, value)).join(",");
  const scopeJson = scope.version === undefined ? `{"name":${JSON.stringify(scope.name)}}` : `{"name":${JSON.stringify(scope.name)},"version":${JSON.stringify(scope.version)}}`;
  const encoded: string[] = [];
  for (const span of spans) encoded.push(encodeSpan(span));
  return `{"resourceSpans":[{"resource":{"attributes":[${resourceAttributes}]},"scopeSpans":[{"scope":${scopeJson},"spans":[${encoded.join(",")}]}]}]}`;
}

function encodeSpan(span: FinishedSpan): string {
  const attributes: string[] = [];
  const declared = span.attributes;
  for (const key in declared) {
    const value = declared[key];
    if (value !== null && value !== undefined) attributes.push(attribute(key, value));
  }
  return (
    `{"traceId":"${span.traceId}","spanId":"${span.spanId}"` +
    (span.parentSpanId === null ? "" : `,"parentSpanId":"${span.parentSpanId}"`) +
    (span.traceState === null ? "" : `,"traceState":${JSON.stringify(span.traceState)}`) +
    // Exported spans are sampled ones; the gateway's parent, when it has one, is the caller's, across the network.
    `,"flags":${TRACE_FLAG_SAMPLED | CONTEXT_HAS_IS_REMOTE | (span.parentSpanId === null ? 0 : CONTEXT_IS_REMOTE)}` +
    `,"name":${JSON.stringify(span.name)},"kind":${span.kind}` +
    `,"startTimeUnixNano":"${nanos(span.startUnixMicros)}","endTimeUnixNano":"${nanos(Math.max(span.endUnixMicros, span.startUnixMicros))}"` +
    `,"attributes":[${attributes.join(",")}]` +
    (span.error === null ? `,"status":{}` : `,"status":{"code":${STATUS_ERROR},"message":${JSON.stringify(span.error)}}`) +
    "}"
  );
}

function attribute(key: string, value: AttributeValue): string {
  let byValue = encodedAttributes.get(key);
  if (byValue === undefined) {
    byValue = new Map();
    if (encodedAttributes.size < MAX_CACHED_KEYS) encodedAttributes.set(key, byValue);
  }
  let encoded = byValue.get(value);
  if (encoded === undefined) {
    encoded = `{"key":${JSON.stringify(key)},"value":${attributeValue(value)}}`;
    if (byValue.size >= MAX_CACHED_VALUES) byValue.clear();
    byValue.set(value, encoded);
  }
  return encoded;
}

function attributeValue(value: AttributeValue): string {
  if (typeof value === "string") return `{"stringValue":${JSON.stringify(value)}}`;
  if (typeof value === "boolean") return `{"boolValue":${value}}`;
  if (Number.isSafeInteger(value)) return `{"intValue":"${value}"}`;
  return Number.isFinite(value) ? `{"doubleValue":${value}}` : `{"stringValue":"${value}"}`;
}

/**
 * Encoded attributes by key and value: most repeat from span to span (the route, the API,
 * the consumer, the status, the upstream), and encoding each again, every span, was most of
 * the encoding's time. Bounded: a key's values start over when there are too many (request
 * ids never repeat).
 */
const MAX_CACHED_KEYS = 256;
const MAX_CACHED_VALUES = 1024;
const encodedAttributes = new Map<string, Map<AttributeValue, string>>();

/** Microseconds (a safe integer until the year 2255) as nanoseconds, in decimal. */
function nanos(micros: number): string {
  const rounded = Math.round(micros);
  return rounded === 0 ? "0" : `${rounded}000`;
}
