/**
 * dist/observability/grafana/: the overview and one dashboard per API, on metric names the
 * gateway really exports, every query valid PromQL, objectives drawn from the SLO numbers.
 */
import type { GatewayConfig } from "../../../constructs/manifest/schema";
import { type Dashboard, dashboardExpressions } from "../../../constructs/targets/observability/grafana-panel";
import { prometheusRuleGroups } from "../../../constructs/targets/observability/prometheus-rules";
import { promqlMetricNames, promqlSyntaxErrors } from "../../../constructs/targets/observability/promql";
import { synthesizeObservability } from "../../../constructs/targets/observability/synthesize-observability";
import { GatewayMetrics } from "../../../gateway-image/src/observability/metrics";
import { synthesizeAcme } from "../kubernetes/kubernetes-fixture";

/** Every series name the gateway's /metrics can show, read from a registry with every metric in use. */
async function gatewayMetricNames(): Promise<Set<string>> {
  const metrics = new GatewayMetrics();
  metrics.routeRecorder("orders-v2", "listOrders").record(200, "pro", 0.01);
  metrics.rejections.labels("orders-v2", "rate-limited").inc();
  metrics.upstreamFailures.labels("orders-v2", "timeout").inc();
  metrics.storeUnavailable.labels("rateLimit", "fail-open").inc();
  metrics.reloads.labels("applied").inc();
  metrics.revision.labels("sha256:x").set(1);
  metrics.watchStore("redis", () => true);
  metrics.countCacheOutcome("orders-v2", "hit");
  metrics.watchCacheSize(() => 0);
  const text = await metrics.registry.metrics();
  return new Set(text.split("\n").filter((line) => line !== "" && !line.startsWith("#")).map((line) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0]));
}

let manifest: GatewayConfig;
let dashboards: Map<string, Dashboard>;
beforeAll(async () => {
  ({ manifest } = await synthesizeAcme());
  const files = synthesizeObservability(manifest).files.filter((file) => file.path.startsWith("grafana/"));
  dashboards = new Map(files.map((file) => [file.path, JSON.parse(file.contents) as Dashboard]));
});

describe("Grafana dashboards", () => {
  it("writes an overview and one per API, with unique uids", () => {
    expect([...dashboards.keys()]).toEqual(["grafana/overview.json", ...manifest.spec.apis.map((api) => `grafana/${api.id}.json`)]);
    const uids = [...dashboards.values()].map((board) => board.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const uid of uids) expect(uid.length).toBeLessThanOrEqual(40);
  });

  it("query only metric names the gateway exports (or the SLO rules record)", async () => {
    const exported = await gatewayMetricNames();
    const recorded = new Set(prometheusRuleGroups(manifest).flatMap((group) => group.rules.flatMap((rule) => ("record" in rule ? [rule.record] : []))));
    expect(exported).toContain("turnpike_request_duration_seconds_bucket");
    for (const [path, board] of dashboards) {
      for (const { panel, expr } of dashboardExpressions(board)) {
        expect([path, panel, promqlSyntaxErrors(expr)]).toEqual([path, panel, []]);
        const unknown = promqlMetricNames(expr).filter((name) => !exported.has(name) && !recorded.has(name));
        expect([path, panel, unknown]).toEqual([path, panel, []]);
      }
    }
  });

  it("cover requests, errors, latency percentiles, saturation, rate-limit rejections and the busiest plans", () => {
    const titles = (path: string) => dashboards.get(path)!.panels.map((panel) => panel.title);
    const common = ["Requests per second", "Error ratio (5xx)", "Latency percentiles", "Rate-limit and quota rejections", "Top plans by requests", "Gateway CPU", "Event loop lag p99"];
    for (const path of dashboards.keys()) expect(titles(path)).toEqual(expect.arrayContaining(common));
    const limits = dashboards.get("grafana/orders-v2.json")!.panels.find((panel) => panel.title === "Rate-limit and quota rejections")!;
    expect(limits.targets[0]!.expr).toBe('sum by (api, reason) (rate(turnpike_rejections_total{api="orders-v2",reason=~"rate-limited|quota-exceeded"}[$__rate_interval]))');
  });

  it("draw the SLO objectives from the declared numbers (orders-v2: 99.9 %, p95 150 ms, p99 400 ms)", () => {
    const board = dashboards.get("grafana/orders-v2.json")!;
    const panel = (title: string) => board.panels.find((candidate) => candidate.title === title)!;
    const thresholdOf = (title: string) => (panel(title).fieldConfig.defaults as { thresholds: { steps: { value: number | null }[] } }).thresholds.steps[1]!.value;
    expect(thresholdOf("Latency percentiles")).toBe(0.4);
    expect(thresholdOf("SLO orders-v2/default: p95 latency (objective 150 ms)")).toBe(0.15);
    expect(thresholdOf("SLO orders-v2/default: availability over 30d (objective 99.9%)")).toBe(0.999);
    expect(panel("SLO orders-v2/default: error budget left").targets[0]!.expr).toMatch(/\/ 0\.001$/);
    // Availability is a floor: red below 99.9 %, green from it up (Grafana colours a step from its value upwards); latency a ceiling.
    const steps = (title: string) => (panel(title).fieldConfig.defaults as { thresholds: { steps: { color: string; value: number | null }[] } }).thresholds.steps;
    expect(steps("SLO orders-v2/default: availability over 30d (objective 99.9%)")).toEqual([
      { color: "red", value: null },
      { color: "green", value: 0.999 },
    ]);
    expect(steps("SLO orders-v2/default: p95 latency (objective 150 ms)")).toEqual([
      { color: "green", value: null },
      { color: "red", value: 0.15 },
    ]);
    // No 5xx series exists before a route's first 5xx: an API without errors is 100 % available, not "No data".
    expect(panel("SLO orders-v2/default: availability over 30d (objective 99.9%)").targets[0]!.expr).toBe(
      '1 - ((sum(increase(turnpike_requests_total{api="orders-v2",status_class="5xx"}[30d])) or vector(0)) / sum(increase(turnpike_requests_total{api="orders-v2"}[30d])))',
    );
    expect(panel("SLO orders-v2/default: error budget left").targets[0]!.expr).toContain("or vector(0)");
    expect(panel("SLO orders-v2/default: burn rate").targets.map((target) => target.expr)).toEqual(["5m", "1h", "6h"].map((range) => `turnpike_slo:error_ratio:rate${range}{slo="orders-v2/default"} / 0.001`));
    // The overview has one availability stat per SLO declaring availability.
    expect(dashboards.get("grafana/overview.json")!.panels.filter((candidate) => candidate.title.startsWith("SLO "))).toHaveLength(manifest.spec.slos.filter((slo) => slo.availability !== null).length);
  });

  it("are what the Kubernetes target ships in its dashboard ConfigMap", async () => {
    const { find } = await synthesizeAcme();
    const data = find("ConfigMap", "turnpike-dashboard", "eu-west-1").data as Record<string, string>;
    expect(JSON.parse(data["turnpike-gateway.json"]!)).toEqual(dashboards.get("grafana/overview.json"));
    for (const api of manifest.spec.apis) expect(JSON.parse(data[`turnpike-api-${api.id}.json`]!)).toEqual(dashboards.get(`grafana/${api.id}.json`));
  });
});
