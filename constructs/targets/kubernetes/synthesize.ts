/**
 * `synthesizeKubernetes(manifest, manifestJson, config)`: the Kubernetes target as a pure
 * function of the manifest (the only contract with the declaration) and the target's resolved
 * settings. One cdk8s chart per cluster; the objects as plain JSON (what Pulumi deploys) and as
 * YAML files (what `turnpike synth` writes under dist/kubernetes/<cluster>/).
 */
import { App, Yaml } from "cdk8s";
import type { GatewayConfig } from "../../manifest/schema";
import type { KubernetesClusterConfig, KubernetesTargetConfig } from "./cluster-config";
import { GatewayChart } from "./gateway-chart";

/** A Kubernetes object as JSON: `apiVersion`, `kind`, `metadata`, then its fields. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly [field: string]: unknown };
  readonly [field: string]: unknown;
}

export interface KubernetesClusterSynthesis {
  readonly cluster: KubernetesClusterConfig;
  readonly chart: GatewayChart;
  /** The chart's objects in apply order (namespace first), keys sorted. */
  readonly objects: KubernetesObject[];
}

export interface KubernetesSynthesis {
  readonly app: App;
  /** One per cluster, sorted by name. */
  readonly clusters: KubernetesClusterSynthesis[];
}

export function synthesizeKubernetes(manifest: GatewayConfig, manifestJson: string, config: KubernetesTargetConfig): KubernetesSynthesis {
  // Nothing is written by the App itself: callers write files (`kubernetesFiles`) or deploy objects.
  const app = new App({ outdir: "dist/kubernetes" });
  const clusters = config.clusters.map((cluster) => {
    const chart = new GatewayChart(app, cluster.name, { manifest, manifestJson, cluster });
    return { cluster, chart, objects: chart.toJson() as KubernetesObject[] };
  });
  return { app, clusters };
}

export interface SynthesizedFile {
  /** Relative to the kubernetes output directory: `<cluster>/<nn>-<kind>-<name>.yaml`. */
  readonly path: string;
  readonly contents: string;
}

/** One YAML file per object, numbered in apply order. */
export function kubernetesFiles(synthesis: KubernetesSynthesis): SynthesizedFile[] {
  return synthesis.clusters.flatMap(({ cluster, objects }) =>
    objects.map((object, index) => ({
      path: `${cluster.name}/${String(index).padStart(2, "0")}-${object.kind.toLowerCase()}-${object.metadata.name}.yaml`,
      contents: Yaml.stringify(object),
    })),
  );
}
