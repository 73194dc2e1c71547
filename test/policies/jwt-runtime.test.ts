/**
 * The jwt policy's runtime pieces in isolation: the JWKS cache (with a fake clock and a fake
 * endpoint, so its timing rules are checked without waiting), token verification, bearer
 * parsing, claims and challenges.
 */
import { type JWK, createLocalJWKSet } from "jose";
import type { Operation } from "../../constructs/manifest/schema";
import { bearerChallenge, missingScopes } from "../../policies/jwt/challenge";
import { claimHeaderValue, scopesOf, subjectOf } from "../../policies/jwt/claims";
import { JwksCache, type JwksCacheOptions, KeysUnavailableError, acquireJwksCache } from "../../policies/jwt/jwks-cache";
import { TokenRejection, bearerToken, verifyToken } from "../../policies/jwt/verify-token";
import { type SigningKey, mintToken, signingKey } from "../helpers/jwks";

const URL_ = "https://id.acme.test/jwks.json";

/** A fake JWKS endpoint: answers with the current keys, or as told. */
class FakeEndpoint {
  keys: JWK[] = [];
  answer: (() => Response) | null = null;
  calls = 0;
  /** When set, answers wait for it. */
  gate: Promise<void> | null = null;

  readonly fetch = (async () => {
    this.calls++;
    if (this.gate !== null) await this.gate;
    return this.answer?.() ?? new Response(JSON.stringify({ keys: this.keys }), { status: 200 });
  }) as unknown as typeof fetch;
}

let keyA: SigningKey;
let keyB: SigningKey;

beforeAll(async () => {
  [keyA, keyB] = await Promise.all([signingKey("RS256", "a"), signingKey("RS256", "b")]);
});

function setup(options: Partial<JwksCacheOptions> = {}) {
  const endpoint = new FakeEndpoint();
  endpoint.keys = [keyA.jwk];
  const clock = { now: 1_000_000 };
  const failures: string[] = [];
  const cache = new JwksCache({ url: URL_, cacheMs: 600_000, fetch: endpoint.fetch, now: () => clock.now, onFetchFailed: (reason) => failures.push(reason), ...options });
  const keyFor = (kid: string) => cache.getKey({ alg: "RS256", kid }, { payload: "", signature: "" });
  return { endpoint, clock, cache, keyFor, failures };
}

describe("JwksCache", () => {
  it("fetches on first use, once for concurrent requests", async () => {
    const { endpoint, keyFor } = setup();
    const keys = await Promise.all([keyFor("a"), keyFor("a"), keyFor("a")]);
    expect(keys[0]).toBeDefined();
    expect(endpoint.calls).toBe(1);
  });

  it("refetches for an unknown kid only once 30 s passed since the last fetch", async () => {
    const { endpoint, clock, keyFor } = setup();
    await keyFor("a");
    endpoint.keys = [keyA.jwk, keyB.jwk];
    clock.now += 29_999;
    await expect(keyFor("b")).rejects.toThrow(/no applicable key/i);
    expect(endpoint.calls).toBe(1);
    clock.now += 1;
    await expect(keyFor("b")).resolves.toBeDefined();
    expect(endpoint.calls).toBe(2);
    // Fetched just now: another unknown kid waits again.
    await expect(keyFor("c")).rejects.toThrow(/no applicable key/i);
    expect(endpoint.calls).toBe(2);
  });

  it("refreshes old keys in the background, verifying with them meanwhile", async () => {
    const { endpoint, clock, keyFor } = setup({ cacheMs: 60_000 });
    await keyFor("a");
    let open!: () => void;
    endpoint.gate = new Promise<void>((resolve) => (open = resolve));
    endpoint.keys = [keyB.jwk];
    clock.now += 60_000;
    await expect(keyFor("a")).resolves.toBeDefined(); // answered while the refresh hangs
    expect(endpoint.calls).toBe(2);
    open();
    await new Promise((resolve) => setImmediate(resolve));
    await expect(keyFor("b")).resolves.toBeDefined();
  });

  it("keeps the keys it has when a refresh fails, and retries with a backoff", async () => {
    const { endpoint, clock, keyFor, failures } = setup({ cacheMs: 60_000 });
    await keyFor("a");
    endpoint.answer = () => new Response("down", { status: 503 });
    clock.now += 60_000;
    await keyFor("a");
    await new Promise((resolve) => setImmediate(resolve));
    expect(failures).toEqual(["the JWKS endpoint answered HTTP 503"]);
    clock.now += 999;
    await expect(keyFor("a")).resolves.toBeDefined();
    expect(endpoint.calls).toBe(2); // within the 1 s backoff
    clock.now += 1;
    await keyFor("a");
    await new Promise((resolve) => setImmediate(resolve));
    expect(endpoint.calls).toBe(3);
    clock.now += 1_999; // the backoff doubled
    await keyFor("a");
    expect(endpoint.calls).toBe(3);
  });

  it("without any key and an endpoint that fails, throws KeysUnavailableError and does not hammer the endpoint", async () => {
    const { endpoint, clock, keyFor } = setup();
    endpoint.answer = () => {
      throw new TypeError("fetch failed");
    };
    await expect(keyFor("a")).rejects.toBeInstanceOf(KeysUnavailableError);
    await expect(keyFor("a")).rejects.toMatchObject({ retryAfterSeconds: 1 });
    expect(endpoint.calls).toBe(1);
    clock.now += 1_000;
    endpoint.answer = null;
    await expect(keyFor("a")).resolves.toBeDefined();
    expect(endpoint.calls).toBe(2);
  });

  it.each([
    ["a redirect", () => new Response(null, { status: 302, headers: { location: "http://evil.example/" } }), "the JWKS endpoint answered HTTP 302"],
    ["a document that is not JSON", () => new Response("<html>", { status: 200 }), "the JWKS document is not JSON"],
    ["a document without keys", () => new Response("{}", { status: 200 }), 'the JWKS document has no "keys" array'],
    ["a document too large", () => new Response(JSON.stringify({ keys: [], pad: "x".repeat(2_000) }), { status: 200 }), "the JWKS document is larger than 1000 bytes"],
  ])("refuses %s", async (_, answer, reason) => {
    const { endpoint, keyFor, failures } = setup({ maxBytes: 1000 });
    endpoint.answer = answer;
    await expect(keyFor("a")).rejects.toBeInstanceOf(KeysUnavailableError);
    expect(failures).toEqual([reason]);
  });

  it("is shared by the handlers of one endpoint and stopped by the last release", async () => {
    const endpoint = new FakeEndpoint();
    endpoint.keys = [keyA.jwk];
    const options = { url: "https://shared.example/jwks.json", cacheMs: 60_000, fetch: endpoint.fetch };
    const first = acquireJwksCache(options);
    const second = acquireJwksCache(options);
    expect(second.cache).toBe(first.cache);
    await new Promise((resolve) => setImmediate(resolve));
    expect(endpoint.calls).toBe(1); // fetched at once, not per handler
    first.release();
    first.release(); // twice is once
    expect(acquireJwksCache(options).cache).toBe(first.cache);
    second.release();
    const other = acquireJwksCache({ ...options, cacheMs: 30_000 });
    expect(other.cache).not.toBe(first.cache);
  });
});

describe("verifyToken", () => {
  const rules = { issuer: "https://id.acme.test/", audiences: ["items"], algorithms: ["RS256"], clockSkewSeconds: 10 };
  const claims = { iss: rules.issuer, aud: "items", sub: "app" };

  it("returns the claims of a valid token", async () => {
    const keys = createLocalJWKSet({ keys: [keyA.jwk] });
    await expect(verifyToken(await mintToken(keyA, { claims }), keys, rules)).resolves.toMatchObject({ sub: "app" });
  });

  it("tries every key when the token names none", async () => {
    const keys = createLocalJWKSet({ keys: [keyB.jwk, keyA.jwk].map(({ kid: _kid, ...jwk }) => jwk) });
    await expect(verifyToken(await mintToken(keyA, { claims, header: { kid: undefined } }), keys, rules)).resolves.toMatchObject({ sub: "app" });
  });

  it("refuses a token issued in the future beyond the skew", async () => {
    const keys = createLocalJWKSet({ keys: [keyA.jwk] });
    const iat = Math.floor(Date.now() / 1000) + 60;
    await expect(verifyToken(await mintToken(keyA, { claims: { ...claims, iat } }), keys, rules)).rejects.toMatchObject({ code: "invalid_token", description: "the token was issued in the future (iat)" });
  });

  it("refuses an encrypted token with a reason", async () => {
    await expect(verifyToken("a.b.c.d.e", createLocalJWKSet({ keys: [] }), rules)).rejects.toMatchObject({ description: expect.stringMatching(/encrypted/) });
  });

  it("passes KeysUnavailableError on", async () => {
    const unavailable = () => Promise.reject(new KeysUnavailableError("down", 3));
    await expect(verifyToken(await mintToken(keyA, { claims }), unavailable, rules)).rejects.toBeInstanceOf(KeysUnavailableError);
  });
});

describe("bearerToken", () => {
  it.each([
    [undefined, undefined],
    ["Basic YWxhZGRpbg==", undefined],
    ["Bearer abc.def.ghi", "abc.def.ghi"],
    ["bearer   abc.def.ghi ", "abc.def.ghi"],
  ])("reads %j as %j", (value, token) => {
    expect(bearerToken(value)).toBe(token);
  });

  it.each(["Bearer", "Bearer a b", "Bearer a,b"])("refuses %j as invalid_request", (value) => {
    expect(() => bearerToken(value)).toThrow(TokenRejection);
  });
});

describe("claims", () => {
  it("reads scopes from a space-separated string or a list", () => {
    expect(scopesOf("a  b c")).toEqual(["a", "b", "c"]);
    expect(scopesOf(["a", 3, "b"])).toEqual(["a", "b"]);
    expect(scopesOf(undefined)).toEqual([]);
  });

  it("reads the consumer's name from a string or number claim", () => {
    expect(subjectOf({ sub: "app" }, "sub")).toBe("app");
    expect(subjectOf({ client_id: 42 }, "client_id")).toBe("42");
    expect(subjectOf({ client_id: ["app"] }, "client_id")).toBeUndefined();
  });

  it("writes claims as header values, refusing what could split or garble a header", () => {
    expect(claimHeaderValue("acme")).toBe("acme");
    expect(claimHeaderValue(true)).toBe("true");
    expect(claimHeaderValue({ a: [1] })).toBe('{"a":[1]}');
    expect(claimHeaderValue("a\r\nx-admin: true")).toBeUndefined();
    expect(claimHeaderValue("Zoë")).toBeUndefined();
    expect(claimHeaderValue(undefined)).toBeUndefined();
  });
});

describe("challenges", () => {
  it("writes RFC 6750 challenges without characters that would break the quoting", () => {
    expect(bearerChallenge(null)).toBe("Bearer");
    expect(bearerChallenge("items", { code: "invalid_token", description: 'bad "quote" \\' })).toBe('Bearer realm="items", error="invalid_token", error_description="bad quote "');
  });

  it("lists the scopes the operation requires through the policy's schemes that were not granted", () => {
    const operation = { security: [[{ scheme: "OAuth", scopes: ["read", "write"] }], [{ scheme: "ApiKey", scopes: [] }]] } as unknown as Operation;
    expect(missingScopes(operation, new Set(["OAuth"]), new Set(["read"]))).toEqual(["write"]);
    expect(missingScopes(operation, new Set(["Bearer"]), null)).toEqual([]);
  });
});
