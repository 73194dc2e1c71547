/** Where the `cache` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/cache/handler.ts.
  kubernetes: { support: "full" },
  aws: {
    support: "partial",
    reason: "the stage cache cluster caches per method with a TTL of at most 3600 s, keyed by declared parameters and headers; it ignores the upstream Vary and Cache-Control: no-store, and clients may invalidate entries only with an IAM permission",
  },
};
