/**
 * cache (policies/cache/schema.ts): defaults, which operations an API-level cache covers,
 * and the compile errors a user sees.
 */
import { Plan, type PolicyDeclaration, apiKey, cache } from "../../constructs/index";
import { compileErrors, itemsApi, testPlatform, withCode } from "../helpers/declaration";
import { invalidPolicy, policyEntriesByOperation, policyErrors } from "../helpers/policy";

const defaults = { ttlSeconds: 60, methods: ["GET", "HEAD"], statuses: [200], varyHeaders: [], respectCacheControl: true, perConsumer: true, maxEntryBytes: 1_048_576 };

/** Compiles once; returns the cache entry (if any) of an operation's chain. */
async function cacheChains(policies: PolicyDeclaration[], operations: Record<string, { policies: PolicyDeclaration[] }> = {}) {
  const entries = await policyEntriesByOperation("cache", policies, { operations });
  return (operationId: string) => entries(operationId)[0];
}

describe("cache", () => {
  describe("valid options", () => {
    it("fills in every default", async () => {
      const entry = (await cacheChains([apiKey(), cache()]))("listItems");
      expect(entry!.config).toEqual(defaults);
      expect([entry!.id, entry!.level, entry!.phases]).toEqual(["items-v1/cache", "api", ["proxy"]]);
    });

    it("resolves every option as written, de-duplicating and sorting lists and lower-casing vary headers", async () => {
      const entry = (
        await cacheChains([
          apiKey(),
          cache({
            ttlSeconds: 31_536_000,
            methods: ["HEAD", "GET", "GET"],
            statuses: [404, 200, 203, 200],
            varyHeaders: ["Accept-Language", "Accept", "accept"],
            respectCacheControl: false,
            perConsumer: false,
            maxEntryBytes: 65_536,
          }),
        ])
      )("getItem");
      expect(entry!.config).toEqual({
        ttlSeconds: 31_536_000,
        methods: ["GET", "HEAD"],
        statuses: [200, 203, 404],
        varyHeaders: ["accept", "accept-language"],
        respectCacheControl: false,
        perConsumer: false,
        maxEntryBytes: 65_536,
      });
    });
  });

  describe("which operations it covers", () => {
    it("attached to the API, it is in the GET chains and absent from the POST and DELETE chains", async () => {
      const cacheOf = await cacheChains([apiKey(), cache({ ttlSeconds: 300 })]);
      expect(["listItems", "getItem", "getHealth", "createItem", "deleteItem"].map((operationId) => [operationId, cacheOf(operationId)?.config])).toEqual([
        ["listItems", { ...defaults, ttlSeconds: 300 }],
        ["getItem", { ...defaults, ttlSeconds: 300 }],
        ["getHealth", { ...defaults, ttlSeconds: 300 }],
        ["createItem", undefined],
        ["deleteItem", undefined],
      ]);
    });

    it("attached to the API with methods [HEAD], it covers no GET operation", async () => {
      const cacheOf = await cacheChains([apiKey(), cache({ methods: ["HEAD"] })]);
      expect(["listItems", "getItem", "createItem"].map((operationId) => cacheOf(operationId))).toEqual([undefined, undefined, undefined]);
    });

    it("attached to a GET operation, it covers that operation only", async () => {
      const cacheOf = await cacheChains([apiKey()], { getItem: { policies: [cache({ ttlSeconds: 5 })] } });
      expect(cacheOf("getItem")).toMatchObject({ id: "items-v1/getItem/cache", level: "operation", config: { ...defaults, ttlSeconds: 5 } });
      expect(cacheOf("listItems")).toBeUndefined();
    });

    it("attached to a POST operation, it is an error", async () => {
      const platform = testPlatform();
      itemsApi(platform, "items", { operations: { createItem: { policies: [cache()] } } });
      expect(withCode(await compileErrors(platform), "invalid-policy")).toEqual([
        {
          severity: "error",
          code: "invalid-policy",
          path: "acme/items/operations.createItem.policies[0]",
          message: "cache: createItem is POST; only GET and HEAD responses are cached",
          fix: "attach cache() to GET operations, or to the API to cache all its GET operations",
        },
      ]);
    });

    it("attached to a GET operation with methods [HEAD], it is an error", async () => {
      const platform = testPlatform();
      itemsApi(platform, "items", { operations: { getItem: { policies: [cache({ methods: ["HEAD"] })] } } });
      const [error, ...rest] = withCode(await compileErrors(platform), "invalid-policy");
      expect(rest).toEqual([]);
      expect(error).toMatchObject({ path: "acme/items/operations.getItem.policies[0]", message: "cache: getItem is GET; only HEAD responses are cached" });
    });
  });

  describe("invalid options", () => {
    it("rejects a TTL out of range or not whole", async () => {
      expect(await policyErrors([cache({ ttlSeconds: 0 })])).toEqual([invalidPolicy("ttlSeconds", /Too small/, { expected: "> 0", received: "0" })]);
      expect(await policyErrors([cache({ ttlSeconds: 31_536_001 })])).toEqual([invalidPolicy("ttlSeconds", /Too big/, { expected: "<= 31536000", received: "31536001" })]);
      expect(await policyErrors([cache({ ttlSeconds: 1.5 })])).toEqual([invalidPolicy("ttlSeconds", /expected int/, { expected: "int", received: "1.5" })]);
    });

    it("rejects uncacheable methods and an empty method list", async () => {
      // @ts-expect-error POST responses are not cached
      const errors = await policyErrors([cache({ methods: ["POST"] })]);
      expect(errors).toEqual([invalidPolicy("methods[0]", /Invalid option/, { expected: 'one of "GET", "HEAD"', received: '"POST"' })]);
      expect(await policyErrors([cache({ methods: [] })])).toEqual([invalidPolicy("methods", /Too small/, { expected: "at least 1 item(s)", received: "[]" })]);
    });

    it("rejects statuses outside 200-599 and an empty status list", async () => {
      expect(await policyErrors([cache({ statuses: [199, 600] })])).toEqual([
        invalidPolicy("statuses[0]", /Too small/, { expected: ">= 200", received: "199" }),
        invalidPolicy("statuses[1]", /Too big/, { expected: "<= 599", received: "600" }),
      ]);
      expect(await policyErrors([cache({ statuses: [] })])).toEqual([invalidPolicy("statuses", /Too small/, { expected: "at least 1 item(s)", received: "[]" })]);
    });

    it("rejects a vary header that is not a token, a non-positive entry size and wrong types", async () => {
      // @ts-expect-error perConsumer is a boolean
      const errors = await policyErrors([cache({ varyHeaders: ["Accept Language"], maxEntryBytes: 0, perConsumer: "no" })]);
      expect(errors).toEqual([
        invalidPolicy("maxEntryBytes", /Too small/, { expected: "> 0", received: "0" }),
        invalidPolicy("perConsumer", /expected boolean, received string/, { expected: "boolean", received: '"no"' }),
        invalidPolicy("varyHeaders[0]", /a header name is an RFC 9110 token/, { received: '"Accept Language"' }),
      ]);
    });

    it("rejects an unknown property with a did-you-mean fix", async () => {
      // @ts-expect-error typo of ttlSeconds
      const errors = await policyErrors([cache({ ttlSecond: 30 })]);
      expect(errors).toEqual([
        invalidPolicy("ttlSecond", /^cache: unknown property "ttlSecond"$/, {
          expected: 'one of "ttlSeconds", "methods", "statuses", "varyHeaders", "respectCacheControl", "perConsumer" and "maxEntryBytes"',
          fix: 'did you mean "ttlSeconds"?',
        }),
      ]);
    });
  });

  describe("levels", () => {
    it("cannot be attached to the platform", async () => {
      const platform = testPlatform({ policies: [cache()] });
      itemsApi(platform);
      expect(withCode(await compileErrors(platform), "policy-not-attachable")).toEqual([
        { severity: "error", code: "policy-not-attachable", path: "acme/policies[0]", message: "cache cannot be attached to a platform", expected: "attached to api and operation" },
      ]);
    });

    it("cannot be attached to a plan", async () => {
      const platform = testPlatform();
      new Plan(platform, "free", { policies: [cache()] });
      itemsApi(platform);
      const [error, ...rest] = withCode(await compileErrors(platform), "policy-not-attachable");
      expect(rest).toEqual([]);
      expect(error).toMatchObject({ path: "acme/free/policies[0]", message: "cache cannot be attached to a plan", expected: "attached to api and operation" });
    });
  });
});
