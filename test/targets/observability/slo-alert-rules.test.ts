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
      // The gateway has no 5xx series before a route's first 5xx: without `or vector(0)` the ratio is absent, not 0.
      expr: '(sum(rate(turnpike_requests_total{api="orders-v2",status_class="5xx"}[5m])) or vector(0)) / sum(rate(turnpike_requests_total{api="orders-v2"}[5m]))',
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

  it("writes percentages in annotations without binary noise (orders-v1: 99.5 %, 14.4 × 0.005 = 7.2 %)", async () => {
    const { manifest } = await synthesizeAcme();
    const descriptions = sloAlertRules(manifest).flatMap((group) => group.rules.flatMap((rule) => ("alert" in rule ? [rule.annotations.description!] : [])));
    expect(descriptions).toContain("More than 7.2% of orders-v1/default's requests answered 5xx over the last 1h and 5m: at this rate 2% of the 30-day error budget is gone within 1h.");
    expect(descriptions).toContain("More than 0.144% of payments-v1/payments-writes's requests answered 5xx over the last 1h and 5m: at this rate 2% of the 30-day error budget is gone within 1h.");
    for (const description of descriptions) expect(description).not.toMatch(/\d\.\d{9,}/);
  });

  it("never alerts on a burn the budget sustains: factors below 1 (windows under 30 days) become 1", async () => {
    const { manifest } = await synthesizeAcme();
    const weekly = structuredClone(manifest);
    weekly.spec.slos = weekly.spec.slos.filter((slo) => slo.id === "orders-v2/default").map((slo) => ({ ...slo, windowDays: 7 }));
    const burns = sloAlertRules(weekly)[0]!.rules.filter((rule) => "alert" in rule && rule.alert === "TurnpikeErrorBudgetBurn");
    // 99.9 % over 7 days: 14.4 → 3.36 and 6 → 1.4 (workbook shares), 0.7 and 0.23 raised to 1 (the 0.001 budget itself).
    expect(burns.map((rule) => /> ([0-9.e-]+)$/.exec(rule.expr)![1])).toEqual(["0.00336", "0.0014", "0.001", "0.001"]);
    expect(("annotations" in burns[3]! ? burns[3].annotations.description : "")).toMatch(/at this rate 42\.8571% of the 7-day error budget is gone within 3d\.$/);
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
