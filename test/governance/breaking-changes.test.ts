/**
 * Breaking-change detection between two versions of a contract: each kind of change, rated for
 * consumers, with the JSON pointer to it.
 */
import { type ContractChange, detectContractChanges } from "../../policies/governance/breaking-changes";
import { itemsContract } from "../helpers/declaration";

type Json = Record<string, unknown>;
type Paths = Record<string, Record<string, Json & { parameters?: Json[]; responses: Record<string, Json> }>>;

/** The items contract with a sort enum on listItems and a typed health answer, so there is something to narrow and remove. */
function base(change: (document: Json, paths: Paths) => void = () => {}): Json {
  return itemsContract((document) => {
    const paths = document.paths as Paths;
    paths["/items"]!.get!.parameters!.push({ name: "sort", in: "query", schema: { type: "string", enum: ["asc", "desc"] } });
    paths["/health"]!.get!.responses["200"] = { description: "Healthy.", content: { "application/json": { schema: { type: "object", properties: { status: { type: "string" }, uptimeSeconds: { type: "integer" } } } } } };
    change(document, paths);
  });
}

const pick = ({ kind, rating, pointer, side }: ContractChange) => ({ kind, rating, pointer, side });

describe("detectContractChanges", () => {
  it("finds nothing between equal contracts", async () => {
    expect(await detectContractChanges(base(), base())).toEqual([]);
  });

  it.each<[string, (document: Json, paths: Paths) => void, ReturnType<typeof pick>]>([
    ["an operation removed", (_, paths) => delete paths["/items/{itemId}"]!.delete, { kind: "operation-removed", rating: "breaking", pointer: "/paths/~1items~1{itemId}/delete", side: "base" }],
    ["a path removed", (_, paths) => delete paths["/health"], { kind: "path-removed", rating: "breaking", pointer: "/paths/~1health", side: "base" }],
    ["a parameter removed", (_, paths) => void paths["/items"]!.get!.parameters!.splice(1, 1), { kind: "parameter-removed", rating: "breaking", pointer: "/paths/~1items/get/parameters/1", side: "base" }],
    ["a parameter renamed", (_, paths) => void (paths["/items"]!.get!.parameters![0]!.name = "max"), { kind: "parameter-removed", rating: "breaking", pointer: "/paths/~1items/get/parameters/0/name", side: "revision" }],
    [
      "a new required parameter",
      (_, paths) => void paths["/items"]!.get!.parameters!.push({ name: "tenant", in: "query", required: true, schema: { type: "string" } }),
      { kind: "parameter-became-required", rating: "breaking", pointer: "/paths/~1items/get/parameters/2/required", side: "revision" },
    ],
    [
      "a new required body field",
      (document) => void ((document.components as { schemas: { Item: { required: string[] } } }).schemas.Item.required = ["name", "sku"]),
      { kind: "required-properties-added", rating: "breaking", pointer: "/components/schemas/Item/required", side: "revision" },
    ],
    [
      "a narrowed type",
      (_, paths) => void (paths["/items"]!.post!.parameters![0]!.schema = { type: "integer" }),
      { kind: "schema-type-changed", rating: "breaking", pointer: "/paths/~1items/post/parameters/0/schema/type", side: "revision" },
    ],
    [
      "a narrowed enum",
      (_, paths) => void ((paths["/items"]!.get!.parameters![1]!.schema as { enum: string[] }).enum = ["asc"]),
      { kind: "enum-values-removed", rating: "breaking", pointer: "/paths/~1items/get/parameters/1/schema/enum", side: "revision" },
    ],
    [
      "a response field removed",
      (_, paths) => delete ((paths["/health"]!.get!.responses["200"]!.content as Record<string, { schema: { properties: Json } }>)["application/json"]!.schema.properties.uptimeSeconds),
      { kind: "property-removed", rating: "breaking", pointer: "/paths/~1health/get/responses/200/content/application~1json/schema/properties/uptimeSeconds", side: "base" },
    ],
    ["a status code removed", (_, paths) => delete paths["/items/{itemId}"]!.get!.responses["404"], { kind: "response-removed", rating: "breaking", pointer: "/paths/~1items~1{itemId}/get/responses/404", side: "base" }],
    [
      "authentication required where it was not",
      (_, paths) => void (paths["/health"]!.get!.security = [{ ApiKeyAuth: [] }]),
      { kind: "security-requirement-changed", rating: "breaking", pointer: "/paths/~1health/get/security/0", side: "revision" },
    ],
    [
      "a changed security scheme",
      (document) => void ((document.components as { securitySchemes: { ApiKeyAuth: Json } }).securitySchemes.ApiKeyAuth.name = "X-Key"),
      { kind: "security-scheme-changed", rating: "breaking", pointer: "/components/securitySchemes/ApiKeyAuth/name", side: "revision" },
    ],
  ])("%s is breaking", async (_name, change, expected) => {
    const changes = await detectContractChanges(base(), base(change));
    expect(changes.filter((found) => found.rating === "breaking").map(pick)).toEqual([expected]);
  });

  it("rates an optional parameter, a new response field and a deprecation as non-breaking", async () => {
    const changes = await detectContractChanges(
      base(),
      base((_, paths) => {
        paths["/items"]!.get!.parameters!.push({ name: "q", in: "query", schema: { type: "string" } });
        (paths["/health"]!.get!.responses["200"]!.content as Record<string, { schema: { properties: Json } }>)["application/json"]!.schema.properties.version = { type: "string" };
        paths["/items/{itemId}"]!.delete!.deprecated = true;
      }),
    );
    expect(changes.map(pick)).toEqual([
      { kind: "schema-added", rating: "non-breaking", pointer: "/paths/~1health/get/responses/200/content/application~1json/schema/properties/version", side: "revision" },
      { kind: "parameter-added", rating: "non-breaking", pointer: "/paths/~1items/get/parameters/2", side: "revision" },
      { kind: "operation-deprecated", rating: "non-breaking", pointer: "/paths/~1items~1{itemId}/delete/deprecated", side: "revision" },
    ]);
    expect(changes[2]).toMatchObject({ operation: "DELETE /items/{itemId}", message: "Operation `DELETE /items/{itemId}` was deprecated." });
  });

  it("names the operation of each change and sorts breaking changes first", async () => {
    const changes = await detectContractChanges(
      base(),
      base((_, paths) => {
        paths["/items"]!.get!.parameters!.push({ name: "q", in: "query", schema: { type: "string" } });
        delete paths["/items/{itemId}"]!.get!.responses["404"];
      }),
    );
    expect(changes.map((change) => [change.rating, change.operation])).toEqual([
      ["breaking", "GET /items/{itemId}"],
      ["non-breaking", "GET /items"],
    ]);
  });
});
