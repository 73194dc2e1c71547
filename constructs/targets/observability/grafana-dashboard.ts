/**
 * Grafana dashboards on the gateway's own metrics (gateway-image/src/observability): an
 * overview of the platform (every API, selectable with the `api` variable) and one dashboard
 * per API with its operations and its SLOs. Both show requests, errors, latency percentiles,
 * saturation, rate-limit rejections and the busiest plans; the per-API one adds the SLOs'
 * objectives as threshold lines, availability over the SLO window, the error budget left and
 * the burn rate, all computed with the numbers of `slo-math.ts`.
 *
 * Consumers are not a metric label (unbounded cardinality); "top consumers" are shown by plan,
 * the label the gateway does export.
 */
import type { Api, GatewayConfig, Slo } from "../../manifest/schema";
import { type Dashboard, type PanelSpec, dashboard, dashboardUid, layoutPanels } from "./grafana-panel";
import { sloSelector } from "./slo-alert-rules";
import { errorBudget, latencyObjectives } from "./slo-math";

const RATE = "$__rate_interval";
/** Problem kinds (the `reason` label) of requests refused for exceeding a limit. */
const LIMIT_REASONS = 'reason=~"rate-limited|quota-exceeded"';

/** Panels both kinds of dashboard have, on the requests `api` selects and broken down `by`. */
function trafficPanels(api: string, by: "api" | "operation", latencyThresholdSeconds?: number): PanelSpec[] {
  const legend = `{{${by}}}`;
  return [
    { title: "Requests per second", description: `Requests answered by the gateway, by ${by}.`, unit: "reqps", queries: [{ expr: `sum by (${by}) (rate(turnpike_requests_total{${api}}[${RATE}]))`, legendFormat: legend }] },
    {
      title: "Error ratio (5xx)",
      description: `Share of requests answered 5xx, by ${by}: what the availability objectives count.`,
      unit: "percentunit",
      queries: [{ expr: `sum by (${by}) (rate(turnpike_requests_total{${api},status_class="5xx"}[${RATE}])) / sum by (${by}) (rate(turnpike_requests_total{${api}}[${RATE}]))`, legendFormat: legend }],
    },
    {
      title: "Latency percentiles",
      description: "p50, p95 and p99 of the time from request arrival to the end of the response (histogram buckets, interpolated).",
      unit: "s",
      threshold: latencyThresholdSeconds,
      queries: ([["0.5", "p50"], ["0.95", "p95"], ["0.99", "p99"]] as const).map(([quantile, label]) => ({
        expr: `histogram_quantile(${quantile}, sum by (le, ${by}) (rate(turnpike_request_duration_seconds_bucket{${api}}[${RATE}])))`,
        legendFormat: `${legend} ${label}`,
      })),
    },
    { title: "Responses by status class", description: "Requests per second by status class.", unit: "reqps", queries: [{ expr: `sum by (status_class) (rate(turnpike_requests_total{${api}}[${RATE}]))`, legendFormat: "{{status_class}}" }] },
    {
      title: "Rate-limit and quota rejections",
      description: "Requests refused with 429 because a rate limit or a quota was exhausted, by API.",
      unit: "reqps",
      queries: [{ expr: `sum by (api, reason) (rate(turnpike_rejections_total{${api},${LIMIT_REASONS}}[${RATE}]))`, legendFormat: "{{api}} {{reason}}" }],
    },
    {
      title: "Rejections by reason",
      description: "Every request the gateway answered itself: authentication, validation, limits (problem type).",
      unit: "reqps",
      queries: [{ expr: `sum by (reason) (rate(turnpike_rejections_total{${api}}[${RATE}]))`, legendFormat: "{{reason}}" }],
    },
    {
      title: "Top plans by requests",
      description: "The ten busiest plans (consumers are counted by plan; `none` is traffic without a subscription).",
      unit: "reqps",
      queries: [{ expr: `topk(10, sum by (plan) (rate(turnpike_requests_total{${api}}[${RATE}])))`, legendFormat: "{{plan}}" }],
    },
    { title: "Upstream failures", description: "Upstream attempts that failed before a response, by kind.", unit: "reqps", queries: [{ expr: `sum by (api, kind) (rate(turnpike_upstream_failures_total{${api}}[${RATE}]))`, legendFormat: "{{api}} {{kind}}" }] },
  ];
}

/** Saturation of the gateway processes (shared by every API they serve). */
function saturationPanels(): PanelSpec[] {
  return [
    {
      title: "Gateway CPU",
      description: "CPU seconds per second used by each gateway process; near its CPU limit, latency grows.",
      unit: "percentunit",
      queries: [{ expr: `sum by (pod) (rate(turnpike_process_cpu_seconds_total[${RATE}]))`, legendFormat: "{{pod}}" }],
    },
    {
      title: "Event loop lag p99",
      description: "How late the gateway's event loop runs callbacks: the first sign a process is saturated.",
      unit: "s",
      queries: [{ expr: "max by (pod) (turnpike_nodejs_eventloop_lag_p99_seconds)", legendFormat: "{{pod}}" }],
    },
    { title: "Resident memory", description: "Resident memory of each gateway process.", unit: "bytes", queries: [{ expr: "max by (pod) (turnpike_process_resident_memory_bytes)", legendFormat: "{{pod}}" }] },
    { title: "Shared store up", description: "Whether the counter store (Redis) answers, per pod.", unit: "none", queries: [{ expr: "min by (pod) (turnpike_store_up)", legendFormat: "{{pod}}" }] },
  ];
}

/**
 * The share of an SLO's requests answered 5xx over `window`. The gateway exports a 5xx series
 * only once a route answered one: `or vector(0)` makes an API without errors 0 % (100 %
 * available), not "No data".
 */
function errorRatioOverWindow(selector: string, window: string): string {
  return `(sum(increase(turnpike_requests_total{${selector},status_class="5xx"}[${window}])) or vector(0)) / sum(increase(turnpike_requests_total{${selector}}[${window}]))`;
}

/** Availability of an SLO over its whole window (a stat, red below the objective). */
function availabilityPanel(slo: Slo): PanelSpec {
  const selector = sloSelector(slo);
  const window = `${slo.windowDays}d`;
  return {
    title: `SLO ${slo.id}: availability over ${window} (objective ${slo.availability}%)`,
    description: `Share of ${slo.id}'s requests not answered 5xx over the SLO window.`,
    unit: "percentunit",
    type: "stat",
    threshold: 1 - errorBudget(slo.availability!),
    // Availability is a floor: red below it.
    thresholdBreach: "below",
    queries: [{ expr: `1 - (${errorRatioOverWindow(selector, window)})`, legendFormat: slo.id }],
  };
}

/** The SLO panels of an API's dashboard. */
function sloPanels(slo: Slo): PanelSpec[] {
  const panels: PanelSpec[] = [];
  if (slo.availability !== null) {
    const selector = sloSelector(slo);
    const window = `${slo.windowDays}d`;
    const budget = errorBudget(slo.availability);
    panels.push(availabilityPanel(slo), {
      title: `SLO ${slo.id}: error budget left`,
      description: `Share of the ${window} error budget (${budget} of requests) not yet spent.`,
      unit: "percentunit",
      type: "stat",
      queries: [{ expr: `1 - (${errorRatioOverWindow(selector, window)}) / ${budget}`, legendFormat: slo.id }],
    }, {
      title: `SLO ${slo.id}: burn rate`,
      description: "How many times faster than sustainable the error budget burns (1 = exactly the budget over the window), from the recorded error ratios.",
      unit: "none",
      queries: ["5m", "1h", "6h"].map((range) => ({ expr: `turnpike_slo:error_ratio:rate${range}{slo="${slo.id}"} / ${budget}`, legendFormat: range })),
    });
  }
  for (const objective of latencyObjectives(slo)) {
    panels.push({
      title: `SLO ${slo.id}: ${objective.label} latency (objective ${objective.objectiveMs} ms)`,
      description: `The ${objective.label} of ${slo.id}'s requests at the gateway against its objective (red line).`,
      unit: "s",
      threshold: objective.objectiveSeconds,
      queries: [{ expr: `histogram_quantile(${objective.quantile}, sum by (le) (rate(turnpike_request_duration_seconds_bucket{${sloSelector(slo)}}[${RATE}])))`, legendFormat: objective.label }],
    });
  }
  return panels;
}

/** The platform overview: every API (the `api` variable selects), the gateway's health, one availability stat per SLO. */
export function overviewDashboard(manifest: GatewayConfig): Dashboard {
  const specs: PanelSpec[] = [
    ...trafficPanels('api=~"$api"', "api"),
    ...saturationPanels(),
    { title: "Manifest revision served", description: "Revisions the pods serve; more than one means a rollout is in progress.", unit: "none", type: "stat", queries: [{ expr: "count by (revision) (turnpike_config_info)", legendFormat: "{{revision}}" }] },
    ...manifest.spec.slos.filter((slo) => slo.availability !== null).map(availabilityPanel),
  ];
  return dashboard({
    uid: dashboardUid("turnpike", manifest.metadata.name),
    title: `Turnpike gateway: ${manifest.spec.platform.title}`,
    tags: ["turnpike"],
    variables: [
      {
        name: "api",
        type: "custom",
        label: "API",
        multi: true,
        includeAll: true,
        allValue: ".*",
        query: manifest.spec.apis.map((api) => api.id).join(","),
        current: { text: "All", value: "$__all" },
      },
    ],
    panels: layoutPanels(specs),
  });
}

/** One API: its operations' traffic, its SLOs' objectives and budgets. */
export function apiDashboard(manifest: GatewayConfig, api: Api): Dashboard {
  const slos = manifest.spec.slos.filter((slo) => slo.api === api.id);
  // The API-wide p99 (else p95, p50) objective of its first SLO that covers every operation is drawn on the latency panel.
  const apiWide = slos.find((slo) => slo.operations.length === 0);
  const latencyLine = apiWide ? latencyObjectives(apiWide).at(-1)?.objectiveSeconds : undefined;
  const specs: PanelSpec[] = [...trafficPanels(`api="${api.id}"`, "operation", latencyLine), ...slos.flatMap(sloPanels), ...saturationPanels()];
  return dashboard({
    uid: dashboardUid("turnpike", manifest.metadata.name, api.id),
    title: `Turnpike API: ${api.title} (${api.id})`,
    tags: ["turnpike", `api:${api.id}`],
    variables: [],
    panels: layoutPanels(specs),
  });
}
