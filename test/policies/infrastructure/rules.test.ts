/**
 * The deploy-time rules of policies/infrastructure/ against what the example stack really
 * declares: the Pulumi program (stacks/index.ts) runs under `setMocks`, every registered
 * resource is fed to the rules, which pass; then one property at a time is broken and the
 * rule concerned must fail with its message.
 */
import type * as PulumiModule from "@pulumi/pulumi";
import { RESOURCE_RULES, type ResourceUnderPolicy, STACK_RULES, cloudFrontHttpsOnly, customDomainTls12, methodAuthorization, stageAccessLogsAndTracing, wafOnPublicStages } from "../../../policies/infrastructure/rules";
import { REPO_ROOT } from "../../helpers/cli";
import { type Registered, awsMocks, settled } from "../../targets/aws/pulumi-mocks";

const KUBECONFIGS = { "turnpike:kubeconfig-eu-west-1": "apiVersion: v1\nkind: Config\n", "turnpike:kubeconfig-us-east-1": "apiVersion: v1\nkind: Config\n" };

let resources: ResourceUnderPolicy[];
beforeAll(async () => {
  const registered: Registered[] = [];
  const previous = process.cwd();
  process.chdir(REPO_ROOT);
  try {
    let output!: Promise<unknown>;
    jest.isolateModules(() => {
      const pulumi = require("@pulumi/pulumi") as typeof PulumiModule;
      pulumi.runtime.setAllConfig(KUBECONFIGS, Object.keys(KUBECONFIGS));
      void pulumi.runtime.setMocks(awsMocks(registered), "turnpike-acme", "test", false);
      output = (require("../../../stacks/index") as { awsRegions: Promise<unknown> }).awsRegions;
    });
    await output;
    await settled(registered);
  } finally {
    process.chdir(previous);
  }
  resources = registered.filter((resource) => resource.type.startsWith("aws:")).map((resource) => ({ type: resource.type, name: resource.name, props: resource.state }));
}, 60_000);

const first = (type: string) => resources.find((resource) => resource.type === type)!;
/** A copy of `resource` with `change` applied to a deep copy of its props. */
const mutated = (resource: ResourceUnderPolicy, change: (props: Record<string, any>) => void): ResourceUnderPolicy => {
  const props = structuredClone(resource.props);
  change(props);
  return { ...resource, props };
};

describe("infrastructure rules on the example stack", () => {
  it("covers every kind of resource the rules read", () => {
    for (const type of ["aws:apigateway/stage:Stage", "aws:apigateway/restApi:RestApi", "aws:apigateway/domainName:DomainName", "aws:wafv2/webAclAssociation:WebAclAssociation", "aws:cloudfront/distribution:Distribution"]) {
      expect([type, resources.some((resource) => resource.type === type)]).toEqual([type, true]);
    }
  });

  it("passes every rule", () => {
    const violations = resources.flatMap((resource) => Object.values(RESOURCE_RULES).flatMap((rule) => rule.check(resource)));
    expect(violations).toEqual([]);
    expect(Object.values(STACK_RULES).flatMap((rule) => rule.check(resources))).toEqual([]);
  });

  it("fails a stage without access logs or tracing", () => {
    const stage = first("aws:apigateway/stage:Stage");
    expect(stageAccessLogsAndTracing(mutated(stage, (props) => delete props.accessLogSettings))).toEqual([`stage ${stage.name} has no access logs: set accessLogSettings with a CloudWatch Logs destination and a format`]);
    expect(stageAccessLogsAndTracing(mutated(stage, (props) => (props.xrayTracingEnabled = false)))).toEqual([`stage ${stage.name} is not traced: set xrayTracingEnabled: true`]);
  });

  it("fails a public stage without a WAF association", () => {
    const association = first("aws:wafv2/webAclAssociation:WebAclAssociation");
    const stage = resources.find((resource) => resource.type === "aws:apigateway/stage:Stage" && resource.props.arn === association.props.resourceArn)!;
    expect(wafOnPublicStages(resources.filter((resource) => resource !== association))).toEqual([`stage ${stage.name} of a public REST API has no WAF web ACL: associate one (aws.wafv2.WebAclAssociation)`]);
  });

  it("fails a custom domain that accepts TLS 1.0", () => {
    const domain = first("aws:apigateway/domainName:DomainName");
    expect(customDomainTls12(mutated(domain, (props) => (props.securityPolicy = "TLS_1_0")))).toEqual([`custom domain ${domain.props.domainName} accepts TLS below 1.2 (securityPolicy TLS_1_0): set securityPolicy: "TLS_1_2"`]);
  });

  it("fails an operation without authorization that does not say why", () => {
    const api = resources.find((resource) => resource.type === "aws:apigateway/restApi:RestApi" && resource.name === "orders-v2-eu-west-1")!;
    const broken = mutated(api, (props) => {
      const body = JSON.parse(props.body);
      delete body.paths["/orders"].post["x-turnpike-authorization"];
      props.body = JSON.stringify(body);
    });
    expect(methodAuthorization(broken)).toEqual(["orders-v2-eu-west-1: POST /orders has no authorization (no API key, no authorizer)"]);
    expect(methodAuthorization({ type: "aws:apigateway/method:Method", name: "open", props: { httpMethod: "GET", authorization: "NONE", apiKeyRequired: false } })).toEqual(["method open has no authorization: set an authorizer, or apiKeyRequired: true"]);
    expect(methodAuthorization({ type: "aws:apigateway/method:Method", name: "keyed", props: { httpMethod: "GET", authorization: "NONE", apiKeyRequired: true } })).toEqual([]);
  });

  it("fails a distribution that serves HTTP", () => {
    const distribution = first("aws:cloudfront/distribution:Distribution");
    expect(cloudFrontHttpsOnly(mutated(distribution, (props) => (props.defaultCacheBehavior.viewerProtocolPolicy = "allow-all")))).toEqual([
      `distribution ${distribution.name} serves the default behavior over HTTP (viewerProtocolPolicy allow-all): use "redirect-to-https"`,
    ]);
    expect(cloudFrontHttpsOnly(mutated(distribution, (props) => (props.viewerCertificate = { acmCertificateArn: "arn:aws:acm:us-east-1:1:certificate/x", minimumProtocolVersion: "TLSv1_2016" })))).toEqual([
      `distribution ${distribution.name} accepts TLS below 1.2 (minimumProtocolVersion TLSv1_2016): use "TLSv1.2_2021"`,
    ]);
  });
});
