/**
 * The developer portal on S3 + CloudFront: a private bucket (public access blocked, objects
 * owned by the bucket owner) readable only by the distribution, through Origin Access Control;
 * HTTPS only with TLS 1.2 at least; security headers on every response; the files of
 * `buildPortal(manifest)` uploaded from memory (what `turnpike synth` writes to dist/portal).
 *
 * A static host has no portal API: the catalog, reference, plans and search work; sign-up,
 * sign-in and key management need the gateway's portal API and do not work there.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type PortalFile, generatePortal } from "../../../portal-site/index";
import type { GatewayConfig } from "../../manifest/schema";
import type { AwsPortalConfig } from "./config";
import { PORTAL_CONTENT_SECURITY_POLICY } from "../../../portal-site/content-security-policy";

/** Seconds browsers must keep using HTTPS for the portal's host (two years, as HSTS preload asks). */
export const PORTAL_HSTS_MAX_AGE_SECONDS = 63_072_000;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  json: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  txt: "text/plain; charset=utf-8",
  woff2: "font/woff2",
  xml: "application/xml",
};

/** The Content-Type of a portal file, from its extension. */
export function portalContentType(path: string): string {
  return CONTENT_TYPES[/\.([a-z0-9]+)$/.exec(path)?.[1] ?? ""] ?? "application/octet-stream";
}

/** Hashed assets never change under their name; pages and indexes do on every deploy. */
export function portalCacheControl(path: string): string {
  return path.startsWith("assets/") ? "public, max-age=31536000, immutable" : "public, max-age=60, must-revalidate";
}

/**
 * A CloudFront Function (viewer request) serving a directory's `index.html`: the portal links to
 * directories (`catalog/`, `apis/orders-v2/`), and an S3 REST origin behind Origin Access
 * Control has no index documents (`defaultRootObject` covers the root only).
 */
export const PORTAL_INDEX_FUNCTION_CODE = [
  "function handler(event) {",
  "  var request = event.request;",
  '  if (request.uri.endsWith("/")) request.uri += "index.html";',
  "  return request;",
  "}",
].join("\n");

export interface PortalHosting {
  readonly bucket: aws.s3.Bucket;
  readonly distribution: aws.cloudfront.Distribution;
  readonly objects: readonly aws.s3.BucketObjectv2[];
  /** `https://<domain>/`, the declared domain name or the distribution's. */
  readonly url: pulumi.Output<string>;
}

export function declarePortalHosting(
  manifest: GatewayConfig,
  portal: AwsPortalConfig,
  provider: aws.Provider,
  hostedZone: { id: string; name: string } | null,
  files: readonly PortalFile[] = generatePortal(manifest, { basePath: "/" }),
): PortalHosting {
  const name = `${manifest.metadata.name}-portal`;
  const opts = { provider };
  const bucket = new aws.s3.Bucket(name, { bucketPrefix: `${manifest.metadata.name}-portal-`, forceDestroy: true }, opts);
  const publicAccess = new aws.s3.BucketPublicAccessBlock(name, { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, opts);
  new aws.s3.BucketOwnershipControls(name, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, opts);
  new aws.s3.BucketServerSideEncryptionConfiguration(name, { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }, opts);
  const oac = new aws.cloudfront.OriginAccessControl(name, { name, description: `${manifest.metadata.name} developer portal`, originAccessControlOriginType: "s3", signingBehavior: "always", signingProtocol: "sigv4" }, opts);
  const headers = new aws.cloudfront.ResponseHeadersPolicy(
    name,
    {
      name: `${manifest.metadata.name}-portal-security-headers`,
      comment: "Security headers of the developer portal",
      securityHeadersConfig: {
        strictTransportSecurity: { accessControlMaxAgeSec: PORTAL_HSTS_MAX_AGE_SECONDS, includeSubdomains: true, preload: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: "DENY", override: true },
        referrerPolicy: { referrerPolicy: "strict-origin-when-cross-origin", override: true },
        contentSecurityPolicy: { contentSecurityPolicy: PORTAL_CONTENT_SECURITY_POLICY, override: true },
      },
    },
    opts,
  );
  const index = new aws.cloudfront.Function(name, { name: `${manifest.metadata.name}-portal-index`.slice(0, 64), comment: "Serves a directory's index.html", runtime: "cloudfront-js-2.0", code: PORTAL_INDEX_FUNCTION_CODE, publish: true }, opts);
  const origin = "portal-bucket";
  const distribution = new aws.cloudfront.Distribution(
    name,
    {
      enabled: true,
      comment: `${manifest.metadata.name} developer portal`,
      defaultRootObject: "index.html",
      priceClass: portal.priceClass,
      httpVersion: "http2and3",
      isIpv6Enabled: true,
      ...(portal.domainName ? { aliases: [portal.domainName] } : {}),
      origins: [{ originId: origin, domainName: bucket.bucketRegionalDomainName, originAccessControlId: oac.id }],
      defaultCacheBehavior: {
        targetOriginId: origin,
        viewerProtocolPolicy: "redirect-to-https",
        allowedMethods: ["GET", "HEAD"],
        cachedMethods: ["GET", "HEAD"],
        compress: true,
        // The AWS managed "CachingOptimized" policy: honours the objects' Cache-Control.
        cachePolicyId: "658327ea-f89d-4fab-a63d-7e88639e58f6",
        responseHeadersPolicyId: headers.id,
        functionAssociations: [{ eventType: "viewer-request", functionArn: index.arn }],
      },
      restrictions: { geoRestriction: { restrictionType: "none" } },
      viewerCertificate: portal.certificateArn
        ? { acmCertificateArn: portal.certificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" }
        : // The *.cloudfront.net certificate: CloudFront ignores a minimum protocol with it (TLS 1.0+
          // stays possible), so none is claimed; a domainName with its certificate gives TLS 1.2+.
          { cloudfrontDefaultCertificate: true },
      // Directory URLs are rewritten to their index.html by the function; S3 answers 403 for a missing key.
      customErrorResponses: [{ errorCode: 403, responseCode: 404, responsePagePath: "/index.html", errorCachingMinTtl: 60 }],
    },
    opts,
  );
  new aws.s3.BucketPolicy(
    name,
    {
      bucket: bucket.id,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "CloudFrontReadsThePortal",
            Effect: "Allow",
            Principal: { Service: "cloudfront.amazonaws.com" },
            Action: "s3:GetObject",
            Resource: pulumi.interpolate`${bucket.arn}/*`,
            Condition: { StringEquals: { "AWS:SourceArn": distribution.arn } },
          },
        ],
      }),
    },
    { ...opts, dependsOn: [publicAccess] },
  );
  // Pages at the site's root, calling the portal API on their own origin (absent on a static host).
  const objects = files.map(
    (file) =>
      new aws.s3.BucketObjectv2(
        `${name}-${file.path.replace(/[^A-Za-z0-9]+/g, "-")}`,
        { bucket: bucket.id, key: file.path, contentBase64: file.bytes.toString("base64"), contentType: portalContentType(file.path), cacheControl: portalCacheControl(file.path) },
        opts,
      ),
  );
  if (portal.domainName && hostedZone && (portal.domainName === hostedZone.name || portal.domainName.endsWith(`.${hostedZone.name}`))) {
    for (const type of ["A", "AAAA"]) {
      // CloudFront's alias target zone is the same everywhere.
      new aws.route53.Record(`${name}-${type}`, { zoneId: hostedZone.id, name: portal.domainName, type, aliases: [{ name: distribution.domainName, zoneId: distribution.hostedZoneId, evaluateTargetHealth: false }] }, opts);
    }
  }
  const url = portal.domainName ? pulumi.output(`https://${portal.domainName}/`) : pulumi.interpolate`https://${distribution.domainName}/`;
  return { bucket, distribution, objects, url };
}
