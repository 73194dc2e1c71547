/** Where the `request-size-limit` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/request-size-limit/handler.ts.
  kubernetes: { support: "full" },
};
