/** Where the `request-validation` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/request-validation/handler.ts.
  kubernetes: { support: "full" },
  aws: {
    support: "partial",
    reason: "request validators check required parameters and JSON bodies against draft-04 schema models only; parameter schemas (types, patterns, ranges), non-JSON bodies and unknown query parameters are not checked",
  },
};
