/** Where the `ip-filter` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/ip-filter/handler.ts.
  kubernetes: { support: "full" },
  aws: {
    support: "none",
    reason: "a WAF IP set rule could allow or deny the connecting address (not X-Forwarded-For from trusted proxies); the AWS target does not deploy IP sets yet",
  },
};
