/**
 * An API's SLOs as load-test thresholds, in k6's terms (metric, aggregation, operator, value):
 * the generated k6 script writes them into `options.thresholds`, and `turnpike slo run`
 * evaluates the same list against what autocannon measured. The numbers come from
 * `slo-math.ts`, as the Prometheus alerts' do.
 *
 * | objective          | k6 threshold                                              |
 * |--------------------|-----------------------------------------------------------|
 * | latencyP95Ms: 150  | `http_req_duration: p(95)<150`                            |
 * | errorRatePercent: 1| `http_req_failed: rate<0.01`, `checks: rate>0.99`         |
 * | availability: 99.9 | the same, with the budget 0.001 (when no error rate)      |
 * | throughputRps: 200 | `dropped_iterations: rate<10` (5 % of the target rate)    |
 *
 * An SLO on some operations gets sub-metric thresholds per operation
 * (`http_req_duration{operation:createPayment}`), stricter than one over their union but
 * expressible with k6's tag filters.
 */
import type { Slo } from "../../constructs/manifest/schema";
import { THROUGHPUT_TOLERANCE, failureBound, latencyObjectives } from "../../constructs/targets/observability/slo-math";

export type ThresholdMetric = "http_req_duration" | "http_req_failed" | "checks" | "dropped_iterations";
export type ThresholdObjective = "latencyP50Ms" | "latencyP95Ms" | "latencyP99Ms" | "errorRatePercent" | "availability" | "throughputRps";

export interface SloThreshold {
  /** SLO id, `<api>/<name>`. */
  readonly slo: string;
  /** The declared objective the threshold comes from. */
  readonly objective: ThresholdObjective;
  /** The declared number (ms, %, req/s). */
  readonly declared: number;
  readonly metric: ThresholdMetric;
  /** operationIds the threshold is about; `[]` = every request of the test. */
  readonly operations: readonly string[];
  /** k6 aggregation method: `p(95)`, `rate`. */
  readonly aggregation: `p(${number})` | "rate";
  readonly operator: "<" | "<=" | ">" | ">=";
  /** In the metric's unit: milliseconds for durations, a ratio for rates, per second for `dropped_iterations`. */
  readonly value: number;
}

const round = (value: number) => Number(value.toPrecision(6));

/** The thresholds of the SLOs of one API, in SLO order. */
export function sloThresholds(slos: readonly Slo[]): SloThreshold[] {
  return slos.flatMap((slo) => {
    const base = { slo: slo.id, operations: slo.operations };
    const thresholds: SloThreshold[] = latencyObjectives(slo).map((objective) => ({
      ...base,
      objective: objective.field,
      declared: objective.objectiveMs,
      metric: "http_req_duration",
      aggregation: `p(${objective.percentile})`,
      operator: "<",
      value: objective.objectiveMs,
    }));
    const bound = failureBound(slo);
    if (bound !== null) {
      const declared = bound.from === "errorRatePercent" ? slo.errorRatePercent! : slo.availability!;
      // A zero error rate cannot be "below 0": it is "at most 0".
      thresholds.push({ ...base, objective: bound.from, declared, metric: "http_req_failed", aggregation: "rate", operator: bound.ratio === 0 ? "<=" : "<", value: bound.ratio });
      thresholds.push({ ...base, objective: bound.from, declared, metric: "checks", aggregation: "rate", operator: bound.ratio === 0 ? ">=" : ">", value: round(1 - bound.ratio) });
    }
    // Iterations k6 could not start on time are the rate the API did not sustain; k6 tags them by scenario only, so an SLO on some operations has no throughput threshold.
    if (slo.throughputRps !== null && slo.operations.length === 0) {
      thresholds.push({ ...base, objective: "throughputRps", declared: slo.throughputRps, metric: "dropped_iterations", aggregation: "rate", operator: "<", value: round(slo.throughputRps * THROUGHPUT_TOLERANCE) });
    }
    return thresholds;
  });
}

/** The `options.thresholds` object of a k6 script: metric (or `metric{operation:x}`) → expressions, keys sorted. */
export function k6Thresholds(thresholds: readonly SloThreshold[]): Record<string, string[]> {
  const byKey = new Map<string, string[]>();
  for (const threshold of thresholds) {
    const expression = `${threshold.aggregation}${threshold.operator}${threshold.value}`;
    const keys = threshold.operations.length === 0 ? [threshold.metric] : threshold.operations.map((operation) => `${threshold.metric}{operation:${operation}}`);
    for (const key of keys) {
      const expressions = byKey.get(key) ?? [];
      if (!expressions.includes(expression)) expressions.push(expression);
      byKey.set(key, expressions);
    }
  }
  return Object.fromEntries([...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
