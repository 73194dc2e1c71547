/** The `AwsGateway` construct: props validated with construct-path diagnostics, resolved into plain data; `turnpike synth` writes dist/aws/. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AwsGateway, compileManifest } from "../../../constructs/index";
import { runCli, tempProject } from "../../helpers/cli";
import { itemsApi, testPlatform } from "../../helpers/declaration";

describe("AwsGateway", () => {
  it("resolves defaults into the compiled targets, beside the manifest", async () => {
    const shop = testPlatform({ regions: ["eu-west-1", "us-east-1"] }, "shop");
    itemsApi(shop);
    new AwsGateway(shop, "aws", { regions: [{ name: "us-east-1" }, { name: "eu-west-1" }] });
    const result = await compileManifest(shop);
    expect(result.targets.aws).toEqual({
      declaredAt: "shop/aws",
      regions: [
        { name: "eu-west-1", nodeGatewayUrl: null, certificateArn: null, alarmTopicArn: null, vpcLinkId: null },
        { name: "us-east-1", nodeGatewayUrl: null, certificateArn: null, alarmTopicArn: null, vpcLinkId: null },
      ],
      endpointType: "REGIONAL",
      apis: null,
      stageName: "live",
      customDomain: null,
      waf: { enabled: true, rateLimitPerFiveMinutes: 2_000 },
      logRetentionDays: 30,
      manageAccountLogsRole: true,
      gatewayFallback: {},
      portal: null,
      vpcLinkApis: [],
    });
  });

  it("reports every props problem with the construct path, the field and a fix", async () => {
    const shop = testPlatform({ regions: ["eu-west-1"] }, "shop");
    itemsApi(shop);
    new AwsGateway(shop, "aws", {
      regions: [{ name: "eu-west-2" }, { name: "eu-west-1" }],
      customDomain: { domainName: "api.shop.example" },
      gatewayFallback: { "items-v1": "node" },
    });
    const errors = (await compileManifest(shop)).diagnostics.filter((diagnostic) => diagnostic.severity === "error");
    expect(errors.map((error) => [error.path, error.field, error.message, error.fix])).toEqual([
      ["shop/aws", "regions[0].certificateArn", 'region "eu-west-2" has no certificateArn for api.shop.example, and customDomain declares no hostedZone to issue one through: ACM certificates are regional', "issue a certificate for api.shop.example in eu-west-2 and set its ARN, or set customDomain.hostedZone so Turnpike issues a DNS-validated one"],
      ["shop/aws", "regions[0].name", 'region "eu-west-2" is not one of the platform\'s regions ("eu-west-1")', 'did you mean "eu-west-1"?'],
      ["shop/aws", "regions[0].nodeGatewayUrl", 'region "eu-west-2" has no nodeGatewayUrl, but "items-v1" fall back to the Node gateway', 'set nodeGatewayUrl to the Node gateway of this region, e.g. "https://api.eu.acme.example"'],
      ["shop/aws", "regions[1].certificateArn", 'region "eu-west-1" has no certificateArn for api.shop.example, and customDomain declares no hostedZone to issue one through: ACM certificates are regional', "issue a certificate for api.shop.example in eu-west-1 and set its ARN, or set customDomain.hostedZone so Turnpike issues a DNS-validated one"],
      ["shop/aws", "regions[1].nodeGatewayUrl", 'region "eu-west-1" has no nodeGatewayUrl, but "items-v1" fall back to the Node gateway', 'set nodeGatewayUrl to the Node gateway of this region, e.g. "https://api.eu.acme.example"'],
    ]);
  });

  it("requires a VPC link id in every region when an API integrates through a VPC link", async () => {
    const shop = testPlatform({ regions: ["eu-west-1", "us-east-1"] }, "shop");
    itemsApi(shop);
    new AwsGateway(shop, "aws", { regions: [{ name: "eu-west-1", vpcLinkId: "a1b2c3" }, { name: "us-east-1" }], vpcLinkApis: ["items-v1"] });
    const errors = (await compileManifest(shop)).diagnostics.filter((diagnostic) => diagnostic.severity === "error");
    expect(errors.map((error) => [error.path, error.field, error.message, error.fix])).toEqual([
      ["shop/aws", "regions[1].vpcLinkId", 'region "us-east-1" has no vpcLinkId, but "items-v1" reach their upstream through a VPC link', "create a VPC link to the upstreams' Network Load Balancer in this region and set its id"],
    ]);
  });

  it("requires a us-east-1 certificate for an edge-optimized custom domain (CloudFront reads certificates there only)", async () => {
    const edgeErrors = async (region: string, certificateArn?: string) => {
      const shop = testPlatform({ regions: [region] }, "shop");
      itemsApi(shop);
      new AwsGateway(shop, "aws", { regions: [{ name: region, ...(certificateArn ? { certificateArn } : {}) }], endpointType: "EDGE", customDomain: { domainName: "api.shop.example", hostedZone: { id: "Z0SHOP", name: "shop.example" } } });
      return (await compileManifest(shop)).diagnostics.filter((diagnostic) => diagnostic.severity === "error").map((error) => [error.field, error.message, error.fix]);
    };
    const fix = 'set regions[0].certificateArn to a certificate issued in us-east-1, or use endpointType: "REGIONAL"';
    expect(await edgeErrors("eu-west-1")).toEqual([["regions[0].certificateArn", "the edge-optimized custom domain api.shop.example needs a certificate in us-east-1 (CloudFront reads certificates there only); Turnpike would issue it in eu-west-1", fix]]);
    const arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab";
    expect(await edgeErrors("eu-west-1", arn)).toEqual([["regions[0].certificateArn", `the edge-optimized custom domain api.shop.example needs a certificate in us-east-1 (CloudFront reads certificates there only); ${arn} is in eu-west-1`, fix]]);
    expect(await edgeErrors("eu-west-1", arn.replace("eu-west-1", "us-east-1"))).toEqual([]);
    expect(await edgeErrors("us-east-1")).toEqual([]);
  });

  it("reports API ids the platform does not declare", async () => {
    const shop = testPlatform({}, "shop");
    itemsApi(shop);
    new AwsGateway(shop, "aws", { regions: [{ name: "eu-west-1", nodeGatewayUrl: "https://api.shop.example" }], apis: ["items-v2"], gatewayFallback: { items: "node" } });
    const errors = (await compileManifest(shop)).diagnostics.filter((diagnostic) => diagnostic.severity === "error");
    expect(errors.map((error) => [error.path, error.field, error.message])).toEqual([
      ["shop/aws", "apis", 'apis names API "items-v2", which the platform does not declare (its APIs: items-v1)'],
      ["shop/aws", "gatewayFallback", 'gatewayFallback names API "items", which the platform does not declare (its APIs: items-v1)'],
    ]);
  });

  it("warns that a PRIVATE API needs VPC endpoints and a resource policy it does not declare", async () => {
    const shop = testPlatform({}, "shop");
    itemsApi(shop);
    new AwsGateway(shop, "aws", { regions: [{ name: "eu-west-1" }], endpointType: "PRIVATE" });
    const result = await compileManifest(shop);
    expect(result.targets.aws?.endpointType).toBe("PRIVATE");
    expect(result.diagnostics.filter((diagnostic) => diagnostic.field === "endpointType").map((diagnostic) => [diagnostic.severity, diagnostic.message])).toEqual([
      ["warning", "a PRIVATE REST API is reachable only through interface VPC endpoints allowed by its resource policy; the AWS target declares neither yet, so nothing can call it until you add them"],
    ]);
  });

  it("rejects shapes and ranges with the field named", async () => {
    const shop = testPlatform({}, "shop");
    itemsApi(shop);
    new AwsGateway(shop, "aws", { regions: [{ name: "eu-west-1" }], endpointType: "GLOBAL" as never, logRetentionDays: 10, waf: { rateLimitPerFiveMinutes: 5 } });
    const errors = (await compileManifest(shop)).diagnostics.filter((diagnostic) => diagnostic.severity === "error");
    expect(errors.map((error) => [error.path, error.field])).toEqual([
      ["shop/aws", "endpointType"],
      ["shop/aws", "logRetentionDays"],
      ["shop/aws", "waf.rateLimitPerFiveMinutes"],
    ]);
  });
});

const APP = `
import { Api, AwsGateway, OpenApi, Plan, Platform, Product, apiKey, requestSizeLimit } from "turnpike";
export default function app() {
  const shop = new Platform("shop");
  const free = new Plan(shop, "free", { rateLimit: { requests: 5 }, quota: { requests: 1000, period: "day" } });
  const items = new Api(shop, "items", {
    version: "1.2.3",
    contract: OpenApi.fromFile("apis/items.json"),
    upstream: { targets: [{ url: "http://items.internal" }] },
    policies: [apiKey() /*EXTRA*/],
  });
  new Product(shop, "catalog", { apis: [items], plans: [free] });
  new AwsGateway(shop, "aws", { regions: [{ name: "eu-west-1" }] });
  return shop;
}
`;
const CONTRACT = JSON.stringify({
  openapi: "3.0.3",
  info: { title: "Items", version: "1.2.3" },
  security: [{ key: [] }],
  paths: { "/items": { get: { operationId: "listItems", responses: { "200": { description: "ok" } } } } },
  components: { securitySchemes: { key: { type: "apiKey", in: "header", name: "X-API-Key" } } },
});

describe("turnpike synth with an AwsGateway", () => {
  it("writes dist/aws/<region>/<api id>.json", async () => {
    const root = tempProject({ "turnpike.json": JSON.stringify({ app: "stacks/app.ts" }), "stacks/app.ts": APP, "apis/items.json": CONTRACT });
    const run = await runCli(["synth"], root);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("  wrote dist/aws/eu-west-1/items-v1.json\n");
    const body = JSON.parse(readFileSync(join(root, "dist/aws/eu-west-1/items-v1.json"), "utf8"));
    expect(body.paths["/items"].get["x-amazon-apigateway-integration"]).toMatchObject({ type: "http_proxy", uri: "http://items.internal/items" });
  }, 20_000);

  it("fails, writing nothing, when AWS cannot enforce a policy", async () => {
    const app = APP.replace("/*EXTRA*/", ", requestSizeLimit({ maxBodyBytes: 1_048_576 })");
    const root = tempProject({ "turnpike.json": JSON.stringify({ app: "stacks/app.ts" }), "stacks/app.ts": app, "apis/items.json": CONTRACT });
    const run = await runCli(["synth"], root);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("API items-v1, policy requestSizeLimit (items-v1/requestSizeLimit): AWS API Gateway cannot enforce it: AWS WAF inspects at most the first 64 KB of a body sent to API Gateway, so a body cannot be measured against a limit of 1048576 bytes");
    expect(existsSync(join(root, "dist/aws"))).toBe(false);
  }, 20_000);
});
