/** The manifest ConfigMap: dist/manifest.json byte for byte, named by revision, immutable. */
import type { Chart } from "cdk8s";
import { k8s } from "cdk8s-plus-33";
import { type ClusterContext, MANIFEST_FILE, manifestConfigMapName, metadataOf } from "./names";

/** Kubernetes refuses objects over 1 MiB (etcd's request limit); the JSON and some metadata must fit. */
export const CONFIG_MAP_LIMIT_BYTES = 1_000_000;

export function addManifestConfigMap(chart: Chart, context: ClusterContext): void {
  const bytes = Buffer.byteLength(context.manifestJson);
  if (bytes > CONFIG_MAP_LIMIT_BYTES) {
    throw new Error(
      `the manifest is ${bytes} bytes: over the ${CONFIG_MAP_LIMIT_BYTES} bytes a ConfigMap holds (cluster ${context.cluster.name}). ` +
        "Fix: split the platform into several, or shrink the bundled contracts (examples, descriptions)",
    );
  }
  new k8s.KubeConfigMap(chart, "manifest", {
    metadata: { ...metadataOf(context, manifestConfigMapName(context.manifest.metadata.revision)), annotations: { "turnpike.dev/revision": context.manifest.metadata.revision } },
    // A revision never changes, so the kubelet need not watch it.
    immutable: true,
    data: { [MANIFEST_FILE]: context.manifestJson },
  });
}
