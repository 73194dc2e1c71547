/** Every policy declares its support per target in policies/<name>/targets.ts; the Kubernetes target runs them all. */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { POLICIES } from "../../policies/index";
import type { PolicyTargets } from "../../policies/target-support";
import { REPO_ROOT } from "../helpers/cli";

const policyDirs = readdirSync(join(REPO_ROOT, "policies"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(REPO_ROOT, "policies", entry.name, "schema.ts")))
  .map((entry) => entry.name)
  .sort();

describe("policy target support", () => {
  it("has one policy directory per registered policy", () => {
    expect(policyDirs).toHaveLength(POLICIES.length);
    expect(policyDirs).toHaveLength(14);
  });

  it.each(policyDirs)("policies/%s/targets.ts says the Kubernetes target supports it fully", (name) => {
    const { targets } = require(join(REPO_ROOT, "policies", name, "targets.ts")) as { targets: PolicyTargets };
    expect(targets.kubernetes).toEqual({ support: "full" });
  });
});
