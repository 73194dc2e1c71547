/**
 * Deploy-time rules for what the AWS target declares, as plain functions of a resource's
 * type and inputs (or of every resource, for rules across resources). ./index.ts wraps them in
 * a `@pulumi/policy` pack; tests call them directly, because constructing a `PolicyPack` starts
 * the gRPC server the Pulumi CLI talks to.
 */

/** A resource as policies see it: its Pulumi type token, name and resolved inputs. */
export interface ResourceUnderPolicy {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, any>;
}

/** A rule's answer: one message per violation, `[]` when the resource complies. */
export type Violations = string[];

const STAGE = "aws:apigateway/stage:Stage";
const REST_API = "aws:apigateway/restApi:RestApi";
const METHOD = "aws:apigateway/method:Method";
const DOMAIN_NAME = "aws:apigateway/domainName:DomainName";
const WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation";
const DISTRIBUTION = "aws:cloudfront/distribution:Distribution";

/** API Gateway security policies that allow TLS below 1.2. */
const WEAK_SECURITY_POLICIES = new Set(["TLS_1_0"]);
/** CloudFront viewer protocol policies that never serve plain HTTP. */
const HTTPS_VIEWER_POLICIES = new Set(["redirect-to-https", "https-only"]);

/** Stages log every request (access logs with a destination and a format) and trace with X-Ray. */
export function stageAccessLogsAndTracing(resource: ResourceUnderPolicy): Violations {
  if (resource.type !== STAGE) return [];
  const violations: Violations = [];
  const logs = resource.props.accessLogSettings;
  if (!logs?.destinationArn || !logs?.format) violations.push(`stage ${resource.name} has no access logs: set accessLogSettings with a CloudWatch Logs destination and a format`);
  if (resource.props.xrayTracingEnabled !== true) violations.push(`stage ${resource.name} is not traced: set xrayTracingEnabled: true`);
  return violations;
}

/** Custom domain names accept TLS 1.2 and newer only. */
export function customDomainTls12(resource: ResourceUnderPolicy): Violations {
  if (resource.type !== DOMAIN_NAME) return [];
  const policy = resource.props.securityPolicy;
  if (policy === undefined || WEAK_SECURITY_POLICIES.has(policy)) return [`custom domain ${resource.props.domainName ?? resource.name} accepts TLS below 1.2 (securityPolicy ${policy ?? "unset, TLS_1_0 by default"}): set securityPolicy: "TLS_1_2"`];
  return [];
}

const HTTP_METHODS = ["get", "put", "post", "delete", "patch", "head"];

/**
 * No method answers without authorization: a `Method` resource needs an authorizer or a
 * required API key; a REST API body's operations need a security requirement, unless they say
 * why not (`x-turnpike-authorization`: the Node gateway authenticates behind it, or the contract
 * declares the operation public). CORS preflights (OPTIONS) are exempt.
 */
export function methodAuthorization(resource: ResourceUnderPolicy): Violations {
  if (resource.type === METHOD) {
    const { authorization, apiKeyRequired, httpMethod } = resource.props;
    if (httpMethod !== "OPTIONS" && (authorization === undefined || authorization === "NONE") && apiKeyRequired !== true) return [`method ${resource.name} has no authorization: set an authorizer, or apiKeyRequired: true`];
    return [];
  }
  if (resource.type !== REST_API || typeof resource.props.body !== "string") return [];
  const document = JSON.parse(resource.props.body) as { security?: unknown[]; paths?: Record<string, Record<string, any>> };
  const violations: Violations = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (operation === undefined) continue;
      const security = (operation.security ?? document.security ?? []) as Record<string, unknown>[];
      const secured = security.length > 0 && security.every((requirement) => Object.keys(requirement).length > 0);
      if (!secured && operation["x-turnpike-authorization"] === undefined) violations.push(`${resource.name}: ${method.toUpperCase()} ${path} has no authorization (no API key, no authorizer)`);
    }
  }
  return violations;
}

/** CloudFront serves viewers over HTTPS only, with TLS 1.2+ on a custom certificate. */
export function cloudFrontHttpsOnly(resource: ResourceUnderPolicy): Violations {
  if (resource.type !== DISTRIBUTION) return [];
  const violations: Violations = [];
  const behaviors = [resource.props.defaultCacheBehavior, ...(resource.props.orderedCacheBehaviors ?? [])].filter((behavior) => behavior !== undefined);
  for (const behavior of behaviors) {
    if (!HTTPS_VIEWER_POLICIES.has(behavior.viewerProtocolPolicy)) violations.push(`distribution ${resource.name} serves ${behavior.pathPattern ?? "the default behavior"} over HTTP (viewerProtocolPolicy ${behavior.viewerProtocolPolicy}): use "redirect-to-https"`);
  }
  const certificate = resource.props.viewerCertificate;
  if (certificate?.acmCertificateArn && !/^TLSv1\.2_/.test(certificate.minimumProtocolVersion ?? "")) {
    violations.push(`distribution ${resource.name} accepts TLS below 1.2 (minimumProtocolVersion ${certificate.minimumProtocolVersion ?? "unset"}): use "TLSv1.2_2021"`);
  }
  return violations;
}

/**
 * Stages of public (REGIONAL or EDGE) REST APIs have a WAF web ACL associated. Stages and
 * associations meet by the stage's ARN; a REST API's endpoint type comes from its inputs.
 */
export function wafOnPublicStages(resources: readonly ResourceUnderPolicy[]): Violations {
  const publicApis = new Set(
    resources
      .filter((resource) => resource.type === REST_API)
      .filter((resource) => {
        const types = resource.props.endpointConfiguration?.types;
        return !(Array.isArray(types) ? types : [types ?? "EDGE"]).includes("PRIVATE");
      })
      // Stack policies see outputs: a REST API's id is the last part of its execution ARN.
      .map((resource) => String(resource.props.executionArn ?? "").split(":").pop()),
  );
  const protectedArns = new Set(resources.filter((resource) => resource.type === WEB_ACL_ASSOCIATION).map((resource) => resource.props.resourceArn));
  return resources
    .filter((resource) => resource.type === STAGE && publicApis.has(resource.props.restApi) && !protectedArns.has(resource.props.arn))
    .map((stage) => `stage ${stage.name} of a public REST API has no WAF web ACL: associate one (aws.wafv2.WebAclAssociation)`);
}

/** The per-resource rules, by the policy name the pack gives them. */
export const RESOURCE_RULES = {
  "stage-access-logs-and-tracing": { description: "API Gateway stages log every request as JSON and trace with X-Ray.", check: stageAccessLogsAndTracing },
  "custom-domain-tls-1-2": { description: "API Gateway custom domains accept TLS 1.2 or newer only.", check: customDomainTls12 },
  "method-authorization": { description: "No API Gateway method answers without an authorizer or an API key.", check: methodAuthorization },
  "cloudfront-https-only": { description: "CloudFront distributions serve viewers over HTTPS only, TLS 1.2+.", check: cloudFrontHttpsOnly },
} as const;

/** The rules across resources. */
export const STACK_RULES = {
  "waf-on-public-stages": { description: "Stages of REGIONAL and EDGE REST APIs have a WAF web ACL associated.", check: wafOnPublicStages },
} as const;
