/**
 * Reading and verifying a bearer token: what RFC 6750 calls the credential, checked the way
 * the jwt policy's options say. Failures carry a description fit for the client (it names
 * what is wrong, never the token or its claims) and the RFC 6750 error code.
 */
import { type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions, errors, jwtVerify } from "jose";

const { JOSEAlgNotAllowed, JWKSMultipleMatchingKeys, JWKSNoMatchingKey, JWSSignatureVerificationFailed, JWTClaimValidationFailed, JWTExpired } = errors;

/** Why a token was refused, in RFC 6750 terms. */
export class TokenRejection extends Error {
  constructor(
    /** `invalid_request`: the header is not `Bearer <token>`; `invalid_token`: the token is not acceptable. */
    readonly code: "invalid_request" | "invalid_token",
    /** For the client and the logs: what is wrong, without the token. */
    readonly description: string,
  ) {
    super(description);
  }
}

/** What {@link verifyToken} checks. */
export interface TokenRules {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly algorithms: readonly string[];
  readonly clockSkewSeconds: number;
}

const BEARER = /^bearer(?:[ \t]+(.*))?$/i;
/** token68 (RFC 9110 §11.2). */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
/** A JWS in compact serialization: three base64url parts (the signature may not be empty: no `alg: none`). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The token of a `Bearer` credential in a header value. `undefined` when the header carries no
 * bearer credential (absent, or another scheme such as `Basic`: not this policy's business);
 * throws a TokenRejection when it says `Bearer` but is not followed by one token.
 */
export function bearerToken(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value.join(", ") : value;
  if (text === undefined) return undefined;
  const match = BEARER.exec(text.trim());
  if (match === null) return undefined;
  const token = (match[1] ?? "").trim();
  if (!TOKEN68.test(token)) throw new TokenRejection("invalid_request", "the credential must be written as Bearer followed by one token");
  return token;
}

/**
 * Verifies a token's signature with the issuer's keys and its claims with the rules: issuer,
 * one of the audiences, an accepted algorithm, `exp` present and not past, `nbf` and `iat`
 * not in the future (all with the clock skew tolerated). Returns the claims; throws a
 * TokenRejection for a token that is not acceptable, and anything else (such as
 * KeysUnavailableError) as is.
 */
export async function verifyToken(token: string, getKey: JWTVerifyGetKey, rules: TokenRules, nowMs = Date.now()): Promise<JWTPayload> {
  if (token.split(".").length === 5) throw new TokenRejection("invalid_token", "encrypted tokens (JWE) are not accepted: send a signed JWT");
  if (!COMPACT_JWS.test(token)) throw new TokenRejection("invalid_token", "the token is not a signed JWT");
  const options: JWTVerifyOptions = {
    issuer: rules.issuer,
    audience: [...rules.audiences],
    algorithms: [...rules.algorithms],
    clockTolerance: rules.clockSkewSeconds,
    requiredClaims: ["exp"],
    currentDate: new Date(nowMs),
  };
  let payload: JWTPayload;
  try {
    payload = await verifyWithAnyMatchingKey(token, getKey, options);
  } catch (error) {
    throw rejectionFor(error);
  }
  if (typeof payload.iat === "number" && payload.iat > nowMs / 1000 + rules.clockSkewSeconds) {
    throw new TokenRejection("invalid_token", "the token was issued in the future (iat)");
  }
  return payload;
}

/**
 * jose leaves the choice to the caller when several keys match (a token without `kid`
 * against a set of several keys of its type): try each.
 */
async function verifyWithAnyMatchingKey(token: string, getKey: JWTVerifyGetKey, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, getKey, options)).payload;
  } catch (error) {
    if (!(error instanceof JWKSMultipleMatchingKeys)) throw error;
    for await (const key of error) {
      try {
        return (await jwtVerify(token, key, options)).payload;
      } catch (inner) {
        if (!(inner instanceof JWSSignatureVerificationFailed)) throw inner;
      }
    }
    throw new JWSSignatureVerificationFailed();
  }
}

/** The client-facing reason for a jose failure; other errors are passed on unchanged. */
function rejectionFor(error: unknown): unknown {
  if (error instanceof JWTExpired) return new TokenRejection("invalid_token", "the token has expired");
  if (error instanceof JWTClaimValidationFailed) {
    if (error.reason === "missing") return new TokenRejection("invalid_token", `the token has no ${error.claim} claim`);
    switch (error.claim) {
      case "nbf":
        return new TokenRejection("invalid_token", "the token is not valid yet (nbf)");
      case "iss":
        return new TokenRejection("invalid_token", "the token was not issued by the issuer this API trusts");
      case "aud":
        return new TokenRejection("invalid_token", "the token was not issued for this API (aud)");
      default:
        return new TokenRejection("invalid_token", `the token's ${error.claim} claim is not valid`);
    }
  }
  if (error instanceof JOSEAlgNotAllowed) return new TokenRejection("invalid_token", "the token's signing algorithm is not accepted");
  if (error instanceof JWKSNoMatchingKey) return new TokenRejection("invalid_token", "no signing key of the issuer matches the token (kid)");
  if (error instanceof JWSSignatureVerificationFailed) return new TokenRejection("invalid_token", "the token's signature is not valid");
  if (error instanceof errors.JOSENotSupported) return new TokenRejection("invalid_token", "the token uses a signing algorithm or key type that is not supported");
  // The issuer's key set holds a key that cannot verify (a private or malformed key).
  if (error instanceof errors.JWKSInvalid || error instanceof errors.JWKInvalid) return new TokenRejection("invalid_token", "the issuer's signing key for this token cannot be used");
  if (error instanceof errors.JOSEError) return new TokenRejection("invalid_token", "the token is malformed");
  return error;
}
