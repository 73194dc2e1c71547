/** Every policy declares its AWS mapping; `partial` and `none` carry the reason synthesis prints. */
import { POLICIES } from "../../../policies/index";
import type { PolicyTargets } from "../../../policies/target-support";
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../helpers/cli";

const policyDirs = readdirSync(join(REPO_ROOT, "policies"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(REPO_ROOT, "policies", entry.name, "targets.ts")))
  .map((entry) => entry.name)
  .sort();

describe("AWS support matrix", () => {
  it("covers every registered policy", () => {
    expect(policyDirs).toHaveLength(POLICIES.length);
  });

  it("is the one chosen, with a reason for every partial or none", () => {
    const matrix = Object.fromEntries(
      policyDirs.map((name) => {
        const { aws } = (require(join(REPO_ROOT, "policies", name, "targets.ts")) as { targets: PolicyTargets }).targets;
        if (aws && aws.support !== "full") expect(aws.reason.length).toBeGreaterThan(40);
        return [name, aws?.support];
      }),
    );
    expect(matrix).toEqual({
      "api-key": "full",
      cache: "partial",
      cors: "partial",
      "ip-filter": "partial",
      jwt: "partial",
      lifecycle: "none",
      masking: "none",
      mtls: "partial",
      quota: "partial",
      "rate-limit": "partial",
      "request-size-limit": "partial",
      "request-validation": "partial",
      "threat-protection": "partial",
      transform: "partial",
    });
  });
});
