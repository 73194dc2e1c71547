/**
 * `turnpike lint`: compile the declaration, then run the governance rules
 * (policies/governance/): every contract through Redocly with the shipped ruleset
 * (`recommended` plus the house rules), the model rules over the manifest, documentation
 * coverage per API, and each API's waivers. Exits 1 on any error.
 */
import { relative } from "node:path";
import { compileManifest } from "../../constructs/index";
import type { WaivedFinding } from "../../policies/governance/findings";
import { type GovernanceReport, lintGovernance } from "../../policies/governance/lint-governance";
import { type DiagnosticLike, formatDiagnostics, formatGithubAnnotations, summarize } from "../format-diagnostics";
import { loadPlatform } from "../load-app";
import { type Project, UsageError } from "../project";
import type { Output } from "../output";

export const LINT_FORMATS = ["human", "json", "github"] as const;
export type LintFormat = (typeof LINT_FORMATS)[number];

export interface LintOptions {
  /** `human` (default), `json`, or `github` (GitHub Actions annotations). */
  readonly format: LintFormat;
  /**
   * The date the sunset rule compares with.
   * @default the current date
   */
  readonly now?: Date;
}

/** Parses `--format` and `--today` as given on the command line; a bad value is a usage error (exit 2). */
export function lintOptions(raw: { format?: string; json?: boolean; today?: string }): LintOptions {
  const format = raw.json === true ? "json" : (raw.format ?? "human");
  if (!(LINT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${LINT_FORMATS.join(", ")}; got "${format}"`);
  let now: Date | undefined;
  if (raw.today !== undefined) {
    now = new Date(`${raw.today}T00:00:00Z`);
    // Date rolls impossible days over (2030-02-31 is 2030-03-03): the date must read back as given.
    if (!/^\d{4}-\d{2}-\d{2}$/.test(raw.today) || Number.isNaN(now.getTime()) || now.toISOString().slice(0, 10) !== raw.today) throw new UsageError(`--today is a date YYYY-MM-DD; got "${raw.today}"`);
  }
  return { format: format as LintFormat, now };
}

export async function lintCommand(project: Project, options: LintOptions, output: Output): Promise<number> {
  const platform = await loadPlatform(project);
  const result = await compileManifest(platform);
  const governance: GovernanceReport = result.manifest ? await lintGovernance(result.manifest, { root: project.root, now: options.now }) : { findings: [], waived: [], coverage: [] };
  const problems: DiagnosticLike[] = [...result.diagnostics, ...governance.findings];
  const failed = problems.some((problem) => problem.severity === "error");
  const summary = `lint: ${summarize(problems)}${governance.waived.length ? `, ${governance.waived.length} waived` : ""}`;
  switch (options.format) {
    case "json":
      output.stdout(`${JSON.stringify({ ok: !failed, diagnostics: problems, waived: governance.waived, coverage: governance.coverage }, null, 2)}\n`);
      break;
    case "github": {
      const app = relative(project.root, project.app);
      const notices = waiverGroups(governance.waived).map((group) => `::notice file=${app},title=waived ${group.rule} (${group.api})::${group.count} finding(s) waived: ${group.reason.replaceAll("%", "%25").replaceAll("\n", "%0A")}\n`);
      output.stdout(`${formatGithubAnnotations(problems, app)}${notices.join("")}${failed ? "✖" : "✔"} ${summary}\n`);
      break;
    }
    case "human": {
      if (problems.length) output.stderr(`${formatDiagnostics(problems, { color: output.color })}\n\n`);
      const lines: string[] = [];
      if (governance.coverage.length) {
        lines.push(`documentation coverage: ${governance.coverage.map((figure) => `${figure.api} ${figure.percent}%`).join(" · ")}`);
      }
      for (const group of waiverGroups(governance.waived)) {
        lines.push(`${output.paint("dim", "waived")} ${group.api} › ${group.rule} (${group.count} finding${group.count === 1 ? "" : "s"}): ${group.reason}`);
      }
      lines.push(`${failed ? output.paint("red", "✖") : output.paint("green", "✔")} ${summary}`);
      output.stdout(`${lines.join("\n")}\n`);
      break;
    }
  }
  return failed ? 1 : 0;
}

/** Waived findings grouped by API and rule, as the waivers were declared. */
function waiverGroups(waived: readonly WaivedFinding[]): { api: string; rule: string; reason: string; count: number }[] {
  const groups = new Map<string, { api: string; rule: string; reason: string; count: number }>();
  for (const finding of waived) {
    const key = `${finding.api} ${finding.code}`;
    const group = groups.get(key) ?? { api: finding.api, rule: finding.code, reason: finding.waiver, count: 0 };
    group.count += 1;
    groups.set(key, group);
  }
  return [...groups.values()];
}
