/**
 * What AWS API Gateway enforces of each policy: one test per `none` (error) and `partial`
 * (warning) mapping, asserting the exact text synthesis reports. Instances are added to a
 * compiled manifest with the config under test, attached to `listItems`.
 */
import { apiKey, compileManifest, requestSizeLimit } from "../../../constructs/index";
import type { GatewayConfig, PolicyInstance } from "../../../constructs/manifest/schema";
import { checkAwsCapabilities } from "../../../constructs/targets/aws/capabilities";
import type { AwsTargetConfig } from "../../../constructs/targets/aws/config";
import { awsFixture, compileAws } from "./aws-fixture";

let manifest: GatewayConfig;
let aws: AwsTargetConfig;
beforeAll(async () => {
  ({ manifest, aws } = await compileAws(awsFixture({ apiPolicies: [apiKey()] })));
});

/** The manifest with this instance as the only one of its policy, in listItems' chain. */
function withInstance(policy: string, config: Record<string, unknown>, when: PolicyInstance["when"] = null): GatewayConfig {
  const instance = { policy, id: `items-v1/test-${policy}`, scope: `items-v1/test-${policy}`, level: "api", declaredAt: "shop/items", phases: ["access"], when, config } as unknown as PolicyInstance;
  const others = new Set(manifest.spec.policies.filter((candidate) => candidate.policy === policy).map((candidate) => candidate.id));
  const apis = manifest.spec.apis.map((api) => ({
    ...api,
    operations: api.operations.map((operation) => {
      const policies = operation.policies.filter((id) => !others.has(id));
      return { ...operation, policies: operation.operationId === "listItems" ? [...policies, instance.id] : policies };
    }),
  }));
  return { ...manifest, spec: { ...manifest.spec, apis, policies: [...manifest.spec.policies, instance] } };
}

function finding(policy: string, config: Record<string, unknown>, options: { when?: PolicyInstance["when"]; target?: Partial<AwsTargetConfig> } = {}) {
  const findings = checkAwsCapabilities(withInstance(policy, config, options.when ?? null), { ...aws, ...options.target });
  return findings.find((candidate) => candidate.instance === `items-v1/test-${policy}`);
}

const NO_WAF = { waf: { enabled: false, rateLimitPerFiveMinutes: 2_000 } };
const TRUSTSTORE = { domainName: "api.shop.example", truststore: { bucket: "shop-trust", key: "clients.pem" }, hostedZone: null, failover: null };
const ONE_REGION = { regions: [{ name: "eu-west-1", nodeGatewayUrl: null, certificateArn: null, alarmTopicArn: null, vpcLinkId: null }] };
const JWT = { issuer: "https://auth.shop.example/", jwksUrl: "https://auth.shop.example/jwks.json", audiences: ["https://api.shop.example"], requiredScopes: [], algorithms: ["RS256"], clockSkewSeconds: 30, jwksCacheSeconds: 600, header: "authorization", consumerClaim: "sub", scopeClaim: "scope", forwardClaims: {}, securitySchemes: [] };
const at = (policy: string) => `API items-v1, policy ${policy} (items-v1/test-${policy})`;

describe("AWS capability errors (none)", () => {
  it.each<[string, string, Record<string, unknown>, { when?: PolicyInstance["when"]; target?: Partial<AwsTargetConfig> }, string]>([
    ["apiKey in a query parameter", "apiKey", { in: "query", name: "api_key" }, {}, 'the key is read from the query parameter "api_key", but usage plans read API keys only from the x-api-key header'],
    ["apiKey in another header", "apiKey", { in: "header", name: "x-key" }, {}, 'the key is read from the header "x-key", but usage plans read API keys only from the x-api-key header'],
    ["rateLimit per IP without WAF", "rateLimit", { key: "ip", requests: 5, perSeconds: 1, burst: 5 }, { target: NO_WAF }, "a per-IP limit needs a WAF rate-based rule, and waf.enabled is false"],
    ["hourly quota", "quota", { key: "consumer", period: "hour", requests: 100, timeZone: "UTC" }, { when: { product: "shop", plan: "free" } }, "usage-plan quotas count per day, week or month; an hourly quota has no AWS equivalent"],
    ["quota per IP", "quota", { key: "ip", period: "day", requests: 100, timeZone: "UTC" }, {}, "usage-plan quotas count per API key; a quota per IP has no AWS equivalent"],
    ["quota for everyone", "quota", { key: "global", period: "day", requests: 100, timeZone: "UTC" }, {}, "usage-plan quotas count per API key; a quota for everyone has no AWS equivalent"],
    ["quota per consumer on an API", "quota", { key: "consumer", period: "day", requests: 100, timeZone: "UTC" }, {}, "usage-plan quotas count per API key across every API of the plan; a quota per API or operation has no AWS equivalent"],
    ["body limit over WAF's 64 KB inspection", "requestSizeLimit", { maxBodyBytes: 65_537 }, {}, "AWS WAF inspects at most the first 64 KB of a body sent to API Gateway, so a body cannot be measured against a limit of 65537 bytes; API Gateway's own limit is 10 MB"],
    ["body limit without WAF", "requestSizeLimit", { maxBodyBytes: 1_024 }, { target: NO_WAF }, "API Gateway accepts bodies up to 10 MB; a limit of 1024 bytes needs a WAF size rule, and waf.enabled is false"],
    ["unknown query parameters", "requestValidation", { path: true, query: true, headers: true, body: true, rejectUnknownQueryParameters: true }, {}, "request validators cannot reject query parameters the contract does not declare (rejectUnknownQueryParameters)"],
    ["cache TTL over an hour", "cache", { ttlSeconds: 7_200, varyHeaders: [], perConsumer: true }, {}, "the stage cache keeps entries at most 3600 s; ttlSeconds is 7200"],
    ["response header transform", "transform", { request: { headers: { set: {}, remove: [] }, query: { set: {}, remove: [] }, path: null }, response: { headers: { set: { "x-a": "1" }, remove: [] } } }, {}, "responses of an HTTP proxy integration pass through unchanged, so response headers cannot be set or removed"],
    ["request header removal", "transform", { request: { headers: { set: {}, remove: ["x-b"] }, query: { set: {}, remove: [] }, path: null }, response: { headers: { set: {}, remove: [] } } }, {}, "an HTTP proxy integration forwards every request header and query parameter; they cannot be removed"],
    ["plan-conditional policy", "transform", { request: { headers: { set: { "x-tier": "pro" }, remove: [] }, query: { set: {}, remove: [] }, path: null }, response: { headers: { set: {}, remove: [] } } }, { when: { product: "shop", plan: "pro" } }, "it applies only to consumers of plan shop/pro, and AWS cannot make a policy depend on the usage plan of the key"],
    ["threat protection without WAF", "threatProtection", {}, { target: NO_WAF }, "injection screening needs the WAF managed rule groups, and waf.enabled is false"],
    ["ipFilter without WAF", "ipFilter", { allow: [], deny: ["203.0.113.0/24"] }, { target: NO_WAF }, "allow and deny lists become WAF IP set rules, and waf.enabled is false"],
    ["masking", "masking", { fields: [{ path: "$.email", action: "redact", replacement: "****", keepLast: 0 }], nonJson: "reject", maxBodyBytes: 1_048_576 }, {}, "API Gateway passes the body of an HTTP proxy integration's response through unchanged (mapping templates apply only to non-proxy integrations, and cannot remove a field at any depth), so fields cannot be removed or redacted; serve the API from the Node gateway"],
    ["lifecycle", "lifecycle", { state: "deprecated" }, {}, "an HTTP proxy integration passes responses through unchanged, so Deprecation, Sunset and Link headers cannot be added, and a retired API answering 410 would need mock integrations, which the AWS target does not deploy yet"],
    ["mtls without a truststore", "mtls", { allowedSubjects: [], forwardCertificate: false }, {}, "API Gateway checks client certificates only on a custom domain name with a truststore in S3, and the AwsGateway declares no customDomain.mtlsTruststore"],
    ["mtls with allowed subjects", "mtls", { allowedSubjects: ["CN=billing"], forwardCertificate: false }, { target: { customDomain: TRUSTSTORE } }, "API Gateway checks the client certificate against the truststore only; allowed subjects would need a Lambda authorizer, which the AWS target does not deploy yet"],
  ])("%s is an error naming the API, policy and reason", (_, policy, config, options, reason) => {
    expect(finding(policy, config, options)).toEqual({ severity: "error", api: "items-v1", policy, instance: `items-v1/test-${policy}`, message: `${at(policy)}: AWS API Gateway cannot enforce it: ${reason}` });
  });
});

describe("AWS capability warnings (partial)", () => {
  it.each<[string, string, Record<string, unknown>, { when?: PolicyInstance["when"]; target?: Partial<AwsTargetConfig> }, string]>([
    ["rateLimit per consumer", "rateLimit", { key: "consumer", requests: 5, perSeconds: 1, burst: 5 }, {}, "usage-plan and stage throttling is a token bucket per API key per stage and region (rate/s and burst), applied on a best-effort basis, without RateLimit headers; per-IP limits need a WAF rate-based rule, which counts over a window of 1 to 10 minutes"],
    ["rateLimit per IP with WAF", "rateLimit", { key: "ip", requests: 50, perSeconds: 1, burst: 50 }, {}, "a per-IP limit becomes the WAF rate-based rule, which blocks an IP after 2000 requests per 5 minutes (waf.rateLimitPerFiveMinutes) for the whole stage, not 50 per 1 s"],
    ["rateLimit for everyone, 2 regions", "rateLimit", { key: "global", requests: 50, perSeconds: 1, burst: 50 }, {}, "a limit for everyone becomes stage method throttling, a token bucket per region applied on a best-effort basis; with 2 regions up to 2× the rate passes"],
    ["rateLimit for everyone, 1 region", "rateLimit", { key: "global", requests: 50, perSeconds: 1, burst: 50 }, { target: ONE_REGION }, "a limit for everyone becomes stage method throttling, a token bucket per region applied on a best-effort basis"],
    ["plan quota in 2 regions", "quota", { key: "consumer", period: "month", requests: 1_000, timeZone: "UTC" }, { when: { product: "shop", plan: "free" } }, "usage-plan quotas count per API key per region on a best-effort basis (not hard limits), for a day, week or month only, reset in UTC, without quota headers; with N regions a consumer gets up to N times the quota (here 2 regions: up to 2× 1000 per month)"],
    ["plan quota in another time zone", "quota", { key: "consumer", period: "day", requests: 1_000, timeZone: "Europe/Paris" }, { when: { product: "shop", plan: "free" }, target: ONE_REGION }, "usage-plan quotas count per API key per region on a best-effort basis (not hard limits), for a day, week or month only, reset in UTC, without quota headers; with N regions a consumer gets up to N times the quota; periods reset in UTC, not Europe/Paris"],
    ["body limit of 10 MB or more", "requestSizeLimit", { maxBodyBytes: 20_971_520 }, {}, "API Gateway rejects bodies over 10 MB (a hard limit), below the declared 20971520 bytes"],
    ["request validation", "requestValidation", { path: true, query: true, headers: true, body: true, rejectUnknownQueryParameters: false }, {}, "request validators check required parameters and JSON bodies against draft-04 schema models only; parameter schemas (types, patterns, ranges), non-JSON bodies and unknown query parameters are not checked"],
    ["cache", "cache", { ttlSeconds: 60, varyHeaders: [], perConsumer: true }, {}, "the stage cache cluster caches per method with a TTL of at most 3600 s, keyed by declared parameters and headers; it ignores the upstream Vary and Cache-Control: no-store, and clients may invalidate entries only with an IAM permission"],
    ["request header transform", "transform", { request: { headers: { set: { "x-a": "1" }, remove: [] }, query: { set: {}, remove: [] }, path: null }, response: { headers: { set: {}, remove: [] } } }, {}, "request headers and query parameters can be set to static values by integration parameter mapping and paths rewritten in the integration URI; headers cannot be removed and responses of an HTTP proxy integration cannot be changed"],
    ["threat protection with WAF", "threatProtection", {}, {}, "WAF managed rule groups (common, SQL injection, known bad inputs) screen injections, with their own patterns; JSON depth, key, array and string limits and XML DTD checks have no WAF equivalent, and WAF inspects only the first 16 KB of a body by default (64 KB at most)"],
    ["mtls with a truststore", "mtls", { allowedSubjects: [], forwardCertificate: true }, { target: { customDomain: TRUSTSTORE } }, "API Gateway checks client certificates on the custom domain api.shop.example against the truststore s3://shop-trust/clients.pem, which must hold the same CAs as trustedCa; consumers are not identified by subject, and the certificate is not forwarded upstream"],
    ["body limit up to 64 KB, with WAF", "requestSizeLimit", { maxBodyBytes: 65_536 }, {}, "a WAF size constraint rule blocks bodies over the limit with 413, but AWS WAF inspects only the first 8, 16 or 64 KB of a body (16 KB for API Gateway by default; Turnpike raises the web ACL's limit to 64 KB), so only limits up to 64 KB can be enforced, and API Gateway rejects bodies over 10 MB itself"],
    ["ipFilter with WAF", "ipFilter", { allow: ["198.51.100.0/24"], deny: [] }, {}, "WAF IP set rules (IPv4 and IPv6 sets) allow or deny the address that connects to API Gateway, not one taken from X-Forwarded-For after the platform's trustedProxies, and a denied caller gets WAF's 403 response before the API is reached"],
    ["jwt with a Lambda authorizer", "jwt", JWT, {}, "a Lambda authorizer verifies the signature against the JWKS, the issuer, audiences, algorithms, expiry and the operation's scopes, but API Gateway caches its answer for 300 s per token, so a token stays accepted up to 300 s after it expires; consumers are not matched to usage plans by their subject, and failures answer API Gateway's 401/403 bodies without a WWW-Authenticate challenge"],
    ["jwt from a Cognito user pool", "jwt", { ...JWT, issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123" }, {}, "a Cognito user pool authorizer (eu-west-1_AbC123) checks the signature, expiry and issuer, and that the token carries at least one of the operation's scopes (not all of them); it does not check the audiences (https://api.shop.example), algorithms or clock skew, forwards no claims, and consumers are not matched by their subject"],
    ["cors", "cors", { origins: ["*"] }, {}, "preflight OPTIONS requests are answered by mock integrations, but an HTTP proxy integration passes the upstream response through unchanged, so the CORS headers of actual responses must come from the upstream"],
  ])("%s is a warning naming the API, policy and reason", (_, policy, config, options, reason) => {
    expect(finding(policy, config, options)).toEqual({ severity: "warning", api: "items-v1", policy, instance: `items-v1/test-${policy}`, message: `${at(policy)}: AWS API Gateway enforces it only partly: ${reason}` });
  });

  it.each<[string, string, Record<string, unknown>, PolicyInstance["when"], string]>([
    ["plan rate limit", "rateLimit", { key: "consumer", requests: 5, perSeconds: 1, burst: 5 }, { product: "shop", plan: "free" }, "limit"],
    ["operation rate limit per consumer", "rateLimit", { key: "consumer", requests: 5, perSeconds: 1, burst: 5 }, null, "limit"],
    ["plan quota", "quota", { key: "consumer", period: "month", requests: 1_000, timeZone: "UTC" }, { product: "shop", plan: "free" }, "quota"],
  ])("a %s on an API where AWS checks no API key is an error: usage plans apply by API key only", (_, policy, config, when, what) => {
    const keyed = withInstance(policy, config, when);
    expect(checkAwsCapabilities(keyed, aws).find((candidate) => candidate.instance === `items-v1/test-${policy}`)!.severity).toBe("warning");
    const apiKeys = new Set(keyed.spec.policies.filter((instance) => instance.policy === "apiKey").map((instance) => instance.id));
    const apis = keyed.spec.apis.map((api) => ({ ...api, operations: api.operations.map((operation) => ({ ...operation, policies: operation.policies.filter((id) => !apiKeys.has(id)) })) }));
    const unkeyed = { ...keyed, spec: { ...keyed.spec, apis } };
    expect(checkAwsCapabilities(unkeyed, aws).find((candidate) => candidate.instance === `items-v1/test-${policy}`)).toEqual({
      severity: "error",
      api: "items-v1",
      policy,
      instance: `items-v1/test-${policy}`,
      message: `${at(policy)}: AWS API Gateway cannot enforce it: a per-consumer ${what} becomes a usage plan, which API Gateway applies by API key only, and AWS checks no API key on items-v1, so consumers identified otherwise (a JWT subject, a client certificate) are not limited`,
    });
  });

  it("a body limit of exactly 10 MB is API Gateway's own limit: no finding, with or without WAF", () => {
    expect(finding("requestSizeLimit", { maxBodyBytes: 10_485_760 })).toBeUndefined();
    expect(finding("requestSizeLimit", { maxBodyBytes: 10_485_760 }, { target: NO_WAF })).toBeUndefined();
  });

  it("an API key in x-api-key is enforced fully: no finding", () => {
    expect(finding("apiKey", { in: "header", name: "x-api-key" })).toBeUndefined();
  });

  it("upstream retries, load balancing and failover are a warning", () => {
    const findings = checkAwsCapabilities(manifest, aws).filter((candidate) => candidate.policy === "upstream");
    expect(findings).toEqual([
      { severity: "warning", api: "items-v1", policy: "upstream", instance: "items-v1/upstream", message: "API items-v1, upstream: AWS API Gateway applies it only partly: the REST API proxies every operation to the first upstream target with API Gateway's timeout of at most 29 s; not applied: retries" },
    ]);
  });
});

describe("AWS capabilities at compile time", () => {
  it("fails the compile with each error on the AwsGateway, with the fix", async () => {
    const result = await compileManifest(awsFixture({ apiPolicies: [apiKey(), requestSizeLimit({ maxBodyBytes: 1_048_577 })] }));
    expect(result.manifest).toBeUndefined();
    expect(result.diagnostics.filter((diagnostic) => diagnostic.severity === "error")).toEqual([
      {
        severity: "error",
        code: "invalid-policy",
        path: "shop/aws",
        field: 'gatewayFallback["items-v1"]',
        message: "API items-v1, policy requestSizeLimit (items-v1/requestSizeLimit): AWS API Gateway cannot enforce it: AWS WAF inspects at most the first 64 KB of a body sent to API Gateway, so a body cannot be measured against a limit of 1048577 bytes; API Gateway's own limit is 10 MB",
        fix: 'remove the policy, or set gatewayFallback: { "items-v1": "node" } to serve items-v1 through the Node gateway',
      },
    ]);
  });

  it("gatewayFallback turns the API's errors into notes, which are not compile diagnostics", async () => {
    const platform = awsFixture({
      apiPolicies: [apiKey(), requestSizeLimit({ maxBodyBytes: 1_048_577 })],
      gateway: { regions: [{ name: "eu-west-1", nodeGatewayUrl: "https://api.shop.example" }], gatewayFallback: { "items-v1": "node" } },
    });
    const result = await compileManifest(platform);
    expect(result.diagnostics).toEqual([]);
    const notes = checkAwsCapabilities(result.manifest!, result.targets.aws!);
    expect(notes.map((note) => note.severity)).toEqual(["note"]);
    expect(notes[0]!.message).toBe(
      `API items-v1, policy requestSizeLimit (items-v1/requestSizeLimit): not enforceable on AWS (AWS WAF inspects at most the first 64 KB of a body sent to API Gateway, so a body cannot be measured against a limit of 1048577 bytes; API Gateway's own limit is 10 MB); enforced by the Node gateway (gatewayFallback: "node")`,
    );
  });
});
