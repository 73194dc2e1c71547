/**
 * Judges a `turnpike slo run` by the same thresholds the k6 script carries
 * (`slo-thresholds.ts`): percentiles of the measured latencies, the failed-request ratio,
 * and the achieved request rate against the declared throughput.
 */
import { minimumThroughputRps } from "../../constructs/targets/observability/slo-math";
import { percentile } from "../harness/thresholds";
import type { SloThreshold } from "../scenario/slo-thresholds";
import type { LoadMeasurements } from "./autocannon-load";

/** What a run achieved, over every request. */
export interface Achieved {
  readonly requests: number;
  readonly throughputRps: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  /** Requests with an unexpected status or no response, percent. */
  readonly errorRatePercent: number;
  /** Requests answered 5xx or not at all, percent. */
  readonly serverErrorPercent: number;
}

export interface ObjectiveVerdict {
  readonly slo: string;
  readonly objective: SloThreshold["objective"];
  readonly declared: number;
  readonly operations: readonly string[];
  /** The k6 threshold it corresponds to, e.g. `http_req_duration p(95)<150`. */
  readonly threshold: string;
  /** In the threshold's unit (ms, ratio, req/s); null when not measured. */
  readonly achieved: number | null;
  readonly unit: "ms" | "ratio" | "req/s";
  /** null: not measured by this run (e.g. throughput at the smoke profile's 1 req/s). */
  readonly passed: boolean | null;
  readonly note: string | null;
}

const sorted = (values: number[]) => values.sort((a, b) => a - b);

const NO_RESPONSE = "no response within the run";

/**
 * Requests per second sent within the run's planned window and answered, over that window:
 * k6's `dropped_iterations` counts iterations not started on time, whatever the run's tail,
 * so the seconds autocannon takes to reach its stop tick (and the requests its clients send
 * in them) are left out rather than diluting, or inflating, the rate.
 */
export function achievedRps(run: LoadMeasurements): number {
  if (run.plannedSeconds <= 0) return 0;
  let inWindow = 0;
  for (const measurement of run.measurements) if (measurement.sentAtSeconds < run.plannedSeconds) inWindow++;
  return inWindow / run.plannedSeconds;
}

export function achieved(run: LoadMeasurements): Achieved {
  const latencies = sorted(run.measurements.map((measurement) => measurement.latencyMs));
  const total = run.measurements.length + run.transportErrors;
  const unexpected = run.measurements.filter((measurement) => !measurement.expected).length + run.transportErrors;
  const serverErrors = run.measurements.filter((measurement) => measurement.status >= 500).length + run.transportErrors;
  const at = (p: number) => (latencies.length === 0 ? null : percentile(latencies, p));
  return {
    requests: total,
    throughputRps: achievedRps(run),
    p50Ms: at(50),
    p95Ms: at(95),
    p99Ms: at(99),
    errorRatePercent: total === 0 ? 0 : (unexpected / total) * 100,
    serverErrorPercent: total === 0 ? 0 : (serverErrors / total) * 100,
  };
}

function compare(actual: number, operator: SloThreshold["operator"], value: number): boolean {
  return operator === "<" ? actual < value : operator === "<=" ? actual <= value : operator === ">" ? actual > value : actual >= value;
}

/** One verdict per threshold (the `checks` thresholds are left out: the runner's checks are the status checks `http_req_failed` already counts). */
export function verdicts(thresholds: readonly SloThreshold[], run: LoadMeasurements, runRps: number): ObjectiveVerdict[] {
  // Not one answer in the whole run (a gateway that accepts connections and hangs): nothing
  // measured is a miss, not "not measured". An operation alone without responses, while others
  // answered, is only not measured (a short run may not reach it).
  const silent = run.measurements.length === 0 && run.transportErrors === 0;
  const unmeasured = (note: string) => (silent ? { passed: false, note: NO_RESPONSE } : { passed: null, note });
  return thresholds
    .filter((threshold) => threshold.metric !== "checks")
    .map((threshold) => {
      const base = { slo: threshold.slo, objective: threshold.objective, declared: threshold.declared, operations: threshold.operations, threshold: `${threshold.metric} ${threshold.aggregation}${threshold.operator}${threshold.value}` };
      const inScope = run.measurements.filter((measurement) => threshold.operations.length === 0 || threshold.operations.includes(measurement.operationId));
      if (threshold.metric === "http_req_duration") {
        const latencies = sorted(inScope.map((measurement) => measurement.latencyMs));
        const value = latencies.length === 0 ? null : percentile(latencies, Number(/\d+(\.\d+)?/.exec(threshold.aggregation)![0]));
        if (value === null) return { ...base, unit: "ms" as const, achieved: null, ...unmeasured("no responses") };
        return { ...base, unit: "ms" as const, achieved: value, passed: compare(value, threshold.operator, threshold.value), note: null };
      }
      if (threshold.metric === "http_req_failed") {
        // Requests with no response count against every threshold's scope (their operation is unknown).
        const total = inScope.length + run.transportErrors;
        const failed = inScope.filter((measurement) => !measurement.expected).length + run.transportErrors;
        const ratio = total === 0 ? null : failed / total;
        if (ratio === null) return { ...base, unit: "ratio" as const, achieved: null, ...unmeasured("no responses") };
        return { ...base, unit: "ratio" as const, achieved: ratio, passed: compare(ratio, threshold.operator, threshold.value), note: null };
      }
      // dropped_iterations: the rate the API did not sustain; here, the achieved rate against the declared one.
      const minimum = minimumThroughputRps(threshold.declared);
      const throughput = achievedRps(run);
      if (runRps < threshold.declared) return { ...base, threshold: `≥ ${minimum} req/s`, unit: "req/s" as const, achieved: throughput, passed: null, note: `this profile sends ${runRps} req/s, below the declared ${threshold.declared}` };
      return { ...base, threshold: `≥ ${minimum} req/s`, unit: "req/s" as const, achieved: throughput, passed: throughput >= minimum, note: null };
    });
}
