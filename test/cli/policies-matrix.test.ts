/** `turnpike policies`: the support matrix per target, generated from each policy's targets.ts, in text and JSON. */
import type { Output } from "../../cli/output";
import { policiesCommand } from "../../cli/commands/policies";
import { POLICIES } from "../../policies/index";
import { POLICY_TARGETS } from "../../policies/target-support";

function run(json: boolean): string {
  const chunks: string[] = [];
  const output: Output = { color: false, stdout: (text) => void chunks.push(text), stderr: () => undefined, paint: (_style, text) => text };
  expect(policiesCommand({ json }, output)).toBe(0);
  return chunks.join("");
}

describe("turnpike policies: support matrix", () => {
  it("--json gives each policy's support on the node gateway, kubernetes and aws, with the reasons from targets.ts", () => {
    const rows = JSON.parse(run(true)) as { name: keyof typeof POLICY_TARGETS; phases: string[]; targets: Record<string, { support: string; reason?: string }> }[];
    expect(rows.map((row) => row.name)).toEqual(POLICIES.map((policy) => policy.name));
    for (const row of rows) {
      expect(row.targets).toEqual({ node: { support: "full" }, kubernetes: POLICY_TARGETS[row.name].kubernetes, aws: POLICY_TARGETS[row.name].aws });
    }
    expect(rows.find((row) => row.name === "jwt")!.targets.aws).toEqual({ support: "partial", reason: POLICY_TARGETS.jwt.aws!.support === "partial" ? POLICY_TARGETS.jwt.aws!.reason : "" });
    expect(rows.find((row) => row.name === "lifecycle")!.targets.aws!.support).toBe("none");
    // What users already read stays: phases and levels.
    expect(rows.find((row) => row.name === "rateLimit")).toMatchObject({ phases: ["limit"] });
  });

  it("prints the matrix as a table, then every partial and none with its reason", () => {
    const text = run(false);
    expect(text).toContain("phases: access, response · attaches to: platform, api");
    const table = text.slice(text.indexOf("Support per target"));
    expect(table).toMatch(/^policy\s+node gateway\s+kubernetes\s+aws$/m);
    expect(table).toMatch(/^apiKey\s+full\s+full\s+full$/m);
    expect(table).toMatch(/^lifecycle\s+full\s+full\s+none$/m);
    expect(table).toMatch(/^requestSizeLimit\s+full\s+full\s+partial$/m);
    const lifecycle = POLICY_TARGETS.lifecycle.aws!;
    expect(table).toContain(`- lifecycle on aws (none): ${lifecycle.support === "none" ? lifecycle.reason : ""}`);
    const partials = POLICIES.filter((policy) => POLICY_TARGETS[policy.name].aws?.support === "partial").length;
    expect(table.split("\n").filter((line) => / on aws \(partial\): /.test(line))).toHaveLength(partials);
  });
});
