/** Where the `cache` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/cache/handler.ts.
  kubernetes: { support: "full" },
};
