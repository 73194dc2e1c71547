/** JWT bearer authentication with keys from a JWKS endpoint. */
import { z } from "zod";
import { headerName, settableHeaderName, sortedSet } from "../common";
import { definePolicy } from "../policy";

/** Asymmetric algorithms only: `none` and shared-secret HMAC are never accepted. */
export const JWT_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;

const httpsUrl = z.url({ protocol: /^https?$/ }).refine(
  (url) => url.startsWith("https://") || /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(\/|$)/.test(url),
  { message: "must be an https URL (http is accepted for localhost only)" },
);

export const jwtOptions = z.strictObject({
  /** Expected `iss` claim, e.g. `https://auth.acme.example/`. */
  issuer: z.string().min(1),
  /** JWKS endpoint the signing keys are fetched from (https). */
  jwksUrl: httpsUrl,
  /** Accepted `aud` values; a token must carry at least one of them. */
  audiences: z.array(z.string().min(1)).min(1, "list at least one audience: a token minted for another service must not be accepted"),
  /**
   * Scopes every token must carry, on top of the scopes the contract requires per operation.
   * @default []
   */
  requiredScopes: z.array(z.string().min(1)).default([]),
  /**
   * Accepted signing algorithms (asymmetric only).
   * @default ["RS256"]
   */
  algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).default(["RS256"]),
  /**
   * Clock difference tolerated when checking `exp`, `nbf` and `iat`, in seconds.
   * @default 30
   */
  clockSkewSeconds: z.number().int().min(0).max(300).default(30),
  /**
   * How long fetched signing keys are cached before the JWKS is fetched again, in seconds.
   * An unknown `kid` triggers a refetch at most once per 30 seconds.
   * @default 600
   */
  jwksCacheSeconds: z.number().int().min(30).max(86_400).default(600),
  /**
   * Header carrying the token, as `Bearer <token>`.
   * @default "authorization"
   */
  header: headerName.default("authorization"),
  /**
   * Claim that identifies the consumer, matched against `Credential.jwt({ subject })`.
   * @default "sub"
   */
  consumerClaim: z.string().min(1).default("sub"),
  /**
   * Claim carrying the granted scopes, a space-separated string or an array.
   * @default "scope"
   */
  scopeClaim: z.string().min(1).default("scope"),
  /**
   * Claims forwarded upstream as request headers: claim name → header name.
   * @default {}
   */
  forwardClaims: z.record(z.string().min(1), settableHeaderName).default({}),
});

/** Options of {@link jwt}. */
export type JwtOptions = z.input<typeof jwtOptions>;

const BEARER_SCHEME_TYPES = new Set(["oauth2", "openIdConnect"]);

export const jwtPolicy = definePolicy({
  name: "jwt",
  summary: "Authenticates callers by a signed JWT (JWKS keys cached), checking issuer, audience, expiry, algorithms and the scopes the contract requires.",
  phases: ["access"],
  priority: 510,
  levels: ["platform", "api", "operation"],
  options: jwtOptions,
  computed: {
    /** Contract security schemes (bearer, oauth2, openIdConnect) this policy implements. */
    securitySchemes: z.array(z.string()),
  },
  resolve(options, { operation }) {
    const securitySchemes = Object.entries(operation.securitySchemes)
      .filter(([, scheme]) => BEARER_SCHEME_TYPES.has(scheme.type) || (scheme.type === "http" && scheme.scheme === "bearer"))
      .map(([name]) => name)
      .sort();
    return { ...options, audiences: sortedSet(options.audiences), requiredScopes: sortedSet(options.requiredScopes), securitySchemes };
  },
});

/** Requires a valid JWT bearer token. Scopes per operation come from the contract's security requirements. */
export function jwt(options: JwtOptions) {
  return jwtPolicy.declare(options);
}
