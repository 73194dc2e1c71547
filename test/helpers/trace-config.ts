/** Exporter settings for tests that build an OtlpSpanExporter directly (not from the environment). */
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
    ...overrides,
  };
}
