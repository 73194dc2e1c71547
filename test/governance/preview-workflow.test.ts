/** .github/workflows/preview.yml: lint, diff and its comment, and pulumi preview on every pull request. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { REPO_ROOT } from "../helpers/cli";

interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly "continue-on-error"?: boolean;
  readonly env?: Record<string, string>;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
}

const workflow = parse(readFileSync(join(REPO_ROOT, ".github/workflows/preview.yml"), "utf8")) as {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, { steps: Step[] }>;
};
const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
const index = (predicate: (step: Step) => boolean) => steps.findIndex(predicate);

describe("the preview workflow", () => {
  it("runs on pull requests and may comment on them", () => {
    expect(Object.keys(workflow.on)).toEqual(["pull_request"]);
    expect(workflow.permissions["pull-requests"]).toBe("write");
  });

  it("checks out the full history, so the base branch can be compiled, then installs with npm ci", () => {
    const checkout = steps[index((step) => step.uses?.startsWith("actions/checkout@") === true)];
    expect(checkout?.with).toMatchObject({ "fetch-depth": 0 });
    expect(index((step) => step.run === "npm ci")).toBeGreaterThan(index((step) => step === checkout));
  });

  it("lints with GitHub annotations and diffs against the base branch into diff.md", () => {
    const install = index((step) => step.run === "npm ci");
    const lint = index((step) => step.run === "npx turnpike lint --format github");
    const diff = index((step) => step.run === 'npx turnpike diff --base "origin/$BASE_REF" --format markdown --report diff.md' && step.env?.BASE_REF === "${{ github.base_ref }}");
    expect(lint).toBeGreaterThan(install);
    expect(diff).toBeGreaterThan(install);
  });

  it("posts diff.md as one sticky comment, with a pinned action, even when the diff fails the job", () => {
    const diff = index((step) => step.run?.startsWith("npx turnpike diff") === true);
    const comment = index((step) => step.uses?.startsWith("marocchino/sticky-pull-request-comment@") === true);
    expect(comment).toBeGreaterThan(diff);
    expect(steps[comment]!.uses).toMatch(/@v\d+$/);
    expect(steps[comment]!.with).toMatchObject({ path: "diff.md" });
    expect(steps[comment]!.if).toContain("always()");
  });

  /** Runs a step's shell script with bash in a temporary directory, with `env`; returns its exit code, output and the diff.md it left. */
  function runStep(step: Step, env: Record<string, string>) {
    const dir = mkdtempSync(join(tmpdir(), "turnpike-workflow-step-"));
    try {
      const run = spawnSync("bash", ["-e", "-c", step.run!], { cwd: dir, env: { PATH: process.env.PATH, ...env }, encoding: "utf8" });
      let report: string | undefined;
      try {
        report = readFileSync(join(dir, "diff.md"), "utf8");
      } catch {
        report = undefined;
      }
      return { code: run.status, stdout: run.stdout, report };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("a lint failure hides neither the diff comment nor the Pulumi preview: lint and diff go on, and the last step fails the job for either", () => {
    const lint = steps[index((step) => step.run?.startsWith("npx turnpike lint") === true)]!;
    const diff = steps[index((step) => step.run?.startsWith("npx turnpike diff") === true)]!;
    expect(lint).toMatchObject({ id: "lint", "continue-on-error": true });
    expect(diff).toMatchObject({ id: "diff", "continue-on-error": true });
    const last = steps[steps.length - 1]!;
    expect(last.if).toBe("always() && (steps.lint.outcome == 'failure' || steps.diff.outcome == 'failure')");
    expect(last.env).toEqual({ LINT: "${{ steps.lint.outcome }}", DIFF: "${{ steps.diff.outcome }}" });
    expect(runStep(last, { LINT: "failure", DIFF: "success" })).toMatchObject({ code: 1, stdout: "::error::turnpike lint found errors (see the annotations and the lint step)\n" });
    expect(runStep(last, { LINT: "success", DIFF: "failure" })).toMatchObject({ code: 1, stdout: expect.stringMatching(/^::error::turnpike diff failed: a breaking contract change without a new major version/) });
  });

  it("replaces the comment with a note when the diff could not run (no diff.md), rather than leave an outdated verdict", () => {
    const diff = index((step) => step.run?.startsWith("npx turnpike diff") === true);
    const note = index((step) => step.if?.includes("steps.diff.outcome == 'failure'") === true && step.if.includes("hashFiles('diff.md') == ''"));
    const comment = index((step) => step.uses?.startsWith("marocchino/sticky-pull-request-comment@") === true);
    expect(note).toBeGreaterThan(diff);
    expect(comment).toBeGreaterThan(note);
    expect(steps[note]!.if).toContain("always()");
    const run = runStep(steps[note]!, { RUN_URL: "https://github.com/acme/apis/actions/runs/42" });
    expect(run.code).toBe(0);
    expect(run.report).toBe(
      '## Turnpike diff\n\n❌ `turnpike diff` could not compare this pull request with its base branch (a declaration that does not compile, or a missing base ref): see the "Diff against the base branch" step of [the workflow run](https://github.com/acme/apis/actions/runs/42).\n',
    );
  });

  it("runs pulumi preview with the official action (pinned major), commenting on the pull request", () => {
    const pulumi = steps.find((step) => step.uses?.startsWith("pulumi/actions@") === true);
    expect(pulumi?.uses).toMatch(/^pulumi\/actions@v\d+$/);
    expect(pulumi?.with).toMatchObject({ command: "preview", "comment-on-pr": true, policyPacks: "policies/infrastructure" });
  });
});
