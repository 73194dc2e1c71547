/**
 * rateLimit (policies/rate-limit/schema.ts): defaults (burst = requests), the key resolving to
 * "ip" where no consumer is known, plan-level limits, and the compile errors a user sees.
 */
import { OpenApi, Plan, type PolicyDeclaration, Product, apiKey, rateLimit } from "../../constructs/index";
import { chainOf, compileErrors, compileOk, itemsApi, itemsContract, testPlatform, withCode } from "../helpers/declaration";
import { invalidPolicy, policyEntries, policyErrors } from "../helpers/policy";

type Json = Record<string, unknown>;

const limitsOf = (policies: PolicyDeclaration[], operationId = "listItems") => policyEntries("rateLimit", policies, { operationId });

describe("rateLimit", () => {
  describe("valid options", () => {
    it("fills in every default, with burst equal to requests", async () => {
      const [limit] = await limitsOf([apiKey(), rateLimit({ requests: 5 })]);
      expect(limit!.config).toEqual({ requests: 5, perSeconds: 1, burst: 5, key: "consumer", headers: true, onStoreUnavailable: "fail-open" });
    });

    it("resolves every option as written", async () => {
      const [limit] = await limitsOf([apiKey(), rateLimit({ requests: 100, perSeconds: 60, burst: 20, key: "global", headers: false, onStoreUnavailable: "fail-closed" })]);
      expect(limit!.config).toEqual({ requests: 100, perSeconds: 60, burst: 20, key: "global", headers: false, onStoreUnavailable: "fail-closed" });
    });

    it("accepts a fractional window and the largest window of one day", async () => {
      const [half] = await limitsOf([apiKey(), rateLimit({ requests: 1, perSeconds: 0.5 })]);
      const [day] = await limitsOf([apiKey(), rateLimit({ requests: 1, perSeconds: 86_400 })]);
      expect([(half!.config as Json).perSeconds, (day!.config as Json).perSeconds]).toEqual([0.5, 86_400]);
    });

    it('resolves key "consumer" to "ip" on the public getHealth operation, where no consumer is known', async () => {
      const declared = [apiKey(), rateLimit({ requests: 5 })];
      const [health] = await limitsOf(declared, "getHealth");
      const [item] = await limitsOf(declared, "getItem");
      expect(health!.config).toEqual({ requests: 5, perSeconds: 1, burst: 5, key: "ip", headers: true, onStoreUnavailable: "fail-open" });
      expect(item!.config).toEqual({ requests: 5, perSeconds: 1, burst: 5, key: "consumer", headers: true, onStoreUnavailable: "fail-open" });
      // One declaration, two resolved variants: the instance ids carry a hash.
      expect(health!.id).toMatch(/^items-v1\/rateLimit:consumer#[0-9a-f]{8}$/);
      expect(health!.id).not.toBe(item!.id);
    });

    it('keeps keys "ip" and "global" everywhere, one slot per key', async () => {
      const limits = await limitsOf([apiKey(), rateLimit({ requests: 50, key: "ip" }), rateLimit({ requests: 1_000, key: "global" })], "getHealth");
      expect(limits.map((limit) => [limit.id, (limit.config as Json).key, (limit.config as Json).requests])).toEqual([
        ["items-v1/rateLimit:global", "global", 1_000],
        ["items-v1/rateLimit:ip", "ip", 50],
      ]);
    });
  });

  describe("invalid options", () => {
    it("rejects wrong types", async () => {
      // @ts-expect-error requests is a number, headers a boolean
      const errors = await policyErrors([rateLimit({ requests: "5", headers: "yes" })]);
      expect(errors).toEqual([
        invalidPolicy("headers", /expected boolean, received string/, { expected: "boolean", received: '"yes"' }),
        invalidPolicy("requests", /expected number, received string/, { expected: "number", received: '"5"' }),
      ]);
    });

    it("requires requests", async () => {
      // @ts-expect-error requests is required
      const errors = await policyErrors([rateLimit({ perSeconds: 10 })]);
      expect(errors).toEqual([invalidPolicy("requests", /expected number, received undefined/, { expected: "number", received: "nothing" })]);
    });

    it("rejects numbers out of range or not whole", async () => {
      expect(await policyErrors([rateLimit({ requests: 0, perSeconds: 86_401, burst: 1.5 })])).toEqual([
        invalidPolicy("burst", /expected int, received number/, { expected: "int", received: "1.5" }),
        invalidPolicy("perSeconds", /Too big/, { expected: "<= 86400", received: "86401" }),
        invalidPolicy("requests", /Too small/, { expected: "> 0", received: "0" }),
      ]);
      expect(await policyErrors([rateLimit({ requests: 2.5, perSeconds: 0, burst: 0 })])).toEqual([
        invalidPolicy("burst", /Too small/, { expected: "> 0", received: "0" }),
        invalidPolicy("perSeconds", /Too small/, { expected: "> 0", received: "0" }),
        invalidPolicy("requests", /expected int, received number/, { expected: "int", received: "2.5" }),
      ]);
    });

    it("rejects an unknown key and store behaviour", async () => {
      // @ts-expect-error neither value is one of the options
      const errors = await policyErrors([rateLimit({ requests: 5, key: "user", onStoreUnavailable: "retry" })]);
      expect(errors).toEqual([
        invalidPolicy("key", /Invalid option/, { expected: 'one of "consumer", "ip", "global"', received: '"user"' }),
        invalidPolicy("onStoreUnavailable", /Invalid option/, { expected: 'one of "fail-open", "fail-closed"', received: '"retry"' }),
      ]);
    });

    it("rejects an unknown property with a did-you-mean fix (perSecond → perSeconds)", async () => {
      // @ts-expect-error typo of perSeconds
      const errors = await policyErrors([rateLimit({ requests: 5, perSecond: 2 })]);
      expect(errors).toEqual([
        invalidPolicy("perSecond", /^rateLimit: unknown property "perSecond"$/, {
          expected: 'one of "requests", "perSeconds", "burst", "key", "headers" and "onStoreUnavailable"',
          fix: 'did you mean "perSeconds"?',
        }),
      ]);
    });

    it("refuses two limits with the same key at one level", async () => {
      const platform = testPlatform();
      itemsApi(platform, "items", { policies: [apiKey(), rateLimit({ requests: 5 }), rateLimit({ requests: 50, key: "consumer" })] });
      expect(withCode(await compileErrors(platform), "duplicate-policy")).toEqual([
        {
          severity: "error",
          code: "duplicate-policy",
          path: "acme/items/policies[2]",
          message: "rateLimit is declared twice at this level (also at acme/items/policies[1]), so one would silently win",
          fix: "merge them, or give them different `key`s (consumer, ip, global)",
        },
      ]);
    });
  });

  describe("plans", () => {
    it("adds a plan's limit, counted per consumer, to the authenticated operations of the APIs its products offer", async () => {
      const platform = testPlatform();
      const free = new Plan(platform, "free", { rateLimit: { requests: 10, perSeconds: 1, burst: 20 } });
      const api = itemsApi(platform, "items");
      new Product(platform, "shop", { apis: [api], plans: [free] });
      const manifest = await compileOk(platform);
      const [limit, ...others] = chainOf(manifest, "items-v1", "getItem").filter((entry) => entry.policy === "rateLimit");
      expect(others).toEqual([]);
      expect(limit).toEqual({
        id: "shop/free/rateLimit:consumer",
        policy: "rateLimit",
        scope: "shop/free/rateLimit:consumer",
        level: "plan",
        declaredAt: "acme/free/rateLimit",
        phases: ["limit"],
        when: { product: "shop", plan: "free" },
        config: { requests: 10, perSeconds: 1, burst: 20, key: "consumer", headers: true, onStoreUnavailable: "fail-open" },
      });
      expect(manifest.spec.plans[0]!.rateLimit).toEqual({ requests: 10, perSeconds: 1, burst: 20, key: "consumer", headers: true, onStoreUnavailable: "fail-open" });
      // No consumer is known on the public operation, so no plan applies there.
      expect(chainOf(manifest, "items-v1", "getHealth")).toEqual([]);
    });

    it('refuses key "ip" on a plan\'s rateLimit: plan limits count per consumer', async () => {
      const platform = testPlatform();
      new Plan(platform, "free", { rateLimit: { requests: 10, key: "ip" } });
      itemsApi(platform);
      expect(withCode(await compileErrors(platform), "invalid-policy")).toEqual([
        {
          severity: "error",
          code: "invalid-policy",
          path: "acme/free/rateLimit",
          field: "key",
          message: "rateLimit: a plan's limits count per consumer of the plan",
          expected: '"consumer"',
          received: '"ip"',
          fix: "attach limits by IP or for everyone to the platform, an API or an operation",
        },
      ]);
    });

    it('refuses key "global" on a rateLimit in a plan\'s policies', async () => {
      const platform = testPlatform();
      const free = new Plan(platform, "free", { policies: [rateLimit({ requests: 10, key: "global" })] });
      const api = itemsApi(platform);
      new Product(platform, "shop", { apis: [api], plans: [free] });
      const errors = withCode(await compileErrors(platform), "invalid-policy");
      expect(errors.map((error) => [error.path, error.field, error.expected, error.received])).toEqual([["acme/free/policies[0]", "key", '"consumer"', '"global"']]);
    });

    it("validates a plan's rateLimit prop like a declaration, reported under the prop", async () => {
      const platform = testPlatform();
      // @ts-expect-error typo of perSeconds
      new Plan(platform, "free", { rateLimit: { requests: 10, perSecond: 1 } });
      itemsApi(platform);
      expect(withCode(await compileErrors(platform), "invalid-policy")).toEqual([
        {
          severity: "error",
          code: "invalid-policy",
          path: "acme/free/rateLimit",
          field: "perSecond",
          message: 'rateLimit: unknown property "perSecond"',
          expected: 'one of "requests", "perSeconds", "burst", "key", "headers" and "onStoreUnavailable"',
          fix: 'did you mean "perSeconds"?',
        },
      ]);
    });
  });

  describe("levels", () => {
    it("attaches to the platform and to an operation, each limit in its own scope", async () => {
      const platform = testPlatform({ policies: [rateLimit({ requests: 1_000, key: "global" })] });
      itemsApi(platform, "items", { operations: { createItem: { policies: [rateLimit({ requests: 2 })] } } });
      const manifest = await compileOk(platform);
      expect(chainOf(manifest, "items-v1", "createItem").filter((entry) => entry.policy === "rateLimit").map((entry) => [entry.id, entry.level, entry.config])).toEqual([
        ["platform/rateLimit:global", "platform", { requests: 1_000, perSeconds: 1, burst: 1_000, key: "global", headers: true, onStoreUnavailable: "fail-open" }],
        ["items-v1/createItem/rateLimit:consumer", "operation", { requests: 2, perSeconds: 1, burst: 2, key: "consumer", headers: true, onStoreUnavailable: "fail-open" }],
      ]);
    });
  });

  describe("regressions", () => {
    // Fixed: before, plan policies are added wherever an authentication policy is kept, but resolved with
    // `authenticated: false` when the contract also allows anonymous calls (`{}` alternative).
    // The plan's limit then resolves to key "ip", although "plan-level limits always count per
    // consumer" (and the manifest's plans[].rateLimit says "consumer").
    it("keeps a plan's limit per consumer on an operation where authentication is optional", async () => {
      const platform = testPlatform();
      const free = new Plan(platform, "free", { rateLimit: { requests: 10 } });
      const contract = OpenApi.fromDocument(
        itemsContract((doc) => {
          ((doc.paths as Json)["/items"] as { get: Json }).get.security = [{ ApiKeyAuth: [] }, {}];
        }),
      );
      const api = itemsApi(platform, "items", { contract });
      new Product(platform, "shop", { apis: [api], plans: [free] });
      const manifest = await compileOk(platform);
      const limit = chainOf(manifest, "items-v1", "listItems").find((entry) => entry.policy === "rateLimit" && entry.level === "plan");
      expect(limit!.config).toMatchObject({ key: "consumer" });
    });
  });
});
