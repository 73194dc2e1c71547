/**
 * Runs Redocly's `diff` (the engine in @redocly/cli, pinned in package.json because the command
 * is marked experimental) on two OpenAPI documents and returns its JSON report.
 *
 * Spawned rather than imported: @redocly/cli is an ES-module command-line bundle with no
 * programmatic entry point (the diff engine sits in a content-hashed chunk), while its
 * `--format json` report is versioned (`reportVersion`), which is the interface we rely on.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One place in either document, as Redocly reports it. */
export interface RedoclyLocation {
  readonly file: string;
  /** `#/paths/~1items/get/...` */
  readonly pointer: string;
  readonly line?: number;
  readonly col?: number;
}

export interface RedoclyVerdict {
  /** The rule, e.g. `parameter-removed`, `enum-values-removed`. */
  readonly ruleId: string;
  readonly impact: "major" | "minor" | "patch";
  readonly message: string;
  readonly location: RedoclyLocation;
}

export interface RedoclyChange {
  /** Where the change is, through the paths (`#/paths/~1items/get/parameters/0`). */
  readonly path: string;
  /** OpenAPI node type, e.g. `Parameter`, `Schema`, `Operation`. */
  readonly typeName: string;
  readonly kind: "added" | "removed" | "modified";
  readonly impact: "major" | "minor" | "patch";
  readonly verdicts: readonly RedoclyVerdict[];
  /** The property that changed, for `modified`. */
  readonly property?: string;
  readonly base?: RedoclyLocation;
  readonly revision?: RedoclyLocation;
}

export interface RedoclyDiffReport {
  readonly reportVersion: string;
  readonly changes: readonly RedoclyChange[];
}

/** The report version this module reads; another one is refused rather than misread. */
const REPORT_VERSION = "1";

/** File names the documents are written as: they appear in the report's locations. */
export const BASE_FILE = "base.json";
export const REVISION_FILE = "revision.json";

export async function runRedoclyDiff(base: Record<string, unknown>, revision: Record<string, unknown>): Promise<RedoclyDiffReport> {
  const dir = mkdtempSync(join(tmpdir(), "turnpike-diff-"));
  try {
    writeFileSync(join(dir, BASE_FILE), JSON.stringify(base, null, 2));
    writeFileSync(join(dir, REVISION_FILE), JSON.stringify(revision, null, 2));
    const cli = require.resolve("@redocly/cli/bin/cli.js");
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [cli, "diff", BASE_FILE, REVISION_FILE, "--format", "json", "--fail-on", "none", "--lint-config", "off"],
        // No telemetry or update check: CI runs may have no network, and the answer must not depend on it.
        { cwd: dir, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" } },
        (error, out, err) => (error ? reject(new Error(`redocly diff failed (${error.code ?? error.message}): ${err.trim().split("\n").slice(-5).join("\n")}`)) : resolve(out)),
      );
    });
    let report: RedoclyDiffReport;
    try {
      report = JSON.parse(stdout) as RedoclyDiffReport;
    } catch {
      throw new Error(`redocly diff printed no JSON report: ${stdout.slice(0, 200)}`);
    }
    if (report.reportVersion !== REPORT_VERSION) throw new Error(`redocly diff report version ${report.reportVersion} is not the supported ${REPORT_VERSION}; update policies/governance/redocly-diff.ts with @redocly/cli`);
    return report;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
