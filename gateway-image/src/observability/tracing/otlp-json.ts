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
export const SPAN_KIND_CLIENT = 3;
/** OTLP `Status.StatusCode`. */
export const STATUS_ERROR = 2;
/** OTLP `SpanFlags`: the W3C sampled flag, and whether the parent is known to be remote (and is). */
const TRACE_FLAG_SAMPLED = 0x01;
const CONTEXT_HAS_IS_REMOTE = 0x100;
const CONTEXT_IS_REMOTE = 0x200;

export interface FinishedSpan {
  /** 32 lower-case hex digits. */
  readonly traceId: string;
  /** 16 lower-case hex digits. */
  readonly spanId: string;
  /** The parent span: the caller's (a server span), the gateway's (an upstream attempt), or null for a trace the gateway started. */
  readonly parentSpanId: string | null;
  /** The parent is another process's span (the caller's), not one of the gateway's. */
  readonly remoteParent: boolean;
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
  return `${traceRequestHead(resource, scope)}${spans.map(encodeSpan).join(",")}${TRACE_REQUEST_TAIL}`;
}

/**
 * An export request is this head, the spans `encodeSpan` wrote with commas between them, and
 * `TRACE_REQUEST_TAIL`: the exporter writes spans as they end and adds the two around them.
 */
export function traceRequestHead(resource: ReadonlyArray<readonly [string, AttributeValue]>, scope: InstrumentationScope): string {
  const attributes = JSON.stringify(resource.map(([key, value]) => ({ key, value: anyValue(value) })));
  return `{"resourceSpans":[{"resource":{"attributes":${attributes}},"scopeSpans":[{"scope":${JSON.stringify({ name: scope.name, version: scope.version })},"spans":[`;
}

export const TRACE_REQUEST_TAIL = "]}]}]}";

/**
 * One span as OTLP JSON. Built as the protocol's object shape and written by JSON.stringify
 * (V8's serializer in C++): ~5 µs for a gateway span of 16 attributes, where assembling the
 * text by hand took 6–8 µs (BENCHMARKS.md, "tracing").
 */
export function encodeSpan(span: FinishedSpan): string {
  const attributes: { key: string; value: object }[] = [];
  const declared = span.attributes;
  for (const key in declared) {
    const value = declared[key];
    if (value !== null && value !== undefined) attributes.push({ key, value: anyValue(value) });
  }
  const end = Math.max(span.endUnixMicros, span.startUnixMicros);
  return JSON.stringify({
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId ?? undefined,
    traceState: span.traceState ?? undefined,
    flags: spanFlags(span),
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: nanos(span.startUnixMicros),
    endTimeUnixNano: nanos(end),
    attributes,
    status: span.error === null ? {} : { code: STATUS_ERROR, message: span.error },
  });
}

/**
 * OTLP `Span.flags`, the same in both encodings: exported spans are sampled ones, and whether
 * the parent is known to be across the network (a server span's caller) or not (an upstream
 * attempt's parent, the gateway's own span).
 */
export function spanFlags(span: FinishedSpan): number {
  return TRACE_FLAG_SAMPLED | CONTEXT_HAS_IS_REMOTE | (span.remoteParent ? CONTEXT_IS_REMOTE : 0);
}

/** OTLP `AnyValue`: 64-bit integers as decimal strings, as the JSON encoding writes int64. */
function anyValue(value: AttributeValue): object {
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  if (Number.isSafeInteger(value)) return { intValue: String(value) };
  return Number.isFinite(value) ? { doubleValue: value } : { stringValue: String(value) };
}

/** Microseconds (a safe integer until the year 2255) as nanoseconds, in decimal. */
function nanos(micros: number): string {
  const rounded = Math.round(micros);
  return rounded === 0 ? "0" : `${rounded}000`;
}
