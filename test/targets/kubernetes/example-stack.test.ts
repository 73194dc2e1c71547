/**
 * The example stack's charts (stacks/acme.ts: eu-west-1 behind a Gateway API Gateway with an
 * external Redis, us-east-1 behind an Ingress with an in-cluster Redis), as cdk8s synthesizes
 * them: a snapshot of every object, and exact output for the small ones.
 */
import { Testing } from "cdk8s";
import { sha256Hex } from "../../../constructs/manifest/canonical-json";
import { type Synthesized, synthesizeAcme } from "./kubernetes-fixture";

let acme: Synthesized;
beforeAll(async () => {
  acme = await synthesizeAcme();
});

/** The manifest ConfigMap's data is checked byte for byte elsewhere; here it is its digest, to keep the snapshot readable. */
function withManifestDigest(objects: unknown[]): unknown[] {
  return objects.map((object) => {
    const candidate = object as { kind: string; data?: Record<string, string> };
    if (candidate.kind !== "ConfigMap" || candidate.data?.["manifest.json"] === undefined) return object;
    return { ...candidate, data: { "manifest.json": `<${Buffer.byteLength(candidate.data["manifest.json"])} bytes, sha256 ${sha256Hex(candidate.data["manifest.json"])}>` } };
  });
}

describe("the example stack's Kubernetes charts", () => {
  it("has one chart per region, with the objects in apply order", () => {
    const kinds = (region: string) => acme.objects(region).map((object) => `${object.kind}/${object.metadata.name}`);
    const configMap = `ConfigMap/turnpike-manifest-${acme.manifest.metadata.revision.slice(7, 17)}`;
    expect(acme.synthesis.clusters.map((cluster) => cluster.cluster.name)).toEqual(["eu-west-1", "us-east-1"]);
    expect(kinds("eu-west-1")).toEqual([
      "Namespace/turnpike", configMap, "ServiceAccount/turnpike-gateway", "Deployment/turnpike-gateway", "Service/turnpike-gateway",
      "HorizontalPodAutoscaler/turnpike-gateway", "PodDisruptionBudget/turnpike-gateway", "NetworkPolicy/turnpike-gateway",
      "Gateway/turnpike", "HTTPRoute/turnpike-gateway", "ServiceMonitor/turnpike-gateway", "PrometheusRule/turnpike-slo", "ConfigMap/turnpike-dashboard",
    ]);
    expect(kinds("us-east-1")).toEqual([
      "Namespace/turnpike", configMap, "Service/turnpike-redis", "StatefulSet/turnpike-redis", "NetworkPolicy/turnpike-redis",
      "ServiceAccount/turnpike-gateway", "Deployment/turnpike-gateway", "Service/turnpike-gateway", "HorizontalPodAutoscaler/turnpike-gateway",
      "PodDisruptionBudget/turnpike-gateway", "NetworkPolicy/turnpike-gateway", "Ingress/turnpike-gateway", "ServiceMonitor/turnpike-gateway",
      "PrometheusRule/turnpike-slo", "ConfigMap/turnpike-dashboard",
    ]);
  });

  it.each(["eu-west-1", "us-east-1"])("matches the snapshot (Testing.synth) in %s", (region) => {
    const chart = acme.synthesis.clusters.find((cluster) => cluster.cluster.name === region)!.chart;
    expect(withManifestDigest(Testing.synth(chart))).toMatchSnapshot();
  });

  it("is deterministic: a second synthesis gives the same objects", async () => {
    const again = await synthesizeAcme();
    expect(again.synthesis.clusters.map((cluster) => cluster.objects)).toEqual(acme.synthesis.clusters.map((cluster) => cluster.objects));
  });

  it("renders the Service, the autoscaler and the disruption budget exactly", () => {
    const labels = {
      "app.kubernetes.io/component": "gateway",
      "app.kubernetes.io/instance": "acme",
      "app.kubernetes.io/managed-by": "turnpike",
      "app.kubernetes.io/name": "turnpike-gateway",
      "app.kubernetes.io/part-of": "turnpike",
    };
    const metadata = { name: "turnpike-gateway", namespace: "turnpike", labels };
    const selector = { "app.kubernetes.io/instance": "acme", "app.kubernetes.io/name": "turnpike-gateway" };
    expect(acme.find("Service", "turnpike-gateway", "eu-west-1")).toEqual({
      apiVersion: "v1",
      kind: "Service",
      metadata,
      spec: {
        type: "ClusterIP",
        selector,
        ports: [
          { name: "api", port: 8080, targetPort: "api", protocol: "TCP", appProtocol: "http" },
          { name: "operator", port: 9901, targetPort: "operator", protocol: "TCP", appProtocol: "http" },
        ],
      },
    });
    expect(acme.find("HorizontalPodAutoscaler", undefined, "eu-west-1")).toEqual({
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata,
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "turnpike-gateway" },
        minReplicas: 3,
        maxReplicas: 20,
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 65 } } }],
        behavior: {
          scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 30 }] },
          scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: "Min", policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] },
        },
      },
    });
    expect(acme.find("PodDisruptionBudget", undefined, "us-east-1")).toEqual({
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata,
      spec: { selector: { matchLabels: selector }, maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow" },
    });
  });

  it("takes the region's replicas over the gateway-wide ones", () => {
    expect(acme.find("HorizontalPodAutoscaler", undefined, "us-east-1").spec).toMatchObject({ minReplicas: 2, maxReplicas: 8, metrics: [{ resource: { target: { averageUtilization: 65 } } }] });
  });
});
