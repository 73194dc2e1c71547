/**
 * CloudWatch dashboards and alarms from the manifest's SLOs, on API Gateway's own metrics
 * (`AWS/ApiGateway`: Count, 4XXError, 5XXError, Latency by ApiName and Stage; by Resource and
 * Method too when the stage's detailed metrics are on). Pure: the AWS target declares the
 * `cloudwatch.Dashboard` and `cloudwatch.MetricAlarm`s from these specs.
 *
 * The numbers come from ./slo-math.ts, as for the Prometheus rules and k6 thresholds. Availability
 * alarms follow its multi-window burn rates (the same windows, budget shares, factors and
 * thresholds), as metric math `5XXError / Count` over the long window.
 * CloudWatch has no sliding window over a period longer than a day and one alarm evaluates one
 * expression, so: windows up to 1 d are one period; the 3-day window is three daily periods that
 * must all breach (each day's error ratio above the threshold, a little stricter than the 3-day
 * ratio); and the short companion window is not paired, so an alarm can stay in ALARM for up to
 * its long window after the burn stops. Latency alarms use the percentile as an extended
 * statistic over 5-minute periods, three in a row (15 minutes, as the Prometheus rule's `for`).
 */
import type { Api, GatewayConfig, Slo } from "../../manifest/schema";
import { BURN_RATE_WINDOWS, budgetShareSpent, burnRateFactor, burnRateThreshold, errorBudget, latencyObjectives } from "./slo-math";

/** Where an API's metrics are: its REST API name and stage. */
export interface CloudWatchStage {
  /** Manifest id of the API. */
  readonly api: string;
  /** The REST API's name (the `ApiName` dimension). */
  readonly apiName: string;
  /** The `Stage` dimension. */
  readonly stage: string;
}

type Dimensions = Readonly<Record<string, string>>;

/** One metric of a metric-math alarm. */
export interface AlarmMetricQuery {
  readonly id: string;
  readonly expression?: string;
  readonly label?: string;
  readonly returnData: boolean;
  readonly metric?: { readonly namespace: string; readonly metricName: string; readonly dimensions: Dimensions; readonly period: number; readonly stat: string };
}

/** A `cloudwatch.MetricAlarm`'s arguments, without actions (the target adds its SNS topic). */
export interface AlarmSpec {
  /** Unique in the region; the alarm's name. */
  readonly name: string;
  readonly slo: string;
  readonly api: string;
  readonly kind: "availability" | "latency";
  readonly description: string;
  readonly comparisonOperator: "GreaterThanThreshold";
  /** Error ratio (0 to 1) for availability, milliseconds for latency. */
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: "notBreaching";
  /** Availability: metric math. */
  readonly metricQueries?: readonly AlarmMetricQuery[];
  /** Latency: one metric with an extended statistic. */
  readonly namespace?: "AWS/ApiGateway";
  readonly metricName?: "Latency";
  readonly dimensions?: Dimensions;
  readonly extendedStatistic?: string;
  readonly period?: number;
}

const NAMESPACE = "AWS/ApiGateway";
/** Longest alarm period CloudWatch evaluates as one datapoint, in seconds. */
const MAX_PERIOD_SECONDS = 86_400;
/** A metric-math alarm reads at most 10 metrics: two per operation. */
const MAX_OPERATIONS_PER_ALARM = 5;
const LATENCY_PERIOD_SECONDS = 300;
const LATENCY_PERIODS = 3;

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

/** Dimension sets measuring an SLO: the stage, or one per covered operation (detailed metrics). */
function sloDimensions(api: Api, slo: Slo, stage: CloudWatchStage): { dimensions: Dimensions; label: string }[] {
  const base = { ApiName: stage.apiName, Stage: stage.stage };
  if (slo.operations.length === 0) return [{ dimensions: base, label: api.id }];
  return api.operations
    .filter((operation) => slo.operations.includes(operation.operationId))
    .map((operation) => ({ dimensions: { ...base, Resource: operation.path, Method: operation.method }, label: operation.operationId }));
}

/** Whether an API's SLOs need per-method (detailed) metrics on its stage. */
export function needsDetailedMetrics(manifest: GatewayConfig, api: string): boolean {
  return manifest.spec.slos.some((slo) => slo.api === api && slo.operations.length > 0);
}

/** The alarms of every SLO of the APIs in `stages`, in manifest order. */
export function sloAlarmSpecs(manifest: GatewayConfig, stages: readonly CloudWatchStage[], region: string): AlarmSpec[] {
  const platform = manifest.metadata.name;
  return manifest.spec.slos.flatMap((slo) => {
    const stage = stages.find((candidate) => candidate.api === slo.api);
    const api = manifest.spec.apis.find((candidate) => candidate.id === slo.api);
    if (!stage || !api) return [];
    let measured = sloDimensions(api, slo, stage);
    const scopeNote = measured.length > MAX_OPERATIONS_PER_ALARM ? ` Measured on the whole API: an alarm reads at most 10 metrics, and the SLO covers ${measured.length} operations.` : "";
    if (scopeNote) measured = [{ dimensions: { ApiName: stage.apiName, Stage: stage.stage }, label: api.id }];
    const alarms: AlarmSpec[] = [];
    if (slo.availability !== null) {
      const budget = errorBudget(slo.availability);
      for (const window of BURN_RATE_WINDOWS) {
        const factor = burnRateFactor(window, slo.windowDays);
        const threshold = burnRateThreshold(window, slo)!;
        const windowSeconds = window.longWindowHours * 3_600;
        const period = Math.min(windowSeconds, MAX_PERIOD_SECONDS);
        const periods = Math.ceil(windowSeconds / period);
        const metric = (metricName: string, id: string, dimensions: Dimensions): AlarmMetricQuery => ({ id, returnData: false, metric: { namespace: NAMESPACE, metricName, dimensions, period, stat: "Sum" } });
        const queries = measured.flatMap(({ dimensions }, index) => [metric("5XXError", `errors${index}`, dimensions), metric("Count", `requests${index}`, dimensions)]);
        const sum = (prefix: string) => measured.map((_, index) => `${prefix}${index}`).join(" + ");
        alarms.push({
          name: `${platform}-${slug(slo.id)}-burn-${window.longWindow}-${region}`,
          slo: slo.id,
          api: slo.api,
          kind: "availability",
          description: `${slo.id}: more than ${Number((threshold * 100).toPrecision(6))}% of requests answered 5xx over ${window.longWindow}, burning the ${slo.availability}% availability budget (${budget} of requests) ${factor}× too fast (${Number((budgetShareSpent(window, slo.windowDays) * 100).toPrecision(4))}% of the ${slo.windowDays}-day budget within ${window.longWindow}; severity ${window.severity}).${scopeNote}`,
          comparisonOperator: "GreaterThanThreshold",
          threshold,
          evaluationPeriods: periods,
          datapointsToAlarm: periods,
          treatMissingData: "notBreaching",
          metricQueries: [...queries, { id: "errorRatio", expression: `(${sum("errors")}) / (${sum("requests")})`, label: `${slo.id} 5xx ratio`, returnData: true }],
        });
      }
    }
    for (const { label: percentile, objectiveMs } of latencyObjectives(slo)) {
      // A percentile of several operations cannot be combined from theirs: one alarm per operation.
      for (const { dimensions, label } of measured) {
        alarms.push({
          name: `${platform}-${slug(slo.id)}-${percentile}${measured.length > 1 || slo.operations.length > 0 ? `-${slug(label)}` : ""}-${region}`,
          slo: slo.id,
          api: slo.api,
          kind: "latency",
          description: `${slo.id}: the ${percentile} latency of ${label} at API Gateway has been above its ${objectiveMs} ms objective for ${(LATENCY_PERIOD_SECONDS * LATENCY_PERIODS) / 60} minutes.${scopeNote}`,
          comparisonOperator: "GreaterThanThreshold",
          threshold: objectiveMs,
          evaluationPeriods: LATENCY_PERIODS,
          datapointsToAlarm: LATENCY_PERIODS,
          treatMissingData: "notBreaching",
          namespace: NAMESPACE,
          metricName: "Latency",
          dimensions,
          extendedStatistic: percentile,
          period: LATENCY_PERIOD_SECONDS,
        });
      }
    }
    return alarms;
  });
}

const WIDGET_WIDTH = 8;
const WIDGET_HEIGHT = 6;

/** The dashboard of one region: per API, requests and errors, latency percentiles and availability, with the SLOs as lines. */
export function cloudWatchDashboardBody(manifest: GatewayConfig, stages: readonly CloudWatchStage[], region: string): string {
  const widgets = stages.flatMap((stage, row) => {
    const slos = manifest.spec.slos.filter((slo) => slo.api === stage.api && slo.operations.length === 0);
    const dims = ["ApiName", stage.apiName, "Stage", stage.stage];
    const widget = (column: number, title: string, properties: Record<string, unknown>) => ({
      type: "metric",
      x: column * WIDGET_WIDTH,
      y: row * WIDGET_HEIGHT,
      width: WIDGET_WIDTH,
      height: WIDGET_HEIGHT,
      properties: { title: `${stage.api}: ${title}`, region, view: "timeSeries", period: 300, ...properties },
    });
    const latencyLines = slos.flatMap((slo) => latencyObjectives(slo).map(({ label, objectiveMs }) => ({ label: `${slo.id} ${label} objective`, value: objectiveMs })));
    const availabilityLines = slos.flatMap((slo) => (slo.availability === null ? [] : [{ label: `${slo.id} objective`, value: slo.availability }]));
    return [
      widget(0, "requests", { stat: "Sum", metrics: [[NAMESPACE, "Count", ...dims], [NAMESPACE, "4XXError", ...dims], [NAMESPACE, "5XXError", ...dims]] }),
      widget(1, "latency (ms)", {
        metrics: ["p50", "p95", "p99"].map((percentile) => [NAMESPACE, "Latency", ...dims, { stat: percentile, label: percentile }]),
        ...(latencyLines.length > 0 ? { annotations: { horizontal: latencyLines } } : {}),
      }),
      widget(2, "availability (%)", {
        metrics: [[{ expression: "100 * (1 - errors / requests)", label: "availability", id: "availability" }], [NAMESPACE, "5XXError", ...dims, { id: "errors", stat: "Sum", visible: false }], [NAMESPACE, "Count", ...dims, { id: "requests", stat: "Sum", visible: false }]],
        yAxis: { left: { min: Math.min(99, ...availabilityLines.map((line) => line.value - 1)), max: 100 } },
        ...(availabilityLines.length > 0 ? { annotations: { horizontal: availabilityLines } } : {}),
      }),
    ];
  });
  return JSON.stringify({ widgets });
}
