/** Declarations and synthesized charts for the Kubernetes target's tests. */
import { KubernetesGateway, type KubernetesGatewayProps, type Platform, compileManifest } from "../../../constructs/index";
import type { GatewayConfig } from "../../../constructs/manifest/schema";
import { type KubernetesObject, type KubernetesSynthesis, type KubernetesTargetConfig, synthesizeKubernetes } from "../../../constructs/targets/kubernetes/index";
import { acmePlatform } from "../../../stacks/acme";
import { REPO_ROOT } from "../../helpers/cli";
import { itemsApi, testPlatform } from "../../helpers/declaration";

export interface Synthesized {
  readonly manifest: GatewayConfig;
  readonly json: string;
  readonly config: KubernetesTargetConfig;
  readonly synthesis: KubernetesSynthesis;
  /** The objects of one cluster (the first when not named). */
  objects(cluster?: string): KubernetesObject[];
  /** The one object of a kind (and name) in a cluster; fails when there is not exactly one. */
  find(kind: string, name?: string, cluster?: string): KubernetesObject & Record<string, any>;
}

export async function synthesizePlatform(platform: Platform): Promise<Synthesized> {
  const result = await compileManifest(platform);
  if (!result.manifest || !result.json || !result.targets.kubernetes) {
    throw new Error(`expected a compiled manifest with a Kubernetes target:\n${JSON.stringify(result.diagnostics, null, 2)}`);
  }
  const { manifest, json } = result;
  const config = result.targets.kubernetes;
  const synthesis = synthesizeKubernetes(manifest, json, config);
  const objects = (cluster?: string) => {
    const found = cluster === undefined ? synthesis.clusters[0] : synthesis.clusters.find((entry) => entry.cluster.name === cluster);
    if (!found) throw new Error(`no cluster ${cluster}`);
    return found.objects;
  };
  return {
    manifest,
    json,
    config,
    synthesis,
    objects,
    find: (kind, name, cluster) => {
      const matches = objects(cluster).filter((object) => object.kind === kind && (name === undefined || object.metadata.name === name));
      if (matches.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ""}, found ${matches.length}`);
      return matches[0] as KubernetesObject & Record<string, any>;
    },
  };
}

/** The example organisation (stacks/acme.ts), compiled from the repository root as `turnpike synth` does. */
export async function synthesizeAcme(): Promise<Synthesized> {
  const previous = process.cwd();
  process.chdir(REPO_ROOT);
  try {
    return await synthesizePlatform(acmePlatform());
  } finally {
    process.chdir(previous);
  }
}

/** A small platform (one items API) with one region; `gateway` props replace the defaults. */
export function smallPlatform(gateway: Partial<KubernetesGatewayProps> = {}, build: (platform: Platform) => void = (platform) => void itemsApi(platform)): Platform {
  const platform = testPlatform({ regions: ["eu-west-1", "us-east-1"] });
  build(platform);
  new KubernetesGateway(platform, "kubernetes", {
    ingress: { style: "ingress", hostnames: ["api.example.com"] },
    regions: [{ name: "eu-west-1" }],
    ...gateway,
  } as KubernetesGatewayProps);
  return platform;
}
