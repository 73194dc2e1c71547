/** Where the `threat-protection` policy is enforced, per deployment target. */
import type { PolicyTargets } from "../target-support";

export const targets: PolicyTargets = {
  // The Kubernetes target deploys the bundled gateway, which runs policies/threat-protection/handler.ts.
  kubernetes: { support: "full" },
};
