/**
 * cors (policies/cors/schema.ts): defaults derived per path from the contract and the chain's
 * authentication, the Fetch-standard refinements, and where it can attach.
 */
import { OpenApi, Plan, type PolicyDeclaration, apiKey, cors, jwt } from "../../constructs/index";
import { chainOf, compileErrors, compileOk, itemsApi, itemsContract, testPlatform, withCode } from "../helpers/declaration";
import { type PolicyDeclarationOptions, invalidPolicy, policyEntries, policyErrors } from "../helpers/policy";

type Json = Record<string, unknown>;

const GATEWAY_HEADERS = ["ratelimit", "ratelimit-policy", "retry-after", "x-request-id"];
const shop = "https://shop.acme.example";

/** The resolved cors configuration on an operation. */
const corsConfig = async (policies: PolicyDeclaration[], operationId: string, options: PolicyDeclarationOptions = {}) => (await policyEntries("cors", policies, { ...options, operationId }))[0]?.config;

describe("cors", () => {
  describe("defaults derived from the contract and the chain", () => {
    it("on GET /items: the path's methods, content-type + the apiKey header + the path's header parameters, and the path's response headers", async () => {
      expect(await corsConfig([apiKey(), cors({ origins: [shop] })], "listItems")).toEqual({
        origins: [shop],
        methods: ["GET", "POST"],
        // Idempotency-Key is a header parameter of POST /items, on the same path.
        allowedHeaders: ["content-type", "idempotency-key", "x-api-key"],
        // Location is a response header of POST /items.
        exposedHeaders: ["location", ...GATEWAY_HEADERS],
        credentials: false,
        maxAgeSeconds: 600,
      });
    });

    it("resolves per path: /items/{itemId} has GET and DELETE, no header parameters and no response headers", async () => {
      expect(await corsConfig([apiKey(), cors({ origins: [shop] })], "getItem")).toEqual({
        origins: [shop],
        methods: ["DELETE", "GET"],
        allowedHeaders: ["content-type", "x-api-key"],
        exposedHeaders: GATEWAY_HEADERS,
        credentials: false,
        maxAgeSeconds: 600,
      });
    });

    it("leaves the apiKey header out on the public getHealth operation, which drops authentication", async () => {
      expect(await corsConfig([apiKey(), cors({ origins: [shop] })], "getHealth")).toEqual({
        origins: [shop],
        methods: ["GET"],
        allowedHeaders: ["content-type"],
        exposedHeaders: GATEWAY_HEADERS,
        credentials: false,
        maxAgeSeconds: 600,
      });
    });

    it("allows the apiKey header of the contract's scheme, and no header for a key sent in the query", async () => {
      const headerContract = OpenApi.fromDocument(
        itemsContract((doc) => {
          (doc.components as { securitySchemes: Json }).securitySchemes.ApiKeyAuth = { type: "apiKey", in: "header", name: "X-Items-Key" };
        }),
      );
      const queryContract = OpenApi.fromDocument(
        itemsContract((doc) => {
          (doc.components as { securitySchemes: Json }).securitySchemes.ApiKeyAuth = { type: "apiKey", in: "query", name: "key" };
        }),
      );
      expect(await corsConfig([apiKey(), cors({ origins: [shop] })], "getItem", { contract: headerContract })).toMatchObject({ allowedHeaders: ["content-type", "x-items-key"] });
      expect(await corsConfig([apiKey(), cors({ origins: [shop] })], "getItem", { contract: queryContract })).toMatchObject({ allowedHeaders: ["content-type"] });
    });

    it("allows the jwt policy's token header", async () => {
      const contract = OpenApi.fromDocument(
        itemsContract((doc) => {
          (doc.components as Json).securitySchemes = { Bearer: { type: "http", scheme: "bearer" } };
          doc.security = [{ Bearer: [] }];
        }),
      );
      const bearer = jwt({ issuer: "https://id.acme.example/", jwksUrl: "https://id.acme.example/jwks.json", audiences: ["items"], header: "X-Access-Token" });
      expect(await corsConfig([bearer, cors({ origins: [shop] })], "getItem", { contract })).toMatchObject({ allowedHeaders: ["content-type", "x-access-token"] });
    });

    it("resolves at platform level for every API, path by path", async () => {
      const platform = testPlatform({ policies: [cors({ origins: ["*"] })] });
      itemsApi(platform);
      const manifest = await compileOk(platform);
      const entry = chainOf(manifest, "items-v1", "createItem").find((candidate) => candidate.policy === "cors")!;
      expect([entry.scope, entry.level, entry.phases]).toEqual(["platform/cors", "platform", ["access", "response"]]);
      expect(entry.config).toEqual({
        origins: ["*"],
        methods: ["GET", "POST"],
        allowedHeaders: ["content-type", "idempotency-key", "x-api-key"],
        exposedHeaders: ["location", ...GATEWAY_HEADERS],
        credentials: false,
        maxAgeSeconds: 600,
      });
    });
  });

  describe("explicit options", () => {
    it("replaces the defaults, de-duplicated and sorted, with methods upper-cased and header names lower-cased", async () => {
      const config = await corsConfig(
        [
          apiKey(),
          cors({
            origins: ["https://www.acme.example", shop, shop, "http://localhost:3000"],
            methods: ["get", "POST", "GET"],
            allowedHeaders: ["X-Trace", "Content-Type"],
            exposedHeaders: ["X-Request-Id", "ETag"],
            credentials: true,
            maxAgeSeconds: 0,
          }),
        ],
        "getItem",
      );
      expect(config).toEqual({
        origins: ["http://localhost:3000", shop, "https://www.acme.example"],
        methods: ["GET", "POST"],
        allowedHeaders: ["content-type", "x-trace"],
        exposedHeaders: ["etag", "x-request-id"],
        credentials: true,
        maxAgeSeconds: 0,
      });
    });

    it("accepts an empty allowedHeaders or exposedHeaders list as written", async () => {
      expect(await corsConfig([apiKey(), cors({ origins: [shop], allowedHeaders: [], exposedHeaders: [], maxAgeSeconds: 86_400 })], "listItems")).toEqual({
        origins: [shop],
        methods: ["GET", "POST"],
        allowedHeaders: [],
        exposedHeaders: [],
        credentials: false,
        maxAgeSeconds: 86_400,
      });
    });
  });

  describe("invalid options", () => {
    it('refuses credentials for origin "*" (the Fetch standard forbids it)', async () => {
      expect(await policyErrors([cors({ origins: ["*"], credentials: true })])).toEqual([
        invalidPolicy("credentials", /^cors: credentials cannot be allowed for origin "\*" \(the Fetch standard forbids it\); list the origins$/),
      ]);
    });

    it("refuses an origin with a path, a trailing slash or no scheme", async () => {
      const errors = await policyErrors([cors({ origins: ["https://shop.acme.example/checkout", "https://shop.acme.example/", "shop.acme.example", "ftp://shop.acme.example"] })]);
      const origin = /^cors: an origin is scheme:\/\/host\[:port\] with no path or trailing slash/;
      expect(errors).toEqual([
        invalidPolicy("origins[0]", origin, { received: '"https://shop.acme.example/checkout"' }),
        invalidPolicy("origins[1]", origin, { received: '"https://shop.acme.example/"' }),
        invalidPolicy("origins[2]", origin, { received: '"shop.acme.example"' }),
        invalidPolicy("origins[3]", origin, { received: '"ftp://shop.acme.example"' }),
      ]);
    });

    it("requires at least one origin", async () => {
      expect(await policyErrors([cors({ origins: [] })])).toEqual([invalidPolicy("origins", /Too small/, { expected: "at least 1 item(s)", received: "[]" })]);
      // @ts-expect-error origins is required
      const missing = await policyErrors([cors({})]);
      expect(missing).toEqual([invalidPolicy("origins", /expected array, received undefined/, { expected: "array", received: "nothing" })]);
    });

    it("rejects an unknown method, an empty method list and a header name that is not a token", async () => {
      // Methods are typed as strings (any case is accepted), so only the compile catches this.
      const errors = await policyErrors([cors({ origins: [shop], methods: ["FETCH"], allowedHeaders: ["X Trace"] })]);
      expect(errors).toEqual([
        invalidPolicy("allowedHeaders[0]", /a header name is an RFC 9110 token/, { received: '"X Trace"' }),
        invalidPolicy("methods[0]", /Invalid option/, { expected: 'one of "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"', received: '"FETCH"' }),
      ]);
      expect(await policyErrors([cors({ origins: [shop], methods: [] })])).toEqual([invalidPolicy("methods", /Too small/, { expected: "at least 1 item(s)", received: "[]" })]);
    });

    it("rejects a preflight max age out of range and wrong types", async () => {
      expect(await policyErrors([cors({ origins: [shop], maxAgeSeconds: 86_401 })])).toEqual([invalidPolicy("maxAgeSeconds", /Too big/, { expected: "<= 86400", received: "86401" })]);
      // @ts-expect-error credentials is a boolean, maxAgeSeconds a number
      const errors = await policyErrors([cors({ origins: [shop], credentials: "true", maxAgeSeconds: -1 })]);
      expect(errors).toEqual([
        // The field name contains "credential", so the value is not echoed back.
        invalidPolicy("credentials", /expected boolean, received string/, { expected: "boolean", received: "a string (not shown: it may be a secret)" }),
        invalidPolicy("maxAgeSeconds", /Too small/, { expected: ">= 0", received: "-1" }),
      ]);
    });

    it("rejects an unknown property with a did-you-mean fix", async () => {
      // @ts-expect-error typo of origins
      const errors = await policyErrors([cors({ origin: [shop] })]);
      expect(errors).toEqual([
        invalidPolicy("origin", /^cors: unknown property "origin"$/, {
          expected: 'one of "origins", "methods", "allowedHeaders", "exposedHeaders", "credentials" and "maxAgeSeconds"',
          fix: 'did you mean "origins"?',
        }),
        invalidPolicy("origins", /expected array, received undefined/, { expected: "array", received: "nothing" }),
      ]);
    });
  });

  describe("levels", () => {
    it("cannot be attached to an operation: preflight answers are per path", async () => {
      const platform = testPlatform();
      itemsApi(platform, "items", { operations: { getItem: { policies: [cors({ origins: [shop] })] } } });
      expect(withCode(await compileErrors(platform), "policy-not-attachable")).toEqual([
        {
          severity: "error",
          code: "policy-not-attachable",
          path: "acme/items/operations.getItem.policies[0]",
          message: "cors cannot be attached to an operation",
          expected: "attached to platform and api",
          fix: "CORS preflight answers are per path and carry no credentials; attach cors() to the platform or the API",
        },
      ]);
    });

    it("cannot be declared in a plan's policies", async () => {
      const platform = testPlatform();
      new Plan(platform, "free", { policies: [cors({ origins: [shop] })] });
      itemsApi(platform);
      expect(withCode(await compileErrors(platform), "policy-not-attachable")).toEqual([
        {
          severity: "error",
          code: "policy-not-attachable",
          path: "acme/free/policies[0]",
          message: "cors cannot be attached to a plan",
          expected: "attached to platform and api",
          fix: expect.stringMatching(/plan policies run after authentication/),
        },
      ]);
    });

    it("can be excluded by an operation that inherits it", async () => {
      const platform = testPlatform();
      itemsApi(platform, "items", { policies: [apiKey(), cors({ origins: [shop] })], operations: { deleteItem: { excludePolicies: ["cors"] } } });
      const manifest = await compileOk(platform);
      expect(chainOf(manifest, "items-v1", "deleteItem").map((entry) => entry.policy)).toEqual(["apiKey"]);
      expect(chainOf(manifest, "items-v1", "getItem").map((entry) => entry.policy)).toEqual(["cors", "apiKey"]);
    });
  });

  describe("regressions", () => {
    // Fixed: before, the default exposedHeaders hard-code "x-request-id", but the platform's
    // gateway.requestIdHeader may name another header; scripts can then not read the request id
    // the gateway actually sends (and may read a header the gateway never sets).
    it("exposes the platform's request id header by default", async () => {
      const config = await corsConfig([apiKey(), cors({ origins: [shop] })], "getItem", { platform: { gateway: { requestIdHeader: "X-Correlation-Id" } } });
      expect(config).toMatchObject({ exposedHeaders: ["ratelimit", "ratelimit-policy", "retry-after", "x-correlation-id"] });
    });
  });
});
