/**
 * The AWS resource inventory synth writes (dist/aws/resources.json) and `turnpike diff` lists:
 * a dry run of deployAws under Pulumi's mock runtime, one entry per resource with a hash of
 * its inputs.
 */
import { awsResourceInventory } from "../../../constructs/targets/aws/resource-inventory";
import { artifactsFromFiles } from "../../../policies/governance/declaration-snapshot";
import { canonicalJson } from "../../../constructs/manifest/canonical-json";
import { awsFixture, compileAws } from "./aws-fixture";

describe("awsResourceInventory", () => {
  it("lists every resource per region, and only the usage plans change when a plan's limit does", async () => {
    const base = await compileAws(awsFixture());
    const before = await awsResourceInventory(base.manifest, base.aws);
    const names = (type: string) => before.filter((resource) => resource.type === type).map((resource) => resource.name);
    expect(names("pulumi:providers:aws")).toEqual(["turnpike-aws-eu-west-1", "turnpike-aws-us-east-1"]);
    expect(names("aws:apigateway/restApi:RestApi")).toEqual(["items-v1-eu-west-1", "items-v1-us-east-1"]);
    expect(names("aws:apigateway/usagePlan:UsagePlan").length).toBe(4);
    expect(before.every((resource) => /^[0-9a-f]{64}$/.test(resource.inputs))).toBe(true);
    // Deterministic: the same declaration, the same inventory.
    expect(await awsResourceInventory(base.manifest, base.aws)).toEqual(before);

    const head = await compileAws(awsFixture({ extend: () => undefined, gateway: {} }));
    const pro = head.manifest.spec.plans.find((plan) => plan.name === "pro")!;
    const tightened = { ...head.manifest, spec: { ...head.manifest.spec, plans: head.manifest.spec.plans.map((plan) => (plan === pro ? { ...plan, rateLimit: { ...plan.rateLimit!, requests: 50 } } : plan)) } };
    const after = await awsResourceInventory(tightened, head.aws);
    const changed = after.filter((resource) => before.find((other) => other.type === resource.type && other.name === resource.name)?.inputs !== resource.inputs);
    expect(changed.map((resource) => resource.type)).toEqual(["aws:apigateway/usagePlan:UsagePlan", "aws:apigateway/usagePlan:UsagePlan"]);
    expect(changed.every((resource) => resource.name.includes("pro"))).toBe(true);
  }, 60_000);

  it("becomes one diff artifact per resource", () => {
    const inventory = [
      { type: "aws:wafv2/webAcl:WebAcl", name: "shop-eu-west-1", inputs: "a".repeat(64) },
      { type: "aws:apigateway/stage:Stage", name: "items-v1-eu-west-1", inputs: "b".repeat(64) },
    ];
    expect(artifactsFromFiles([{ path: "aws/resources.json", contents: canonicalJson(inventory) }, { path: "aws/eu-west-1/items-v1.json", contents: "{}" }])).toEqual([
      { id: "aws/aws:apigateway/stage:Stage/items-v1-eu-west-1", contents: "b".repeat(64) },
      { id: "aws/aws:wafv2/webAcl:WebAcl/shop-eu-west-1", contents: "a".repeat(64) },
      { id: "aws/eu-west-1/items-v1.json", contents: "{}" },
    ]);
  });
});
