/**
 * The rest of the AWS target under Pulumi mocks, for one declaration using all of it: a JWT
 * Lambda authorizer, WAF IP sets and a body-size rule, SLO alarms and dashboard, the portal on
 * S3 + CloudFront, and a VPC link integration. Every declared number is compared with the
 * manifest's.
 */
import { createHash } from "node:crypto";
import { ipFilter, jwt, requestSizeLimit } from "../../../constructs/index";
import type { GatewayConfig } from "../../../constructs/manifest/schema";
import { jwtAuthorizerFunctionName } from "../../../constructs/targets/aws/jwt-authorizers";
import { PORTAL_CONTENT_SECURITY_POLICY } from "../../../portal-site/content-security-policy";
import { generatePortal } from "../../../portal-site/index";
import { awsFixture, compileAws } from "./aws-fixture";
import { ACCOUNT_ID, type Registered, deployMocked, ofType } from "./pulumi-mocks";

const TOPIC = (region: string) => `arn:aws:sns:${region}:123456789012:shop-alerts`;
const JWT = { issuer: "https://auth.shop.example/", jwksUrl: "https://auth.shop.example/.well-known/jwks.json", audiences: ["https://api.shop.example/items"], forwardClaims: { tenant: "x-tenant" } };

describe("deployAws: authorizers, WAF rules, SLO monitoring, portal (Pulumi, mocked)", () => {
  let registered: Registered[];
  let manifest: GatewayConfig;
  beforeAll(async () => {
    let aws;
    ({ manifest, aws } = await compileAws(
      awsFixture({
        oauthOnCreateItem: true,
        createItemPolicies: [jwt(JWT), ipFilter({ allow: ["198.51.100.0/24", "2001:db8::/32"], deny: ["198.51.100.7"] }), requestSizeLimit({ maxBodyBytes: 16_384 })],
        slo: { availability: 99.9, latencyP95Ms: 120, latencyP99Ms: 450 },
        gateway: {
          regions: ["eu-west-1", "us-east-1"].map((name) => ({ name, alarmTopicArn: TOPIC(name), vpcLinkId: `link${name.slice(0, 2)}` })),
          portal: { priceClass: "PriceClass_200" },
          vpcLinkApis: ["items-v1"],
        },
      }),
    ));
    ({ registered } = await deployMocked(manifest, aws));
  }, 30_000);

  const body = (region: string) => JSON.parse(ofType(registered, "aws:apigateway/restApi:RestApi").find((api) => api.name === `items-v1-${region}`)!.inputs.body);

  describe("JWT Lambda authorizer", () => {
    const functionName = () => jwtAuthorizerFunctionName("shop", "items-v1", manifest.spec.policies.find((instance) => instance.policy === "jwt")!.id);

    it("declares the function per region from the esbuild bundle, with the policy's settings in its environment", () => {
      const functions = ofType(registered, "aws:lambda/function:Function");
      expect(functions.map((fn) => [fn.name, fn.inputs.name, fn.inputs.runtime, fn.inputs.handler])).toEqual([
        [`${functionName()}-eu-west-1`, functionName(), "nodejs20.x", "index.handler"],
        [`${functionName()}-us-east-1`, functionName(), "nodejs20.x", "index.handler"],
      ]);
      const settings = JSON.parse(functions[0]!.inputs.environment.variables.TURNPIKE_JWT_AUTHORIZER);
      const declared = manifest.spec.policies.find((instance) => instance.policy === "jwt")!.config as Record<string, unknown>;
      expect(settings).toEqual({
        issuer: JWT.issuer,
        jwksUrl: JWT.jwksUrl,
        audiences: JWT.audiences,
        algorithms: declared.algorithms,
        clockSkewSeconds: declared.clockSkewSeconds,
        jwksCacheSeconds: declared.jwksCacheSeconds,
        requiredScopes: [],
        scopeClaim: "scope",
        consumerClaim: "sub",
        forwardClaims: { tenant: "claim_tenant" },
        operations: [{ method: "POST", path: "/items", scopes: [["items:write"]] }],
      });
      // The mock monitor receives archives without their contents; the bundle itself is tested in jwt-authorizer.test.ts.
      expect(functions[0]!.inputs.code).toMatchObject({ __pulumiArchive: true });
      expect(functions[0]!.inputs.role).toBe(`arn:aws:mock:eu-west-1:123456789012:aws-iam-role-Role/${functionName()}-eu-west-1`);
    });

    it("lets only the REST API's authorizers invoke it", () => {
      expect(ofType(registered, "aws:lambda/permission:Permission").map((permission) => permission.inputs)).toEqual(
        ["eu-west-1", "us-east-1"].map((region) => ({ action: "lambda:InvokeFunction", function: functionName(), principal: "apigateway.amazonaws.com", sourceArn: `arn:aws:execute-api:${region}:${ACCOUNT_ID}:items-v1-${region}-id/authorizers/*` })),
      );
    });

    it("puts the authorizer on the JWT operation only, beside the API key, and forwards claims from its context", () => {
      const document = body("eu-west-1");
      const scheme = `jwt-${manifest.spec.policies.find((instance) => instance.policy === "jwt")!.id.replace(/[^A-Za-z0-9]+/g, "-")}`;
      expect(document.components.securitySchemes[scheme]).toEqual({
        type: "apiKey",
        name: "authorization",
        in: "header",
        "x-amazon-apigateway-authtype": "custom",
        "x-amazon-apigateway-authorizer": {
          type: "token",
          authorizerUri: `arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:${ACCOUNT_ID}:function:${functionName()}/invocations`,
          authorizerResultTtlInSeconds: 300,
          identityValidationExpression: "^[Bb]earer [-0-9A-Za-z._~+/]+=*$",
        },
      });
      expect(document.paths["/items"].post.security).toEqual([{ api_key: [], [scheme]: [] }]);
      expect(document.paths["/items"].get.security).toEqual([{ api_key: [] }]);
      expect(document.paths["/items"].post["x-amazon-apigateway-integration"].requestParameters["integration.request.header.x-tenant"]).toBe("context.authorizer.claim_tenant");
    });
  });

  describe("WAF rules from ipFilter and requestSizeLimit", () => {
    it("declares IPv4 and IPv6 IP sets per list in each region", () => {
      const sets = ofType(registered, "aws:wafv2/ipSet:IpSet").filter((set) => set.name.endsWith("eu-west-1"));
      expect(sets.map((set) => [set.inputs.ipAddressVersion, set.inputs.addresses, set.inputs.scope])).toEqual([
        ["IPV4", ["198.51.100.7/32"], "REGIONAL"],
        ["IPV4", ["198.51.100.0/24"], "REGIONAL"],
        ["IPV6", ["2001:db8::/32"], "REGIONAL"],
      ]);
    });

    it("blocks denied addresses, and every address outside the allow lists, on the operation's requests only; then oversized bodies with 413", () => {
      const [acl] = ofType(registered, "aws:wafv2/webAcl:WebAcl");
      const arn = (suffix: string) => expect.stringMatching(new RegExp(`aws-wafv2-ipSet-IpSet/shop-.*-${suffix}-eu-west-1$`));
      const operation = [
        { byteMatchStatement: { searchString: "items-v1-eu-west-1-id.execute-api.eu-west-1.amazonaws.com", fieldToMatch: { singleHeader: { name: "host" } }, positionalConstraint: "EXACTLY", textTransformations: [{ priority: 0, type: "LOWERCASE" }] } },
        { byteMatchStatement: { searchString: "POST", fieldToMatch: { method: {} }, positionalConstraint: "EXACTLY", textTransformations: [{ priority: 0, type: "NONE" }] } },
        { regexMatchStatement: { regexString: "^/live/items$", fieldToMatch: { uriPath: {} }, textTransformations: [{ priority: 0, type: "NONE" }] } },
      ];
      expect(acl!.inputs.rules.slice(0, 3).map((rule: any) => [rule.priority, rule.action, rule.statement.andStatement.statements])).toEqual([
        [0, { block: {} }, [...operation, { ipSetReferenceStatement: { arn: arn("deny-v4") } }]],
        [1, { block: {} }, [...operation, { notStatement: { statement: { ipSetReferenceStatement: { arn: arn("allow-v4") } } } }, { notStatement: { statement: { ipSetReferenceStatement: { arn: arn("allow-v6") } } } }]],
        [2, { block: { customResponse: { responseCode: 413 } } }, [...operation, { sizeConstraintStatement: { comparisonOperator: "GT", size: 16_384, fieldToMatch: { body: { oversizeHandling: "MATCH" } }, textTransformations: [{ priority: 0, type: "NONE" }] } }]],
      ]);
      const declared = manifest.spec.policies.find((instance) => instance.policy === "requestSizeLimit" && instance.id.startsWith("items-v1/createItem"))!.config as { maxBodyBytes: number };
      expect(acl!.inputs.rules[2].statement.andStatement.statements[3].sizeConstraintStatement.size).toBe(declared.maxBodyBytes);
      expect(acl!.inputs.rules.slice(3).map((rule: any) => [rule.priority, rule.name])).toEqual([
        [3, "AWSManagedRulesCommonRuleSet"],
        [4, "AWSManagedRulesSQLiRuleSet"],
        [5, "AWSManagedRulesKnownBadInputsRuleSet"],
        [6, "rate-per-ip"],
      ]);
      expect(acl!.inputs.associationConfig).toEqual({ requestBodies: [{ apiGateway: { defaultSizeInspectionLimit: "KB_64" } }] });
    });
  });

  describe("CloudWatch from the SLOs", () => {
    it("declares burn-rate alarms with the SLO's thresholds and latency alarms with its objectives, notifying the region's topic", () => {
      const alarms = ofType(registered, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((alarm) => alarm.name.endsWith("eu-west-1"));
      const slo = manifest.spec.slos.find((candidate) => candidate.api === "items-v1")!;
      expect(alarms.map((alarm) => [alarm.name, alarm.inputs.threshold, alarm.inputs.evaluationPeriods])).toEqual([
        [`shop-${slo.id.replace(/[^A-Za-z0-9]+/g, "-")}-burn-1h-eu-west-1`, 0.0144, 1],
        [`shop-${slo.id.replace(/[^A-Za-z0-9]+/g, "-")}-burn-6h-eu-west-1`, 0.006, 1],
        [`shop-${slo.id.replace(/[^A-Za-z0-9]+/g, "-")}-burn-1d-eu-west-1`, 0.003, 1],
        [`shop-${slo.id.replace(/[^A-Za-z0-9]+/g, "-")}-burn-3d-eu-west-1`, 0.001, 3],
        [`shop-${slo.id.replace(/[^A-Za-z0-9]+/g, "-")}-p95-eu-west-1`, slo.latencyP95Ms, 3],
        [`shop-${slo.id.replace(/[^A-Za-z0-9]+/g, "-")}-p99-eu-west-1`, slo.latencyP99Ms, 3],
      ]);
      expect(alarms[0]!.inputs.metricQueries).toEqual([
        { id: "errors0", returnData: false, metric: { namespace: "AWS/ApiGateway", metricName: "5XXError", dimensions: { ApiName: "shop-items-v1", Stage: "live" }, period: 3600, stat: "Sum" } },
        { id: "requests0", returnData: false, metric: { namespace: "AWS/ApiGateway", metricName: "Count", dimensions: { ApiName: "shop-items-v1", Stage: "live" }, period: 3600, stat: "Sum" } },
        { id: "errorRatio", expression: "(errors0) / (requests0)", label: `${slo.id} 5xx ratio`, returnData: true },
      ]);
      expect(alarms[4]!.inputs).toMatchObject({ metricName: "Latency", namespace: "AWS/ApiGateway", extendedStatistic: "p95", period: 300, dimensions: { ApiName: "shop-items-v1", Stage: "live" } });
      expect(alarms.every((alarm) => alarm.inputs.alarmActions[0] === TOPIC("eu-west-1") && alarm.inputs.okActions[0] === TOPIC("eu-west-1"))).toBe(true);
    });

    it("declares a dashboard per region with the SLO objectives as lines", () => {
      const [dashboard] = ofType(registered, "aws:cloudwatch/dashboard:Dashboard");
      const widgets = JSON.parse(dashboard!.inputs.dashboardBody).widgets;
      expect(widgets.map((widget: any) => widget.properties.title)).toEqual(["items-v1: requests", "items-v1: latency (ms)", "items-v1: availability (%)"]);
      expect(widgets[1].properties.annotations.horizontal.map((line: any) => line.value)).toEqual([120, 450]);
      expect(widgets[2].properties.annotations.horizontal.map((line: any) => line.value)).toEqual([99.9]);
    });
  });

  describe("the portal on S3 + CloudFront", () => {
    it("keeps the bucket private and readable by the distribution only, through Origin Access Control", () => {
      expect(ofType(registered, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0]!.inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
      expect(ofType(registered, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")[0]!.inputs.rule).toEqual({ objectOwnership: "BucketOwnerEnforced" });
      expect(ofType(registered, "aws:cloudfront/originAccessControl:OriginAccessControl")[0]!.inputs).toMatchObject({ originAccessControlOriginType: "s3", signingBehavior: "always", signingProtocol: "sigv4" });
      const policy = JSON.parse(ofType(registered, "aws:s3/bucketPolicy:BucketPolicy")[0]!.inputs.policy);
      expect(policy.Statement).toEqual([
        {
          Sid: "CloudFrontReadsThePortal",
          Effect: "Allow",
          Principal: { Service: "cloudfront.amazonaws.com" },
          Action: "s3:GetObject",
          Resource: "arn:aws:mock:eu-west-1:123456789012:aws-s3-bucket-Bucket/shop-portal/*",
          Condition: { StringEquals: { "AWS:SourceArn": "arn:aws:mock:eu-west-1:123456789012:aws-cloudfront-distribution-Distribution/shop-portal" } },
        },
      ]);
    });

    it("serves HTTPS only with TLS 1.2+, the declared price class and the security headers", () => {
      const [distribution] = ofType(registered, "aws:cloudfront/distribution:Distribution");
      expect(distribution!.inputs).toMatchObject({ priceClass: "PriceClass_200", defaultRootObject: "index.html", viewerCertificate: { cloudfrontDefaultCertificate: true } });
      expect(distribution!.inputs.viewerCertificate.minimumProtocolVersion).toBeUndefined();
      expect(distribution!.inputs.defaultCacheBehavior).toMatchObject({ viewerProtocolPolicy: "redirect-to-https", responseHeadersPolicyId: "shop-portal-id" });
      expect(distribution!.inputs.origins).toEqual([{ originId: "portal-bucket", domainName: "shop-portal-bucket.s3.eu-west-1.amazonaws.com", originAccessControlId: "shop-portal-id" }]);
      const [headers] = ofType(registered, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy");
      expect(headers!.inputs.securityHeadersConfig).toEqual({
        strictTransportSecurity: { accessControlMaxAgeSec: 63_072_000, includeSubdomains: true, preload: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: "DENY", override: true },
        referrerPolicy: { referrerPolicy: "strict-origin-when-cross-origin", override: true },
        contentSecurityPolicy: { contentSecurityPolicy: PORTAL_CONTENT_SECURITY_POLICY, override: true },
      });
      expect(PORTAL_CONTENT_SECURITY_POLICY).not.toMatch(/https?:/);
    });

    it("serves the index.html of the directories the portal links to (an S3 origin has no index documents)", () => {
      const [fn] = ofType(registered, "aws:cloudfront/function:Function");
      expect(fn!.inputs).toMatchObject({ runtime: "cloudfront-js-2.0", publish: true });
      const [distribution] = ofType(registered, "aws:cloudfront/distribution:Distribution");
      expect(distribution!.inputs.defaultCacheBehavior.functionAssociations).toEqual([{ eventType: "viewer-request", functionArn: `arn:aws:mock:eu-west-1:123456789012:aws-cloudfront-function-Function/${fn!.name}` }]);
      const handler = new Function(`${fn!.inputs.code}\nreturn handler;`)() as (event: { request: { uri: string } }) => { uri: string };
      const keys = new Set(ofType(registered, "aws:s3/bucketObjectv2:BucketObjectv2").map((object) => object.inputs.key as string));
      // Every directory link of the home page resolves to an uploaded object.
      const home = generatePortal(manifest, { basePath: "/" }).find((file) => file.path === "index.html")!.bytes.toString("utf8");
      const directories = [...home.matchAll(/href="([a-z][^"#:]*\/)"/g)].map((match) => `/${match[1]}`);
      expect(directories).toContain("/catalog/");
      for (const uri of directories) expect(keys.has(handler({ request: { uri } }).uri.slice(1))).toBe(true);
      expect(handler({ request: { uri: "/assets/site.css" } }).uri).toBe("/assets/site.css");
    });

    it("uploads every generated portal file with its content type and bytes", () => {
      const objects = ofType(registered, "aws:s3/bucketObjectv2:BucketObjectv2");
      const files = generatePortal(manifest, { basePath: "/" });
      expect(objects.map((object) => object.inputs.key)).toEqual(files.map((file) => file.path));
      const index = objects.find((object) => object.inputs.key === "index.html")!;
      expect(index.inputs).toMatchObject({ contentType: "text/html; charset=utf-8", cacheControl: "public, max-age=60, must-revalidate" });
      const digest = (base64: string) => createHash("sha256").update(Buffer.from(base64, "base64")).digest("hex");
      expect(digest(index.inputs.contentBase64)).toBe(createHash("sha256").update(files.find((file) => file.path === "index.html")!.bytes).digest("hex"));
      const script = objects.find((object) => /^assets\/.*\.js$/.test(object.inputs.key))!;
      expect(script.inputs).toMatchObject({ contentType: "text/javascript; charset=utf-8", cacheControl: "public, max-age=31536000, immutable" });
    });
  });

  it("integrates the VPC link APIs through each region's link", () => {
    for (const region of ["eu-west-1", "us-east-1"]) {
      expect(body(region).paths["/items"].get["x-amazon-apigateway-integration"]).toMatchObject({ connectionType: "VPC_LINK", connectionId: `link${region.slice(0, 2)}` });
    }
  });
});
