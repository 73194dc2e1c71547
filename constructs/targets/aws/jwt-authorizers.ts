/**
 * The authorizers of one REST API, from the `jwt` policy instances in its operations' chains:
 * a Cognito user pool authorizer when the issuer is a Cognito user pool (same account), else a
 * Lambda TOKEN authorizer running ./jwt-authorizer/handler.ts with the instance's settings.
 * Pure: the OpenAPI document and `deployAws()` both read these specs.
 */
import type { z } from "zod";
import type { jwtOptions } from "../../../policies/jwt/schema";
import { sha256Hex } from "../../manifest/canonical-json";
import type { Api, GatewayConfig, Operation, PolicyInstance } from "../../manifest/schema";
import { AWS_JWT_AUTHORIZER_TTL_SECONDS, awsSupportOf, cognitoUserPool } from "./capabilities";
import type { AwsRegionConfig, AwsTargetConfig } from "./config";
import type { JwtAuthorizerOperation, JwtAuthorizerSettings } from "./jwt-authorizer/settings";

/** The resolved config of a `jwt` instance (the policy's options with its computed schemes). */
type JwtConfig = z.output<typeof jwtOptions> & { readonly securitySchemes: readonly string[] };

interface AuthorizerBase {
  /** The `jwt` instance. */
  readonly instance: string;
  /** Security scheme (and authorizer) name in the REST API. */
  readonly schemeName: string;
  /** Header carrying the token, e.g. `authorization`. */
  readonly header: string;
  /** operationId → scopes for the method's security requirement. */
  readonly operationScopes: ReadonlyMap<string, readonly string[]>;
}

export interface CognitoAuthorizerSpec extends AuthorizerBase {
  readonly kind: "cognito";
  readonly userPoolArn: string;
}

export interface LambdaAuthorizerSpec extends AuthorizerBase {
  readonly kind: "lambda";
  /** Deterministic, so the document can name the function before it exists. */
  readonly functionName: string;
  readonly functionArn: string;
  readonly settings: JwtAuthorizerSettings;
  /** Upstream header → the authorizer context key carrying the forwarded claim. */
  readonly forwardHeaders: Readonly<Record<string, string>>;
}

export type JwtAuthorizerSpec = CognitoAuthorizerSpec | LambdaAuthorizerSpec;

/** Seconds API Gateway caches a Lambda authorizer's policy per token. */
export const JWT_AUTHORIZER_TTL_SECONDS = AWS_JWT_AUTHORIZER_TTL_SECONDS;

/** A Bearer token in the identity header; API Gateway answers 401 without calling the Lambda otherwise. */
export const BEARER_TOKEN_PATTERN = "^[Bb]earer [-0-9A-Za-z._~+/]+=*$";

/**
 * The function name of an instance's authorizer for one API: at most 64 characters, stable across
 * deploys. Per API, not per instance: a platform-level `jwt` instance is in every API's chains,
 * and each API's function carries that API's operations (the methods its policy allows).
 */
export function jwtAuthorizerFunctionName(platform: string, apiId: string, instanceId: string): string {
  return `${platform.slice(0, 40)}-jwt-${sha256Hex(`${apiId}\n${instanceId}`).slice(0, 16)}`;
}

/** The authorizer context key carrying a forwarded claim (context keys are plain identifiers). */
export function claimContextKey(claim: string): string {
  return `claim_${claim.replace(/[^A-Za-z0-9]/g, "_")}`;
}

/** Scope alternatives of an operation for the instance's security schemes; `[[]]` when none are required. */
function scopeAlternatives(operation: Operation, schemes: readonly string[]): string[][] {
  const alternatives = (operation.security ?? []).flatMap((alternative) => {
    const requirements = alternative.filter((requirement) => schemes.includes(requirement.scheme));
    return requirements.length > 0 ? [[...new Set(requirements.flatMap((requirement) => requirement.scopes))].sort()] : [];
  });
  return alternatives.length > 0 ? alternatives : [[]];
}

/** The authorizers of `api` in `region`, one per `jwt` instance AWS enforces, in first-use order. */
export function jwtAuthorizers(manifest: GatewayConfig, api: Api, config: AwsTargetConfig, region: AwsRegionConfig, accountId: string): JwtAuthorizerSpec[] {
  if (config.gatewayFallback[api.id] === "node") return [];
  const byId = new Map(manifest.spec.policies.map((instance) => [instance.id, instance]));
  const specs = new Map<string, { instance: PolicyInstance; operations: Operation[] }>();
  for (const operation of api.operations) {
    for (const id of operation.policies) {
      const instance = byId.get(id);
      if (instance?.policy !== "jwt" || instance.when !== null || awsSupportOf(instance, config).support === "none") continue;
      const entry = specs.get(id) ?? { instance, operations: [] };
      entry.operations.push(operation);
      specs.set(id, entry);
    }
  }
  return [...specs.values()].map(({ instance, operations }): JwtAuthorizerSpec => {
    const jwt = instance.config as unknown as JwtConfig;
    const schemeName = `jwt-${instance.id.replace(/[^A-Za-z0-9]+/g, "-")}`;
    const alternatives = new Map(operations.map((operation) => [operation.operationId, scopeAlternatives(operation, jwt.securitySchemes)]));
    const pool = cognitoUserPool(jwt.issuer);
    if (pool) {
      // Cognito checks that the token has any one of the method's authorizationScopes: list them all.
      const operationScopes = new Map([...alternatives].map(([operationId, options]) => [operationId, [...new Set([...options.flat(), ...jwt.requiredScopes])].sort()]));
      return { kind: "cognito", instance: instance.id, schemeName, header: jwt.header, operationScopes, userPoolArn: `arn:aws:cognito-idp:${pool.region}:${accountId}:userpool/${pool.poolId}` };
    }
    const functionName = jwtAuthorizerFunctionName(manifest.metadata.name, api.id, instance.id);
    const contextKeys = Object.fromEntries(Object.keys(jwt.forwardClaims).sort().map((claim) => [claim, claimContextKey(claim)]));
    const settingsOperations: JwtAuthorizerOperation[] = operations.map((operation) => ({ method: operation.method, path: operation.path, scopes: alternatives.get(operation.operationId)! }));
    return {
      kind: "lambda",
      instance: instance.id,
      schemeName,
      header: jwt.header,
      // Scopes on a custom authorizer's method are ignored by API Gateway; the Lambda checks them.
      operationScopes: new Map(operations.map((operation) => [operation.operationId, []])),
      functionName,
      functionArn: `arn:aws:lambda:${region.name}:${accountId}:function:${functionName}`,
      forwardHeaders: Object.fromEntries(Object.entries(jwt.forwardClaims).map(([claim, header]) => [header, contextKeys[claim]!])),
      settings: {
        issuer: jwt.issuer,
        jwksUrl: jwt.jwksUrl,
        audiences: jwt.audiences,
        algorithms: jwt.algorithms,
        clockSkewSeconds: jwt.clockSkewSeconds,
        jwksCacheSeconds: jwt.jwksCacheSeconds,
        requiredScopes: jwt.requiredScopes,
        scopeClaim: jwt.scopeClaim,
        consumerClaim: jwt.consumerClaim,
        forwardClaims: contextKeys,
        operations: settingsOperations,
      },
    };
  });
}

/** The `securitySchemes` entry of an authorizer, with API Gateway's extensions. */
export function authorizerSecurityScheme(spec: JwtAuthorizerSpec, region: AwsRegionConfig): Record<string, unknown> {
  const base = { type: "apiKey", name: spec.header, in: "header" };
  if (spec.kind === "cognito") {
    return { ...base, "x-amazon-apigateway-authtype": "cognito_user_pools", "x-amazon-apigateway-authorizer": { type: "cognito_user_pools", providerARNs: [spec.userPoolArn] } };
  }
  return {
    ...base,
    "x-amazon-apigateway-authtype": "custom",
    "x-amazon-apigateway-authorizer": {
      type: "token",
      authorizerUri: `arn:aws:apigateway:${region.name}:lambda:path/2015-03-31/functions/${spec.functionArn}/invocations`,
      authorizerResultTtlInSeconds: JWT_AUTHORIZER_TTL_SECONDS,
      identityValidationExpression: BEARER_TOKEN_PATTERN,
    },
  };
}
