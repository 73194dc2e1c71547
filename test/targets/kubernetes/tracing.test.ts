/**
 * `tracing` of the KubernetesGateway: the gateway container's `OTEL_*` environment (with the
 * pod's namespace, name and node from the downward API), the NetworkPolicy's rule to the
 * collector, the compile errors for what the gateway would refuse, and the environment read by
 * the gateway's own `traceConfigFromEnv`, so the construct and the gateway cannot drift apart;
 * with `tracing.tls`, the certificate files mounted from Secrets, read by the gateway as the
 * kubelet would lay them out.
 */
import { Deployment } from "kubernetes-models/apps/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { Consumer, Credential, KubernetesGateway, type KubernetesGatewayProps, type KubernetesTracingProps, Plan, Product, Secret, compileManifest } from "../../../constructs/index";
import { traceConfigFromEnv } from "../../../gateway-image/src/observability/tracing/trace-config";
import { TestPki } from "../../helpers/certificates";
import { itemsApi, testPlatform } from "../../helpers/declaration";
import { type Synthesized, smallPlatform, synthesizePlatform } from "./kubernetes-fixture";

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    secretKeyRef?: { name: string; key: string };
    resourceFieldRef?: { resource: string };
  };
}

const containerOf = (synthesized: Synthesized, cluster?: string) => synthesized.find("Deployment", undefined, cluster).spec.template.spec.containers[0] as { env: EnvVar[] };
const egressOf = (synthesized: Synthesized) => synthesized.find("NetworkPolicy", "turnpike-gateway").spec.egress as unknown[];
const tcp = (port: number) => ({ protocol: "TCP", port });

/** The gateway's own variables, before any tracing one. */
const BASE_ENV = [
  { name: "TURNPIKE_MANIFEST", value: "/etc/turnpike/manifest.json" },
  { name: "PORT", value: "8080" },
  { name: "TURNPIKE_OPERATOR_PORT", value: "9901" },
  { name: "TURNPIKE_WORKERS", value: "1" },
];
const DOWNWARD_API = [
  { name: "TURNPIKE_POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
  { name: "TURNPIKE_POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
  { name: "TURNPIKE_NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
];
const RESOURCE_ATTRIBUTES = "k8s.namespace.name=$(TURNPIKE_POD_NAMESPACE),k8s.pod.name=$(TURNPIKE_POD_NAME),k8s.node.name=$(TURNPIKE_NODE_NAME)";

const FULL: KubernetesTracingProps = {
  otlpEndpoint: "https://otlp.vendor.example/otlp",
  headers: Secret.fromKubernetes("turnpike-otlp", "headers"),
  sampleRatio: 0.25,
  serviceName: "edge-gateway",
  compress: true,
  upstreamSpans: true,
};

/**
 * The environment the container's process sees, resolved as the kubelet does: `valueFrom`
 * from the pod, its Secrets and its limits; in a `value`, `$$` becomes `$` and `$(VAR)` the
 * value of VAR when VAR is defined earlier in the list (otherwise it stays as written).
 * (kubernetes/third_party/forked/golang/expansion/expand.go)
 */
function kubeletEnv(env: EnvVar[], pod: { namespace: string; name: string; nodeName: string; secrets: Record<string, Record<string, string>> }): Record<string, string> {
  const resolved: Record<string, string> = {};
  const expand = (input: string): string => {
    let out = "";
    for (let index = 0; index < input.length; index++) {
      const char = input[index]!;
      const next = input[index + 1];
      if (char !== "$" || next === undefined) {
        out += char;
      } else if (next === "$") {
        out += "$";
        index++;
      } else if (next === "(") {
        const close = input.indexOf(")", index + 2);
        if (close === -1) {
          out += "$(";
          index++;
        } else {
          const name = input.slice(index + 2, close);
          out += Object.hasOwn(resolved, name) ? resolved[name] : `$(${name})`;
          index = close;
        }
      } else {
        out += char + next;
        index++;
      }
    }
    return out;
  };
  const fields: Record<string, string> = { "metadata.namespace": pod.namespace, "metadata.name": pod.name, "spec.nodeName": pod.nodeName };
  for (const entry of env) {
    if (entry.value !== undefined) resolved[entry.name] = expand(entry.value);
    else if (entry.valueFrom?.fieldRef) resolved[entry.name] = fields[entry.valueFrom.fieldRef.fieldPath]!;
    else if (entry.valueFrom?.secretKeyRef) resolved[entry.name] = pod.secrets[entry.valueFrom.secretKeyRef.name]![entry.valueFrom.secretKeyRef.key]!;
    else if (entry.valueFrom?.resourceFieldRef) resolved[entry.name] = "512";
    else throw new Error(`cannot resolve ${entry.name}`);
  }
  return resolved;
}

const POD = {
  namespace: "turnpike",
  name: "turnpike-gateway-7c9d8f6b5-x2kqp",
  nodeName: "ip-10-0-1-23.eu-west-1.compute.internal",
  secrets: { "turnpike-otlp": { headers: "authorization=Bearer%20abc123,x-tenant=acme" } },
};
const INSTANCE = { id: "instance-1", host: POD.name, pid: 1 };

/** The compile errors of a declaration with these KubernetesGateway props (which must not synthesize). */
async function errorsOf(props: Partial<KubernetesGatewayProps>) {
  const platform = testPlatform({ regions: ["eu-west-1", "us-east-1"] });
  itemsApi(platform);
  new KubernetesGateway(platform, "kubernetes", { ingress: { style: "ingress", hostnames: ["api.example.com"] }, regions: [{ name: "eu-west-1" }], ...props } as KubernetesGatewayProps);
  const result = await compileManifest(platform);
  expect(result.targets.kubernetes).toBeNull();
  return result.diagnostics.filter((diagnostic) => diagnostic.severity === "error").map(({ severity: _severity, ...rest }) => rest);
}

describe("the gateway container's environment", () => {
  let full: Synthesized;
  beforeAll(async () => {
    full = await synthesizePlatform(smallPlatform({ tracing: FULL }));
  });

  it("has the OTEL_* variables, the headers from their Secret, and the downward-API variables before the attributes that reference them", () => {
    expect(containerOf(full).env).toEqual([
      ...BASE_ENV,
      { name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: "https://otlp.vendor.example/otlp" },
      { name: "OTEL_EXPORTER_OTLP_HEADERS", valueFrom: { secretKeyRef: { name: "turnpike-otlp", key: "headers" } } },
      { name: "OTEL_EXPORTER_OTLP_COMPRESSION", value: "gzip" },
      { name: "TURNPIKE_TRACES_UPSTREAM_SPANS", value: "true" },
      { name: "OTEL_TRACES_SAMPLER", value: "parentbased_traceidratio" },
      { name: "OTEL_TRACES_SAMPLER_ARG", value: "0.25" },
      { name: "OTEL_SERVICE_NAME", value: "edge-gateway" },
      ...DOWNWARD_API,
      // smallPlatform's platform declares its regions: the cluster's name is a region.
      { name: "OTEL_RESOURCE_ATTRIBUTES", value: `${RESOURCE_ATTRIBUTES},cloud.region=eu-west-1` },
    ]);
    expect(full.objects().filter((object) => object.kind === "Secret")).toEqual([]);
  });

  it("defaults to every trace the gateway starts, service turnpike-gateway, no headers, no compression", async () => {
    const defaults = await synthesizePlatform(smallPlatform({ tracing: { otlpEndpoint: "http://otel-collector.observability:4318" } }));
    expect(containerOf(defaults).env).toEqual([
      ...BASE_ENV,
      { name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: "http://otel-collector.observability:4318" },
      { name: "OTEL_TRACES_SAMPLER", value: "parentbased_traceidratio" },
      { name: "OTEL_TRACES_SAMPLER_ARG", value: "1" },
      { name: "OTEL_SERVICE_NAME", value: "turnpike-gateway" },
      ...DOWNWARD_API,
      { name: "OTEL_RESOURCE_ATTRIBUTES", value: `${RESOURCE_ATTRIBUTES},cloud.region=eu-west-1` },
    ]);
  });

  it("has no OTEL_* nor downward-API variable without tracing", async () => {
    const off = await synthesizePlatform(smallPlatform());
    expect(containerOf(off).env).toEqual(BASE_ENV);
  });

  it("has no cloud.region when the platform declares no regions (the name is a cluster's, not a region's)", async () => {
    const platform = testPlatform();
    itemsApi(platform);
    new KubernetesGateway(platform, "kubernetes", { ingress: { style: "ingress", hostnames: ["api.example.com"] }, tracing: { otlpEndpoint: "http://collector:4318" }, regions: [{ name: "prod-1" }] });
    const synthesized = await synthesizePlatform(platform);
    expect(containerOf(synthesized).env.find((entry) => entry.name === "OTEL_RESOURCE_ATTRIBUTES")).toEqual({ name: "OTEL_RESOURCE_ATTRIBUTES", value: RESOURCE_ATTRIBUTES });
  });

  it("takes a region's tracing over the gateway-wide one, whole", async () => {
    const synthesized = await synthesizePlatform(
      smallPlatform({
        tracing: FULL,
        regions: [{ name: "eu-west-1" }, { name: "us-east-1", tracing: { otlpEndpoint: "http://collector.us:4318" } }],
      }),
    );
    const valueOf = (cluster: string, name: string) => containerOf(synthesized, cluster).env.find((entry) => entry.name === name);
    expect(valueOf("eu-west-1", "OTEL_EXPORTER_OTLP_ENDPOINT")?.value).toBe("https://otlp.vendor.example/otlp");
    expect(valueOf("us-east-1", "OTEL_EXPORTER_OTLP_ENDPOINT")?.value).toBe("http://collector.us:4318");
    expect(valueOf("us-east-1", "OTEL_EXPORTER_OTLP_HEADERS")).toBeUndefined();
    expect(valueOf("us-east-1", "OTEL_TRACES_SAMPLER_ARG")?.value).toBe("1");
    expect(valueOf("us-east-1", "OTEL_RESOURCE_ATTRIBUTES")?.value).toBe(`${RESOURCE_ATTRIBUTES},cloud.region=us-east-1`);
  });

  it("writes a literal $ as $$, so Kubernetes does not expand it", async () => {
    const synthesized = await synthesizePlatform(smallPlatform({ tracing: { otlpEndpoint: "http://collector:4318/$(TURNPIKE_POD_NAME)", serviceName: "edge$(TURNPIKE_NODE_NAME)$" } }));
    const env = containerOf(synthesized).env;
    expect(env.find((entry) => entry.name === "OTEL_EXPORTER_OTLP_ENDPOINT")?.value).toBe("http://collector:4318/$$(TURNPIKE_POD_NAME)");
    expect(env.find((entry) => entry.name === "OTEL_SERVICE_NAME")?.value).toBe("edge$$(TURNPIKE_NODE_NAME)$$");
    const seen = kubeletEnv(env, POD);
    expect(seen.OTEL_EXPORTER_OTLP_ENDPOINT).toBe("http://collector:4318/$(TURNPIKE_POD_NAME)");
    expect(seen.OTEL_SERVICE_NAME).toBe("edge$(TURNPIKE_NODE_NAME)$");
  });

  it("validates against the Kubernetes 1.33 schemas (Deployment and NetworkPolicy)", () => {
    expect(() => new Deployment(full.find("Deployment") as never).validate()).not.toThrow();
    expect(() => new NetworkPolicy(full.find("NetworkPolicy", "turnpike-gateway") as never).validate()).not.toThrow();
  });
});

describe("the environment read by the gateway (gateway-image/src/observability/tracing/trace-config.ts)", () => {
  it("is accepted, with the traces path, the sampler and ratio, the service name, the headers and the pod's place", async () => {
    const synthesized = await synthesizePlatform(smallPlatform({ tracing: FULL }));
    const config = traceConfigFromEnv(kubeletEnv(containerOf(synthesized).env, POD), INSTANCE);
    expect(config).not.toBeNull();
    expect(config!.endpoint.href).toBe("https://otlp.vendor.example/otlp/v1/traces");
    expect(config!.headers).toEqual({ authorization: "Bearer abc123", "x-tenant": "acme" });
    expect(config!.compression).toBe("gzip");
    expect(config!.upstreamSpans).toBe(true);
    expect({ name: config!.sampler.name, ratio: config!.sampler.ratio }).toEqual({ name: "parentbased_traceidratio", ratio: 0.25 });
    const resource = Object.fromEntries(config!.resource);
    expect(resource).toMatchObject({
      "service.name": "edge-gateway",
      "k8s.namespace.name": "turnpike",
      "k8s.pod.name": "turnpike-gateway-7c9d8f6b5-x2kqp",
      "k8s.node.name": "ip-10-0-1-23.eu-west-1.compute.internal",
      "cloud.region": "eu-west-1",
    });
    // No `$(…)` left unexpanded anywhere.
    expect(JSON.stringify(config!.resource)).not.toContain("$(");
  });

  it("is accepted with OTLP/gRPC: the endpoint as it is, the egress rule to its port", async () => {
    const synthesized = await synthesizePlatform(smallPlatform({ tracing: { otlpEndpoint: "http://otel-collector.observability:4317", protocol: "grpc" } }));
    const env = containerOf(synthesized).env;
    expect(env.slice(BASE_ENV.length, BASE_ENV.length + 2)).toEqual([
      { name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: "http://otel-collector.observability:4317" },
      { name: "OTEL_EXPORTER_OTLP_PROTOCOL", value: "grpc" },
    ]);
    const config = traceConfigFromEnv(kubeletEnv(env, POD), INSTANCE)!;
    expect([config.protocol, config.endpoint.href]).toEqual(["grpc", "http://otel-collector.observability:4317/"]);
    expect(egressOf(synthesized)).toEqual([expect.objectContaining({ ports: [{ protocol: "UDP", port: 53 }, tcp(53)] }), { ports: [tcp(4317), tcp(8080)] }]);
  });

  it("is accepted with the defaults: every trace, service turnpike-gateway, no compression", async () => {
    const synthesized = await synthesizePlatform(smallPlatform({ tracing: { otlpEndpoint: "http://otel-collector.observability:4318/" } }));
    const config = traceConfigFromEnv(kubeletEnv(containerOf(synthesized).env, POD), INSTANCE)!;
    expect(config.endpoint.href).toBe("http://otel-collector.observability:4318/v1/traces");
    expect(config.headers).toEqual({});
    expect(config.compression).toBe("none");
    expect(config.upstreamSpans).toBe(false);
    expect({ name: config.sampler.name, ratio: config.sampler.ratio }).toEqual({ name: "parentbased_traceidratio", ratio: 1 });
    expect(Object.fromEntries(config.resource)).toMatchObject({ "service.name": "turnpike-gateway", "k8s.pod.name": POD.name });
  });

  it("is accepted at the ends of the ratio range and for a tiny ratio", async () => {
    for (const sampleRatio of [0, 1, 0.0000001]) {
      const synthesized = await synthesizePlatform(smallPlatform({ tracing: { otlpEndpoint: "http://collector:4318", sampleRatio } }));
      expect(traceConfigFromEnv(kubeletEnv(containerOf(synthesized).env, POD), INSTANCE)!.sampler.ratio).toBe(sampleRatio);
    }
  });

  it("turns tracing off without tracing", async () => {
    const synthesized = await synthesizePlatform(smallPlatform());
    expect(traceConfigFromEnv(kubeletEnv(containerOf(synthesized).env, POD), INSTANCE)).toBeNull();
  });
});

describe("the NetworkPolicy's rule to the collector", () => {
  // smallPlatform's items API is at http://items.internal:8080: a port-only rule on 8080.
  const DNS = expect.objectContaining({ ports: [{ protocol: "UDP", port: 53 }, tcp(53)] });

  it("allows the endpoint's port to any destination when the collector is known by name", async () => {
    const synthesized = await synthesizePlatform(smallPlatform({ tracing: { otlpEndpoint: "http://otel-collector.observability:4318" } }));
    expect(egressOf(synthesized)).toEqual([DNS, { ports: [tcp(4318), tcp(8080)] }]);
  });

  it("defaults the port by scheme: 443 for https, 80 for http", async () => {
    const https = await synthesizePlatform(smallPlatform({ tracing: { otlpEndpoint: "https://otlp.vendor.example/otlp" } }));
    const http = await synthesizePlatform(smallPlatform({ tracing: { otlpEndpoint: "http://collector.observability" } }));
    expect(egressOf(https)).toEqual([DNS, { ports: [tcp(443), tcp(8080)] }]);
    expect(egressOf(http)).toEqual([DNS, { ports: [tcp(80), tcp(8080)] }]);
  });

  it("allows only the address of a collector given by IP (IPv4 /32, IPv6 /128)", async () => {
    const v4 = await synthesizePlatform(smallPlatform({ tracing: { otlpEndpoint: "http://10.0.0.9:4318" } }));
    const v6 = await synthesizePlatform(smallPlatform({ tracing: { otlpEndpoint: "https://[fd00::9]" } }));
    expect(egressOf(v4)).toEqual([DNS, { to: [{ ipBlock: { cidr: "10.0.0.9/32" } }], ports: [tcp(4318)] }, { ports: [tcp(8080)] }]);
    expect(egressOf(v6)).toEqual([DNS, { to: [{ ipBlock: { cidr: "fd00::9/128" } }], ports: [tcp(443)] }, { ports: [tcp(8080)] }]);
  });

  it("takes egress.cidrs and egress.port over the endpoint's", async () => {
    const synthesized = await synthesizePlatform(
      smallPlatform({ tracing: { otlpEndpoint: "http://10.0.0.9:4318", egress: { cidrs: ["10.60.0.0/16", "10.50.0.0/16"], port: 14318 } } }),
    );
    expect(egressOf(synthesized)).toEqual([DNS, { to: [{ ipBlock: { cidr: "10.50.0.0/16" } }, { ipBlock: { cidr: "10.60.0.0/16" } }], ports: [tcp(14318)] }, { ports: [tcp(8080)] }]);
  });

  it("adds nothing without tracing", async () => {
    const synthesized = await synthesizePlatform(smallPlatform());
    expect(egressOf(synthesized)).toEqual([DNS, { ports: [tcp(8080)] }]);
  });
});

describe("tracing validation", () => {
  const EXAMPLE = '"http://otel-collector.observability:4318"';

  it("rejects an endpoint that is not a URL", async () => {
    expect(await errorsOf({ tracing: { otlpEndpoint: "otel-collector:4318/" } })).toEqual([
      {
        code: "invalid-props",
        path: "acme/kubernetes",
        field: "tracing.otlpEndpoint",
        message: "region \"eu-west-1\": tracing.otlpEndpoint must be an http:// (plaintext) or https:// (TLS) URL, for OTLP/HTTP and OTLP/gRPC alike, not otel-collector://",
        received: '"otel-collector:4318/"',
        fix: `use the collector's receiver, e.g. ${EXAMPLE} (OTLP/HTTP), or protocol: "grpc" with "http://otel-collector.observability:4317"`,
      },
    ]);
    expect(await errorsOf({ tracing: { otlpEndpoint: "collector" } })).toEqual([
      {
        code: "invalid-props",
        path: "acme/kubernetes",
        field: "tracing.otlpEndpoint",
        message: "region \"eu-west-1\": tracing.otlpEndpoint is not a URL: the gateway needs the collector's OTLP/HTTP base URL",
        received: '"collector"',
        fix: `write it with its scheme and host, e.g. ${EXAMPLE}`,
      },
    ]);
  });

  it("rejects a grpc:// endpoint, where it was declared (gRPC is a protocol, the scheme says plaintext or TLS)", async () => {
    expect(await errorsOf({ regions: [{ name: "eu-west-1", tracing: { otlpEndpoint: "grpc://collector:4317", protocol: "grpc" } }] })).toEqual([
      expect.objectContaining({
        field: "regions[0].tracing.otlpEndpoint",
        message: "region \"eu-west-1\": tracing.otlpEndpoint must be an http:// (plaintext) or https:// (TLS) URL, for OTLP/HTTP and OTLP/gRPC alike, not grpc://",
      }),
    ]);
  });

  it("rejects a path in an OTLP/gRPC endpoint", async () => {
    expect(await errorsOf({ tracing: { otlpEndpoint: "http://collector:4317/v1/traces", protocol: "grpc" } })).toEqual([
      {
        code: "invalid-props",
        path: "acme/kubernetes",
        field: "tracing.otlpEndpoint",
        message: 'region "eu-west-1": tracing.otlpEndpoint has a path ("/v1/traces"), which an OTLP/gRPC receiver ignores (the gRPC method is the request\'s path)',
        received: '"http://collector:4317/v1/traces"',
        fix: 'write the host and port only: "http://collector:4317"',
      },
    ]);
  });

  it("rejects credentials in the endpoint, without echoing them", async () => {
    const errors = await errorsOf({ tracing: { otlpEndpoint: "https://tenant:s3cr3t@otlp.vendor.example" } });
    expect(errors).toEqual([
      {
        code: "invalid-props",
        path: "acme/kubernetes",
        field: "tracing.otlpEndpoint",
        message: "region \"eu-west-1\": tracing.otlpEndpoint has credentials in it: the URL is written into the Deployment in plain text, and the gateway refuses credentials in the URL",
        received: "a URL with credentials (not shown)",
        fix: 'remove them from the URL and pass them as a header from a Secret: headers: Secret.fromKubernetes("turnpike-otlp", "headers"), the key holding e.g. "authorization=Basic%20…"',
      },
    ]);
    expect(JSON.stringify(errors)).not.toContain("s3cr3t");
  });

  it("rejects an endpoint ending with /v1/traces, which the gateway appends", async () => {
    expect(await errorsOf({ tracing: { otlpEndpoint: "http://collector:4318/v1/traces" } })).toEqual([
      {
        code: "invalid-props",
        path: "acme/kubernetes",
        field: "tracing.otlpEndpoint",
        message: "region \"eu-west-1\": tracing.otlpEndpoint ends with /v1/traces, which the gateway appends to the base URL itself (spans would go to …/v1/traces/v1/traces)",
        received: '"http://collector:4318/v1/traces"',
        fix: 'write the base URL: "http://collector:4318"',
      },
    ]);
  });

  it("rejects a sample ratio outside 0 to 1, suggesting the share for a percentage", async () => {
    expect(await errorsOf({ tracing: { otlpEndpoint: "http://collector:4318", sampleRatio: 10 } })).toEqual([
      {
        code: "invalid-props",
        path: "acme/kubernetes",
        field: "tracing.sampleRatio",
        message: 'region "eu-west-1": tracing.sampleRatio is the share of the traces the gateway starts that are sampled, from 0 to 1, not 10',
        received: "10",
        fix: "for 10 %, write 0.1",
      },
    ]);
    expect(await errorsOf({ tracing: { otlpEndpoint: "http://collector:4318", sampleRatio: -0.5 } })).toEqual([
      expect.objectContaining({ field: "tracing.sampleRatio", received: "-0.5", fix: "set a number from 0 (none) to 1 (all)" }),
    ]);
    expect(await errorsOf({ tracing: { otlpEndpoint: "http://collector:4318", sampleRatio: "0.1" as never } })).toEqual([
      expect.objectContaining({ code: "invalid-props", path: "acme/kubernetes", field: "tracing.sampleRatio", expected: "number" }),
    ]);
  });

  it("rejects an empty service name", async () => {
    expect(await errorsOf({ tracing: { otlpEndpoint: "http://collector:4318", serviceName: " " } })).toEqual([
      {
        code: "invalid-props",
        path: "acme/kubernetes",
        field: "tracing.serviceName",
        message: "region \"eu-west-1\": tracing.serviceName is empty: the spans' service.name is what tracing backends find them by",
        received: '" "',
        fix: 'name the service, or remove serviceName for "turnpike-gateway"',
      },
    ]);
  });

  it("takes headers only from a Kubernetes Secret, never inline", async () => {
    const inline = await errorsOf({ tracing: { otlpEndpoint: "http://collector:4318", headers: "authorization=Bearer%20t0ken" as never } });
    expect(inline).toEqual([
      {
        code: "invalid-props",
        path: "acme/kubernetes",
        field: "tracing.headers",
        message: "a secret must be referenced, not written inline: the declaration is committed to git and the value would be written into the Kubernetes manifests",
        expected: "a Kubernetes Secret reference",
        received: "a string (not shown: it may be a secret)",
        fix: 'use Secret.fromKubernetes("turnpike-otlp", "headers") and create that Secret in the namespace',
      },
    ]);
    expect(JSON.stringify(inline)).not.toContain("t0ken");
    expect(await errorsOf({ tracing: { otlpEndpoint: "http://collector:4318", headers: Secret.fromEnv("OTLP_HEADERS") } })).toEqual([
      expect.objectContaining({ field: "tracing.headers", expected: "Secret.fromKubernetes(name, key)", received: "Secret from env" }),
    ]);
  });

  it("reports unknown tracing props and a missing endpoint", async () => {
    expect(await errorsOf({ tracing: { otlpEndpoint: "http://collector:4318", sampleRate: 0.1 } as never })).toEqual([
      expect.objectContaining({ code: "invalid-props", field: "tracing.sampleRate", message: 'unknown property "sampleRate"', fix: 'did you mean "sampleRatio"?' }),
    ]);
    expect(await errorsOf({ tracing: {} as never })).toEqual([expect.objectContaining({ code: "invalid-props", field: "tracing.otlpEndpoint", received: "nothing" })]);
  });
});

describe("tracing.tls: the collector's CA and a client certificate, from Secrets", () => {
  interface Volume {
    name: string;
    secret?: { secretName: string; defaultMode: number; items: { key: string; path: string }[] };
  }
  interface Mount {
    name: string;
    mountPath: string;
    readOnly?: boolean;
  }
  const podSpecOf = (synthesized: Synthesized) =>
    synthesized.find("Deployment").spec.template.spec as { volumes: Volume[]; containers: { env: EnvVar[]; volumeMounts: Mount[] }[] };
  const TLS: KubernetesTracingProps = {
    otlpEndpoint: "https://otel-collector.observability:4318",
    tls: { ca: Secret.fromKubernetes("otel-collector-ca", "ca.crt"), clientCertificateSecretName: "turnpike-otlp-client" },
  };

  /**
   * The files the container sees, as the kubelet mounts a Secret volume with `items`: each
   * item's key at `<mountPath>/<path>`. Anything else is not there (ENOENT).
   */
  function mountedFiles(synthesized: Synthesized, secrets: Record<string, Record<string, string>>): (path: string) => Buffer {
    const spec = podSpecOf(synthesized);
    const files = new Map<string, string>();
    for (const mount of spec.containers[0]!.volumeMounts) {
      const volume = spec.volumes.find((candidate) => candidate.name === mount.name);
      if (!volume?.secret) continue;
      for (const item of volume.secret.items) {
        const content = secrets[volume.secret.secretName]?.[item.key];
        if (content === undefined) throw new Error(`the pod would not start: Secret ${volume.secret.secretName} has no key ${item.key}`);
        files.set(`${mount.mountPath}/${item.path}`, content);
      }
    }
    return (path) => {
      const content = files.get(path);
      if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
      return Buffer.from(content);
    };
  }

  it("names the mounted files in OpenTelemetry's variables and mounts the Secrets' keys read-only", async () => {
    const synthesized = await synthesizePlatform(smallPlatform({ tracing: TLS }));
    const spec = podSpecOf(synthesized);
    const env = spec.containers[0]!.env;
    const at = env.findIndex((entry) => entry.name === "OTEL_EXPORTER_OTLP_CERTIFICATE");
    expect(env.slice(at, at + 3)).toEqual([
      { name: "OTEL_EXPORTER_OTLP_CERTIFICATE", value: "/var/run/secrets/turnpike/otel-collector-ca/ca.crt" },
      { name: "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", value: "/var/run/secrets/turnpike/turnpike-otlp-client/tls.crt" },
      { name: "OTEL_EXPORTER_OTLP_CLIENT_KEY", value: "/var/run/secrets/turnpike/turnpike-otlp-client/tls.key" },
    ]);
    expect(spec.volumes.filter((volume) => volume.secret)).toEqual([
      { name: "secret-0", secret: { secretName: "otel-collector-ca", defaultMode: 0o440, items: [{ key: "ca.crt", path: "ca.crt" }] } },
      { name: "secret-1", secret: { secretName: "turnpike-otlp-client", defaultMode: 0o440, items: [{ key: "tls.crt", path: "tls.crt" }, { key: "tls.key", path: "tls.key" }] } },
    ]);
    expect(spec.containers[0]!.volumeMounts.filter((mount) => mount.name.startsWith("secret-"))).toEqual([
      { name: "secret-0", mountPath: "/var/run/secrets/turnpike/otel-collector-ca", readOnly: true },
      { name: "secret-1", mountPath: "/var/run/secrets/turnpike/turnpike-otlp-client", readOnly: true },
    ]);
    expect(() => new Deployment(synthesized.find("Deployment") as never).validate()).not.toThrow();
  });

  it("mounts a Secret the manifest references too once, with the keys of both", async () => {
    const synthesized = await synthesizePlatform(
      smallPlatform({ tracing: { otlpEndpoint: "https://collector:4318", tls: { clientCertificateSecretName: "shared" } } }, (platform) => {
        const api = itemsApi(platform);
        const product = new Product(platform, "shop", { apis: [api], plans: [new Plan(platform, "free")] });
        new Consumer(platform, "app", { subscriptions: [{ product, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromKubernetes("shared", "api-key") })] });
      }),
    );
    expect(podSpecOf(synthesized).volumes.filter((volume) => volume.secret)).toEqual([
      { name: "secret-0", secret: { secretName: "shared", defaultMode: 0o440, items: ["api-key", "tls.crt", "tls.key"].map((key) => ({ key, path: key })) } },
    ]);
  });

  it("is read by the gateway from the mounted files, as it would be in the pod", async () => {
    const pki = new TestPki();
    try {
      const collectorCa = pki.root("collector-ca");
      const client = pki.root("clients-ca").issue({ subject: "/CN=turnpike-gateway" });
      const secrets = { ...POD.secrets, "otel-collector-ca": { "ca.crt": collectorCa.cert }, "turnpike-otlp-client": { "tls.crt": client.chain, "tls.key": client.key } };
      const synthesized = await synthesizePlatform(smallPlatform({ tracing: TLS }));
      const config = traceConfigFromEnv(kubeletEnv(containerOf(synthesized).env, { ...POD, secrets }), INSTANCE, mountedFiles(synthesized, secrets))!;
      const options = config.tls!.current(() => undefined);
      expect([options.ca?.toString(), options.cert?.toString(), options.key?.toString()]).toEqual([collectorCa.cert, client.chain, client.key]);
    } finally {
      pki.remove();
    }
  });

  it("rejects tls with a plaintext endpoint, an empty tls, and a CA written inline", async () => {
    expect(await errorsOf({ tracing: { otlpEndpoint: "http://collector:4318", tls: { clientCertificateSecretName: "turnpike-otlp-client" } } })).toEqual([
      {
        code: "invalid-props",
        path: "acme/kubernetes",
        field: "tracing.tls",
        message: 'region "eu-west-1": tracing.tls is for a TLS connection, but the endpoint "http://collector:4318" is plaintext (http://)',
        fix: 'write the endpoint with https://, e.g. "https://collector:4318"',
      },
    ]);
    expect(await errorsOf({ tracing: { otlpEndpoint: "https://collector:4318", tls: {} } })).toEqual([expect.objectContaining({ field: "tracing.tls", message: 'region "eu-west-1": tracing.tls is empty' })]);
    expect(await errorsOf({ tracing: { otlpEndpoint: "https://collector:4318", tls: { ca: "-----BEGIN CERTIFICATE-----" as never } } })).toEqual([
      expect.objectContaining({ field: "tracing.tls.ca", fix: 'use Secret.fromKubernetes("otel-collector-ca", "ca.crt") and create that Secret in the namespace' }),
    ]);
    expect(await errorsOf({ tracing: { otlpEndpoint: "https://collector:4318", tls: { clientCertificateSecretName: "Not_A_Name" } } })).toEqual([
      expect.objectContaining({ code: "invalid-props", field: "tracing.tls.clientCertificateSecretName" }),
    ]);
  });
});
