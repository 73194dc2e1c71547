/** Where the `rate-limit` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/rate-limit/handler.ts.
  kubernetes: { support: "full" },
  aws: {
    support: "partial",
    reason: "usage-plan and stage throttling is a token bucket per API key per stage and region (rate/s and burst), applied on a best-effort basis, without RateLimit headers; per-IP limits need a WAF rate-based rule, which counts over a window of 1 to 10 minutes",
  },
};
