/**
 * How each deployment target enforces a policy: faithfully, partially (with the reason), or
 * not at all (with the reason). Every `policies/<name>/targets.ts` exports one record; the
 * support matrix (`turnpike policies`) and the targets' synthesis checks read them through
 * `POLICY_TARGETS`, so nothing is hand-written twice.
 */
import { targets as apiKey } from "./api-key/targets";
import { targets as cache } from "./cache/targets";
import { targets as cors } from "./cors/targets";
import type { PolicyName } from "./index";
import { targets as ipFilter } from "./ip-filter/targets";
import { targets as jwt } from "./jwt/targets";
import { targets as lifecycle } from "./lifecycle/targets";
import { targets as masking } from "./masking/targets";
import { targets as mtls } from "./mtls/targets";
import { targets as quota } from "./quota/targets";
import { targets as rateLimit } from "./rate-limit/targets";
import { targets as requestSizeLimit } from "./request-size-limit/targets";
import { targets as requestValidation } from "./request-validation/targets";
import { targets as threatProtection } from "./threat-protection/targets";
import { targets as transform } from "./transform/targets";

export type TargetSupport =
  | { readonly support: "full" }
  | { readonly support: "partial"; readonly reason: string }
  | { readonly support: "none"; readonly reason: string };

/** A policy's support per target; a target not listed has not declared its mapping yet (the AWS target adds `aws`). */
export interface PolicyTargets {
  /** The Kubernetes target runs the bundled gateway, which has a handler for every policy. */
  readonly kubernetes: TargetSupport;
  readonly aws?: TargetSupport;
}

/** Every policy's record, by policy name (the manifest's `policy` field). */
export const POLICY_TARGETS: Readonly<Record<PolicyName, PolicyTargets>> = {
  apiKey, cache, cors, ipFilter, jwt, lifecycle, masking, mtls, quota, rateLimit, requestSizeLimit, requestValidation, threatProtection, transform,
};

/** The deployment targets of the matrix, in column order. */
export const MATRIX_TARGETS = ["node", "kubernetes", "aws"] as const;
export type MatrixTarget = (typeof MATRIX_TARGETS)[number];

/**
 * One policy's support on every target. The Node gateway runs every policy's handler, so it is
 * `full` by construction; a target without a declared mapping is `none` with that reason.
 * These are the targets' best cases: a policy's config can make AWS worse (an hourly quota),
 * which the AWS synthesis checks per declared instance.
 */
export function supportRow(policy: PolicyName): Record<MatrixTarget, TargetSupport> {
  const targets = POLICY_TARGETS[policy];
  return {
    node: { support: "full" },
    kubernetes: targets.kubernetes,
    aws: targets.aws ?? { support: "none", reason: "the policy declares no AWS mapping" },
  };
}
