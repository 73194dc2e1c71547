/** SLO alert rules from the manifest: multi-window multi-burn-rate for availability, percentile alerts for latency. */
import { BURN_RATE_WINDOWS, burnRateFactor, sloAlertRules } from "../../../constructs/targets/observability/slo-alert-rules";
import { synthesizeAcme } from "../kubernetes/kubernetes-fixture";

describe("sloAlertRules", () => {
  it("uses the SRE workbook's burn rates for a 30-day window, and scales them for other windows", () => {
    expect(BURN_RATE_WINDOWS.map((window) => [window.longWindow, window.shortWindow, burnRateFactor(window, 30), window.severity])).toEqual([
      ["1h", "5m", 14.4, "critical"],
      ["6h", "30m", 6, "critical"],
      ["1d", "2h", 3, "warning"],
      ["3d", "6h", 1, "warning"],
    ]);
    expect(burnRateFactor(BURN_RATE_WINDOWS[0]!, 7)).toBe(3.36);
  });

  it("builds one group per SLO of the example stack, with exact availability alerts", async () => {
    const { manifest, find } = await synthesizeAcme();
    const groups = sloAlertRules(manifest);
    expect(groups.map((group) => group.name)).toEqual(["turnpike-slo-catalog-v1-default", "turnpike-slo-orders-v1-default", "turnpike-slo-orders-v2-default", "turnpike-slo-payments-v1-payments-writes"]);
    const orders = groups[2]!;
    expect(orders.rules[0]).toEqual({
      record: "turnpike_slo:error_ratio:rate5m",
      expr: 'sum(rate(turnpike_requests_total{api="orders-v2",status_class="5xx"}[5m])) / sum(rate(turnpike_requests_total{api="orders-v2"}[5m]))',
      labels: { slo: "orders-v2/default", api: "orders-v2" },
    });
    expect(orders.rules.find((rule) => "alert" in rule && rule.labels.long_window === "1h")).toEqual({
      alert: "TurnpikeErrorBudgetBurn",
      expr: 'turnpike_slo:error_ratio:rate1h{slo="orders-v2/default"} > 0.0144 and turnpike_slo:error_ratio:rate5m{slo="orders-v2/default"} > 0.0144',
      for: "2m",
      labels: { slo: "orders-v2/default", api: "orders-v2", severity: "critical", long_window: "1h", short_window: "5m" },
      annotations: expect.objectContaining({ summary: "orders-v2 burns its 99.9% availability budget 14.4× too fast" }),
    });
    expect(orders.rules.filter((rule) => "alert" in rule && rule.alert === "TurnpikeLatencyObjectiveMissed").map((rule) => rule.expr)).toEqual([
      'histogram_quantile(0.95, sum by (le) (rate(turnpike_request_duration_seconds_bucket{api="orders-v2"}[5m]))) > 0.15',
      'histogram_quantile(0.99, sum by (le) (rate(turnpike_request_duration_seconds_bucket{api="orders-v2"}[5m]))) > 0.4',
    ]);
    // An SLO on some operations selects only those.
    expect(groups[3]!.rules[0]!.expr).toContain('api="payments-v1",operation=~"createPayment|refundPayment"');
    // The PrometheusRule carries them, labelled with the region, after the gateway's own alerts.
    const rule = find("PrometheusRule", undefined, "eu-west-1");
    expect(rule.metadata.labels).toMatchObject({ release: "kube-prometheus-stack" });
    expect(rule.spec.groups.map((group: { name: string }) => group.name)).toEqual(["turnpike-gateway", ...groups.map((group) => group.name)]);
    expect(rule.spec.groups[3].rules[0].labels).toEqual({ slo: "orders-v2/default", api: "orders-v2", region: "eu-west-1" });
  });

  it("ships a Grafana dashboard on the gateway's metrics", async () => {
    const { find } = await synthesizeAcme();
    const configMap = find("ConfigMap", "turnpike-dashboard", "us-east-1");
    expect(configMap.metadata.labels).toMatchObject({ grafana_dashboard: "1", release: "kube-prometheus-stack" });
    const dashboard = JSON.parse(configMap.data["turnpike-gateway.json"]);
    const queries = dashboard.panels.flatMap((panel: { targets: { expr: string }[] }) => panel.targets.map((target) => target.expr)).join("\n");
    for (const metric of ["turnpike_requests_total", "turnpike_request_duration_seconds_bucket", "turnpike_rejections_total", "turnpike_upstream_failures_total"]) expect(queries).toContain(metric);
    expect(dashboard.panels.map((panel: { title: string }) => panel.title)).toContain("Latency percentiles");
    expect(dashboard.panels.filter((panel: { title: string }) => panel.title.startsWith("SLO "))).toHaveLength(4);
  });
});
