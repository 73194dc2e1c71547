/** A service level objective for an API, or some of its operations. */
import type { Construct } from "constructs";
import { z } from "zod";
import { TurnpikeConstruct } from "./turnpike-construct";
import type { Api } from "./api";
import { Platform } from "./platform";

/** The objectives; at least one of them is set. */
export interface SloObjectives {
  /**
   * Percentage of requests not answered with a 5xx over the window, e.g. `99.9`.
   * @default none
   */
  readonly availability?: number;
  /**
   * Median latency at the gateway, in milliseconds.
   * @default none
   */
  readonly latencyP50Ms?: number;
  /**
   * 95th percentile latency at the gateway, in milliseconds.
   * @default none
   */
  readonly latencyP95Ms?: number;
  /**
   * 99th percentile latency at the gateway, in milliseconds.
   * @default none
   */
  readonly latencyP99Ms?: number;
  /**
   * Largest percentage of requests answered with an unexpected status under load (k6 `http_req_failed`).
   * @default none
   */
  readonly errorRatePercent?: number;
  /**
   * Request rate the API must sustain while meeting the other objectives, in requests per second;
   * the load test's target rate.
   * @default none
   */
  readonly throughputRps?: number;
  /**
   * Window the objective is measured over, in days.
   * @default 30
   */
  readonly windowDays?: number;
  /**
   * operationIds the objective covers.
   * @default all operations of the API
   */
  readonly operations?: string[];
}

export interface SloProps extends SloObjectives {
  /** The API the objective is for. */
  readonly api: Api;
}

const percent = z.number().gt(0).lt(100);
const positive = z.number().positive();

/** @internal Validated by the Slo construct; the Api reference is checked at compile. */
export const sloObjectivesSchema = z
  .strictObject({
    api: z.unknown(),
    availability: percent.optional(),
    latencyP50Ms: positive.optional(),
    latencyP95Ms: positive.optional(),
    latencyP99Ms: positive.optional(),
    errorRatePercent: z.number().min(0).lt(100).optional(),
    throughputRps: positive.optional(),
    windowDays: z.number().int().min(1).max(90).optional(),
    operations: z.array(z.string()).optional(),
  })
  .refine(
    (slo) => [slo.availability, slo.latencyP50Ms, slo.latencyP95Ms, slo.latencyP99Ms, slo.errorRatePercent, slo.throughputRps].some((value) => value !== undefined),
    { message: "an SLO needs at least one objective: availability, latencyP50Ms/P95Ms/P99Ms, errorRatePercent or throughputRps" },
  )
  .refine(
    (slo) => {
      const ordered = [slo.latencyP50Ms, slo.latencyP95Ms, slo.latencyP99Ms].filter((value): value is number => value !== undefined);
      return ordered.every((value, index) => index === 0 || value >= ordered[index - 1]!);
    },
    { message: "latency percentiles must not decrease: p50 <= p95 <= p99", path: ["latencyP99Ms"] },
  );

export interface SloDeclaration {
  readonly api: Api;
  readonly operations: string[];
  readonly availability: number | null;
  readonly latencyP50Ms: number | null;
  readonly latencyP95Ms: number | null;
  readonly latencyP99Ms: number | null;
  readonly errorRatePercent: number | null;
  readonly throughputRps: number | null;
  readonly windowDays: number;
}

export class Slo extends TurnpikeConstruct {
  /** @internal */
  readonly declaration: SloDeclaration | undefined;

  constructor(scope: Construct, id: string, props: SloProps) {
    super(scope, id);
    Platform.of(this);
    this.checkName(id);
    const parsed = this.parseProps(sloObjectivesSchema, props);
    if (parsed === undefined) return;
    this.declaration = {
      api: props.api,
      operations: [...new Set(parsed.operations ?? [])].sort(),
      availability: parsed.availability ?? null,
      latencyP50Ms: parsed.latencyP50Ms ?? null,
      latencyP95Ms: parsed.latencyP95Ms ?? null,
      latencyP99Ms: parsed.latencyP99Ms ?? null,
      errorRatePercent: parsed.errorRatePercent ?? null,
      throughputRps: parsed.throughputRps ?? null,
      windowDays: parsed.windowDays ?? 30,
    };
  }
}
