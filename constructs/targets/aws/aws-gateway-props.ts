/** Props of the `AwsGateway` construct: AWS API Gateway (REST APIs, v1) in one or more regions. */
import type { EndpointType, PriceClass } from "./config";

export interface AwsGatewayRegionProps {
  /** AWS region, e.g. `"eu-west-1"`; one of the platform's regions when it declares any. */
  readonly name: string;
  /**
   * Base URL of the Node gateway serving this region (e.g. the `KubernetesGateway`'s host),
   * where APIs with `gatewayFallback: "node"` are proxied. Required when any API falls back.
   * @default none
   */
  readonly nodeGatewayUrl?: string;
  /**
   * ARN of an ACM certificate in this region (ACM certificates are regional) covering
   * `customDomain.domainName` and, with `customDomain.failover`, the region's own host name
   * `<region>.<domainName>`. Without it, Turnpike issues a DNS-validated certificate through
   * `customDomain.hostedZone`; one of the two is required when `customDomain` is set.
   * @default issued through the hosted zone
   */
  readonly certificateArn?: string;
  /**
   * ARN of an SNS topic in this region that the SLO alarms notify (alarm and OK actions).
   * @default none: the alarms change state without notifying anyone
   */
  readonly alarmTopicArn?: string;
  /**
   * ID of an API Gateway (v1) VPC link in this region, fronting a Network Load Balancer in
   * front of the upstreams of the APIs listed in `vpcLinkApis`.
   * @default none: integrations go over the internet
   */
  readonly vpcLinkId?: string;
}

/** Latency-based routing over the regions with Route 53 health checks (needs `customDomain.hostedZone`). */
export interface AwsFailoverProps {
  /**
   * Path the Route 53 health checkers GET over HTTPS on each region's host name
   * (`<region>.<domainName>`, served by the same REST APIs), base path included, e.g.
   * `"/catalog/v1/products"`. It must be a GET operation of a served API that answers 2xx or
   * 3xx without credentials: an operation behind an API key or a JWT answers 401/403 and
   * every region would look unhealthy. There is no default: a region is only as healthy as
   * the path you choose says.
   */
  readonly healthCheckPath: string;
  /**
   * Consecutive failed checks before Route 53 considers a region unhealthy and stops
   * answering with its record (1 to 10).
   * @default 3
   */
  readonly failureThreshold?: number;
  /**
   * Seconds between two checks of one Route 53 checker: 30 (standard) or 10 (fast, billed extra).
   * @default 30
   */
  readonly requestIntervalSeconds?: 10 | 30;
}

export interface AwsCustomDomainProps {
  /** Host name, e.g. `"api.acme.example"`. */
  readonly domainName: string;
  /** S3 location of the PEM truststore of client CAs; enables mutual TLS (REGIONAL endpoints only). @default none */
  readonly mtlsTruststore?: { readonly bucket: string; readonly key: string };
  /**
   * The public Route 53 hosted zone `domainName` is in (`name` is the zone's domain, e.g.
   * `"acme.example"`). With it, Turnpike issues and DNS-validates the ACM certificate of every
   * region that declares no `certificateArn`, and `failover` creates the records.
   * @default none: DNS is managed outside Turnpike
   */
  readonly hostedZone?: { readonly id: string; readonly name: string };
  /**
   * Route 53 latency records for `domainName`, one per region (alias to that region's custom
   * domain, `setIdentifier` = region) with an HTTPS health check each, so clients reach the
   * nearest healthy region. Needs `hostedZone` and REGIONAL endpoints.
   * @default none: no DNS records are created
   */
  readonly failover?: AwsFailoverProps;
}

/** The developer portal as a static site on S3 behind CloudFront. */
export interface AwsPortalProps {
  /**
   * Host name the portal is served on; needs `certificateArn`. You point it at the
   * distribution (a Route 53 alias is created when `customDomain.hostedZone` contains it).
   * @default none: the distribution's `*.cloudfront.net` name
   */
  readonly domainName?: string;
  /**
   * ARN of an ACM certificate in us-east-1 (CloudFront reads certificates only there) for
   * `domainName`. Only with it does the distribution refuse TLS below 1.2: with the default
   * `*.cloudfront.net` certificate CloudFront accepts TLS 1.0 and up whatever is set.
   * @default none
   */
  readonly certificateArn?: string;
  /**
   * Which CloudFront edge locations serve the portal (cost against latency).
   * @default "PriceClass_100"
   */
  readonly priceClass?: PriceClass;
}

export interface AwsGatewayProps {
  /** Regions, each deployed through its own AWS provider. At least one. */
  readonly regions: readonly AwsGatewayRegionProps[];
  /**
   * Endpoint type of every REST API. `PRIVATE` needs VPC endpoints and a resource policy that
   * the AWS target does not declare yet (a warning says so).
   * @default "REGIONAL"
   */
  readonly endpointType?: EndpointType;
  /**
   * Manifest ids of the APIs served (e.g. `"orders-v2"`).
   * @default every API that is not a draft
   */
  readonly apis?: readonly string[];
  /**
   * Stage name of every REST API (part of the default URL).
   * @default "live"
   */
  readonly stageName?: string;
  /**
   * A custom domain name (TLS 1.2+) in every region, each API mapped at its base path, with
   * mutual TLS when a truststore is given; the default execute-api endpoint is then disabled.
   * @default none
   */
  readonly customDomain?: AwsCustomDomainProps;
  /** AWS WAF (v2) web ACL associated to every stage. */
  readonly waf?: {
    /**
     * Create and associate the web ACL (managed common, SQL injection and known-bad-inputs
     * rule groups, a rate-based rule, and the IP sets and body-size rules of the served APIs'
     * `ipFilter` and `requestSizeLimit` policies).
     * @default true
     */
    readonly enabled?: boolean;
    /**
     * Requests one client IP may send per 5 minutes before the rate-based rule blocks it (10 to 2,000,000,000).
     * @default 2_000
     */
    readonly rateLimitPerFiveMinutes?: number;
  };
  /**
   * Days CloudWatch keeps the stages' access logs; one of CloudWatch's allowed values.
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Declares, in each region, API Gateway's account setting `cloudwatchRoleArn` with an IAM role
   * allowed to write logs (AWS's managed `AmazonAPIGatewayPushToCloudWatchLogs` policy): without
   * it, a stage with access logs is refused in an account that never had one. The setting is
   * one per account and region, so turn this off when another stack already manages it.
   * @default true
   */
  readonly manageAccountLogsRole?: boolean;
  /**
   * Per API id: `"node"` serves that API by proxying to the Node gateway (`nodeGatewayUrl`),
   * which enforces its whole policy chain; policies AWS cannot enforce are then notes, not errors.
   * @default {}
   */
  readonly gatewayFallback?: Readonly<Record<string, "node">>;
  /**
   * Hosts the developer portal (the same files `turnpike synth` writes to dist/portal) in a
   * private S3 bucket behind CloudFront. The static host has no portal API: sign-up, sign-in
   * and key management pages do not work there.
   * @default none: the portal is served by the Node gateway only
   */
  readonly portal?: AwsPortalProps;
  /**
   * API ids whose integrations use the VPC link of each region (`regions[].vpcLinkId`) instead
   * of the internet; the upstream URL's host must then be what the NLB behind the link answers.
   * @default []
   */
  readonly vpcLinkApis?: readonly string[];
}
