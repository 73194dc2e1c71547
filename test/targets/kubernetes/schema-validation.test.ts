/**
 * Every generated object validates offline against the schemas of Kubernetes 1.33:
 * kubernetes-models@4.5.1 is generated from the 1.33 OpenAPI document (it has 1.33's
 * `lifecycle.stopSignal` and not 1.34's `hostnameOverride`; its README badge still says 1.27).
 * Custom resources validate against their CRDs' published schemas: ServiceMonitor and
 * PrometheusRule with @kubernetes-models/prometheus-operator@4.4.4, Gateway and HTTPRoute
 * (gateway.networking.k8s.io/v1) with @kubernetes-models/gateway-api@0.5.1.
 */
import { Secret } from "../../../constructs/index";
import type { KubernetesObject } from "../../../constructs/targets/kubernetes/index";
import { smallPlatform, synthesizeAcme, synthesizePlatform } from "./kubernetes-fixture";

type Model = new (data: unknown) => { validate(): void };

/** The kubernetes-models class of an object's apiVersion and kind, or `undefined` when none is known. */
function modelOf(apiVersion: string, kind: string): Model | undefined {
  const modules: Record<string, () => Record<string, Model>> = {
    "monitoring.coreos.com/v1": () => require("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1"),
    "gateway.networking.k8s.io/v1": () => require("@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1"),
  };
  const load = modules[apiVersion] ?? (() => {
    try {
      return require(`kubernetes-models/${apiVersion}`) as Record<string, Model>;
    } catch {
      return {};
    }
  });
  return load()[kind];
}

/** Validates an object; throws when no schema is known for its kind (so a new kind cannot go unchecked). */
function validateObject(object: KubernetesObject): void {
  const Model = modelOf(object.apiVersion, object.kind);
  if (!Model) throw new Error(`no schema validator for ${object.apiVersion} ${object.kind}: add one to modelOf()`);
  new Model(object).validate();
}

describe("offline schema validation (Kubernetes 1.33, CRDs from kubernetes-models)", () => {
  it("validates every object of the example stack, in every region", async () => {
    const acme = await synthesizeAcme();
    const checked: string[] = [];
    for (const { cluster, objects } of acme.synthesis.clusters) {
      for (const object of objects) {
        expect(() => validateObject(object)).not.toThrow();
        checked.push(`${object.apiVersion} ${object.kind}`);
      }
      expect(objects.length).toBeGreaterThan(10);
      expect(cluster.name).toMatch(/^(eu-west-1|us-east-1)$/);
    }
    expect([...new Set(checked)].sort()).toEqual([
      "apps/v1 Deployment",
      "apps/v1 StatefulSet",
      "autoscaling/v2 HorizontalPodAutoscaler",
      "gateway.networking.k8s.io/v1 Gateway",
      "gateway.networking.k8s.io/v1 HTTPRoute",
      "monitoring.coreos.com/v1 PrometheusRule",
      "monitoring.coreos.com/v1 ServiceMonitor",
      "networking.k8s.io/v1 Ingress",
      "networking.k8s.io/v1 NetworkPolicy",
      "policy/v1 PodDisruptionBudget",
      "v1 ConfigMap",
      "v1 Namespace",
      "v1 Service",
      "v1 ServiceAccount",
    ]);
  });

  it("validates the other shapes: plain HTTP Gateway, Ingress without class, external stores by port only", async () => {
    const variants = await Promise.all([
      synthesizePlatform(smallPlatform({ ingress: { style: "gateway-api", gatewayClassName: "eg", hostnames: ["api.example.com"] } })),
      synthesizePlatform(smallPlatform({ redis: { url: Secret.fromKubernetes("redis", "url") }, controlStore: { url: Secret.fromKubernetes("pg", "url") } })),
    ]);
    for (const variant of variants) for (const object of variant.objects()) expect(() => validateObject(object)).not.toThrow();
  });

  it("fails for a kind with no validator, and the validators do reject invalid objects", () => {
    expect(() => validateObject({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } })).toThrow("no schema validator for example.com/v1 Widget");
    expect(() => validateObject({ apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { ports: [{ port: "eighty" }] } })).toThrow(/port must be integer/);
    expect(() => validateObject({ apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "r" }, spec: { rules: [{ backendRefs: [{ name: "s", port: "api" }] }] } })).toThrow(/port must be integer/);
    expect(() => validateObject({ apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata: { name: "p" }, spec: { groups: [{ rules: [] }] } })).toThrow(/name/);
  });
});
