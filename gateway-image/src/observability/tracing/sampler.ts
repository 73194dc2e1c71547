/**
 * Which requests' spans are recorded: OpenTelemetry's built-in samplers, by the names
 * `OTEL_TRACES_SAMPLER` takes. A parent-based sampler follows the caller's decision (the
 * sampled flag of its traceparent) and decides only for the traces the gateway starts.
 */

export const SAMPLER_NAMES = ["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

/** 2^52: the trace id's last 13 hex digits, read as a number, are below it (exactly, in a double). */
const RATIO_SCALE = 2 ** 52;

export class Sampler {
  private readonly parentBased: boolean;
  /** Root traces whose id reads below this are sampled. */
  private readonly threshold: number;

  constructor(
    readonly name: SamplerName,
    /** Share of traces sampled by a `traceidratio` sampler, 0 to 1. */
    readonly ratio: number,
  ) {
    this.parentBased = name.startsWith("parentbased_");
    const root = this.parentBased ? name.slice("parentbased_".length) : name;
    this.threshold = root === "always_on" ? RATIO_SCALE : root === "always_off" ? 0 : Math.floor(ratio * RATIO_SCALE);
  }

  /**
   * Whether the span of a request in trace `traceId` is recorded; `parentSampled` is the
   * caller's sampled flag, or null when the gateway starts the trace.
   *
   * The ratio decision is a function of the trace id (its low 52 bits, the random part of a
   * W3C trace id), so every gateway replica and worker decides the same for one trace, as
   * the specification asks of TraceIdRatioBased.
   */
  sampled(traceId: string, parentSampled: boolean | null): boolean {
    if (this.parentBased && parentSampled !== null) return parentSampled;
    if (this.threshold >= RATIO_SCALE) return true;
    if (this.threshold <= 0) return false;
    return Number.parseInt(traceId.slice(19), 16) < this.threshold;
  }
}
