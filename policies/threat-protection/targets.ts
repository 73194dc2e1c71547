/** Where the `threat-protection` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/threat-protection/handler.ts.
  kubernetes: { support: "full" },
  aws: {
    support: "partial",
    reason: "WAF managed rule groups (common, SQL injection, known bad inputs) screen injections, with their own patterns; JSON depth, key, array and string limits and XML DTD checks have no WAF equivalent, and WAF inspects only the first 16 KB of a body by default (64 KB at most)",
  },
};
