/**
 * requestSizeLimit (policies/request-size-limit/schema.ts): the largest request body accepted.
 */
import { Plan, type PolicyDeclaration, apiKey, requestSizeLimit } from "../../constructs/index";
import { chainOf, compileErrors, compileOk, itemsApi, testPlatform, withCode } from "../helpers/declaration";
import { invalidPolicy, policyEntries, policyErrors } from "../helpers/policy";

const limitOf = async (policies: PolicyDeclaration[], operationId = "createItem") => (await policyEntries("requestSizeLimit", policies, { operationId }))[0];

describe("requestSizeLimit", () => {
  describe("valid options", () => {
    it("defaults to 1 MiB", async () => {
      const entry = await limitOf([apiKey(), requestSizeLimit()]);
      expect(entry!.config).toEqual({ maxBodyBytes: 1_048_576 });
      expect([entry!.id, entry!.level, entry!.phases]).toEqual(["items-v1/requestSizeLimit", "api", ["access"]]);
    });

    it("resolves the limit as written", async () => {
      expect((await limitOf([apiKey(), requestSizeLimit({ maxBodyBytes: 65_536 })]))!.config).toEqual({ maxBodyBytes: 65_536 });
      expect((await limitOf([apiKey(), requestSizeLimit({ maxBodyBytes: 1 })]))!.config).toEqual({ maxBodyBytes: 1 });
    });

    it("runs before authentication in the access phase", async () => {
      const platform = testPlatform();
      itemsApi(platform, "items", { policies: [apiKey(), requestSizeLimit()] });
      const manifest = await compileOk(platform);
      expect(chainOf(manifest, "items-v1", "createItem").map((entry) => entry.policy)).toEqual(["requestSizeLimit", "apiKey"]);
    });
  });

  describe("invalid options", () => {
    it("rejects a limit that is not a positive whole number of bytes", async () => {
      expect(await policyErrors([requestSizeLimit({ maxBodyBytes: 0 })])).toEqual([invalidPolicy("maxBodyBytes", /Too small/, { expected: "> 0", received: "0" })]);
      expect(await policyErrors([requestSizeLimit({ maxBodyBytes: -1 })])).toEqual([invalidPolicy("maxBodyBytes", /Too small/, { expected: "> 0", received: "-1" })]);
      expect(await policyErrors([requestSizeLimit({ maxBodyBytes: 1_024.5 })])).toEqual([invalidPolicy("maxBodyBytes", /expected int, received number/, { expected: "int", received: "1024.5" })]);
    });

    it("rejects a size written as a string", async () => {
      // @ts-expect-error maxBodyBytes is a number of bytes
      const errors = await policyErrors([requestSizeLimit({ maxBodyBytes: "1MB" })]);
      expect(errors).toEqual([invalidPolicy("maxBodyBytes", /expected number, received string/, { expected: "number", received: '"1MB"' })]);
    });

    it("rejects an unknown property with a did-you-mean fix", async () => {
      // @ts-expect-error typo of maxBodyBytes
      const errors = await policyErrors([requestSizeLimit({ maxBodySize: 1_024 })]);
      expect(errors).toEqual([invalidPolicy("maxBodySize", /^requestSizeLimit: unknown property "maxBodySize"$/, { expected: 'one of "maxBodyBytes"', fix: 'did you mean "maxBodyBytes"?' })]);
    });
  });

  describe("levels", () => {
    it("attaches to the platform, and an operation's limit replaces it there", async () => {
      const platform = testPlatform({ policies: [requestSizeLimit({ maxBodyBytes: 262_144 })] });
      itemsApi(platform, "items", { operations: { createItem: { policies: [requestSizeLimit({ maxBodyBytes: 4_096 })] } } });
      const manifest = await compileOk(platform);
      const entry = (operationId: string) => chainOf(manifest, "items-v1", operationId).find((candidate) => candidate.policy === "requestSizeLimit")!;
      expect([entry("getItem").id, entry("getItem").config]).toEqual(["platform/requestSizeLimit", { maxBodyBytes: 262_144 }]);
      expect([entry("createItem").id, entry("createItem").config]).toEqual(["items-v1/createItem/requestSizeLimit", { maxBodyBytes: 4_096 }]);
    });

    it("cannot be attached to a plan", async () => {
      const platform = testPlatform();
      new Plan(platform, "free", { policies: [requestSizeLimit()] });
      itemsApi(platform);
      const [error, ...rest] = withCode(await compileErrors(platform), "policy-not-attachable");
      expect(rest).toEqual([]);
      expect(error).toMatchObject({ path: "acme/free/policies[0]", message: "requestSizeLimit cannot be attached to a plan", expected: "attached to platform, api and operation" });
    });
  });
});
