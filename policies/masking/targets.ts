/** Where the `masking` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/masking/handler.ts.
  kubernetes: { support: "full" },
  aws: {
    support: "none",
    reason:
      "API Gateway passes the body of an HTTP proxy integration's response through unchanged (mapping templates apply only to non-proxy integrations, and cannot remove a field at any depth), so fields cannot be removed or redacted; serve the API from the Node gateway",
  },
};
