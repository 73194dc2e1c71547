/**
 * The web ACL rules of one served API, from its `ipFilter` and `requestSizeLimit` instances.
 * One web ACL per region serves every stage, so each rule is scoped down to the requests of
 * the API (or of the operations) the instance applies to: by path prefix behind a custom
 * domain (`/<base path>/…`), by the REST API's execute-api host name otherwise. Pure: IP set
 * ARNs and host names come in as inputs, so the rules are tested without AWS.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Api, GatewayConfig, Operation, PolicyInstance } from "../../manifest/schema";
import { AWS_WAF_MAX_BODY_INSPECTION_BYTES, awsSupportOf } from "./capabilities";
import type { AwsTargetConfig } from "./config";

type Json = Record<string, unknown>;

/** An IP set to declare: one per instance, list and address family (WAF sets hold one family). */
export interface IpSetSpec {
  /** The instance's set: one key per instance, list and family, shared by the APIs whose chains hold the instance; also the resource name's stem. */
  readonly key: string;
  readonly instance: string;
  readonly list: "allow" | "deny";
  readonly ipAddressVersion: "IPV4" | "IPV6";
  /** CIDR ranges, sorted. */
  readonly addresses: readonly string[];
}

/** How WAF recognizes the API's requests. */
export type ApiScope = { readonly kind: "path"; readonly prefix: string } | { readonly kind: "host"; readonly host: pulumi.Input<string>; readonly prefix: string };

export interface ApiWafRules {
  readonly ipSets: readonly IpSetSpec[];
  /** Rules without `priority`: the web ACL numbers them in order. */
  readonly rules: (ipSetArn: (key: string) => pulumi.Input<string>) => Json[];
  /** Whether a size rule needs the web ACL to inspect 64 KB of bodies. */
  readonly inspectsBodies: boolean;
}

const NONE = [{ priority: 0, type: "NONE" }];

/** WAF's answer when a body is over the limit: what the Node gateway answers too. */
export const PAYLOAD_TOO_LARGE = 413;

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

/** A range in CIDR notation (a single address becomes /32 or /128). */
function cidr(range: string): string {
  return range.includes("/") ? range : `${range}/${range.includes(":") ? 128 : 32}`;
}

/** A path template under the scope's prefix as an anchored regular expression. */
function pathRegex(prefix: string, operation: Operation): string {
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return `^${literal(prefix)}${operation.path.split(/\{[^}]+\}/).map(literal).join("[^/]+")}$`;
}

/** Statements that together match the requests of `operations` (all of the API's when `null`). */
function scopeStatements(scope: ApiScope, operations: readonly Operation[] | null): Json[][] {
  const host: Json[] =
    scope.kind === "host" ? [{ byteMatchStatement: { searchString: scope.host, fieldToMatch: { singleHeader: { name: "host" } }, positionalConstraint: "EXACTLY", textTransformations: [{ priority: 0, type: "LOWERCASE" }] } }] : [];
  if (operations === null) {
    if (scope.kind === "host") return [host];
    return [[{ byteMatchStatement: { searchString: `${scope.prefix}/`, fieldToMatch: { uriPath: {} }, positionalConstraint: "STARTS_WITH", textTransformations: NONE } }]];
  }
  return operations.map((operation) => [
    ...host,
    { byteMatchStatement: { searchString: operation.method, fieldToMatch: { method: {} }, positionalConstraint: "EXACTLY", textTransformations: NONE } },
    { regexMatchStatement: { regexString: pathRegex(scope.prefix, operation), fieldToMatch: { uriPath: {} }, textTransformations: NONE } },
  ]);
}

/** One statement from several that must all match. */
function all(statements: Json[]): Json {
  return statements.length === 1 ? statements[0]! : { andStatement: { statements } };
}

const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });

/** The rules of `api`'s instances AWS enforces through WAF, IP rules first (the gateway's access phase order). */
export function apiWafRules(manifest: GatewayConfig, config: AwsTargetConfig, api: Api, scope: ApiScope): ApiWafRules {
  if (!config.waf.enabled || config.gatewayFallback[api.id] === "node") return { ipSets: [], rules: () => [], inspectsBodies: false };
  const byId = new Map(manifest.spec.policies.map((instance) => [instance.id, instance]));
  const applied = new Map<string, { instance: PolicyInstance; operations: Operation[] }>();
  for (const operation of api.operations) {
    for (const id of operation.policies) {
      const instance = byId.get(id);
      if (!instance || instance.when !== null || (instance.policy !== "ipFilter" && instance.policy !== "requestSizeLimit")) continue;
      if (awsSupportOf(instance, config).support === "none") continue;
      if (instance.policy === "requestSizeLimit" && (instance.config as { maxBodyBytes: number }).maxBodyBytes > AWS_WAF_MAX_BODY_INSPECTION_BYTES) continue;
      const entry = applied.get(id) ?? { instance, operations: [] };
      entry.operations.push(operation);
      applied.set(id, entry);
    }
  }
  const entries = [...applied.values()].sort((a, b) => (a.instance.policy === b.instance.policy ? 0 : a.instance.policy === "ipFilter" ? -1 : 1));
  const ipSets: IpSetSpec[] = [];
  const builders: ((arn: (key: string) => pulumi.Input<string>) => Json[])[] = [];
  for (const { instance, operations } of entries) {
    // An instance on every operation is scoped to the API as a whole: one statement, not one per operation.
    const scopes = scopeStatements(scope, operations.length === api.operations.length ? null : operations);
    const name = slug(instance.id);
    // Rule names are unique in a web ACL, which serves every API of the region, and a
    // platform-level instance is in several APIs' chains: rules are named per API too.
    const rule = `${slug(api.id)}-${name}`;
    if (instance.policy === "requestSizeLimit") {
      const { maxBodyBytes } = instance.config as { maxBodyBytes: number };
      // Bodies beyond the inspection limit are larger than the limit too: oversize counts as a match.
      const size = { sizeConstraintStatement: { comparisonOperator: "GT", size: maxBodyBytes, fieldToMatch: { body: { oversizeHandling: "MATCH" } }, textTransformations: NONE } };
      builders.push(() => scopes.map((statements, index) => ({ name: `${rule}-${index}`, action: { block: { customResponse: { responseCode: PAYLOAD_TOO_LARGE } } }, statement: all([...statements, size]), visibilityConfig: visibility(`${rule}-${index}`) })));
      continue;
    }
    const { allow, deny } = instance.config as { allow: string[]; deny: string[] };
    const sets = (list: "allow" | "deny", ranges: readonly string[]): IpSetSpec[] =>
      (["IPV4", "IPV6"] as const).flatMap((version) => {
        const addresses = ranges.map(cidr).filter((range) => range.includes(":") === (version === "IPV6")).sort();
        return addresses.length > 0 ? [{ key: `${name}-${list}-${version === "IPV4" ? "v4" : "v6"}`, instance: instance.id, list, ipAddressVersion: version, addresses }] : [];
      });
    const denied = sets("deny", deny);
    const allowed = sets("allow", allow);
    ipSets.push(...denied, ...allowed);
    builders.push((arn) => {
      const reference = (set: IpSetSpec) => ({ ipSetReferenceStatement: { arn: arn(set.key) } });
      const rules: Json[] = [];
      // Deny wins over allow, as in the gateway: a denied address is blocked even when allowed.
      if (denied.length > 0) {
        const match = denied.length === 1 ? reference(denied[0]!) : { orStatement: { statements: denied.map(reference) } };
        scopes.forEach((statements, index) => rules.push({ name: `${rule}-deny-${index}`, action: { block: {} }, statement: all([...statements, match]), visibilityConfig: visibility(`${rule}-deny-${index}`) }));
      }
      if (allowed.length > 0) {
        // An allow list blocks every other address in the instance's scope.
        const outside = allowed.map((set) => ({ notStatement: { statement: reference(set) } }));
        scopes.forEach((statements, index) => rules.push({ name: `${rule}-allow-${index}`, action: { block: {} }, statement: all([...statements, ...outside]), visibilityConfig: visibility(`${rule}-allow-${index}`) }));
      }
      return rules;
    });
  }
  return {
    ipSets,
    rules: (arn) => builders.flatMap((build) => build(arn)),
    inspectsBodies: entries.some(({ instance }) => instance.policy === "requestSizeLimit"),
  };
}
