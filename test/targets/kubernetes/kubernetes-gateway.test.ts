/** `KubernetesGateway` props: problems are compile diagnostics naming the construct path, the field and a fix. */
import { KubernetesGateway, type KubernetesGatewayProps, Secret, compileManifest } from "../../../constructs/index";
import { itemsApi, testPlatform } from "../../helpers/declaration";

async function errorsOf(props: Partial<KubernetesGatewayProps>, twice = false) {
  const platform = testPlatform({ regions: ["eu-west-1", "us-east-1"] });
  itemsApi(platform);
  const full = { ingress: { style: "ingress", hostnames: ["api.example.com"] }, regions: [{ name: "eu-west-1" }], ...props } as KubernetesGatewayProps;
  new KubernetesGateway(platform, "kubernetes", full);
  if (twice) new KubernetesGateway(platform, "kubernetes-2", full);
  const result = await compileManifest(platform);
  expect(result.manifest).toBeUndefined();
  expect(result.targets.kubernetes).toBeNull();
  return result.diagnostics.filter((diagnostic) => diagnostic.severity === "error").map(({ severity: _severity, ...rest }) => rest);
}

describe("KubernetesGateway validation", () => {
  it("rejects replicas.min above replicas.max, where it was declared", async () => {
    expect(await errorsOf({ replicas: { min: 5 }, regions: [{ name: "eu-west-1", replicas: { max: 3 } }] })).toEqual([
      {
        code: "invalid-props",
        path: "acme/kubernetes",
        field: "regions[0].replicas.max",
        message: 'region "eu-west-1": replicas.max (3) is below replicas.min (5); the autoscaler needs min <= max',
        received: "3",
        fix: "set replicas.max to 5 or more, or replicas.min to 3 or less",
      },
    ]);
  });

  it("rejects a memory limit the pod's workers do not fit in, where the workers or the limit were declared", async () => {
    expect(await errorsOf({ workersPerPod: 4, regions: [{ name: "eu-west-1", resources: { memoryRequestMiB: 256, memoryLimitMiB: 512 } }] })).toEqual([
      {
        code: "invalid-props",
        path: "acme/kubernetes",
        field: "regions[0].resources.memoryLimitMiB",
        message: 'region "eu-west-1": 4 worker(s) per pod need a memory limit of 608 MiB or more (128 MiB per worker, 96 MiB for the primary), not 512 MiB',
        received: "512",
        fix: "set memoryLimitMiB to 608 or more, or lower workersPerPod",
      },
    ]);
  });

  it("rejects a secret written as a value, without echoing it", async () => {
    const errors = await errorsOf({ redis: { url: "redis://:hunter2@redis:6379" as never } });
    expect(errors).toEqual([
      {
        code: "invalid-props",
        path: "acme/kubernetes",
        field: "redis.url",
        message: "a secret must be referenced, not written inline: the declaration is committed to git and the value would be written into the Kubernetes manifests",
        expected: "a Kubernetes Secret reference",
        received: "a string (not shown: it may be a secret)",
        fix: 'use Secret.fromKubernetes("turnpike-redis", "url") and create that Secret in the namespace',
      },
    ]);
    expect(JSON.stringify(errors)).not.toContain("hunter2");
  });

  it("rejects a secret the pod cannot reference (not a Kubernetes Secret)", async () => {
    expect(await errorsOf({ controlStore: { url: Secret.fromEnv("DATABASE_URL") } })).toEqual([
      expect.objectContaining({ field: "controlStore.url", expected: "Secret.fromKubernetes(name, key)", received: "Secret from env", fix: 'use Secret.fromKubernetes("turnpike-postgres", "url") and create that Secret in the namespace' }),
    ]);
  });

  it("rejects a region declared twice, and one the platform does not declare", async () => {
    expect(await errorsOf({ regions: [{ name: "eu-west-1" }, { name: "eu-west-1" }, { name: "eu-west1" }] })).toEqual([
      {
        code: "duplicate-name",
        path: "acme/kubernetes",
        field: "regions[1].name",
        message: 'region "eu-west-1" is declared twice (also regions[0]); each region is one cluster with its own directory and provider',
        received: '"eu-west-1"',
        fix: "merge the two entries, or give this one the name of another region",
      },
      {
        code: "invalid-props",
        path: "acme/kubernetes",
        field: "regions[2].name",
        message: 'region "eu-west1" is not one of the platform\'s regions',
        expected: 'one of "eu-west-1" and "us-east-1"',
        received: '"eu-west1"',
        fix: 'did you mean "eu-west-1"?',
      },
    ]);
  });

  it("requires an entry for every region, and exactly one Redis source", async () => {
    expect(await errorsOf({ ingress: undefined, redis: { url: Secret.fromKubernetes("r", "url"), inCluster: {} } })).toEqual([
      expect.objectContaining({ field: "redis", message: 'region "eu-west-1": redis needs exactly one of url (an existing Redis) and inCluster (one run in the namespace)', fix: "remove one of the two" }),
      expect.objectContaining({ field: "regions[0].ingress", fix: expect.stringContaining("set ingress on the KubernetesGateway or on region \"eu-west-1\"") }),
    ]);
  });

  it("reports unknown and out-of-range props with the field, and a second KubernetesGateway", async () => {
    expect(await errorsOf({ replicas: { min: 0, maxx: 3 } as never })).toEqual([
      expect.objectContaining({ code: "invalid-props", path: "acme/kubernetes", field: "replicas.maxx", fix: 'did you mean "max"?' }),
      expect.objectContaining({ code: "invalid-props", path: "acme/kubernetes", field: "replicas.min", expected: ">= 1" }),
    ]);
    expect(await errorsOf({}, true)).toEqual([
      expect.objectContaining({ code: "duplicate-name", path: "acme/kubernetes-2", fix: "add these regions to acme/kubernetes" }),
    ]);
  });

  it("warns (without failing) when several replicas would count limits alone", async () => {
    const platform = testPlatform({ regions: ["eu-west-1"] });
    itemsApi(platform);
    new KubernetesGateway(platform, "kubernetes", { ingress: { style: "ingress", hostnames: ["api.example.com"] }, regions: [{ name: "eu-west-1" }] });
    const result = await compileManifest(platform);
    expect(result.targets.kubernetes?.clusters.map((cluster) => cluster.name)).toEqual(["eu-west-1"]);
    expect(result.diagnostics).toContainEqual(expect.objectContaining({ severity: "warning", path: "acme/kubernetes", field: "regions[0].redis" }));
  });
});
