/** Object names and labels shared by the Kubernetes objects of one cluster. */
import type { GatewayConfig } from "../../manifest/schema";
import type { KubernetesClusterConfig } from "./cluster-config";

/** Container ports of the gateway (the image's defaults: `PORT`, `TURNPIKE_OPERATOR_PORT`). */
export const API_PORT = 8080;
export const OPERATOR_PORT = 9901;
/** Where the manifest ConfigMap is mounted; the file the gateway loads and watches. */
export const MANIFEST_DIR = "/etc/turnpike";
export const MANIFEST_FILE = "manifest.json";
/** The gateway's in-flight drain after its listener closes (gateway-image: 30 s at most). */
export const GATEWAY_DRAIN_SECONDS = 30;
/** The distroless `nonroot` user the image runs as. */
export const NONROOT_UID = 65532;

export const GATEWAY_NAME = "turnpike-gateway";
export const REDIS_NAME = "turnpike-redis";

/**
 * The manifest ConfigMap's name: a new revision is a new ConfigMap, so the pod template
 * changes and the Deployment rolls (the gateway would also hot-reload an edited file, but a
 * rollout is observable, gated by readiness and reversible).
 */
export function manifestConfigMapName(revision: string): string {
  return `turnpike-manifest-${revision.replace(/^sha256:/, "").slice(0, 10)}`;
}

/** Everything one cluster's objects are built from. */
export interface ClusterContext {
  readonly manifest: GatewayConfig;
  /** The bytes of dist/manifest.json. */
  readonly manifestJson: string;
  readonly cluster: KubernetesClusterConfig;
}

/** Labels of every object (recommended `app.kubernetes.io/*` labels). */
export function commonLabels(context: ClusterContext, component: string): Record<string, string> {
  return {
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/instance": context.manifest.metadata.name,
    "app.kubernetes.io/managed-by": "turnpike",
    "app.kubernetes.io/name": component === "redis" ? REDIS_NAME : GATEWAY_NAME,
    "app.kubernetes.io/part-of": "turnpike",
  };
}

/** The labels selecting the gateway's pods (never changed: selectors are immutable). */
export function gatewaySelector(context: ClusterContext): Record<string, string> {
  return { "app.kubernetes.io/instance": context.manifest.metadata.name, "app.kubernetes.io/name": GATEWAY_NAME };
}

export function redisSelector(context: ClusterContext): Record<string, string> {
  return { "app.kubernetes.io/instance": context.manifest.metadata.name, "app.kubernetes.io/name": REDIS_NAME };
}

export function metadataOf(context: ClusterContext, name: string, component = "gateway", extraLabels: Record<string, string> = {}) {
  return { name, namespace: context.cluster.namespace, labels: { ...commonLabels(context, component), ...extraLabels } };
}
