/** Waivers applied to findings, and the documentation coverage figure. */
import { OpenApi } from "../../constructs/index";
import { documentationCoverage } from "../../policies/governance/documentation-coverage";
import { type Finding, applyWaivers } from "../../policies/governance/findings";
import { compileOk, itemsApi, itemsContract, testPlatform } from "../helpers/declaration";

const finding = (code: string, api = "items-v1"): Finding => ({ severity: "error", code, api, path: "acme/items", message: code });

describe("applyWaivers", () => {
  it("hides the findings of a waived rule for that API only, keeping the reason, and warns about waivers that hide nothing", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { governance: { waive: [{ rule: "operation-description", reason: "generated reference" }, { rule: "api-ownr", reason: "typo" }] } });
    itemsApi(platform, "other", { basePath: "/other/v1" });
    const manifest = await compileOk(platform);
    const outcome = applyWaivers(manifest, [finding("operation-description"), finding("operation-description", "other-v1"), finding("operation-summary")]);
    expect(outcome.findings.map((kept) => [kept.api, kept.code])).toEqual([
      ["other-v1", "operation-description"],
      ["items-v1", "operation-summary"],
    ]);
    expect(outcome.waived).toEqual([{ ...finding("operation-description"), waiver: "generated reference" }]);
    expect(outcome.unused).toEqual([
      {
        severity: "warning",
        code: "waiver-unused",
        api: "items-v1",
        path: "acme/items",
        field: "governance.waive",
        message: 'the waiver of "api-ownr" hides no finding: the API follows the rule now, or the rule id is misspelt',
        fix: 'remove the waiver of "api-ownr"',
      },
    ]);
  });
});

describe("documentationCoverage", () => {
  it("counts summaries, descriptions, parameter descriptions and body examples per operation", async () => {
    const platform = testPlatform();
    itemsApi(platform);
    const api = (await compileOk(platform)).spec.apis[0]!;
    // 5 operations: 5 summaries (present), 5 descriptions (absent), 4 parameters (limit, Idempotency-Key, and the path-level itemId of getItem and deleteItem), 1 request body, 4 success bodies (no examples).
    expect(documentationCoverage(api)).toEqual({ api: "items-v1", documented: 5, total: 5 + 5 + 4 + 1 + 4, percent: 26.3 });
  });

  it("is 100% for a fully documented contract, following $refs", async () => {
    const platform = testPlatform();
    const documented = itemsContract((document) => {
      const paths = document.paths as Record<string, Record<string, Record<string, unknown>>>;
      for (const item of Object.values(paths)) {
        for (const parameter of (item.parameters as unknown as Record<string, unknown>[] | undefined) ?? []) parameter.description = "A parameter.";
        for (const [method, operation] of Object.entries(item)) {
          if (method === "parameters") continue;
          operation.description = "What it does.";
          for (const parameter of (operation.parameters as Record<string, unknown>[] | undefined) ?? []) parameter.description = "A parameter.";
          const bodies = [operation.requestBody, ...Object.entries(operation.responses as Record<string, unknown>).filter(([status]) => status.startsWith("2")).map(([, response]) => response)];
          for (const body of bodies) for (const media of Object.values((body as { content?: Record<string, Record<string, unknown>> } | undefined)?.content ?? {})) media.example = {};
        }
      }
    });
    itemsApi(platform, "items", { contract: OpenApi.fromDocument(documented) });
    expect(documentationCoverage((await compileOk(platform)).spec.apis[0]!)).toMatchObject({ documented: 19, total: 19, percent: 100 });
  });
});
