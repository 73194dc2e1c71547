/** Where the `mtls` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/mtls/handler.ts.
  kubernetes: { support: "full" },
  aws: {
    support: "partial",
    reason: "API Gateway checks client certificates only on a custom domain name with a truststore in S3 (customDomain.mtlsTruststore), against its CAs; consumers are not identified by subject, allowed subjects would need a Lambda authorizer, and the certificate is not forwarded upstream",
  },
};
