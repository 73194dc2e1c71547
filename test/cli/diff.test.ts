/**
 * `turnpike diff --base <ref>` against real git histories made in the tests: a project is
 * committed, changed in the working tree, and diffed.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DiffReport } from "../../policies/governance/declaration-diff";
import { runCli, tempProject } from "../helpers/cli";
import { itemsContract } from "../helpers/declaration";
import { BASE_SETTINGS, changeProject, committedProject } from "../governance/diff-fixture";

type Paths = Record<string, Record<string, Record<string, unknown>>>;

/** The items contract without GET /health: a removed path, breaking. */
const withoutHealth = itemsContract((document) => delete (document.paths as Paths)["/health"]);
const pricierPro = { ...BASE_SETTINGS, proPlan: 'title: "Pro", rateLimit: { requests: 50, perSeconds: 1 }, pricing: { model: "flat", monthlyPrice: 59, currency: "USD" }' };

const baseCheckouts = () => readdirSync(tmpdir()).filter((name) => name.startsWith("turnpike-base-")).sort();

describe("turnpike diff", () => {
  it("reports a breaking contract change without a major version bump, plan and consumer changes, and artifacts; exits 1", async () => {
    const root = committedProject();
    changeProject(root, withoutHealth, { ...pricierPro, extra: 'new Consumer(p, "partner", { subscriptions: [{ product: commerce, plan: pro }] });' });
    const checkoutsBefore = baseCheckouts();
    const run = await runCli(["diff", "--base", "main", "--format", "json"], root);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("✖ breaking contract changes without a new major version: items-v1\n");
    const report = JSON.parse(run.stdout) as DiffReport;
    expect(report.base.ref).toBe("main");
    expect(report.breakingWithoutMajor).toEqual(["items-v1"]);
    expect(report.apis).toEqual([
      {
        id: "items-v1",
        status: "changed",
        version: { base: "1.0.0", head: "1.0.0" },
        contract: [{ kind: "path-removed", rating: "breaking", impact: "major", pointer: "/paths/~1health", side: "base", operation: null, message: "Path `/health` was removed." }],
        lifecycle: [],
        policies: [],
        breakingWithoutMajor: true,
      },
    ]);
    expect(report.plans).toEqual([
      {
        name: "pro",
        status: "changed",
        changes: [
          { field: "price", base: "49 USD/month", head: "59 USD/month", consumerAffecting: true },
          { field: "rate limit", base: "100/1s burst 100 per consumer", head: "50/1s burst 50 per consumer", consumerAffecting: true },
        ],
        consumerAffecting: true,
      },
    ]);
    expect(report.consumers).toEqual({ added: ["partner"], removed: [], changed: [] });
    // The manifest's revision changed: its ConfigMap is replaced, and the objects naming it change.
    expect(report.artifacts.added).toEqual([expect.stringMatching(/^kubernetes\/eu-west-1\/ConfigMap\/turnpike-manifest-[0-9a-f]+$/)]);
    expect(report.artifacts.removed).toEqual([expect.stringMatching(/^kubernetes\/eu-west-1\/ConfigMap\/turnpike-manifest-[0-9a-f]+$/)]);
    expect(report.artifacts.changed).toEqual(expect.arrayContaining(["aws/eu-west-1/items-v1.json", "kubernetes/eu-west-1/Deployment/turnpike-gateway"]));
    // The temporary checkout of the base is gone.
    expect(baseCheckouts()).toEqual(checkoutsBefore);
  });

  it("writes the Markdown report to --report", async () => {
    const root = committedProject();
    changeProject(root, withoutHealth, BASE_SETTINGS);
    const run = await runCli(["diff", "--base", "HEAD", "--report", "diff.md"], root);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("wrote diff.md: 1 API(s) changed, 1 breaking change(s), 0 plan(s) changed\n");
    const markdown = readFileSync(join(root, "diff.md"), "utf8");
    expect(markdown).toContain("## Turnpike diff: `HEAD` → working tree\n\n❌ **Breaking contract changes without a new major version: `items-v1`.**");
    expect(markdown).toContain("| 🔴 breaking | `path-removed` |  | `/paths/~1health` (base) | Path `/health` was removed. |");
  });

  it("exits 0 when the breaking contract ships as a new major version beside the old one", async () => {
    const root = committedProject();
    writeFileSync(join(root, "contracts/items-v2.json"), JSON.stringify(itemsContract((document) => {
      delete (document.paths as Paths)["/health"];
      (document.info as { version: string }).version = "2.0.0";
    })));
    changeProject(root, itemsContract(), {
      ...BASE_SETTINGS,
      extra: 'new Api(p, "items-v2", { name: "items", version: "2.0.0", owner: "team-items", contract: OpenApi.fromFile("contracts/items-v2.json"), upstream: { targets: [{ url: "http://items.internal:8080" }] }, policies: [apiKey()] });',
    });
    const run = await runCli(["diff", "--base", "main"], root);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("✅ No breaking contract change without a new major version.");
    expect(run.stdout).toContain("#### `items-v2` added (2.0.0)");
  });

  it("exits 1 with the errors when the base does not compile", async () => {
    const broken = itemsContract((document) => void ((document.paths as Paths)["/items"]!.get!.operationId = "createItem"));
    const root = committedProject(broken);
    changeProject(root, itemsContract(), BASE_SETTINGS);
    const run = await runCli(["diff", "--base", "main"], root);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error the declaration at main \([0-9a-f]{12}\) does not compile:\nshop\/items/);
  });

  describe("usage errors exit 2", () => {
    it.each<[string, string[], RegExp]>([
      ["an unknown ref", ["--base", "no-such-branch"], /--base "no-such-branch" is not a commit of this repository/],
      ["no --base", [], /--base needs a git ref to compare with, e.g. --base origin\/main/],
      ["an unknown format", ["--base", "main", "--format", "html"], /--format must be one of markdown, json; got "html"/],
    ])("%s", async (_name, args, message) => {
      const root = committedProject();
      const run = await runCli(["diff", ...args], root);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
    });

    it("a project outside git", async () => {
      const root = tempProject({ "turnpike.json": '{"app":"app.ts"}', "app.ts": 'import { Platform } from "turnpike";\nexport default () => new Platform("x");\n' });
      const run = await runCli(["diff", "--base", "main", "--report", "diff.md"], root);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/is not in a git repository: turnpike diff compares with a git ref/);
      expect(existsSync(join(root, "diff.md"))).toBe(false);
    });
  });
});
