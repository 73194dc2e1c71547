/**
 * Observability objects: a `ServiceMonitor` scraping /metrics on the operator port, a
 * `PrometheusRule` with the SLO burn-rate and gateway alerts, and the Grafana dashboards (the
 * overview and one per API) as a ConfigMap labelled `grafana_dashboard: "1"` (the Grafana sidecar's default label).
 */
import type { Chart } from "cdk8s";
import { k8s } from "cdk8s-plus-33";
import type { IPrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import type { IServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { canonicalJson } from "../../manifest/canonical-json";
import { apiDashboard, overviewDashboard } from "../observability/grafana-dashboard";
import { prometheusRuleGroups } from "../observability/prometheus-rules";
import { addCustomObject } from "./custom-object";
import { type ClusterContext, GATEWAY_NAME, gatewaySelector, metadataOf } from "./names";

export function addMonitoring(chart: Chart, context: ClusterContext): void {
  const labels = context.cluster.monitoring.labels;
  const serviceMonitor: IServiceMonitor = {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: metadataOf(context, GATEWAY_NAME, "gateway", labels),
    spec: {
      selector: { matchLabels: gatewaySelector(context) },
      endpoints: [{ port: "operator", path: "/metrics", scheme: "http", interval: "30s", scrapeTimeout: "10s" }],
    },
  };
  addCustomObject(chart, "service-monitor", serviceMonitor);

  // The same groups as dist/observability/prometheus/rules.yaml, labelled with the region.
  const groups = prometheusRuleGroups(context.manifest).map((group) => ({
    name: group.name,
    rules: group.rules.map((rule) => ({ ...rule, labels: { ...rule.labels, region: context.cluster.name } })),
  }));
  const prometheusRule: IPrometheusRule = {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: metadataOf(context, "turnpike-slo", "gateway", labels),
    spec: { groups },
  };
  addCustomObject(chart, "prometheus-rule", prometheusRule);

  new k8s.KubeConfigMap(chart, "dashboard", {
    metadata: metadataOf(context, "turnpike-dashboard", "gateway", { ...labels, grafana_dashboard: "1" }),
    // The overview and one dashboard per API, as in dist/observability/grafana/.
    data: {
      "turnpike-gateway.json": canonicalJson(overviewDashboard(context.manifest)),
      ...Object.fromEntries(context.manifest.spec.apis.map((api) => [`turnpike-api-${api.id}.json`, canonicalJson(apiDashboard(context.manifest, api))])),
    },
  });
}
