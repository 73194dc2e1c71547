/**
 * quota (policies/quota/schema.ts): calendar periods, time zones, keys resolving to "ip" where
 * no consumer is known, plan quotas, and the compile errors a user sees.
 */
import { OpenApi, Plan, type PolicyDeclaration, Product, apiKey, quota } from "../../constructs/index";
import { chainOf, compileErrors, compileOk, itemsApi, itemsContract, testPlatform, withCode } from "../helpers/declaration";
import { invalidPolicy, policyEntries, policyErrors } from "../helpers/policy";

type Json = Record<string, unknown>;

const quotasOf = (policies: PolicyDeclaration[], operationId = "listItems") => policyEntries("quota", policies, { operationId });

describe("quota", () => {
  describe("valid options", () => {
    it("fills in every default", async () => {
      const [entry] = await quotasOf([apiKey(), quota({ requests: 10_000, period: "month" })]);
      expect(entry!.config).toEqual({ requests: 10_000, period: "month", timeZone: "UTC", key: "consumer", headers: true, onStoreUnavailable: "fail-open" });
      // The public getHealth resolves the same declaration to key "ip", so the ids carry a hash.
      expect(entry!.id).toMatch(/^items-v1\/quota:consumer#[0-9a-f]{8}$/);
      expect(entry!.phases).toEqual(["limit"]);
    });

    it("resolves every option as written", async () => {
      const [entry] = await quotasOf([apiKey(), quota({ requests: 500, period: "week", timeZone: "Europe/Berlin", key: "global", headers: false, onStoreUnavailable: "fail-closed" })]);
      expect(entry!.config).toEqual({ requests: 500, period: "week", timeZone: "Europe/Berlin", key: "global", headers: false, onStoreUnavailable: "fail-closed" });
    });

    it.each(["hour", "day", "week", "month"] as const)("accepts the %s period", async (period) => {
      const [entry] = await quotasOf([apiKey(), quota({ requests: 1, period })]);
      expect((entry!.config as Json).period).toBe(period);
    });

    it('resolves key "consumer" to "ip" on the public getHealth operation', async () => {
      const [entry] = await quotasOf([apiKey(), quota({ requests: 100, period: "day" })], "getHealth");
      expect(entry!.config).toEqual({ requests: 100, period: "day", timeZone: "UTC", key: "ip", headers: true, onStoreUnavailable: "fail-open" });
    });

    it("keeps one quota per key at one level", async () => {
      const quotas = await quotasOf([apiKey(), quota({ requests: 100, period: "day", key: "ip" }), quota({ requests: 1_000_000, period: "month", key: "global" })]);
      expect(quotas.map((entry) => [entry.id, (entry.config as Json).key])).toEqual([
        ["items-v1/quota:global", "global"],
        ["items-v1/quota:ip", "ip"],
      ]);
    });
  });

  describe("invalid options", () => {
    it("rejects a time zone that is not an IANA time zone", async () => {
      expect(await policyErrors([quota({ requests: 100, period: "day", timeZone: "Mars/Olympus" })])).toEqual([
        invalidPolicy("timeZone", /^quota: not an IANA time zone \(e\.g\. UTC, Europe\/Berlin\)$/, { received: '"Mars/Olympus"' }),
      ]);
    });

    it("rejects a period that is not a calendar period it knows", async () => {
      // @ts-expect-error "year" is not a period
      const errors = await policyErrors([quota({ requests: 100, period: "year" })]);
      expect(errors).toEqual([invalidPolicy("period", /Invalid option/, { expected: 'one of "hour", "day", "week", "month"', received: '"year"' })]);
    });

    it("rejects wrong types, missing and out-of-range requests", async () => {
      // @ts-expect-error requests is a number, period is required
      const errors = await policyErrors([quota({ requests: "100" })]);
      // A missing enum is reported as an invalid option, with nothing received.
      expect(errors).toEqual([
        invalidPolicy("period", /Invalid option/, { expected: 'one of "hour", "day", "week", "month"', received: "nothing" }),
        invalidPolicy("requests", /expected number, received string/, { expected: "number", received: '"100"' }),
      ]);
      expect(await policyErrors([quota({ requests: 0, period: "day" })])).toEqual([invalidPolicy("requests", /Too small/, { expected: "> 0", received: "0" })]);
      expect(await policyErrors([quota({ requests: 1.5, period: "day" })])).toEqual([invalidPolicy("requests", /expected int/, { expected: "int", received: "1.5" })]);
    });

    it("rejects an unknown key", async () => {
      // @ts-expect-error "tenant" is not a key
      const errors = await policyErrors([quota({ requests: 100, period: "day", key: "tenant" })]);
      expect(errors).toEqual([invalidPolicy("key", /Invalid option/, { expected: 'one of "consumer", "ip", "global"', received: '"tenant"' })]);
    });

    it("rejects an unknown property with a did-you-mean fix", async () => {
      // @ts-expect-error typo of period
      const errors = await policyErrors([quota({ requests: 100, perid: "day" })]);
      expect(errors).toEqual([
        invalidPolicy("perid", /^quota: unknown property "perid"$/, {
          expected: 'one of "requests", "period", "timeZone", "key", "headers" and "onStoreUnavailable"',
          fix: 'did you mean "period"?',
        }),
        invalidPolicy("period", /Invalid option/, { expected: 'one of "hour", "day", "week", "month"', received: "nothing" }),
      ]);
    });
  });

  describe("plans", () => {
    it("adds a plan's quota, per consumer, to authenticated operations, and describes it on the plan", async () => {
      const platform = testPlatform();
      const free = new Plan(platform, "free", { quota: { requests: 1_000, period: "day", timeZone: "America/New_York" } });
      const api = itemsApi(platform);
      new Product(platform, "shop", { apis: [api], plans: [free] });
      const manifest = await compileOk(platform);
      const resolved = { requests: 1_000, period: "day", timeZone: "America/New_York", key: "consumer", headers: true, onStoreUnavailable: "fail-open" };
      expect(chainOf(manifest, "items-v1", "createItem").filter((entry) => entry.policy === "quota")).toEqual([
        {
          id: "shop/free/quota:consumer",
          policy: "quota",
          scope: "shop/free/quota:consumer",
          level: "plan",
          declaredAt: "acme/free/quota",
          phases: ["limit"],
          when: { product: "shop", plan: "free" },
          config: resolved,
        },
      ]);
      expect(manifest.spec.plans[0]!.quota).toEqual(resolved);
    });

    it('refuses a plan quota keyed by "ip" or "global"', async () => {
      const platform = testPlatform();
      new Plan(platform, "free", { quota: { requests: 1_000, period: "day", key: "global" } });
      itemsApi(platform);
      expect(withCode(await compileErrors(platform), "invalid-policy")).toEqual([
        {
          severity: "error",
          code: "invalid-policy",
          path: "acme/free/quota",
          field: "key",
          message: "quota: a plan's quota counts per consumer of the plan",
          expected: '"consumer"',
          received: '"global"',
          fix: "attach quotas by IP or for everyone to the platform, an API or an operation",
        },
      ]);
    });

    it("validates a plan's quota prop like a declaration, reported under the prop", async () => {
      const platform = testPlatform();
      new Plan(platform, "free", { quota: { requests: 1_000, period: "day", timeZone: "Europe/Atlantis" } });
      itemsApi(platform);
      expect(withCode(await compileErrors(platform), "invalid-policy")).toEqual([
        { severity: "error", code: "invalid-policy", path: "acme/free/quota", field: "timeZone", message: "quota: not an IANA time zone (e.g. UTC, Europe/Berlin)", received: '"Europe/Atlantis"' },
      ]);
    });
  });

  describe("levels", () => {
    it("attaches to the platform, and an operation's quota with the same key replaces it there", async () => {
      const platform = testPlatform({ policies: [quota({ requests: 100_000, period: "month" })] });
      itemsApi(platform, "items", { operations: { createItem: { policies: [quota({ requests: 10, period: "hour" })] } } });
      const manifest = await compileOk(platform);
      const summary = (operationId: string) =>
        chainOf(manifest, "items-v1", operationId)
          .filter((entry) => entry.policy === "quota")
          .map((entry) => [entry.scope, entry.level, (entry.config as Json).requests, (entry.config as Json).period]);
      expect(summary("listItems")).toEqual([["platform/quota:consumer", "platform", 100_000, "month"]]);
      expect(summary("createItem")).toEqual([["items-v1/createItem/quota:consumer", "operation", 10, "hour"]]);
    });
  });

  describe("regressions", () => {
    // Fixed (as for rateLimit): before, on an operation whose contract also allows anonymous calls, the
    // plan's quota is added to the chain but resolved with key "ip", although a plan's quota
    // counts per consumer (and manifest plans[].quota says "consumer").
    it("keeps a plan's quota per consumer on an operation where authentication is optional", async () => {
      const platform = testPlatform();
      const free = new Plan(platform, "free", { quota: { requests: 1_000, period: "day" } });
      const contract = OpenApi.fromDocument(
        itemsContract((doc) => {
          ((doc.paths as Json)["/items"] as { get: Json }).get.security = [{ ApiKeyAuth: [] }, {}];
        }),
      );
      const api = itemsApi(platform, "items", { contract });
      new Product(platform, "shop", { apis: [api], plans: [free] });
      const manifest = await compileOk(platform);
      const planQuota = chainOf(manifest, "items-v1", "listItems").find((entry) => entry.policy === "quota" && entry.level === "plan");
      expect(planQuota!.config).toMatchObject({ key: "consumer" });
    });
  });
});
