/**
 * Each REST API's body: the OpenAPI with x-amazon-apigateway extensions, validated as OpenAPI
 * with @redocly/openapi-core and asserted on the extensions API Gateway reads.
 */
import { BaseResolver, createConfig, lintDocument, makeDocumentFromString } from "@redocly/openapi-core";
import { compileManifest } from "../../../constructs/index";
import type { GatewayConfig } from "../../../constructs/manifest/schema";
import type { AwsTargetConfig } from "../../../constructs/targets/aws/config";
import { openApiWithExtensions } from "../../../constructs/targets/aws/openapi-with-extensions";
import { synthesizeAws } from "../../../constructs/targets/aws/synthesize";
import { acmePlatform } from "../../../stacks/acme";
import { awsFixture, compileAws } from "./aws-fixture";

/** Structural validity and resolvable references: what an import needs. */
async function openApiProblems(document: Record<string, unknown>): Promise<string[]> {
  const config = await createConfig({ rules: { struct: "error", "no-unresolved-refs": "error", "operation-operationId-unique": "error", "path-parameters-defined": "error", "no-identical-paths": "error" } });
  const problems = await lintDocument({ document: makeDocumentFromString(JSON.stringify(document), "/aws.json"), config, externalRefResolver: new BaseResolver() });
  return problems.filter((problem) => problem.severity === "error").map((problem) => `${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer}`);
}

let manifest: GatewayConfig;
let aws: AwsTargetConfig;
let document: any;
beforeAll(async () => {
  ({ manifest, aws } = await compileAws(awsFixture()));
  document = openApiWithExtensions(manifest, manifest.spec.apis[0]!, aws, aws.regions[0]!);
});

describe("openApiWithExtensions", () => {
  it("is valid OpenAPI 3.0", async () => {
    expect(document.openapi).toBe("3.0.1");
    expect(await openApiProblems(document)).toEqual([]);
  });

  it("reads API keys from the x-api-key header and requires them where the apiKey policy applies", () => {
    expect(document["x-amazon-apigateway-api-key-source"]).toBe("HEADER");
    expect(document.components.securitySchemes).toEqual({ api_key: { type: "apiKey", name: "x-api-key", in: "header" } });
    expect(document.paths["/items"].get.security).toEqual([{ api_key: [] }]);
    // getHealth is public in the contract (security: []), so the apiKey policy does not apply.
    expect(document.paths["/health"].get.security).toBeUndefined();
  });

  it("proxies each operation to the upstream's first target, mapping path parameters", () => {
    expect(document.paths["/items/{itemId}"].get["x-amazon-apigateway-integration"]).toEqual({
      type: "http_proxy",
      httpMethod: "GET",
      uri: "http://items.internal:8080/items/{itemId}",
      passthroughBehavior: "when_no_match",
      connectionType: "INTERNET",
      timeoutInMillis: 29_000,
      requestParameters: { "integration.request.path.itemId": "method.request.path.itemId" },
    });
  });

  it("declares request validators and names one per operation", () => {
    expect(document["x-amazon-apigateway-request-validators"]["params-and-body"]).toEqual({ validateRequestParameters: true, validateRequestBody: true });
    expect(document.paths["/items"].post["x-amazon-apigateway-request-validator"]).toBe("params-and-body");
    expect(document.paths["/items"].get["x-amazon-apigateway-request-validator"]).toBe("params-only");
  });

  it("answers CORS preflights with a mock integration that echoes an allowed origin", () => {
    const integration = document.paths["/items"].options["x-amazon-apigateway-integration"];
    expect(integration.type).toBe("mock");
    expect(integration.responses.default.responseParameters).toMatchObject({
      "method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS,POST'",
      "method.response.header.Access-Control-Allow-Origin": "'https://a.example'",
      "method.response.header.Vary": "'Origin'",
    });
    expect(integration.responses.default.responseTemplates["application/json"]).toContain('#if($origin == "https://a.example" || $origin == "https://b.example")');
  });

  it("keys the cache of a cached operation by its parameters, vary headers and the API key", () => {
    const integration = document.paths["/items"].get["x-amazon-apigateway-integration"];
    expect(integration.cacheKeyParameters).toEqual(["method.request.querystring.limit", "method.request.header.accept-language", "method.request.header.x-api-key"]);
    expect(document.paths["/items"].get.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(["limit", "accept-language", "x-api-key"]);
  });
});

describe("synthesizeAws", () => {
  it("writes one file per region and API: dist/aws/<region>/<api id>.json", () => {
    expect(synthesizeAws(manifest, aws).map((file) => file.path)).toEqual(["eu-west-1/items-v1.json", "us-east-1/items-v1.json"]);
  });

  it("proxies Acme's APIs, which fall back to the Node gateway, to that region's gateway, and every file is valid OpenAPI", async () => {
    const result = await compileManifest(acmePlatform());
    const files = synthesizeAws(result.manifest!, result.targets.aws!);
    expect(files.map((file) => file.path)).toEqual([
      "eu-west-1/catalog-v1.json", "eu-west-1/orders-v1.json", "eu-west-1/orders-v2.json", "eu-west-1/payments-v1.json",
      "us-east-1/catalog-v1.json", "us-east-1/orders-v1.json", "us-east-1/orders-v2.json", "us-east-1/payments-v1.json",
    ]);
    for (const file of files) expect({ file: file.path, problems: await openApiProblems(JSON.parse(file.contents)) }).toEqual({ file: file.path, problems: [] });
    const orders = JSON.parse(files.find((file) => file.path === "us-east-1/orders-v2.json")!.contents);
    const integrations = Object.values(orders.paths).flatMap((item: any) => Object.values(item).map((operation: any) => operation["x-amazon-apigateway-integration"].uri));
    expect(integrations.every((uri) => uri.startsWith("https://api.us.acme.example/orders/v2/"))).toBe(true);
    expect(orders.components.securitySchemes).toBeUndefined();
  });
});
