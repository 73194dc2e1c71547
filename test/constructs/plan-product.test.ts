/** Plan and Product: limits and prices as the manifest carries them, references checked. */
import { Plan, Platform, Product, compileManifest } from "../../constructs/index";
import { compileErrors, compileOk, itemsApi, testPlatform, withCode } from "../helpers/declaration";

describe("Plan", () => {
  it("writes out its limits resolved per consumer, its price and its defaults", async () => {
    const platform = testPlatform();
    const free = new Plan(platform, "free", { rateLimit: { requests: 10, burst: 20 }, quota: { requests: 10_000, period: "month" } });
    const pro = new Plan(platform, "pro", { title: "Professional", description: "For shops.", pricing: { model: "flat", monthlyPrice: 49.99 } });
    const payg = new Plan(platform, "pay-as-you-go", { pricing: { model: "metered", pricePer1000Requests: 0.4, currency: "EUR" } });
    new Product(platform, "shop", { apis: [itemsApi(platform)], plans: [free, pro, payg] });
    const { plans } = (await compileOk(platform)).spec;
    expect(plans).toEqual([
      {
        name: "free",
        title: "Free",
        description: "",
        declaredAt: "acme/free",
        pricing: { model: "free" },
        rateLimit: { requests: 10, perSeconds: 1, burst: 20, key: "consumer", headers: true, onStoreUnavailable: "fail-open" },
        quota: { requests: 10_000, period: "month", timeZone: "UTC", key: "consumer", headers: true, onStoreUnavailable: "fail-open" },
        policies: [],
      },
      {
        name: "pay-as-you-go",
        title: "Pay-as-you-go",
        description: "",
        declaredAt: "acme/pay-as-you-go",
        pricing: { model: "metered", monthlyPrice: 0, pricePer1000Requests: 0.4, currency: "EUR" },
        rateLimit: null,
        quota: null,
        policies: [],
      },
      {
        name: "pro",
        title: "Professional",
        description: "For shops.",
        declaredAt: "acme/pro",
        pricing: { model: "flat", monthlyPrice: 49.99, currency: "USD" },
        rateLimit: null,
        quota: null,
        policies: [],
      },
    ]);
  });

  it("reports bad limits under the plan's own field and bad prices", async () => {
    const platform = testPlatform();
    new Plan(platform, "free", { rateLimit: { requests: 0 }, quota: { requests: 5, period: "year" as never }, pricing: { model: "flat", monthlyPrice: 9.999_99 } });
    const errors = await compileErrors(platform);
    expect(errors.map((error) => [error.code, error.path, error.field, error.message])).toEqual([
      ["invalid-props", "acme/free", "pricing.monthlyPrice", "an amount has at most 4 decimals"],
      ["invalid-policy", "acme/free/quota", "period", 'quota: Invalid option: expected one of "hour"|"day"|"week"|"month"'],
      ["invalid-policy", "acme/free/rateLimit", "requests", "rateLimit: Too small: expected number to be >0"],
    ]);
  });

  it("warns about a plan no product offers", async () => {
    const platform = testPlatform();
    new Plan(platform, "gold");
    const result = await compileManifest(platform);
    expect(result.diagnostics).toEqual([
      { severity: "warning", code: "unused", path: "acme/gold", message: 'plan "gold" is not offered by any product, so no consumer can subscribe to it', fix: "add it to a product's plans, or remove it" },
    ]);
  });

  it("keeps plan names unique across the platform, wherever they are declared", async () => {
    const platform = testPlatform();
    const { Construct } = await import("constructs");
    new Plan(platform, "free");
    new Plan(new Construct(platform, "team"), "free");
    const [error] = withCode(await compileErrors(platform), "duplicate-name");
    expect(error).toMatchObject({ path: "acme/team/free", message: 'plan name "free" is already used by acme/free; plans are referenced by name, so names are unique in the platform' });
  });
});

describe("Product", () => {
  it("lists its APIs by id and plans by name, sorted, with approval and visibility defaults", async () => {
    const platform = testPlatform();
    const a = itemsApi(platform, "b-items");
    const b = itemsApi(platform, "a-items");
    new Product(platform, "shop", { apis: [a, b, a], plans: [new Plan(platform, "pro"), new Plan(platform, "free")] });
    new Product(platform, "partners", { title: "Partner program", apis: [a], plans: [new Plan(platform, "gold")], approval: "manual", visibility: "private" });
    const { products } = (await compileOk(platform)).spec;
    expect(products).toEqual([
      { name: "partners", title: "Partner program", description: "", declaredAt: "acme/partners", apis: ["b-items-v1"], plans: ["gold"], approval: "manual", visibility: "private" },
      { name: "shop", title: "Shop", description: "", declaredAt: "acme/shop", apis: ["a-items-v1", "b-items-v1"], plans: ["free", "pro"], approval: "auto", visibility: "public" },
    ]);
  });

  it("needs at least one API and one plan", async () => {
    const platform = testPlatform();
    new Product(platform, "empty", { apis: [], plans: [] });
    const errors = await compileErrors(platform);
    expect(errors.map((error) => [error.field, error.message])).toEqual([
      ["apis", "a product offers at least one API"],
      ["plans", "a product offers at least one plan"],
    ]);
  });

  it("only references constructs of its own platform", async () => {
    const platform = testPlatform();
    const other = new Platform("other", { rootDir: platform.rootDir });
    new Product(platform, "shop", { apis: [itemsApi(other)], plans: [new Plan(platform, "free")] });
    const [error] = withCode(await compileErrors(platform), "foreign-construct");
    expect(error).toMatchObject({ path: "acme/shop", field: "apis[0]", message: "other/items belongs to another Platform; a declaration only references constructs of its own platform", fix: "create items inside acme" });
  });
});
