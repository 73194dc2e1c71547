/**
 * `turnpike dev` (what `npm start` runs): compile `stacks/` and show what the gateway serves.
 * The bundled gateway is not part of this build yet, so dev stops after compiling and
 * printing the routes; it exits non-zero when the declaration has errors.
 */
import type { GatewayConfig } from "../../constructs/index";
import type { Project } from "../project";
import type { Output } from "../output";
import { reportSynth, synthesize } from "./synth";

export async function devCommand(project: Project, output: Output): Promise<number> {
  const outcome = await synthesize(project);
  const code = reportSynth(outcome, project, { json: false }, output);
  if (code !== 0) return code;
  output.stdout(`\n${routeTable(outcome.result.manifest!, output)}\n`);
  output.stdout(`\n${output.paint("dim", "This build compiles and validates the declaration; the gateway that serves it is not bundled yet.")}\n`);
  return 0;
}

/** A table of the routes the manifest declares, grouped by API. */
export function routeTable(manifest: GatewayConfig, output: Pick<Output, "paint">): string {
  const lines: string[] = [];
  const policyOf = new Map(manifest.spec.policies.map((instance) => [instance.id, instance.policy]));
  for (const api of manifest.spec.apis) {
    const upstream = api.upstream.mock ? "mock (from the contract's examples)" : api.upstream.targets.map((target) => target.url).join(", ");
    const lifecycle = api.lifecycle === "published" ? "" : ` [${api.lifecycle}${api.sunset ? `, sunset ${api.sunset}` : ""}]`;
    lines.push(`${output.paint("bold", `${api.title} ${api.version}`)}${lifecycle}  ${api.basePath} → ${upstream}`);
    for (const operation of api.operations) {
      const policies = [...new Set(operation.policies.map((id) => policyOf.get(id)))].join(", ");
      lines.push(`  ${operation.method.padEnd(7)} ${operation.route.padEnd(44)} ${operation.operationId.padEnd(18)} ${output.paint("dim", policies)}`);
    }
  }
  return lines.join("\n");
}
