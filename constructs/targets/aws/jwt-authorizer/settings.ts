/**
 * What one JWT Lambda authorizer verifies: the `jwt` policy instance's config and, per
 * operation of the API, the scopes the contract requires. Deploy writes it as JSON into the
 * function's `TURNPIKE_JWT_AUTHORIZER` environment variable; the handler reads it once per
 * Lambda instance. Types only, so the handler's bundle pulls in nothing else.
 */

/** The environment variable holding the settings as JSON. */
export const JWT_AUTHORIZER_SETTINGS_VARIABLE = "TURNPIKE_JWT_AUTHORIZER";

/** Lambda caps a function's environment at 4 KB, variable names included. */
export const LAMBDA_ENVIRONMENT_MAX_BYTES = 4_096;

export interface JwtAuthorizerOperation {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Resource path as API Gateway names it in method ARNs, e.g. `/items/{itemId}`. */
  readonly path: string;
  /**
   * Scope alternatives: the token must carry every scope of at least one of them; `[[]]` when
   * the operation requires no scope.
   */
  readonly scopes: readonly (readonly string[])[];
}

export interface JwtAuthorizerSettings {
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly audiences: readonly string[];
  readonly algorithms: readonly string[];
  readonly clockSkewSeconds: number;
  readonly jwksCacheSeconds: number;
  /** Scopes every token must carry, whatever the operation. */
  readonly requiredScopes: readonly string[];
  readonly scopeClaim: string;
  /** Claim naming the consumer: the policy's `principalId`. */
  readonly consumerClaim: string;
  /** Claim → key of the authorizer context, which integrations map to upstream headers. */
  readonly forwardClaims: Readonly<Record<string, string>>;
  /** The API's operations behind this authorizer. */
  readonly operations: readonly JwtAuthorizerOperation[];
}
