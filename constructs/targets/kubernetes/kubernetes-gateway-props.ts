/** Props of `KubernetesGateway`: how the bundled gateway runs in each cluster. */
import type { SecretRef } from "../../secret";

/** Where pods may connect to for a dependency, for the NetworkPolicy's egress rule. */
export interface KubernetesEgressProps {
  /**
   * Destination IP ranges (CIDR), e.g. `["10.20.0.0/16"]`. NetworkPolicy cannot select DNS
   * names, so a managed service known only by name is reached by port alone.
   * @default [] (any destination on `port`)
   */
  readonly cidrs?: string[];
  /**
   * Destination TCP port.
   * @default 6379 for Redis, 5432 for PostgreSQL, the endpoint's port for tracing
   */
  readonly port?: number;
}

/** A single Redis run next to the gateway (StatefulSet), for small installs. */
export interface KubernetesInClusterRedisProps {
  /**
   * Redis image.
   * @default "redis:7.2"
   */
  readonly image?: string;
  /**
   * Size of its volume (append-only file: quotas survive a restart), in GiB.
   * @default 1
   */
  readonly storageGiB?: number;
  /**
   * CPU requested, in millicores.
   * @default 100
   */
  readonly cpuRequestMillicores?: number;
  /**
   * Memory limit (also the request), in MiB; Redis gets `maxmemory` at 80 % of it.
   * @default 256
   */
  readonly memoryLimitMiB?: number;
}

/** Redis shared by the replicas for rate-limit and quota counters: an external one, or one in the cluster. */
export interface KubernetesRedisProps {
  /**
   * URL of an existing Redis (`redis://…` or `rediss://…`, with its password), from a key of a
   * Kubernetes Secret in the namespace: `Secret.fromKubernetes("turnpike-redis", "url")`.
   * Exactly one of `url` and `inCluster`.
   * @default none
   */
  readonly url?: SecretRef;
  /**
   * Where the external Redis is.
   * @default any destination on port 6379
   */
  readonly egress?: KubernetesEgressProps;
  /**
   * Run one Redis in the namespace instead (not highly available: for small installs).
   * @default none
   */
  readonly inCluster?: KubernetesInClusterRedisProps;
}

/** PostgreSQL for control-plane data (consumers, keys, subscriptions): `--control-store`. */
export interface KubernetesControlStoreProps {
  /**
   * `postgres://…` URL with its password, from a key of a Kubernetes Secret in the namespace:
   * `Secret.fromKubernetes("turnpike-postgres", "url")`.
   */
  readonly url: SecretRef;
  /**
   * Where the database is.
   * @default any destination on port 5432
   */
  readonly egress?: KubernetesEgressProps;
}

/**
 * OpenTelemetry tracing of the gateway's requests: spans sent over OTLP/HTTP (protobuf, the
 * specification's default encoding, which every OTLP/HTTP receiver takes: the OpenTelemetry
 * Collector's `otlp` receiver on port 4318, Jaeger, Tempo, vendors' endpoints), through the
 * standard `OTEL_*` environment variables.
 * The spans carry `k8s.namespace.name`, `k8s.pod.name`, `k8s.node.name` and, when the
 * platform declares regions, `cloud.region`.
 */
export interface KubernetesTracingProps {
  /**
   * The collector's OTLP base URL (`http://` plaintext or `https://` TLS, no credentials). For
   * OTLP/HTTP the gateway appends `/v1/traces`: `"http://otel-collector.observability:4318"`;
   * for OTLP/gRPC it is the host and port, no path: `"http://otel-collector.observability:4317"`.
   */
  readonly otlpEndpoint: string;
  /**
   * How spans are sent: OTLP/HTTP with protobuf (OpenTelemetry's default) or JSON bodies, or
   * OTLP/gRPC (`OTEL_EXPORTER_OTLP_PROTOCOL`).
   * @default "http/protobuf"
   */
  readonly protocol?: "http/protobuf" | "http/json" | "grpc";
  /**
   * Headers for the receiver (a vendor's API token), from a key of a Kubernetes Secret in the
   * namespace holding `name=value,name2=value2` (values percent-encoded), as
   * `OTEL_EXPORTER_OTLP_HEADERS` reads it: `Secret.fromKubernetes("turnpike-otlp", "headers")`.
   * @default none
   */
  readonly headers?: SecretRef;
  /**
   * Share of the traces the gateway starts that are sampled, from 0 (none) to 1 (all); a
   * caller's sampled flag (its `traceparent`) is always followed (`parentbased_traceidratio`).
   * @default 1
   */
  readonly sampleRatio?: number;
  /**
   * `service.name` of the spans.
   * @default "turnpike-gateway"
   */
  readonly serviceName?: string;
  /**
   * Gzip the export requests (`OTEL_EXPORTER_OTLP_COMPRESSION=gzip`).
   * @default false
   */
  readonly compress?: boolean;
  /**
   * Each attempt to reach the upstream a CLIENT span of its own under the request's span, and
   * the parent the upstream sees (`TURNPIKE_TRACES_UPSTREAM_SPANS=true`): retries and failovers
   * show as the attempts they took. Twice the spans of a sampled request.
   * @default false (one span per request, as Envoy and Kong by default)
   */
  readonly upstreamSpans?: boolean;
  /**
   * TLS to the collector beyond the image's public roots: the collector's private CA, and a
   * client certificate for a collector that requires mutual TLS. Needs an `https://` endpoint.
   * @default the public roots, no client certificate
   */
  readonly tls?: KubernetesTracingTlsProps;
  /**
   * Where the collector is, for the NetworkPolicy's egress rule.
   * @default the endpoint's port (80 for http, 443 for https when it has none), any destination;
   *   an endpoint whose host is an IP address: that address only
   */
  readonly egress?: KubernetesEgressProps;
}

/**
 * Certificates for the connection to the collector, mounted read-only from Secrets and named
 * to the gateway by OpenTelemetry's variables (`OTEL_EXPORTER_OTLP_CERTIFICATE`,
 * `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`, `OTEL_EXPORTER_OTLP_CLIENT_KEY`). The gateway reads
 * them again for each new connection, so a certificate renewed in its Secret (cert-manager) is
 * used without restarting the pods.
 */
export interface KubernetesTracingTlsProps {
  /**
   * The CA certificates (PEM) the collector's certificate must chain to; they replace the public
   * roots for this connection, as OpenTelemetry's SDKs use them. A key of a Secret in the
   * namespace: `Secret.fromKubernetes("otel-collector-ca", "ca.crt")`.
   * @default the public roots of the image's Node.js
   */
  readonly ca?: SecretRef;
  /**
   * A Secret of type `kubernetes.io/tls` in the namespace (as cert-manager writes one) holding the
   * gateway's client certificate chain (`tls.crt`) and its unencrypted key (`tls.key`), presented
   * to a collector that requires mutual TLS.
   * @default none
   */
  readonly clientCertificateSecretName?: string;
}

interface KubernetesEntryCommonProps {
  /** Host names clients use, e.g. `["api.eu.acme.example"]`. */
  readonly hostnames: string[];
  /**
   * Secret (type `kubernetes.io/tls`) in the namespace holding the certificate for the host
   * names; TLS ends at the entry.
   * @default none (plain HTTP at the entry)
   */
  readonly tlsSecretName?: string;
  /**
   * Labels of the namespace the entry's proxies run in: the NetworkPolicy lets API traffic in
   * from pods of that namespace only.
   * @default `{"kubernetes.io/metadata.name": "ingress-nginx"}` for `ingress`,
   *   `{"kubernetes.io/metadata.name": "envoy-gateway-system"}` for `gateway-api`
   */
  readonly entryNamespaceLabels?: Record<string, string>;
}

/** Traffic enters through a Gateway API `Gateway` and an `HTTPRoute`. */
export interface KubernetesGatewayApiEntryProps extends KubernetesEntryCommonProps {
  readonly style: "gateway-api";
  /** `GatewayClass` of the cluster's Gateway API implementation, e.g. `"eg"` (Envoy Gateway). */
  readonly gatewayClassName: string;
}

/** Traffic enters through a `networking.k8s.io/v1` `Ingress`. */
export interface KubernetesIngressEntryProps extends KubernetesEntryCommonProps {
  readonly style: "ingress";
  /**
   * `IngressClass` to use, e.g. `"nginx"`.
   * @default the cluster's default class
   */
  readonly ingressClassName?: string;
}

export type KubernetesEntryProps = KubernetesGatewayApiEntryProps | KubernetesIngressEntryProps;

/** Settings of a cluster; those on a region replace the gateway-wide ones. */
export interface KubernetesClusterSettings {
  /**
   * Namespace the gateway runs in (created by the chart).
   * @default "turnpike"
   */
  readonly namespace?: string;
  /** Replicas and autoscaling (HorizontalPodAutoscaler on CPU). */
  readonly replicas?: {
    /**
     * Fewest replicas; also sizes the PodDisruptionBudget.
     * @default 2
     */
    readonly min?: number;
    /**
     * Most replicas.
     * @default 10
     */
    readonly max?: number;
    /**
     * Average CPU use the autoscaler keeps, as a percentage of the CPU request.
     * @default 70
     */
    readonly targetCpuUtilizationPercent?: number;
  };
  /** Resources of each gateway pod. */
  readonly resources?: {
    /**
     * CPU requested, in millicores.
     * @default 500
     */
    readonly cpuRequestMillicores?: number;
    /**
     * CPU limit, in millicores.
     * @default 1000
     */
    readonly cpuLimitMillicores?: number;
    /**
     * Memory requested, in MiB.
     * @default 256
     */
    readonly memoryRequestMiB?: number;
    /**
     * Memory limit, in MiB. With several `workersPerPod`, the gateway gives each worker its
     * share as its heap limit; it must hold 128 MiB per worker, plus 96 MiB for the primary.
     * @default 512
     */
    readonly memoryLimitMiB?: number;
  };
  /**
   * Gateway image.
   * @default "ghcr.io/turnpike/gateway:<version of this package>"
   */
  readonly image?: string;
  /**
   * Gateway workers (`--workers`) per pod. Scale with replicas first; raise this with the CPU
   * limit and the memory limit (see `resources.memoryLimitMiB`).
   * @default 1
   */
  readonly workersPerPod?: number;
  /**
   * On SIGTERM, how long the gateway keeps serving while `/readyz` says draining, so the entry
   * stops sending before the listener closes, in milliseconds (`--drain-delay-ms`). The pod's
   * termination grace period is this + the gateway's 30 s in-flight drain + 5 s.
   * @default 5_000
   */
  readonly drainDelayMs?: number;
  /** Spreading of the replicas across zones (`topology.kubernetes.io/zone`); across nodes it is always best effort. */
  readonly topologySpread?: {
    /**
     * Largest difference in replicas between two zones.
     * @default 1
     */
    readonly maxSkew?: number;
    /**
     * What the scheduler does when the spread cannot hold.
     * @default "ScheduleAnyway"
     */
    readonly whenUnsatisfiable?: "DoNotSchedule" | "ScheduleAnyway";
  };
  /**
   * Redis for counters shared by the replicas.
   * @default none: each pod counts alone, so a limit holds per pod, not for the gateway
   */
  readonly redis?: KubernetesRedisProps;
  /**
   * PostgreSQL for control-plane data.
   * @default none (no control plane)
   */
  readonly controlStore?: KubernetesControlStoreProps;
  /**
   * OpenTelemetry tracing of the gateway's requests (spans sent over OTLP/HTTP).
   * @default none (tracing off)
   */
  readonly tracing?: KubernetesTracingProps;
  /** How traffic enters the cluster. Required on the gateway or on every region. */
  readonly ingress?: KubernetesEntryProps;
  /** Prometheus operator and Grafana. */
  readonly monitoring?: {
    /**
     * Namespace Prometheus runs in: the only source allowed on the operator port (9901).
     * @default "monitoring"
     */
    readonly namespace?: string;
    /**
     * Labels added to the ServiceMonitor, PrometheusRule and dashboard so the Prometheus
     * operator and Grafana pick them up, e.g. `{ release: "kube-prometheus-stack" }`.
     * @default {}
     */
    readonly labels?: Record<string, string>;
  };
}

/** One region (cluster) the gateway is deployed to. */
export interface KubernetesRegionProps extends KubernetesClusterSettings {
  /** Region or cluster name, one of the platform's `regions` when it declares them, e.g. `"eu-west-1"`. */
  readonly name: string;
}

export interface KubernetesGatewayProps extends KubernetesClusterSettings {
  /** The clusters, one per region; each may replace any setting above. */
  readonly regions: KubernetesRegionProps[];
}
