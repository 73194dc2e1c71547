/** `turnpike policies`: the policies, where they attach and the phases they act in, from code. */
import { POLICIES } from "../../policies/index";
import type { Output } from "../output";

export function policiesCommand(options: { json: boolean }, output: Output): number {
  const rows = POLICIES.map((policy) => ({
    name: policy.name,
    phases: [...policy.phases],
    priority: policy.priority,
    levels: policy.levels.length ? [...policy.levels] : ["(added by the compiler)"],
    summary: policy.summary,
  }));
  if (options.json) {
    output.stdout(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  const width = Math.max(...rows.map((row) => row.name.length));
  for (const row of rows) {
    output.stdout(`${output.paint("bold", row.name.padEnd(width))}  ${row.summary}\n${" ".repeat(width)}  ${output.paint("dim", `phases: ${row.phases.join(", ")} · attaches to: ${row.levels.join(", ")}`)}\n`);
  }
  return 0;
}
