/** Where the `request-size-limit` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/request-size-limit/handler.ts.
  kubernetes: { support: "full" },
  // A WAF size constraint on the body; limits over 64 KB (and any limit without WAF) are `none`
  // and limits of 10 MB or more API Gateway's own, decided in constructs/targets/aws/capabilities.ts.
  aws: {
    support: "partial",
    reason:
      "a WAF size constraint rule blocks bodies over the limit with 413, but AWS WAF inspects only the first 8, 16 or 64 KB of a body (16 KB for API Gateway by default; Turnpike raises the web ACL's limit to 64 KB), so only limits up to 64 KB can be enforced, and API Gateway rejects bodies over 10 MB itself",
  },
};
