/**
 * The JWT Lambda authorizer's handler against a real JWKS endpoint (test/helpers/jwks.ts):
 * tokens minted with jose, verified by the handler as API Gateway would call it, and the
 * bundle esbuild makes of it at deploy.
 */
import { isBuiltin } from "node:module";
import { type AuthorizerResult, UNAUTHORIZED, createJwtAuthorizer, handler } from "../../../constructs/targets/aws/jwt-authorizer/handler";
import { jwtAuthorizerBundle } from "../../../constructs/targets/aws/jwt-authorizer/bundle";
import type { JwtAuthorizerSettings } from "../../../constructs/targets/aws/jwt-authorizer/settings";
import { type JwksServer, type SigningKey, mintToken, signingKey, startJwksServer } from "../../helpers/jwks";

const ISSUER = "https://auth.shop.example/";
const AUDIENCE = "https://api.shop.example/items";
const API = "arn:aws:execute-api:eu-west-1:123456789012:abc123";
const LIST = `${API}/live/GET/items`;

let key: SigningKey;
let jwks: JwksServer;
let settings: JwtAuthorizerSettings;
let logged: string[];
let authorize: ReturnType<typeof createJwtAuthorizer>;

beforeAll(async () => {
  key = await signingKey("RS256");
  jwks = await startJwksServer([key]);
  settings = {
    issuer: ISSUER,
    jwksUrl: jwks.url,
    audiences: [AUDIENCE],
    algorithms: ["RS256"],
    clockSkewSeconds: 30,
    jwksCacheSeconds: 600,
    requiredScopes: [],
    scopeClaim: "scope",
    consumerClaim: "sub",
    forwardClaims: { tenant: "claim_tenant" },
    operations: [
      { method: "GET", path: "/items", scopes: [["items:read"]] },
      { method: "GET", path: "/items/{itemId}", scopes: [["items:read"]] },
      { method: "POST", path: "/items", scopes: [["items:write"], ["admin"]] },
    ],
  };
});
beforeEach(() => {
  logged = [];
  authorize = createJwtAuthorizer(settings, (message) => logged.push(message));
});
afterAll(() => jwks.close());

const event = (token: string, methodArn = LIST) => ({ type: "TOKEN" as const, authorizationToken: `Bearer ${token}`, methodArn });
const claims = (extra: Record<string, unknown> = {}) => ({ iss: ISSUER, aud: AUDIENCE, sub: "partner-app", scope: "items:read", tenant: "t-42", ...extra });

describe("JWT Lambda authorizer", () => {
  it("allows a valid token on every method its scopes cover, with the subject and forwarded claims", async () => {
    const result = await authorize(event(await mintToken(key, { claims: claims() })));
    expect(result).toEqual<AuthorizerResult>({
      principalId: "partner-app",
      policyDocument: { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: [`${API}/live/GET/items`, `${API}/live/GET/items/*`] }] },
      context: { claim_tenant: "t-42" },
    });
  });

  it("accepts any one scope alternative of an operation", async () => {
    const result = await authorize(event(await mintToken(key, { claims: claims({ scope: ["admin"] }) }), `${API}/live/POST/items`));
    expect(result.policyDocument.Statement).toEqual([{ Action: "execute-api:Invoke", Effect: "Allow", Resource: [`${API}/live/POST/items`] }]);
  });

  it("rejects an expired token as Unauthorized (401)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await mintToken(key, { claims: claims({ iat: now - 600, exp: now - 120 }) });
    await expect(authorize(event(token))).rejects.toThrow(new Error(UNAUTHORIZED));
    expect(logged).toEqual([expect.stringContaining('"exp" claim timestamp check failed')]);
  });

  it("tolerates the declared clock skew on expiry", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await mintToken(key, { claims: claims({ iat: now - 600, exp: now - 10 }) });
    await expect(authorize(event(token))).resolves.toMatchObject({ principalId: "partner-app" });
  });

  it("rejects a token minted for another audience as Unauthorized (401)", async () => {
    const token = await mintToken(key, { claims: claims({ aud: "https://api.shop.example/payments" }) });
    await expect(authorize(event(token))).rejects.toThrow(new Error(UNAUTHORIZED));
    expect(logged).toEqual([expect.stringContaining('unexpected "aud" claim value')]);
  });

  it("rejects another issuer, an unknown signing key and a token without exp", async () => {
    const stranger = await signingKey("RS256");
    const now = Math.floor(Date.now() / 1000);
    for (const token of [await mintToken(key, { claims: claims({ iss: "https://evil.example/" }) }), await mintToken(stranger, { claims: claims() }), await mintToken(key, { claims: claims({ exp: undefined, iat: now }) })]) {
      await expect(authorize(event(token))).rejects.toThrow(new Error(UNAUTHORIZED));
    }
  });

  it("denies a valid token missing the operation's scope (403): the called method is not in the policy", async () => {
    const token = await mintToken(key, { claims: claims() });
    const result = await authorize(event(token, `${API}/live/POST/items`));
    expect(result.policyDocument.Statement[0]!.Effect).toBe("Allow");
    expect(result.policyDocument.Statement[0]!.Resource).not.toContain(`${API}/live/POST/items`);
    const none = await authorize(event(await mintToken(key, { claims: claims({ scope: "profile" }) })));
    expect(none.policyDocument.Statement).toEqual([{ Action: "execute-api:Invoke", Effect: "Deny", Resource: [`${API}/live/*`] }]);
  });

  it("denies a nested operation the token lacks the scopes for, though an allowed pattern's * spans its path (IAM matching)", async () => {
    // As IAM evaluates the cached policy: `*` matches any characters, `/` included; an explicit Deny wins.
    const matches = (resource: string, arn: string) => new RegExp(`^${resource.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(arn);
    const decide = (result: AuthorizerResult, arn: string) => {
      const hit = (effect: "Allow" | "Deny") => result.policyDocument.Statement.some((statement) => statement.Effect === effect && statement.Resource.some((resource) => matches(resource, arn)));
      return hit("Deny") ? "deny" : hit("Allow") ? "allow" : "deny";
    };
    const nested = createJwtAuthorizer({ ...settings, operations: [...settings.operations, { method: "GET", path: "/items/{itemId}/secret", scopes: [["admin"]] }] }, () => undefined);
    const reader = await nested(event(await mintToken(key, { claims: claims() })));
    expect(decide(reader, `${API}/live/GET/items/42`)).toBe("allow");
    expect(decide(reader, `${API}/live/GET/items`)).toBe("allow");
    expect(decide(reader, `${API}/live/GET/items/42/secret`)).toBe("deny");
    expect(decide(reader, `${API}/live/POST/items`)).toBe("deny");
    const admin = await nested(event(await mintToken(key, { claims: claims({ scope: "items:read admin" }) })));
    expect(["GET/items/42", "GET/items/42/secret", "POST/items"].map((path) => decide(admin, `${API}/live/${path}`))).toEqual(["allow", "allow", "allow"]);
  });

  it("denies every method when a scope the policy requires everywhere is missing", async () => {
    const strict = createJwtAuthorizer({ ...settings, requiredScopes: ["shop"] }, () => undefined);
    const result = await strict(event(await mintToken(key, { claims: claims() })));
    expect(result.policyDocument.Statement).toEqual([{ Action: "execute-api:Invoke", Effect: "Deny", Resource: [`${API}/live/*`] }]);
  });

  it("rejects a header that is not a Bearer token", async () => {
    await expect(authorize({ type: "TOKEN", authorizationToken: "Basic dXNlcjpwYXNz", methodArn: LIST })).rejects.toThrow(new Error(UNAUTHORIZED));
  });

  it("the Lambda entry point reads its settings from TURNPIKE_JWT_AUTHORIZER", async () => {
    process.env.TURNPIKE_JWT_AUTHORIZER = JSON.stringify(settings);
    try {
      await expect(handler(event(await mintToken(key, { claims: claims() })))).resolves.toMatchObject({ principalId: "partner-app" });
    } finally {
      delete process.env.TURNPIKE_JWT_AUTHORIZER;
    }
  });

  it("bundles into one CommonJS file whose handler verifies tokens with Node's built-in modules only", async () => {
    const source = jwtAuthorizerBundle();
    const required: string[] = [];
    // Lambda has no node_modules: the bundle may require built-ins only.
    const builtinsOnly = (name: string) => {
      required.push(name);
      if (!isBuiltin(name)) throw new Error(`the bundle requires ${name}`);
      return require(name) as unknown;
    };
    const module = { exports: {} as { handler?: typeof handler } };
    new Function("module", "exports", "require", source)(module, module.exports, builtinsOnly);
    process.env.TURNPIKE_JWT_AUTHORIZER = JSON.stringify(settings);
    try {
      const result = await module.exports.handler!(event(await mintToken(key, { claims: claims() })));
      expect(result.principalId).toBe("partner-app");
    } finally {
      delete process.env.TURNPIKE_JWT_AUTHORIZER;
    }
    expect(required.every((name) => isBuiltin(name))).toBe(true);
  });

});
