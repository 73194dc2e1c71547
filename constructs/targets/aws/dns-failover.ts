/**
 * Custom-domain certificates and Route 53 records of one region.
 *
 * - A region without a declared certificate ARN gets an ACM certificate for the domain (and,
 *   with failover, the region's own host name `<region>.<domain>`), DNS-validated through the
 *   hosted zone: validation CNAMEs + `acm.CertificateValidation`, which waits until ACM issues it.
 * - With failover, the domain gets one latency record per region (`setIdentifier` = region),
 *   an alias to that region's custom domain, tied to an HTTPS health check of the region's own
 *   host name: Route 53 answers with the nearest region whose check passes. The check cannot
 *   target the shared name (DNS would pick a region for it) nor the regional endpoint's
 *   `d-….execute-api` name (API Gateway routes custom domains by host name, and would answer 403),
 *   hence the regional host name, served by the same APIs.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsRegionConfig, AwsTargetConfig } from "./config";

/** The region's own host name under the custom domain, which its health check targets. */
export function regionalHostName(domainName: string, region: string): string {
  return `${region}.${domainName}`;
}

/** The certificate the region's custom domain names use: the declared ARN, or one issued and validated here. */
export function regionCertificate(platform: string, config: AwsTargetConfig, region: AwsRegionConfig, provider: aws.Provider, validationRecords: Map<string, aws.route53.Record>): pulumi.Input<string> {
  if (region.certificateArn !== null) return region.certificateArn;
  const domain = config.customDomain!;
  const zone = domain.hostedZone!; // checked at compile time: no ARN means a hosted zone
  const names = [domain.domainName, ...(domain.failover ? [regionalHostName(domain.domainName, region.name)] : [])];
  const certificate = new aws.acm.Certificate(
    `${platform}-${region.name}`,
    { domainName: domain.domainName, subjectAlternativeNames: names.slice(1), validationMethod: "DNS", keyAlgorithm: "RSA_2048", tags: { "turnpike:platform": platform } },
    { provider },
  );
  const records = names.map((name) => {
    // ACM asks for the same CNAME for a name in every region of an account: one record serves
    // all the regions' certificates, so it is declared once (by the first region that needs it).
    const existing = validationRecords.get(name);
    if (existing) return existing;
    const option = certificate.domainValidationOptions.apply((options) => {
      const found = options.find((candidate) => candidate.domainName === name);
      if (!found) throw new Error(`ACM returned no DNS validation record for ${name}`);
      return found;
    });
    const record = new aws.route53.Record(
      `${platform}-validation-${name.replace(/\./g, "-")}-${region.name}`,
      { zoneId: zone.id, name: option.resourceRecordName, type: option.resourceRecordType, records: [option.resourceRecordValue], ttl: 300, allowOverwrite: true },
      { provider },
    );
    validationRecords.set(name, record);
    return record;
  });
  const validation = new aws.acm.CertificateValidation(`${platform}-${region.name}`, { certificateArn: certificate.arn, validationRecordFqdns: records.map((record) => record.fqdn) }, { provider });
  return validation.certificateArn;
}

/** What the region's failover declares. */
export interface RegionFailover {
  readonly healthCheck: aws.route53.HealthCheck;
  readonly latencyRecord: aws.route53.Record;
  readonly regionalRecord: aws.route53.Record;
}

/**
 * The region's health check and records: `<domain>` (latency, alias to the region's custom
 * domain, evaluating the health check) and `<region>.<domain>` (simple alias to its own custom domain).
 */
export function declareFailover(platform: string, config: AwsTargetConfig, region: AwsRegionConfig, domain: aws.apigateway.DomainName, regional: aws.apigateway.DomainName, provider: aws.Provider): RegionFailover {
  const { domainName, hostedZone, failover } = config.customDomain!;
  const zoneId = hostedZone!.id;
  const host = regionalHostName(domainName, region.name);
  const healthCheck = new aws.route53.HealthCheck(
    `${platform}-${region.name}`,
    {
      type: "HTTPS",
      fqdn: host,
      port: 443,
      resourcePath: failover!.healthCheckPath,
      enableSni: true,
      failureThreshold: failover!.failureThreshold,
      requestInterval: failover!.requestIntervalSeconds,
      measureLatency: true,
      tags: { Name: `${platform} ${region.name} (${host}${failover!.healthCheckPath})` },
    },
    { provider },
  );
  const latencyRecord = new aws.route53.Record(
    `${platform}-latency-${region.name}`,
    {
      zoneId,
      name: domainName,
      type: "A",
      setIdentifier: region.name,
      latencyRoutingPolicies: [{ region: region.name }],
      healthCheckId: healthCheck.id,
      aliases: [{ name: domain.regionalDomainName, zoneId: domain.regionalZoneId, evaluateTargetHealth: true }],
    },
    { provider },
  );
  const regionalRecord = new aws.route53.Record(
    `${platform}-regional-${region.name}`,
    { zoneId, name: host, type: "A", aliases: [{ name: regional.regionalDomainName, zoneId: regional.regionalZoneId, evaluateTargetHealth: false }] },
    { provider },
  );
  return { healthCheck, latencyRecord, regionalRecord };
}
