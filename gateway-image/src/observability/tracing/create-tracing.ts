/**
 * The tracing of one gateway process: its tracer (spans of requests) and the exporter that
 * sends them, from the settings `traceConfigFromEnv` read.
 */
import type { Logger } from "pino";
import { OtlpSpanExporter } from "./span-exporter";
import type { TraceConfig } from "./trace-config";
import { Tracer } from "./tracer";

export interface Tracing {
  readonly tracer: Tracer;
  readonly exporter: OtlpSpanExporter;
}

/** The instrumentation scope named on every exported span. */
const SCOPE = { name: "turnpike-gateway" };

export function createTracing(config: TraceConfig, logger: Logger): Tracing {
  const exporter = new OtlpSpanExporter(config, SCOPE, logger);
  return { tracer: new Tracer(config.sampler, exporter, config.upstreamSpans), exporter };
}
