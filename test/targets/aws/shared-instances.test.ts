/**
 * Platform-level policies are one instance (`platform/<slot>`) in every API's chains. The
 * per-region resources the AWS target declares for an instance must still be unique: Pulumi
 * rejects two resources with one URN, WAF two rules with one name in a web ACL, and one Lambda
 * function cannot carry two APIs' operations.
 */
import { AwsGateway, OpenApi, ipFilter, jwt, requestSizeLimit } from "../../../constructs/index";
import type { GatewayConfig } from "../../../constructs/manifest/schema";
import { itemsApi, itemsContract, testPlatform } from "../../helpers/declaration";
import { compileAws } from "./aws-fixture";
import { type Registered, deployMocked, ofType } from "./pulumi-mocks";

const JWT = { issuer: "https://auth.shop.example/", jwksUrl: "https://auth.shop.example/.well-known/jwks.json", audiences: ["https://api.shop.example"] };

describe("deployAws: a platform-level instance shared by two APIs (Pulumi, mocked)", () => {
  let registered: Registered[];
  let manifest: GatewayConfig;
  beforeAll(async () => {
    const shop = testPlatform({ regions: ["eu-west-1", "us-east-1"], policies: [jwt(JWT), ipFilter({ deny: ["198.51.100.7"] }), requestSizeLimit({ maxBodyBytes: 16_384 })] } as never, "shop");
    const contract = () =>
      OpenApi.fromDocument(
        itemsContract((document: any) => {
          document.components.securitySchemes = { bearer: { type: "http", scheme: "bearer" } };
          document.security = [{ bearer: [] }];
        }),
      );
    itemsApi(shop, "items", { contract: contract(), policies: [] as never });
    itemsApi(shop, "stock", { contract: contract(), policies: [] as never });
    new AwsGateway(shop, "aws", { regions: [{ name: "eu-west-1" }, { name: "us-east-1" }] });
    let aws;
    ({ manifest, aws } = await compileAws(shop));
    ({ registered } = await deployMocked(manifest, aws));
  }, 30_000);

  it("shares the platform's instances between the two APIs", () => {
    expect(manifest.spec.policies.filter((instance) => instance.id.startsWith("platform/")).map((instance) => instance.id)).toEqual(["platform/ipFilter", "platform/jwt", "platform/requestSizeLimit"]);
    for (const api of manifest.spec.apis) {
      expect(api.operations.some((operation) => operation.policies.includes("platform/jwt"))).toBe(true);
      expect(api.operations.every((operation) => operation.policies.includes("platform/ipFilter"))).toBe(true);
    }
  });

  it("declares every resource under its own name", () => {
    const names = registered.map((resource) => `${resource.type} ${resource.name}`);
    expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
  });

  it("declares one authorizer function per API and region, each allowing its own API's operations", () => {
    const functions = ofType(registered, "aws:lambda/function:Function");
    expect(functions).toHaveLength(4);
    expect(new Set(functions.map((fn) => fn.inputs.name)).size).toBe(2);
    const paths = (fn: Registered) => JSON.parse(fn.inputs.environment.variables.TURNPIKE_JWT_AUTHORIZER).operations.map((operation: { path: string }) => operation.path);
    const byName = new Map(functions.map((fn) => [fn.inputs.name as string, paths(fn)]));
    expect([...byName.values()].map((list) => list.every((path: string) => path.startsWith("/items") || path === "/health"))).toEqual([true, true]);
    // Each REST API's document names its own function.
    const documents = ofType(registered, "aws:apigateway/restApi:RestApi").filter((api) => api.name.endsWith("eu-west-1")).map((api) => JSON.stringify(api.inputs.body));
    const named = documents.map((document) => [...byName.keys()].filter((name) => document.includes(`function:${name}/`)));
    expect(named.map((list) => list.length)).toEqual([1, 1]);
    expect(named[0]).not.toEqual(named[1]);
  });

  it("declares the instance's IP set once per region, and WAF rules with names unique in the web ACL", () => {
    expect(ofType(registered, "aws:wafv2/ipSet:IpSet").map((set) => set.name)).toEqual(["shop-platform-ipFilter-deny-v4-eu-west-1", "shop-platform-ipFilter-deny-v4-us-east-1"]);
    for (const acl of ofType(registered, "aws:wafv2/webAcl:WebAcl")) {
      const names = acl.inputs.rules.map((rule: { name: string }) => rule.name);
      expect(names.slice(0, 4)).toEqual(["items-v1-platform-ipFilter-deny-0", "items-v1-platform-requestSizeLimit-0", "stock-v1-platform-ipFilter-deny-0", "stock-v1-platform-requestSizeLimit-0"]);
      expect(new Set(names).size).toBe(names.length);
      const metrics = acl.inputs.rules.map((rule: { visibilityConfig: { metricName: string } }) => rule.visibilityConfig.metricName);
      expect(new Set(metrics).size).toBe(metrics.length);
    }
  });
});
