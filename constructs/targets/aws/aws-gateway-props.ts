/** Props of the `AwsGateway` construct: AWS API Gateway (REST APIs, v1) in one or more regions. */
import type { EndpointType } from "./config";

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
   * ARN of the ACM certificate for `customDomain.domainName` in this region (ACM certificates
   * are regional). Required when `customDomain` is set.
   * @default none
   */
  readonly certificateArn?: string;
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
   * DNS records (Route 53) are not created yet.
   * @default none
   */
  readonly customDomain?: {
    /** Host name, e.g. `"api.acme.example"`. */
    readonly domainName: string;
    /** S3 location of the PEM truststore of client CAs; enables mutual TLS (REGIONAL endpoints only). @default none */
    readonly mtlsTruststore?: { readonly bucket: string; readonly key: string };
  };
  /** AWS WAF (v2) web ACL associated to every stage. */
  readonly waf?: {
    /**
     * Create and associate the web ACL (managed common, SQL injection and known-bad-inputs
     * rule groups and a rate-based rule).
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
   * Per API id: `"node"` serves that API by proxying to the Node gateway (`nodeGatewayUrl`),
   * which enforces its whole policy chain; policies AWS cannot enforce are then notes, not errors.
   * @default {}
   */
  readonly gatewayFallback?: Readonly<Record<string, "node">>;
}
