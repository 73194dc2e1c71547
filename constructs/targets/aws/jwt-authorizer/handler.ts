/**
 * The JWT Lambda authorizer (API Gateway REST, TOKEN type) the AWS target deploys for a `jwt`
 * policy whose issuer is not a Cognito user pool. It verifies what the gateway's jwt handler
 * verifies: the signature against the JWKS (keys cached per Lambda instance), issuer, audiences,
 * algorithms, expiry with the clock skew, and scopes. Bundled with esbuild at deploy (./bundle.ts);
 * settings come as JSON in the TURNPIKE_JWT_AUTHORIZER environment variable (./settings.ts).
 *
 * API Gateway caches the returned policy per token for the authorizer's TTL and applies it to
 * every method of the API, so the policy lists every method the token may call, not only the one
 * being called: a cached answer is then right for the next method too.
 */
import { type JWTPayload, createRemoteJWKSet, jwtVerify } from "jose";
import { JWT_AUTHORIZER_SETTINGS_VARIABLE, type JwtAuthorizerOperation, type JwtAuthorizerSettings } from "./settings";

/** What API Gateway sends a TOKEN authorizer. */
export interface TokenAuthorizerEvent {
  readonly type: "TOKEN";
  /** The identity header's value, `Bearer <jwt>`. */
  readonly authorizationToken: string;
  /** `arn:aws:execute-api:<region>:<account>:<api id>/<stage>/<METHOD>/<path>`. */
  readonly methodArn: string;
}

export interface AuthorizerResult {
  readonly principalId: string;
  readonly policyDocument: {
    readonly Version: "2012-10-17";
    readonly Statement: readonly { readonly Action: "execute-api:Invoke"; readonly Effect: "Allow" | "Deny"; readonly Resource: readonly string[] }[];
  };
  /** Forwarded claims (strings), read by integrations as `context.authorizer.<key>`. */
  readonly context: Readonly<Record<string, string>>;
}

/**
 * API Gateway answers 401 only when the authorizer fails with exactly this message; any other
 * failure becomes a 500. So every verification failure throws it (the reason is logged).
 */
export const UNAUTHORIZED = "Unauthorized";

/** The scopes a token grants: a space-separated string or an array of strings. */
function scopesOf(value: unknown): Set<string> {
  if (typeof value === "string") return new Set(value.split(" ").filter((scope) => scope.length > 0));
  if (Array.isArray(value)) return new Set(value.filter((scope): scope is string => typeof scope === "string"));
  return new Set();
}

/** `/items/{itemId}` → `items/*`, as a resource in an execute-api policy. */
function resourceOf(operation: JwtAuthorizerOperation): string {
  return `${operation.method}/${operation.path.replace(/^\//, "").replace(/\{[^}]+\}/g, "*")}`;
}

/**
 * Whether an execute-api resource pattern matches requests of `operation`. In these patterns `*`
 * matches any characters, `/` included: `GET/items/*` also matches `GET/items/42/secret`.
 */
function covers(pattern: string, operation: JwtAuthorizerOperation): boolean {
  const regex = new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return regex.test(`${operation.method}/${operation.path.replace(/^\//, "").replace(/\{[^}]+\}/g, "x")}`);
}

/** A claim as a context value (strings only: API Gateway drops objects and arrays). */
function contextValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** An authorizer for these settings. The JWKS is fetched on first use, then cached. */
export function createJwtAuthorizer(settings: JwtAuthorizerSettings, log: (message: string) => void = console.warn): (event: TokenAuthorizerEvent) => Promise<AuthorizerResult> {
  const jwks = createRemoteJWKSet(new URL(settings.jwksUrl), { cacheMaxAge: settings.jwksCacheSeconds * 1_000, cooldownDuration: 30_000 });
  return async (event) => {
    const match = /^[Bb]earer ([^\s]+)$/.exec(event.authorizationToken ?? "");
    if (!match) {
      log("jwt authorizer: no Bearer token");
      throw new Error(UNAUTHORIZED);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(match[1]!, jwks, {
        issuer: settings.issuer,
        audience: [...settings.audiences],
        algorithms: [...settings.algorithms],
        clockTolerance: settings.clockSkewSeconds,
        requiredClaims: ["exp"],
      }));
    } catch (error) {
      log(`jwt authorizer: ${(error as Error).message}`);
      throw new Error(UNAUTHORIZED);
    }
    const granted = scopesOf(payload[settings.scopeClaim]);
    // `arn:…:<api id>/<stage>/<METHOD>/<path>`: the policy covers this API and stage only.
    const [apiArn, stage] = event.methodArn.split("/");
    const prefix = `${apiArn}/${stage}/`;
    const hasRequired = settings.requiredScopes.every((scope) => granted.has(scope));
    const permitted = (operation: JwtAuthorizerOperation) => hasRequired && operation.scopes.some((alternative) => alternative.every((scope) => granted.has(scope)));
    const allowedPatterns = settings.operations.filter(permitted).map(resourceOf);
    const allowed = allowedPatterns.map((pattern) => prefix + pattern);
    // An allowed pattern's `*` spans path segments, so it can cover another operation the token
    // lacks the scopes for (`GET/items/*` covers GET /items/{id}/secret): deny those explicitly
    // (an explicit Deny wins over an Allow).
    const denied = settings.operations
      .filter((operation) => !permitted(operation) && allowedPatterns.some((pattern) => covers(pattern, operation)))
      .map((operation) => prefix + resourceOf(operation));
    const principalId = contextValue(payload[settings.consumerClaim]) ?? "anonymous";
    const context: Record<string, string> = {};
    for (const [claim, key] of Object.entries(settings.forwardClaims)) {
      const value = contextValue(payload[claim]);
      if (value !== undefined) context[key] = value;
    }
    // A valid token without the scopes of any method: 403 on every method (cached as such).
    const statements =
      allowed.length > 0
        ? [{ Action: "execute-api:Invoke" as const, Effect: "Allow" as const, Resource: allowed }, ...(denied.length > 0 ? [{ Action: "execute-api:Invoke" as const, Effect: "Deny" as const, Resource: denied }] : [])]
        : [{ Action: "execute-api:Invoke" as const, Effect: "Deny" as const, Resource: [`${prefix}*`] }];
    return { principalId, policyDocument: { Version: "2012-10-17", Statement: statements }, context };
  };
}

let authorizer: ((event: TokenAuthorizerEvent) => Promise<AuthorizerResult>) | undefined;

/** The Lambda entry point (`index.handler` in the bundle). */
export async function handler(event: TokenAuthorizerEvent): Promise<AuthorizerResult> {
  if (authorizer === undefined) {
    const json = process.env[JWT_AUTHORIZER_SETTINGS_VARIABLE];
    if (json === undefined) throw new Error(`${JWT_AUTHORIZER_SETTINGS_VARIABLE} is not set`);
    authorizer = createJwtAuthorizer(JSON.parse(json) as JwtAuthorizerSettings);
  }
  return authorizer(event);
}
