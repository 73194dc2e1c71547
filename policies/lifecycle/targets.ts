/** Where the `lifecycle` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/lifecycle/handler.ts.
  kubernetes: { support: "full" },
  aws: {
    support: "none",
    reason: "an HTTP proxy integration passes responses through unchanged, so Deprecation, Sunset and Link headers cannot be added, and a retired API answering 410 would need mock integrations, which the AWS target does not deploy yet",
  },
};
