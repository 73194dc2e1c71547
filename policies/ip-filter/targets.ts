/** Where the `ip-filter` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/ip-filter/handler.ts.
  kubernetes: { support: "full" },
  // WAF IP sets (IPv4 and IPv6) scoped to the API's or operation's requests; without WAF it is
  // `none` (constructs/targets/aws/capabilities.ts).
  aws: {
    support: "partial",
    reason:
      "WAF IP set rules (IPv4 and IPv6 sets) allow or deny the address that connects to API Gateway, not one taken from X-Forwarded-For after the platform's trustedProxies, and a denied caller gets WAF's 403 response before the API is reached",
  },
};
