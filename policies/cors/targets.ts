/** Where the `cors` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/cors/handler.ts.
  kubernetes: { support: "full" },
  aws: {
    support: "partial",
    reason: "preflight OPTIONS requests are answered by mock integrations, but an HTTP proxy integration passes the upstream response through unchanged, so the CORS headers of actual responses must come from the upstream",
  },
};
