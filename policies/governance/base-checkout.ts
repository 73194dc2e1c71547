/**
 * The declaration at a git ref, for `turnpike diff`: the ref's tree is extracted into a
 * temporary directory and compiled there by a separate `turnpike synth`.
 *
 * `git archive` rather than `git worktree add`: it only reads the repository, so a diff never
 * leaves worktree records behind (or fails on a stale one) in the user's `.git`. A separate
 * process, because the base declaration imports the base's own copy of Turnpike (in this
 * repository, `stacks/` imports `../constructs`): loading two copies of the constructs into one
 * process would mix their classes, and the base must be compiled by the code it was written for.
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { type DeclarationSnapshot, snapshotFromSynthDir } from "./declaration-snapshot";

/** The running turnpike command: used for a base that brings none of its own. */
const RUNNING_CLI = resolve(__dirname, "../../cli/bin/turnpike.js");

export interface BaseCheckout {
  /** The commit the ref names. */
  readonly commit: string;
  /** The project root inside the checkout (the same place relative to the repository as the working tree's). */
  readonly root: string;
  /** Removes the checkout. */
  dispose(): void;
}

/** Extracts `ref` of the repository holding `projectRoot` into a temporary directory. */
export function checkoutBase(projectRoot: string, ref: string): BaseCheckout {
  const git = (args: string[]) => spawnSync("git", args, { cwd: projectRoot, encoding: "utf8", maxBuffer: 1024 * 1024 });
  const top = git(["rev-parse", "--show-toplevel"]);
  if (top.error) throw new BaseRefError(`turnpike diff needs git: ${top.error.message}`);
  if (top.status !== 0) throw new BaseRefError(`${projectRoot} is not in a git repository: turnpike diff compares with a git ref`);
  const commit = git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  if (commit.status !== 0) throw new BaseRefError(`--base ${JSON.stringify(ref)} is not a commit of this repository (with GitHub Actions, check out with fetch-depth: 0)`);
  const repository = top.stdout.trim();
  const directory = mkdtempSync(join(tmpdir(), "turnpike-base-"));
  try {
    const archive = spawnSync("git", ["archive", "--format=tar", commit.stdout.trim()], { cwd: repository, maxBuffer: 2 * 1024 * 1024 * 1024 });
    if (archive.status !== 0) throw new Error(`git archive ${ref} failed: ${archive.stderr.toString().trim()}`);
    execFileSync("tar", ["-x", "-C", directory], { input: archive.stdout });
    const root = join(directory, relative(repository, projectRoot));
    mkdirSync(root, { recursive: true });
    // Dependencies are not in git: the base uses the working tree's node_modules.
    for (const dir of new Set([projectRoot, repository])) {
      const modules = join(dir, "node_modules");
      const link = join(directory, relative(repository, dir), "node_modules");
      if (existsSync(modules) && !existsSync(link)) symlinkSync(modules, link, "dir");
    }
    return { commit: commit.stdout.trim(), root, dispose: () => rmSync(directory, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The turnpike command the base brings: its own `cli/bin/turnpike.js` when the checkout is
 * Turnpike itself, else the `turnpike` package in its node_modules, else the running one.
 */
export function baseCli(root: string): string {
  const own = join(root, "cli/bin/turnpike.js");
  const manifest = join(root, "package.json");
  if (existsSync(own) && existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "turnpike") return own;
  try {
    return require.resolve("turnpike/cli/bin/turnpike.js", { paths: [root] });
  } catch {
    return RUNNING_CLI;
  }
}

/**
 * Compiles the declaration at `root` with `turnpike synth` into a temporary directory and reads
 * the result. `app` is the declaration module relative to the root when it was given with
 * --app (else the base's turnpike.json decides).
 */
export async function synthesizeBase(root: string, app: string | undefined): Promise<DeclarationSnapshot> {
  const output = mkdtempSync(join(tmpdir(), "turnpike-base-out-"));
  try {
    const args = [baseCli(root), "--out", output, ...(app === undefined ? [] : ["--app", app]), "synth", "--json"];
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(process.execPath, args, { cwd: root, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1" } }, (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
      );
    });
    if (run.code !== 0) throw new BaseCompileError(describeFailure(run.stdout, run.stderr));
    return snapshotFromSynthDir(output);
  } finally {
    rmSync(output, { recursive: true, force: true });
  }
}

/** The ref cannot be checked out (no git, not a repository, unknown ref): a usage problem. */
export class BaseRefError extends Error {}

/** The base ref's declaration does not compile. */
export class BaseCompileError extends Error {}

function describeFailure(stdout: string, stderr: string): string {
  try {
    const result = JSON.parse(stdout) as { diagnostics?: { severity: string; path: string; field?: string; message: string }[] };
    const errors = (result.diagnostics ?? []).filter((diagnostic) => diagnostic.severity === "error");
    if (errors.length) return errors.map((error) => `${error.path}${error.field ? ` › ${error.field}` : ""}: ${error.message}`).join("\n");
  } catch {
    // not JSON: the command failed before compiling (e.g. the module threw)
  }
  return (stderr.trim() || stdout.trim()).split("\n").slice(-10).join("\n");
}
