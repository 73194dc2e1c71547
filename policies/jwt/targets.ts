/** Where the `jwt` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/jwt/handler.ts.
  kubernetes: { support: "full" },
  // A Lambda TOKEN authorizer (constructs/targets/aws/jwt-authorizer/handler.ts) verifies what the
  // gateway verifies; Cognito issuers get a Cognito user pool authorizer instead, refined in
  // constructs/targets/aws/capabilities.ts.
  aws: {
    support: "partial",
    reason:
      "a Lambda authorizer verifies the signature against the JWKS, the issuer, audiences, algorithms, expiry and the operation's scopes, but API Gateway caches its answer for 300 s per token, so a token stays accepted up to 300 s after it expires; consumers are not matched to usage plans by their subject, and failures answer API Gateway's 401/403 bodies without a WWW-Authenticate challenge",
  },
};
