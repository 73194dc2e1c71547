/** Where the `quota` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/quota/handler.ts.
  kubernetes: { support: "full" },
  aws: {
    support: "partial",
    reason: "usage-plan quotas count per API key per region on a best-effort basis (not hard limits), for a day, week or month only, reset in UTC, without quota headers; with N regions a consumer gets up to N times the quota",
  },
};
