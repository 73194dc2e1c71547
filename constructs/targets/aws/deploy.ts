/**
 * `deployAws()`: declares the AWS target with @pulumi/aws, per region through that region's
 * provider. Per served API: a `RestApi` whose body is the OpenAPI with extensions, a
 * `Deployment` whose triggers hash that body (so every change of the API redeploys the stage,
 * the long-standing "stale deployment" trap), a `Stage` with JSON access logs and X-Ray, and
 * method settings for caching and global throttling; JWT authorizer Lambdas. Per product ×
 * plan: a `UsagePlan` with the plan's throttle and quota, the consumers' `ApiKey`s read from
 * Secrets Manager. Per region: a WAFv2 web ACL associated to every stage (with the APIs' IP
 * sets and body-size rules), the custom domain with its certificate and Route 53 latency
 * records and health checks, and the SLOs' CloudWatch dashboard and alarms. Once: the portal
 * on S3 + CloudFront, through the first region's provider.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { sha256Hex } from "../../manifest/canonical-json";
import type { Api, GatewayConfig, Plan } from "../../manifest/schema";
import { type AlarmSpec, type CloudWatchStage, cloudWatchDashboardBody, needsDetailedMetrics, sloAlarmSpecs } from "../observability/cloudwatch";
import { awsSupportOf, checkAwsCapabilities, servedApis } from "./capabilities";
import type { AwsRegionConfig, AwsTargetConfig } from "./config";
import { type RegionFailover, declareFailover, regionCertificate, regionalHostName } from "./dns-failover";
import { declareJwtAuthorizerFunction, permitAuthorizerInvocation } from "./jwt-authorizer-deploy";
import { jwtAuthorizers } from "./jwt-authorizers";
import { fallsBack, openApiWithExtensions } from "./openapi-with-extensions";
import type { PortalFile } from "../../../portal-site/index";
import { type PortalHosting, declarePortalHosting } from "./portal-hosting";
import { type ApiScope, apiWafRules } from "./waf-rules";

/** What was declared in one region. */
export interface AwsRegionDeployment {
  readonly region: AwsRegionConfig;
  readonly provider: aws.Provider;
  readonly apis: readonly AwsApiDeployment[];
  readonly usagePlans: readonly aws.apigateway.UsagePlan[];
  readonly apiKeys: readonly aws.apigateway.ApiKey[];
  readonly webAcl: aws.wafv2.WebAcl | null;
  /** The IP sets of the served APIs' `ipFilter` policies. */
  readonly ipSets: readonly aws.wafv2.IpSet[];
  /** The custom domain in this region; `null` when none is declared. */
  readonly domainName: aws.apigateway.DomainName | null;
  /** The region's own host name `<region>.<domain>` (with failover); `null` otherwise. */
  readonly regionalDomainName: aws.apigateway.DomainName | null;
  /** Health check and records; `null` without failover. */
  readonly failover: RegionFailover | null;
  readonly dashboard: aws.cloudwatch.Dashboard;
  readonly alarms: readonly aws.cloudwatch.MetricAlarm[];
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
  /** The portal on S3 + CloudFront; `null` when not declared. */
  readonly portal: PortalHosting | null;
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

/** What the program generated beforehand for the AWS target (async steps a resource graph cannot await). */
export interface AwsDeployInputs {
  /**
   * The portal's files, from `buildPortal(manifest, { basePath: "/" })`: pages, changelogs and
   * SDKs (the last two are async to generate).
   * @default the pages of `generatePortal(manifest, { basePath: "/" })`, without changelogs or SDKs
   */
  readonly portalFiles?: readonly PortalFile[];
}

/** Declares everything; throws before declaring anything when AWS cannot enforce a served API's policy. */
export function deployAws(manifest: GatewayConfig, config: AwsTargetConfig, inputs: AwsDeployInputs = {}): AwsDeployment {
  const errors = checkAwsCapabilities(manifest, config).filter((finding) => finding.severity === "error");
  if (errors.length > 0) throw new Error(`the AWS target cannot be deployed:\n${errors.map((error) => `- ${error.message}`).join("\n")}`);
  const skippedCredentials: string[] = [];
  const validationRecords = new Map<string, aws.route53.Record>();
  const regions = config.regions.map((region) => deployRegion(manifest, config, region, skippedCredentials, validationRecords));
  // CloudFront is global; its bucket lives in the first region.
  const portal = config.portal ? declarePortalHosting(manifest, config.portal, regions[0]!.provider, config.customDomain?.hostedZone ?? null, inputs.portalFiles) : null;
  return { regions, portal, skippedCredentials: [...new Set(skippedCredentials)].sort() };
}

function deployRegion(manifest: GatewayConfig, config: AwsTargetConfig, region: AwsRegionConfig, skipped: string[], validationRecords: Map<string, aws.route53.Record>): AwsRegionDeployment {
  const platform = manifest.metadata.name;
  const provider = new aws.Provider(`turnpike-aws-${region.name}`, { region: region.name as aws.Region });
  const opts = { provider };
  const accountId = aws.getCallerIdentityOutput({}, { provider }).accountId;
  const logsAccount = config.manageAccountLogsRole ? declareAccountLogsRole(platform, region, provider) : null;
  const apis = servedApis(manifest, config).map((api) => deployApi(manifest, config, region, api, provider, accountId, logsAccount));

  let domainName: aws.apigateway.DomainName | null = null;
  let regionalDomainName: aws.apigateway.DomainName | null = null;
  let failover: RegionFailover | null = null;
  if (config.customDomain) {
    const certificateArn = regionCertificate(platform, config, region, provider, validationRecords);
    domainName = declareCustomDomain(manifest, config, region, apis, provider, config.customDomain.domainName, certificateArn);
    if (config.customDomain.failover) {
      regionalDomainName = declareCustomDomain(manifest, config, region, apis, provider, regionalHostName(config.customDomain.domainName, region.name), certificateArn);
      failover = declareFailover(platform, config, region, domainName, regionalDomainName, provider);
    }
  }
  const waf = config.waf.enabled ? declareWebAcl(manifest, config, region, apis, provider) : null;
  if (waf) {
    for (const { api, stage } of apis) new aws.wafv2.WebAclAssociation(`${api}-${region.name}`, { resourceArn: stage.arn, webAclArn: waf.webAcl.arn }, opts);
  }
  const { dashboard, alarms } = declareSloMonitoring(manifest, config, region, provider);

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
  return { region, provider, apis, usagePlans: [...usagePlans.values()], apiKeys, webAcl: waf?.webAcl ?? null, ipSets: waf?.ipSets ?? [], domainName, regionalDomainName, failover, dashboard, alarms };
}

/** The REST API's name: the `ApiName` dimension of its CloudWatch metrics. */
export function restApiName(manifest: GatewayConfig, apiId: string): string {
  return `${manifest.metadata.name}-${apiId}`;
}

/**
 * API Gateway's account setting for CloudWatch logging, per region: a role API Gateway assumes
 * to write access logs. Stages with access logs depend on it (AWS refuses them without it).
 */
function declareAccountLogsRole(platform: string, region: AwsRegionConfig, provider: aws.Provider): aws.apigateway.Account {
  const name = `${platform}-apigateway-logs-${region.name}`;
  const role = new aws.iam.Role(
    name,
    {
      assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "apigateway.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
      managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"],
    },
    { provider },
  );
  return new aws.apigateway.Account(name, { cloudwatchRoleArn: role.arn }, { provider });
}

function deployApi(
  manifest: GatewayConfig,
  config: AwsTargetConfig,
  region: AwsRegionConfig,
  api: Api,
  provider: aws.Provider,
  accountId: pulumi.Output<string>,
  logsAccount: aws.apigateway.Account | null,
): AwsApiDeployment {
  const opts = { provider };
  const name = `${api.id}-${region.name}`;
  // Authorizer functions exist before the REST API whose document names them. Their name and
  // settings do not depend on the account (only the ARNs in the document do), hence no account here.
  const lambdas = jwtAuthorizers(manifest, api, config, region, "").flatMap((spec) => (spec.kind === "lambda" ? [{ spec, ...declareJwtAuthorizerFunction(spec, region.name, provider) }] : []));
  const body = accountId.apply((account) => JSON.stringify(openApiWithExtensions(manifest, api, config, region, account)));
  const restApi = new aws.apigateway.RestApi(
    name,
    {
      name: restApiName(manifest, api.id),
      description: api.title,
      body,
      apiKeySource: "HEADER",
      endpointConfiguration: { types: config.endpointType },
      // With a custom domain (and above all with mTLS on it), the default endpoint would be a way around it.
      disableExecuteApiEndpoint: config.customDomain !== null,
    },
    { ...opts, dependsOn: lambdas.map(({ function: fn }) => fn) },
  );
  const permissions = lambdas.map(({ spec, function: fn }) => permitAuthorizerInvocation(spec, region.name, fn, restApi, provider));
  // The triggers hash the body: any change to the API makes a new deployment for the stage.
  const deployment = new aws.apigateway.Deployment(name, { restApi: restApi.id, description: `revision ${manifest.metadata.revision}`, triggers: { body: body.apply(sha256Hex) } }, { ...opts, dependsOn: [restApi, ...permissions] });
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
    logsAccount ? { ...opts, dependsOn: [logsAccount] } : opts,
  );
  for (const { methodPath, ttlSeconds } of cached) {
    new aws.apigateway.MethodSettings(`${api.id}-${resourceSlug(methodPath)}-cache-${region.name}`, { restApi: restApi.id, stageName: stage.stageName, methodPath, settings: { cachingEnabled: true, cacheTtlInSeconds: ttlSeconds, requireAuthorizationForCacheControl: true } }, opts);
  }
  if (needsDetailedMetrics(manifest, api.id)) {
    // SLOs on some operations are measured on per-method metrics, which are off by default.
    new aws.apigateway.MethodSettings(`${api.id}-metrics-${region.name}`, { restApi: restApi.id, stageName: stage.stageName, methodPath: "*/*", settings: { metricsEnabled: true } }, opts);
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
function declareCustomDomain(
  manifest: GatewayConfig,
  config: AwsTargetConfig,
  region: AwsRegionConfig,
  apis: readonly AwsApiDeployment[],
  provider: aws.Provider,
  host: string,
  certificateArn: pulumi.Input<string>,
): aws.apigateway.DomainName {
  const domain = config.customDomain!;
  const edge = config.endpointType === "EDGE";
  // The shared name keeps the short resource names; the region's own host name is told apart.
  const stem = host === domain.domainName ? "" : "regional-";
  const domainName = new aws.apigateway.DomainName(
    `${manifest.metadata.name}-${stem}${region.name}`,
    {
      domainName: host,
      ...(edge ? { certificateArn } : { regionalCertificateArn: certificateArn }),
      endpointConfiguration: { types: config.endpointType },
      securityPolicy: "TLS_1_2",
      ...(domain.truststore ? { mutualTlsAuthentication: { truststoreUri: `s3://${domain.truststore.bucket}/${domain.truststore.key}` } } : {}),
    },
    { provider },
  );
  for (const { api, restApi, stage } of apis) {
    const basePath = manifest.spec.apis.find((candidate) => candidate.id === api)!.basePath.replace(/^\/|\/$/g, "");
    new aws.apigatewayv2.ApiMapping(`${api}-${stem}${region.name}`, { apiId: restApi.id, domainName: domainName.domainName, stage: stage.stageName, apiMappingKey: basePath }, { provider });
  }
  return domainName;
}

/**
 * How WAF tells an API's requests apart on the region's shared web ACL: behind a custom domain
 * by the base path (the execute-api endpoint is then disabled), else by the REST API's host.
 */
function wafScope(manifest: GatewayConfig, config: AwsTargetConfig, region: AwsRegionConfig, deployed: AwsApiDeployment): ApiScope {
  if (config.customDomain) {
    const basePath = manifest.spec.apis.find((candidate) => candidate.id === deployed.api)!.basePath.replace(/\/$/, "");
    return { kind: "path", prefix: basePath };
  }
  return { kind: "host", host: pulumi.interpolate`${deployed.restApi.id}.execute-api.${region.name}.amazonaws.com`, prefix: `/${config.stageName}` };
}

/**
 * A WAF web ACL: the served APIs' IP set and body-size rules first (the gateway's access phase
 * comes before anything else), then AWS managed rule groups for common attacks, SQL injection
 * and bad inputs, and a per-IP rate-based rule.
 */
function declareWebAcl(manifest: GatewayConfig, config: AwsTargetConfig, region: AwsRegionConfig, apis: readonly AwsApiDeployment[], provider: aws.Provider): { webAcl: aws.wafv2.WebAcl; ipSets: aws.wafv2.IpSet[] } {
  const platform = manifest.metadata.name;
  const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });
  const managed = (name: string) => ({ name, overrideAction: { none: {} }, statement: { managedRuleGroupStatement: { vendorName: "AWS", name } }, visibilityConfig: visibility(name) });
  const ipSets: aws.wafv2.IpSet[] = [];
  const apiRules: Record<string, unknown>[] = [];
  let inspectsBodies = false;
  // One IP set per instance in the region: a platform-level ipFilter is in every API's chains.
  const arns = new Map<string, pulumi.Output<string>>();
  for (const deployed of apis) {
    const api = manifest.spec.apis.find((candidate) => candidate.id === deployed.api)!;
    const rules = apiWafRules(manifest, config, api, wafScope(manifest, config, region, deployed));
    for (const set of rules.ipSets) {
      if (arns.has(set.key)) continue;
      const ipSet = new aws.wafv2.IpSet(
        `${platform}-${set.key}-${region.name}`,
        { name: `${platform}-${set.key}`.slice(0, 128), description: `${set.list} list of ${set.instance}`, scope: "REGIONAL", ipAddressVersion: set.ipAddressVersion, addresses: [...set.addresses] },
        { provider },
      );
      ipSets.push(ipSet);
      arns.set(set.key, ipSet.arn);
    }
    apiRules.push(...rules.rules((key) => arns.get(key)!));
    inspectsBodies ||= rules.inspectsBodies;
  }
  const rules = [
    ...apiRules,
    managed("AWSManagedRulesCommonRuleSet"),
    managed("AWSManagedRulesSQLiRuleSet"),
    managed("AWSManagedRulesKnownBadInputsRuleSet"),
    { name: "rate-per-ip", action: { block: {} }, statement: { rateBasedStatement: { limit: config.waf.rateLimitPerFiveMinutes, aggregateKeyType: "IP", evaluationWindowSec: 300 } }, visibilityConfig: visibility("rate-per-ip") },
  ].map((rule, priority) => ({ ...rule, priority }));
  const webAcl = new aws.wafv2.WebAcl(
    `${platform}-${region.name}`,
    {
      name: `${platform}-api-gateway`,
      scope: "REGIONAL", // API Gateway stages take regional web ACLs, also for edge-optimized APIs
      defaultAction: { allow: {} },
      rules: rules as aws.types.input.wafv2.WebAclRule[],
      // Body-size rules measure up to the inspection limit: raise it from 16 KB to the most WAF reads.
      ...(inspectsBodies ? { associationConfig: { requestBodies: [{ apiGateway: { defaultSizeInspectionLimit: "KB_64" } }] } } : {}),
      visibilityConfig: visibility(`${platform}-api-gateway`),
    },
    { provider },
  );
  return { webAcl, ipSets };
}

/** The region's SLO dashboard and alarms; alarms notify the region's SNS topic when one is declared. */
function declareSloMonitoring(manifest: GatewayConfig, config: AwsTargetConfig, region: AwsRegionConfig, provider: aws.Provider): { dashboard: aws.cloudwatch.Dashboard; alarms: aws.cloudwatch.MetricAlarm[] } {
  const platform = manifest.metadata.name;
  const stages: CloudWatchStage[] = servedApis(manifest, config).map((api) => ({ api: api.id, apiName: restApiName(manifest, api.id), stage: config.stageName }));
  const dashboard = new aws.cloudwatch.Dashboard(`${platform}-${region.name}`, { dashboardName: `${platform}-api-gateway-${region.name}`, dashboardBody: cloudWatchDashboardBody(manifest, stages, region.name) }, { provider });
  const actions = region.alarmTopicArn ? [region.alarmTopicArn] : [];
  const alarms = sloAlarmSpecs(manifest, stages, region.name).map((spec: AlarmSpec) => {
    const { name, slo: _slo, api: _api, kind: _kind, description, metricQueries, ...rest } = spec;
    return new aws.cloudwatch.MetricAlarm(
      name,
      {
        name,
        alarmDescription: description,
        ...rest,
        ...(metricQueries ? { metricQueries: metricQueries.map((query) => ({ ...query, metric: query.metric ? { ...query.metric, dimensions: { ...query.metric.dimensions } } : undefined })) } : {}),
        ...(rest.dimensions ? { dimensions: { ...rest.dimensions } } : {}),
        alarmActions: actions,
        okActions: actions,
      },
      { provider },
    );
  });
  return { dashboard, alarms };
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
