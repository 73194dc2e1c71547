/**
 * How each deployment target enforces a policy: faithfully, partially (with the reason), or
 * not at all (with the reason). Every `policies/<name>/targets.ts` exports one record; the
 * support matrix and the targets' synthesis checks read them, so nothing is hand-written twice.
 */

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
