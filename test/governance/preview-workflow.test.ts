/** .github/workflows/preview.yml: lint, diff and its comment, and pulumi preview on every pull request. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { REPO_ROOT } from "../helpers/cli";

interface Step {
  readonly name?: string;
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
    const diff = index((step) => step.run === "npx turnpike diff --base origin/${{ github.base_ref }} --format markdown --report diff.md");
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

  it("runs pulumi preview with the official action (pinned major), commenting on the pull request", () => {
    const pulumi = steps.find((step) => step.uses?.startsWith("pulumi/actions@") === true);
    expect(pulumi?.uses).toMatch(/^pulumi\/actions@v\d+$/);
    expect(pulumi?.with).toMatchObject({ command: "preview", "comment-on-pr": true });
  });
});
