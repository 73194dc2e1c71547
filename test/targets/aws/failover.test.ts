/**
 * Multi-region failover under Pulumi mocks: per region an ACM certificate DNS-validated through
 * the hosted zone (unless its ARN is declared), the custom domain and the region's own host
 * name, an HTTPS health check of that host name, and a latency record aliasing the shared name
 * to the region's custom domain. And the compile errors of declarations that cannot work.
 */
import { type AwsGatewayProps, compileManifest } from "../../../constructs/index";
import { awsFixture, compileAws } from "./aws-fixture";
import { type Registered, deployMocked, ofType } from "./pulumi-mocks";

const ZONE = { id: "Z0SHOP0EXAMPLE", name: "shop.example" };
const EU_CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0f0e0d0c-0b0a-4909-8807-060504030201";

describe("Route 53 failover and ACM certificates (Pulumi, mocked)", () => {
  let registered: Registered[];
  beforeAll(async () => {
    const { manifest, aws } = await compileAws(
      awsFixture({
        publicListItems: true,
        gateway: {
          regions: [{ name: "eu-west-1", certificateArn: EU_CERTIFICATE }, { name: "us-east-1" }],
          customDomain: { domainName: "api.shop.example", hostedZone: ZONE, failover: { healthCheckPath: "/items/v1/items", failureThreshold: 2, requestIntervalSeconds: 10 } },
        },
      }),
    );
    ({ registered } = await deployMocked(manifest, aws));
  }, 30_000);

  it("issues a certificate only for the region without a declared ARN, for the domain and the region's host name, validated by DNS", () => {
    const certificates = ofType(registered, "aws:acm/certificate:Certificate");
    expect(certificates.map((certificate) => [certificate.name, certificate.inputs.domainName, certificate.inputs.subjectAlternativeNames, certificate.inputs.validationMethod])).toEqual([
      ["shop-us-east-1", "api.shop.example", ["us-east-1.api.shop.example"], "DNS"],
    ]);
    const validationRecords = ofType(registered, "aws:route53/record:Record").filter((record) => record.name.startsWith("shop-validation-"));
    expect(validationRecords.map((record) => record.inputs)).toEqual(
      ["api.shop.example", "us-east-1.api.shop.example"].map((name) => ({ zoneId: ZONE.id, name: `_acme-${name}.`, type: "CNAME", records: [`_validated-${name}.acm-validations.aws.`], ttl: 300, allowOverwrite: true })),
    );
    const [validation] = ofType(registered, "aws:acm/certificateValidation:CertificateValidation");
    expect(validation!.inputs).toEqual({ certificateArn: "arn:aws:mock:us-east-1:123456789012:aws-acm-certificate-Certificate/shop-us-east-1", validationRecordFqdns: ["_acme-api.shop.example.", "_acme-us-east-1.api.shop.example."] });
  });

  it("declares the shared and the regional custom domain in each region with its certificate, TLS 1.2, both mapped to the stages", () => {
    const domains = ofType(registered, "aws:apigateway/domainName:DomainName");
    expect(domains.map((domain) => [domain.name, domain.inputs.domainName, domain.inputs.regionalCertificateArn, domain.inputs.securityPolicy])).toEqual([
      ["shop-eu-west-1", "api.shop.example", EU_CERTIFICATE, "TLS_1_2"],
      ["shop-regional-eu-west-1", "eu-west-1.api.shop.example", EU_CERTIFICATE, "TLS_1_2"],
      ["shop-us-east-1", "api.shop.example", "arn:aws:mock:us-east-1:123456789012:aws-acm-certificate-Certificate/shop-us-east-1", "TLS_1_2"],
      ["shop-regional-us-east-1", "us-east-1.api.shop.example", "arn:aws:mock:us-east-1:123456789012:aws-acm-certificate-Certificate/shop-us-east-1", "TLS_1_2"],
    ]);
    expect(ofType(registered, "aws:apigatewayv2/apiMapping:ApiMapping").map((mapping) => [mapping.name, mapping.inputs.domainName, mapping.inputs.apiMappingKey])).toEqual([
      ["items-v1-eu-west-1", "api.shop.example", "items/v1"],
      ["items-v1-regional-eu-west-1", "eu-west-1.api.shop.example", "items/v1"],
      ["items-v1-us-east-1", "api.shop.example", "items/v1"],
      ["items-v1-regional-us-east-1", "us-east-1.api.shop.example", "items/v1"],
    ]);
  });

  it("checks each region over HTTPS on its own host name and the declared path, with the declared threshold and interval", () => {
    const checks = ofType(registered, "aws:route53/healthCheck:HealthCheck");
    expect(checks.map((check) => [check.name, check.provider?.split("::").pop()])).toEqual([
      ["shop-eu-west-1", "turnpike-aws-eu-west-1-id"],
      ["shop-us-east-1", "turnpike-aws-us-east-1-id"],
    ]);
    expect(checks[0]!.inputs).toMatchObject({ type: "HTTPS", fqdn: "eu-west-1.api.shop.example", port: 443, resourcePath: "/items/v1/items", enableSni: true, failureThreshold: 2, requestInterval: 10 });
  });

  it("answers api.shop.example with a latency record per region, aliased to its custom domain and tied to its health check", () => {
    const latency = ofType(registered, "aws:route53/record:Record").filter((record) => record.name.startsWith("shop-latency-"));
    expect(latency.map((record) => record.inputs)).toEqual(
      ["eu-west-1", "us-east-1"].map((region) => ({
        zoneId: ZONE.id,
        name: "api.shop.example",
        type: "A",
        setIdentifier: region,
        latencyRoutingPolicies: [{ region }],
        healthCheckId: `shop-${region}-id`,
        aliases: [{ name: `d-shop-${region}.execute-api.${region}.amazonaws.com`, zoneId: `ZONE-APIGW-${region}`, evaluateTargetHealth: true }],
      })),
    );
    const regional = ofType(registered, "aws:route53/record:Record").filter((record) => record.name.startsWith("shop-regional-"));
    expect(regional.map((record) => [record.inputs.name, record.inputs.aliases[0].name])).toEqual([
      ["eu-west-1.api.shop.example", "d-shop-regional-eu-west-1.execute-api.eu-west-1.amazonaws.com"],
      ["us-east-1.api.shop.example", "d-shop-regional-us-east-1.execute-api.us-east-1.amazonaws.com"],
    ]);
  });
});

describe("failover declarations that cannot work are compile errors", () => {
  async function errors(gateway: Partial<AwsGatewayProps>) {
    const shop = awsFixture({ gateway: { regions: [{ name: "eu-west-1" }, { name: "us-east-1" }], ...gateway } });
    return (await compileManifest(shop)).diagnostics.filter((diagnostic) => diagnostic.severity === "error").map((error) => [error.path, error.field, error.message, error.fix]);
  }

  it("Route 53 records without a hosted zone", async () => {
    expect(await errors({ customDomain: { domainName: "api.shop.example", failover: { healthCheckPath: "/items/v1/items" } } })).toEqual(
      expect.arrayContaining([
        [
          "shop/aws",
          "customDomain.failover",
          "latency records and health checks for api.shop.example are Route 53 records, and customDomain declares no hostedZone to create them in",
          'set customDomain.hostedZone: { id: "Z…", name: "<zone domain>" }, or remove failover and manage DNS yourself',
        ],
        [
          "shop/aws",
          "regions[0].certificateArn",
          'region "eu-west-1" has no certificateArn for api.shop.example, and customDomain declares no hostedZone to issue one through: ACM certificates are regional',
          "issue a certificate for api.shop.example in eu-west-1 and set its ARN, or set customDomain.hostedZone so Turnpike issues a DNS-validated one",
        ],
      ]),
    );
  });

  it("a domain outside the hosted zone, edge endpoints and mutual TLS", async () => {
    const found = await errors({
      endpointType: "EDGE",
      customDomain: { domainName: "api.shop.example", hostedZone: { id: "Z0OTHER", name: "other.example" }, mtlsTruststore: { bucket: "trust", key: "ca.pem" }, failover: { healthCheckPath: "/items/v1/items" } },
    });
    expect(found.map(([, field, message]) => `${field}: ${message}`).sort()).toEqual([
      "customDomain: an edge-optimized custom domain name exists once in an account, not once per region; 2 regions are declared",
      "customDomain.failover: latency routing needs one custom domain per region, which only REGIONAL endpoints have; endpointType is EDGE",
      "customDomain.failover: Route 53 health checkers present no client certificate, so an HTTPS health check cannot pass the custom domain's mutual TLS",
      "customDomain.hostedZone.name: api.shop.example is not in the hosted zone other.example",
      "customDomain.mtlsTruststore: mutual TLS needs a REGIONAL custom domain; endpointType is EDGE",
    ].sort());
  });

  it("a health check path that is no GET operation, or needs credentials", async () => {
    const zone = { domainName: "api.shop.example", hostedZone: ZONE };
    expect(await errors({ customDomain: { ...zone, failover: { healthCheckPath: "/healthz" } } })).toEqual([
      ["shop/aws", "customDomain.failover.healthCheckPath", 'customDomain.failover.healthCheckPath "/healthz" is not a GET operation of a served API (route = base path + path, e.g. /items/v1/items)', undefined],
    ]);
    expect(await errors({ customDomain: { ...zone, failover: { healthCheckPath: "/items/v1/items/42" } } })).toEqual([
      [
        "shop/aws",
        "customDomain.failover.healthCheckPath",
        'customDomain.failover.healthCheckPath "/items/v1/items/42" is items-v1 getItem, which needs credentials (apiKey); Route 53 health checkers send none, so every region would be unhealthy',
        undefined,
      ],
    ]);
  });
});
