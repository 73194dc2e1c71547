/** Exporter settings for tests that build an OtlpSpanExporter directly (not from the environment). */
import { type FinishedSpan, SPAN_KIND_SERVER } from "../../gateway-image/src/observability/tracing/otlp-json";
import { Sampler } from "../../gateway-image/src/observability/tracing/sampler";
import type { TraceConfig } from "../../gateway-image/src/observability/tracing/trace-config";

/** Sends to `endpoint` as it is; batches of 5 from a queue of 100, no timer to speak of (flush sends), always on. */
export function testTraceConfig(endpoint: string, overrides: Partial<TraceConfig> = {}): TraceConfig {
  return {
    endpoint: new URL(endpoint),
    headers: {},
    timeoutMs: 2_000,
    protocol: "http/json",
    compression: "none",
    sampler: new Sampler("always_on", 1),
    resource: [["service.name", "turnpike-gateway"], ["service.instance.id", "i-1"]],
    scheduleDelayMs: 60_000,
    maxQueueSize: 100,
    maxExportBatchSize: 5,
    exportTimeoutMs: 5_000,
    upstreamSpans: false,
    tls: null,
    ...overrides,
  };
}

/** The `index`th of a run of finished SERVER spans, told apart by ids, name and `turnpike.request_id` (`r-<index>`). */
export function numberedSpan(index: number): FinishedSpan {
  return {
    traceId: `${"ab".repeat(12)}${String(index).padStart(8, "0")}`,
    spanId: `${"cd".repeat(4)}${String(index).padStart(8, "0")}`,
    parentSpanId: null,
    remoteParent: false,
    traceState: null,
    name: `GET /items/${index}`,
    kind: SPAN_KIND_SERVER,
    startUnixMicros: 1_700_000_000_000_000 + index,
    endUnixMicros: 1_700_000_000_001_000 + index,
    attributes: { "http.response.status_code": 200, "turnpike.request_id": `r-${index}` },
    error: null,
  };
}
