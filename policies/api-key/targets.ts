/** Where the `api-key` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/api-key/handler.ts.
  kubernetes: { support: "full" },
};
