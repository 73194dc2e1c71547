/**
 * The AWS part of the Pulumi program (stacks/index.ts) under `pulumi.runtime.setMocks`: Acme
 * declares an AwsGateway in two regions, with every API falling back to the Node gateway (each
 * uses a policy AWS cannot enforce), so AWS fronts them with WAF, access logs and tracing.
 */
import type * as PulumiModule from "@pulumi/pulumi";
import { REPO_ROOT } from "../helpers/cli";
import { type Registered, awsMocks, settled } from "../targets/aws/pulumi-mocks";

const KUBECONFIGS = { "turnpike:kubeconfig-eu-west-1": "apiVersion: v1\nkind: Config\n", "turnpike:kubeconfig-us-east-1": "apiVersion: v1\nkind: Config\n" };
const API_IDS = ["catalog-v1", "orders-v1", "orders-v2", "payments-v1"];

describe("stacks/index.ts: the AWS target (Pulumi, mocked)", () => {
  const registered: Registered[] = [];
  let awsRegions: Record<string, Record<string, string>>;
  beforeAll(async () => {
    const previous = process.cwd();
    process.chdir(REPO_ROOT);
    let output!: Promise<unknown>;
    try {
      jest.isolateModules(() => {
        const pulumi = require("@pulumi/pulumi") as typeof PulumiModule;
        pulumi.runtime.setAllConfig(KUBECONFIGS, Object.keys(KUBECONFIGS));
        void pulumi.runtime.setMocks(awsMocks(registered), "turnpike-acme", "test", false);
        const program = require("../../stacks/index") as { awsRegions: Promise<unknown> };
        output = program.awsRegions.then((value) => new Promise((resolve) => (pulumi.output(value) as PulumiModule.Output<unknown>).apply(resolve)));
      });
      awsRegions = (await output) as Record<string, Record<string, string>>;
      await settled(registered);
    } finally {
      process.chdir(previous);
    }
  }, 30_000);

  const ofType = (type: string) => registered.filter((resource) => resource.type === type);

  it("declares one AWS provider per region", () => {
    expect(ofType("pulumi:providers:aws").map((provider) => [provider.name, provider.inputs.region])).toEqual([
      ["turnpike-aws-eu-west-1", "eu-west-1"],
      ["turnpike-aws-us-east-1", "us-east-1"],
    ]);
  });

  it("declares a REST API, deployment, stage and log group per API and region, through that region's provider", () => {
    for (const type of ["aws:apigateway/restApi:RestApi", "aws:apigateway/deployment:Deployment", "aws:apigateway/stage:Stage", "aws:cloudwatch/logGroup:LogGroup"]) {
      expect(ofType(type).map((resource) => resource.name).sort()).toEqual(["eu-west-1", "us-east-1"].flatMap((region) => API_IDS.map((api) => `${api}-${region}`)).sort());
    }
    for (const api of ofType("aws:apigateway/restApi:RestApi")) {
      const region = api.name.slice(-9);
      expect(api.provider).toMatch(new RegExp(`::turnpike-aws-${region}::turnpike-aws-${region}-id$`));
    }
    expect(ofType("aws:cloudwatch/logGroup:LogGroup")[0]!.inputs.retentionInDays).toBe(90);
    expect(ofType("aws:apigateway/stage:Stage").every((stage) => stage.inputs.xrayTracingEnabled === true && stage.inputs.accessLogSettings.format.startsWith("{"))).toBe(true);
  });

  it("proxies each falling-back API to the Node gateway of its region, with no AWS keys or usage plans of its own", () => {
    const api = ofType("aws:apigateway/restApi:RestApi").find((resource) => resource.name === "orders-v2-us-east-1")!;
    const body = JSON.parse(api.inputs.body);
    const uris = Object.values(body.paths).flatMap((item: any) => Object.values(item).map((operation: any) => operation["x-amazon-apigateway-integration"].uri));
    expect(uris.length).toBeGreaterThan(0);
    expect(uris.every((uri) => uri.startsWith("https://api.us.acme.example/orders/v2/"))).toBe(true);
    expect(ofType("aws:apigateway/usagePlan:UsagePlan")).toEqual([]);
    expect(ofType("aws:apigateway/apiKey:ApiKey")).toEqual([]);
  });

  it("associates a WAF web ACL with the declared rate to every stage", () => {
    const acls = ofType("aws:wafv2/webAcl:WebAcl");
    expect(acls.map((acl) => acl.name)).toEqual(["acme-eu-west-1", "acme-us-east-1"]);
    expect(acls[0]!.inputs.rules[3].statement.rateBasedStatement.limit).toBe(3_000);
    const associations = ofType("aws:wafv2/webAclAssociation:WebAclAssociation");
    expect(associations).toHaveLength(8);
    for (const association of associations) {
      const region = association.name.slice(-9);
      expect(association.inputs.webAclArn).toBe(`arn:aws:mock:${region}:123456789012:aws-wafv2-webAcl-WebAcl/acme-${region}`);
      expect(association.inputs.resourceArn).toBe(`arn:aws:mock:${region}:123456789012:aws-apigateway-stage-Stage/${association.name}`);
    }
  });

  it("routes api.acme.example by latency to each region's custom domain, with a health check on the public catalog listing", () => {
    const latency = ofType("aws:route53/record:Record").filter((record) => record.name.startsWith("acme-latency-"));
    expect(latency.map((record) => [record.inputs.name, record.inputs.setIdentifier, record.inputs.latencyRoutingPolicies, record.inputs.healthCheckId])).toEqual([
      ["api.acme.example", "eu-west-1", [{ region: "eu-west-1" }], "acme-eu-west-1-id"],
      ["api.acme.example", "us-east-1", [{ region: "us-east-1" }], "acme-us-east-1-id"],
    ]);
    expect(ofType("aws:route53/healthCheck:HealthCheck").map((check) => [check.inputs.fqdn, check.inputs.resourcePath, check.inputs.failureThreshold])).toEqual([
      ["eu-west-1.api.acme.example", "/catalog/v1/products", 3],
      ["us-east-1.api.acme.example", "/catalog/v1/products", 3],
    ]);
    expect(ofType("aws:acm/certificateValidation:CertificateValidation")).toHaveLength(2);
  });

  it("alarms on each SLO with the declared numbers, notifying the region's topic", async () => {
    const { acmePlatform } = require("../../stacks/acme") as typeof import("../../stacks/acme");
    const { compileManifest } = require("../../constructs/index") as typeof import("../../constructs/index");
    const previous = process.cwd();
    process.chdir(REPO_ROOT);
    const manifest = (await compileManifest(acmePlatform()).finally(() => process.chdir(previous))).manifest!;
    const alarms = ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
    for (const slo of manifest.spec.slos) {
      for (const [field, percentile] of [["latencyP95Ms", "p95"], ["latencyP99Ms", "p99"]] as const) {
        const declared = alarms.filter((alarm) => alarm.inputs.alarmDescription.startsWith(`${slo.id}: the ${percentile} latency`));
        expect([slo.id, percentile, declared.map((alarm) => alarm.inputs.threshold)]).toEqual([slo.id, percentile, slo[field] === null ? [] : declared.map(() => slo[field])]);
        if (slo[field] !== null) expect(declared.length).toBeGreaterThan(0);
      }
    }
    expect(alarms.every((alarm) => alarm.inputs.alarmActions[0] === `arn:aws:sns:${alarm.name.slice(-9)}:111122223333:acme-api-alerts`)).toBe(true);
  });

  it("hosts the portal on CloudFront over HTTPS only", () => {
    const [distribution] = ofType("aws:cloudfront/distribution:Distribution");
    expect(distribution!.inputs.defaultCacheBehavior.viewerProtocolPolicy).toBe("redirect-to-https");
    const keys = ofType("aws:s3/bucketObjectv2:BucketObjectv2").map((object) => object.inputs.key as string);
    expect(keys).toContain("index.html");
    // The API pages link each API's SDK: it is hosted with them.
    expect(keys).toContain("apis/orders-v2/sdk/sdk.tgz");
  });

  it("exports each region's stage URLs", () => {
    expect(Object.keys(awsRegions)).toEqual(["eu-west-1", "us-east-1"]);
    expect(awsRegions["eu-west-1"]!["orders-v2"]).toBe("https://orders-v2-eu-west-1-id.execute-api.eu-west-1.amazonaws.com/live");
  });
});
