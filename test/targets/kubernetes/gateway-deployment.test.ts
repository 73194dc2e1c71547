/** The gateway's Deployment: hardening, probes, drain, spread, resources, and no replica count. */
import { Secret } from "../../../constructs/index";
import { type Synthesized, smallPlatform, synthesizeAcme, synthesizePlatform } from "./kubernetes-fixture";

let small: Synthesized;
let deployment: Record<string, any>;
let pod: Record<string, any>;
let container: Record<string, any>;
beforeAll(async () => {
  small = await synthesizePlatform(
    smallPlatform({
      drainDelayMs: 8_000,
      workersPerPod: 2,
      resources: { cpuRequestMillicores: 250, cpuLimitMillicores: 2_000, memoryRequestMiB: 128, memoryLimitMiB: 384 },
      topologySpread: { maxSkew: 2, whenUnsatisfiable: "DoNotSchedule" },
      redis: { url: Secret.fromKubernetes("shared-redis", "connection") },
      controlStore: { url: Secret.fromKubernetes("pg", "dsn") },
    }),
  );
  deployment = small.find("Deployment");
  pod = deployment.spec.template.spec;
  container = pod.containers[0];
});

describe("the gateway Deployment", () => {
  it("runs as the distroless non-root user (65532), at pod and container level", () => {
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } });
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532 });
  });

  it("has a read-only root filesystem, with a small in-memory /tmp", () => {
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
    expect(pod.volumes).toContainEqual({ name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } });
  });

  it("cannot escalate privileges and drops every capability", () => {
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ["ALL"] } });
    expect(container.securityContext.capabilities.add).toBeUndefined();
  });

  it("uses the runtime's default seccomp profile", () => {
    expect(container.securityContext.seccompProfile).toEqual({ type: "RuntimeDefault" });
  });

  it("mounts no service account token", () => {
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(small.find("ServiceAccount").automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe("turnpike-gateway");
  });

  it("probes /healthz (liveness, startup) and /readyz (readiness) on the operator port", () => {
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "operator" });
    expect(container.startupProbe.httpGet).toEqual({ path: "/healthz", port: "operator" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "operator" });
    expect(container.ports).toEqual([
      { name: "api", containerPort: 8080, protocol: "TCP" },
      { name: "operator", containerPort: 9901, protocol: "TCP" },
    ]);
  });

  it("drains on SIGTERM: the drain delay is passed to the gateway and the grace period covers it plus the 30 s drain", () => {
    expect(container.args).toEqual(["--drain-delay-ms", "8000"]);
    expect(pod.terminationGracePeriodSeconds).toBe(8 + 30 + 5);
    expect(deployment.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } });
  });

  it("spreads replicas across zones (as declared) and nodes (best effort)", () => {
    const selector = { matchLabels: deployment.spec.selector.matchLabels };
    expect(pod.topologySpreadConstraints).toEqual([
      { topologyKey: "topology.kubernetes.io/zone", maxSkew: 2, whenUnsatisfiable: "DoNotSchedule", labelSelector: selector, matchLabelKeys: ["pod-template-hash"] },
      { topologyKey: "kubernetes.io/hostname", maxSkew: 1, whenUnsatisfiable: "ScheduleAnyway", labelSelector: selector, matchLabelKeys: ["pod-template-hash"] },
    ]);
  });

  it("requests and limits the declared resources, and runs the declared workers", () => {
    expect(container.resources).toEqual({ requests: { cpu: "250m", memory: "128Mi" }, limits: { cpu: "2000m", memory: "384Mi" } });
    expect(container.env).toContainEqual({ name: "TURNPIKE_WORKERS", value: "2" });
    // Each worker's heap limit is its share of the container's limit.
    expect(container.env).toContainEqual({ name: "TURNPIKE_MEMORY_LIMIT_MB", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } } });
  });

  it("has no replica count: the HorizontalPodAutoscaler owns it", () => {
    expect(deployment.spec).not.toHaveProperty("replicas");
    expect(small.find("HorizontalPodAutoscaler").spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name });
  });

  it("takes Redis and PostgreSQL URLs from Secret references, never values", () => {
    expect(container.env).toContainEqual({ name: "TURNPIKE_STORE", valueFrom: { secretKeyRef: { name: "shared-redis", key: "connection" } } });
    expect(container.env).toContainEqual({ name: "TURNPIKE_CONTROL_STORE", valueFrom: { secretKeyRef: { name: "pg", key: "dsn" } } });
    expect(small.objects().filter((object) => object.kind === "Secret")).toEqual([]);
  });

  it("loads the manifest from the revision's ConfigMap, mounted read-only", () => {
    const name = `turnpike-manifest-${small.manifest.metadata.revision.slice("sha256:".length, "sha256:".length + 10)}`;
    expect(container.env).toContainEqual({ name: "TURNPIKE_MANIFEST", value: "/etc/turnpike/manifest.json" });
    expect(container.volumeMounts).toContainEqual({ name: "manifest", mountPath: "/etc/turnpike", readOnly: true });
    expect(pod.volumes).toContainEqual({ name: "manifest", configMap: { name, items: [{ key: "manifest.json", path: "manifest.json" }] } });
    expect(deployment.spec.template.metadata.annotations).toEqual({ "turnpike.dev/revision": small.manifest.metadata.revision });
  });

  it("uses the package's image by default and no store without Redis", () => {
    expect(container.image).toBe(`ghcr.io/turnpike/gateway:${(require("../../../package.json") as { version: string }).version}`);
  });
});

describe("a gateway with defaults", () => {
  it("runs 2 to 10 replicas at 70 % CPU, one worker per pod, 5 s drain, counters in memory", async () => {
    const defaults = await synthesizePlatform(smallPlatform());
    const container = defaults.find("Deployment").spec.template.spec.containers[0];
    expect(defaults.find("HorizontalPodAutoscaler").spec).toMatchObject({ minReplicas: 2, maxReplicas: 10, metrics: [{ resource: { target: { averageUtilization: 70 } } }] });
    expect(container.args).toEqual(["--drain-delay-ms", "5000"]);
    expect(defaults.find("Deployment").spec.template.spec.terminationGracePeriodSeconds).toBe(40);
    expect(container.env.map((entry: { name: string }) => entry.name)).toEqual(["TURNPIKE_MANIFEST", "PORT", "TURNPIKE_OPERATOR_PORT", "TURNPIKE_WORKERS"]);
    expect(container.resources).toEqual({ requests: { cpu: "500m", memory: "256Mi" }, limits: { cpu: "1000m", memory: "512Mi" } });
  });
});

describe("Secrets the manifest references", () => {
  it("are mounted read-only where the gateway reads Secret.fromKubernetes, one volume per Secret with its keys", async () => {
    const acme = await synthesizeAcme();
    const pod = acme.find("Deployment").spec.template.spec;
    // stacks/acme.ts: the shop frontend's API key is a key of a Kubernetes Secret.
    const volume = (pod.volumes as { name: string; secret?: { secretName: string } }[]).find((candidate) => candidate.secret?.secretName === "shop-frontend-api-key");
    expect(volume).toEqual({ name: expect.stringMatching(/^secret-\d+$/), secret: { secretName: "shop-frontend-api-key", defaultMode: 0o440, items: [{ key: "key", path: "key" }] } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: volume!.name, mountPath: "/var/run/secrets/turnpike/shop-frontend-api-key", readOnly: true });
  });

  it("are none when nothing is referenced from a Kubernetes Secret", () => {
    expect((pod.volumes as { secret?: unknown }[]).filter((volume) => volume.secret !== undefined)).toEqual([]);
  });
});
