/** Where the `jwt` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/jwt/handler.ts.
  kubernetes: { support: "full" },
  aws: {
    support: "none",
    reason: "REST APIs verify JWTs only in a Cognito user pool authorizer (Cognito-issued tokens) or a Lambda authorizer; the AWS target deploys neither yet",
  },
};
