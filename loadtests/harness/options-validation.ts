/**
 * A k6 script's `options` checked against the documented shape: the known top-level options,
 * each scenario's executor and the fields that executor takes (k6 docs, "Scenarios" →
 * "Executors"), durations, and every threshold's key and expression. What k6 would refuse at
 * start-up is reported here, with the option's path.
 */
import { BUILTIN_METRICS, type MetricType, aggregationProblem, parseThresholdExpression, parseThresholdKey } from "./thresholds";

/** Top-level options the scripts may use (a subset of k6's documented options). */
const TOP_LEVEL = new Set([
  "scenarios",
  "thresholds",
  "vus",
  "duration",
  "iterations",
  "stages",
  "tags",
  "summaryTrendStats",
  "discardResponseBodies",
  "insecureSkipTLSVerify",
  "noConnectionReuse",
  "userAgent",
  "setupTimeout",
  "teardownTimeout",
  "batch",
  "batchPerHost",
  "httpDebug",
  "maxRedirects",
  "minIterationDuration",
  "throw",
]);

const COMMON = ["executor", "startTime", "gracefulStop", "exec", "env", "tags", "options"];

/** Each executor's own fields, and which of them are required. */
const EXECUTORS: Record<string, { fields: string[]; required: string[] }> = {
  "shared-iterations": { fields: ["vus", "iterations", "maxDuration"], required: [] },
  "per-vu-iterations": { fields: ["vus", "iterations", "maxDuration"], required: [] },
  "constant-vus": { fields: ["vus", "duration"], required: ["duration"] },
  "ramping-vus": { fields: ["startVUs", "stages", "gracefulRampDown"], required: ["stages"] },
  "constant-arrival-rate": { fields: ["duration", "rate", "timeUnit", "preAllocatedVUs", "maxVUs"], required: ["duration", "rate", "preAllocatedVUs"] },
  "ramping-arrival-rate": { fields: ["startRate", "timeUnit", "stages", "preAllocatedVUs", "maxVUs"], required: ["stages", "preAllocatedVUs"] },
  "externally-controlled": { fields: ["vus", "maxVUs", "duration"], required: ["duration"] },
};

const DURATION_FIELDS = new Set(["startTime", "gracefulStop", "maxDuration", "duration", "gracefulRampDown", "timeUnit"]);
const COUNT_FIELDS = new Set(["vus", "iterations", "startVUs", "rate", "preAllocatedVUs", "maxVUs", "startRate"]);
// Go's time.ParseDuration units, as k6 reads durations.
const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
const SCENARIO_NAME = /^[0-9A-Za-z_-]+$/;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isCount = (value: unknown) => typeof value === "number" && Number.isInteger(value) && value >= 0;

/**
 * The problems of `options`; empty when k6 would accept them. `exports` are the script's
 * exported names (a scenario's `exec` must be one), `customMetrics` the metrics the script
 * creates with `k6/metrics` (thresholds may name them).
 */
export function optionsProblems(options: unknown, exports: readonly string[], customMetrics: Readonly<Record<string, MetricType>> = {}): string[] {
  const problems: string[] = [];
  if (options === undefined) return problems;
  if (!isObject(options)) return ["options: an object"];
  for (const key of Object.keys(options)) if (!TOP_LEVEL.has(key)) problems.push(`options.${key}: not a k6 option`);
  if (options.scenarios !== undefined) {
    if (!isObject(options.scenarios)) problems.push("options.scenarios: an object of named scenarios");
    else for (const [name, scenario] of Object.entries(options.scenarios)) problems.push(...scenarioProblems(name, scenario, exports));
  }
  if (options.thresholds !== undefined) {
    if (!isObject(options.thresholds)) problems.push("options.thresholds: an object of metric → expressions");
    else for (const [key, expressions] of Object.entries(options.thresholds)) problems.push(...thresholdProblems(key, expressions, { ...BUILTIN_METRICS, ...customMetrics }));
  }
  return problems;
}

function scenarioProblems(name: string, scenario: unknown, exports: readonly string[]): string[] {
  const at = `options.scenarios.${name}`;
  if (!SCENARIO_NAME.test(name)) return [`${at}: a scenario name has only letters, digits, _ and -`];
  if (!isObject(scenario)) return [`${at}: an object`];
  const executor = EXECUTORS[String(scenario.executor)];
  if (!executor) return [`${at}.executor: one of ${Object.keys(EXECUTORS).join(", ")}, got ${JSON.stringify(scenario.executor)}`];
  const problems: string[] = [];
  for (const [field, value] of Object.entries(scenario)) {
    if (!COMMON.includes(field) && !executor.fields.includes(field)) problems.push(`${at}.${field}: not a field of the ${scenario.executor} executor (fields: ${[...executor.fields, ...COMMON.slice(1)].join(", ")})`);
    else if (DURATION_FIELDS.has(field) && (typeof value !== "string" || !DURATION.test(value))) problems.push(`${at}.${field}: a duration such as "30s" or "1m30s", got ${JSON.stringify(value)}`);
    else if (COUNT_FIELDS.has(field) && !isCount(value)) problems.push(`${at}.${field}: a whole number ≥ 0, got ${JSON.stringify(value)}`);
  }
  for (const field of executor.required) if (scenario[field] === undefined) problems.push(`${at}.${field}: required by the ${scenario.executor} executor`);
  if (scenario.stages !== undefined) {
    if (!Array.isArray(scenario.stages) || scenario.stages.length === 0) problems.push(`${at}.stages: a non-empty list of { duration, target }`);
    else
      scenario.stages.forEach((stage, index) => {
        if (!isObject(stage) || Object.keys(stage).some((key) => key !== "duration" && key !== "target")) problems.push(`${at}.stages[${index}]: { duration, target } only`);
        else if (typeof stage.duration !== "string" || !DURATION.test(stage.duration)) problems.push(`${at}.stages[${index}].duration: a duration such as "30s", got ${JSON.stringify(stage.duration)}`);
        else if (!isCount(stage.target)) problems.push(`${at}.stages[${index}].target: a whole number ≥ 0, got ${JSON.stringify(stage.target)}`);
      });
  }
  if (isCount(scenario.maxVUs) && isCount(scenario.preAllocatedVUs) && (scenario.maxVUs as number) < (scenario.preAllocatedVUs as number)) problems.push(`${at}.maxVUs: at least preAllocatedVUs`);
  const exec = scenario.exec ?? "default";
  if (typeof exec !== "string" || !exports.includes(exec)) problems.push(`${at}.exec: the script exports no function ${JSON.stringify(exec)}`);
  return problems;
}

function thresholdProblems(key: string, expressions: unknown, types: Readonly<Record<string, MetricType>>): string[] {
  const at = `options.thresholds[${JSON.stringify(key)}]`;
  let metric: string;
  try {
    metric = parseThresholdKey(key).metric;
  } catch (error) {
    return [`${at}: ${(error as Error).message}`];
  }
  const type = types[metric];
  if (type === undefined) return [`${at}: no metric named ${metric} (neither built in nor created by the script)`];
  if (!Array.isArray(expressions)) return [`${at}: a list of expressions`];
  return expressions.flatMap((entry, index) => {
    // An entry is an expression, or { threshold, abortOnFail, delayAbortEval }.
    const source = isObject(entry) ? entry.threshold : entry;
    if (typeof source !== "string") return [`${at}[${index}]: an expression string or { threshold: "…" }`];
    try {
      const problem = aggregationProblem(parseThresholdExpression(source), type);
      return problem === null ? [] : [`${at}[${index}]: ${problem}`];
    } catch (error) {
      return [`${at}[${index}]: ${(error as Error).message}`];
    }
  });
}
