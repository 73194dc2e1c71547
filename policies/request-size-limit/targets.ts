/** Where the `request-size-limit` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/request-size-limit/handler.ts.
  kubernetes: { support: "full" },
  aws: {
    support: "partial",
    reason: "API Gateway rejects bodies over 10 MB (a hard limit); a smaller limit needs a WAF rule on Content-Length, which a chunked request without Content-Length bypasses",
  },
};
