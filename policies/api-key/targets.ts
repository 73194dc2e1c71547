/** Where the `api-key` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/api-key/handler.ts.
  kubernetes: { support: "full" },
  // REST API usage plans check keys sent in x-api-key (apiKeySource HEADER); configs that name
  // another header or a query parameter are refined in constructs/targets/aws/capabilities.ts.
  aws: { support: "full" },
};
