/**
 * Every gateway policy, in one registry. The manifest schema, the compiler and the gateway
 * read policies from here; nothing else lists them.
 */
import { apiKeyPolicy } from "./api-key/schema";
import { cachePolicy } from "./cache/schema";
import { corsPolicy } from "./cors/schema";
import { ipFilterPolicy } from "./ip-filter/schema";
import { jwtPolicy } from "./jwt/schema";
import { lifecyclePolicy } from "./lifecycle/schema";
import { maskingPolicy } from "./masking/schema";
import { mtlsPolicy } from "./mtls/schema";
import type { Policy } from "./policy";
import { quotaPolicy } from "./quota/schema";
import { rateLimitPolicy } from "./rate-limit/schema";
import { requestSizeLimitPolicy } from "./request-size-limit/schema";
import { requestValidationPolicy } from "./request-validation/schema";
import { threatProtectionPolicy } from "./threat-protection/schema";
import { transformPolicy } from "./transform/schema";

export const POLICIES = [
  apiKeyPolicy,
  cachePolicy,
  corsPolicy,
  ipFilterPolicy,
  jwtPolicy,
  lifecyclePolicy,
  maskingPolicy,
  mtlsPolicy,
  quotaPolicy,
  rateLimitPolicy,
  requestSizeLimitPolicy,
  requestValidationPolicy,
  threatProtectionPolicy,
  transformPolicy,
] as const;

export type AnyPolicy = (typeof POLICIES)[number];
export type PolicyName = AnyPolicy["name"];

const byName = new Map<string, Policy>(POLICIES.map((policy) => [policy.name, policy as unknown as Policy]));

/** The policy called `name`, or `undefined`. */
export function policyNamed(name: string): Policy | undefined {
  return byName.get(name);
}

/** Names of the policies a declaration can attach (the compiler adds the others). */
export const DECLARABLE_POLICY_NAMES: readonly string[] = POLICIES.filter((policy) => policy.levels.length > 0).map((policy) => policy.name);

/** Names of the policies that authenticate callers. */
export const AUTHENTICATION_POLICY_NAMES: ReadonlySet<string> = new Set(["apiKey", "jwt", "mtls"]);

export { apiKey, type ApiKeyOptions } from "./api-key/schema";
export { cache, type CacheOptions } from "./cache/schema";
export { cors, type CorsOptions } from "./cors/schema";
export { ipFilter, type IpFilterOptions } from "./ip-filter/schema";
export { jwt, type JwtOptions } from "./jwt/schema";
export { masking, type MaskingOptions } from "./masking/schema";
export { mtls, type MtlsOptions } from "./mtls/schema";
export { quota, type QuotaOptions } from "./quota/schema";
export { rateLimit, type RateLimitOptions } from "./rate-limit/schema";
export { requestSizeLimit, type RequestSizeLimitOptions } from "./request-size-limit/schema";
export { requestValidation, type RequestValidationOptions } from "./request-validation/schema";
export { threatProtection, type ThreatProtectionOptions } from "./threat-protection/schema";
export { transform, type TransformOptions } from "./transform/schema";
export { PolicyDeclaration, PHASES, ATTACH_LEVELS, type Phase, type AttachLevel, type Policy } from "./policy";
