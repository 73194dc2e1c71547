/**
 * The Pulumi program (stacks/index.ts) under `pulumi.runtime.setMocks`: no CLI, no credentials.
 * Mocks are set before the program is imported; resources register once the declaration has
 * compiled, so the test awaits the program's outputs before asserting on what was registered.
 */
import type * as PulumiModule from "@pulumi/pulumi";
import { REPO_ROOT } from "../helpers/cli";
import { type Registered, awsMocks, settled } from "../targets/aws/pulumi-mocks";

const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";
const KUBECONFIGS = { "turnpike:kubeconfig-eu-west-1": "apiVersion: v1\nkind: Config\n# eu-west-1\n", "turnpike:kubeconfig-us-east-1": "apiVersion: v1\nkind: Config\n# us-east-1\n" };

/** Imports the program in a fresh module registry with mocks and the given config; resolves its outputs. */
async function runProgram(config: Record<string, string>): Promise<{ registered: Registered[]; outputs: Promise<Record<string, unknown>> }> {
  const registered: Registered[] = [];
  let outputs!: Promise<Record<string, unknown>>;
  let aws!: Promise<unknown>;
  const previous = process.cwd();
  process.chdir(REPO_ROOT);
  jest.isolateModules(() => {
    const pulumi = require("@pulumi/pulumi") as typeof PulumiModule;
    pulumi.runtime.setAllConfig(config, Object.keys(config));
    // The program deploys the AWS target too (acme declares both): its mocks answer for AWS.
    void pulumi.runtime.setMocks(awsMocks(registered), "turnpike-acme", "test", false);
    const program = require("../../stacks/index") as Record<string, unknown>;
    const unwrap = (value: unknown) => new Promise<unknown>((resolve, reject) => {
      Promise.resolve(value).then((resolved) => (pulumi.output(resolved) as PulumiModule.Output<unknown>).apply((plain) => resolve(plain)), reject);
    });
    outputs = Promise.all([unwrap(program.revision), unwrap(program.kubernetesRegions)]).then(([revision, kubernetesRegions]) => ({ revision, kubernetesRegions }));
    // The whole program settles within the test, not after it (the AWS part awaits the portal's build).
    aws = unwrap(program.awsRegions);
  });
  try {
    await outputs.catch(() => undefined);
    await aws.catch(() => undefined);
    await settled(registered);
  } finally {
    process.chdir(previous);
  }
  return { registered, outputs };
}

describe("stacks/index.ts (Pulumi, mocked)", () => {
  let registered: Registered[];
  let outputs: Record<string, any>;
  beforeAll(async () => {
    const run = await runProgram(KUBECONFIGS);
    registered = run.registered;
    outputs = await run.outputs;
  }, 30_000);

  it("registers one Kubernetes provider per region, from that region's kubeconfig (kept secret), with server-side apply", () => {
    const providers = registered.filter((resource) => resource.type === "pulumi:providers:kubernetes");
    // Pulumi's marker of a secret value in resource inputs.
    const secret = (value: string) => ({ [SECRET_SIGNATURE]: "1b47061264138c4ac30d75fd1eb44270", value });
    expect(providers.map((provider) => [provider.name, provider.inputs.kubeconfig, provider.inputs.enableServerSideApply])).toEqual([
      ["turnpike-eu-west-1", secret(KUBECONFIGS["turnpike:kubeconfig-eu-west-1"]), "true"],
      ["turnpike-us-east-1", secret(KUBECONFIGS["turnpike:kubeconfig-us-east-1"]), "true"],
    ]);
  });

  it("deploys each region's chart as a ConfigGroup through that region's provider", () => {
    const groups = registered.filter((resource) => resource.type === "kubernetes:yaml/v2:ConfigGroup");
    expect(groups.map((group) => group.name)).toEqual(["turnpike-eu-west-1", "turnpike-us-east-1"]);
    for (const group of groups) {
      const region = group.name.replace("turnpike-", "");
      expect(group.provider).toMatch(new RegExp(`pulumi:providers:kubernetes::turnpike-${region}::turnpike-${region}-id$`));
      const objects = group.inputs.objs as { kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string> }[];
      expect(objects[0]).toMatchObject({ kind: "Namespace", metadata: { name: "turnpike" } });
      const configMap = objects.find((object) => object.metadata.name === `turnpike-manifest-${String(outputs.revision).slice(7, 17)}`)!;
      expect(JSON.parse(configMap.data!["manifest.json"]!).metadata.revision).toBe(outputs.revision);
      const deployment = objects.find((object) => object.kind === "Deployment")!;
      expect(deployment.spec).not.toHaveProperty("replicas");
      expect(objects.find((object) => object.kind === "HorizontalPodAutoscaler")!.spec).toMatchObject(region === "eu-west-1" ? { minReplicas: 3, maxReplicas: 20 } : { minReplicas: 2, maxReplicas: 8 });
      expect(objects.some((object) => object.kind === (region === "eu-west-1" ? "HTTPRoute" : "Ingress"))).toBe(true);
    }
  });

  it("exports per-region outputs", () => {
    expect(Object.keys(outputs.kubernetesRegions)).toEqual(["eu-west-1", "us-east-1"]);
    expect(outputs.kubernetesRegions["eu-west-1"]).toMatchObject({ namespace: "turnpike", hostnames: ["api.eu.acme.example"], configGroup: expect.stringContaining("turnpike-eu-west-1") });
    expect(outputs.kubernetesRegions["us-east-1"].objects).toContain("StatefulSet/turnpike-redis");
  });

  it("fails the deployment, not the import, when a region's kubeconfig is missing", async () => {
    const run = await runProgram({ "turnpike:kubeconfig-eu-west-1": KUBECONFIGS["turnpike:kubeconfig-eu-west-1"] });
    await expect(run.outputs).rejects.toThrow("region us-east-1 has no kubeconfig: set it with `pulumi config set --secret turnpike:kubeconfig-us-east-1 < path/to/us-east-1.kubeconfig`");
  });
});
