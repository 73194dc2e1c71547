/**
 * `KubernetesGateway`: the bundled gateway run as N replicas per region behind a Service, with
 * autoscaling, a disruption budget, a NetworkPolicy, an entry (Gateway API or Ingress) and
 * monitoring. The construct only validates and resolves its settings into plain data
 * (`KubernetesTargetConfig`); `synthesizeKubernetes()` builds the charts from that data and the
 * manifest, never from construct objects.
 */
import type { Construct } from "constructs";
import { z } from "zod";
import { didYouMean, describeValue, listOf } from "../../diagnostics";
import { Platform } from "../../platform";
import { secretRefSchema } from "../../secret";
import { TurnpikeConstruct } from "../../turnpike-construct";
import type { EgressConfig, EntryConfig, KubernetesClusterConfig, KubernetesSecretKeyRef, KubernetesTargetConfig, RedisConfig, TracingConfig, TracingTlsConfig } from "./cluster-config";
import { urlDestination } from "./egress-destinations";
import type { KubernetesGatewayProps } from "./kubernetes-gateway-props";
import { PRIMARY_RESERVE_MIB, minimumMemoryMiB } from "../../../gateway-image/src/cluster/worker-heap";
import { DEFAULT_SERVICE_NAME } from "../../../gateway-image/src/observability/tracing/trace-config";

const { version: PACKAGE_VERSION } = require("../../../package.json") as { version: string };

/** The image `turnpike` publishes for this version of the package. */
export const DEFAULT_GATEWAY_IMAGE = `ghcr.io/turnpike/gateway:${PACKAGE_VERSION}`;

const kubernetesName = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "a Kubernetes object name is lower-case letters, digits, - and .").max(253);
const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "a Kubernetes namespace is lower-case letters, digits and -").max(63);
const hostname = z.string().regex(/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/, "a host name such as api.acme.example (lower case, no scheme, no port)");
const labels = z.record(z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, "a label key"), z.string().max(63));
const cidr = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/, "an IP range in CIDR notation, e.g. 10.20.0.0/16");
const port = z.number().int().min(1).max(65_535);
const egress = z.strictObject({ cidrs: z.array(cidr).optional(), port: port.optional() });
const entryCommon = {
  hostnames: z.array(hostname).min(1),
  tlsSecretName: kubernetesName.optional(),
  entryNamespaceLabels: labels.optional(),
};

/** Shapes and ranges; relations between fields (min ≤ max, secrets by reference) are checked after merging. */
const settingsFields = {
  namespace: dnsLabel.optional(),
  replicas: z
    .strictObject({
      min: z.number().int().min(1).max(1_000).optional(),
      max: z.number().int().min(1).max(1_000).optional(),
      targetCpuUtilizationPercent: z.number().int().min(1).max(100).optional(),
    })
    .optional(),
  resources: z
    .strictObject({
      cpuRequestMillicores: z.number().int().min(10).optional(),
      cpuLimitMillicores: z.number().int().min(10).optional(),
      memoryRequestMiB: z.number().int().min(64).optional(),
      memoryLimitMiB: z.number().int().min(64).optional(),
    })
    .optional(),
  image: z.string().regex(/^[^\s]+$/, "an image reference such as ghcr.io/turnpike/gateway:1.0.0").optional(),
  workersPerPod: z.number().int().min(1).max(64).optional(),
  drainDelayMs: z.number().int().min(0).max(120_000).optional(),
  topologySpread: z.strictObject({ maxSkew: z.number().int().min(1).optional(), whenUnsatisfiable: z.enum(["DoNotSchedule", "ScheduleAnyway"]).optional() }).optional(),
  redis: z
    .strictObject({
      url: z.unknown().optional(),
      egress: egress.optional(),
      inCluster: z
        .strictObject({
          image: z.string().min(1).optional(),
          storageGiB: z.number().int().min(1).optional(),
          cpuRequestMillicores: z.number().int().min(10).optional(),
          memoryLimitMiB: z.number().int().min(64).optional(),
        })
        .optional(),
    })
    .optional(),
  controlStore: z.strictObject({ url: z.unknown(), egress: egress.optional() }).optional(),
  tracing: z
    .strictObject({
      otlpEndpoint: z.string(),
      protocol: z.enum(["http/protobuf", "http/json", "grpc"]).optional(),
      headers: z.unknown().optional(),
      sampleRatio: z.number().optional(),
      serviceName: z.string().optional(),
      compress: z.boolean().optional(),
      upstreamSpans: z.boolean().optional(),
      tls: z.strictObject({ ca: z.unknown().optional(), clientCertificateSecretName: kubernetesName.optional() }).optional(),
      egress: egress.optional(),
    })
    .optional(),
  ingress: z
    .discriminatedUnion("style", [
      z.strictObject({ style: z.literal("gateway-api"), gatewayClassName: kubernetesName, ...entryCommon }),
      z.strictObject({ style: z.literal("ingress"), ingressClassName: kubernetesName.optional(), ...entryCommon }),
    ])
    .optional(),
  monitoring: z.strictObject({ namespace: dnsLabel.optional(), labels: labels.optional() }).optional(),
};

const propsSchema = z.strictObject({
  ...settingsFields,
  regions: z.array(z.strictObject({ name: z.string(), ...settingsFields })).min(1, "declare at least one region"),
});

type Settings = z.output<z.ZodObject<typeof settingsFields>>;

/** Settings merged one level deep: a region's `replicas.max` keeps the gateway's `replicas.min`. */
const MERGED_OBJECTS = ["replicas", "resources", "topologySpread", "monitoring"] as const;

const DEFAULT_ENTRY_NAMESPACE = { ingress: "ingress-nginx", "gateway-api": "envoy-gateway-system" } as const;

export class KubernetesGateway extends TurnpikeConstruct {
  /** The resolved settings; `undefined` when the props have errors (compile reports them). */
  readonly config: KubernetesTargetConfig | undefined;

  constructor(scope: Construct, id: string, props: KubernetesGatewayProps) {
    super(scope, id);
    const platform = Platform.of(this);
    this.checkName(id);
    const other = platform.node.findAll().find((construct) => construct instanceof KubernetesGateway && construct !== this);
    if (other) {
      this.diagnostics.error({
        code: "duplicate-name",
        path: this.path,
        message: `the platform already has a KubernetesGateway (${other.node.path}); one declares every region`,
        fix: `add these regions to ${other.node.path}`,
      });
    }
    const parsed = this.parseProps(propsSchema, props);
    if (parsed === undefined) return;
    const { regions, ...shared } = parsed;
    const declaredRegions = platform.settings?.regions ?? [];
    const seen = new Map<string, number>();
    const clusters: KubernetesClusterConfig[] = [];
    let valid = true;
    regions.forEach(({ name, ...own }, index) => {
      const at = `regions[${index}]`;
      const before = this.errorCount();
      this.checkName(name, `${at}.name`);
      const first = seen.get(name);
      if (first !== undefined) {
        this.diagnostics.error({
          code: "duplicate-name",
          path: this.path,
          field: `${at}.name`,
          message: `region "${name}" is declared twice (also regions[${first}]); each region is one cluster with its own directory and provider`,
          received: `"${name}"`,
          fix: "merge the two entries, or give this one the name of another region",
        });
      } else seen.set(name, index);
      if (declaredRegions.length > 0 && !declaredRegions.includes(name)) {
        this.diagnostics.error({
          code: "invalid-props",
          path: this.path,
          field: `${at}.name`,
          message: `region "${name}" is not one of the platform's regions`,
          expected: `one of ${listOf(declaredRegions)}`,
          received: `"${name}"`,
          fix: didYouMean(name, declaredRegions) ?? `add "${name}" to the Platform's regions`,
        });
      }
      const cluster = this.resolveCluster(name, at, shared, own, declaredRegions.includes(name));
      if (cluster && this.errorCount() === before) clusters.push(cluster);
      else valid = false;
    });
    if (!valid) return;
    this.config = { declaredAt: this.path, clusters: clusters.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
  }

  private errorCount(): number {
    return this.diagnostics.all.filter((diagnostic) => diagnostic.severity === "error").length;
  }

  /** Merges a region's settings over the shared ones, checks the relations and fills defaults. */
  private resolveCluster(name: string, at: string, shared: Settings, own: Settings, isDeclaredRegion: boolean): KubernetesClusterConfig | undefined {
    const merged: Settings = { ...shared, ...own };
    for (const key of MERGED_OBJECTS) {
      if (shared[key] || own[key]) (merged as Record<string, unknown>)[key] = { ...shared[key], ...own[key] };
    }
    /** Where a setting was written: on the region, or on the gateway. */
    const fieldOf = (key: keyof Settings, sub?: string) => {
      const region = own[key] !== undefined && (sub === undefined || (own[key] as Record<string, unknown>)[sub] !== undefined);
      return `${region ? `${at}.` : ""}${key}${sub ? `.${sub}` : ""}`;
    };
    let ok = true;
    const error = (field: string, message: string, fix: string, received?: string) => {
      ok = false;
      this.diagnostics.error({ code: "invalid-props", path: this.path, field, message, received, fix });
    };

    const replicas = { min: merged.replicas?.min ?? 2, max: merged.replicas?.max ?? 10, targetCpuUtilizationPercent: merged.replicas?.targetCpuUtilizationPercent ?? 70 };
    if (replicas.min > replicas.max) {
      error(
        fieldOf("replicas", "max"),
        `region "${name}": replicas.max (${replicas.max}) is below replicas.min (${replicas.min}); the autoscaler needs min <= max`,
        `set replicas.max to ${replicas.min} or more, or replicas.min to ${replicas.max} or less`,
        String(replicas.max),
      );
    }
    const resources = {
      cpuRequestMillicores: merged.resources?.cpuRequestMillicores ?? 500,
      cpuLimitMillicores: merged.resources?.cpuLimitMillicores ?? 1_000,
      memoryRequestMiB: merged.resources?.memoryRequestMiB ?? 256,
      memoryLimitMiB: merged.resources?.memoryLimitMiB ?? 512,
    };
    if (resources.cpuRequestMillicores > resources.cpuLimitMillicores) {
      error(fieldOf("resources", "cpuLimitMillicores"), `region "${name}": the CPU limit (${resources.cpuLimitMillicores}m) is below the request (${resources.cpuRequestMillicores}m)`, `set cpuLimitMillicores to ${resources.cpuRequestMillicores} or more`);
    }
    const workersPerPod = merged.workersPerPod ?? 1;
    if (resources.memoryLimitMiB < minimumMemoryMiB(workersPerPod)) {
      error(
        fieldOf("resources", "memoryLimitMiB"),
        `region "${name}": ${workersPerPod} worker(s) per pod need a memory limit of ${minimumMemoryMiB(workersPerPod)} MiB or more (${minimumMemoryMiB(1)} MiB per worker${workersPerPod > 1 ? `, ${PRIMARY_RESERVE_MIB} MiB for the primary` : ""}), not ${resources.memoryLimitMiB} MiB`,
        `set memoryLimitMiB to ${minimumMemoryMiB(workersPerPod)} or more, or lower workersPerPod`,
        String(resources.memoryLimitMiB),
      );
    }
    if (resources.memoryRequestMiB > resources.memoryLimitMiB) {
      error(fieldOf("resources", "memoryLimitMiB"), `region "${name}": the memory limit (${resources.memoryLimitMiB} MiB) is below the request (${resources.memoryRequestMiB} MiB)`, `set memoryLimitMiB to ${resources.memoryRequestMiB} or more`);
    }

    let redis: RedisConfig = { kind: "none" };
    if (merged.redis) {
      const field = fieldOf("redis");
      const { url, inCluster } = merged.redis;
      if ((url === undefined) === (inCluster === undefined)) {
        error(field, `region "${name}": redis needs exactly one of url (an existing Redis) and inCluster (one run in the namespace)`, url === undefined ? 'add url: Secret.fromKubernetes("turnpike-redis", "url"), or inCluster: {}' : "remove one of the two");
      } else if (url !== undefined) {
        const ref = this.kubernetesSecret(url, `${field}.url`, "turnpike-redis");
        if (ref) redis = { kind: "external", url: ref, egress: egressOf(merged.redis.egress, 6379) };
        else ok = false;
      } else {
        redis = {
          kind: "in-cluster",
          image: inCluster!.image ?? "redis:7.2",
          storageGiB: inCluster!.storageGiB ?? 1,
          cpuRequestMillicores: inCluster!.cpuRequestMillicores ?? 100,
          memoryLimitMiB: inCluster!.memoryLimitMiB ?? 256,
        };
      }
    } else if (replicas.max > 1) {
      this.diagnostics.warning({
        code: "invalid-props",
        path: this.path,
        field: `${at}.redis`,
        message: `region "${name}" runs up to ${replicas.max} replicas without Redis: each pod counts rate limits and quotas alone, so a limit of N allows up to ${replicas.max}×N`,
        fix: 'set redis: { url: Secret.fromKubernetes("turnpike-redis", "url") } or redis: { inCluster: {} }',
      });
    }

    let controlStore: KubernetesClusterConfig["controlStore"] = null;
    if (merged.controlStore) {
      const ref = this.kubernetesSecret(merged.controlStore.url, `${fieldOf("controlStore")}.url`, "turnpike-postgres");
      if (ref) controlStore = { url: ref, egress: egressOf(merged.controlStore.egress, 5432) };
      else ok = false;
    }

    let tracing: TracingConfig | null = null;
    if (merged.tracing) {
      const resolved = this.resolveTracing(name, fieldOf("tracing"), merged.tracing, isDeclaredRegion);
      if (resolved) tracing = resolved;
      else ok = false;
    }

    const ingress = merged.ingress;
    if (!ingress) {
      error(`${at}.ingress`, `region "${name}" has no ingress: the gateway would not be reachable from outside the cluster`, `set ingress on the KubernetesGateway or on region "${name}", e.g. { style: "gateway-api", gatewayClassName: "eg", hostnames: ["api.example.com"] }`);
      return undefined;
    }
    const entryCommon = {
      hostnames: [...new Set(ingress.hostnames)].sort(),
      tlsSecretName: ingress.tlsSecretName ?? null,
      entryNamespaceLabels: ingress.entryNamespaceLabels ?? { "kubernetes.io/metadata.name": DEFAULT_ENTRY_NAMESPACE[ingress.style] },
    };
    const entry: EntryConfig =
      ingress.style === "gateway-api"
        ? { style: "gateway-api", gatewayClassName: ingress.gatewayClassName, ...entryCommon }
        : { style: "ingress", ingressClassName: ingress.ingressClassName ?? null, ...entryCommon };

    if (!ok) return undefined;
    return {
      name,
      namespace: merged.namespace ?? "turnpike",
      image: merged.image ?? DEFAULT_GATEWAY_IMAGE,
      workersPerPod,
      drainDelayMs: merged.drainDelayMs ?? 5_000,
      replicas,
      resources,
      topologySpread: { maxSkew: merged.topologySpread?.maxSkew ?? 1, whenUnsatisfiable: merged.topologySpread?.whenUnsatisfiable ?? "ScheduleAnyway" },
      redis,
      controlStore,
      tracing,
      entry,
      monitoring: { namespace: merged.monitoring?.namespace ?? "monitoring", labels: merged.monitoring?.labels ?? {} },
    };
  }

  /**
   * Tracing as the gateway reads it (gateway-image/src/observability/tracing/trace-config.ts):
   * what it would refuse at start is a compile error here, where it was declared.
   */
  private resolveTracing(name: string, field: string, declared: NonNullable<Settings["tracing"]>, isDeclaredRegion: boolean): TracingConfig | undefined {
    let ok = true;
    const error = (sub: string, message: string, fix: string, received?: string) => {
      ok = false;
      this.diagnostics.error({ code: "invalid-props", path: this.path, field: `${field}.${sub}`, message: `region "${name}": tracing.${sub} ${message}`, received, fix });
    };
    const example = '"http://otel-collector.observability:4318"';
    const protocol = declared.protocol ?? "http/protobuf";
    const value = declared.otlpEndpoint;
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      error("otlpEndpoint", "is not a URL: the gateway needs the collector's OTLP/HTTP base URL", `write it with its scheme and host, e.g. ${example}`, value.includes("@") ? "a string (not shown: it may hold credentials)" : JSON.stringify(value));
    }
    if (url && (url.username !== "" || url.password !== "")) {
      error(
        "otlpEndpoint",
        "has credentials in it: the URL is written into the Deployment in plain text, and the gateway refuses credentials in the URL",
        'remove them from the URL and pass them as a header from a Secret: headers: Secret.fromKubernetes("turnpike-otlp", "headers"), the key holding e.g. "authorization=Basic%20…"',
        "a URL with credentials (not shown)",
      );
    } else if (url && url.protocol !== "http:" && url.protocol !== "https:") {
      error(
        "otlpEndpoint",
        `must be an http:// (plaintext) or https:// (TLS) URL, for OTLP/HTTP and OTLP/gRPC alike, not ${url.protocol}//`,
        `use the collector's receiver, e.g. ${example} (OTLP/HTTP), or protocol: "grpc" with "http://otel-collector.observability:4317"`,
        JSON.stringify(value),
      );
    } else if (url && protocol === "grpc" && (url.pathname !== "/" || url.search !== "")) {
      error("otlpEndpoint", `has a path ("${url.pathname}${url.search}"), which an OTLP/gRPC receiver ignores (the gRPC method is the request's path)`, `write the host and port only: ${JSON.stringify(url.origin)}`, JSON.stringify(value));
    } else if (url && protocol !== "grpc" && /\/v1\/traces\/*$/.test(url.pathname)) {
      const base = new URL(url.href);
      base.pathname = base.pathname.replace(/\/v1\/traces\/*$/, "") || "/";
      error("otlpEndpoint", "ends with /v1/traces, which the gateway appends to the base URL itself (spans would go to …/v1/traces/v1/traces)", `write the base URL: ${JSON.stringify(base.href.replace(/\/$/, ""))}`, JSON.stringify(value));
    }
    const sampleRatio = declared.sampleRatio ?? 1;
    if (sampleRatio < 0 || sampleRatio > 1) {
      error(
        "sampleRatio",
        `is the share of the traces the gateway starts that are sampled, from 0 to 1, not ${sampleRatio}`,
        sampleRatio > 1 && sampleRatio <= 100 ? `for ${sampleRatio} %, write ${sampleRatio / 100}` : "set a number from 0 (none) to 1 (all)",
        String(sampleRatio),
      );
    }
    const serviceName = declared.serviceName ?? DEFAULT_SERVICE_NAME;
    if (serviceName.trim() === "") {
      error("serviceName", "is empty: the spans' service.name is what tracing backends find them by", `name the service, or remove serviceName for "${DEFAULT_SERVICE_NAME}"`, JSON.stringify(serviceName));
    }
    let headers: KubernetesSecretKeyRef | null = null;
    if (declared.headers !== undefined) {
      const ref = this.kubernetesSecret(declared.headers, `${field}.headers`, "turnpike-otlp", "headers");
      if (ref) headers = ref;
      else ok = false;
    }
    let tls: TracingTlsConfig | null = null;
    if (declared.tls !== undefined) {
      const { ca: declaredCa, clientCertificateSecretName } = declared.tls;
      if (declaredCa === undefined && clientCertificateSecretName === undefined) {
        error("tls", "is empty", 'name the collector\'s CA (ca: Secret.fromKubernetes("otel-collector-ca", "ca.crt")) or a client certificate (clientCertificateSecretName), or remove tls');
      }
      if (url && url.protocol !== "https:") {
        error("tls", `is for a TLS connection, but the endpoint ${JSON.stringify(value)} is plaintext (${url.protocol}//)`, `write the endpoint with https://, e.g. ${JSON.stringify(`https://${url.host}`)}`);
      }
      let ca: KubernetesSecretKeyRef | null = null;
      if (declaredCa !== undefined) {
        const ref = this.kubernetesSecret(declaredCa, `${field}.tls.ca`, "otel-collector-ca", "ca.crt");
        if (ref) ca = ref;
        else ok = false;
      }
      tls = { ca, clientCertificateSecret: clientCertificateSecretName ?? null };
    }
    if (!ok || !url) return undefined;
    const destination = urlDestination(url);
    return {
      otlpEndpoint: value,
      protocol,
      headers,
      sampleRatio,
      serviceName,
      compress: declared.compress ?? false,
      upstreamSpans: declared.upstreamSpans ?? false,
      region: isDeclaredRegion ? name : null,
      tls,
      egress: egressOf({ cidrs: declared.egress?.cidrs ?? (destination.cidr ? [destination.cidr] : []), port: declared.egress?.port }, destination.port),
    };
  }

  /**
   * A secret for a pod's environment: only a Kubernetes Secret can become
   * `valueFrom.secretKeyRef`, and a value written in the declaration would end up in git.
   */
  private kubernetesSecret(value: unknown, field: string, suggestedName: string, suggestedKey = "url"): KubernetesSecretKeyRef | undefined {
    const fix = `use Secret.fromKubernetes("${suggestedName}", "${suggestedKey}") and create that Secret in the namespace`;
    if (typeof value === "string") {
      this.diagnostics.error({
        code: "invalid-props",
        path: this.path,
        field,
        message: "a secret must be referenced, not written inline: the declaration is committed to git and the value would be written into the Kubernetes manifests",
        expected: "a Kubernetes Secret reference",
        received: "a string (not shown: it may be a secret)",
        fix,
      });
      return undefined;
    }
    const parsed = secretRefSchema.safeParse(value);
    if (!parsed.success || parsed.data.source !== "kubernetes") {
      this.diagnostics.error({
        code: "invalid-props",
        path: this.path,
        field,
        message: "the Kubernetes target passes secrets to the gateway as valueFrom.secretKeyRef, so they must live in a Kubernetes Secret",
        expected: "Secret.fromKubernetes(name, key)",
        received: parsed.success ? `Secret from ${parsed.data.source}` : describeValue(value),
        fix,
      });
      return undefined;
    }
    return { name: parsed.data.name, key: parsed.data.key };
  }
}

function egressOf(props: { cidrs?: string[]; port?: number } | undefined, defaultPort: number): EgressConfig {
  return { cidrs: [...new Set(props?.cidrs ?? [])].sort(), port: props?.port ?? defaultPort };
}

