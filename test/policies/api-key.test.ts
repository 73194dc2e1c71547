/**
 * apiKey (policies/api-key/schema.ts): options, resolution from the contract's apiKey security
 * scheme, and the compile errors a user sees.
 */
import { OpenApi, Plan, type PolicyDeclaration, apiKey } from "../../constructs/index";
import { chainOf, compileErrors, compileOk, itemsApi, itemsContract, testPlatform, withCode } from "../helpers/declaration";
import { policyEntries, policyErrors } from "../helpers/policy";

type Json = Record<string, unknown>;
type Schemes = Record<string, unknown>;

/** The items contract with its security schemes (and optionally its root security) replaced. */
function contractWith(securitySchemes: Schemes, security?: unknown[] | null): OpenApi {
  return OpenApi.fromDocument(
    itemsContract((doc) => {
      (doc.components as Json).securitySchemes = securitySchemes;
      if (security === null) delete doc.security;
      else if (security !== undefined) doc.security = security;
    }),
  );
}

/** The resolved apiKey configuration on listItems. */
const apiKeyConfig = async (policies: PolicyDeclaration[], contract?: OpenApi) => (await policyEntries("apiKey", policies, { contract }))[0]?.config;

/** apiKey is the policy under test here, so nothing is declared before it. */
const apiKeyErrors = (policies: PolicyDeclaration[], contract?: OpenApi) => policyErrors(policies, { contract, prependApiKey: false });

describe("apiKey", () => {
  describe("resolution from the contract", () => {
    it("implements two key schemes a contract offers as alternatives with one declaration each", async () => {
      const contract = contractWith(
        { HeaderKey: { type: "apiKey", in: "header", name: "X-API-Key" }, QueryKey: { type: "apiKey", in: "query", name: "apiKey" } },
        [{ HeaderKey: [] }, { QueryKey: [] }],
      );
      const platform = testPlatform();
      itemsApi(platform, "items", { contract, policies: [apiKey({ in: "header", name: "X-API-Key" }), apiKey({ in: "query", name: "apiKey" })] });
      const manifest = await compileOk(platform);
      expect(chainOf(manifest, "items-v1", "getItem").map((entry) => [entry.scope, entry.config])).toEqual([
        ["items-v1/apiKey:header:x-api-key", { in: "header", name: "x-api-key", hideCredentials: true, securityScheme: "HeaderKey" }],
        ["items-v1/apiKey:query:apiKey", { in: "query", name: "apiKey", hideCredentials: true, securityScheme: "QueryKey" }],
      ]);
    });

    it("takes the location from the contract's apiKey scheme, lower-casing the header name", async () => {
      // The items contract declares ApiKeyAuth: header "X-API-Key".
      expect(await apiKeyConfig([apiKey()])).toEqual({ in: "header", name: "x-api-key", hideCredentials: true, securityScheme: "ApiKeyAuth" });
    });

    it("takes a query location from the contract and keeps the query parameter's case", async () => {
      const contract = contractWith({ ApiKeyAuth: { type: "apiKey", in: "query", name: "apiKey" } });
      expect(await apiKeyConfig([apiKey()], contract)).toEqual({ in: "query", name: "apiKey", hideCredentials: true, securityScheme: "ApiKeyAuth" });
    });

    it("defaults to header x-api-key with no security scheme when the contract defines no apiKey scheme", async () => {
      const contract = contractWith({}, null);
      expect(await apiKeyConfig([apiKey()], contract)).toEqual({ in: "header", name: "x-api-key", hideCredentials: true, securityScheme: null });
    });

    it("uses a declared location when the contract defines no apiKey scheme, lower-casing a header name", async () => {
      const contract = contractWith({}, null);
      expect(await apiKeyConfig([apiKey({ name: "X-Token", hideCredentials: false })], contract)).toEqual({
        in: "header",
        name: "x-token",
        hideCredentials: false,
        securityScheme: null,
      });
    });

    it("accepts a declared location that agrees with the contract, whatever the header name's case", async () => {
      expect(await apiKeyConfig([apiKey({ in: "header", name: "X-API-Key" })])).toEqual({ in: "header", name: "x-api-key", hideCredentials: true, securityScheme: "ApiKeyAuth" });
    });

    it("picks, of two apiKey schemes, the one the declared location names", async () => {
      // The contract says nothing about security, so both schemes are candidates.
      const contract = contractWith(
        { ApiKeyAuth: { type: "apiKey", in: "header", name: "X-API-Key" }, QueryKey: { type: "apiKey", in: "query", name: "key" } },
        null,
      );
      expect(await apiKeyConfig([apiKey({ in: "query", name: "key" })], contract)).toEqual({ in: "query", name: "key", hideCredentials: true, securityScheme: "QueryKey" });
    });

    it("is dropped from the chain of a public operation (security: [])", async () => {
      const platform = testPlatform();
      itemsApi(platform, "items", { policies: [apiKey()] });
      const manifest = await compileOk(platform);
      expect(chainOf(manifest, "items-v1", "getHealth").map((entry) => entry.policy)).toEqual([]);
      expect(chainOf(manifest, "items-v1", "getItem").map((entry) => [entry.id, entry.policy, entry.level, entry.phases])).toEqual([["items-v1/apiKey", "apiKey", "api", ["access"]]]);
    });
  });

  describe("disagreements with the contract", () => {
    it("is an error when the declared location (in) disagrees with the contract's scheme", async () => {
      expect(await apiKeyErrors([apiKey({ in: "query" })])).toEqual([
        {
          severity: "error",
          code: "invalid-policy",
          path: "acme/items/policies[0]",
          field: "in",
          message: expect.stringMatching(/^apiKey: the contract's apiKey scheme "ApiKeyAuth" sends the key in header "x-api-key", but the policy reads query "x-api-key"/),
          expected: 'header "x-api-key"',
          received: 'query "x-api-key"',
          fix: "remove `in` and `name` from apiKey() to use the contract's location, or change the contract",
        },
      ]);
    });

    it("is an error when the declared name disagrees with the contract's scheme", async () => {
      const [error, ...rest] = await apiKeyErrors([apiKey({ name: "X-Key" })]);
      expect(rest).toEqual([]);
      expect(error).toMatchObject({ path: "acme/items/policies[0]", field: "name", expected: 'header "x-api-key"', received: 'header "x-key"' });
      expect(error!.message).toMatch(/the portal would document one and the gateway enforce the other/);
    });

    it("is an error when an operation accepts two apiKey schemes and the policy does not say which it implements", async () => {
      const contract = contractWith(
        { ApiKeyAuth: { type: "apiKey", in: "header", name: "X-API-Key" }, QueryKey: { type: "apiKey", in: "query", name: "key" } },
        [{ ApiKeyAuth: [] }, { QueryKey: [] }],
      );
      expect(await apiKeyErrors([apiKey()], contract)).toEqual([
        {
          severity: "error",
          code: "invalid-policy",
          path: "acme/items/policies[0]",
          message: "apiKey: the contract defines 2 apiKey security schemes (ApiKeyAuth, QueryKey); the policy cannot tell which one it implements",
          fix: "set `in` and `name` on apiKey({ ... }) to the scheme it implements",
        },
      ]);
    });

    it("is an error when the contract's apiKey scheme sends the key in a cookie", async () => {
      const contract = contractWith({ ApiKeyAuth: { type: "apiKey", in: "cookie", name: "session" } });
      expect(await apiKeyErrors([apiKey()], contract)).toEqual([
        {
          severity: "error",
          code: "invalid-policy",
          path: "acme/items/policies[0]",
          message: 'apiKey: the contract\'s apiKey scheme "ApiKeyAuth" sends the key in a cookie; the gateway reads keys from a header or the query',
          fix: "send the key in a header (e.g. X-API-Key)",
        },
      ]);
    });
  });

  describe("invalid options", () => {
    it("rejects a location other than header or query", async () => {
      // @ts-expect-error cookies are not a location the policy reads
      const errors = await apiKeyErrors([apiKey({ in: "cookie" })]);
      expect(errors).toEqual([
        {
          severity: "error",
          code: "invalid-policy",
          path: "acme/items/policies[0]",
          field: "in",
          message: expect.stringMatching(/^apiKey: Invalid option/),
          expected: 'one of "header", "query"',
          received: '"cookie"',
        },
      ]);
    });

    it("rejects a name that is not an HTTP token and a non-boolean hideCredentials", async () => {
      // @ts-expect-error hideCredentials is a boolean
      const errors = await apiKeyErrors([apiKey({ name: "X API Key", hideCredentials: "yes" })]);
      expect(errors).toEqual([
        {
          severity: "error",
          code: "invalid-policy",
          path: "acme/items/policies[0]",
          field: "hideCredentials",
          message: expect.stringMatching(/expected boolean, received string/),
          expected: "boolean",
          received: '"yes"',
        },
        {
          severity: "error",
          code: "invalid-policy",
          path: "acme/items/policies[0]",
          field: "name",
          message: expect.stringMatching(/a header name is an RFC 9110 token/),
        },
      ]);
    });

    it("rejects an unknown property with a did-you-mean fix", async () => {
      // @ts-expect-error typo of hideCredentials
      const errors = await apiKeyErrors([apiKey({ hideCredential: false })]);
      expect(errors).toEqual([
        {
          severity: "error",
          code: "invalid-policy",
          path: "acme/items/policies[0]",
          field: "hideCredential",
          message: 'apiKey: unknown property "hideCredential"',
          expected: 'one of "in", "name" and "hideCredentials"',
          fix: 'did you mean "hideCredentials"?',
        },
      ]);
    });
  });

  describe("levels", () => {
    it("attaches to the platform, and an operation's declaration replaces it there", async () => {
      const platform = testPlatform({ policies: [apiKey()] });
      itemsApi(platform, "items", { policies: [], operations: { createItem: { policies: [apiKey({ hideCredentials: false })] } } });
      const manifest = await compileOk(platform);
      const entry = (operationId: string) => chainOf(manifest, "items-v1", operationId).find((candidate) => candidate.policy === "apiKey")!;
      expect([entry("listItems").id, entry("listItems").config]).toEqual(["platform/apiKey", { in: "header", name: "x-api-key", hideCredentials: true, securityScheme: "ApiKeyAuth" }]);
      expect([entry("createItem").id, entry("createItem").config]).toEqual([
        "items-v1/createItem/apiKey",
        { in: "header", name: "x-api-key", hideCredentials: false, securityScheme: "ApiKeyAuth" },
      ]);
    });

    it("cannot be attached to a plan", async () => {
      const platform = testPlatform();
      new Plan(platform, "free", { policies: [apiKey()] });
      itemsApi(platform);
      expect(withCode(await compileErrors(platform), "policy-not-attachable")).toEqual([
        {
          severity: "error",
          code: "policy-not-attachable",
          path: "acme/free/policies[0]",
          message: "apiKey cannot be attached to a plan",
          expected: "attached to platform, api and operation",
          fix: expect.stringMatching(/plan policies run after authentication/),
        },
      ]);
    });
  });

  describe("regressions", () => {
    // Fixed: before, `name` is parsed with `headerName`, which lower-cases it even for `in: "query"`.
    // Query parameter names are case-sensitive, so declaring exactly the contract's query
    // parameter is reported as a disagreement (and, without a contract scheme, the gateway
    // would read "apikey" instead of the "apiKey" the user wrote).
    it("keeps the case of a declared query parameter name that matches the contract", async () => {
      const contract = contractWith({ ApiKeyAuth: { type: "apiKey", in: "query", name: "apiKey" } });
      expect(await apiKeyConfig([apiKey({ in: "query", name: "apiKey" })], contract)).toEqual({ in: "query", name: "apiKey", hideCredentials: true, securityScheme: "ApiKeyAuth" });
    });
  });
});
