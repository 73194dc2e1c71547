/**
 * One Redis in the namespace for small installs (`redis: { inCluster: {} }`): a StatefulSet of
 * one with an append-only file on its volume (quotas survive a restart), a headless Service and
 * the same hardening as the gateway. Not highly available: a Redis outage puts limits into
 * their declared degraded mode, so production installs use a managed or replicated Redis.
 */
import type { Chart } from "cdk8s";
import { k8s } from "cdk8s-plus-33";
import { type ClusterContext, REDIS_NAME, metadataOf, redisSelector } from "./names";
import { addRedisNetworkPolicy } from "./network-policy";

/** The `redis` user of the official image. */
const REDIS_UID = 999;

export function addInClusterRedis(chart: Chart, context: ClusterContext): void {
  const redis = context.cluster.redis;
  if (redis.kind !== "in-cluster") return;
  const selector = redisSelector(context);
  new k8s.KubeService(chart, "redis-service", {
    metadata: metadataOf(context, REDIS_NAME, "redis"),
    spec: { clusterIp: "None", selector, ports: [{ name: "redis", port: 6379, targetPort: k8s.IntOrString.fromString("redis"), protocol: "TCP" }] },
  });
  const maxMemoryMb = Math.floor(redis.memoryLimitMiB * 0.8);
  new k8s.KubeStatefulSet(chart, "redis", {
    metadata: metadataOf(context, REDIS_NAME, "redis"),
    spec: {
      serviceName: REDIS_NAME,
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: metadataOf(context, REDIS_NAME, "redis").labels },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: { runAsNonRoot: true, runAsUser: REDIS_UID, runAsGroup: REDIS_UID, fsGroup: REDIS_UID, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "redis",
              image: redis.image,
              // Counters expire by themselves; under memory pressure the nearest expiry goes first.
              args: ["redis-server", "--appendonly", "yes", "--dir", "/data", "--maxmemory", `${maxMemoryMb}mb`, "--maxmemory-policy", "volatile-ttl"],
              ports: [{ name: "redis", containerPort: 6379, protocol: "TCP" }],
              livenessProbe: { tcpSocket: { port: k8s.IntOrString.fromString("redis") }, periodSeconds: 10, failureThreshold: 3 },
              readinessProbe: { tcpSocket: { port: k8s.IntOrString.fromString("redis") }, periodSeconds: 5 },
              resources: {
                requests: { cpu: k8s.Quantity.fromString(`${redis.cpuRequestMillicores}m`), memory: k8s.Quantity.fromString(`${redis.memoryLimitMiB}Mi`) },
                limits: { memory: k8s.Quantity.fromString(`${redis.memoryLimitMiB}Mi`) },
              },
              securityContext: {
                runAsNonRoot: true,
                readOnlyRootFilesystem: true,
                allowPrivilegeEscalation: false,
                capabilities: { drop: ["ALL"] },
                seccompProfile: { type: "RuntimeDefault" },
              },
              volumeMounts: [{ name: "data", mountPath: "/data" }],
            },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: "data" },
          spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: k8s.Quantity.fromString(`${redis.storageGiB}Gi`) } } },
        },
      ],
    },
  });
  addRedisNetworkPolicy(chart, context);
}
