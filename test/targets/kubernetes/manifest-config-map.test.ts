/**
 * The manifest ConfigMap: dist/manifest.json byte for byte (after `turnpike synth` wrote it as
 * YAML and it is read back), named by revision, and enough for the real gateway to serve the
 * example stack with the Deployment's own arguments.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Yaml } from "cdk8s";
import { REPO_ROOT } from "../../helpers/cli";
import { itemsApi } from "../../helpers/declaration";
import { type RunningGateway, startGateway } from "../../helpers/gateway";
import { type TestUpstream, startUpstream } from "../../helpers/upstream";
import { synthesizeKubernetes } from "../../../constructs/targets/kubernetes/index";
import { smallPlatform, synthesizePlatform } from "./kubernetes-fixture";

let out: string;
let synthStdout: string;
beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), "turnpike-k8s-"));
  ({ stdout: synthStdout } = await promisify(execFile)(process.execPath, [join(REPO_ROOT, "cli/bin/turnpike.js"), "synth", "--out", out], { cwd: REPO_ROOT }));
}, 60_000);

const written = new Map<string, { file: string; object: Record<string, any> }[]>();

/** The objects `turnpike synth` wrote for a region, read back from the YAML files (once: the manifest's is large). */
function writtenObjects(region: string): { file: string; object: Record<string, any> }[] {
  const dir = join(out, "kubernetes", region);
  if (written.has(region)) return written.get(region)!;
  const objects = readdirSync(dir)
    .sort()
    .map((file) => {
      const documents = Yaml.load(join(dir, file));
      expect(documents).toHaveLength(1);
      return { file, object: documents[0] as Record<string, any> };
    });
  written.set(region, objects);
  return objects;
}

describe("turnpike synth on the example stack", () => {
  it("writes one YAML file per object under dist/kubernetes/<region>/, numbered in apply order", () => {
    expect(readdirSync(join(out, "kubernetes")).sort()).toEqual(["eu-west-1", "us-east-1"]);
    const files = writtenObjects("eu-west-1").map((entry) => entry.file);
    expect(files[0]).toBe("00-namespace-turnpike.yaml");
    expect(files[1]).toMatch(/^01-configmap-turnpike-manifest-[0-9a-f]{10}\.yaml$/);
    expect(files).toContain("03-deployment-turnpike-gateway.yaml");
    expect(files).toHaveLength(13);
    expect(writtenObjects("us-east-1")).toHaveLength(15);
    expect(synthStdout).toMatch(/wrote .*kubernetes\/eu-west-1\/ \(13 Kubernetes objects\)\n/);
  });

  it("puts dist/manifest.json in the ConfigMap byte for byte, named after the revision", () => {
    const manifestJson = readFileSync(join(out, "manifest.json"), "utf8");
    const revision = JSON.parse(manifestJson).metadata.revision as string;
    for (const region of ["eu-west-1", "us-east-1"]) {
      const configMap = writtenObjects(region).find((entry) => entry.object.kind === "ConfigMap" && entry.object.metadata.name.startsWith("turnpike-manifest-"))!.object;
      expect(configMap.metadata.name).toBe(`turnpike-manifest-${revision.slice(7, 17)}`);
      expect(configMap.immutable).toBe(true);
      expect(Object.keys(configMap.data)).toEqual(["manifest.json"]);
      expect(Buffer.from(configMap.data["manifest.json"]).equals(Buffer.from(manifestJson))).toBe(true);
    }
  });

  it("writes no secret value anywhere: secrets appear only as secretKeyRef names and keys", () => {
    const everything = ["eu-west-1", "us-east-1"].flatMap((region) => readdirSync(join(out, "kubernetes", region)).map((file) => readFileSync(join(out, "kubernetes", region, file), "utf8"))).join("\n");
    expect(everything).not.toMatch(/redis:\/\/[^\s"]*@|postgres(ql)?:\/\/|password/i);
    expect(everything).not.toMatch(/^kind: Secret$/m);
    const deployment = writtenObjects("eu-west-1").find((entry) => entry.object.kind === "Deployment")!.object;
    const secretEnv = deployment.spec.template.spec.containers[0].env.filter((entry: { valueFrom?: { secretKeyRef?: unknown } }) => entry.valueFrom?.secretKeyRef);
    expect(secretEnv).toEqual([
      { name: "TURNPIKE_STORE", valueFrom: { secretKeyRef: { key: "url", name: "turnpike-redis" } } },
      { name: "TURNPIKE_CONTROL_STORE", valueFrom: { secretKeyRef: { key: "url", name: "turnpike-postgres" } } },
    ]);
  });
});

describe("the ConfigMap's name", () => {
  it("changes with the revision, so a new manifest rolls the Deployment", async () => {
    const before = await synthesizePlatform(smallPlatform());
    const after = await synthesizePlatform(
      smallPlatform({}, (platform) => void itemsApi(platform, "items", { upstream: { targets: [{ url: "http://items.internal:9090" }] } })),
    );
    const nameOf = (synthesized: typeof before) => synthesized.find("Deployment").spec.template.spec.volumes[0].configMap.name as string;
    expect(after.manifest.metadata.revision).not.toBe(before.manifest.metadata.revision);
    expect(nameOf(after)).not.toBe(nameOf(before));
    expect(nameOf(before)).toBe(before.objects()[1]!.metadata.name);
    expect(before.objects()[1]!.data).toEqual({ "manifest.json": before.json });
  });
});

describe("a manifest too large for a ConfigMap", () => {
  it("stops synthesis with the size, the limit, the cluster and a fix", async () => {
    const { manifest, json, config } = await synthesizePlatform(smallPlatform());
    // Padding inside the JSON text: what a platform with many large contracts would weigh.
    const large = `${json.slice(0, -1)},"padding":"${"x".repeat(1_000_001)}"}`;
    expect(() => synthesizeKubernetes(manifest, large, config)).toThrow(/^the manifest is 10\d{5} bytes: over the 1000000 bytes a ConfigMap holds \(cluster [\w-]+\)\. Fix: split the platform into several, or shrink the bundled contracts/);
  });
});

describe("a gateway started from the ConfigMap's content", () => {
  const DEMO_KEY = "tp_test_kubernetes_demo_key_0123456789";
  const SHOP_KEY = "tp_test_kubernetes_shop_key_0123456789";
  let upstream: TestUpstream;
  let gateway: RunningGateway;
  let secretsDir: string;
  beforeAll(async () => {
    // What the Deployment's Secret volume puts in the pod: <dir>/<secret name>/<key>.
    secretsDir = mkdtempSync(join(tmpdir(), "turnpike-k8s-secrets-"));
    mkdirSync(join(secretsDir, "shop-frontend-api-key"));
    writeFileSync(join(secretsDir, "shop-frontend-api-key", "key"), SHOP_KEY);
    const region = writtenObjects("eu-west-1");
    const json = region.find((entry) => entry.object.kind === "ConfigMap" && entry.object.metadata.name.startsWith("turnpike-manifest-"))!.object.data["manifest.json"] as string;
    const container = region.find((entry) => entry.object.kind === "Deployment")!.object.spec.template.spec.containers[0];
    upstream = await startUpstream();
    // The Deployment's own arguments; the acme APIs are declared `mock: true`, so their
    // traffic goes to the test upstream (a cluster would point them at real upstreams).
    gateway = await startGateway({ manifest: JSON.parse(json), json }, { args: container.args, mockUpstreamUrl: upstream.url, env: { TURNPIKE_DEMO_API_KEY: DEMO_KEY, TURNPIKE_KUBERNETES_SECRETS_DIR: secretsDir } });
  }, 30_000);
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
    rmSync(secretsDir, { recursive: true, force: true });
  });

  it("reads a consumer's key from the mounted Kubernetes Secret", async () => {
    const ok = await fetch(`${gateway.url}/orders/v2/orders`, { headers: { "x-api-key": SHOP_KEY } });
    expect(ok.status).toBe(200);
  });

  it("serves the example stack: ready on its revision, keys checked, routes known", async () => {
    const ready = await fetch(`${gateway.operatorUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", revision: gateway.manifest.metadata.revision });
    expect((await fetch(`${gateway.url}/orders/v2/orders`)).status).toBe(401);
    expect((await fetch(`${gateway.url}/nowhere`)).status).toBe(404);
    const ok = await fetch(`${gateway.url}/orders/v2/orders`, { headers: { "x-api-key": DEMO_KEY } });
    expect(ok.status).toBe(200);
    expect(upstream.requests.at(-1)).toMatchObject({ method: "GET", url: expect.stringMatching(/orders/) });
  });
});
