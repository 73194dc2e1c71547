/** `turnpike lint` with the governance rules: formats, waivers, the injected date, exit codes. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempProject } from "../helpers/cli";
import { compliantContract, operations } from "../governance/compliant-contract";

type Json = Record<string, unknown>;

/** A project with one items API on `contract`; `props` are more of the Api's props (TypeScript source). */
function project(contract: Json, props = ""): string {
  return tempProject({
    "turnpike.json": '{"app":"app.ts"}',
    "contracts/items.json": JSON.stringify(contract, null, 2),
    "app.ts": `import { Api, OpenApi, Plan, Platform, Product, apiKey } from "turnpike";
export default () => {
  const p = new Platform("shop");
  const items = new Api(p, "items", { version: "1.0.0", owner: "team-items", contract: OpenApi.fromFile("contracts/items.json"), upstream: { targets: [{ url: "http://items.internal:8080" }] }, policies: [apiKey()]${props} });
  new Product(p, "commerce", { title: "Commerce", apis: [items], plans: [new Plan(p, "free", { title: "Free", rateLimit: { requests: 10, perSeconds: 1 } })] });
  return p;
};
`,
  });
}

/** Without its public health check, so operation-auth holds for every operation. */
const secured = (change: (document: Json) => void = () => {}) =>
  compliantContract((document) => {
    for (const [, , operation] of operations(document)) delete operation.security;
    change(document);
  });
const withoutSummary = secured((document) => delete ((document.paths as Record<string, Record<string, Json>>)["/items"]!.get!.summary));

/** 1-based line of the first line of `file`'s text containing `text`. */
function lineOf(root: string, file: string, text: string): number {
  return readFileSync(join(root, file), "utf8").split("\n").findIndex((line) => line.includes(text)) + 1;
}

describe("turnpike lint (governance)", () => {
  it("passes a compliant project and prints its documentation coverage", async () => {
    const run = await runCli(["lint"], project(secured()));
    expect(run).toEqual({ code: 0, stderr: "", stdout: "documentation coverage: items-v1 100%\n✔ lint: 0 errors, 0 warnings\n" });
  });

  it("--format github prints one annotation per problem, with file and line for contract findings; exits 1", async () => {
    const root = project(withoutSummary, ", owner: undefined");
    const run = await runCli(["lint", "--format", "github"], root);
    const line = lineOf(root, "contracts/items.json", '"get": {');
    expect(run).toEqual({
      code: 1,
      stderr: "",
      stdout:
        `::error file=contracts/items.json,line=${line},col=7,title=operation-summary (shop/items)::Operation object should contain \`summary\` field.\n` +
        '::error file=app.ts,title=api-owner (shop/items)::the API has no owner%0Afix: set owner, e.g. owner: "team-orders"\n' +
        "✖ lint: 2 errors, 0 warnings\n",
    });
  });

  it("shows waived findings with their reason, in every format, and does not count them", async () => {
    const root = project(withoutSummary, ', governance: { waive: [{ rule: "operation-summary", reason: "the list is self-explanatory" }] }');
    const human = await runCli(["lint"], root);
    expect(human).toEqual({
      code: 0,
      stderr: "",
      stdout: "documentation coverage: items-v1 94.7%\nwaived items-v1 › operation-summary (1 finding): the list is self-explanatory\n✔ lint: 0 errors, 0 warnings, 1 waived\n",
    });
    const github = await runCli(["lint", "--format", "github"], root);
    expect(github.stdout).toBe("::notice file=app.ts,title=waived operation-summary (items-v1)::1 finding(s) waived: the list is self-explanatory\n✔ lint: 0 errors, 0 warnings, 1 waived\n");
    const json = JSON.parse((await runCli(["lint", "--format", "json"], root)).stdout) as { ok: boolean; diagnostics: unknown[]; waived: Json[]; coverage: Json[] };
    expect(json.ok).toBe(true);
    expect(json.diagnostics).toEqual([]);
    expect(json.waived).toEqual([expect.objectContaining({ code: "operation-summary", api: "items-v1", file: "contracts/items.json", waiver: "the list is self-explanatory" })]);
    expect(json.coverage).toEqual([{ api: "items-v1", documented: 18, total: 19, percent: 94.7 }]);
  });

  it("keeps --json as --format json", async () => {
    const root = project(withoutSummary);
    const alias = await runCli(["lint", "--json"], root);
    expect(alias.code).toBe(1);
    expect(alias.stdout).toBe((await runCli(["lint", "--format", "json"], root)).stdout);
  });

  it("--today sets the date the sunset rule compares with", async () => {
    const root = project(secured(), ', lifecycle: "deprecated", sunset: "2030-01-31", successor: undefined, governance: { waive: [{ rule: "deprecation-successor", reason: "no replacement: the items service is being shut down" }] }');
    expect((await runCli(["lint", "--today", "2030-01-30"], root)).code).toBe(0);
    const late = await runCli(["lint", "--today", "2030-01-31", "--json"], root);
    expect(late.code).toBe(1);
    expect((JSON.parse(late.stdout) as { diagnostics: Json[] }).diagnostics).toEqual([
      expect.objectContaining({ code: "deprecation-sunset", severity: "error", message: "the sunset date 2030-01-31 has passed (today is 2030-01-31): the API is still served past the date consumers were promised" }),
    ]);
  });

  it.each([
    [["--format", "sarif"], 'error --format must be one of human, json, github; got "sarif"\n'],
    [["--today", "31/01/2030"], 'error --today is a date YYYY-MM-DD; got "31/01/2030"\n'],
    [["--today", "2030-02-31"], 'error --today is a date YYYY-MM-DD; got "2030-02-31"\n'],
  ])("refuses %j with exit code 2", async (args, message) => {
    expect(await runCli(["lint", ...args], project(secured()))).toEqual({ code: 2, stdout: "", stderr: message });
  });
});
