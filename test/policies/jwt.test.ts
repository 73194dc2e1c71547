/**
 * jwt (policies/jwt/schema.ts): options with their defaults, the security schemes it
 * implements, and the compile errors a user sees.
 */
import { OpenApi, Plan, type PolicyDeclaration, apiKey, jwt } from "../../constructs/index";
import { chainOf, compileErrors, compileOk, itemsApi, itemsContract, testPlatform, withCode } from "../helpers/declaration";
import { invalidPolicy, policyEntries, policyErrors } from "../helpers/policy";

type Json = Record<string, unknown>;

const issuer = "https://id.acme.example/";
const jwksUrl = "https://id.acme.example/.well-known/jwks.json";

/** The items contract secured by a bearer scheme instead of the API key. */
const bearerContract = () =>
  OpenApi.fromDocument(
    itemsContract((doc) => {
      (doc.components as Json).securitySchemes = { Bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } };
      doc.security = [{ Bearer: [] }];
    }),
  );

const defaults = {
  requiredScopes: [],
  algorithms: ["RS256"],
  clockSkewSeconds: 30,
  jwksCacheSeconds: 600,
  header: "authorization",
  consumerClaim: "sub",
  scopeClaim: "scope",
  forwardClaims: {},
};

/** The resolved jwt configuration on listItems, on the bearer contract unless told otherwise. */
const jwtConfig = async (policies: PolicyDeclaration[], contract = bearerContract()) => (await policyEntries("jwt", policies, { contract }))[0]?.config;

/** The jwt policy under test is declared alone, on the bearer contract: errors point at policies[0]. */
const jwtErrors = (policies: PolicyDeclaration[]) => policyErrors(policies, { contract: bearerContract(), prependApiKey: false });
const invalid = (field: string | undefined, message: RegExp, more?: Json) => invalidPolicy(field, message, more, "acme/items/policies[0]");

describe("jwt", () => {
  describe("valid options", () => {
    it("fills in every default and implements the contract's bearer scheme", async () => {
      expect(await jwtConfig([jwt({ issuer, jwksUrl, audiences: ["items"] })])).toEqual({
        issuer,
        jwksUrl,
        audiences: ["items"],
        ...defaults,
        securitySchemes: ["Bearer"],
      });
    });

    it("resolves securitySchemes to every bearer, oauth2 and openIdConnect scheme of the contract, sorted, and no apiKey scheme", async () => {
      const contract = OpenApi.fromDocument(
        itemsContract((doc) => {
          const schemes = (doc.components as { securitySchemes: Json }).securitySchemes;
          schemes.Oidc = { type: "openIdConnect", openIdConnectUrl: "https://id.acme.example/.well-known/openid-configuration" };
          schemes.OAuth = { type: "oauth2", flows: { clientCredentials: { tokenUrl: "https://id.acme.example/token", scopes: { "items:read": "Read items" } } } };
          schemes.Bearer = { type: "http", scheme: "bearer" };
          doc.security = [{ ApiKeyAuth: [] }, { OAuth: ["items:read"] }];
        }),
      );
      const config = await jwtConfig([apiKey(), jwt({ issuer, jwksUrl, audiences: ["items"] })], contract);
      expect(config).toMatchObject({ securitySchemes: ["Bearer", "OAuth", "Oidc"] });
    });

    it("resolves every option as written, de-duplicating and sorting the required scopes and lower-casing header names", async () => {
      const config = await jwtConfig([
        jwt({
          issuer,
          jwksUrl,
          audiences: ["items", "orders"],
          requiredScopes: ["items:write", "items:read", "items:write"],
          algorithms: ["ES256", "EdDSA"],
          clockSkewSeconds: 0,
          jwksCacheSeconds: 86_400,
          header: "X-Access-Token",
          consumerClaim: "client_id",
          scopeClaim: "scp",
          forwardClaims: { sub: "X-Subject", tenant: "X-Tenant" },
        }),
      ]);
      expect(config).toEqual({
        issuer,
        jwksUrl,
        audiences: ["items", "orders"],
        requiredScopes: ["items:read", "items:write"],
        algorithms: ["ES256", "EdDSA"],
        clockSkewSeconds: 0,
        jwksCacheSeconds: 86_400,
        header: "x-access-token",
        consumerClaim: "client_id",
        scopeClaim: "scp",
        forwardClaims: { sub: "x-subject", tenant: "x-tenant" },
        securitySchemes: ["Bearer"],
      });
    });

    it.each(["http://localhost:8080/jwks", "http://127.0.0.1/jwks.json", "http://[::1]:9000/keys"])("accepts an http JWKS URL on localhost (%s)", async (url) => {
      expect(await jwtConfig([jwt({ issuer, jwksUrl: url, audiences: ["items"] })])).toMatchObject({ jwksUrl: url });
    });

    it("implements no scheme of a contract that only defines an apiKey scheme, so it stays only where the contract is silent", async () => {
      const silent = OpenApi.fromDocument(itemsContract((doc) => delete doc.security));
      expect(await jwtConfig([jwt({ issuer, jwksUrl, audiences: ["items"] })], silent)).toEqual({ issuer, jwksUrl, audiences: ["items"], ...defaults, securitySchemes: [] });

      // With the contract requiring ApiKeyAuth, a jwt implementing nothing required leaves the chain.
      const platform = testPlatform();
      itemsApi(platform, "items", { policies: [apiKey(), jwt({ issuer, jwksUrl, audiences: ["items"] })] });
      const manifest = await compileOk(platform);
      expect(chainOf(manifest, "items-v1", "listItems").map((entry) => entry.policy)).toEqual(["apiKey"]);
    });
  });

  describe("invalid options", () => {
    it("rejects an http JWKS URL on a host other than localhost", async () => {
      expect(await jwtErrors([jwt({ issuer, jwksUrl: "http://id.acme.example/jwks.json", audiences: ["items"] })])).toEqual([
        invalid("jwksUrl", /^jwt: must be an https URL \(http is accepted for localhost only\)$/, { received: '"http://id.acme.example/jwks.json"' }),
      ]);
    });

    it("does not take a host that merely starts with localhost for localhost", async () => {
      expect(await jwtErrors([jwt({ issuer, jwksUrl: "http://localhost.evil.example/jwks", audiences: ["items"] })])).toEqual([
        invalid("jwksUrl", /must be an https URL/, { received: '"http://localhost.evil.example/jwks"' }),
      ]);
    });

    it("rejects a JWKS URL that is not a URL or not http(s)", async () => {
      // Both checks report: the URL format, and the https rule.
      expect(await jwtErrors([jwt({ issuer, jwksUrl: "ftp://id.acme.example/jwks.json", audiences: ["items"] })])).toEqual([
        invalid("jwksUrl", /Invalid URL/, { expected: "url", received: '"ftp://id.acme.example/jwks.json"' }),
        invalid("jwksUrl", /must be an https URL/, { received: '"ftp://id.acme.example/jwks.json"' }),
      ]);
      expect(await jwtErrors([jwt({ issuer, jwksUrl: "jwks.json", audiences: ["items"] })])).toEqual([
        invalid("jwksUrl", /Invalid URL/, { expected: "url", received: '"jwks.json"' }),
        invalid("jwksUrl", /must be an https URL/, { received: '"jwks.json"' }),
      ]);
    });

    it("rejects an empty audience list: a token minted for another service must not be accepted", async () => {
      expect(await jwtErrors([jwt({ issuer, jwksUrl, audiences: [] })])).toEqual([
        invalid("audiences", /^jwt: list at least one audience: a token minted for another service must not be accepted$/, { expected: "at least 1 item(s)", received: "[]" }),
      ]);
    });

    it('rejects the algorithm "none" and shared-secret HMAC algorithms', async () => {
      // @ts-expect-error only asymmetric algorithms are accepted
      const errors = await jwtErrors([jwt({ issuer, jwksUrl, audiences: ["items"], algorithms: ["none", "HS256"] })]);
      const asymmetric = 'one of "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"';
      expect(errors).toEqual([
        invalid("algorithms[0]", /^jwt: Invalid option/, { expected: asymmetric, received: '"none"' }),
        invalid("algorithms[1]", /^jwt: Invalid option/, { expected: asymmetric, received: '"HS256"' }),
      ]);
    });

    it("rejects an empty algorithm list", async () => {
      expect(await jwtErrors([jwt({ issuer, jwksUrl, audiences: ["items"], algorithms: [] })])).toEqual([
        invalid("algorithms", /Too small/, { expected: "at least 1 item(s)", received: "[]" }),
      ]);
    });

    it("rejects clock skew and JWKS cache durations out of range", async () => {
      expect(await jwtErrors([jwt({ issuer, jwksUrl, audiences: ["items"], clockSkewSeconds: 301, jwksCacheSeconds: 29 })])).toEqual([
        invalid("clockSkewSeconds", /Too big/, { expected: "<= 300", received: "301" }),
        invalid("jwksCacheSeconds", /Too small/, { expected: ">= 30", received: "29" }),
      ]);
      expect(await jwtErrors([jwt({ issuer, jwksUrl, audiences: ["items"], clockSkewSeconds: -1, jwksCacheSeconds: 86_401 })])).toEqual([
        invalid("clockSkewSeconds", /Too small/, { expected: ">= 0", received: "-1" }),
        invalid("jwksCacheSeconds", /Too big/, { expected: "<= 86400", received: "86401" }),
      ]);
    });

    it("rejects wrong types and missing required options", async () => {
      // @ts-expect-error issuer and jwksUrl are required, clockSkewSeconds is a number
      const errors = await jwtErrors([jwt({ audiences: "items", clockSkewSeconds: "30" })]);
      expect(errors).toEqual([
        invalid("audiences", /expected array, received string/, { expected: "array", received: '"items"' }),
        invalid("clockSkewSeconds", /expected number, received string/, { expected: "number", received: '"30"' }),
        invalid("issuer", /expected string, received undefined/, { expected: "string", received: "nothing" }),
        invalid("jwksUrl", /expected string, received undefined/, { expected: "string", received: "nothing" }),
      ]);
    });

    it("rejects an empty issuer and a forwarded claim header that is not an HTTP token", async () => {
      expect(await jwtErrors([jwt({ issuer: "", jwksUrl, audiences: ["items"], forwardClaims: { sub: "X Subject" } })])).toEqual([
        invalid("forwardClaims.sub", /a header name is an RFC 9110 token/, { received: '"X Subject"' }),
        invalid("issuer", /Too small/, { expected: ">= 1 character(s)", received: '""' }),
      ]);
    });

    it("rejects an unknown property with a did-you-mean fix", async () => {
      // @ts-expect-error typo of audiences
      const errors = await jwtErrors([jwt({ issuer, jwksUrl, audience: ["items"] })]);
      expect(errors).toEqual([
        invalid("audience", /^jwt: unknown property "audience"$/, {
          expected: expect.stringMatching(/^one of "issuer", "jwksUrl", "audiences", /),
          fix: 'did you mean "audiences"?',
        }),
        invalid("audiences", /expected array, received undefined/, { expected: "array", received: "nothing" }),
      ]);
    });
  });

  describe("levels", () => {
    it("attaches to an operation, replacing the API's declaration there", async () => {
      const platform = testPlatform();
      itemsApi(platform, "items", {
        contract: bearerContract(),
        policies: [jwt({ issuer, jwksUrl, audiences: ["items"] })],
        operations: { deleteItem: { policies: [jwt({ issuer, jwksUrl, audiences: ["items"], requiredScopes: ["items:delete"] })] } },
      });
      const manifest = await compileOk(platform);
      const entry = (operationId: string) => chainOf(manifest, "items-v1", operationId).find((candidate) => candidate.policy === "jwt")!;
      expect([entry("getItem").id, entry("getItem").config]).toEqual(["items-v1/jwt", { issuer, jwksUrl, audiences: ["items"], ...defaults, securitySchemes: ["Bearer"] }]);
      expect([entry("deleteItem").id, entry("deleteItem").config]).toEqual([
        "items-v1/deleteItem/jwt",
        { issuer, jwksUrl, audiences: ["items"], ...defaults, requiredScopes: ["items:delete"], securitySchemes: ["Bearer"] },
      ]);
    });

    it("cannot be attached to a plan", async () => {
      const platform = testPlatform();
      new Plan(platform, "free", { policies: [jwt({ issuer, jwksUrl, audiences: ["items"] })] });
      itemsApi(platform);
      const [error, ...rest] = withCode(await compileErrors(platform), "policy-not-attachable");
      expect(rest).toEqual([]);
      expect(error).toMatchObject({ path: "acme/free/policies[0]", message: "jwt cannot be attached to a plan", expected: "attached to platform, api and operation" });
    });
  });

  describe("regressions", () => {
    // Fixed: before, the localhost exception's regex requires a "/" after the host[:port], so a JWKS URL
    // on localhost without a path is rejected with "http is accepted for localhost only".
    it("accepts an http JWKS URL on localhost without a path", async () => {
      expect(await jwtConfig([jwt({ issuer, jwksUrl: "http://localhost:8080", audiences: ["items"] })])).toMatchObject({ jwksUrl: "http://localhost:8080" });
    });
  });
});
