/**
 * k6 thresholds: the expression grammar (`<aggregation> <operator> <value>`, e.g. `p(95)<250`,
 * `rate<0.01`, `count>=10`), the threshold keys (`metric` or `metric{tag:value,…}`), which
 * aggregation each metric type supports, and their evaluation on recorded samples, computed
 * the way k6 computes them (percentiles interpolated linearly between the closest ranks).
 *
 * Grammar as in k6's `metrics/thresholds_parser.go`: aggregations `count`, `rate`, `value`,
 * `avg`, `min`, `max`, `med`, `p(N)` with 0 ≤ N ≤ 100; operators `>`, `>=`, `<=`, `<`, `==`,
 * `===`, `!=`; the value a number.
 */

export type MetricType = "counter" | "gauge" | "rate" | "trend";

/** The metrics k6 itself emits, by type (k6 docs: "Built-in metrics"). */
export const BUILTIN_METRICS: Readonly<Record<string, MetricType>> = {
  checks: "rate",
  data_received: "counter",
  data_sent: "counter",
  dropped_iterations: "counter",
  iteration_duration: "trend",
  iterations: "counter",
  vus: "gauge",
  vus_max: "gauge",
  group_duration: "trend",
  http_reqs: "counter",
  http_req_blocked: "trend",
  http_req_connecting: "trend",
  http_req_duration: "trend",
  http_req_failed: "rate",
  http_req_receiving: "trend",
  http_req_sending: "trend",
  http_req_tls_handshaking: "trend",
  http_req_waiting: "trend",
};

/** Aggregation methods each metric type supports (k6 docs: "Thresholds", aggregation methods by type). */
const AGGREGATIONS: Record<MetricType, readonly string[]> = {
  counter: ["count", "rate"],
  gauge: ["value"],
  rate: ["rate"],
  trend: ["avg", "min", "max", "med", "p"],
};

export type Operator = ">" | ">=" | "<=" | "<" | "==" | "===" | "!=";

export interface ThresholdExpression {
  readonly source: string;
  /** `count`, `rate`, `value`, `avg`, `min`, `max`, `med` or `p`. */
  readonly aggregation: string;
  /** For `p(N)`: N. */
  readonly percentile: number | null;
  readonly operator: Operator;
  readonly value: number;
}

const EXPRESSION = /^\s*(count|rate|value|avg|min|max|med|p\((\d+(?:\.\d+)?)\))\s*(>=|<=|===|==|!=|>|<)\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*$/;

/** Parses a threshold expression; throws with the reason when it is not one. */
export function parseThresholdExpression(source: string): ThresholdExpression {
  const match = EXPRESSION.exec(source);
  if (!match) throw new Error(`"${source}" is not a k6 threshold expression: <aggregation> <operator> <value>, e.g. "p(95)<250" or "rate<0.01"`);
  const percentile = match[2] === undefined ? null : Number(match[2]);
  if (percentile !== null && percentile > 100) throw new Error(`"${source}": a percentile is between 0 and 100`);
  return { source, aggregation: percentile === null ? match[1]! : "p", percentile, operator: match[3] as Operator, value: Number(match[4]) };
}

export interface ThresholdKey {
  readonly metric: string;
  /** Tag filters of a sub-metric: `http_req_duration{operation:getOrder}` → `{ operation: "getOrder" }`. */
  readonly tags: Record<string, string>;
}

const KEY = /^([a-zA-Z_][a-zA-Z0-9_]*)(?:\{([^{}]*)\})?$/;

/** Parses a threshold key; throws when it is not a metric name with optional tag filters. */
export function parseThresholdKey(key: string): ThresholdKey {
  const match = KEY.exec(key.trim());
  if (!match) throw new Error(`"${key}" is not a metric name or a sub-metric (metric{tag:value})`);
  const tags: Record<string, string> = {};
  if (match[2] !== undefined) {
    for (const pair of match[2].split(",")) {
      const separator = pair.indexOf(":");
      if (separator <= 0) throw new Error(`"${key}": a sub-metric's filter is tag:value, got "${pair.trim()}"`);
      tags[pair.slice(0, separator).trim()] = pair.slice(separator + 1).trim().replace(/^"(.*)"$/, "$1");
    }
  }
  return { metric: match[1]!, tags };
}

/** Whether an aggregation applies to a metric type; the reason when not. */
export function aggregationProblem(expression: ThresholdExpression, type: MetricType): string | null {
  const allowed = AGGREGATIONS[type];
  if (allowed.includes(expression.aggregation)) return null;
  return `${expression.aggregation === "p" ? "p(N)" : expression.aggregation} does not apply to a ${type} metric (use ${allowed.map((name) => (name === "p" ? "p(N)" : name)).join(", ")})`;
}

/** One recorded value of a metric, with its tags. */
export interface Sample {
  readonly metric: string;
  readonly value: number;
  readonly tags: Readonly<Record<string, string>>;
}

/** The k6 percentile: linear interpolation between the closest ranks of the sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  if (sorted.length === 1) return sorted[0]!;
  const rank = (p / 100) * (sorted.length - 1);
  const low = sorted[Math.floor(rank)]!;
  const high = sorted[Math.ceil(rank)]!;
  return low + (high - low) * (rank - Math.floor(rank));
}

/** The aggregate of a metric's values; `durationSeconds` for a counter's rate. Null when there is nothing to aggregate. */
export function aggregate(values: readonly number[], type: MetricType, expression: Pick<ThresholdExpression, "aggregation" | "percentile">, durationSeconds: number): number | null {
  if (type === "counter") {
    const count = values.reduce((sum, value) => sum + value, 0);
    return expression.aggregation === "count" ? count : durationSeconds > 0 ? count / durationSeconds : 0;
  }
  if (values.length === 0) return null;
  if (type === "rate") return values.filter((value) => value !== 0).length / values.length;
  if (type === "gauge") return values.at(-1)!;
  const sorted = [...values].sort((a, b) => a - b);
  switch (expression.aggregation) {
    case "avg":
      return sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
    case "min":
      return sorted[0]!;
    case "max":
      return sorted.at(-1)!;
    case "med":
      return percentile(sorted, 50);
    default:
      return percentile(sorted, expression.percentile!);
  }
}

export function compare(actual: number, operator: Operator, value: number): boolean {
  switch (operator) {
    case ">":
      return actual > value;
    case ">=":
      return actual >= value;
    case "<":
      return actual < value;
    case "<=":
      return actual <= value;
    case "==":
    case "===":
      return actual === value;
    case "!=":
      return actual !== value;
  }
}

export interface ThresholdResult {
  readonly key: string;
  readonly expression: string;
  /** The aggregate the expression was checked against; null when the metric had no samples (not evaluated, as in k6). */
  readonly actual: number | null;
  readonly passed: boolean;
}

/** Evaluates `thresholds` (as in `options.thresholds`, already validated) on the samples of a run. */
export function evaluateThresholds(thresholds: Record<string, readonly string[]>, samples: readonly Sample[], types: Readonly<Record<string, MetricType>>, durationSeconds: number): ThresholdResult[] {
  return Object.entries(thresholds).flatMap(([key, expressions]) => {
    const { metric, tags } = parseThresholdKey(key);
    const values = samples.filter((sample) => sample.metric === metric && Object.entries(tags).every(([tag, value]) => sample.tags[tag] === value)).map((sample) => sample.value);
    const type = types[metric]!;
    return expressions.map((source) => {
      const expression = parseThresholdExpression(source);
      const actual = aggregate(values, type, expression, durationSeconds);
      return { key, expression: source, actual, passed: actual === null || compare(actual, expression.operator, expression.value) };
    });
  });
}
