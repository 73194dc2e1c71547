/**
 * `deployAws()`: declares the AWS target with @pulumi/aws, per region through that region's
 * provider. Per served API: a `RestApi` whose body is the OpenAPI with extensions, a
 * `Deployment` whose triggers hash that body (so every change of the API redeploys the stage,
 * the long-standing "stale deployment" trap), a `Stage` with JSON access logs and X-Ray, and
 * method settings for caching and global throttling. Per product × plan: a `UsagePlan` with
 * the plan's throttle and quota, the consumers' `ApiKey`s read from Secrets Manager, and a
 * WAFv2 web ACL associated to every stage.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { sha256Hex } from "../../manifest/canonical-json";
import type { Api, GatewayConfig, Plan } from "../../manifest/schema";
import { awsSupportOf, checkAwsCapabilities, servedApis } from "./capabilities";
import type { AwsRegionConfig, AwsTargetConfig } from "./config";
import { fallsBack, openApiWithExtensions } from "./openapi-with-extensions";

/** What was declared in one region. */
export interface AwsRegionDeployment {
  readonly region: AwsRegionConfig;
  readonly provider: aws.Provider;
  readonly apis: readonly AwsApiDeployment[];
  readonly usagePlans: readonly aws.apigateway.UsagePlan[];
  readonly apiKeys: readonly aws.apigateway.ApiKey[];
  readonly webAcl: aws.wafv2.WebAcl | null;
  /** The custom domain in this region; `null` when none is declared. */
  readonly domainName: aws.apigateway.DomainName | null;
}

export interface AwsApiDeployment {
  /** Manifest id of the API. */
  readonly api: string;
  readonly restApi: aws.apigateway.RestApi;
  readonly deployment: aws.apigateway.Deployment;
  readonly stage: aws.apigateway.Stage;
  readonly logGroup: aws.cloudwatch.LogGroup;
  /** The stage's URL, e.g. `https://<id>.execute-api.eu-west-1.amazonaws.com/live`. */
  readonly url: pulumi.Output<string>;
}

export interface AwsDeployment {
  readonly regions: readonly AwsRegionDeployment[];
  /** `consumer: reason` for declared API key credentials not deployed (their secret is not in Secrets Manager). */
  readonly skippedCredentials: readonly string[];
}

/** Access log line: one JSON object per request (CloudWatch Logs Insights reads the fields). */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  apiKeyId: "$context.identity.apiKeyId",
  requestTime: "$context.requestTimeEpoch",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  status: "$context.status",
  responseLength: "$context.responseLength",
  latencyMs: "$context.responseLatency",
  integrationLatencyMs: "$context.integrationLatency",
  wafStatus: "$context.waf.status",
  xrayTraceId: "$context.xrayTraceId",
});

const QUOTA_PERIODS = { day: "DAY", week: "WEEK", month: "MONTH" } as const;

/** Declares everything; throws before declaring anything when AWS cannot enforce a served API's policy. */
export function deployAws(manifest: GatewayConfig, config: AwsTargetConfig): AwsDeployment {
  const errors = checkAwsCapabilities(manifest, config).filter((finding) => finding.severity === "error");
  if (errors.length > 0) throw new Error(`the AWS target cannot be deployed:\n${errors.map((error) => `- ${error.message}`).join("\n")}`);
  const skippedCredentials: string[] = [];
  const regions = config.regions.map((region) => deployRegion(manifest, config, region, skippedCredentials));
  return { regions, skippedCredentials: [...new Set(skippedCredentials)].sort() };
}

function deployRegion(manifest: GatewayConfig, config: AwsTargetConfig, region: AwsRegionConfig, skipped: string[]): AwsRegionDeployment {
  const platform = manifest.metadata.name;
  const provider = new aws.Provider(`turnpike-aws-${region.name}`, { region: region.name as aws.Region });
  const opts = { provider };
  const apis = servedApis(manifest, config).map((api) => deployApi(manifest, config, region, api, provider));

  const domainName = config.customDomain ? declareCustomDomain(manifest, config, region, apis, provider) : null;
  const webAcl = config.waf.enabled ? declareWebAcl(platform, config, region, provider) : null;
  if (webAcl) {
    for (const { api, stage } of apis) new aws.wafv2.WebAclAssociation(`${api}-${region.name}`, { resourceArn: stage.arn, webAclArn: webAcl.arn }, opts);
  }

  // One usage plan per product × plan: a plan's quota counts per consumer across the product's APIs.
  const usagePlans = new Map<string, aws.apigateway.UsagePlan>();
  for (const product of manifest.spec.products) {
    const stages = apis.filter(({ api }) => product.apis.includes(api) && keyedOnAws(manifest, config, api));
    if (stages.length === 0) continue;
    for (const planName of product.plans) {
      const plan = manifest.spec.plans.find((candidate) => candidate.name === planName)!;
      const name = `${product.name}-${plan.name}-${region.name}`;
      usagePlans.set(`${product.name}/${plan.name}`, new aws.apigateway.UsagePlan(
        name,
        {
          name: `${platform}-${product.name}-${plan.name}`,
          description: `${product.title}: ${plan.title} (declared at ${plan.declaredAt})`,
          apiStages: stages.map(({ api, restApi, stage }) => ({ apiId: restApi.id, stage: stage.stageName, throttles: operationThrottles(manifest, config, api) })),
          ...usagePlanLimits(plan),
        },
        opts,
      ));
    }
  }

  const apiKeys: aws.apigateway.ApiKey[] = [];
  for (const consumer of manifest.spec.consumers) {
    const plans = consumer.subscriptions.flatMap((subscription) => usagePlans.get(`${subscription.product}/${subscription.plan}`) ?? []);
    if (plans.length === 0) continue;
    consumer.credentials.forEach((credential, index) => {
      if (credential.type !== "apiKey") return;
      if (credential.secret.source !== "aws-secrets-manager") {
        skipped.push(`${consumer.name}: its API key is a ${credential.secret.source} secret; AWS API keys are read from Secrets Manager only`);
        return;
      }
      const { secretId, jsonKey } = credential.secret;
      const secretString = aws.secretsmanager.getSecretVersionOutput({ secretId }, { provider }).secretString;
      const value = pulumi.secret(secretString.apply((text) => (jsonKey === null ? text : String((JSON.parse(text) as Record<string, unknown>)[jsonKey]))));
      const key = new aws.apigateway.ApiKey(`${consumer.name}-${index}-${region.name}`, { name: `${platform}-${consumer.name}-${index}`, description: consumer.displayName, value, enabled: true }, opts);
      apiKeys.push(key);
      plans.forEach((usagePlan, planIndex) => new aws.apigateway.UsagePlanKey(`${consumer.name}-${index}-${planIndex}-${region.name}`, { keyId: key.id, keyType: "API_KEY", usagePlanId: usagePlan.id }, opts));
    });
  }
  return { region, provider, apis, usagePlans: [...usagePlans.values()], apiKeys, webAcl, domainName };
}

function deployApi(manifest: GatewayConfig, config: AwsTargetConfig, region: AwsRegionConfig, api: Api, provider: aws.Provider): AwsApiDeployment {
  const opts = { provider };
  const name = `${api.id}-${region.name}`;
  const body = JSON.stringify(openApiWithExtensions(manifest, api, config, region));
  const restApi = new aws.apigateway.RestApi(
    name,
    {
      name: `${manifest.metadata.name}-${api.id}`,
      description: api.title,
      body,
      apiKeySource: "HEADER",
      endpointConfiguration: { types: config.endpointType },
      // With a custom domain (and above all with mTLS on it), the default endpoint would be a way around it.
      disableExecuteApiEndpoint: config.customDomain !== null,
    },
    opts,
  );
  // The triggers hash the body: any change to the API makes a new deployment for the stage.
  const deployment = new aws.apigateway.Deployment(name, { restApi: restApi.id, description: `revision ${manifest.metadata.revision}`, triggers: { body: sha256Hex(body) } }, { ...opts, dependsOn: [restApi] });
  const logGroup = new aws.cloudwatch.LogGroup(name, { name: `/aws/apigateway/${manifest.metadata.name}/${api.id}`, retentionInDays: config.logRetentionDays }, opts);
  const cached = cachedOperations(manifest, config, api);
  const stage = new aws.apigateway.Stage(
    name,
    {
      restApi: restApi.id,
      deployment: deployment.id,
      stageName: config.stageName,
      xrayTracingEnabled: true,
      accessLogSettings: { destinationArn: logGroup.arn, format: ACCESS_LOG_FORMAT },
      ...(cached.length > 0 ? { cacheClusterEnabled: true, cacheClusterSize: "0.5" } : {}),
    },
    opts,
  );
  for (const { methodPath, ttlSeconds } of cached) {
    new aws.apigateway.MethodSettings(`${api.id}-${resourceSlug(methodPath)}-cache-${region.name}`, { restApi: restApi.id, stageName: stage.stageName, methodPath, settings: { cachingEnabled: true, cacheTtlInSeconds: ttlSeconds, requireAuthorizationForCacheControl: true } }, opts);
  }
  for (const { methodPath, rateLimit, burstLimit } of globalThrottles(manifest, config, api)) {
    new aws.apigateway.MethodSettings(`${api.id}-${resourceSlug(methodPath)}-throttle-${region.name}`, { restApi: restApi.id, stageName: stage.stageName, methodPath, settings: { throttlingRateLimit: rateLimit, throttlingBurstLimit: burstLimit } }, opts);
  }
  return { api: api.id, restApi, deployment, stage, logGroup, url: pulumi.interpolate`https://${restApi.id}.execute-api.${region.name}.amazonaws.com/${stage.stageName}` };
}

/**
 * The custom domain of one region, TLS 1.2 at least, with mutual TLS when a truststore is
 * declared, and one API mapping per API at its base path (`orders/v2`), so the gateway's routes
 * are the same on AWS as on the Node gateway.
 */
function declareCustomDomain(manifest: GatewayConfig, config: AwsTargetConfig, region: AwsRegionConfig, apis: readonly AwsApiDeployment[], provider: aws.Provider): aws.apigateway.DomainName {
  const domain = config.customDomain!;
  const edge = config.endpointType === "EDGE";
  const domainName = new aws.apigateway.DomainName(
    `${manifest.metadata.name}-${region.name}`,
    {
      domainName: domain.domainName,
      ...(edge ? { certificateArn: region.certificateArn! } : { regionalCertificateArn: region.certificateArn! }),
      endpointConfiguration: { types: config.endpointType },
      securityPolicy: "TLS_1_2",
      ...(domain.truststore ? { mutualTlsAuthentication: { truststoreUri: `s3://${domain.truststore.bucket}/${domain.truststore.key}` } } : {}),
    },
    { provider },
  );
  for (const { api, restApi, stage } of apis) {
    const basePath = manifest.spec.apis.find((candidate) => candidate.id === api)!.basePath.replace(/^\/|\/$/g, "");
    new aws.apigatewayv2.ApiMapping(`${api}-${region.name}`, { apiId: restApi.id, domainName: domainName.domainName, stage: stage.stageName, apiMappingKey: basePath }, { provider });
  }
  return domainName;
}

/** A WAF web ACL: AWS managed rule groups for common attacks, SQL injection and bad inputs, and a per-IP rate-based rule. */
function declareWebAcl(platform: string, config: AwsTargetConfig, region: AwsRegionConfig, provider: aws.Provider): aws.wafv2.WebAcl {
  const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });
  const managed = (name: string, priority: number) => ({
    name,
    priority,
    overrideAction: { none: {} },
    statement: { managedRuleGroupStatement: { vendorName: "AWS", name } },
    visibilityConfig: visibility(name),
  });
  return new aws.wafv2.WebAcl(
    `${platform}-${region.name}`,
    {
      name: `${platform}-api-gateway`,
      scope: "REGIONAL", // API Gateway stages take regional web ACLs, also for edge-optimized APIs
      defaultAction: { allow: {} },
      rules: [
        managed("AWSManagedRulesCommonRuleSet", 0),
        managed("AWSManagedRulesSQLiRuleSet", 1),
        managed("AWSManagedRulesKnownBadInputsRuleSet", 2),
        {
          name: "rate-per-ip",
          priority: 3,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: config.waf.rateLimitPerFiveMinutes, aggregateKeyType: "IP", evaluationWindowSec: 300 } },
          visibilityConfig: visibility("rate-per-ip"),
        },
      ],
      visibilityConfig: visibility(`${platform}-api-gateway`),
    },
    { provider },
  );
}

/** Whether AWS checks API keys for this API (so usage plans apply to it). */
function keyedOnAws(manifest: GatewayConfig, config: AwsTargetConfig, apiId: string): boolean {
  const api = manifest.spec.apis.find((candidate) => candidate.id === apiId)!;
  if (fallsBack(config, api)) return false;
  const byId = new Map(manifest.spec.policies.map((instance) => [instance.id, instance]));
  return api.operations.some((operation) => operation.policies.some((id) => byId.get(id)?.policy === "apiKey"));
}

/** The plan's rate limit as a token bucket (requests per second, burst) and its quota. */
export function usagePlanLimits(plan: Plan): Pick<aws.apigateway.UsagePlanArgs, "throttleSettings" | "quotaSettings"> {
  const limits: Pick<aws.apigateway.UsagePlanArgs, "throttleSettings" | "quotaSettings"> = {};
  if (plan.rateLimit) limits.throttleSettings = { rateLimit: plan.rateLimit.requests / plan.rateLimit.perSeconds, burstLimit: plan.rateLimit.burst ?? plan.rateLimit.requests };
  if (plan.quota && plan.quota.period !== "hour") limits.quotaSettings = { limit: plan.quota.requests, period: QUOTA_PERIODS[plan.quota.period] };
  return limits;
}

/** A method path as a resource name: `items/{itemId}/GET` → `items-itemId-GET`. */
function resourceSlug(path: string): string {
  return path.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

/** `resource/METHOD` as API Gateway names a method in settings and usage-plan throttles. */
function methodPath(path: string, method: string): string {
  return `${path.replace(/^\//, "")}/${method}`;
}

function operationsWith(manifest: GatewayConfig, config: AwsTargetConfig, api: Api, policy: string) {
  if (fallsBack(config, api)) return [];
  const byId = new Map(manifest.spec.policies.map((instance) => [instance.id, instance]));
  return api.operations.flatMap((operation) =>
    operation.policies.flatMap((id) => {
      const instance = byId.get(id);
      return instance && instance.policy === policy && instance.when === null && awsSupportOf(instance, config).support !== "none" ? [{ operation, instance }] : [];
    }),
  );
}

function cachedOperations(manifest: GatewayConfig, config: AwsTargetConfig, api: Api) {
  return operationsWith(manifest, config, api, "cache").map(({ operation, instance }) => ({ methodPath: methodPath(operation.path, operation.method), ttlSeconds: (instance.config as { ttlSeconds: number }).ttlSeconds }));
}

function rateLimits(manifest: GatewayConfig, config: AwsTargetConfig, api: Api, key: string) {
  return operationsWith(manifest, config, api, "rateLimit").flatMap(({ operation, instance }) => {
    const limit = instance.config as { requests: number; perSeconds: number; burst: number; key: string };
    return limit.key === key ? [{ methodPath: methodPath(operation.path, operation.method), rateLimit: limit.requests / limit.perSeconds, burstLimit: limit.burst }] : [];
  });
}

/** Per-consumer limits of an API or operation: per-method throttles in each usage plan. */
function operationThrottles(manifest: GatewayConfig, config: AwsTargetConfig, apiId: string) {
  const api = manifest.spec.apis.find((candidate) => candidate.id === apiId)!;
  return rateLimits(manifest, config, api, "consumer").map(({ methodPath: path, rateLimit, burstLimit }) => ({ path: `/${path}`, rateLimit, burstLimit }));
}

/** Limits for everyone: stage method throttling. */
function globalThrottles(manifest: GatewayConfig, config: AwsTargetConfig, api: Api) {
  return rateLimits(manifest, config, api, "global");
}
