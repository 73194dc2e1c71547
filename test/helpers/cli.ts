/** Runs the turnpike CLI in-process with captured output, in a project directory of the test's making. */
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { main } from "../../cli/main";
import type { Output } from "../../cli/output";

export const REPO_ROOT = resolve(__dirname, "../..");

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `turnpike <args>` with the working directory set to `cwd`. */
export async function runCli(args: string[], cwd: string): Promise<CliRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const output: Output = {
    color: false,
    stdout: (text) => void stdout.push(text),
    stderr: (text) => void stderr.push(text),
    paint: (_style, text) => text,
  };
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    const code = await main(["node", "turnpike", ...args], output);
    return { code, stdout: stdout.join(""), stderr: stderr.join("") };
  } finally {
    process.chdir(previous);
  }
}

/**
 * A project in a temporary directory: `files` maps relative paths to contents. Declaration
 * modules import Turnpike as `turnpike`, rewritten to the repository's constructs.
 */
export function tempProject(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "turnpike-project-"));
  for (const [path, contents] of Object.entries(files)) {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, contents.replaceAll('from "turnpike"', `from ${JSON.stringify(join(REPO_ROOT, "constructs/index"))}`));
  }
  return root;
}
