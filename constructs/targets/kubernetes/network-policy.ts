/**
 * The gateway's NetworkPolicy. In: API traffic (8080) only from the entry's namespace, the
 * operator port (9901) only from the monitoring namespace (kubelet probes come from the node and
 * are not subject to it on common CNIs). Out: DNS in kube-system, the upstreams and JWKS hosts of
 * the manifest, Redis, PostgreSQL and the OpenTelemetry collector; nothing else.
 */
import type { Chart } from "cdk8s";
import { k8s } from "cdk8s-plus-33";
import type { EgressConfig } from "./cluster-config";
import { manifestEgressDestinations } from "./egress-destinations";
import { API_PORT, type ClusterContext, GATEWAY_NAME, OPERATOR_PORT, REDIS_NAME, gatewaySelector, metadataOf, redisSelector } from "./names";

const tcp = (port: number): k8s.NetworkPolicyPort => ({ protocol: "TCP", port: k8s.IntOrString.fromNumber(port) });

export function addGatewayNetworkPolicy(chart: Chart, context: ClusterContext): void {
  const { cluster } = context;
  const egress: k8s.NetworkPolicyEgressRule[] = [
    {
      to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
      ports: [{ protocol: "UDP", port: k8s.IntOrString.fromNumber(53) }, tcp(53)],
    },
  ];
  // Destinations known by address get a rule each; those known only by name share one
  // port-only rule (any address on those ports).
  const portOnly = new Set<number>();
  const byAddress = (cidrs: string[], port: number) => {
    if (cidrs.length === 0) portOnly.add(port);
    else egress.push({ to: cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [tcp(port)] });
  };
  const upstreams = manifestEgressDestinations(context.manifest);
  const upstreamPorts = [...new Set(upstreams.map((destination) => destination.port))];
  for (const port of upstreamPorts) {
    const atPort = upstreams.filter((destination) => destination.port === port);
    if (atPort.some((destination) => destination.cidr === null)) portOnly.add(port);
    const cidrs = atPort.flatMap((destination) => (destination.cidr ? [destination.cidr] : []));
    if (cidrs.length > 0) byAddress(cidrs, port);
  }
  const dependency = (config: EgressConfig) => byAddress(config.cidrs, config.port);
  if (cluster.redis.kind === "external") dependency(cluster.redis.egress);
  if (cluster.redis.kind === "in-cluster") egress.push({ to: [{ podSelector: { matchLabels: redisSelector(context) } }], ports: [tcp(6379)] });
  if (cluster.controlStore) dependency(cluster.controlStore.egress);
  if (cluster.tracing) dependency(cluster.tracing.egress);
  if (portOnly.size > 0) egress.push({ ports: [...portOnly].sort((a, b) => a - b).map(tcp) });

  new k8s.KubeNetworkPolicy(chart, "network-policy", {
    metadata: {
      ...metadataOf(context, GATEWAY_NAME),
      annotations: {
        "turnpike.dev/upstreams": upstreams.map((destination) => `${destination.hosts.join(",")}:${destination.port}`).join(" "),
      },
    },
    spec: {
      podSelector: { matchLabels: gatewaySelector(context) },
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        { from: [{ namespaceSelector: { matchLabels: cluster.entry.entryNamespaceLabels } }], ports: [tcp(API_PORT)] },
        { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": cluster.monitoring.namespace } } }], ports: [tcp(OPERATOR_PORT)] },
      ],
      egress,
    },
  });
}

/** The in-cluster Redis takes connections from the gateway's pods only and opens none. */
export function addRedisNetworkPolicy(chart: Chart, context: ClusterContext): void {
  new k8s.KubeNetworkPolicy(chart, "redis-network-policy", {
    metadata: metadataOf(context, REDIS_NAME, "redis"),
    spec: {
      podSelector: { matchLabels: redisSelector(context) },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [{ podSelector: { matchLabels: gatewaySelector(context) } }], ports: [tcp(6379)] }],
      egress: [],
    },
  });
}
