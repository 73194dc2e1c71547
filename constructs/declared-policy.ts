/**
 * Turns the policy declarations written on a construct (`policies: [apiKey(), ...]`) into
 * validated entries, reporting problems with the construct path of each declaration.
 */
import { DECLARABLE_POLICY_NAMES, policyNamed } from "../policies/index";
import { type AttachLevel, type Policy, PolicyDeclaration } from "../policies/policy";
import { Diagnostics, describeValue, diagnosticsFromZod, didYouMean, listOf } from "./diagnostics";

/** A declaration that passed validation. */
export interface DeclaredPolicy {
  readonly policy: Policy;
  /** Options as parsed (defaults applied, not yet resolved for an operation). */
  readonly options: Record<string, unknown>;
  /** Which declaration of a less specific level this one replaces. */
  readonly slot: string;
  readonly level: AttachLevel;
  /** Where the declaration is written, for diagnostics, e.g. `acme/orders/policies[1]`. */
  readonly source: string;
  /**
   * Stable name of the declaration for the manifest, independent of its position in the
   * list (so reordering declarations changes nothing), e.g. `acme/orders/policies/rateLimit:consumer`.
   */
  readonly declaredAt: string;
}

export function parsePolicyDeclarations(
  declarations: readonly unknown[] | undefined,
  context: {
    level: AttachLevel;
    path: string;
    /** Prop holding the declarations, e.g. `policies`. */
    field: string;
    /** The prop holds one declaration (a plan's `rateLimit`), not a list. */
    single?: boolean;
    diagnostics: Diagnostics;
  },
): DeclaredPolicy[] {
  const parsed: DeclaredPolicy[] = [];
  (declarations ?? []).forEach((declaration, index) => {
    const source = context.single ? `${context.path}/${context.field}` : `${context.path}/${context.field}[${index}]`;
    if (!PolicyDeclaration.is(declaration)) {
      context.diagnostics.error({
        code: "invalid-policy",
        path: source,
        message: "not a policy declaration",
        expected: "a policy created by a policy function, e.g. rateLimit({ requests: 10 })",
        received: describeValue(declaration),
      });
      return;
    }
    const policy = policyNamed(declaration.policy);
    if (policy === undefined || policy.levels.length === 0) {
      context.diagnostics.error({
        code: "unknown-policy",
        path: source,
        message: `unknown policy "${declaration.policy}"`,
        expected: `one of ${listOf(DECLARABLE_POLICY_NAMES)}`,
        fix: didYouMean(declaration.policy, DECLARABLE_POLICY_NAMES),
      });
      return;
    }
    if (!policy.levels.includes(context.level)) {
      context.diagnostics.error({
        code: "policy-not-attachable",
        path: source,
        message: `${policy.name} cannot be attached to ${article(context.level)} ${context.level}`,
        expected: `attached to ${listOf(policy.levels, false)}`,
        fix: whyNotAttachable(policy, context.level),
      });
      return;
    }
    const result = policy.options.safeParse(declaration.options, { reportInput: true });
    if (!result.success) {
      for (const diagnostic of diagnosticsFromZod(result.error.issues, { code: "invalid-policy", path: source, schema: policy.options })) {
        context.diagnostics.add({ ...diagnostic, message: `${policy.name}: ${diagnostic.message}` });
      }
      return;
    }
    const options = result.data as Record<string, unknown>;
    const slot = policy.slot(options);
    const clash = parsed.find((other) => other.slot === slot);
    if (clash) {
      context.diagnostics.error({
        code: "duplicate-policy",
        path: source,
        message: `${policy.name} is declared twice at this level (also at ${clash.source}), so one would silently win`,
        fix: slot === policy.name ? "merge the two declarations" : "merge them, or give them different `key`s (consumer, ip, global)",
      });
      return;
    }
    const declaredAt = context.single ? source : `${context.path}/${context.field}/${slot}`;
    parsed.push({ policy, options, slot, level: context.level, source, declaredAt });
  });
  return parsed;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? "an" : "a";
}

function whyNotAttachable(policy: Policy, level: AttachLevel): string | undefined {
  if (level === "plan") {
    return "plan policies run after authentication identified the consumer; attach this one to the platform, an API or an operation";
  }
  if (policy.name === "cors") return "CORS preflight answers are per path and carry no credentials; attach cors() to the platform or the API";
  return undefined;
}
