/**
 * The gateway's ServiceAccount and Deployment: the image run as the distroless non-root user
 * with a read-only root filesystem, no capabilities and the runtime's seccomp profile, probed on
 * the operator port, drained on SIGTERM, spread across zones. No `replicas`: the
 * HorizontalPodAutoscaler owns the count (a `replicas` field would fight it on every apply).
 */
import type { Chart } from "cdk8s";
import { k8s } from "cdk8s-plus-33";
import { KUBERNETES_SECRETS_MOUNT_DIR } from "../../secret";
import type { KubernetesSecretKeyRef, TracingConfig } from "./cluster-config";
import type { ClusterContext } from "./names";
import { referencedKubernetesSecrets } from "./referenced-secrets";
import { API_PORT, GATEWAY_DRAIN_SECONDS, GATEWAY_NAME, MANIFEST_DIR, MANIFEST_FILE, NONROOT_UID, OPERATOR_PORT, REDIS_NAME, gatewaySelector, manifestConfigMapName, metadataOf } from "./names";

/** Seconds Kubernetes waits after SIGTERM: the drain delay, the gateway's in-flight drain, 5 s to exit. */
export function terminationGracePeriodSeconds(drainDelayMs: number): number {
  return Math.ceil(drainDelayMs / 1000) + GATEWAY_DRAIN_SECONDS + 5;
}

/** Helper variables the downward API fills, referenced by OTEL_RESOURCE_ATTRIBUTES. */
export const POD_NAMESPACE_ENV = "TURNPIKE_POD_NAMESPACE";
export const POD_NAME_ENV = "TURNPIKE_POD_NAME";
export const NODE_NAME_ENV = "TURNPIKE_NODE_NAME";

/** Kubernetes expands `$(VAR)` and turns `$$` into `$` in an env `value`: a literal `$` is written `$$`. */
function literal(value: string): string {
  return value.replace(/\$/g, () => "$$");
}

/** The keys of a `kubernetes.io/tls` Secret. */
const TLS_SECRET_CERT = "tls.crt";
const TLS_SECRET_KEY = "tls.key";

/** Where a Secret's key is mounted in the gateway container. */
function secretFilePath(name: string, key: string): string {
  return `${KUBERNETES_SECRETS_MOUNT_DIR}/${name}/${key}`;
}

/** The Secrets' keys tracing reads as files: the collector's CA, the client certificate and its key. */
function tracingSecretFiles(tracing: TracingConfig | null): KubernetesSecretKeyRef[] {
  const files: KubernetesSecretKeyRef[] = [];
  if (tracing?.tls?.ca) files.push(tracing.tls.ca);
  const client = tracing?.tls?.clientCertificateSecret;
  if (client) files.push({ name: client, key: TLS_SECRET_CERT }, { name: client, key: TLS_SECRET_KEY });
  return files;
}

/**
 * OpenTelemetry's standard variables, as the gateway reads them
 * (gateway-image/src/observability/tracing/trace-config.ts): OTLP/HTTP to the collector, the
 * parent-based ratio sampler, the service name, and the pod's place as resource attributes.
 * The namespace, pod and node come from the downward API into helper variables that
 * OTEL_RESOURCE_ATTRIBUTES references as `$(VAR)`; Kubernetes expands a reference only to a
 * variable defined earlier in the list, so they come first.
 */
export function tracingEnv(tracing: TracingConfig): k8s.EnvVar[] {
  const env: k8s.EnvVar[] = [{ name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: literal(tracing.otlpEndpoint) }];
  // http/protobuf is the gateway's default too: no variable for it.
  if (tracing.protocol !== "http/protobuf") env.push({ name: "OTEL_EXPORTER_OTLP_PROTOCOL", value: tracing.protocol });
  if (tracing.headers) env.push({ name: "OTEL_EXPORTER_OTLP_HEADERS", valueFrom: { secretKeyRef: { name: tracing.headers.name, key: tracing.headers.key } } });
  if (tracing.compress) env.push({ name: "OTEL_EXPORTER_OTLP_COMPRESSION", value: "gzip" });
  if (tracing.upstreamSpans) env.push({ name: "TURNPIKE_TRACES_UPSTREAM_SPANS", value: "true" });
  // Files of the Secrets mounted for them (tracingSecretFiles), where the gateway reads them again at each new connection.
  if (tracing.tls?.ca) env.push({ name: "OTEL_EXPORTER_OTLP_CERTIFICATE", value: secretFilePath(tracing.tls.ca.name, tracing.tls.ca.key) });
  if (tracing.tls?.clientCertificateSecret) {
    env.push(
      { name: "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", value: secretFilePath(tracing.tls.clientCertificateSecret, TLS_SECRET_CERT) },
      { name: "OTEL_EXPORTER_OTLP_CLIENT_KEY", value: secretFilePath(tracing.tls.clientCertificateSecret, TLS_SECRET_KEY) },
    );
  }
  env.push(
    { name: "OTEL_TRACES_SAMPLER", value: "parentbased_traceidratio" },
    { name: "OTEL_TRACES_SAMPLER_ARG", value: String(tracing.sampleRatio) },
    { name: "OTEL_SERVICE_NAME", value: literal(tracing.serviceName) },
    { name: POD_NAMESPACE_ENV, valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    { name: POD_NAME_ENV, valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    { name: NODE_NAME_ENV, valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
  );
  // `key=value` pairs with percent-encoded values (the gateway decodes them); names and
  // namespaces are DNS labels, which need no encoding.
  const attributes = [`k8s.namespace.name=$(${POD_NAMESPACE_ENV})`, `k8s.pod.name=$(${POD_NAME_ENV})`, `k8s.node.name=$(${NODE_NAME_ENV})`];
  if (tracing.region !== null) attributes.push(`cloud.region=${literal(encodeURIComponent(tracing.region))}`);
  env.push({ name: "OTEL_RESOURCE_ATTRIBUTES", value: attributes.join(",") });
  return env;
}

export function addGatewayDeployment(chart: Chart, context: ClusterContext): void {
  const { cluster, manifest } = context;
  new k8s.KubeServiceAccount(chart, "service-account", {
    metadata: metadataOf(context, GATEWAY_NAME),
    // The gateway never talks to the Kubernetes API.
    automountServiceAccountToken: false,
  });

  const env: k8s.EnvVar[] = [
    { name: "TURNPIKE_MANIFEST", value: `${MANIFEST_DIR}/${MANIFEST_FILE}` },
    { name: "PORT", value: String(API_PORT) },
    { name: "TURNPIKE_OPERATOR_PORT", value: String(OPERATOR_PORT) },
    // `auto` would count the node's cores, not the pod's CPU limit.
    { name: "TURNPIKE_WORKERS", value: String(cluster.workersPerPod) },
  ];
  // Each worker's heap limit is its share of the container's limit (gateway-image/src/cluster/worker-heap.ts).
  if (cluster.workersPerPod > 1) env.push({ name: "TURNPIKE_MEMORY_LIMIT_MB", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: k8s.Quantity.fromString("1Mi") } } });
  const redis = cluster.redis;
  if (redis.kind === "external") env.push({ name: "TURNPIKE_STORE", valueFrom: { secretKeyRef: { name: redis.url.name, key: redis.url.key } } });
  if (redis.kind === "in-cluster") env.push({ name: "TURNPIKE_STORE", value: `redis://${REDIS_NAME}.${cluster.namespace}.svc.cluster.local:6379` });
  if (cluster.controlStore) env.push({ name: "TURNPIKE_CONTROL_STORE", valueFrom: { secretKeyRef: { name: cluster.controlStore.url.name, key: cluster.controlStore.url.key } } });
  if (cluster.tracing) env.push(...tracingEnv(cluster.tracing));

  // Secrets the manifest references (consumers' keys, CA bundles) and tracing's certificates, as read-only files.
  const secrets = [...referencedKubernetesSecrets(manifest, tracingSecretFiles(cluster.tracing))].map(([name, keys], index) => ({ volume: `secret-${index}`, name, keys }));

  const selector = gatewaySelector(context);
  const configMap = manifestConfigMapName(manifest.metadata.revision);
  const { resources } = cluster;
  new k8s.KubeDeployment(chart, "deployment", {
    metadata: metadataOf(context, GATEWAY_NAME),
    spec: {
      selector: { matchLabels: selector },
      revisionHistoryLimit: 5,
      // New pods are ready before old ones go: capacity never dips during a rollout.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: k8s.IntOrString.fromString("25%"), maxUnavailable: k8s.IntOrString.fromNumber(0) } },
      template: {
        metadata: {
          labels: metadataOf(context, GATEWAY_NAME).labels,
          annotations: { "turnpike.dev/revision": manifest.metadata.revision },
        },
        spec: {
          serviceAccountName: GATEWAY_NAME,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: terminationGracePeriodSeconds(cluster.drainDelayMs),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: NONROOT_UID,
            runAsGroup: NONROOT_UID,
            fsGroup: NONROOT_UID,
            seccompProfile: { type: "RuntimeDefault" },
          },
          topologySpreadConstraints: [
            {
              topologyKey: "topology.kubernetes.io/zone",
              maxSkew: cluster.topologySpread.maxSkew,
              whenUnsatisfiable: cluster.topologySpread.whenUnsatisfiable,
              labelSelector: { matchLabels: selector },
              // Spread each rollout's pods on their own, not old and new together.
              matchLabelKeys: ["pod-template-hash"],
            },
            {
              topologyKey: "kubernetes.io/hostname",
              maxSkew: 1,
              whenUnsatisfiable: "ScheduleAnyway",
              labelSelector: { matchLabels: selector },
              matchLabelKeys: ["pod-template-hash"],
            },
          ],
          containers: [
            {
              name: "gateway",
              image: cluster.image,
              imagePullPolicy: "IfNotPresent",
              // The gateway drains by itself on SIGTERM: /readyz says draining while it keeps
              // serving for the delay, then the listener closes and requests in flight finish.
              // The image has no shell, so a preStop `sleep` is not an option anyway.
              args: ["--drain-delay-ms", String(cluster.drainDelayMs)],
              env,
              ports: [
                { name: "api", containerPort: API_PORT, protocol: "TCP" },
                { name: "operator", containerPort: OPERATOR_PORT, protocol: "TCP" },
              ],
              startupProbe: { httpGet: { path: "/healthz", port: k8s.IntOrString.fromString("operator") }, periodSeconds: 2, failureThreshold: 30, timeoutSeconds: 2 },
              livenessProbe: { httpGet: { path: "/healthz", port: k8s.IntOrString.fromString("operator") }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
              readinessProbe: { httpGet: { path: "/readyz", port: k8s.IntOrString.fromString("operator") }, periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 },
              resources: {
                requests: { cpu: k8s.Quantity.fromString(`${resources.cpuRequestMillicores}m`), memory: k8s.Quantity.fromString(`${resources.memoryRequestMiB}Mi`) },
                limits: { cpu: k8s.Quantity.fromString(`${resources.cpuLimitMillicores}m`), memory: k8s.Quantity.fromString(`${resources.memoryLimitMiB}Mi`) },
              },
              securityContext: {
                runAsNonRoot: true,
                runAsUser: NONROOT_UID,
                runAsGroup: NONROOT_UID,
                readOnlyRootFilesystem: true,
                allowPrivilegeEscalation: false,
                privileged: false,
                capabilities: { drop: ["ALL"] },
                seccompProfile: { type: "RuntimeDefault" },
              },
              volumeMounts: [
                { name: "manifest", mountPath: MANIFEST_DIR, readOnly: true },
                // Nothing in the gateway writes files; Node's diagnostic reports and any
                // library temp file would go here instead of failing on the read-only root.
                { name: "tmp", mountPath: "/tmp" },
                ...secrets.map((secret) => ({ name: secret.volume, mountPath: `${KUBERNETES_SECRETS_MOUNT_DIR}/${secret.name}`, readOnly: true })),
              ],
            },
          ],
          volumes: [
            { name: "manifest", configMap: { name: configMap, items: [{ key: MANIFEST_FILE, path: MANIFEST_FILE }] } },
            { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: k8s.Quantity.fromString("16Mi") } },
            // 0440 for the non-root group: only the gateway reads them.
            ...secrets.map((secret) => ({ name: secret.volume, secret: { secretName: secret.name, defaultMode: 0o440, items: secret.keys.map((key) => ({ key, path: key })) } })),
          ],
        },
      },
    },
  });
}
