/**
 * What a change to the declaration does, from two snapshots (the base ref's and the working
 * tree's): contract changes per API rated for consumers, plan, product, policy and lifecycle changes,
 * consumers added or removed, and the deployment artifacts that change. It is what
 * `turnpike diff` reports, and its verdict: a breaking contract change under the same API id
 * (same name and major version) is not allowed.
 */
import { compactCanonicalJson } from "../../constructs/manifest/canonical-json";
import type { Api, Consumer, GatewayConfig, Plan, PolicyInstance, Product } from "../../constructs/manifest/schema";
import { AUTHENTICATION_POLICY_NAMES } from "../index";
import { type ContractChange, detectContractChanges } from "./breaking-changes";
import type { DeclarationSnapshot } from "./declaration-snapshot";
import { describePricing, describeQuota, describeRateLimit, priceRose, quotaTightened, rateLimitTightened } from "./limit-changes";

/** One field that changed, rendered for people. */
export interface FieldChange {
  readonly field: string;
  /** `(none)` when the field was not set. */
  readonly base: string;
  readonly head: string;
  /** Consumers already using the API or plan get less or pay more. */
  readonly consumerAffecting: boolean;
}

export interface PolicyChange {
  /** Policy name, e.g. `rateLimit`. */
  readonly policy: string;
  /** The instance's scope, e.g. `orders-v2/createOrder/rateLimit:consumer`. */
  readonly scope: string;
  readonly change: "added" | "removed" | "changed";
  /** Configuration fields that changed (for `changed`). */
  readonly fields: readonly FieldChange[];
  readonly consumerAffecting: boolean;
}

export interface ApiDiff {
  /** Manifest id, `<name>-v<major>`. */
  readonly id: string;
  readonly status: "added" | "removed" | "changed";
  readonly version: { readonly base: string | null; readonly head: string | null };
  /** Contract changes, breaking first; `[]` for an added or removed API. */
  readonly contract: readonly ContractChange[];
  /** Version, lifecycle, sunset, successor and owner changes. */
  readonly lifecycle: readonly FieldChange[];
  readonly policies: readonly PolicyChange[];
  /** A breaking contract change under the same id: it needs a new major version. */
  readonly breakingWithoutMajor: boolean;
}

export interface PlanDiff {
  readonly name: string;
  readonly status: "added" | "removed" | "changed";
  readonly changes: readonly FieldChange[];
  readonly consumerAffecting: boolean;
}

/** What a product offers (APIs, plans) and to whom (approval, visibility). */
export interface ProductDiff {
  readonly name: string;
  readonly status: "added" | "removed" | "changed";
  readonly changes: readonly FieldChange[];
  /** Subscribers lose an API or a plan, or the product is withdrawn or made harder to get. */
  readonly consumerAffecting: boolean;
}

export interface ArtifactChanges {
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
}

export interface DiffReport {
  readonly base: { readonly ref: string; readonly revision: string };
  readonly head: { readonly revision: string };
  /** APIs with any change, by id. */
  readonly apis: readonly ApiDiff[];
  readonly plans: readonly PlanDiff[];
  readonly products: readonly ProductDiff[];
  readonly consumers: { readonly added: readonly string[]; readonly removed: readonly string[]; readonly changed: readonly string[] };
  readonly artifacts: ArtifactChanges;
  /** Ids of the APIs with a breaking change and no new major version: the reason `turnpike diff` fails. */
  readonly breakingWithoutMajor: readonly string[];
}

const NONE = "(none)";

export async function diffDeclarations(base: DeclarationSnapshot, head: DeclarationSnapshot, baseRef: string): Promise<DiffReport> {
  const apis: ApiDiff[] = [];
  for (const id of unionOfKeys(base.manifest.spec.apis, head.manifest.spec.apis, (api) => api.id)) {
    const diff = await diffApi(id, base.manifest, head.manifest);
    if (diff) apis.push(diff);
  }
  return {
    base: { ref: baseRef, revision: base.manifest.metadata.revision },
    head: { revision: head.manifest.metadata.revision },
    apis,
    plans: diffPlans(base.manifest, head.manifest),
    products: diffProducts(base.manifest.spec.products, head.manifest.spec.products),
    consumers: diffConsumers(base.manifest.spec.consumers, head.manifest.spec.consumers),
    artifacts: diffArtifacts(base, head),
    breakingWithoutMajor: apis.filter((api) => api.breakingWithoutMajor).map((api) => api.id),
  };
}

async function diffApi(id: string, baseManifest: GatewayConfig, headManifest: GatewayConfig): Promise<ApiDiff | undefined> {
  const base = baseManifest.spec.apis.find((api) => api.id === id);
  const head = headManifest.spec.apis.find((api) => api.id === id);
  const version = { base: base?.version ?? null, head: head?.version ?? null };
  if (!base || !head) {
    return { id, status: base ? "removed" : "added", version, contract: [], lifecycle: [], policies: [], breakingWithoutMajor: false };
  }
  // Equal hashes mean equal bundled documents: no need to run the engine.
  const contract = base.contract.sha256 === head.contract.sha256 ? [] : await detectContractChanges(base.contract.document, head.contract.document);
  const lifecycle = diffLifecycle(base, head);
  const policies = diffPolicies(policiesOf(base, baseManifest), policiesOf(head, headManifest));
  if (contract.length === 0 && lifecycle.length === 0 && policies.length === 0) return undefined;
  return { id, status: "changed", version, contract, lifecycle, policies, breakingWithoutMajor: contract.some((change) => change.rating === "breaking") };
}

const LIFECYCLE_ORDER = ["draft", "published", "deprecated", "retired"];

function diffLifecycle(base: Api, head: Api): FieldChange[] {
  const changes: FieldChange[] = [];
  const add = (field: string, before: string | null, after: string | null, consumerAffecting = false) => {
    if (before !== after) changes.push({ field, base: before ?? NONE, head: after ?? NONE, consumerAffecting });
  };
  add("version", base.version, head.version);
  add("lifecycle", base.lifecycle, head.lifecycle, LIFECYCLE_ORDER.indexOf(head.lifecycle) > Math.max(1, LIFECYCLE_ORDER.indexOf(base.lifecycle)));
  add("deprecatedSince", base.deprecatedSince, head.deprecatedSince);
  // An earlier sunset gives consumers less time to migrate.
  add("sunset", base.sunset, head.sunset, head.sunset !== null && (base.sunset === null || head.sunset < base.sunset));
  add("successor", base.successor, head.successor);
  add("owner", base.owner, head.owner);
  add("basePath", base.basePath, head.basePath, true);
  // A new waiver switches a house rule off: reviewers should see it. (A base manifest from before waivers existed has none.)
  const waivers = (api: Api) => (api.governance?.waive ?? []).map((waiver) => waiver.rule).join(", ") || null;
  add("waived rules", waivers(base), waivers(head));
  return changes;
}

/** A policy instance of an API, with the operations whose chains hold it. */
interface ApiPolicy {
  readonly instance: PolicyInstance;
  /** Sorted operationIds: what pairs a scope's variants across the two versions. */
  readonly operations: string;
}

/** The policy instances in an API's chains, grouped by scope (a scope may have variants, e.g. per path or for public operations). */
function policiesOf(api: Api, manifest: GatewayConfig): Map<string, ApiPolicy[]> {
  const operationsOf = new Map<string, string[]>();
  for (const operation of api.operations) for (const id of operation.policies) operationsOf.set(id, [...(operationsOf.get(id) ?? []), operation.operationId]);
  const byScope = new Map<string, ApiPolicy[]>();
  for (const instance of manifest.spec.policies) {
    const operations = operationsOf.get(instance.id);
    // The lifecycle entry follows the API's lifecycle, and plan policies are the plans' changes: each is reported once, there.
    if (!operations || instance.policy === "lifecycle" || instance.level === "plan") continue;
    byScope.set(instance.scope, [...(byScope.get(instance.scope) ?? []), { instance, operations: operations.sort(compare).join(",") }]);
  }
  return byScope;
}

function diffPolicies(base: Map<string, ApiPolicy[]>, head: Map<string, ApiPolicy[]>): PolicyChange[] {
  const changes: PolicyChange[] = [];
  for (const scope of [...new Set([...base.keys(), ...head.keys()])].sort(compare)) {
    const before = base.get(scope);
    const after = head.get(scope);
    const policy = (after ?? before)![0]!.instance.policy;
    if (!before || !after) {
      const change = before ? "removed" : "added";
      changes.push({ policy, scope, change, fields: [], consumerAffecting: AUTHENTICATION_POLICY_NAMES.has(policy) || (change === "added" && LIMIT_POLICIES.has(policy)) });
      continue;
    }
    const configs = (variants: ApiPolicy[]) => variants.map(({ instance, operations }) => compactCanonicalJson([operations, instance.config, instance.when])).sort().join("\n");
    if (configs(before) === configs(after)) continue;
    // Variants are paired by the operations they serve; when those differ, the change is reported as a whole.
    const pairs = before.flatMap((variant) => {
      const match = after.find((candidate) => candidate.operations === variant.operations);
      return match ? [[variant.instance, match.instance] as const] : [];
    });
    const paired = pairs.length === before.length && pairs.length === after.length;
    const unique = new Map<string, FieldChange>();
    for (const [a, b] of pairs) for (const field of diffFields(a.config, b.config)) unique.set(`${field.field}\u0000${field.base}\u0000${field.head}`, field);
    const fields = paired ? [...unique.values()] : [{ field: "operations", base: before.map((variant) => variant.operations).join(" | "), head: after.map((variant) => variant.operations).join(" | "), consumerAffecting: false }];
    const tightened = pairs.some(([a, b]) => policyTightened(policy, a.config, b.config));
    changes.push({ policy, scope, change: "changed", fields, consumerAffecting: AUTHENTICATION_POLICY_NAMES.has(policy) || tightened || (!paired && LIMIT_POLICIES.has(policy)) });
  }
  return changes;
}

const LIMIT_POLICIES: ReadonlySet<string> = new Set(["rateLimit", "quota", "requestSizeLimit"]);

function policyTightened(policy: string, base: unknown, head: unknown): boolean {
  if (policy === "rateLimit") return rateLimitTightened(base as Plan["rateLimit"], head as Plan["rateLimit"]);
  if (policy === "quota") return quotaTightened(base as Plan["quota"], head as Plan["quota"]);
  if (policy === "requestSizeLimit") return (head as { maxBodyBytes: number }).maxBodyBytes < (base as { maxBodyBytes: number }).maxBodyBytes;
  return false;
}

/** Changed leaves of two configurations, `a.b` → JSON values. */
function diffFields(base: unknown, head: unknown, prefix = ""): FieldChange[] {
  if (isObject(base) && isObject(head)) {
    return [...new Set([...Object.keys(base), ...Object.keys(head)])].sort(compare).flatMap((key) => diffFields(base[key], head[key], prefix ? `${prefix}.${key}` : key));
  }
  const before = base === undefined ? NONE : compactCanonicalJson(base);
  const after = head === undefined ? NONE : compactCanonicalJson(head);
  return before === after ? [] : [{ field: prefix, base: before, head: after, consumerAffecting: false }];
}

function diffPlans(baseManifest: GatewayConfig, headManifest: GatewayConfig): PlanDiff[] {
  return diffNamed(baseManifest.spec.plans, headManifest.spec.plans, (before, after, add) => {
    const name = before.name;
    add("price", describePricing(before.pricing), describePricing(after.pricing), priceRose(before.pricing, after.pricing));
    add("rate limit", describeRateLimit(before.rateLimit), describeRateLimit(after.rateLimit), rateLimitTightened(before.rateLimit, after.rateLimit));
    add("quota", describeQuota(before.quota), describeQuota(after.quota), quotaTightened(before.quota, after.quota));
    add("policies", before.policies.join(", ") || NONE, after.policies.join(", ") || NONE, false);
    // The plan's other policies (e.g. a transform): their configuration is only in the plan-level instances.
    const otherBefore = planPolicyConfigs(baseManifest, name);
    const otherAfter = planPolicyConfigs(headManifest, name);
    for (const slot of [...new Set([...otherBefore.keys(), ...otherAfter.keys()])].sort(compare)) {
      const a = otherBefore.get(slot);
      const b = otherAfter.get(slot);
      // Added or removed policies are in the "policies" row already.
      if (a !== undefined && b !== undefined) for (const field of diffFields(a, b)) add(`${slot}: ${field.field}`, field.base, field.head, false);
    }
    add("title", before.title, after.title, false);
  });
}

function diffProducts(base: readonly Product[], head: readonly Product[]): ProductDiff[] {
  return diffNamed(base, head, (before, after, add) => {
    // Lists: what was taken away affects subscribers, what was added does not.
    const list = (field: string, a: readonly string[], b: readonly string[]) => {
      const removed = a.filter((item) => !b.includes(item));
      const added = b.filter((item) => !a.includes(item));
      if (removed.length) add(`${field} removed`, removed.join(", "), NONE, true);
      if (added.length) add(`${field} added`, NONE, added.join(", "), false);
    };
    list("APIs", [...before.apis].sort(compare), [...after.apis].sort(compare));
    list("plans", [...before.plans].sort(compare), [...after.plans].sort(compare));
    add("approval", before.approval, after.approval, after.approval === "manual");
    add("visibility", before.visibility, after.visibility, after.visibility === "private");
    add("title", before.title, after.title, false);
  });
}

/**
 * Plans or products matched by name: added, removed (which affects consumers), or changed in
 * the fields `compareFields` reports through `add` (a field whose two values are equal is no change).
 */
function diffNamed<T extends { readonly name: string }>(
  base: readonly T[],
  head: readonly T[],
  compareFields: (before: T, after: T, add: (field: string, base: string, head: string, consumerAffecting: boolean) => void) => void,
): Array<PlanDiff | ProductDiff> {
  const diffs: Array<PlanDiff | ProductDiff> = [];
  for (const name of unionOfKeys(base, head, (item) => item.name)) {
    const before = base.find((item) => item.name === name);
    const after = head.find((item) => item.name === name);
    if (!before || !after) {
      diffs.push({ name, status: before ? "removed" : "added", changes: [], consumerAffecting: before !== undefined });
      continue;
    }
    const changes: FieldChange[] = [];
    compareFields(before, after, (field, a, b, consumerAffecting) => {
      if (a !== b) changes.push({ field, base: a, head: b, consumerAffecting });
    });
    if (changes.length) diffs.push({ name, status: "changed", changes, consumerAffecting: changes.some((change) => change.consumerAffecting) });
  }
  return diffs;
}

/**
 * Configurations of a plan's policies other than its rate limit and quota (those are the plan's
 * own fields), by slot. A plan offered in several products has one instance per product, all
 * with the same configuration.
 */
function planPolicyConfigs(manifest: GatewayConfig, plan: string): Map<string, unknown> {
  const configs = new Map<string, unknown>();
  for (const instance of manifest.spec.policies) {
    if (instance.level !== "plan" || instance.when?.plan !== plan || instance.policy === "rateLimit" || instance.policy === "quota") continue;
    configs.set(instance.scope.split("/").slice(2).join("/"), instance.config);
  }
  return configs;
}

function diffConsumers(base: readonly Consumer[], head: readonly Consumer[]): DiffReport["consumers"] {
  const names = unionOfKeys(base, head, (consumer) => consumer.name);
  const find = (list: readonly Consumer[], name: string) => list.find((consumer) => consumer.name === name);
  const same = (a: Consumer, b: Consumer) => compactCanonicalJson([a.subscriptions, a.credentials]) === compactCanonicalJson([b.subscriptions, b.credentials]);
  return {
    added: names.filter((name) => !find(base, name)),
    removed: names.filter((name) => !find(head, name)),
    changed: names.filter((name) => {
      const a = find(base, name);
      const b = find(head, name);
      return a !== undefined && b !== undefined && !same(a, b);
    }),
  };
}

function diffArtifacts(base: DeclarationSnapshot, head: DeclarationSnapshot): ArtifactChanges {
  const before = new Map(base.artifacts.map((artifact) => [artifact.id, artifact.contents]));
  const after = new Map(head.artifacts.map((artifact) => [artifact.id, artifact.contents]));
  return {
    added: [...after.keys()].filter((id) => !before.has(id)).sort(compare),
    changed: [...after.keys()].filter((id) => before.has(id) && before.get(id) !== after.get(id)).sort(compare),
    removed: [...before.keys()].filter((id) => !after.has(id)).sort(compare),
  };
}

function unionOfKeys<T>(base: readonly T[], head: readonly T[], key: (item: T) => string): string[] {
  return [...new Set([...base.map(key), ...head.map(key)])].sort(compare);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
