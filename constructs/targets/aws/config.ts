/**
 * The AWS target's settings as plain data, resolved from an `AwsGateway` by the compiler and
 * returned beside the manifest (`compileManifest(...).targets.aws`). Synthesis reads this and
 * the manifest, never construct objects.
 */

export const ENDPOINT_TYPES = ["REGIONAL", "EDGE", "PRIVATE"] as const;
export type EndpointType = (typeof ENDPOINT_TYPES)[number];

export interface AwsRegionConfig {
  /** AWS region, e.g. `eu-west-1`. */
  readonly name: string;
  /** Base URL of the Node gateway in this region, for APIs with `gatewayFallback: "node"`; `null` when none is declared. */
  readonly nodeGatewayUrl: string | null;
  /** ACM certificate ARN for the custom domain in this region; `null` without a custom domain. */
  readonly certificateArn: string | null;
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
  readonly customDomain: { readonly domainName: string; readonly truststore: { readonly bucket: string; readonly key: string } | null } | null;
  readonly waf: { readonly enabled: boolean; readonly rateLimitPerFiveMinutes: number };
  /** Days CloudWatch keeps access logs. */
  readonly logRetentionDays: number;
  /** API id → `"node"`: the API is served by proxying to the Node gateway, which enforces its whole chain. */
  readonly gatewayFallback: Readonly<Record<string, "node">>;
}
