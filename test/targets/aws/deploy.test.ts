/**
 * `deployAws()` under Pulumi mocks, for a declaration AWS serves natively: per region, a
 * provider, the REST API, a deployment redeployed on every change, a logged and traced stage,
 * usage plans with the declared numbers, API keys from Secrets Manager and WAF.
 */
import type { GatewayConfig } from "../../../constructs/manifest/schema";
import type { AwsTargetConfig } from "../../../constructs/targets/aws/config";
import type * as DeployModule from "../../../constructs/targets/aws/deploy";
import { awsFixture, compileAws } from "./aws-fixture";
import { PARTNER_KEY, type Registered, deployMocked, ofType } from "./pulumi-mocks";

const deploy = deployMocked;

describe("deployAws (Pulumi, mocked)", () => {
  let registered: Registered[];
  let skipped: readonly string[];
  let manifest: GatewayConfig;
  let aws: AwsTargetConfig;
  beforeAll(async () => {
    ({ manifest, aws } = await compileAws(awsFixture()));
    ({ registered, skipped } = await deploy(manifest, aws));
  }, 20_000);

  it("declares one AWS provider per region and every resource through its region's provider", () => {
    expect(ofType(registered, "pulumi:providers:aws").map((provider) => [provider.name, provider.inputs.region])).toEqual([
      ["turnpike-aws-eu-west-1", "eu-west-1"],
      ["turnpike-aws-us-east-1", "us-east-1"],
    ]);
    for (const resource of registered.filter((candidate) => !candidate.type.startsWith("pulumi:providers"))) {
      const region = /(eu-west-1|us-east-1)$/.exec(resource.name)![1];
      expect([resource.name, resource.provider]).toEqual([resource.name, expect.stringMatching(new RegExp(`::turnpike-aws-${region}::turnpike-aws-${region}-id$`))]);
    }
  });

  it("sets API Gateway's account CloudWatch role in each region, so stages with access logs are accepted", async () => {
    const roles = ofType(registered, "aws:iam/role:Role").filter((role) => role.name.startsWith("shop-apigateway-logs-"));
    expect(roles.map((role) => [role.name, JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal.Service, role.inputs.managedPolicyArns])).toEqual([
      ["shop-apigateway-logs-eu-west-1", "apigateway.amazonaws.com", ["arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"]],
      ["shop-apigateway-logs-us-east-1", "apigateway.amazonaws.com", ["arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"]],
    ]);
    expect(ofType(registered, "aws:apigateway/account:Account").map((account) => [account.name, account.inputs.cloudwatchRoleArn])).toEqual(
      roles.map((role) => [role.name, role.state.arn]),
    );
    // Another stack may own the setting: it can be left alone.
    const { registered: without } = await deploy(manifest, { ...aws, manageAccountLogsRole: false });
    expect(ofType(without, "aws:apigateway/account:Account")).toEqual([]);
  });

  it("declares a regional REST API per region whose body is the OpenAPI with extensions", () => {
    const apis = ofType(registered, "aws:apigateway/restApi:RestApi");
    expect(apis.map((api) => api.name)).toEqual(["items-v1-eu-west-1", "items-v1-us-east-1"]);
    const body = JSON.parse(apis[0]!.inputs.body);
    expect(apis[0]!.inputs).toMatchObject({ name: "shop-items-v1", apiKeySource: "HEADER", endpointConfiguration: { types: "REGIONAL" } });
    expect(body.paths["/items"].get["x-amazon-apigateway-integration"].uri).toBe("http://items.internal:8080/items");
  });

  it("redeploys on every change: the deployment's trigger is the hash of the body", () => {
    const [deployment] = ofType(registered, "aws:apigateway/deployment:Deployment");
    const [api] = ofType(registered, "aws:apigateway/restApi:RestApi");
    expect(deployment!.inputs.triggers.body).toBe(require("node:crypto").createHash("sha256").update(api!.inputs.body).digest("hex"));
    expect(deployment!.inputs.restApi).toBe("items-v1-eu-west-1-id");
  });

  it("gives the deployment another trigger when one operation changes", async () => {
    const changed = await compileAws(awsFixture({ listItemsSummary: "List every item" }));
    const again = await deploy(changed.manifest, changed.aws);
    const trigger = (list: Registered[]) => ofType(list, "aws:apigateway/deployment:Deployment")[0]!.inputs.triggers.body;
    expect(trigger(again.registered)).toMatch(/^[0-9a-f]{64}$/);
    expect(trigger(again.registered)).not.toBe(trigger(registered));
    const unchanged = await deploy(manifest, aws);
    expect(trigger(unchanged.registered)).toBe(trigger(registered));
  }, 20_000);

  it("logs every request as JSON to a log group with the declared retention, traces with X-Ray, and caches when a cache policy applies", () => {
    const [logGroup] = ofType(registered, "aws:cloudwatch/logGroup:LogGroup");
    expect(logGroup!.inputs).toMatchObject({ name: "/aws/apigateway/shop/items-v1", retentionInDays: 30 });
    const [stage] = ofType(registered, "aws:apigateway/stage:Stage");
    expect(stage!.inputs).toMatchObject({ stageName: "live", deployment: "items-v1-eu-west-1-id", xrayTracingEnabled: true, cacheClusterEnabled: true, cacheClusterSize: "0.5" });
    expect(stage!.inputs.accessLogSettings.destinationArn).toBe(`arn:aws:mock:eu-west-1:123456789012:aws-cloudwatch-logGroup-LogGroup/items-v1-eu-west-1`);
    expect(JSON.parse(stage!.inputs.accessLogSettings.format)).toMatchObject({ requestId: "$context.requestId", status: "$context.status" });
    const settings = ofType(registered, "aws:apigateway/methodSettings:MethodSettings").filter((resource) => resource.name.endsWith("eu-west-1"));
    expect(settings.map((resource) => [resource.inputs.methodPath, resource.inputs.settings])).toEqual([["items/GET", { cachingEnabled: true, cacheTtlInSeconds: 30, requireAuthorizationForCacheControl: true }]]);
  });

  it("declares one usage plan per product × plan in each region, with the plan's throttle and quota", () => {
    const plans = ofType(registered, "aws:apigateway/usagePlan:UsagePlan");
    expect(plans.map((plan) => [plan.name, plan.inputs.throttleSettings, plan.inputs.quotaSettings])).toEqual([
      ["shop-free-eu-west-1", { rateLimit: 10, burstLimit: 20 }, { limit: 10_000, period: "MONTH" }],
      ["shop-pro-eu-west-1", { rateLimit: 50, burstLimit: 150 }, { limit: 5_000, period: "DAY" }],
      ["shop-free-us-east-1", { rateLimit: 10, burstLimit: 20 }, { limit: 10_000, period: "MONTH" }],
      ["shop-pro-us-east-1", { rateLimit: 50, burstLimit: 150 }, { limit: 5_000, period: "DAY" }],
    ]);
    // The numbers are the manifest's: what the gateway enforces and the portal shows.
    for (const plan of manifest.spec.plans) {
      const declared = plans.find((candidate) => candidate.name === `shop-${plan.name}-eu-west-1`)!;
      expect(declared.inputs.throttleSettings.rateLimit).toBe(plan.rateLimit!.requests / plan.rateLimit!.perSeconds);
      expect(declared.inputs.quotaSettings.limit).toBe(plan.quota!.requests);
    }
    expect(plans[0]!.inputs.apiStages).toEqual([{ apiId: "items-v1-eu-west-1-id", stage: "live", throttles: [{ path: "/items/POST", rateLimit: 5, burstLimit: 8 }] }]);
  });

  it("declares API keys from Secrets Manager, attached to the subscribed plan, and skips other secrets with the reason", () => {
    const keys = ofType(registered, "aws:apigateway/apiKey:ApiKey");
    expect(keys.map((key) => [key.name, key.inputs.name])).toEqual([
      ["partner-0-eu-west-1", "shop-partner-0"],
      ["partner-0-us-east-1", "shop-partner-0"],
    ]);
    expect(JSON.stringify(keys[0]!.inputs.value)).toContain(PARTNER_KEY);
    expect(ofType(registered, "aws:apigateway/usagePlanKey:UsagePlanKey").map((key) => key.inputs)).toEqual([
      { keyId: "partner-0-eu-west-1-id", keyType: "API_KEY", usagePlanId: "shop-pro-eu-west-1-id" },
      { keyId: "partner-0-us-east-1-id", keyType: "API_KEY", usagePlanId: "shop-pro-us-east-1-id" },
    ]);
    expect(skipped).toEqual(["hobbyist: its API key is a env secret; AWS API keys are read from Secrets Manager only"]);
  });

  it("declares a WAF web ACL with managed rule groups and a rate-based rule, associated to every stage", () => {
    const acls = ofType(registered, "aws:wafv2/webAcl:WebAcl");
    expect(acls.map((acl) => acl.name)).toEqual(["shop-eu-west-1", "shop-us-east-1"]);
    expect(acls[0]!.inputs.scope).toBe("REGIONAL");
    expect(acls[0]!.inputs.rules.map((rule: any) => rule.statement.managedRuleGroupStatement?.name ?? rule.statement.rateBasedStatement)).toEqual([
      "AWSManagedRulesCommonRuleSet",
      "AWSManagedRulesSQLiRuleSet",
      "AWSManagedRulesKnownBadInputsRuleSet",
      { limit: 2_000, aggregateKeyType: "IP", evaluationWindowSec: 300 },
    ]);
    expect(ofType(registered, "aws:wafv2/webAclAssociation:WebAclAssociation").map((association) => association.inputs)).toEqual([
      { resourceArn: "arn:aws:mock:eu-west-1:123456789012:aws-apigateway-stage-Stage/items-v1-eu-west-1", webAclArn: "arn:aws:mock:eu-west-1:123456789012:aws-wafv2-webAcl-WebAcl/shop-eu-west-1" },
      { resourceArn: "arn:aws:mock:us-east-1:123456789012:aws-apigateway-stage-Stage/items-v1-us-east-1", webAclArn: "arn:aws:mock:us-east-1:123456789012:aws-wafv2-webAcl-WebAcl/shop-us-east-1" },
    ]);
  });

  it("declares nothing when AWS cannot enforce a served API's policy", () => {
    const broken = { ...aws, gatewayFallback: {}, apis: null, waf: { enabled: false, rateLimitPerFiveMinutes: 2_000 } };
    const withIpLimit = { ...manifest, spec: { ...manifest.spec, policies: manifest.spec.policies.map((instance) => (instance.policy === "rateLimit" && instance.when === null ? { ...instance, config: { ...instance.config, key: "ip" } } : instance)) } } as GatewayConfig;
    const { deployAws } = require("../../../constructs/targets/aws/deploy") as typeof DeployModule;
    expect(() => deployAws(withIpLimit, broken)).toThrow("the AWS target cannot be deployed:\n- API items-v1, policy rateLimit (items-v1/createItem/rateLimit:consumer): AWS API Gateway cannot enforce it: a per-IP limit needs a WAF rate-based rule, and waf.enabled is false");
  });

  it("declares the custom domain per region with TLS 1.2, mutual TLS from the S3 truststore, base-path mappings, and disables the default endpoint", async () => {
    const certificate = (region: string) => `arn:aws:acm:${region}:123456789012:certificate/0f0e0d0c-0b0a-4909-8807-060504030201`;
    const withDomain = await compileAws(
      awsFixture({
        gateway: {
          regions: ["eu-west-1", "us-east-1"].map((name) => ({ name, certificateArn: certificate(name) })),
          customDomain: { domainName: "api.shop.example", mtlsTruststore: { bucket: "shop-trust", key: "clients.pem" } },
        },
      }),
    );
    const run = await deploy(withDomain.manifest, withDomain.aws);
    expect(ofType(run.registered, "aws:apigateway/domainName:DomainName").map((domain) => domain.inputs)).toEqual(
      ["eu-west-1", "us-east-1"].map((region) => ({
        domainName: "api.shop.example",
        regionalCertificateArn: certificate(region),
        endpointConfiguration: { types: "REGIONAL" },
        securityPolicy: "TLS_1_2",
        mutualTlsAuthentication: { truststoreUri: "s3://shop-trust/clients.pem" },
      })),
    );
    expect(ofType(run.registered, "aws:apigatewayv2/apiMapping:ApiMapping").map((mapping) => [mapping.name, mapping.inputs.apiMappingKey, mapping.inputs.stage, mapping.inputs.apiId])).toEqual([
      ["items-v1-eu-west-1", "items/v1", "live", "items-v1-eu-west-1-id"],
      ["items-v1-us-east-1", "items/v1", "live", "items-v1-us-east-1-id"],
    ]);
    expect(ofType(run.registered, "aws:apigateway/restApi:RestApi").every((api) => api.inputs.disableExecuteApiEndpoint === true)).toBe(true);
    expect(ofType(registered, "aws:apigateway/restApi:RestApi").every((api) => api.inputs.disableExecuteApiEndpoint === false)).toBe(true);
  }, 20_000);
});
