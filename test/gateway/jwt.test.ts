/**
 * jwt at the gateway, end to end: the real gateway bundle, a real JWKS endpoint, tokens
 * minted with jose. What a valid token lets through and tells the upstream, every way a
 * token is refused (401 with an RFC 6750 challenge), scopes (403), key rotation, and what
 * happens when the identity provider is down.
 */
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { Api, Consumer, Credential, OpenApi, Plan, Product, jwt, type JwtOptions } from "../../constructs/index";
import { itemsContract, testPlatform } from "../helpers/declaration";
import { type RunningGateway, startGateway } from "../helpers/gateway";
import { type JwksServer, type SigningKey, mintHmacToken, mintToken, signingKey, startJwksServer, unsignedToken } from "../helpers/jwks";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

type Json = Record<string, unknown>;

const ISSUER = "https://id.acme.test/";
const AUDIENCE = "https://api.acme.test/items";

/** The items contract behind a bearer scheme; deleting an item needs the OAuth scope items:write. */
function bearerContract() {
  return OpenApi.fromDocument(
    itemsContract((doc) => {
      (doc.components as Json).securitySchemes = {
        Bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
        OAuth: { type: "oauth2", flows: { clientCredentials: { tokenUrl: "https://id.acme.test/token", scopes: { "items:write": "Change items" } } } },
      };
      doc.security = [{ Bearer: [] }];
      (((doc.paths as Json)["/items/{itemId}"] as Json).delete as Json).security = [{ OAuth: ["items:write"] }];
    }),
  );
}

/** A platform with the items API behind jwt, and a consumer known by its token subject. */
function platformFor(jwksUrl: string, options: Partial<JwtOptions> = {}) {
  const platform = testPlatform();
  const api = new Api(platform, "items", {
    version: "1.0.0",
    contract: bearerContract(),
    upstream: { targets: [{ url: upstream.url }] },
    policies: [
      jwt({
        issuer: ISSUER,
        jwksUrl,
        audiences: [AUDIENCE, "items-legacy"],
        algorithms: ["RS256", "ES256"],
        requiredScopes: ["api"],
        clockSkewSeconds: 5,
        forwardClaims: { sub: "x-subject", tenant: "x-tenant", roles: "x-roles" },
        ...options,
      }),
    ],
  });
  const product = new Product(platform, "shop", { apis: [api], plans: [new Plan(platform, "free")] });
  new Consumer(platform, "app", { subscriptions: [{ product, plan: "free" }], credentials: [Credential.jwt({ subject: "app-client" })] });
  return platform;
}

let upstream: TestUpstream;
let keyA: SigningKey;
let keyB: SigningKey;
let keyEs: SigningKey;
let idp: JwksServer;
let gateway: RunningGateway;
/** Its JWKS endpoint goes down right after the first fetch; keys are cached 30 s. */
let staleIdp: JwksServer;
let staleGateway: RunningGateway;
/** Its JWKS endpoint never answers. */
let keylessGateway: RunningGateway;
const minted: string[] = [];

/** Claims of a valid token for the app consumer. */
const valid = (claims: Json = {}) => ({ iss: ISSUER, aud: AUDIENCE, sub: "app-client", scope: "api items:read", ...claims });

async function token(key: SigningKey, claims: Json = {}, header: Json = {}): Promise<string> {
  const signed = await mintToken(key, { claims: valid(claims), header });
  minted.push(signed);
  return signed;
}

function call(target: RunningGateway, path: string, credential?: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...init.headers };
  if (credential !== undefined) headers.authorization = credential.includes(" ") || credential === "Bearer" ? credential : `Bearer ${credential}`;
  return fetch(`${target.url}/items/v1${path}`, { ...init, headers });
}

async function expectRefused(response: Response, error: "invalid_token" | "invalid_request", detail: RegExp): Promise<void> {
  expect(response.status).toBe(error === "invalid_token" ? 401 : 400);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  expect(response.headers.get("www-authenticate")).toMatch(new RegExp(`^Bearer realm="items-v1", error="${error}", error_description="[^"]+"$`));
  const body = (await response.json()) as Json;
  expect(body.detail).toMatch(detail);
  for (const sent of minted) expect(JSON.stringify(body)).not.toContain(sent);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const fetched = (line: Json) => line.msg === "JWT signing keys fetched";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

beforeAll(async () => {
  [keyA, keyB, keyEs] = await Promise.all([signingKey("RS256", "key-a"), signingKey("RS256", "key-b"), signingKey("ES256", "key-es")]);
  upstream = await startUpstream();
  [idp, staleIdp] = await Promise.all([startJwksServer([keyA, keyEs]), startJwksServer([keyA])]);
  const closedPort = await freePort();
  [gateway, staleGateway, keylessGateway] = await Promise.all([
    startGateway(platformFor(idp.url)),
    startGateway(platformFor(staleIdp.url, { jwksCacheSeconds: 30 })),
    startGateway(platformFor(`http://127.0.0.1:${closedPort}/.well-known/jwks.json`)),
  ]);
  await Promise.all([gateway.waitForLog(fetched), staleGateway.waitForLog(fetched)]);
  staleIdp.setAvailable(false);
}, 60_000);

afterAll(async () => {
  await Promise.all([gateway?.stop(), staleGateway?.stop(), keylessGateway?.stop()]);
  await Promise.all([upstream?.close(), idp?.close(), staleIdp?.close()]);
});

describe("a valid token", () => {
  it("goes through; the upstream gets the token, the forwarded claims, and none of the client's own claim headers", async () => {
    const sent = await token(keyA, { tenant: "acme-eu", roles: ["admin", "ops"] });
    const response = await call(gateway, "/items", sent, { headers: { "x-subject": "someone-else", "x-request-id": "jwt-valid-1" } });
    expect(response.status).toBe(200);
    const seen = (await response.json()) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe("/items");
    expect(seen.headers["x-subject"]).toBe("app-client");
    expect(seen.headers["x-tenant"]).toBe("acme-eu");
    expect(seen.headers["x-roles"]).toBe('["admin","ops"]');
    expect(seen.headers.authorization).toBe(`Bearer ${sent}`);
    const line = await gateway.waitForLog((entry) => entry.msg === "request" && entry.requestId === "jwt-valid-1");
    expect(line).toMatchObject({ status: 200, consumer: "app", plan: "free" });
  });

  it("drops a claim header the client sends when the token has no such claim", async () => {
    const response = await call(gateway, "/items", await token(keyA), { headers: { "x-tenant": "forged" } });
    const seen = (await response.json()) as { headers: Record<string, string> };
    expect(seen.headers["x-tenant"]).toBeUndefined();
  });

  it("is accepted for any of the audiences, as a string or a list, and signed by any allowed algorithm", async () => {
    expect((await call(gateway, "/items", await token(keyA, { aud: "items-legacy" }))).status).toBe(200);
    expect((await call(gateway, "/items", await token(keyA, { aud: ["https://other.example", AUDIENCE] }))).status).toBe(200);
    expect((await call(gateway, "/items", await token(keyEs))).status).toBe(200);
  });

  it("tolerates the declared clock skew on exp and nbf", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await call(gateway, "/items", await token(keyA, { exp: now - 2 }))).status).toBe(200);
    expect((await call(gateway, "/items", await token(keyA, { nbf: now + 2 }))).status).toBe(200);
  });

  it("of a subject no consumer declares is authenticated without a consumer", async () => {
    const response = await call(gateway, "/items", await token(keyA, { sub: "someone" }), { headers: { "x-request-id": "jwt-anonymous-1" } });
    expect(response.status).toBe(200);
    const line = await gateway.waitForLog((entry) => entry.msg === "request" && entry.requestId === "jwt-anonymous-1");
    expect(line).toMatchObject({ status: 200, consumer: null, plan: null });
  });

  it("is not needed on a public operation", async () => {
    expect((await call(gateway, "/health")).status).toBe(200);
  });
});

describe("a refused token: 401 with a Bearer challenge, the token never echoed", () => {
  it("has expired", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await call(gateway, "/items", await token(keyA, { iat: now - 600, exp: now - 60 })), "invalid_token", /expired/);
  });

  it("is not valid yet", async () => {
    await expectRefused(await call(gateway, "/items", await token(keyA, { nbf: Math.floor(Date.now() / 1000) + 120 })), "invalid_token", /not valid yet/);
  });

  it("has no expiry", async () => {
    await expectRefused(await call(gateway, "/items", await token(keyA, { exp: undefined })), "invalid_token", /no exp claim/);
  });

  it("was issued by another issuer", async () => {
    await expectRefused(await call(gateway, "/items", await token(keyA, { iss: "https://evil.example/" })), "invalid_token", /issuer/);
  });

  it("was issued for another audience", async () => {
    await expectRefused(await call(gateway, "/items", await token(keyA, { aud: "https://api.acme.test/billing" })), "invalid_token", /audience|aud/);
  });

  it("is signed with HMAC using the public key's id (algorithm confusion)", async () => {
    const forged = await mintHmacToken(new TextEncoder().encode(JSON.stringify(keyA.jwk)), valid(), { kid: keyA.kid });
    minted.push(forged);
    await expectRefused(await call(gateway, "/items", forged), "invalid_token", /algorithm/);
  });

  it("is not signed at all (alg none)", async () => {
    const unsigned = unsignedToken(valid());
    minted.push(unsigned);
    await expectRefused(await call(gateway, "/items", unsigned), "invalid_token", /not a signed JWT/);
  });

  it("has a signature that does not match", async () => {
    const [header, , signature] = (await token(keyA)).split(".");
    const tampered = `${header}.${Buffer.from(JSON.stringify(valid({ sub: "admin" }))).toString("base64url")}.${signature}`;
    minted.push(tampered);
    await expectRefused(await call(gateway, "/items", tampered), "invalid_token", /signature/);
  });

  it("is signed by a key the issuer does not publish", async () => {
    await expectRefused(await call(gateway, "/items", await token(keyB)), "invalid_token", /no signing key/);
  });

  it("is malformed", async () => {
    await expectRefused(await call(gateway, "/items", "abc.def"), "invalid_token", /not a signed JWT/);
    await expectRefused(await call(gateway, "/items", "Bearer two tokens"), "invalid_request", /Bearer followed by one token/);
  });

  it("is missing: the gate answers 401 with a challenge without an error code", async () => {
    const response = await call(gateway, "/items");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="items-v1"');
    expect(((await response.json()) as Json).type).toBe("https://turnpike.dev/problems/unauthorized");
    const basic = await call(gateway, "/items", "Basic YWxhZGRpbjpvcGVuc2VzYW1l");
    expect(basic.status).toBe(401);
    expect(basic.headers.get("www-authenticate")).toBe('Bearer realm="items-v1"');
  });
});

describe("scopes", () => {
  it("answers 403 insufficient_scope when the token lacks a scope the policy requires of every token", async () => {
    const response = await call(gateway, "/items", await token(keyA, { scope: "items:read" }));
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="items-v1", error="insufficient_scope", scope="api"');
    expect(((await response.json()) as Json).detail).toMatch(/scope this API requires \(api\)/);
  });

  it("answers 403 insufficient_scope when the token lacks the scope the contract requires of the operation", async () => {
    const response = await call(gateway, "/items/abc", await token(keyA), { method: "DELETE" });
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="items-v1", error="insufficient_scope", scope="items:write"');
    expect(((await response.json()) as Json).detail).toMatch(/items:write/);
  });

  it("lets the operation through with the scope, in a space-separated string or a list", async () => {
    expect((await call(gateway, "/items/abc", await token(keyA, { scope: "api items:write" }), { method: "DELETE" })).status).toBe(200);
    expect((await call(gateway, "/items/abc", await token(keyA, { scope: ["api", "items:write"] }), { method: "DELETE" })).status).toBe(200);
  });
});

describe("when the identity provider is down", () => {
  it("verifies with the keys fetched before", async () => {
    const before = staleIdp.fetches.length;
    expect((await call(staleGateway, "/items", await token(keyA))).status).toBe(200);
    expect(staleIdp.fetches.length).toBe(before);
  });

  it("answers 503 with Retry-After to a token when no key could ever be fetched, and 401 without a token", async () => {
    const response = await call(keylessGateway, "/items", await token(keyA));
    expect(response.status).toBe(503);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await response.json()) as Json).type).toBe("https://turnpike.dev/problems/service-unavailable");
    expect((await call(keylessGateway, "/items")).status).toBe(401);
    await keylessGateway.waitForLog((line) => line.level === 40 && String(line.msg).includes("cannot be fetched"));
  });
});

describe("key rotation and expiry (waits out the 30 s refetch interval)", () => {
  it("refetches for an unknown key id at most once per 30 s, then accepts the new key and refuses the removed one", async () => {
    const oldToken = await token(keyA);
    const newToken = await token(keyB);
    idp.publish([keyB, keyEs]);
    const fetchesBefore = idp.fetches.length;
    // The keys were fetched moments ago: a made-up or brand-new kid does not trigger a fetch yet.
    await expectRefused(await call(gateway, "/items", newToken), "invalid_token", /no signing key/);
    expect(idp.fetches.length).toBe(fetchesBefore);
    expect((await call(gateway, "/items", oldToken)).status).toBe(200);

    await sleep(idp.fetches.at(-1)! + 30_500 - Date.now());
    expect((await call(gateway, "/items", newToken)).status).toBe(200);
    expect(idp.fetches.length).toBe(fetchesBefore + 1);
    await expectRefused(await call(gateway, "/items", oldToken), "invalid_token", /no signing key/);
  }, 60_000);

  it("keeps verifying with expired keys while the JWKS endpoint fails, and tries to refresh them", async () => {
    await sleep(staleIdp.fetches[0]! + 30_500 - Date.now());
    const fetchesBefore = staleIdp.fetches.length;
    expect((await call(staleGateway, "/items", await token(keyA))).status).toBe(200);
    await staleGateway.waitForLog((line) => line.msg === "JWT signing keys cannot be refreshed; still using the keys fetched before");
    expect(staleIdp.fetches.length).toBeGreaterThan(fetchesBefore);
    expect((await call(staleGateway, "/items", await token(keyA))).status).toBe(200);
  }, 60_000);
});

describe("logs", () => {
  it("never carry a token (checked last, once every token was sent)", async () => {
    await sleep(500); // access log lines are buffered for 250 ms
    expect(minted.length).toBeGreaterThan(20);
    for (const running of [gateway, staleGateway, keylessGateway]) {
      const logs = JSON.stringify(running.logs);
      for (const sent of minted) expect(logs).not.toContain(sent);
    }
  });
});
