/**
 * threatProtection (policies/threat-protection/schema.ts): JSON and XML structure limits and
 * injection screening, every limit with a default.
 */
import { Plan, type PolicyDeclaration, apiKey, threatProtection } from "../../constructs/index";
import { chainOf, compileErrors, compileOk, itemsApi, testPlatform, withCode } from "../helpers/declaration";
import { invalidPolicy, policyEntries, policyErrors } from "../helpers/policy";

const defaults = {
  json: { maxDepth: 32, maxObjectKeys: 1_000, maxKeyLength: 256, maxArrayItems: 10_000, maxStringLength: 65_536 },
  xml: { rejectDtd: true, maxDepth: 32 },
  injection: { sql: true, script: true, pathTraversal: true, patterns: [], locations: ["headers", "path", "query"] },
};

const protectionOf = async (policies: PolicyDeclaration[], operationId = "createItem") => (await policyEntries("threatProtection", policies, { operationId }))[0];

describe("threatProtection", () => {
  describe("valid options", () => {
    it("fills in every default, with the screened locations sorted", async () => {
      const entry = await protectionOf([apiKey(), threatProtection()]);
      expect(entry!.config).toEqual(defaults);
      expect([entry!.id, entry!.level, entry!.phases]).toEqual(["items-v1/threatProtection", "api", ["access"]]);
    });

    it("merges partial groups with their defaults", async () => {
      const entry = await protectionOf([apiKey(), threatProtection({ json: { maxDepth: 8 }, xml: { rejectDtd: false }, injection: { sql: false } })]);
      expect(entry!.config).toEqual({
        json: { ...defaults.json, maxDepth: 8 },
        xml: { rejectDtd: false, maxDepth: 32 },
        injection: { ...defaults.injection, sql: false },
      });
    });

    it("resolves every option as written, de-duplicating and sorting the locations", async () => {
      const entry = await protectionOf([
        apiKey(),
        threatProtection({
          json: { maxDepth: 4, maxObjectKeys: 50, maxKeyLength: 64, maxArrayItems: 100, maxStringLength: 1_024 },
          xml: { rejectDtd: true, maxDepth: 10 },
          injection: { sql: false, script: false, pathTraversal: false, patterns: ["\\$where", "drop\\s+table"], locations: ["query", "body", "path", "body"] },
        }),
      ]);
      expect(entry!.config).toEqual({
        json: { maxDepth: 4, maxObjectKeys: 50, maxKeyLength: 64, maxArrayItems: 100, maxStringLength: 1_024 },
        xml: { rejectDtd: true, maxDepth: 10 },
        injection: { sql: false, script: false, pathTraversal: false, patterns: ["\\$where", "drop\\s+table"], locations: ["body", "path", "query"] },
      });
    });

    it("runs after authentication in the access phase", async () => {
      const platform = testPlatform({ policies: [threatProtection()] });
      itemsApi(platform);
      const manifest = await compileOk(platform);
      expect(chainOf(manifest, "items-v1", "createItem").map((entry) => [entry.policy, entry.scope])).toEqual([
        ["apiKey", "items-v1/apiKey"],
        ["threatProtection", "platform/threatProtection"],
      ]);
    });
  });

  describe("invalid options", () => {
    it("rejects an extra pattern that is not a valid regular expression, and an empty one", async () => {
      expect(await policyErrors([threatProtection({ injection: { patterns: ["(unclosed", "", "[a-z]+"] } })])).toEqual([
        invalidPolicy("injection.patterns[0]", /^threatProtection: not a valid regular expression \(JavaScript syntax, u flag\)$/, { received: '"(unclosed"' }),
        invalidPolicy("injection.patterns[1]", /Too small/, { expected: ">= 1 character(s)", received: '""' }),
      ]);
    });

    it("checks patterns with JavaScript syntax and the u flag, as the gateway compiles them", async () => {
      // "\\-" is valid without the u flag, a syntax error with it; "(?i)" is PCRE, not JavaScript.
      expect(await policyErrors([threatProtection({ injection: { patterns: ["\\-", "(?i)drop table"] } })])).toEqual([
        invalidPolicy("injection.patterns[0]", /not a valid regular expression/, { received: '"\\\\-"' }),
        invalidPolicy("injection.patterns[1]", /not a valid regular expression/, { received: '"(?i)drop table"' }),
      ]);
    });

    it("rejects limits that are not positive whole numbers", async () => {
      expect(await policyErrors([threatProtection({ json: { maxDepth: 0, maxObjectKeys: 1.5 }, xml: { maxDepth: -1 } })])).toEqual([
        invalidPolicy("json.maxDepth", /Too small/, { expected: "> 0", received: "0" }),
        invalidPolicy("json.maxObjectKeys", /expected int/, { expected: "int", received: "1.5" }),
        invalidPolicy("xml.maxDepth", /Too small/, { expected: "> 0", received: "-1" }),
      ]);
    });

    it("rejects an unknown location and wrong types", async () => {
      // @ts-expect-error cookies are not a screened location, sql is a boolean
      const errors = await policyErrors([threatProtection({ injection: { locations: ["cookies"], sql: "on" } })]);
      expect(errors).toEqual([
        invalidPolicy("injection.locations[0]", /Invalid option/, { expected: 'one of "path", "query", "headers", "body"', received: '"cookies"' }),
        invalidPolicy("injection.sql", /expected boolean, received string/, { expected: "boolean", received: '"on"' }),
      ]);
    });

    it("rejects an unknown nested property with a did-you-mean fix", async () => {
      // @ts-expect-error typo of rejectDtd
      const errors = await policyErrors([threatProtection({ xml: { rejectDTD: false } })]);
      expect(errors).toEqual([invalidPolicy("xml.rejectDTD", /^threatProtection: unknown property "rejectDTD"$/, { expected: 'one of "rejectDtd" and "maxDepth"', fix: 'did you mean "rejectDtd"?' })]);
    });
  });

  describe("levels", () => {
    it("an operation's declaration replaces the API's", async () => {
      const platform = testPlatform();
      itemsApi(platform, "items", { policies: [apiKey(), threatProtection()], operations: { createItem: { policies: [threatProtection({ injection: { locations: ["body"] } })] } } });
      const manifest = await compileOk(platform);
      const replaced = chainOf(manifest, "items-v1", "createItem").filter((candidate) => candidate.policy === "threatProtection");
      expect(replaced.map((candidate) => [candidate.id, candidate.config])).toEqual([
        ["items-v1/createItem/threatProtection", { ...defaults, injection: { ...defaults.injection, locations: ["body"] } }],
      ]);
      expect(chainOf(manifest, "items-v1", "listItems").filter((candidate) => candidate.policy === "threatProtection").map((candidate) => candidate.id)).toEqual(["items-v1/threatProtection"]);
    });

    it("cannot be attached to a plan", async () => {
      const platform = testPlatform();
      new Plan(platform, "free", { policies: [threatProtection()] });
      itemsApi(platform);
      const [error, ...rest] = withCode(await compileErrors(platform), "policy-not-attachable");
      expect(rest).toEqual([]);
      expect(error).toMatchObject({ path: "acme/free/policies[0]", message: "threatProtection cannot be attached to a plan", expected: "attached to platform, api and operation" });
    });
  });
});
