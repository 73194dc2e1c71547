/**
 * lifecycle (policies/lifecycle/schema.ts): added by the compiler to every operation of a
 * deprecated or retired API; never declared.
 */
import { type Platform, PolicyDeclaration, apiKey, compileManifest, cors, ipFilter } from "../../constructs/index";
import { chainOf, compileErrors, compileOk, itemsApi, testPlatform, withCode } from "../helpers/declaration";
import { policyEntriesIn } from "../helpers/policy";

/** items v2 (published) and items v1 with the given lifecycle props, v2 as its successor unless told otherwise. */
function twoVersions(v1: Parameters<typeof itemsApi>[2], withSuccessor = true): Platform {
  const platform = testPlatform();
  const v2 = itemsApi(platform, "items-v2", { name: "items", version: "2.0.0" });
  itemsApi(platform, "items", { ...(withSuccessor ? { successor: v2 } : {}), ...v1 });
  return platform;
}

const lifecycleOf = (manifest: Awaited<ReturnType<typeof compileOk>>, operationId: string) => policyEntriesIn(manifest, "lifecycle", operationId)[0];

describe("lifecycle", () => {
  describe("deprecated APIs", () => {
    it("adds the lifecycle entry with sunset and successor to the API's operations", async () => {
      const manifest = await compileOk(twoVersions({ lifecycle: "deprecated", deprecatedSince: "2026-01-15", sunset: "2026-12-31" }));
      expect(lifecycleOf(manifest, "getItem")).toEqual({
        id: "items-v1/lifecycle",
        policy: "lifecycle",
        scope: "items-v1/lifecycle",
        level: "api",
        declaredAt: "acme/items",
        phases: ["access", "response"],
        when: null,
        config: {
          state: "deprecated",
          deprecatedSince: "2026-01-15",
          sunset: "2026-12-31",
          successor: { api: "items-v2", version: "2.0.0", basePath: "/items/v2" },
        },
      });
    });

    it("covers every operation, public ones included, with one shared instance", async () => {
      const manifest = await compileOk(twoVersions({ lifecycle: "deprecated", sunset: "2026-12-31" }));
      const ids = ["listItems", "createItem", "getItem", "deleteItem", "getHealth"].map((operationId) => lifecycleOf(manifest, operationId)?.id);
      expect(ids).toEqual(Array(5).fill("items-v1/lifecycle"));
      expect(chainOf(manifest, "items-v2", "getItem").map((entry) => entry.policy)).toEqual(["apiKey"]);
    });

    it("writes null for an undeclared deprecation date and successor", async () => {
      const manifest = await compileOk(twoVersions({ lifecycle: "deprecated", sunset: "2026-12-31" }, false));
      expect(lifecycleOf(manifest, "listItems")!.config).toEqual({ state: "deprecated", deprecatedSince: null, sunset: "2026-12-31", successor: null });
    });

    it("places it after ipFilter and before cors and authentication in the access phase", async () => {
      const platform = testPlatform();
      const v2 = itemsApi(platform, "items-v2", { name: "items", version: "2.0.0" });
      itemsApi(platform, "items", {
        lifecycle: "deprecated",
        sunset: "2026-12-31",
        successor: v2,
        policies: [apiKey(), cors({ origins: ["https://shop.acme.example"] }), ipFilter({ deny: ["203.0.113.0/24"] })],
      });
      const manifest = await compileOk(platform);
      expect(chainOf(manifest, "items-v1", "getItem").map((entry) => entry.policy)).toEqual(["ipFilter", "lifecycle", "cors", "apiKey"]);
    });

    it("needs a sunset date", async () => {
      const errors = withCode(await compileErrors(twoVersions({ lifecycle: "deprecated" })), "invalid-props");
      expect(errors).toEqual([
        {
          severity: "error",
          code: "invalid-props",
          path: "acme/items",
          field: "sunset",
          message: "a deprecated API needs a sunset date, so consumers know when it stops (Sunset header, RFC 8594)",
        },
      ]);
    });
  });

  describe("retired APIs", () => {
    it("adds the 410 Gone configuration, linking to the successor", async () => {
      const manifest = await compileOk(twoVersions({ lifecycle: "retired" }));
      expect(lifecycleOf(manifest, "createItem")!.config).toEqual({
        state: "retired",
        deprecatedSince: null,
        sunset: null,
        successor: { api: "items-v2", version: "2.0.0", basePath: "/items/v2" },
      });
    });

    it("keeps its dates, and warns when no successor says where to go", async () => {
      const result = await compileManifest(twoVersions({ lifecycle: "retired", deprecatedSince: "2025-01-01", sunset: "2025-06-30" }, false));
      expect(lifecycleOf(result.manifest!, "getItem")!.config).toEqual({ state: "retired", deprecatedSince: "2025-01-01", sunset: "2025-06-30", successor: null });
      expect(result.diagnostics.filter((diagnostic) => diagnostic.code === "lifecycle")).toEqual([
        {
          severity: "warning",
          code: "lifecycle",
          path: "acme/items",
          field: "successor",
          message: "a retired API answers 410 Gone; without a successor the answer cannot say where to go",
          fix: "set successor to the API that replaced it",
        },
      ]);
    });

    it("refuses a successor that is itself retired", async () => {
      const platform = testPlatform();
      const v2 = itemsApi(platform, "items-v2", { name: "items", version: "2.0.0", lifecycle: "retired" });
      itemsApi(platform, "items", { lifecycle: "retired", successor: v2 });
      const [error, ...rest] = withCode(await compileErrors(platform), "lifecycle");
      expect(rest).toEqual([]);
      expect(error).toMatchObject({ path: "acme/items", field: "successor", expected: "a published (or deprecated) API", received: "retired" });
      expect(error!.message).toMatch(/the successor acme\/items-v2 is retired; consumers sent there could not use it/);
    });
  });

  describe("published and draft APIs", () => {
    it.each(["published", "draft"] as const)("adds no lifecycle entry to a %s API", async (lifecycle) => {
      const platform = testPlatform();
      itemsApi(platform, "items", { lifecycle });
      const manifest = await compileOk(platform);
      expect(manifest.spec.policies.filter((entry) => entry.policy === "lifecycle")).toEqual([]);
    });
  });

  describe("levels", () => {
    it("cannot be declared: the compiler adds it from the API's lifecycle", async () => {
      const platform = testPlatform();
      itemsApi(platform, "items", { policies: [apiKey(), new PolicyDeclaration("lifecycle", { state: "retired" })] });
      const [error, ...rest] = withCode(await compileErrors(platform), "unknown-policy");
      expect(rest).toEqual([]);
      expect(error).toEqual({
        severity: "error",
        code: "unknown-policy",
        path: "acme/items/policies[1]",
        message: 'unknown policy "lifecycle"',
        expected: expect.stringMatching(/^one of "apiKey", "cache", "cors", .* and "transform"$/),
      });
      expect(error!.expected).not.toMatch(/lifecycle/);
    });
  });
});
