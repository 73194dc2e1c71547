/**
 * The arithmetic of an SLO, in one place for every consumer: Prometheus burn-rate alerts,
 * Grafana panels, k6 thresholds, `turnpike slo run`'s verdicts and CloudWatch alarms all take
 * their numbers from here, so a declared `availability: 99.9` is the same 0.001 budget
 * everywhere. Pure functions of the manifest's `spec.slos` entries; no PromQL, no k6 syntax.
 */
import type { Slo } from "../../manifest/schema";

/**
 * A burn-rate alert (Google SRE workbook, "Alerting on SLOs"): `budgetShare` of the window's
 * error budget spent within `longWindow`, confirmed over `shortWindow` (1/12 of it) so the alert
 * stops soon after the burn does.
 */
export interface BurnRateWindow {
  readonly longWindow: string;
  readonly longWindowHours: number;
  readonly shortWindow: string;
  readonly shortWindowHours: number;
  /** Share of the SLO window's error budget, 0..1. */
  readonly budgetShare: number;
  readonly severity: "critical" | "warning";
  /** How long the condition must hold before the alert fires (Prometheus duration). */
  readonly for: string;
}

/** A page when 2 % of the budget burns in 1 h or 5 % in 6 h; a ticket when 10 % burns in 1 d or in 3 d. */
export const BURN_RATE_WINDOWS: readonly BurnRateWindow[] = [
  { longWindow: "1h", longWindowHours: 1, shortWindow: "5m", shortWindowHours: 5 / 60, budgetShare: 0.02, severity: "critical", for: "2m" },
  { longWindow: "6h", longWindowHours: 6, shortWindow: "30m", shortWindowHours: 0.5, budgetShare: 0.05, severity: "critical", for: "15m" },
  { longWindow: "1d", longWindowHours: 24, shortWindow: "2h", shortWindowHours: 2, budgetShare: 0.1, severity: "warning", for: "1h" },
  { longWindow: "3d", longWindowHours: 72, shortWindow: "6h", shortWindowHours: 6, budgetShare: 0.1, severity: "warning", for: "3h" },
];

/**
 * Share of a run's iterations that may fail to start on time (or of the target rate a run may
 * fall short by) before the throughput objective counts as missed: arrival-rate load
 * generators start a little late at the beginning of a run.
 */
export const THROUGHPUT_TOLERANCE = 0.05;

/** Rounds away binary noise (1 - 0.999 = 0.0010000000000000009) while keeping every meaningful digit. */
function round(value: number): number {
  return Number(value.toPrecision(6));
}

/** The error budget of an availability objective: the share of requests that may fail, e.g. 0.001 for 99.9 (%). */
export function errorBudget(availabilityPercent: number): number {
  return round(1 - availabilityPercent / 100);
}

/**
 * How many times faster than allowed the budget burns when `budgetShare` of it goes in
 * `longWindowHours`: 14.4 for 2 % in 1 h of 30 days. Never below 1: in an SLO window shorter
 * than 30 days the shares would give factors under 1 (0.23 for 10 % in 3 d of 7 days, 0.48 for
 * 2 % in 1 h of 1 day), alerts firing while the budget lasts the window, i.e. while the
 * objective is met. Such a window alerts at 1×, a burn that spends exactly the budget.
 */
export function burnRateFactor(window: Pick<BurnRateWindow, "budgetShare" | "longWindowHours">, windowDays: number): number {
  return Math.max(1, Number(((window.budgetShare * windowDays * 24) / window.longWindowHours).toFixed(4)));
}

/** The share of the SLO window's budget spent within `longWindowHours` at the window's burn-rate factor: `budgetShare`, or more when the factor was raised to 1. */
export function budgetShareSpent(window: Pick<BurnRateWindow, "budgetShare" | "longWindowHours">, windowDays: number): number {
  return round((burnRateFactor(window, windowDays) * window.longWindowHours) / (windowDays * 24));
}

/** The error ratio above which a burn-rate window alerts: its factor times the budget (0.0144 for 14.4 × 0.001). */
export function burnRateThreshold(window: Pick<BurnRateWindow, "budgetShare" | "longWindowHours">, slo: Pick<Slo, "availability" | "windowDays">): number | null {
  if (slo.availability === null) return null;
  return round(burnRateFactor(window, slo.windowDays) * errorBudget(slo.availability));
}

export type LatencyObjectiveField = "latencyP50Ms" | "latencyP95Ms" | "latencyP99Ms";

/** A declared latency percentile. */
export interface LatencyObjective {
  readonly field: LatencyObjectiveField;
  /** 50, 95 or 99. */
  readonly percentile: 50 | 95 | 99;
  /** The same as a quantile, for `histogram_quantile`: 0.5, 0.95, 0.99. */
  readonly quantile: number;
  /** `p50`, `p95`, `p99`. */
  readonly label: string;
  readonly objectiveMs: number;
  readonly objectiveSeconds: number;
}

const PERCENTILES = [
  ["latencyP50Ms", 50],
  ["latencyP95Ms", 95],
  ["latencyP99Ms", 99],
] as const;

/** The latency objectives an SLO declares, lowest percentile first. */
export function latencyObjectives(slo: Pick<Slo, LatencyObjectiveField>): LatencyObjective[] {
  return PERCENTILES.flatMap(([field, percentile]) => {
    const objectiveMs = slo[field];
    if (objectiveMs === null) return [];
    return [{ field, percentile, quantile: percentile / 100, label: `p${percentile}`, objectiveMs, objectiveSeconds: round(objectiveMs / 1000) }];
  });
}

/** The largest failed-request ratio a load test tolerates, and which objective it comes from. */
export interface FailureBound {
  /** 0..1. */
  readonly ratio: number;
  readonly from: "errorRatePercent" | "availability";
}

/**
 * The failed-request ratio a load test may reach: `errorRatePercent` when declared, else the
 * availability's error budget. Under load every request is one the test expects to succeed,
 * so an unexpected status spends the budget just as a 5xx does in production.
 */
export function failureBound(slo: Pick<Slo, "errorRatePercent" | "availability">): FailureBound | null {
  if (slo.errorRatePercent !== null) return { ratio: round(slo.errorRatePercent / 100), from: "errorRatePercent" };
  if (slo.availability !== null) return { ratio: errorBudget(slo.availability), from: "availability" };
  return null;
}

/** The request rate a run must reach to meet a throughput objective of `throughputRps`. */
export function minimumThroughputRps(throughputRps: number): number {
  return round(throughputRps * (1 - THROUGHPUT_TOLERANCE));
}
