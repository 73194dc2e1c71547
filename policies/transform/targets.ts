/** Where the `transform` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/transform/handler.ts.
  kubernetes: { support: "full" },
  aws: {
    support: "partial",
    reason: "request headers and query parameters can be set to static values by integration parameter mapping and paths rewritten in the integration URI; headers cannot be removed and responses of an HTTP proxy integration cannot be changed",
  },
};
