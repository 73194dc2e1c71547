/** `turnpike synth`: writes the manifest and its schema, or prints every error and writes nothing. */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { compileManifest, manifestJsonSchema } from "../../constructs/index";
import { canonicalJson } from "../../constructs/manifest/canonical-json";
import { acmePlatform } from "../../stacks/acme";
import { REPO_ROOT, runCli, tempProject } from "../helpers/cli";

const GOOD_APP = `
import { Api, OpenApi, Plan, Platform, Product, apiKey } from "turnpike";
export default function app() {
  const shop = new Platform("shop");
  const free = new Plan(shop, "free", { rateLimit: { requests: 5 } });
  const items = new Api(shop, "items", {
    version: "1.2.3",
    contract: OpenApi.fromFile("apis/items.json"),
    upstream: { targets: [{ url: "http://items.internal" }] },
    policies: [apiKey()],
  });
  new Product(shop, "catalog", { apis: [items], plans: [free] });
  return shop;
}
`;

const CONTRACT = JSON.stringify({
  openapi: "3.0.3",
  info: { title: "Items", version: "1.2.3" },
  security: [{ key: [] }],
  paths: { "/items": { get: { operationId: "listItems", responses: { "200": { description: "ok" } } } } },
  components: { securitySchemes: { key: { type: "apiKey", in: "header", name: "X-API-Key" } } },
});

function goodProject(app = GOOD_APP): string {
  return tempProject({ "turnpike.json": JSON.stringify({ app: "stacks/app.ts" }), "stacks/app.ts": app, "apis/items.json": CONTRACT });
}

describe("turnpike synth", () => {
  it("writes dist/manifest.json (canonical JSON) and dist/manifest.schema.json", async () => {
    const root = goodProject();
    const run = await runCli(["synth"], root);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    const manifest = JSON.parse(readFileSync(join(root, "dist/manifest.json"), "utf8"));
    expect(manifest.metadata.revision).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(readFileSync(join(root, "dist/manifest.json"), "utf8")).toBe(canonicalJson(manifest));
    expect(JSON.parse(readFileSync(join(root, "dist/manifest.schema.json"), "utf8"))).toEqual(JSON.parse(canonicalJson(manifestJsonSchema())));
    expect(run.stdout).toBe(
      `✔ shop: 1 APIs, 1 operations, 1 plans, 1 products, 0 consumers, 0 SLOs\n  revision ${manifest.metadata.revision}\n  wrote dist/manifest.json\n  wrote dist/manifest.schema.json\n  wrote dist/portal/ (developer portal, 29 files)\n  wrote dist/observability/ (Grafana dashboards and Prometheus rules, 3 files)\n`,
    );
  });

  it("finds turnpike.json from a subdirectory and honours --out", async () => {
    const root = goodProject();
    const run = await runCli(["--out", "build", "synth"], join(root, "stacks"));
    expect(run.code).toBe(0);
    expect(existsSync(join(root, "build/manifest.json"))).toBe(true);
  });

  it("prints every error readably, exits 1 and leaves the previous manifest untouched", async () => {
    const root = goodProject(GOOD_APP.replace("requests: 5", "requests: 0").replace('"1.2.3"', '"1.2"').replace("policies: [apiKey()],", 'policies: [apiKey()], operations: { listItem: {} },'));
    const before = "previous manifest\n";
    mkdirSync(join(root, "dist"));
    writeFileSync(join(root, "dist/manifest.json"), before);
    const run = await runCli(["synth"], root);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      [
        "error[invalid-policy] shop/free/rateLimit › requests",
        "  rateLimit: Too small: expected number to be >0",
        "  expected: > 0",
        "  got:      0",
        "",
        "error[unknown-operation] shop/items › operations.listItem",
        '  operationId "listItem" is not in the contract apis/items.json',
        '  expected: one of "listItems"',
        '  got:      "listItem"',
        '  fix:      did you mean "listItems"?',
        "",
        "error[invalid-props] shop/items › version",
        "  a semantic version MAJOR.MINOR.PATCH, e.g. 1.4.0",
        '  got:      "1.2"',
        "",
        "✖ 3 errors, 0 warnings: no manifest written",
        "",
      ].join("\n"),
    );
    expect(readFileSync(join(root, "dist/manifest.json"), "utf8")).toBe(before);
  });

  it("prints the result and problems as JSON with --json", async () => {
    const ok = await runCli(["synth", "--json"], goodProject());
    const reported = JSON.parse(ok.stdout) as { files: string[] };
    expect(reported).toEqual({ ok: true, revision: expect.stringMatching(/^sha256:/), files: expect.any(Array), diagnostics: [] });
    // The manifest and its schema, then the portal (asset names carry content hashes), then the dashboards and rules.
    expect(reported.files.slice(0, 2)).toEqual(["dist/manifest.json", "dist/manifest.schema.json"]);
    expect(reported.files.slice(2).every((file) => file.startsWith("dist/portal/") || file.startsWith("dist/observability/"))).toBe(true);
    expect(reported.files.filter((file) => file.startsWith("dist/observability/"))).toEqual(["dist/observability/grafana/overview.json", "dist/observability/grafana/items-v1.json", "dist/observability/prometheus/rules.yaml"]);
    expect(reported.files).toEqual(expect.arrayContaining(["dist/portal/index.html", "dist/portal/catalog/index.html", "dist/portal/apis/items-v1/index.html", expect.stringMatching(/^dist\/portal\/assets\/portal\.[0-9a-f]{12}\.css$/)]));

    const failed = await runCli(["synth", "--json"], goodProject(GOOD_APP.replace("requests: 5", "requests: 0")));
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toEqual({
      ok: false,
      revision: null,
      files: [],
      diagnostics: [{ severity: "error", code: "invalid-policy", path: "shop/free/rateLimit", field: "requests", message: "rateLimit: Too small: expected number to be >0", expected: "> 0", received: "0" }],
    });
  });

  it("reports an exception thrown by the declaration with its line", async () => {
    const root = goodProject(GOOD_APP.replace('new Product(shop, "catalog"', 'new Plan(shop, "free");\n  new Product(shop, "catalog"'));
    const run = await runCli(["synth"], root);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("error[declaration] There is already a Construct with name 'free' in Platform [shop]\n  at: stacks/app.ts:12:3\n");
  });

  it("explains a missing project file, a missing app module and an app without a Platform", async () => {
    const bare = mkdtempSync(join(tmpdir(), "turnpike-bare-"));
    expect(await runCli(["synth"], bare)).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error no turnpike\.json found in .* or above; create one with \{"app": "stacks\/platform\.ts"\} or pass --app\n$/) });
    expect(await runCli(["synth"], tempProject({ "turnpike.json": '{"app":"stacks/nowhere.ts"}' }))).toMatchObject({ code: 2, stderr: 'error the app module stacks/nowhere.ts does not exist (set "app" in turnpike.json)\n' });
    expect(await runCli(["synth"], tempProject({ "turnpike.json": '{"app":"app.ts"}', "app.ts": "export const answer = 42;" }))).toMatchObject({ code: 2, stderr: "error app.ts must export default a Platform, or a function returning one\n" });
    expect(await runCli(["synth"], tempProject({ "turnpike.json": '{"application":"app.ts"}' }))).toMatchObject({ code: 2, stderr: expect.stringContaining("app: Invalid input: expected string, received undefined") });
  });

  it("runs as the installed command on the example stack: same bytes as an in-process compile", async () => {
    const out = mkdtempSync(join(tmpdir(), "turnpike-out-"));
    const { stdout } = await promisify(execFile)(process.execPath, [join(REPO_ROOT, "cli/bin/turnpike.js"), "synth", "--out", out], { cwd: REPO_ROOT });
    expect(stdout).toMatch(/^✔ acme: 4 APIs, 19 operations, 3 plans, 2 products, 4 consumers, 4 SLOs\n/);
    const previous = process.cwd();
    process.chdir(REPO_ROOT);
    try {
      const { json } = await compileManifest(acmePlatform());
      expect(readFileSync(join(out, "manifest.json"), "utf8")).toBe(json);
    } finally {
      process.chdir(previous);
    }
  });
});
