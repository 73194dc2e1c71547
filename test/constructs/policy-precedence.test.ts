/**
 * The precedence rule (constructs/compile/policy-chain.ts, README "Policy precedence"):
 * platform → API → operation replace by slot; exclusions; authentication follows the
 * contract; plan policies add with a condition; lifecycle added; a fixed order.
 */
import { Plan, Product, apiKey, cors, jwt, quota, rateLimit, requestValidation, threatProtection, transform } from "../../constructs/index";
import { chainOf, compileErrors, compileOk, itemsApi, itemsContract, testPlatform, withCode } from "../helpers/declaration";
import { OpenApi } from "../../constructs/index";

const summary = (chain: { policy: string; level: string; scope: string; when: unknown }[]) =>
  chain.map((entry) => `${entry.policy}@${entry.level}${entry.when ? `[${(entry.when as { plan: string }).plan}]` : ""} ${entry.scope}`);

describe("policy precedence", () => {
  it("replaces a platform policy by the API's and the API's by the operation's, slot by slot", async () => {
    const platform = testPlatform({ policies: [rateLimit({ requests: 1_000 }), rateLimit({ requests: 5_000, key: "global" }), threatProtection()] });
    itemsApi(platform, "items", {
      policies: [apiKey(), rateLimit({ requests: 100 })],
      operations: { createItem: { policies: [rateLimit({ requests: 2 })] } },
    });
    const manifest = await compileOk(platform);
    const limits = (operationId: string) =>
      chainOf(manifest, "items-v1", operationId)
        .filter((entry) => entry.policy === "rateLimit")
        .map((entry) => [entry.scope, (entry.config as { requests: number }).requests]);
    expect(limits("listItems")).toEqual([
      ["platform/rateLimit:global", 5_000],
      ["items-v1/rateLimit:consumer", 100],
    ]);
    expect(limits("createItem")).toEqual([
      ["platform/rateLimit:global", 5_000],
      ["items-v1/createItem/rateLimit:consumer", 2],
    ]);
  });

  it("shares one instance, and so one counter scope, between the operations an API-level policy covers", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { policies: [apiKey(), rateLimit({ requests: 100 })] });
    const manifest = await compileOk(platform);
    const idOf = (operationId: string) => chainOf(manifest, "items-v1", operationId).find((entry) => entry.policy === "rateLimit")!.id;
    expect(idOf("getItem")).toBe(idOf("listItems"));
    // Two variants share the scope: key "consumer", and "ip" on the public getHealth; ids then carry a hash.
    expect(idOf("listItems")).toMatch(/^items-v1\/rateLimit:consumer#[0-9a-f]{8}$/);
    expect(idOf("getHealth")).not.toBe(idOf("listItems"));
    expect(manifest.spec.policies.filter((entry) => entry.scope === "items-v1/rateLimit:consumer").map((entry) => (entry.config as { key: string }).key).sort()).toEqual(["consumer", "ip"]);
  });

  it("drops inherited policies an API or operation excludes, and reports exclusions that match nothing", async () => {
    const platform = testPlatform({ policies: [threatProtection(), cors({ origins: ["https://a.example"] })] });
    itemsApi(platform, "items", {
      excludePolicies: ["threatProtection"],
      policies: [apiKey(), requestValidation()],
      operations: { getHealth: { excludePolicies: ["cors", "requestValidation"] } },
    });
    const manifest = await compileOk(platform);
    expect(chainOf(manifest, "items-v1", "listItems").map((entry) => entry.policy)).toEqual(["cors", "apiKey", "requestValidation"]);
    expect(chainOf(manifest, "items-v1", "getHealth").map((entry) => entry.policy)).toEqual([]);

    const broken = testPlatform();
    itemsApi(broken, "items", { excludePolicies: ["cors"], operations: { listItems: { excludePolicies: ["rateLimit"] } } });
    const errors = withCode(await compileErrors(broken), "unknown-exclusion");
    expect(errors.map((error) => [error.path, error.field, error.message])).toEqual([
      ["acme/items", "excludePolicies[0]", 'excludes "cors", but no cors policy is inherited here, so the exclusion does nothing'],
      ["acme/items/operations.listItems", "excludePolicies[0]", 'excludes "rateLimit", but no rateLimit policy is inherited here, so the exclusion does nothing'],
    ]);
  });

  describe("authentication follows the contract", () => {
    it("drops authentication from operations the contract marks public (security: [])", async () => {
      const platform = testPlatform();
      itemsApi(platform, "items");
      const manifest = await compileOk(platform);
      expect(chainOf(manifest, "items-v1", "getHealth").map((entry) => entry.policy)).toEqual([]);
      expect(chainOf(manifest, "items-v1", "getItem").map((entry) => entry.policy)).toEqual(["apiKey"]);
    });

    it("keeps only the authentication policies implementing a scheme the operation requires", async () => {
      const platform = testPlatform();
      const contract = itemsContract((doc) => {
        const components = doc.components as { securitySchemes: Record<string, unknown> };
        components.securitySchemes.Bearer = { type: "http", scheme: "bearer", bearerFormat: "JWT" };
        const paths = doc.paths as Record<string, Record<string, { security?: unknown }>>;
        paths["/items"]!.post!.security = [{ Bearer: [] }];
        paths["/items"]!.get!.security = [{ ApiKeyAuth: [] }, { Bearer: [] }];
      });
      const bearer = jwt({ issuer: "https://id.example/", jwksUrl: "https://id.example/jwks.json", audiences: ["items"] });
      itemsApi(platform, "items", { contract: OpenApi.fromDocument(contract), policies: [apiKey(), bearer] });
      const manifest = await compileOk(platform);
      expect(chainOf(manifest, "items-v1", "createItem").map((entry) => entry.policy)).toEqual(["jwt"]);
      expect(chainOf(manifest, "items-v1", "listItems").map((entry) => entry.policy)).toEqual(["apiKey", "jwt"]);
      expect(chainOf(manifest, "items-v1", "getItem").map((entry) => entry.policy)).toEqual(["apiKey"]);
    });

    it("keeps every authentication policy where the contract says nothing about security", async () => {
      const platform = testPlatform();
      const contract = itemsContract((doc) => {
        delete doc.security;
      });
      itemsApi(platform, "items", { contract: OpenApi.fromDocument(contract) });
      const manifest = await compileOk(platform);
      expect(chainOf(manifest, "items-v1", "getItem").map((entry) => entry.policy)).toEqual(["apiKey"]);
    });

    it("is a compile error when a required scheme has no policy: the gateway would let anyone in", async () => {
      const platform = testPlatform();
      itemsApi(platform, "items", { policies: [] });
      const [error] = await compileErrors(platform);
      expect(error).toMatchObject({ code: "missing-auth-policy", path: "acme/items", field: "policies", fix: "add apiKey() to the API's (or platform's) policies" });
      expect(error!.message).toBe('the contract requires security scheme "ApiKeyAuth" (apiKey) on "listItems", "createItem", "deleteItem" and "getItem", but no policy enforces it: the gateway would let anyone in');
    });
  });

  describe("plan dimension", () => {
    it("adds each offered plan's policies to authenticated operations, conditioned on product and plan, on top of the API's", async () => {
      const platform = testPlatform();
      const free = new Plan(platform, "free", { rateLimit: { requests: 10 }, quota: { requests: 1_000, period: "day" } });
      const pro = new Plan(platform, "pro", { rateLimit: { requests: 100 }, policies: [transform({ request: { headers: { set: { "x-plan": "pro" } } } })] });
      const api = itemsApi(platform, "items", { policies: [apiKey(), rateLimit({ requests: 500 })] });
      new Product(platform, "shop", { apis: [api], plans: [pro, free] });
      const manifest = await compileOk(platform);
      expect(summary(chainOf(manifest, "items-v1", "getItem"))).toEqual([
        "apiKey@api items-v1/apiKey",
        "rateLimit@api items-v1/rateLimit:consumer",
        "rateLimit@plan[free] shop/free/rateLimit:consumer",
        "rateLimit@plan[pro] shop/pro/rateLimit:consumer",
        "quota@plan[free] shop/free/quota:consumer",
        "transform@plan[pro] shop/pro/transform",
      ]);
      // A public operation identifies no consumer, so no plan applies to it.
      expect(summary(chainOf(manifest, "items-v1", "getHealth"))).toEqual(["rateLimit@api items-v1/rateLimit:consumer"]);
      expect(chainOf(manifest, "items-v1", "getHealth")[0]!.config).toMatchObject({ key: "ip" });
    });

    it("refuses policies that run before authentication at plan level", async () => {
      const platform = testPlatform();
      new Plan(platform, "free", { policies: [cors({ origins: ["*"] }), apiKey()] });
      const errors = withCode(await compileErrors(platform), "policy-not-attachable");
      expect(errors.map((error) => [error.path, error.message, error.expected])).toEqual([
        ["acme/free/policies[0]", "cors cannot be attached to a plan", "attached to platform and api"],
        ["acme/free/policies[1]", "apiKey cannot be attached to a plan", "attached to platform, api and operation"],
      ]);
      expect(errors[0]!.fix).toMatch(/plan policies run after authentication/);
    });

    it("refuses the same slot twice on one plan", async () => {
      const platform = testPlatform();
      new Plan(platform, "free", { rateLimit: { requests: 1 }, policies: [rateLimit({ requests: 2 })] });
      const [error] = withCode(await compileErrors(platform), "duplicate-policy");
      expect(error).toMatchObject({ path: "acme/free/policies[0]", message: "rateLimit is declared twice on this plan (also as acme/free/rateLimit)" });
    });
  });

  it("refuses two declarations of one slot at one level, but allows rate limits with different keys", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { policies: [apiKey(), rateLimit({ requests: 1 }), rateLimit({ requests: 9, key: "ip" }), apiKey()] });
    const [error] = withCode(await compileErrors(platform), "duplicate-policy");
    expect(error).toMatchObject({ path: "acme/items/policies[3]", message: "apiKey is declared twice at this level (also at acme/items/policies[0]), so one would silently win" });
  });

  it("orders the chain by phase, priority and level whatever the declaration order", async () => {
    const platform = testPlatform({ policies: [quota({ requests: 5, period: "hour", key: "global" }), threatProtection()] });
    itemsApi(platform, "items", {
      policies: [transform({ request: { headers: { set: { "x-a": "1" } } } }), rateLimit({ requests: 3 }), requestValidation(), apiKey(), cors({ origins: ["https://a.example"] })],
    });
    const manifest = await compileOk(platform);
    expect(chainOf(manifest, "items-v1", "listItems").map((entry) => entry.policy)).toEqual([
      "cors",
      "apiKey",
      "threatProtection",
      "requestValidation",
      "rateLimit",
      "quota",
      "transform",
    ]);
  });

  it("adds the lifecycle policy first for a deprecated API", async () => {
    const platform = testPlatform({ policies: [cors({ origins: ["*"] })] });
    const v2 = itemsApi(platform, "items-v2", { name: "items", version: "2.0.0" });
    itemsApi(platform, "items-v1", { name: "items", lifecycle: "deprecated", sunset: "2027-06-30", deprecatedSince: "2026-01-15", successor: v2 });
    const manifest = await compileOk(platform);
    const [first] = chainOf(manifest, "items-v1", "getItem");
    expect(first).toEqual({
      id: "items-v1/lifecycle",
      policy: "lifecycle",
      scope: "items-v1/lifecycle",
      level: "api",
      declaredAt: "acme/items-v1",
      phases: ["access", "response"],
      when: null,
      config: { state: "deprecated", deprecatedSince: "2026-01-15", sunset: "2027-06-30", successor: { api: "items-v2", version: "2.0.0", basePath: "/items/v2" } },
    });
    expect(chainOf(manifest, "items-v2", "getItem").map((entry) => entry.policy)).toEqual(["cors", "apiKey"]);
  });
});

describe("security alternatives", () => {
  it("is an error when one alternative scheme has no policy, saying callers using it could not be authenticated", async () => {
    const platform = testPlatform();
    const contract = itemsContract((doc) => {
      (doc.components as { securitySchemes: Record<string, unknown> }).securitySchemes.Bearer = { type: "http", scheme: "bearer" };
      doc.security = [{ ApiKeyAuth: [] }, { Bearer: [] }];
    });
    itemsApi(platform, "items", { contract: OpenApi.fromDocument(contract) });
    const [error] = withCode(await compileErrors(platform), "missing-auth-policy");
    expect(error!.message).toBe('the contract requires security scheme "Bearer" (http) on "listItems", "createItem", "deleteItem" and "getItem", but no policy enforces it: callers using it could not be authenticated');
    expect(error!.fix).toBe("add jwt({ issuer, jwksUrl, audiences }) to the API's (or platform's) policies");
  });
});
