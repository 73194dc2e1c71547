/**
 * Builds the resolved, ordered policy chain of one operation.
 *
 * Precedence (README "Policy precedence"):
 * 1. API dimension: platform → API → operation. A declaration at a more specific level
 *    replaces the one in the same slot at a less specific level (a slot is the policy name;
 *    rate limits and quotas have one slot per key: consumer, ip, global). `excludePolicies`
 *    on an API or operation drops inherited policies by name.
 * 2. Authentication follows the contract: an operation with `security: []` is public and
 *    drops every authentication policy; an operation whose contract names security schemes
 *    keeps only the authentication policies implementing one of them; an operation whose
 *    contract says nothing keeps all of them.
 * 3. Plan dimension: the policies of every plan offered for the API (its `rateLimit`, `quota`
 *    and `policies`) are added with a condition on the consumer's product and plan. They never
 *    replace API-dimension policies: a request must satisfy both, as with AWS usage-plan
 *    throttling on top of method throttling. They are only added where a consumer can be
 *    identified (the chain authenticates).
 * 4. The compiler adds `lifecycle` for deprecated and retired APIs.
 * 5. Order: phase (access, limit, request, proxy, response, log), then the policy's priority,
 *    then level (platform, api, operation, plan), then product/plan, then slot.
 */
import { AUTHENTICATION_POLICY_NAMES, policyNamed } from "../../policies/index";
import { ATTACH_LEVELS, type AttachLevel, type GatewayFacts, type OperationFacts, PHASES, type ResolveProblem } from "../../policies/policy";
import type { DeclaredPolicy } from "../declared-policy";
import type { Diagnostics } from "../diagnostics";
import type { PolicyInstance } from "../manifest/schema";
import { compareText } from "./compare-text";

/** A resolved chain entry; the compiler turns identical entries into one policy instance. */
export type ChainEntry = Omit<PolicyInstance, "id">;

/** A declared policy placed in the chain, before resolution. */
interface Placement {
  readonly declared: DeclaredPolicy;
  readonly scope: string;
  readonly when: { product: string; plan: string } | null;
}

export interface PlanPolicies {
  readonly product: string;
  readonly plan: string;
  readonly policies: readonly DeclaredPolicy[];
}

export interface ChainInput {
  readonly apiId: string;
  /** Platform policies after the API's exclusions and replacements: see {@link apiDimension}. */
  readonly apiPolicies: readonly DeclaredPolicy[];
  readonly operationPolicies: readonly DeclaredPolicy[];
  readonly operationExcludes: readonly string[];
  readonly operationDeclaredAt: string;
  readonly plans: readonly PlanPolicies[];
  /** Resolved lifecycle config and where the API was declared, or null for draft/published. */
  readonly lifecycle: { config: unknown; declaredAt: string } | null;
  readonly facts: Omit<OperationFacts, "authenticated">;
  readonly gateway: GatewayFacts;
  readonly diagnostics: Diagnostics;
}

export interface ChainResult {
  readonly entries: ChainEntry[];
  /** Security schemes the contract requires of this operation that no policy implements. */
  readonly unimplementedSchemes: string[];
}

const LEVEL_ORDER = new Map<AttachLevel, number>(ATTACH_LEVELS.map((level, index) => [level, index]));
const PHASE_ORDER = new Map(PHASES.map((phase, index) => [phase, index]));

/**
 * Merges a less specific level's policies with a more specific level's: exclusions drop by
 * name, then declarations replace by slot. Reports exclusions that match nothing.
 */
export function mergeLevel(
  inherited: readonly DeclaredPolicy[],
  declared: readonly DeclaredPolicy[],
  excludes: readonly string[],
  report: { diagnostics: Diagnostics; path: string; field: string },
): DeclaredPolicy[] {
  excludes.forEach((name, index) => {
    if (!inherited.some((entry) => entry.policy.name === name) && policyNamed(name) !== undefined) {
      report.diagnostics.error({
        code: "unknown-exclusion",
        path: report.path,
        field: `${report.field}[${index}]`,
        message: `excludes "${name}", but no ${name} policy is inherited here, so the exclusion does nothing`,
        expected: inherited.length ? `one of ${[...new Set(inherited.map((entry) => `"${entry.policy.name}"`))].join(", ")}` : "no exclusions (nothing is inherited)",
        received: `"${name}"`,
        fix: "remove it from excludePolicies",
      });
    }
  });
  const kept = inherited.filter((entry) => !excludes.includes(entry.policy.name) && !declared.some((own) => own.slot === entry.slot));
  return [...kept, ...declared];
}

export function buildChain(input: ChainInput): ChainResult {
  const apiDimension = mergeLevel(input.apiPolicies, input.operationPolicies, input.operationExcludes, {
    diagnostics: input.diagnostics,
    path: input.operationDeclaredAt,
    field: "excludePolicies",
  });
  const placements: Placement[] = apiDimension
    .filter((declared) => declared.level === "operation" || declared.policy.appliesTo(declared.options, input.facts))
    .map((declared) => ({ declared, scope: scopeOf(input.apiId, input.facts.operationId, declared), when: null }));

  const resolved = new Map<Placement, unknown>();
  const resolvedSoFar: { policy: string; config: unknown }[] = [];
  const resolveOne = (placement: Placement, authenticated: boolean) => {
    const report = (severity: "error" | "warning") => (problem: ResolveProblem) =>
      input.diagnostics[severity]({
        code: "invalid-policy",
        path: placement.declared.source,
        field: problem.field,
        message: `${placement.declared.policy.name}: ${problem.message}`,
        expected: problem.expected,
        received: problem.received,
        fix: problem.fix,
      });
    const config = placement.declared.policy.resolve(placement.declared.options, {
      level: placement.declared.level,
      operation: { ...input.facts, authenticated },
      gateway: input.gateway,
      resolved: resolvedSoFar,
      error: report("error"),
      warn: report("warning"),
    });
    resolved.set(placement, config);
    resolvedSoFar.push({ policy: placement.declared.policy.name, config });
  };

  // Authentication first: which schemes a policy implements decides whether it stays.
  const authentication = placements.filter((placement) => AUTHENTICATION_POLICY_NAMES.has(placement.declared.policy.name));
  for (const placement of authentication) resolveOne(placement, false);
  const security = input.facts.security;
  const required = new Set((security ?? []).flatMap((alternative) => alternative.map((requirement) => requirement.scheme)));
  const keptAuthentication = authentication.filter((placement) => {
    if (security === null) return true;
    return implementedSchemes(placement.declared.policy.name, resolved.get(placement)).some((scheme) => required.has(scheme));
  });
  const implemented = new Set(keptAuthentication.flatMap((placement) => implementedSchemes(placement.declared.policy.name, resolved.get(placement))));
  const unimplementedSchemes = [...required].filter((scheme) => !implemented.has(scheme)).sort();
  const anonymousAllowed = security !== null && security.some((alternative) => alternative.length === 0);
  const authenticated = keptAuthentication.length > 0 && !anonymousAllowed;
  resolvedSoFar.length = 0;
  for (const placement of keptAuthentication) resolvedSoFar.push({ policy: placement.declared.policy.name, config: resolved.get(placement) });

  const chain: Placement[] = [
    ...keptAuthentication,
    ...placements.filter((placement) => !AUTHENTICATION_POLICY_NAMES.has(placement.declared.policy.name)),
  ];
  if (keptAuthentication.length > 0) {
    for (const { product, plan, policies } of input.plans) {
      for (const declared of policies) chain.push({ declared, scope: `${product}/${plan}/${declared.slot}`, when: { product, plan } });
    }
  }
  // Plan entries apply only once a consumer is identified, even where authentication is optional.
  const authenticatedFor = (placement: Placement) => placement.when !== null || authenticated;
  const late = chain.filter((placement) => !resolved.has(placement) && placement.declared.policy.resolveLate);
  for (const placement of chain) if (!resolved.has(placement) && !placement.declared.policy.resolveLate) resolveOne(placement, authenticatedFor(placement));
  for (const placement of late) resolveOne(placement, authenticatedFor(placement));

  const entries: ChainEntry[] = chain.map((placement) => ({
    policy: placement.declared.policy.name,
    scope: placement.scope,
    level: placement.declared.level,
    declaredAt: placement.declared.declaredAt,
    phases: [...placement.declared.policy.phases],
    when: placement.when,
    config: resolved.get(placement),
  }) as ChainEntry);
  if (input.lifecycle) {
    const lifecycle = policyNamed("lifecycle")!;
    entries.push({ policy: "lifecycle", scope: `${input.apiId}/lifecycle`, level: "api", declaredAt: input.lifecycle.declaredAt, phases: [...lifecycle.phases], when: null, config: input.lifecycle.config } as ChainEntry);
  }
  entries.sort(compareEntries);
  return { entries, unimplementedSchemes };
}

function scopeOf(apiId: string, operationId: string, declared: DeclaredPolicy): string {
  switch (declared.level) {
    case "platform":
      return `platform/${declared.slot}`;
    case "api":
      return `${apiId}/${declared.slot}`;
    default:
      return `${apiId}/${operationId}/${declared.slot}`;
  }
}

/** Security schemes of the contract a resolved authentication policy implements. */
function implementedSchemes(policy: string, config: unknown): string[] {
  const value = config as { securityScheme?: string | null; securitySchemes?: string[] };
  if (policy === "apiKey") return value.securityScheme ? [value.securityScheme] : [];
  return value.securitySchemes ?? [];
}

function compareEntries(a: ChainEntry, b: ChainEntry): number {
  const policyA = policyNamed(a.policy)!;
  const policyB = policyNamed(b.policy)!;
  return (
    PHASE_ORDER.get(policyA.phases[0])! - PHASE_ORDER.get(policyB.phases[0])! ||
    policyA.priority - policyB.priority ||
    LEVEL_ORDER.get(a.level)! - LEVEL_ORDER.get(b.level)! ||
    compareText(a.when?.product ?? "", b.when?.product ?? "") ||
    compareText(a.when?.plan ?? "", b.when?.plan ?? "") ||
    compareText(a.scope, b.scope)
  );
}
