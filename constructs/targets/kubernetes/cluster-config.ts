/**
 * The Kubernetes target's settings as plain, validated, fully defaulted data: what
 * `KubernetesGateway` resolves its props into, what `compileManifest()` returns beside the
 * manifest (`targets.kubernetes`), and what `synthesizeKubernetes()` reads. No construct
 * objects, no cdk8s: the synthesizer is a pure function of the manifest and this data.
 */

/** A key of a Kubernetes Secret in the gateway's namespace: the only way the target takes a secret. */
export interface KubernetesSecretKeyRef {
  readonly name: string;
  readonly key: string;
}

/** Where the pods may connect to for one dependency (NetworkPolicy egress). */
export interface EgressConfig {
  /** Destination ranges; `[]`: any destination on `port` (NetworkPolicy cannot name hosts). */
  readonly cidrs: string[];
  readonly port: number;
}

export type RedisConfig =
  | { readonly kind: "none" }
  | { readonly kind: "external"; readonly url: KubernetesSecretKeyRef; readonly egress: EgressConfig }
  | {
      readonly kind: "in-cluster";
      readonly image: string;
      readonly storageGiB: number;
      readonly cpuRequestMillicores: number;
      readonly memoryLimitMiB: number;
    };

export interface ControlStoreConfig {
  readonly url: KubernetesSecretKeyRef;
  readonly egress: EgressConfig;
}

/** OpenTelemetry tracing: what the gateway container's `OTEL_*` environment says. */
export interface TracingConfig {
  /** The collector's OTLP base URL, as declared (for OTLP/HTTP the gateway appends `/v1/traces`). */
  readonly otlpEndpoint: string;
  readonly protocol: "http/protobuf" | "http/json" | "grpc";
  /** `name=value,…` headers for the receiver; `null`: none. */
  readonly headers: KubernetesSecretKeyRef | null;
  /** Share of the traces the gateway starts that are sampled, 0 to 1 (`parentbased_traceidratio`). */
  readonly sampleRatio: number;
  readonly serviceName: string;
  /** Gzip the export requests. */
  readonly compress: boolean;
  /** Each upstream attempt a span of its own. */
  readonly upstreamSpans: boolean;
  /** `cloud.region` of the spans: the cluster's name when it is one of the platform's regions; `null`: none. */
  readonly region: string | null;
  /** Certificates for the connection to the collector, mounted from Secrets; `null`: the public roots, no client certificate. */
  readonly tls: TracingTlsConfig | null;
  /** Where the collector is (NetworkPolicy egress). */
  readonly egress: EgressConfig;
}

export interface TracingTlsConfig {
  /** The collector's CA (PEM); `null`: the public roots. */
  readonly ca: KubernetesSecretKeyRef | null;
  /** A `kubernetes.io/tls` Secret's name (`tls.crt`, `tls.key`); `null`: no client certificate. */
  readonly clientCertificateSecret: string | null;
}

interface EntryCommon {
  /** Host names served, sorted. */
  readonly hostnames: string[];
  /** Secret of type kubernetes.io/tls in the namespace; `null`: plain HTTP at the entry. */
  readonly tlsSecretName: string | null;
  /** Labels selecting the namespace(s) the entry proxies run in: the only source of API traffic. */
  readonly entryNamespaceLabels: Record<string, string>;
}

export type EntryConfig =
  | (EntryCommon & { readonly style: "gateway-api"; readonly gatewayClassName: string })
  | (EntryCommon & { readonly style: "ingress"; readonly ingressClassName: string | null });

/** One cluster (region) the gateway runs in. */
export interface KubernetesClusterConfig {
  /** Region or cluster name: the directory under dist/kubernetes/ and the Pulumi provider's name. */
  readonly name: string;
  readonly namespace: string;
  readonly image: string;
  readonly workersPerPod: number;
  readonly drainDelayMs: number;
  readonly replicas: { readonly min: number; readonly max: number; readonly targetCpuUtilizationPercent: number };
  readonly resources: {
    readonly cpuRequestMillicores: number;
    readonly cpuLimitMillicores: number;
    readonly memoryRequestMiB: number;
    readonly memoryLimitMiB: number;
  };
  readonly topologySpread: { readonly maxSkew: number; readonly whenUnsatisfiable: "DoNotSchedule" | "ScheduleAnyway" };
  readonly redis: RedisConfig;
  readonly controlStore: ControlStoreConfig | null;
  /** `null`: tracing off (no `OTEL_*` variables). */
  readonly tracing: TracingConfig | null;
  readonly entry: EntryConfig;
  readonly monitoring: { readonly namespace: string; readonly labels: Record<string, string> };
}

/** The Kubernetes target of a platform. */
export interface KubernetesTargetConfig {
  /** Construct path of the `KubernetesGateway`. */
  readonly declaredAt: string;
  /** Clusters, sorted by name. */
  readonly clusters: KubernetesClusterConfig[];
}
