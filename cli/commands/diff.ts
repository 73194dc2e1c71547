/**
 * `turnpike diff --base <ref>`: what this change does to consumers and infrastructure. Compiles
 * the declaration at the git ref (in a temporary checkout) and in the working tree, and reports
 * contract changes rated breaking or not, plan, policy, lifecycle and consumer changes, and the
 * synthesized artifacts that change, as Markdown (for a pull-request comment) or JSON.
 *
 * Exit codes: 1 when a breaking contract change lands without a new major version (or a side
 * does not compile), 0 otherwise, 2 for usage errors (unknown ref, bad format).
 */
import { relative, resolve } from "node:path";
import { compileManifest } from "../../constructs/index";
import { BaseCompileError, BaseRefError, checkoutBase, synthesizeBase } from "../../policies/governance/base-checkout";
import { type DiffReport, diffDeclarations } from "../../policies/governance/declaration-diff";
import { type DeclarationSnapshot, snapshotFromCompile } from "../../policies/governance/declaration-snapshot";
import { renderDiffMarkdown } from "../../policies/governance/diff-markdown";
import { formatDiagnostics, summarize } from "../format-diagnostics";
import { loadPlatform } from "../load-app";
import { type Project, UsageError } from "../project";
import type { Output } from "../output";
import { writeFileAtomic } from "../write-artifacts";

export const DIFF_FORMATS = ["markdown", "json"] as const;

export interface DiffOptions {
  /** Git ref to compare the working tree with, e.g. `origin/main`. */
  readonly base: string;
  /** `markdown` (default) or `json`. */
  readonly format: (typeof DIFF_FORMATS)[number];
  /**
   * File to write the report to, relative to the current directory.
   * @default stdout
   */
  readonly out?: string;
  /** `--app` as given on the command line: the base is compiled with the same module. */
  readonly app?: string;
}

/** Checks the command line's options; a bad value is a usage error (exit 2). */
export function diffOptions(raw: { base?: string; format: string; out?: string; app?: string }): DiffOptions {
  if (!(DIFF_FORMATS as readonly string[]).includes(raw.format)) throw new UsageError(`--format must be one of ${DIFF_FORMATS.join(", ")}; got "${raw.format}"`);
  // Checked here rather than by commander, so a missing ref is a usage error (exit 2) like the others.
  if (raw.base === undefined || raw.base.trim() === "" || raw.base.startsWith("-")) throw new UsageError(`--base needs a git ref to compare with, e.g. --base origin/main${raw.base === undefined ? "" : `; got "${raw.base}"`}`);
  return { base: raw.base, format: raw.format as DiffOptions["format"], out: raw.out, app: raw.app };
}

export async function diffCommand(project: Project, options: DiffOptions, output: Output): Promise<number> {
  const head = await compileHead(project, output);
  if (!head) return 1;
  let checkout;
  try {
    checkout = checkoutBase(project.root, options.base);
  } catch (error) {
    if (error instanceof BaseRefError) throw new UsageError(error.message);
    throw error;
  }
  let report: DiffReport;
  try {
    const base = await synthesizeBase(checkout.root, options.app === undefined ? undefined : relative(project.root, project.app));
    report = await diffDeclarations(base, head, options.base);
  } catch (error) {
    if (!(error instanceof BaseCompileError)) throw error;
    output.stderr(`${output.paint(["bold", "red"], "error")} the declaration at ${options.base} (${checkout.commit.slice(0, 12)}) does not compile:\n${error.message}\n`);
    return 1;
  } finally {
    checkout.dispose();
  }
  const text = options.format === "json" ? `${JSON.stringify(report, null, 2)}\n` : renderDiffMarkdown(report);
  if (options.out === undefined) {
    output.stdout(text);
  } else {
    writeFileAtomic(resolve(options.out), text);
    const breaking = report.apis.reduce((sum, api) => sum + api.contract.filter((change) => change.rating === "breaking").length, 0);
    output.stdout(`wrote ${options.out}: ${report.apis.length} API(s) changed, ${breaking} breaking change(s), ${report.plans.length} plan(s) changed\n`);
  }
  if (report.breakingWithoutMajor.length) {
    output.stderr(`${output.paint(["bold", "red"], "✖")} breaking contract changes without a new major version: ${report.breakingWithoutMajor.join(", ")}\n`);
    return 1;
  }
  return 0;
}

/** The working tree's snapshot, or `undefined` (with the errors printed) when it does not compile. */
async function compileHead(project: Project, output: Output): Promise<DeclarationSnapshot | undefined> {
  const result = await compileManifest(await loadPlatform(project));
  if (result.manifest) return await snapshotFromCompile(result);
  output.stderr(`${formatDiagnostics(result.diagnostics, { color: output.color })}\n\n${output.paint(["bold", "red"], "✖")} the working tree's declaration does not compile: ${summarize(result.diagnostics)}\n`);
  return undefined;
}
