/** Where the `rate-limit` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/rate-limit/handler.ts.
  kubernetes: { support: "full" },
};
