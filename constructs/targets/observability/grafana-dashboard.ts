/**
 * A Grafana dashboard (JSON model, schemaVersion 39) on the gateway's metrics: traffic, errors,
 * latency percentiles, rejections (rate limits, quotas, auth) and upstream failures, and one
 * availability panel per SLO that declares one. Deterministic: panel ids and positions follow the manifest.
 */
import type { GatewayConfig } from "../../manifest/schema";
import { sloSelector } from "./slo-alert-rules";

interface Target {
  readonly expr: string;
  readonly legendFormat: string;
  readonly refId: string;
}

interface Panel {
  readonly id: number;
  readonly type: "timeseries" | "stat";
  readonly title: string;
  readonly description: string;
  readonly datasource: { readonly type: "prometheus"; readonly uid: "${datasource}" };
  readonly gridPos: { readonly h: number; readonly w: number; readonly x: number; readonly y: number };
  readonly fieldConfig: { readonly defaults: { readonly unit: string }; readonly overrides: [] };
  readonly targets: Target[];
}

const DATASOURCE = { type: "prometheus", uid: "${datasource}" } as const;
const REF_IDS = "ABCDEFGHIJ";

/** The dashboard for a platform's gateway; `uid` is stable per platform. */
export function grafanaDashboard(manifest: GatewayConfig): Record<string, unknown> {
  const api = 'api=~"$api"';
  const specs: { title: string; description: string; unit: string; type?: "stat"; queries: [string, string][] }[] = [
    { title: "Requests per second", description: "Requests answered by the gateway, by API.", unit: "reqps", queries: [[`sum by (api) (rate(turnpike_requests_total{${api}}[$__rate_interval]))`, "{{api}}"]] },
    {
      title: "Error ratio (5xx)",
      description: "Share of requests answered 5xx, by API: what the availability objectives count.",
      unit: "percentunit",
      queries: [[`sum by (api) (rate(turnpike_requests_total{${api},status_class="5xx"}[$__rate_interval])) / sum by (api) (rate(turnpike_requests_total{${api}}[$__rate_interval]))`, "{{api}}"]],
    },
    {
      title: "Latency percentiles",
      description: "p50, p95 and p99 of the time from request arrival to the end of the response.",
      unit: "s",
      queries: ([["0.5", "p50"], ["0.95", "p95"], ["0.99", "p99"]] as const).map(([quantile, label]) => [
        `histogram_quantile(${quantile}, sum by (le, api) (rate(turnpike_request_duration_seconds_bucket{${api}}[$__rate_interval])))`,
        `{{api}} ${label}`,
      ]),
    },
    { title: "Responses by status class", description: "Requests per second by status class.", unit: "reqps", queries: [[`sum by (status_class) (rate(turnpike_requests_total{${api}}[$__rate_interval]))`, "{{status_class}}"]] },
    {
      title: "Rejections by reason",
      description: "Requests the gateway answered itself: rate limits, quotas, authentication, validation (problem type).",
      unit: "reqps",
      queries: [[`sum by (reason) (rate(turnpike_rejections_total{${api}}[$__rate_interval]))`, "{{reason}}"]],
    },
    { title: "Upstream failures", description: "Upstream attempts that failed before a response, by kind.", unit: "reqps", queries: [[`sum by (api, kind) (rate(turnpike_upstream_failures_total{${api}}[$__rate_interval]))`, "{{api}} {{kind}}"]] },
    { title: "Shared store up", description: "Whether the counter store (Redis) answers, per pod.", unit: "none", queries: [["min by (pod) (turnpike_store_up)", "{{pod}}"]] },
    { title: "Manifest revision served", description: "Revisions the pods serve; more than one means a rollout is in progress.", unit: "none", type: "stat", queries: [["count by (revision) (turnpike_config_info)", "{{revision}}"]] },
  ];
  for (const slo of manifest.spec.slos) {
    if (slo.availability === null) continue;
    const selector = sloSelector(slo);
    const window = `${slo.windowDays}d`;
    specs.push({
      title: `SLO ${slo.id}: availability over ${window} (objective ${slo.availability}%)`,
      description: `Share of ${slo.id}'s requests not answered 5xx over the SLO window.`,
      unit: "percentunit",
      type: "stat",
      queries: [[`1 - (sum(increase(turnpike_requests_total{${selector},status_class="5xx"}[${window}])) / sum(increase(turnpike_requests_total{${selector}}[${window}])))`, slo.id]],
    });
  }
  const panels: Panel[] = specs.map((spec, index) => ({
    id: index + 1,
    type: spec.type ?? "timeseries",
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    gridPos: { h: 8, w: 12, x: (index % 2) * 12, y: Math.floor(index / 2) * 8 },
    fieldConfig: { defaults: { unit: spec.unit }, overrides: [] },
    targets: spec.queries.map(([expr, legendFormat], query) => ({ expr, legendFormat, refId: REF_IDS[query]! })),
  }));
  const apis = manifest.spec.apis.map((entry) => entry.id);
  return {
    uid: `turnpike-${manifest.metadata.name}`.slice(0, 40),
    title: `Turnpike gateway: ${manifest.spec.platform.title}`,
    tags: ["turnpike"],
    editable: false,
    schemaVersion: 39,
    version: 1,
    time: { from: "now-6h", to: "now" },
    refresh: "1m",
    templating: {
      list: [
        { name: "datasource", type: "datasource", query: "prometheus", label: "Data source" },
        {
          name: "api",
          type: "custom",
          label: "API",
          multi: true,
          includeAll: true,
          allValue: ".*",
          query: apis.join(","),
          current: { text: "All", value: "$__all" },
        },
      ],
    },
    annotations: { list: [] },
    panels,
  };
}
