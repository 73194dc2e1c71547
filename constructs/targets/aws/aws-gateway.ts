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
import { type AwsRegionConfig, type AwsTargetConfig, ENDPOINT_TYPES } from "./config";

/** CloudWatch Logs accepts only these retention periods, in days. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const hostname = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/, "a host name such as api.acme.example (lower case, no scheme, no port)");
const acmArn = z.string().regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/, "an ACM certificate ARN, arn:aws:acm:<region>:<account>:certificate/<id>");
const httpsUrl = z.url({ protocol: /^https?$/ }).refine((url) => !url.endsWith("/"), "a base URL without a trailing slash");

const propsSchema = z.strictObject({
  regions: z
    .array(z.strictObject({ name: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "an AWS region such as eu-west-1"), nodeGatewayUrl: httpsUrl.optional(), certificateArn: acmArn.optional() }))
    .min(1, "declare at least one region"),
  endpointType: z.enum(ENDPOINT_TYPES).default("REGIONAL"),
  apis: z.array(z.string().min(1)).optional(),
  stageName: z.string().regex(/^[A-Za-z0-9_]{1,128}$/, "letters, digits and _").default("live"),
  customDomain: z.strictObject({ domainName: hostname, mtlsTruststore: z.strictObject({ bucket: z.string().min(3), key: z.string().min(1) }).optional() }).optional(),
  waf: z.strictObject({ enabled: z.boolean().default(true), rateLimitPerFiveMinutes: z.number().int().min(10).max(2_000_000_000).default(2_000) }).prefault({}),
  logRetentionDays: z
    .number()
    .int()
    .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), `one of CloudWatch's retention periods: ${LOG_RETENTION_DAYS.join(", ")}`)
    .default(30),
  gatewayFallback: z.record(z.string(), z.literal("node")).default({}),
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
      if (parsed.customDomain && region.certificateArn === undefined) {
        error(`${at}.certificateArn`, `region "${region.name}" has no certificateArn for ${parsed.customDomain.domainName}: ACM certificates are regional`, `issue a certificate for ${parsed.customDomain.domainName} in ${region.name} and set its ARN`);
      }
      return { name: region.name, nodeGatewayUrl: region.nodeGatewayUrl ?? null, certificateArn: region.certificateArn ?? null };
    });
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
      customDomain: parsed.customDomain
        ? { domainName: parsed.customDomain.domainName, truststore: parsed.customDomain.mtlsTruststore ? { ...parsed.customDomain.mtlsTruststore } : null }
        : null,
      waf: { enabled: parsed.waf.enabled, rateLimitPerFiveMinutes: parsed.waf.rateLimitPerFiveMinutes },
      logRetentionDays: parsed.logRetentionDays,
      gatewayFallback: Object.fromEntries(Object.entries(parsed.gatewayFallback).sort(([a], [b]) => (a < b ? -1 : 1))),
    };
  }
}
