/**
 * ipFilter (policies/ip-filter/schema.ts): allow and deny lists of IPv4/IPv6 ranges,
 * normalized to address/prefix, and the compile errors a user sees.
 */
import { Plan, type PolicyDeclaration, apiKey, ipFilter } from "../../constructs/index";
import { chainOf, compileErrors, compileOk, itemsApi, testPlatform, withCode } from "../helpers/declaration";
import { invalidPolicy, policyEntries, policyErrors } from "../helpers/policy";

const filterConfig = async (policies: PolicyDeclaration[], operationId = "listItems") => (await policyEntries("ipFilter", policies, { operationId }))[0];

const notARange = (value: string) => new RegExp(`^ipFilter: "${value.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}" is not an IPv4/IPv6 address or CIDR range \\(e\\.g\\. 10\\.0\\.0\\.0/8, 2001:db8::/32\\)$`);

describe("ipFilter", () => {
  describe("valid options", () => {
    it("normalizes ranges: a bare address becomes /32 or /128, IPv6 is lower-cased, and the other list defaults to []", async () => {
      const entry = await filterConfig([apiKey(), ipFilter({ allow: ["10.0.0.0/8", "192.0.2.7", "2001:DB8::/32", "::1"] })]);
      expect(entry!.config).toEqual({ allow: ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "::1/128"], deny: [] });
    });

    it("accepts a deny list alone", async () => {
      const entry = await filterConfig([apiKey(), ipFilter({ deny: ["203.0.113.0/24", "2001:db8:bad::/48"] })]);
      // Sorted: the order of ranges means nothing (deny wins over allow).
      expect(entry!.config).toEqual({ allow: [], deny: ["2001:db8:bad::/48", "203.0.113.0/24"] });
    });

    it("accepts both lists, /0 and full-length prefixes", async () => {
      const entry = await filterConfig([apiKey(), ipFilter({ allow: ["0.0.0.0/0", "::/0"], deny: ["198.51.100.1/32", "fe80::1/128"] })]);
      expect(entry!.config).toEqual({ allow: ["0.0.0.0/0", "::/0"], deny: ["198.51.100.1/32", "fe80::1/128"] });
    });

    it("runs first in the access phase, before authentication, on public operations too", async () => {
      const declared = [apiKey(), ipFilter({ deny: ["203.0.113.0/24"] })];
      expect((await filterConfig(declared, "getHealth"))!.config).toEqual({ allow: [], deny: ["203.0.113.0/24"] });
      const platform = testPlatform();
      itemsApi(platform, "items", { policies: declared });
      const manifest = await compileOk(platform);
      expect(chainOf(manifest, "items-v1", "getItem").map((entry) => [entry.policy, entry.phases])).toEqual([
        ["ipFilter", ["access"]],
        ["apiKey", ["access"]],
      ]);
    });
  });

  describe("invalid options", () => {
    it("needs at least one range in allow or deny", async () => {
      const needsOne = /^ipFilter: an ipFilter needs at least one range in `allow` or `deny`$/;
      expect(await policyErrors([ipFilter({})])).toEqual([invalidPolicy(undefined, needsOne)]);
      expect(await policyErrors([ipFilter({ allow: [], deny: [] })])).toEqual([invalidPolicy(undefined, needsOne)]);
    });

    it("rejects an IPv4 prefix beyond /32 and an IPv6 prefix beyond /128", async () => {
      expect(await policyErrors([ipFilter({ allow: ["10.0.0.0/33"], deny: ["::1/129"] })])).toEqual([
        invalidPolicy("allow[0]", notARange("10.0.0.0/33"), { received: '"10.0.0.0/33"' }),
        invalidPolicy("deny[0]", notARange("::1/129"), { received: '"::1/129"' }),
      ]);
    });

    it("rejects host names, malformed addresses, non-numeric prefixes and extra slashes", async () => {
      const values = ["gateway.acme.example", "10.0.0.256", "10.0.0.0/", "10.0.0.0/8a", "10.0.0.0/-1", "10.0.0.0/8/8", "2001:db8:::/32"];
      expect(await policyErrors([ipFilter({ deny: values })])).toEqual(values.map((value, index) => invalidPolicy(`deny[${index}]`, notARange(value), { received: JSON.stringify(value) })));
    });

    it("rejects wrong types", async () => {
      // @ts-expect-error allow is a list
      const errors = await policyErrors([ipFilter({ allow: "10.0.0.0/8", deny: [42] })]);
      expect(errors).toEqual([
        invalidPolicy("allow", /expected array, received string/, { expected: "array", received: '"10.0.0.0/8"' }),
        invalidPolicy("deny[0]", /expected string, received number/, { expected: "string", received: "42" }),
      ]);
    });

    it("rejects an unknown property with a did-you-mean fix", async () => {
      // @ts-expect-error typo of deny
      const errors = await policyErrors([ipFilter({ denny: ["203.0.113.0/24"] })]);
      expect(errors).toEqual([
        // With the misspelt list ignored, both lists are empty.
        invalidPolicy(undefined, /needs at least one range/),
        invalidPolicy("denny", /^ipFilter: unknown property "denny"$/, { expected: 'one of "allow" and "deny"', fix: 'did you mean "deny"?' }),
      ]);
    });
  });

  describe("levels", () => {
    it("attaches to the platform, and an operation's declaration replaces it there", async () => {
      const platform = testPlatform({ policies: [ipFilter({ deny: ["203.0.113.0/24"] })] });
      itemsApi(platform, "items", { operations: { deleteItem: { policies: [ipFilter({ allow: ["10.0.0.0/8"] })] } } });
      const manifest = await compileOk(platform);
      const entry = (operationId: string) => chainOf(manifest, "items-v1", operationId).find((candidate) => candidate.policy === "ipFilter")!;
      expect([entry("getItem").id, entry("getItem").config]).toEqual(["platform/ipFilter", { allow: [], deny: ["203.0.113.0/24"] }]);
      expect([entry("deleteItem").id, entry("deleteItem").config]).toEqual(["items-v1/deleteItem/ipFilter", { allow: ["10.0.0.0/8"], deny: [] }]);
    });

    it("cannot be attached to a plan", async () => {
      const platform = testPlatform();
      new Plan(platform, "free", { policies: [ipFilter({ allow: ["10.0.0.0/8"] })] });
      itemsApi(platform);
      const [error, ...rest] = withCode(await compileErrors(platform), "policy-not-attachable");
      expect(rest).toEqual([]);
      expect(error).toMatchObject({ path: "acme/free/policies[0]", message: "ipFilter cannot be attached to a plan", expected: "attached to platform, api and operation" });
    });
  });
});
