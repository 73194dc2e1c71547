/**
 * `AwsGateway`: the declaration served by AWS API Gateway REST APIs (v1: the only ones with API
 * keys, usage plans, request validation, WAF and caching) in one or more regions. The construct
 * validates and resolves its props into plain data (`AwsTargetConfig`); `deployAws()` and
 * `synthesizeAws()` read that data and the manifest, never construct objects.
 */
import type { Construct } from "constructs";
import { z } from "zod";
import { didYouMean, listOf } from "../../diagnostics";
import { Platform } from "../../platform";
import { TurnpikeConstruct } from "../../turnpike-construct";
import type { AwsGatewayProps } from "./aws-gateway-props";
import { type AwsRegionConfig, type AwsTargetConfig, ENDPOINT_TYPES, PRICE_CLASSES } from "./config";

/** CloudWatch Logs accepts only these retention periods, in days. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const hostname = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/, "a host name such as api.acme.example (lower case, no scheme, no port)");
const acmArn = z.string().regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/, "an ACM certificate ARN, arn:aws:acm:<region>:<account>:certificate/<id>");
const snsArn = z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, "an SNS topic ARN, arn:aws:sns:<region>:<account>:<name>");
const httpsUrl = z.url({ protocol: /^https?$/ }).refine((url) => !url.endsWith("/"), "a base URL without a trailing slash");

const propsSchema = z.strictObject({
  regions: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "an AWS region such as eu-west-1"),
        nodeGatewayUrl: httpsUrl.optional(),
        certificateArn: acmArn.optional(),
        alarmTopicArn: snsArn.optional(),
        vpcLinkId: z.string().regex(/^[a-z0-9]{1,20}$/, "a VPC link id such as a1b2c3").optional(),
      }),
    )
    .min(1, "declare at least one region"),
  endpointType: z.enum(ENDPOINT_TYPES).default("REGIONAL"),
  apis: z.array(z.string().min(1)).optional(),
  stageName: z.string().regex(/^[A-Za-z0-9_]{1,128}$/, "letters, digits and _").default("live"),
  customDomain: z
    .strictObject({
      domainName: hostname,
      mtlsTruststore: z.strictObject({ bucket: z.string().min(3), key: z.string().min(1) }).optional(),
      hostedZone: z.strictObject({ id: z.string().regex(/^Z[A-Z0-9]{1,31}$/, "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ"), name: hostname }).optional(),
      failover: z
        .strictObject({
          healthCheckPath: z.string().regex(/^\/[^\s?#]*$/, "an absolute path without query, e.g. /catalog/v1/products"),
          failureThreshold: z.number().int().min(1).max(10).default(3),
          requestIntervalSeconds: z.union([z.literal(10), z.literal(30)]).default(30),
        })
        .optional(),
    })
    .optional(),
  waf: z.strictObject({ enabled: z.boolean().default(true), rateLimitPerFiveMinutes: z.number().int().min(10).max(2_000_000_000).default(2_000) }).prefault({}),
  logRetentionDays: z
    .number()
    .int()
    .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), `one of CloudWatch's retention periods: ${LOG_RETENTION_DAYS.join(", ")}`)
    .default(30),
  manageAccountLogsRole: z.boolean().default(true),
  gatewayFallback: z.record(z.string(), z.literal("node")).default({}),
  portal: z
    .strictObject({
      domainName: hostname.optional(),
      certificateArn: z.string().regex(/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]+$/, "an ACM certificate ARN in us-east-1 (CloudFront reads certificates only there)").optional(),
      priceClass: z.enum(PRICE_CLASSES).default("PriceClass_100"),
    })
    .optional(),
  vpcLinkApis: z.array(z.string().min(1)).default([]),
});

export class AwsGateway extends TurnpikeConstruct {
  /** The resolved settings; `undefined` when the props have errors (compile reports them). */
  readonly config: AwsTargetConfig | undefined;

  constructor(scope: Construct, id: string, props: AwsGatewayProps) {
    super(scope, id);
    const platform = Platform.of(this);
    this.checkName(id);
    const other = platform.node.findAll().find((construct) => construct instanceof AwsGateway && construct !== this);
    if (other) {
      this.diagnostics.error({ code: "duplicate-name", path: this.path, message: `the platform already has an AwsGateway (${other.node.path}); one declares every region`, fix: `add these regions to ${other.node.path}` });
    }
    const parsed = this.parseProps(propsSchema, props);
    if (parsed === undefined) return;
    const declaredRegions = platform.settings?.regions ?? [];
    const fallsBack = Object.keys(parsed.gatewayFallback).length > 0;
    let ok = true;
    const error = (field: string, message: string, fix: string, received?: string) => {
      ok = false;
      this.diagnostics.error({ code: "invalid-props", path: this.path, field, message, received, fix });
    };
    const seen = new Set<string>();
    const regions: AwsRegionConfig[] = parsed.regions.map((region, index) => {
      const at = `regions[${index}]`;
      if (seen.has(region.name)) error(`${at}.name`, `region "${region.name}" is declared twice; each region is one provider and one set of REST APIs`, "remove one of the two entries", `"${region.name}"`);
      seen.add(region.name);
      if (declaredRegions.length > 0 && !declaredRegions.includes(region.name)) {
        error(`${at}.name`, `region "${region.name}" is not one of the platform's regions (${listOf(declaredRegions)})`, didYouMean(region.name, declaredRegions) ?? `add "${region.name}" to the Platform's regions`, `"${region.name}"`);
      }
      if (fallsBack && region.nodeGatewayUrl === undefined) {
        error(`${at}.nodeGatewayUrl`, `region "${region.name}" has no nodeGatewayUrl, but ${listOf(Object.keys(parsed.gatewayFallback).sort())} fall back to the Node gateway`, 'set nodeGatewayUrl to the Node gateway of this region, e.g. "https://api.eu.acme.example"');
      }
      if (parsed.customDomain && region.certificateArn === undefined && parsed.customDomain.hostedZone === undefined) {
        error(
          `${at}.certificateArn`,
          `region "${region.name}" has no certificateArn for ${parsed.customDomain.domainName}, and customDomain declares no hostedZone to issue one through: ACM certificates are regional`,
          `issue a certificate for ${parsed.customDomain.domainName} in ${region.name} and set its ARN, or set customDomain.hostedZone so Turnpike issues a DNS-validated one`,
        );
      }
      if (parsed.vpcLinkApis.length > 0 && region.vpcLinkId === undefined) {
        error(`${at}.vpcLinkId`, `region "${region.name}" has no vpcLinkId, but ${listOf([...parsed.vpcLinkApis].sort())} reach their upstream through a VPC link`, "create a VPC link to the upstreams' Network Load Balancer in this region and set its id");
      }
      return { name: region.name, nodeGatewayUrl: region.nodeGatewayUrl ?? null, certificateArn: region.certificateArn ?? null, alarmTopicArn: region.alarmTopicArn ?? null, vpcLinkId: region.vpcLinkId ?? null };
    });
    const domain = parsed.customDomain;
    if (domain?.hostedZone && domain.domainName !== domain.hostedZone.name && !domain.domainName.endsWith(`.${domain.hostedZone.name}`)) {
      error("customDomain.hostedZone.name", `${domain.domainName} is not in the hosted zone ${domain.hostedZone.name}`, `use the hosted zone that holds ${domain.domainName}`, `"${domain.hostedZone.name}"`);
    }
    if (domain?.failover) {
      if (domain.hostedZone === undefined) {
        error("customDomain.failover", `latency records and health checks for ${domain.domainName} are Route 53 records, and customDomain declares no hostedZone to create them in`, 'set customDomain.hostedZone: { id: "Z…", name: "<zone domain>" }, or remove failover and manage DNS yourself');
      }
      if (parsed.endpointType !== "REGIONAL") {
        error("customDomain.failover", `latency routing needs one custom domain per region, which only REGIONAL endpoints have; endpointType is ${parsed.endpointType}`, 'set endpointType: "REGIONAL"');
      }
      if (domain.mtlsTruststore) {
        error("customDomain.failover", "Route 53 health checkers present no client certificate, so an HTTPS health check cannot pass the custom domain's mutual TLS", "remove failover (one region per host name), or mutual TLS");
      }
    }
    if (domain && parsed.endpointType === "EDGE" && parsed.regions.length > 1) {
      error("customDomain", `an edge-optimized custom domain name exists once in an account, not once per region; ${parsed.regions.length} regions are declared`, 'set endpointType: "REGIONAL" (and failover for latency routing)');
    }
    if (domain && parsed.endpointType === "EDGE" && parsed.regions.length === 1) {
      // An edge-optimized domain name is a CloudFront distribution: its certificate is read in us-east-1 only.
      const [region] = parsed.regions as [(typeof parsed.regions)[number]];
      const certificateRegion = region.certificateArn?.split(":")[3] ?? region.name;
      if (certificateRegion !== "us-east-1") {
        error(
          "regions[0].certificateArn",
          `the edge-optimized custom domain ${domain.domainName} needs a certificate in us-east-1 (CloudFront reads certificates there only); ${region.certificateArn ? `${region.certificateArn} is` : "Turnpike would issue it"} in ${certificateRegion}`,
          'set regions[0].certificateArn to a certificate issued in us-east-1, or use endpointType: "REGIONAL"',
        );
      }
    }
    if (parsed.portal?.domainName !== undefined && parsed.portal.certificateArn === undefined) {
      error("portal.certificateArn", `the portal's domain ${parsed.portal.domainName} needs a certificate for CloudFront`, `issue an ACM certificate for ${parsed.portal.domainName} in us-east-1 and set its ARN`);
    }
    if (parsed.portal?.certificateArn !== undefined && parsed.portal.domainName === undefined) {
      error("portal.domainName", "a certificate without a domain name is never used", "set portal.domainName to the host name the certificate is for, or remove portal.certificateArn");
    }
    if (parsed.customDomain?.mtlsTruststore && parsed.endpointType !== "REGIONAL") {
      error("customDomain.mtlsTruststore", `mutual TLS needs a REGIONAL custom domain; endpointType is ${parsed.endpointType}`, 'set endpointType: "REGIONAL"');
    }
    if (parsed.endpointType === "PRIVATE") {
      this.diagnostics.warning({
        code: "invalid-props",
        path: this.path,
        field: "endpointType",
        message: "a PRIVATE REST API is reachable only through interface VPC endpoints allowed by its resource policy; the AWS target declares neither yet, so nothing can call it until you add them",
        fix: 'use "REGIONAL", or add the VPC endpoint and a resource policy outside Turnpike',
      });
    }
    if (!ok) return;
    this.config = {
      declaredAt: this.path,
      regions: regions.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      endpointType: parsed.endpointType,
      apis: parsed.apis ? [...new Set(parsed.apis)].sort() : null,
      stageName: parsed.stageName,
      customDomain: domain
        ? {
            domainName: domain.domainName,
            truststore: domain.mtlsTruststore ? { ...domain.mtlsTruststore } : null,
            hostedZone: domain.hostedZone ? { ...domain.hostedZone } : null,
            failover: domain.failover ? { ...domain.failover } : null,
          }
        : null,
      waf: { enabled: parsed.waf.enabled, rateLimitPerFiveMinutes: parsed.waf.rateLimitPerFiveMinutes },
      logRetentionDays: parsed.logRetentionDays,
      manageAccountLogsRole: parsed.manageAccountLogsRole,
      gatewayFallback: Object.fromEntries(Object.entries(parsed.gatewayFallback).sort(([a], [b]) => (a < b ? -1 : 1))),
      portal: parsed.portal ? { domainName: parsed.portal.domainName ?? null, certificateArn: parsed.portal.certificateArn ?? null, priceClass: parsed.portal.priceClass } : null,
      vpcLinkApis: [...new Set(parsed.vpcLinkApis)].sort(),
    };
  }
}
