/**
 * The AWS target's settings as plain data, resolved from an `AwsGateway` by the compiler and
 * returned beside the manifest (`compileManifest(...).targets.aws`). Synthesis reads this and
 * the manifest, never construct objects.
 */

export const ENDPOINT_TYPES = ["REGIONAL", "EDGE", "PRIVATE"] as const;
export type EndpointType = (typeof ENDPOINT_TYPES)[number];

/** CloudFront price classes: which edge locations serve the portal. */
export const PRICE_CLASSES = ["PriceClass_100", "PriceClass_200", "PriceClass_All"] as const;
export type PriceClass = (typeof PRICE_CLASSES)[number];

export interface AwsRegionConfig {
  /** AWS region, e.g. `eu-west-1`. */
  readonly name: string;
  /** Base URL of the Node gateway in this region, for APIs with `gatewayFallback: "node"`; `null` when none is declared. */
  readonly nodeGatewayUrl: string | null;
  /** ACM certificate ARN for the custom domain in this region; `null` without a custom domain, or when Turnpike issues it (hosted zone declared). */
  readonly certificateArn: string | null;
  /** SNS topic (in this region) notified by the SLO alarms; `null` for alarms without actions. */
  readonly alarmTopicArn: string | null;
  /** ID of the VPC link (API Gateway v1) integrations of APIs with `vpcLinkApis` use in this region; `null` when none. */
  readonly vpcLinkId: string | null;
}

export interface AwsFailoverConfig {
  /** Path (base path included) the Route 53 health checkers GET over HTTPS on each region's host name, e.g. `/catalog/v1/products`. */
  readonly healthCheckPath: string;
  /** Consecutive failed checks before a region is unhealthy. */
  readonly failureThreshold: number;
  /** Seconds between two checks from one checker (10 or 30). */
  readonly requestIntervalSeconds: 10 | 30;
}

export interface AwsCustomDomainConfig {
  readonly domainName: string;
  readonly truststore: { readonly bucket: string; readonly key: string } | null;
  /** The Route 53 hosted zone of `domainName`; `null` when DNS is managed outside Turnpike. */
  readonly hostedZone: { readonly id: string; readonly name: string } | null;
  /** Latency routing with health checks over the regions; `null` without Route 53 records. */
  readonly failover: AwsFailoverConfig | null;
}

export interface AwsPortalConfig {
  /** Host name of the portal (a CNAME of the distribution); `null` serves it on the `*.cloudfront.net` name. */
  readonly domainName: string | null;
  /** ACM certificate (us-east-1) for `domainName`; `null` without a domain name. */
  readonly certificateArn: string | null;
  readonly priceClass: PriceClass;
}

export interface AwsTargetConfig {
  /** Construct path of the `AwsGateway`. */
  readonly declaredAt: string;
  /** Regions, sorted by name; each is one provider and one REST API per served API. */
  readonly regions: readonly AwsRegionConfig[];
  readonly endpointType: EndpointType;
  /** Manifest ids of the APIs served; `null` means every API that is not a draft. */
  readonly apis: readonly string[] | null;
  /** Stage name of every REST API. */
  readonly stageName: string;
  readonly customDomain: AwsCustomDomainConfig | null;
  readonly waf: { readonly enabled: boolean; readonly rateLimitPerFiveMinutes: number };
  /** Days CloudWatch keeps access logs. */
  readonly logRetentionDays: number;
  /** Whether the target declares API Gateway's account-level CloudWatch role in each region. */
  readonly manageAccountLogsRole: boolean;
  /** API id → `"node"`: the API is served by proxying to the Node gateway, which enforces its whole chain. */
  readonly gatewayFallback: Readonly<Record<string, "node">>;
  /** The developer portal on S3 + CloudFront; `null` when not hosted on AWS. */
  readonly portal: AwsPortalConfig | null;
  /** API ids whose integrations reach the upstream through the region's VPC link (`regions[].vpcLinkId`). */
  readonly vpcLinkApis: readonly string[];
}
