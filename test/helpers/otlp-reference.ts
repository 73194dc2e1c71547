/**
 * The OpenTelemetry SDK as a reference for the gateway's OTLP encoders (test/gateway/
 * tracing-otlp-*.test.ts): the same spans built through it, and generated spans to feed both.
 */
import fc from "fast-check";
import { ROOT_CONTEXT, type Attributes, type Context, SpanKind, SpanStatusCode, TraceFlags, createTraceState, trace } from "@opentelemetry/api";
import { Resource } from "@opentelemetry/resources";
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SamplingDecision, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { type AttributeValue, type FinishedSpan, type InstrumentationScope, SPAN_KIND_CLIENT, SPAN_KIND_SERVER } from "../../gateway-image/src/observability/tracing/otlp-json";

/** The same spans built through the OpenTelemetry SDK (1.30), finished: what its serializers take. */
export function referenceSpans(resource: ReadonlyArray<readonly [string, AttributeValue]>, scope: InstrumentationScope, spans: readonly FinishedSpan[]): ReadableSpan[] {
  // The ids (and a root span's tracestate) of the span being started: the SDK generates ids itself.
  let next: FinishedSpan | null = null;
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: new Resource(Object.fromEntries(resource)),
    mergeResourceWithDefaults: false,
    idGenerator: { generateTraceId: () => next!.traceId, generateSpanId: () => next!.spanId },
    sampler: {
      shouldSample: () => ({
        decision: SamplingDecision.RECORD_AND_SAMPLED,
        // A child span takes the parent's tracestate; a root span's comes from the sampler.
        traceState: next!.parentSpanId === null && next!.traceState !== null ? createTraceState(next!.traceState) : undefined,
      }),
      toString: () => "AlwaysOnWithTraceState",
    },
    spanLimits: { attributeCountLimit: 10_000 },
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer(scope.name, scope.version);
  for (const span of spans) {
    next = span;
    let parent: Context = ROOT_CONTEXT;
    if (span.parentSpanId !== null) {
      parent = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: span.traceId,
        spanId: span.parentSpanId,
        traceFlags: TraceFlags.SAMPLED,
        isRemote: span.remoteParent,
        traceState: span.traceState === null ? undefined : createTraceState(span.traceState),
      });
    }
    const sdkSpan = tracer.startSpan(span.name, { kind: span.kind === SPAN_KIND_CLIENT ? SpanKind.CLIENT : SpanKind.SERVER, startTime: hrTime(span.startUnixMicros) }, parent);
    // The null ones too, as the gateway would pass them: the SDK skips an attribute set to null or undefined.
    sdkSpan.setAttributes(span.attributes as Attributes);
    if (span.error !== null) sdkSpan.setStatus({ code: SpanStatusCode.ERROR, message: span.error });
    sdkSpan.end(hrTime(span.endUnixMicros));
  }
  const finished = memory.getFinishedSpans();
  if (finished.length !== spans.length) throw new Error(`the SDK finished ${finished.length} spans of ${spans.length}`);
  return finished;
}

/** A root SERVER span named GET with no attributes, with `overrides`: the fixed spans of the encoders' example tests. */
export function exampleSpan(overrides: Partial<FinishedSpan> = {}): FinishedSpan {
  return {
    traceId: "0af7651916cd43dd8448eb211c80319c",
    spanId: "00f067aa0ba902b7",
    parentSpanId: null,
    remoteParent: false,
    traceState: null,
    name: "GET",
    kind: SPAN_KIND_SERVER,
    startUnixMicros: 1_700_000_000_000_000,
    endUnixMicros: 1_700_000_000_000_001,
    attributes: {},
    error: null,
    ...overrides,
  };
}

/** Whole microseconds since the epoch as OpenTelemetry's [seconds, nanoseconds]. */
export function hrTime(micros: number): [number, number] {
  return [Math.floor(micros / 1_000_000), (micros % 1_000_000) * 1_000];
}

const HEX = "0123456789abcdef".split("");
const hexId = (digits: number) =>
  fc.string({ unit: fc.constantFrom(...HEX), minLength: digits, maxLength: digits }).filter((id) => /[^0]/.test(id));

/** Any text: whole code points from all of Unicode, graphemes, and single UTF-16 units (lone surrogates included). */
export const anyText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 6 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), maxLength: 12 }),
);
/** Well-formed text only (protobuf strings are UTF-8: a lone surrogate has no encoding), longer ones too. */
export const wellFormedText = fc.oneof(fc.string({ unit: "binary", maxLength: 12 }), fc.string({ unit: "grapheme", maxLength: 6 }), fc.string({ maxLength: 200 }));

/** Generated spans, resources and scopes whose texts come from `text`. */
export function otlpArbitraries(text: fc.Arbitrary<string>) {
  /** An attribute key: non-empty (the specification's rule, and the SDK drops an empty one) and not `__proto__` (which a JavaScript object cannot hold as data). */
  const attributeKey = text.filter((key) => key.length > 0 && key !== "__proto__");
  const nonIntegerDouble = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((value) => !Number.isInteger(value));
  const attributeValue: fc.Arbitrary<AttributeValue> = fc.oneof(text, fc.maxSafeInteger(), nonIntegerDouble, fc.boolean());

  /** A W3C tracestate of 1 to 3 members `key=value`, keys distinct, as the OpenTelemetry API accepts it. */
  const traceState = fc
    .uniqueArray(
      fc.tuple(
        fc.stringMatching(/^[a-z][a-z0-9_\-*/]{0,8}$/),
        fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)).filter((c) => c !== "," && c !== "="), minLength: 1, maxLength: 8 }),
      ),
      { selector: ([key]) => key, minLength: 1, maxLength: 3 },
    )
    .map((members) => members.map(([key, value]) => `${key}=${value}`).join(","));

  /** 2001-09-09 to 2100 in microseconds. */
  const EPOCH_MICROS = { min: 1_000_000_000_000_000, max: 4_102_444_800_000_000 };

  const finishedSpan: fc.Arbitrary<FinishedSpan> = fc
    .record({
      traceId: hexId(32),
      spanId: hexId(16),
      parentSpanId: fc.option(hexId(16), { nil: null }),
      traceState: fc.option(traceState, { nil: null }),
      name: text,
      start: fc.integer(EPOCH_MICROS),
      duration: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1_000 }), fc.integer({ min: 0, max: 600_000_000 })),
      attributes: fc.uniqueArray(fc.tuple(attributeKey, fc.oneof({ weight: 6, arbitrary: attributeValue }, { weight: 1, arbitrary: fc.constantFrom(null, undefined) })), {
        selector: ([key]) => key,
        maxLength: 10,
      }),
      error: fc.option(text, { nil: null }),
      // A server span's parent is the caller's; an upstream attempt's, the gateway's own span.
      kind: fc.constantFrom(SPAN_KIND_SERVER, SPAN_KIND_CLIENT),
    })
    .map(({ start, duration, attributes, ...rest }) => ({
      ...rest,
      remoteParent: rest.parentSpanId !== null && rest.kind === SPAN_KIND_SERVER,
      startUnixMicros: start,
      endUnixMicros: start + duration,
      attributes: Object.fromEntries(attributes) as Record<string, AttributeValue | null | undefined>,
    }));

  const resource = fc.uniqueArray(fc.tuple(attributeKey, attributeValue), { selector: ([key]) => key, minLength: 1, maxLength: 8 });
  const scope = fc.record({ name: text, version: fc.option(text, { nil: undefined }) }).map(({ name, version }): InstrumentationScope => (version === undefined ? { name } : { name, version }));
  return { finishedSpan, resource, scope };
}
