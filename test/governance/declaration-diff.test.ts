/** diffDeclarations on compiled manifests: lifecycle, waivers and policy changes of an API. */
import { Plan, Product, apiKey, rateLimit, transform } from "../../constructs/index";
import { diffDeclarations } from "../../policies/governance/declaration-diff";
import { compileOk, itemsApi, testPlatform } from "../helpers/declaration";

async function snapshot(props: Parameters<typeof itemsApi>[2]) {
  const platform = testPlatform();
  itemsApi(platform, "items", props);
  return { manifest: await compileOk(platform), artifacts: [] };
}

describe("diffDeclarations", () => {
  it("reports lifecycle changes, new waivers and a tightened API rate limit (consumer-affecting), without contract changes", async () => {
    const base = await snapshot({ policies: [apiKey(), rateLimit({ requests: 10, perSeconds: 1 })] });
    const head = await snapshot({
      version: "1.1.0",
      policies: [apiKey(), rateLimit({ requests: 5, perSeconds: 1 })],
      governance: { waive: [{ rule: "api-owner", reason: "shared by every team" }] },
    });
    const report = await diffDeclarations(base, head, "main");
    expect(report.breakingWithoutMajor).toEqual([]);
    expect(report.apis).toEqual([
      {
        id: "items-v1",
        status: "changed",
        version: { base: "1.0.0", head: "1.1.0" },
        contract: [],
        lifecycle: [
          { field: "version", base: "1.0.0", head: "1.1.0", consumerAffecting: false },
          { field: "waived rules", base: "(none)", head: "api-owner", consumerAffecting: false },
        ],
        policies: [
          {
            policy: "rateLimit",
            scope: "items-v1/rateLimit:consumer",
            change: "changed",
            fields: [
              { field: "burst", base: "10", head: "5", consumerAffecting: false },
              { field: "requests", base: "10", head: "5", consumerAffecting: false },
            ],
            consumerAffecting: true,
          },
        ],
        breakingWithoutMajor: false,
      },
    ]);
  });

  it("reports a changed configuration of a plan's other policies (here a transform), which the plan's own fields do not show", async () => {
    const withPlan = async (tier: string) => {
      const platform = testPlatform();
      const api = itemsApi(platform, "items");
      const pro = new Plan(platform, "pro", { rateLimit: { requests: 10, perSeconds: 1 }, policies: [transform({ request: { headers: { set: { "x-tier": tier } } } })] });
      new Product(platform, "shop", { title: "Shop", apis: [api], plans: [pro] });
      return { manifest: await compileOk(platform), artifacts: [] };
    };
    const report = await diffDeclarations(await withPlan("pro"), await withPlan("gold"), "main");
    expect(report.plans).toEqual([
      { name: "pro", status: "changed", changes: [{ field: "transform: request.headers.set.x-tier", base: '"pro"', head: '"gold"', consumerAffecting: false }], consumerAffecting: false },
    ]);
  });

  it("reports nothing between equal declarations", async () => {
    const report = await diffDeclarations(await snapshot({}), await snapshot({}), "main");
    expect(report).toMatchObject({ apis: [], plans: [], consumers: { added: [], removed: [], changed: [] }, artifacts: { added: [], changed: [], removed: [] }, breakingWithoutMajor: [] });
  });
});

describe("diffDeclarations on products", () => {
  const withProduct = async (options: { widgets: boolean; gold: boolean; approval: "auto" | "manual"; legacy: boolean }) => {
    const platform = testPlatform();
    const items = itemsApi(platform, "items");
    const widgets = itemsApi(platform, "widgets");
    const pro = new Plan(platform, "pro", { rateLimit: { requests: 10, perSeconds: 1 } });
    const gold = new Plan(platform, "gold", { rateLimit: { requests: 100, perSeconds: 1 } });
    new Product(platform, "shop", { title: "Shop", apis: options.widgets ? [items, widgets] : [items], plans: options.gold ? [pro, gold] : [pro], approval: options.approval });
    if (options.legacy) new Product(platform, "legacy", { title: "Legacy", apis: [widgets], plans: [pro] });
    return { manifest: await compileOk(platform), artifacts: [] };
  };

  it("flags an API taken out of a product, manual approval and a removed product as consumer-affecting; an added plan is not", async () => {
    const base = await withProduct({ widgets: true, gold: false, approval: "auto", legacy: true });
    const head = await withProduct({ widgets: false, gold: true, approval: "manual", legacy: false });
    const report = await diffDeclarations(base, head, "main");
    expect(report.products).toEqual([
      { name: "legacy", status: "removed", changes: [], consumerAffecting: true },
      {
        name: "shop",
        status: "changed",
        changes: [
          { field: "APIs removed", base: "widgets-v1", head: "(none)", consumerAffecting: true },
          { field: "plans added", base: "(none)", head: "gold", consumerAffecting: false },
          { field: "approval", base: "auto", head: "manual", consumerAffecting: true },
        ],
        consumerAffecting: true,
      },
    ]);
    // The other way round, only the plan taken away (gold) affects subscribers.
    const reverse = await diffDeclarations(head, base, "main");
    expect(reverse.products.map((product) => [product.name, product.status, product.changes.filter((change) => change.consumerAffecting).map((change) => change.field)])).toEqual([
      ["legacy", "added", []],
      ["shop", "changed", ["plans removed"]],
    ]);
  });
});
