/**
 * jwt at the gateway: verifies the bearer token against the issuer's JWKS keys and records
 * what it proved (the consumer named by `consumerClaim`, the scopes, the contract schemes it
 * implements); the authentication gate then applies the contract's requirements.
 *
 * - No bearer credential (no header, or another scheme): left to the gate, like a missing
 *   API key (another policy may authenticate the request, or the operation be public).
 * - A token that fails a check: 401 with `WWW-Authenticate: Bearer error="invalid_token"`.
 * - A valid token lacking one of `requiredScopes`: 403 `error="insufficient_scope"`.
 * - No signing key could ever be fetched: 503 (the gateway, not the token, is at fault).
 * - A valid token whose subject no consumer declares is authenticated without a consumer
 *   (the issuer and audience vouch for it); plan policies need a consumer and do not apply.
 * - The token stays in the request upstream (the upstream is the token's audience); claims in
 *   `forwardClaims` become headers, and the client's own headers of those names are dropped.
 *
 * Tokens are never logged nor echoed.
 */
import type { JWTPayload } from "jose";
import type { z } from "zod";
import type { HandlerFactory } from "../../gateway-image/src/chain/policy-handler";
import type { Exchange } from "../../gateway-image/src/http/exchange";
import { type Reply, problem } from "../../gateway-image/src/http/problem";
import { bearerChallenge, missingScopes } from "./challenge";
import { claimHeaderValue, scopesOf, subjectOf } from "./claims";
import { KeysUnavailableError, acquireJwksCache } from "./jwks-cache";
import type { jwtPolicy } from "./schema";
import { TokenRejection, bearerToken, verifyToken } from "./verify-token";

export const createJwtHandler: HandlerFactory<z.output<typeof jwtPolicy.config>> = (config, { consumers, logger }) => {
  const header = config.header;
  const schemes = new Set(config.securitySchemes);
  const forwarded = Object.entries(config.forwardClaims);
  const forwardedHeaders = [...new Set(forwarded.map(([, name]) => name))];
  const rules = { issuer: config.issuer, audiences: config.audiences, algorithms: config.algorithms, clockSkewSeconds: config.clockSkewSeconds };
  const jwksUrl = config.jwksUrl;
  const { cache, release } = acquireJwksCache({
    url: jwksUrl,
    cacheMs: config.jwksCacheSeconds * 1000,
    onFetched: (keys) => logger.info({ jwksUrl, keys }, "JWT signing keys fetched"),
    onFetchFailed: (reason, staleKeysInUse) =>
      logger.warn({ jwksUrl, reason }, staleKeysInUse ? "JWT signing keys cannot be refreshed; still using the keys fetched before" : "JWT signing keys cannot be fetched; requests with a token are answered 503"),
  });
  /** Claims of the tokens verified, for the request and response phases of the same exchange. */
  const verified = new WeakMap<Exchange, JWTPayload>();

  const admit = (exchange: Exchange, payload: JWTPayload): Reply | undefined => {
    const scopes = scopesOf(payload[config.scopeClaim]);
    const missing = config.requiredScopes.filter((scope) => !scopes.includes(scope));
    if (missing.length > 0) {
      exchange.failure = `jwt: token lacks scope ${missing.join(", ")}`;
      const challenge = bearerChallenge(exchange.route.apiId, { code: "insufficient_scope", scope: config.requiredScopes });
      return problem("forbidden", `the token lacks the scope this API requires (${missing.join(", ")})`, { headers: { "www-authenticate": challenge } });
    }
    const subject = subjectOf(payload, config.consumerClaim);
    const consumer = subject === undefined ? undefined : consumers.findByJwtSubject(subject, config.issuer);
    if (consumer !== undefined) {
      if (exchange.consumer !== null && exchange.consumer !== consumer) return problem("unauthorized", "the request carries credentials of two different consumers");
      exchange.consumer = consumer;
    }
    if (scopes.length > 0) exchange.grantedScopes = exchange.grantedScopes === null ? new Set(scopes) : new Set([...exchange.grantedScopes, ...scopes]);
    exchange.authenticatedBy ??= "jwt";
    for (const scheme of schemes) exchange.satisfiedSchemes.add(scheme);
    verified.set(exchange, payload);
    return undefined;
  };

  const refuse = (exchange: Exchange, error: unknown): Reply => {
    if (error instanceof TokenRejection) {
      exchange.failure = `jwt: ${error.description}`;
      const challenge = bearerChallenge(exchange.route.apiId, { code: error.code, description: error.description });
      return problem(error.code === "invalid_request" ? "bad-request" : "unauthorized", error.description, { headers: { "www-authenticate": challenge } });
    }
    if (error instanceof KeysUnavailableError) {
      // Envoy answers 401 here; but the token may well be valid: the fault is ours, and retrying helps.
      exchange.failure = `jwt: ${error.message}`;
      return problem("service-unavailable", "the token cannot be verified now: the issuer's signing keys are unavailable; try again shortly", { headers: { "retry-after": String(error.retryAfterSeconds) } });
    }
    throw error;
  };

  return {
    access(exchange) {
      let token: string | undefined;
      try {
        token = bearerToken(exchange.req.headers[header]);
      } catch (error) {
        return refuse(exchange, error);
      }
      if (token === undefined) return undefined;
      return verifyToken(token, cache.getKey, rules).then(
        (payload) => admit(exchange, payload),
        (error: unknown) => refuse(exchange, error),
      );
    },
    request:
      forwarded.length === 0
        ? undefined
        : (exchange) => {
            const headers = exchange.upstreamHeaders;
            // Whatever the client sent under these names is not a verified claim.
            for (const name of forwardedHeaders) headers[name] = undefined;
            const payload = verified.get(exchange);
            if (payload === undefined) return undefined;
            for (const [claim, name] of forwarded) {
              const value = claimHeaderValue(payload[claim]);
              if (value !== undefined) headers[name] = value;
            }
            return undefined;
          },
    response(exchange, status, headers) {
      // Only the gateway's own refusals; an upstream's 401 carries its own challenge.
      if ((status !== 401 && status !== 403) || exchange.upstreamTarget !== null || headers["www-authenticate"] !== undefined) return;
      if (status === 401) {
        headers["www-authenticate"] = bearerChallenge(exchange.route.apiId);
        return;
      }
      if (!verified.has(exchange)) return;
      const scope = missingScopes(exchange.route.operation, schemes, exchange.grantedScopes);
      if (scope.length > 0) headers["www-authenticate"] = bearerChallenge(exchange.route.apiId, { code: "insufficient_scope", scope });
    },
    close() {
      release();
    },
  };
};
