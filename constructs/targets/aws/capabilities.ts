/**
 * What AWS API Gateway can enforce of each served API's policies. The per-policy records in
 * `policies/<name>/targets.ts` say what the AWS target does at best; a policy's config can make
 * it worse (an API key in a query parameter, an hourly quota), which is decided here.
 * `none` is an error, `partial` a warning; for an API with `gatewayFallback: "node"` the Node
 * gateway enforces the whole chain, so its `none`s become notes.
 */
import type { Api, GatewayConfig, PolicyInstance } from "../../manifest/schema";
import { POLICY_TARGETS, type TargetSupport } from "../../../policies/target-support";
import { AUTHENTICATION_POLICY_NAMES } from "../../../policies/index";
import type { AwsTargetConfig } from "./config";

/** API Gateway's hard limit on a request payload, in bytes (10 MB). */
export const AWS_MAX_BODY_BYTES = 10_485_760;
/** Largest TTL of the stage cache, in seconds. */
export const AWS_MAX_CACHE_TTL_SECONDS = 3_600;
/**
 * Most of a body AWS WAF inspects for API Gateway, in bytes: 16 KB by default, raised to 64 KB
 * by the web ACL's association config (which Turnpike sets when a size rule exists).
 */
export const AWS_WAF_MAX_BODY_INSPECTION_BYTES = 65_536;
/** Seconds API Gateway caches a Lambda authorizer's answer per token. */
export const AWS_JWT_AUTHORIZER_TTL_SECONDS = 300;
/** Issuer of a Cognito user pool: `https://cognito-idp.<region>.amazonaws.com/<pool id>`. */
const COGNITO_ISSUER = /^https:\/\/cognito-idp\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com\/([a-z]{2}(?:-gov)?-[a-z]+-\d_[A-Za-z0-9]+)$/;

/** The Cognito user pool a JWT issuer names; `null` for any other issuer. */
export function cognitoUserPool(issuer: string): { region: string; poolId: string } | null {
  const match = COGNITO_ISSUER.exec(issuer);
  return match ? { region: match[1]!, poolId: match[2]! } : null;
}

/** The only header usage plans read API keys from (apiKeySource HEADER). */
export const AWS_API_KEY_HEADER = "x-api-key";

export interface AwsFinding {
  readonly severity: "error" | "warning" | "note";
  /** Manifest id of the API. */
  readonly api: string;
  readonly policy: string;
  /** First of the policy instance ids concerned (all are named in the message), e.g. `orders-v2/createOrder/rateLimit:consumer`. */
  readonly instance: string;
  readonly message: string;
}

/** The APIs the AWS target serves: the declared list, or every API that is not a draft. */
export function servedApis(manifest: GatewayConfig, config: AwsTargetConfig): Api[] {
  return manifest.spec.apis.filter((api) => (config.apis ? config.apis.includes(api.id) : api.lifecycle !== "draft"));
}

/** The policy instances in the chains of an API's operations, in first-use order. */
export function instancesOf(manifest: GatewayConfig, api: Api): PolicyInstance[] {
  const byId = new Map(manifest.spec.policies.map((instance) => [instance.id, instance]));
  const ids = new Set(api.operations.flatMap((operation) => operation.policies));
  return [...ids].map((id) => byId.get(id)!).filter((instance) => instance !== undefined);
}

/** The config type of one policy's instances. */
type ConfigOf<P extends PolicyInstance["policy"]> = Extract<PolicyInstance, { policy: P }>["config"];

interface HeaderEdits {
  readonly set: Readonly<Record<string, string>>;
  readonly remove: readonly string[];
}
/** The resolved config of a `transform` instance. */
export interface TransformConfig {
  readonly request: { readonly headers: HeaderEdits; readonly query: HeaderEdits; readonly path: string | null };
  readonly response: { readonly headers: HeaderEdits };
}

/** How AWS enforces one resolved policy instance, given its config and the target's settings. */
export function awsSupportOf(instance: PolicyInstance, config: AwsTargetConfig): TargetSupport {
  const base = POLICY_TARGETS[instance.policy].aws ?? { support: "none", reason: "the policy declares no AWS mapping" };
  const none = (reason: string): TargetSupport => ({ support: "none", reason });
  const partial = (reason: string): TargetSupport => ({ support: "partial", reason });
  const regions = config.regions.length;
  const when = instance.when;
  if (when !== null && instance.policy !== "rateLimit" && instance.policy !== "quota") {
    return none(`it applies only to consumers of plan ${when.product}/${when.plan}, and AWS cannot make a policy depend on the usage plan of the key`);
  }
  switch (instance.policy) {
    case "apiKey": {
      const { in: location, name } = instance.config as { in: string; name: string };
      if (location === "query") return none(`the key is read from the query parameter "${name}", but usage plans read API keys only from the ${AWS_API_KEY_HEADER} header`);
      if (name.toLowerCase() !== AWS_API_KEY_HEADER) return none(`the key is read from the header "${name}", but usage plans read API keys only from the ${AWS_API_KEY_HEADER} header`);
      return base;
    }
    case "rateLimit": {
      const { key, requests, perSeconds } = instance.config as ConfigOf<"rateLimit">;
      if (key === "ip") {
        if (!config.waf.enabled) return none(`a per-IP limit needs a WAF rate-based rule, and waf.enabled is false`);
        return partial(`a per-IP limit becomes the WAF rate-based rule, which blocks an IP after ${config.waf.rateLimitPerFiveMinutes} requests per 5 minutes (waf.rateLimitPerFiveMinutes) for the whole stage, not ${requests} per ${perSeconds} s`);
      }
      if (key === "global") return partial(`a limit for everyone becomes stage method throttling, a token bucket per region applied on a best-effort basis${regions > 1 ? `; with ${regions} regions up to ${regions}× the rate passes` : ""}`);
      return base;
    }
    case "quota": {
      const { key, period, timeZone, requests } = instance.config as ConfigOf<"quota">;
      if (period === "hour") return none("usage-plan quotas count per day, week or month; an hourly quota has no AWS equivalent");
      if (key !== "consumer") return none(`usage-plan quotas count per API key; a quota ${key === "ip" ? "per IP" : "for everyone"} has no AWS equivalent`);
      if (when === null) return none("usage-plan quotas count per API key across every API of the plan; a quota per API or operation has no AWS equivalent");
      const reason = (base as { reason: string }).reason;
      return partial(`${reason}${regions > 1 ? ` (here ${regions} regions: up to ${regions}× ${requests} per ${period})` : ""}${timeZone !== "UTC" ? `; periods reset in UTC, not ${timeZone}` : ""}`);
    }
    case "requestSizeLimit": {
      const { maxBodyBytes } = instance.config as ConfigOf<"requestSizeLimit">;
      if (maxBodyBytes > AWS_MAX_BODY_BYTES) return partial(`API Gateway rejects bodies over 10 MB (a hard limit), below the declared ${maxBodyBytes} bytes`);
      // Exactly API Gateway's own limit: enforced by it, with no WAF rule.
      if (maxBodyBytes === AWS_MAX_BODY_BYTES) return { support: "full" };
      if (!config.waf.enabled) return none(`API Gateway accepts bodies up to 10 MB; a limit of ${maxBodyBytes} bytes needs a WAF size rule, and waf.enabled is false`);
      if (maxBodyBytes > AWS_WAF_MAX_BODY_INSPECTION_BYTES) {
        return none(`AWS WAF inspects at most the first 64 KB of a body sent to API Gateway, so a body cannot be measured against a limit of ${maxBodyBytes} bytes; API Gateway's own limit is 10 MB`);
      }
      return base;
    }
    case "ipFilter":
      if (!config.waf.enabled) return none("allow and deny lists become WAF IP set rules, and waf.enabled is false");
      return base;
    case "jwt": {
      const { issuer, audiences } = instance.config as unknown as { issuer: string; audiences: readonly string[] };
      const pool = cognitoUserPool(issuer);
      if (pool) {
        return partial(
          `a Cognito user pool authorizer (${pool.poolId}) checks the signature, expiry and issuer, and that the token carries at least one of the operation's scopes (not all of them); it does not check the audiences (${audiences.join(", ")}), algorithms or clock skew, forwards no claims, and consumers are not matched by their subject`,
        );
      }
      return base;
    }
    case "requestValidation":
      if ((instance.config as { rejectUnknownQueryParameters: boolean }).rejectUnknownQueryParameters) return none("request validators cannot reject query parameters the contract does not declare (rejectUnknownQueryParameters)");
      return base;
    case "cache": {
      const { ttlSeconds } = instance.config as ConfigOf<"cache">;
      if (ttlSeconds > AWS_MAX_CACHE_TTL_SECONDS) return none(`the stage cache keeps entries at most ${AWS_MAX_CACHE_TTL_SECONDS} s; ttlSeconds is ${ttlSeconds}`);
      return base;
    }
    case "transform": {
      const { request, response } = instance.config as TransformConfig;
      if (response.headers.remove.length > 0 || Object.keys(response.headers.set).length > 0) return none("responses of an HTTP proxy integration pass through unchanged, so response headers cannot be set or removed");
      if (request.headers.remove.length > 0 || request.query.remove.length > 0) return none("an HTTP proxy integration forwards every request header and query parameter; they cannot be removed");
      return base;
    }
    case "mtls": {
      if (!config.customDomain?.truststore) return none("API Gateway checks client certificates only on a custom domain name with a truststore in S3, and the AwsGateway declares no customDomain.mtlsTruststore");
      const { allowedSubjects, forwardCertificate } = instance.config as { allowedSubjects: string[]; forwardCertificate: boolean };
      if (allowedSubjects.length > 0) return none("API Gateway checks the client certificate against the truststore only; allowed subjects would need a Lambda authorizer, which the AWS target does not deploy yet");
      const truststore = `s3://${config.customDomain.truststore.bucket}/${config.customDomain.truststore.key}`;
      return partial(`API Gateway checks client certificates on the custom domain ${config.customDomain.domainName} against the truststore ${truststore}, which must hold the same CAs as trustedCa; consumers are not identified by subject${forwardCertificate ? ", and the certificate is not forwarded upstream" : ""}`);
    }
    case "threatProtection":
      if (!config.waf.enabled) return none("injection screening needs the WAF managed rule groups, and waf.enabled is false");
      return base;
    default:
      return base;
  }
}

/** Upstream features an HTTP proxy integration does not have. */
function upstreamShortfalls(api: Api): string[] {
  const { upstream } = api;
  const missing: string[] = [];
  if (upstream.targets.length > 1) missing.push(`load balancing over ${upstream.targets.length} targets`);
  if (upstream.failover.length > 0) missing.push("failover targets");
  if (upstream.retries !== null) missing.push("retries");
  if (upstream.circuitBreaker !== null) missing.push("the circuit breaker");
  return missing;
}

/** A path template (`/items/{id}`) as a regular expression matching concrete paths. */
function routePattern(route: string): RegExp {
  return new RegExp(`^${route.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("[^/]+")}$`);
}

/**
 * Why the failover health check path cannot work, or `null`: it must be a GET operation of a
 * served API, reachable without credentials (Route 53 checkers send none).
 */
function healthCheckProblem(manifest: GatewayConfig, config: AwsTargetConfig): string | null {
  const path = config.customDomain?.failover?.healthCheckPath;
  if (path === undefined) return null;
  const byId = new Map(manifest.spec.policies.map((instance) => [instance.id, instance]));
  const candidates = servedApis(manifest, config).flatMap((api) => api.operations.filter((operation) => operation.method === "GET" && routePattern(operation.route).test(path)).map((operation) => ({ api, operation })));
  const match = candidates[0];
  if (match === undefined) return `customDomain.failover.healthCheckPath "${path}" is not a GET operation of a served API (route = base path + path, e.g. /items/v1/items)`;
  const auth = match.operation.policies.map((id) => byId.get(id)).filter((instance) => instance !== undefined && instance.when === null && AUTHENTICATION_POLICY_NAMES.has(instance.policy));
  if (auth.length > 0) return `customDomain.failover.healthCheckPath "${path}" is ${match.api.id} ${match.operation.operationId}, which needs credentials (${auth.map((instance) => instance!.policy).join(", ")}); Route 53 health checkers send none, so every region would be unhealthy`;
  return null;
}

/** Whether AWS checks API keys on some operation of the API: usage plans apply only to such APIs. */
function checksApiKeys(manifest: GatewayConfig, config: AwsTargetConfig, api: Api): boolean {
  return instancesOf(manifest, api).some((instance) => instance.policy === "apiKey" && instance.when === null && awsSupportOf(instance, config).support !== "none");
}

/**
 * How AWS enforces an instance in one API's chain. Per-consumer limits are usage plans, which
 * API Gateway applies by API key only: on an API where AWS checks no API key (a JWT or a client
 * certificate identifies the consumer), nothing enforces them.
 */
function awsSupportIn(manifest: GatewayConfig, config: AwsTargetConfig, api: Api, instance: PolicyInstance): TargetSupport {
  const support = awsSupportOf(instance, config);
  if (support.support === "none" || (instance.policy !== "rateLimit" && instance.policy !== "quota")) return support;
  if ((instance.config as { key: string }).key !== "consumer" || checksApiKeys(manifest, config, api)) return support;
  return { support: "none", reason: `a per-consumer ${instance.policy === "quota" ? "quota" : "limit"} becomes a usage plan, which API Gateway applies by API key only, and AWS checks no API key on ${api.id}, so consumers identified otherwise (a JWT subject, a client certificate) are not limited` };
}

/** Every served API's findings, sorted by API, then policy instance. */
export function checkAwsCapabilities(manifest: GatewayConfig, config: AwsTargetConfig): AwsFinding[] {
  const findings: AwsFinding[] = [];
  const ids = new Set(manifest.spec.apis.map((api) => api.id));
  const unknown = (id: string, field: string) => ({ severity: "error" as const, api: id, policy: "-", instance: field, message: `${field} names API "${id}", which the platform does not declare (its APIs: ${[...ids].join(", ")})` });
  for (const id of config.apis ?? []) if (!ids.has(id)) findings.push(unknown(id, "apis"));
  for (const id of Object.keys(config.gatewayFallback)) if (!ids.has(id)) findings.push(unknown(id, "gatewayFallback"));
  for (const id of config.vpcLinkApis) if (!ids.has(id)) findings.push(unknown(id, "vpcLinkApis"));
  const healthCheck = healthCheckProblem(manifest, config);
  if (healthCheck) findings.push({ severity: "error", api: "-", policy: "-", instance: "customDomain.failover.healthCheckPath", message: healthCheck });
  for (const api of servedApis(manifest, config)) {
    const fallback = config.gatewayFallback[api.id] === "node";
    const upstream = upstreamShortfalls(api);
    if (upstream.length > 0 && !fallback) {
      // A warning, not an error: traffic still reaches the upstream, only less resiliently, and
      // retries are on by default, so an error would fail nearly every declaration.
      const reason = `the REST API proxies every operation to the first upstream target with API Gateway's timeout of at most 29 s; not applied: ${upstream.join(", ")}`;
      findings.push({ severity: "warning", api: api.id, policy: "upstream", instance: `${api.id}/upstream`, message: `API ${api.id}, upstream: AWS API Gateway applies it only partly: ${reason}` });
    }
    // One finding per API, policy and reason, naming every instance it concerns.
    const groups = new Map<string, { policy: string; support: TargetSupport; instances: string[] }>();
    for (const instance of instancesOf(manifest, api)) {
      const support = awsSupportIn(manifest, config, api, instance);
      if (support.support === "full") continue;
      const key = `${instance.policy}|${support.support}|${support.reason}`;
      const group = groups.get(key) ?? { policy: instance.policy, support, instances: [] };
      group.instances.push(instance.id);
      groups.set(key, group);
    }
    for (const { policy, support, instances } of groups.values()) {
      if (support.support === "full") continue;
      const sorted = instances.sort();
      const what = `API ${api.id}, policy ${policy} (${sorted.join(", ")})`;
      const base = { api: api.id, policy, instance: sorted[0]! };
      if (fallback) {
        if (support.support === "none") findings.push({ ...base, severity: "note", message: `${what}: not enforceable on AWS (${support.reason}); enforced by the Node gateway (gatewayFallback: "node")` });
      } else if (support.support === "none") {
        findings.push({ ...base, severity: "error", message: `${what}: AWS API Gateway cannot enforce it: ${support.reason}` });
      } else {
        findings.push({ ...base, severity: "warning", message: `${what}: AWS API Gateway enforces it only partly: ${support.reason}` });
      }
    }
  }
  const rank = { error: 0, warning: 1, note: 2 } as const;
  return findings.sort((a, b) => rank[a.severity] - rank[b.severity] || (a.api < b.api ? -1 : a.api > b.api ? 1 : 0) || (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0));
}
