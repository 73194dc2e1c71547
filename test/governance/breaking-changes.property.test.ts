/**
 * Property tests of the breaking-change detector: generate a contract, apply one random known
 * mutation, and check the detector finds exactly that change, with its rating and pointer.
 */
import fc from "fast-check";
import { detectContractChanges } from "../../policies/governance/breaking-changes";

type Json = Record<string, unknown>;

interface Resource {
  readonly name: string;
  /** Optional query parameters of the list operation; some with an enum. */
  readonly query: readonly { readonly name: string; readonly enum: readonly string[] | null }[];
  /** Properties of the resource (create body and read response). */
  readonly properties: readonly string[];
}

const word = fc.constantFrom("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel");
const resourceArbitrary = fc.record({
  query: fc.uniqueArray(fc.record({ name: word, enum: fc.option(fc.uniqueArray(fc.constantFrom("a", "b", "c", "d"), { minLength: 2, maxLength: 4 }), { nil: null }) }), { minLength: 1, maxLength: 3, selector: (parameter) => parameter.name }),
  properties: fc.uniqueArray(word, { minLength: 2, maxLength: 4 }),
});
const contractArbitrary = fc
  .uniqueArray(fc.constantFrom("orders", "items", "users", "carts"), { minLength: 1, maxLength: 3 })
  .chain((names) => fc.tuple(...names.map((name) => resourceArbitrary.map((resource): Resource => ({ name, ...resource })))));

/** An OpenAPI 3.1 document for the resources: list, create, read, behind OAuth2 scopes. */
function contract(resources: readonly Resource[]): Json {
  const paths: Json = {};
  const object = (properties: readonly string[]) => ({ type: "object", properties: Object.fromEntries(properties.map((property) => [property, { type: "string" }])) });
  for (const resource of resources) {
    const security = [{ OAuth: ["read"] }];
    paths[`/${resource.name}`] = {
      get: {
        operationId: `list-${resource.name}`,
        security,
        parameters: resource.query.map((parameter) => ({ name: parameter.name, in: "query", schema: parameter.enum ? { type: "string", enum: [...parameter.enum] } : { type: "string" } })),
        responses: { "200": { description: "A page.", content: { "application/json": { schema: { type: "array", items: object(resource.properties) } } } } },
      },
      post: {
        operationId: `create-${resource.name}`,
        security,
        requestBody: { content: { "application/json": { schema: object(resource.properties) } } },
        responses: { "201": { description: "Created." } },
      },
    };
    paths[`/${resource.name}/{id}`] = {
      get: {
        operationId: `get-${resource.name}`,
        security,
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
        responses: { "200": { description: "One.", content: { "application/json": { schema: object(resource.properties) } } }, "404": { description: "Not found." } },
      },
    };
  }
  const scopes = { read: "Read.", write: "Write.", admin: "Administer." };
  return { openapi: "3.1.0", info: { title: "Generated", version: "1.0.0" }, paths, components: { securitySchemes: { OAuth: { type: "oauth2", flows: { clientCredentials: { tokenUrl: "https://auth.example.test/token", scopes } } } } } };
}

interface Expected {
  readonly kind: string;
  readonly rating: "breaking" | "non-breaking";
  readonly pointer: string;
}

/** A mutation of the document and the change it must be reported as. */
interface Mutation {
  readonly name: string;
  apply(document: Json): void;
  readonly expected: Expected;
}

const op = (document: Json, path: string, method: string) => (document.paths as Record<string, Record<string, Json>>)[path]![method]! as Json & { parameters: Json[]; responses: Record<string, Json> };
const token = (path: string) => path.replaceAll("~", "~0").replaceAll("/", "~1");

/** Every known mutation applicable to these resources, with what it must be reported as. */
function mutations(resources: readonly Resource[]): Mutation[] {
  return resources.flatMap((resource): Mutation[] => {
    const list = `/${resource.name}`;
    const item = `/${resource.name}/{id}`;
    const last = resource.query.length - 1;
    const enumerated = resource.query.findIndex((parameter) => parameter.enum !== null);
    return [
      { name: `remove POST ${list}`, apply: (d) => delete (d.paths as Record<string, Json>)[list]!.post, expected: { kind: "operation-removed", rating: "breaking", pointer: `/paths/${token(list)}/post` } },
      { name: `remove ${item}`, apply: (d) => delete (d.paths as Record<string, Json>)[item], expected: { kind: "path-removed", rating: "breaking", pointer: `/paths/${token(item)}` } },
      {
        name: `remove the last query parameter of GET ${list}`,
        apply: (d) => void op(d, list, "get").parameters.pop(),
        expected: { kind: "parameter-removed", rating: "breaking", pointer: `/paths/${token(list)}/get/parameters/${last}` },
      },
      {
        name: `add a required query parameter to GET ${list}`,
        apply: (d) => void op(d, list, "get").parameters.push({ name: "tenant", in: "query", required: true, schema: { type: "string" } }),
        expected: { kind: "parameter-became-required", rating: "breaking", pointer: `/paths/${token(list)}/get/parameters/${last + 1}/required` },
      },
      {
        name: `make the first query parameter of GET ${list} required`,
        apply: (d) => void (op(d, list, "get").parameters[0]!.required = true),
        expected: { kind: "parameter-became-required", rating: "breaking", pointer: `/paths/${token(list)}/get/parameters/0/required` },
      },
      ...(enumerated === -1
        ? []
        : [
            {
              name: `drop an enum value of ${resource.query[enumerated]!.name}`,
              apply: (d: Json) => void ((op(d, list, "get").parameters[enumerated]!.schema as { enum: string[] }).enum.pop()),
              expected: { kind: "enum-values-removed", rating: "breaking" as const, pointer: `/paths/${token(list)}/get/parameters/${enumerated}/schema/enum` },
            },
          ]),
      {
        name: `require ${resource.properties[0]} in the POST ${list} body`,
        apply: (d) => void (((op(d, list, "post").requestBody as Json).content as Record<string, { schema: Json }>)["application/json"]!.schema.required = [resource.properties[0]!]),
        expected: { kind: "required-properties-added", rating: "breaking", pointer: `/paths/${token(list)}/post/requestBody/content/application~1json/schema/required` },
      },
      {
        name: `narrow ${resource.properties[0]} in the POST ${list} body to an integer`,
        apply: (d) => void ((((op(d, list, "post").requestBody as Json).content as Record<string, { schema: { properties: Record<string, Json> } }>)["application/json"]!.schema.properties[resource.properties[0]!]!.type = "integer")),
        expected: { kind: "schema-type-changed", rating: "breaking", pointer: `/paths/${token(list)}/post/requestBody/content/application~1json/schema/properties/${resource.properties[0]}/type` },
      },
      {
        name: `remove ${resource.properties[1]} from the GET ${item} response`,
        apply: (d) => delete ((op(d, item, "get").responses["200"]!.content as Record<string, { schema: { properties: Record<string, Json> } }>)["application/json"]!.schema.properties[resource.properties[1]!]),
        expected: { kind: "property-removed", rating: "breaking", pointer: `/paths/${token(item)}/get/responses/200/content/application~1json/schema/properties/${resource.properties[1]}` },
      },
      { name: `remove the 404 of GET ${item}`, apply: (d) => delete op(d, item, "get").responses["404"], expected: { kind: "response-removed", rating: "breaking", pointer: `/paths/${token(item)}/get/responses/404` } },
      {
        name: `require the admin scope on GET ${item}`,
        apply: (d) => void (op(d, item, "get").security = [{ OAuth: ["read", "admin"] }]),
        expected: { kind: "security-requirement-changed", rating: "breaking", pointer: `/paths/${token(item)}/get/security/0/OAuth` },
      },
      {
        name: `deprecate GET ${item}`,
        apply: (d) => void (op(d, item, "get").deprecated = true),
        expected: { kind: "operation-deprecated", rating: "non-breaking", pointer: `/paths/${token(item)}/get/deprecated` },
      },
      {
        name: `add an optional query parameter to GET ${list}`,
        apply: (d) => void op(d, list, "get").parameters.push({ name: "q", in: "query", schema: { type: "string" } }),
        expected: { kind: "parameter-added", rating: "non-breaking", pointer: `/paths/${token(list)}/get/parameters/${last + 1}` },
      },
    ];
  });
}

const casesArbitrary = contractArbitrary.chain((resources) => fc.record({ resources: fc.constant(resources), mutation: fc.constantFrom(...mutations(resources)) }));

describe("detectContractChanges (properties)", () => {
  it("finds exactly the one change a known mutation makes, rated and placed", async () => {
    await fc.assert(
      fc.asyncProperty(casesArbitrary, async ({ resources, mutation }) => {
        const base = contract(resources);
        const revision = structuredClone(base);
        mutation.apply(revision);
        const changes = await detectContractChanges(base, revision);
        const found = changes.map(({ kind, rating, pointer }) => ({ kind, rating, pointer }));
        if (mutation.expected.rating === "breaking") {
          expect(found.filter((change) => change.rating === "breaking")).toEqual([mutation.expected]);
        } else {
          expect(found.filter((change) => change.rating === "breaking")).toEqual([]);
          expect(found).toContainEqual(mutation.expected);
        }
      }),
      // Each run spawns Redocly (a few hundred ms): enough runs to meet every mutation kind.
      { numRuns: 40 },
    );
  }, 120_000);

  it("finds nothing breaking between a contract and itself reordered", async () => {
    await fc.assert(
      fc.asyncProperty(contractArbitrary, async (resources) => {
        const base = contract(resources);
        const reordered = contract([...resources].reverse());
        expect((await detectContractChanges(base, reordered)).filter((change) => change.rating === "breaking")).toEqual([]);
      }),
      { numRuns: 5 },
    );
  }, 60_000);
});
