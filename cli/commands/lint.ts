/**
 * `turnpike lint`: compile the declaration, then lint every contract with Redocly's
 * `recommended` ruleset. Exits non-zero on any error.
 */
import { relative } from "node:path";
import { createConfig, getLineColLocation, lint } from "@redocly/openapi-core";
import { compileManifest, type Diagnostic } from "../../constructs/index";
import { formatDiagnostics, summarize } from "../format-diagnostics";
import { loadPlatform } from "../load-app";
import type { Project } from "../project";
import type { Output } from "../output";

export async function lintCommand(project: Project, options: { json: boolean }, output: Output): Promise<number> {
  const platform = await loadPlatform(project);
  const result = await compileManifest(platform);
  const diagnostics: Diagnostic[] = [...result.diagnostics];
  if (result.manifest) {
    const config = await createConfig({ extends: ["recommended"] });
    for (const api of result.manifest.spec.apis) {
      if (api.contract.source === null) continue;
      const problems = await lint({ ref: `${project.root}/${api.contract.source}`, config });
      for (const problem of problems) {
        const location = problem.location[0];
        const start = location ? getLineColLocation(location).start : undefined;
        diagnostics.push({
          severity: problem.severity === "error" ? "error" : "warning",
          code: "contract-invalid",
          path: api.declaredAt,
          field: "contract",
          message: `${problem.message} (${problem.ruleId})`,
          file: location ? relative(project.root, location.source.absoluteRef) : api.contract.source,
          pointer: location?.pointer,
          line: start?.line,
          column: start?.col,
        });
      }
    }
  }
  const failed = diagnostics.some((diagnostic) => diagnostic.severity === "error");
  if (options.json) {
    output.stdout(`${JSON.stringify({ ok: !failed, diagnostics }, null, 2)}\n`);
  } else {
    if (diagnostics.length) output.stderr(`${formatDiagnostics(diagnostics, { color: output.color })}\n\n`);
    output.stdout(`${failed ? output.paint("red", "✖") : output.paint("green", "✔")} lint: ${summarize(diagnostics)}\n`);
  }
  return failed ? 1 : 0;
}
