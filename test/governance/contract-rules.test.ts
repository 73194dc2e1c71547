/**
 * The shipped contract ruleset (policies/governance/redocly.yaml): each house rule with a
 * contract that follows it and one that does not.
 */
import { OpenApi } from "../../constructs/index";
import { checkContractRules } from "../../policies/governance/contract-rules";
import { REPO_ROOT } from "../helpers/cli";
import { compileOk, itemsApi, testPlatform } from "../helpers/declaration";
import { type Operation, compliantContract, operations } from "./compliant-contract";

type Json = Record<string, unknown>;

function operation(document: Json, path: string, method: string): Operation {
  return (document.paths as Record<string, Record<string, Operation>>)[path]![method]!;
}

/**
 * Lints `document` as the contract of a compiled API. The API is compiled with the compliant
 * contract and given `document` afterwards, so the ruleset also sees what compile itself
 * refuses (duplicate operationIds).
 */
async function lintContract(document: Json) {
  const platform = testPlatform();
  itemsApi(platform, "items", { contract: OpenApi.fromDocument(compliantContract()) });
  const compiled = (await compileOk(platform)).spec.apis[0]!;
  const api = { ...compiled, contract: { ...compiled.contract, document } };
  return (await checkContractRules(api, REPO_ROOT)).map(({ code, severity, pointer }) => ({ code, severity, pointer }));
}

describe("the shipped contract ruleset", () => {
  it("passes a contract that follows every house rule", async () => {
    expect(await lintContract(compliantContract())).toEqual([]);
  });

  it.each<[string, (document: Json) => void, string]>([
    ["operation-summary", (document) => delete operation(document, "/items", "get").summary, "/paths/~1items/get/summary"],
    ["operation-description", (document) => delete operation(document, "/items", "get").description, "/paths/~1items/get/description"],
    ["rule/operation-id-camel-case", (document) => void (operation(document, "/items", "get").operationId = "list_items"), "/paths/~1items/get/operationId"],
    ["operation-operationId-unique", (document) => void (operation(document, "/items", "post").operationId = "listItems"), "/paths/~1items/post/listItems" /* sic: Redocly points at the value */],
    ["operation-4xx-response", (document) => delete operation(document, "/health", "get").responses["400"], "/paths/~1health/get/responses"],
    ["rule/operation-5xx-response", (document) => delete operation(document, "/items", "get").responses["500"], "/paths/~1items/get/responses"],
    [
      "security-defined",
      (document) => {
        // Security moves from the document to each operation, except listItems.
        delete document.security;
        for (const [, , each] of operations(document)) if (each.operationId !== "listItems" && each.security === undefined) each.security = [{ ApiKeyAuth: [] }];
      },
      "/paths/~1items/get",
    ],
    ["rule/request-body-example", (document) => delete (operation(document, "/items", "post").requestBody as { content: Record<string, Json> }).content["application/json"]!.example, "/paths/~1items/post/requestBody/content/application~1json"],
    ["rule/success-response-example", (document) => delete (operation(document, "/items/{itemId}", "get").responses["200"]!.content as Record<string, Json>)["application/json"]!.example, "/paths/~1items~1{itemId}/get/responses/200/content/application~1json"],
  ])("%s: fails a contract that breaks it, at the right place", async (rule, change, pointer) => {
    const found = await lintContract(compliantContract(change));
    expect(found).toContainEqual({ code: rule, severity: "error", pointer });
    expect(found.every((finding) => finding.code === rule)).toBe(true);
  });

  it("accepts `default` as the server-error response, and does not ask error responses for examples", async () => {
    const found = await lintContract(
      compliantContract((document) => {
        const list = operation(document, "/items", "get");
        list.responses.default = list.responses["500"]!;
        delete list.responses["500"];
      }),
    );
    expect(found).toEqual([]);
  });

  it("reports file, line and column for a contract read from a file", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { contract: OpenApi.fromFile("test/fixtures/contracts/items-3.1.json") });
    const api = (await compileOk(platform)).spec.apis[0]!;
    const found = await checkContractRules(api, REPO_ROOT);
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]).toMatchObject({ api: "items-v1", path: "acme/items", file: "test/fixtures/contracts/items-3.1.json", line: expect.any(Number), column: expect.any(Number) });
  });
});
