/**
 * requestValidation (policies/request-validation/schema.ts): which parts of a request are
 * validated against the contract.
 */
import { Plan, type PolicyDeclaration, apiKey, requestValidation } from "../../constructs/index";
import { chainOf, compileErrors, compileOk, itemsApi, testPlatform, withCode } from "../helpers/declaration";
import { invalidPolicy, policyEntries, policyErrors } from "../helpers/policy";

const validationOf = async (policies: PolicyDeclaration[], operationId = "createItem") => (await policyEntries("requestValidation", policies, { operationId }))[0];

describe("requestValidation", () => {
  describe("valid options", () => {
    it("validates path, query, headers and body by default, and lets unknown query parameters through", async () => {
      const entry = await validationOf([apiKey(), requestValidation()]);
      expect(entry!.config).toEqual({ path: true, query: true, headers: true, body: true, rejectUnknownQueryParameters: false });
      expect([entry!.id, entry!.level, entry!.phases]).toEqual(["items-v1/requestValidation", "api", ["access"]]);
    });

    it("resolves every option as written", async () => {
      const entry = await validationOf([apiKey(), requestValidation({ path: false, query: false, headers: false, body: false, rejectUnknownQueryParameters: true })]);
      expect(entry!.config).toEqual({ path: false, query: false, headers: false, body: false, rejectUnknownQueryParameters: true });
    });

    it("runs after authentication, last of the access-phase policies", async () => {
      const platform = testPlatform();
      itemsApi(platform, "items", { policies: [requestValidation(), apiKey()] });
      const manifest = await compileOk(platform);
      expect(chainOf(manifest, "items-v1", "createItem").map((entry) => entry.policy)).toEqual(["apiKey", "requestValidation"]);
      expect(chainOf(manifest, "items-v1", "getHealth").map((entry) => entry.policy)).toEqual(["requestValidation"]);
    });
  });

  describe("invalid options", () => {
    it("rejects options that are not booleans", async () => {
      // @ts-expect-error every option is a boolean
      const errors = await policyErrors([requestValidation({ body: "yes", query: 1 })]);
      expect(errors).toEqual([
        invalidPolicy("body", /expected boolean, received string/, { expected: "boolean", received: '"yes"' }),
        invalidPolicy("query", /expected boolean, received number/, { expected: "boolean", received: "1" }),
      ]);
    });

    it("rejects an unknown property with a did-you-mean fix", async () => {
      // @ts-expect-error typo of rejectUnknownQueryParameters
      const errors = await policyErrors([requestValidation({ rejectUnknownQueryParams: true })]);
      expect(errors).toEqual([
        invalidPolicy("rejectUnknownQueryParams", /^requestValidation: unknown property "rejectUnknownQueryParams"$/, {
          expected: 'one of "path", "query", "headers", "body" and "rejectUnknownQueryParameters"',
          fix: 'did you mean "rejectUnknownQueryParameters"?',
        }),
      ]);
    });
  });

  describe("levels", () => {
    it("attaches to the platform and an operation can replace or exclude it", async () => {
      const platform = testPlatform({ policies: [requestValidation()] });
      itemsApi(platform, "items", {
        operations: { createItem: { policies: [requestValidation({ rejectUnknownQueryParameters: true })] }, deleteItem: { excludePolicies: ["requestValidation"] } },
      });
      const manifest = await compileOk(platform);
      const entry = (operationId: string) => chainOf(manifest, "items-v1", operationId).find((candidate) => candidate.policy === "requestValidation");
      expect([entry("getItem")!.id, entry("getItem")!.config]).toEqual(["platform/requestValidation", { path: true, query: true, headers: true, body: true, rejectUnknownQueryParameters: false }]);
      expect([entry("createItem")!.id, entry("createItem")!.config]).toEqual([
        "items-v1/createItem/requestValidation",
        { path: true, query: true, headers: true, body: true, rejectUnknownQueryParameters: true },
      ]);
      expect(entry("deleteItem")).toBeUndefined();
    });

    it("cannot be attached to a plan", async () => {
      const platform = testPlatform();
      new Plan(platform, "free", { policies: [requestValidation()] });
      itemsApi(platform);
      const [error, ...rest] = withCode(await compileErrors(platform), "policy-not-attachable");
      expect(rest).toEqual([]);
      expect(error).toMatchObject({ path: "acme/free/policies[0]", message: "requestValidation cannot be attached to a plan", expected: "attached to platform, api and operation" });
    });
  });
});
