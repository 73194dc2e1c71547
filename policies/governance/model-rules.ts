/**
 * Governance rules over the manifest (the model, not the contract): ownership, authentication,
 * limits on every plan, the deprecation story and versions. Each rule has a stable id, which
 * `turnpike lint` prints and an Api's `governance.waive` names to switch it off.
 */
import { semverSchema } from "../../constructs/manifest/schema";
import type { Api, GatewayConfig } from "../../constructs/manifest/schema";
import { AUTHENTICATION_POLICY_NAMES } from "../index";
import { pathMayMatchSchema } from "../masking/contract-fields";
import { parseJsonPath } from "../masking/json-path";
import { isJsonMediaType } from "../masking/media-type";
import type { Finding } from "./findings";

export interface ModelRuleContext {
  readonly manifest: GatewayConfig;
  /** Today, `YYYY-MM-DD` (UTC): what sunset dates are compared with. */
  readonly today: string;
}

export interface ModelRule {
  readonly id: string;
  /** What the rule asks for, one sentence (listed by the README and `--format json`). */
  readonly description: string;
  /** Findings for one API; only APIs consumers can use (published or deprecated) are checked. */
  check(api: Api, context: ModelRuleContext): Omit<Finding, "api" | "path">[];
}

const err = (code: string, message: string, rest: Partial<Omit<Finding, "code" | "message">> = {}): Omit<Finding, "api" | "path"> => ({ severity: "error", code, message, ...rest });

export const MODEL_RULES: readonly ModelRule[] = [
  {
    id: "api-owner",
    description: "every published API names its owning team (`owner`), so consumers and on-call know whom to ask",
    check: (api) => (api.owner === null ? [err("api-owner", "the API has no owner", { field: "owner", fix: 'set owner, e.g. owner: "team-orders"' })] : []),
  },
  {
    id: "operation-auth",
    description: "every operation of a published API authenticates its callers (apiKey, jwt or mtls in its policy chain, with credentials not made optional by an empty security requirement)",
    check: (api, { manifest }) => {
      const policyOf = new Map(manifest.spec.policies.map((instance) => [instance.id, instance.policy]));
      return api.operations.flatMap((operation) => {
        const authenticates = operation.policies.some((id) => AUTHENTICATION_POLICY_NAMES.has(policyOf.get(id) ?? ""));
        // An empty alternative (`security: [{}, ...]`) makes credentials optional: the authentication policy then lets requests without any through.
        const optional = operation.security?.some((alternative) => alternative.length === 0) === true;
        if (authenticates && !optional) return [];
        const why = authenticates ? "its contract makes credentials optional (an empty security requirement, `{}`)" : "no authentication policy in its chain";
        return [
          err("operation-auth", `${operation.method} ${operation.path} (${operation.operationId}) lets anonymous callers in: ${why}`, {
            field: `operations.${operation.operationId}`,
            fix: authenticates
              ? "remove the empty security requirement `{}` from the operation's security, or waive the rule with the reason the operation is public"
              : "add apiKey(), jwt(...) or mtls(...) to the API's policies, or waive the rule with the reason the operation is public",
          }),
        ];
      });
    },
  },
  {
    id: "plan-rate-limit",
    description: "every plan a published API is offered in has a rate limit",
    check: (api, { manifest }) => {
      const planNames = new Set(manifest.spec.products.filter((product) => product.apis.includes(api.id)).flatMap((product) => product.plans));
      return manifest.spec.plans
        .filter((plan) => planNames.has(plan.name) && plan.rateLimit === null)
        .map((plan) =>
          err("plan-rate-limit", `plan "${plan.name}" offers the API without a rate limit: one consumer could take the whole upstream`, {
            field: "products",
            fix: `set rateLimit on plan "${plan.name}" (${plan.declaredAt}), e.g. { requests: 100, perSeconds: 1 }`,
          }),
        );
    },
  },
  {
    id: "deprecation-sunset",
    description: "a deprecated API has a sunset date, and it is in the future",
    check: (api, { today }) => {
      if (api.lifecycle !== "deprecated") return [];
      if (api.sunset === null) return [err("deprecation-sunset", "the API is deprecated without a sunset date", { field: "sunset", fix: "set sunset: the date it stops being served (YYYY-MM-DD)" })];
      if (api.sunset <= today) {
        return [
          err("deprecation-sunset", `the sunset date ${api.sunset} has passed (today is ${today}): the API is still served past the date consumers were promised`, {
            field: "sunset",
            expected: `a date after ${today}`,
            received: api.sunset,
            fix: 'retire it (lifecycle: "retired") or move the sunset date and tell its consumers',
          }),
        ];
      }
      return [];
    },
  },
  {
    id: "deprecation-successor",
    description: "a deprecated API names its successor, so consumers know where to migrate",
    check: (api) =>
      api.lifecycle === "deprecated" && api.successor === null
        ? [err("deprecation-successor", "the API is deprecated without a successor: its Deprecation headers and the portal cannot say where to go", { field: "successor", fix: "set successor to the Api that replaces it" })]
        : [],
  },
  {
    id: "api-version-semver",
    description: "the contract's info.version is the semantic version the API is declared with",
    check: (api) => {
      const info = api.contract.document.info as { version?: unknown } | undefined;
      const version = info?.version;
      if (typeof version === "string" && semverSchema.safeParse(version).success && version === api.version) return [];
      return [
        err("api-version-semver", `the contract's info.version ${JSON.stringify(version ?? null)} is not the API's version ${api.version}: the portal and the gateway would disagree`, {
          field: "version",
          expected: api.version,
          received: JSON.stringify(version ?? null),
          fix: `set info.version: ${api.version} in ${api.contract.source ?? "the contract"}`,
          file: api.contract.source ?? undefined,
          pointer: "/info/version",
        }),
      ];
    },
  },
  {
    id: "masking-path",
    description: "every masking path names a field the contract documents in a JSON response of an operation the policy covers (a misspelt path masks nothing, silently)",
    check: (api, { manifest }) => maskingPathFindings(api, manifest),
  },
];

/**
 * Masking fields whose path matches no field of the JSON responses the contract documents,
 * over every operation (of every API) the policy instance covers: a plan's masking of
 * `$..shippingAddress.name` is right if one of its APIs has shipping addresses. Reported
 * once, on the first API that carries the instance.
 */
function maskingPathFindings(api: Api, manifest: GatewayConfig): Omit<Finding, "api" | "path">[] {
  const findings: Omit<Finding, "api" | "path">[] = [];
  const ids = new Set(api.operations.flatMap((operation) => operation.policies));
  for (const instance of manifest.spec.policies) {
    if (instance.policy !== "masking" || !ids.has(instance.id)) continue;
    const carriers = manifest.spec.apis.filter((candidate) => candidate.operations.some((operation) => operation.policies.includes(instance.id)));
    if (carriers[0]!.id !== api.id) continue;
    const schemas = carriers.flatMap((carrier) =>
      carrier.operations
        .filter((operation) => operation.policies.includes(instance.id))
        .flatMap((operation) => operation.responses.flatMap((response) => Object.entries(response.content).filter(([type, media]) => isJsonMediaType(type) && media.schema !== null).map(([, media]) => ({ schema: media.schema, document: carrier.contract.document })))),
    );
    // Nothing documented to compare with: the rule cannot say.
    if (schemas.length === 0) continue;
    const fields = (instance.config as { fields: { path: string }[] }).fields;
    fields.forEach((field, index) => {
      const path = parseJsonPath(field.path);
      if (schemas.some(({ schema, document }) => pathMayMatchSchema(path, schema, document))) return;
      const where = carriers.length === 1 ? `the operations of ${api.id} it covers` : `the operations it covers (${carriers.map((carrier) => carrier.id).join(", ")})`;
      findings.push(
        err("masking-path", `masking (${instance.declaredAt}) field ${field.path} names no field of the JSON responses the contracts document for ${where}: it would mask nothing`, {
          field: `fields[${index}].path`,
          received: field.path,
          fix: "correct the path against the response schemas (a JSONPath, e.g. $.customer.email or $..email), or document the field in the contract",
        }),
      );
    });
  }
  return findings;
}

/** Runs every model rule over every API consumers can use (published or deprecated). */
export function checkModelRules(context: ModelRuleContext): Finding[] {
  return context.manifest.spec.apis
    .filter((api) => api.lifecycle === "published" || api.lifecycle === "deprecated")
    .flatMap((api) => MODEL_RULES.flatMap((rule) => rule.check(api, context).map((finding): Finding => ({ ...finding, api: api.id, path: api.declaredAt }))));
}
