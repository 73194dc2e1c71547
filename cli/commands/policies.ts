/**
 * `turnpike policies`: the policies, where they attach and the phases they act in, then the
 * support matrix per deployment target, all from code (the registry and each policy's
 * `targets.ts`), never hand-written.
 */
import { POLICIES } from "../../policies/index";
import { MATRIX_TARGETS, type MatrixTarget, type TargetSupport, supportRow } from "../../policies/target-support";
import type { Output } from "../output";

/** Column titles of the matrix. */
const TARGET_TITLES: Readonly<Record<MatrixTarget, string>> = { node: "node gateway", kubernetes: "kubernetes", aws: "aws" };

export function policiesCommand(options: { json: boolean }, output: Output): number {
  const rows = POLICIES.map((policy) => ({
    name: policy.name,
    phases: [...policy.phases],
    priority: policy.priority,
    levels: policy.levels.length ? [...policy.levels] : ["(added by the compiler)"],
    summary: policy.summary,
    targets: supportRow(policy.name),
  }));
  if (options.json) {
    output.stdout(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  const width = Math.max(...rows.map((row) => row.name.length));
  for (const row of rows) {
    output.stdout(`${output.paint("bold", row.name.padEnd(width))}  ${row.summary}\n${" ".repeat(width)}  ${output.paint("dim", `phases: ${row.phases.join(", ")} · attaches to: ${row.levels.join(", ")}`)}\n`);
  }
  output.stdout(`\n${output.paint("bold", "Support per target")} (full, partial or none; a policy's config can make AWS worse, which synthesis reports per API)\n\n`);
  const columns = MATRIX_TARGETS.map((target) => Math.max(TARGET_TITLES[target].length, "partial".length));
  const line = (cells: string[]) => `${cells[0]!.padEnd(width)}  ${cells.slice(1).map((cell, index) => cell.padEnd(columns[index]!)).join("  ")}`.trimEnd();
  output.stdout(`${output.paint("dim", line(["policy", ...MATRIX_TARGETS.map((target) => TARGET_TITLES[target])]))}\n`);
  const paintSupport = (support: TargetSupport, column: number) => {
    const text = support.support.padEnd(columns[column]!);
    return support.support === "full" ? output.paint("green", text) : support.support === "partial" ? output.paint("yellow", text) : output.paint("red", text);
  };
  for (const row of rows) {
    output.stdout(`${row.name.padEnd(width)}  ${MATRIX_TARGETS.map((target, index) => paintSupport(row.targets[target], index)).join("  ").trimEnd()}\n`);
  }
  const reasons = rows.flatMap((row) => MATRIX_TARGETS.flatMap((target) => {
    const support = row.targets[target];
    return support.support === "full" ? [] : [`- ${row.name} on ${TARGET_TITLES[target]} (${support.support}): ${support.reason}`];
  }));
  if (reasons.length > 0) output.stdout(`\n${reasons.join("\n")}\n`);
  return 0;
}
