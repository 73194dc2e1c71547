/** Which runtime handles each policy: one entry per `policies/<name>/handler.ts`. */
import { createApiKeyHandler } from "../../../policies/api-key/handler";
import { createCacheHandler } from "../../../policies/cache/handler";
import { createCorsHandler } from "../../../policies/cors/handler";
import { createIpFilterHandler } from "../../../policies/ip-filter/handler";
import { createJwtHandler } from "../../../policies/jwt/handler";
import { createLifecycleHandler } from "../../../policies/lifecycle/handler";
import { createMaskingHandler } from "../../../policies/masking/handler";
import { createMtlsHandler } from "../../../policies/mtls/handler";
import { createQuotaHandler } from "../../../policies/quota/handler";
import { createRateLimitHandler } from "../../../policies/rate-limit/handler";
import { createRequestSizeLimitHandler } from "../../../policies/request-size-limit/handler";
import { createRequestValidationHandler } from "../../../policies/request-validation/handler";
import { createThreatProtectionHandler } from "../../../policies/threat-protection/handler";
import { createTransformHandler } from "../../../policies/transform/handler";
import type { PolicyName } from "../../../policies/index";
import type { HandlerFactory } from "./policy-handler";

const FACTORIES: Partial<Record<PolicyName, HandlerFactory<never>>> = {
  apiKey: createApiKeyHandler,
  cache: createCacheHandler,
  cors: createCorsHandler,
  ipFilter: createIpFilterHandler,
  jwt: createJwtHandler,
  lifecycle: createLifecycleHandler,
  masking: createMaskingHandler,
  mtls: createMtlsHandler,
  quota: createQuotaHandler,
  rateLimit: createRateLimitHandler,
  requestSizeLimit: createRequestSizeLimitHandler,
  requestValidation: createRequestValidationHandler,
  threatProtection: createThreatProtectionHandler,
  transform: createTransformHandler,
};

/**
 * The handler factory of a policy. A policy this gateway cannot enforce makes the manifest
 * unservable: a declared policy is never skipped silently.
 */
export function handlerFactory(policy: string): HandlerFactory<never> {
  const factory = FACTORIES[policy as PolicyName];
  if (factory === undefined) throw new Error(`policy "${policy}" is declared, but this gateway build has no handler for it, so it cannot enforce it`);
  return factory;
}
