/**
 * The Kubernetes Secrets the manifest references (consumers' credentials, policies' keys and
 * CA bundles), by name with their keys: the Deployment mounts each one read-only at
 * `KUBERNETES_SECRETS_MOUNT_DIR/<name>/<key>`, where the gateway reads them. Only the
 * references travel; the values stay in the cluster.
 */
import type { GatewayConfig } from "../../manifest/schema";
import type { KubernetesSecretKeyRef } from "./cluster-config";

/**
 * Secret name → its referenced keys, both sorted (deterministic output): the manifest's
 * references and `more` (files the container reads outside the manifest, e.g. tracing's
 * certificates), each Secret once with the keys of all.
 */
export function referencedKubernetesSecrets(manifest: GatewayConfig, more: Iterable<KubernetesSecretKeyRef> = []): ReadonlyMap<string, readonly string[]> {
  const found = new Map<string, Set<string>>();
  for (const ref of more) found.set(ref.name, (found.get(ref.name) ?? new Set<string>()).add(ref.key));
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (value === null || typeof value !== "object") return;
    const record = value as Record<string, unknown>;
    if (record.source === "kubernetes" && typeof record.name === "string" && typeof record.key === "string") {
      const keys = found.get(record.name) ?? new Set<string>();
      keys.add(record.key);
      found.set(record.name, keys);
      return;
    }
    for (const child of Object.values(record)) visit(child);
  };
  visit(manifest.spec.consumers);
  visit(manifest.spec.policies.map((instance) => instance.config));
  return new Map([...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, keys]) => [name, [...keys].sort()]));
}
