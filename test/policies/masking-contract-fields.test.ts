/**
 * pathMayMatchSchema (policies/masking/contract-fields.ts): a masking path walked over a
 * response schema says "no" only where the schema rules the field out.
 */
import { pathMayMatchSchema } from "../../policies/masking/contract-fields";
import { parseJsonPath } from "../../policies/masking/json-path";

const document = {
  components: {
    schemas: {
      Order: { type: "object", properties: { id: { type: "string" }, customer: { $ref: "#/components/schemas/Customer" }, lines: { type: "array", items: { $ref: "#/components/schemas/Line" } } } },
      Customer: { allOf: [{ $ref: "#/components/schemas/Person" }, { type: "object", properties: { tier: { type: "string" } } }] },
      Person: { type: "object", properties: { email: { type: "string" }, "odd.name": { type: "string" } } },
      Line: { oneOf: [{ type: "object", properties: { sku: { type: "string" } } }, { type: "object", properties: { voucher: { type: "string" } } }] },
      Category: { type: "object", properties: { name: { type: "string" }, children: { type: "array", items: { $ref: "#/components/schemas/Category" } } } },
      Tags: { type: "object", additionalProperties: { type: "object", properties: { label: { type: "string" } } } },
      Pair: { type: "array", prefixItems: [{ type: "string" }, { type: "object", properties: { x: { type: "number" } } }], items: false },
    },
  },
};
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const may = (path: string, schema: unknown) => pathMayMatchSchema(parseJsonPath(path), schema, document);

describe("pathMayMatchSchema", () => {
  it.each([
    ["$.id", "Order"],
    ["$.customer.email", "Order"],
    ["$.customer.tier", "Order"],
    ["$.customer['odd.name']", "Order"],
    ["$..email", "Order"],
    ["$.lines[*].sku", "Order"],
    ["$.lines[0].voucher", "Order"],
    ["$..voucher", "Order"],
    ["$.*.email", "Order"],
    ["$..children[*].name", "Category"],
    ["$.anyKey.label", "Tags"],
    ["$[1].x", "Pair"],
    ["$[-1].x", "Pair"],
  ])("finds %s in %s", (path, schema) => expect(may(path, ref(schema))).toBe(true));

  it.each([
    ["$.email", "Order"],
    ["$.customer.emial", "Order"],
    ["$..emial", "Order"],
    ["$.lines.sku", "Order"],
    ["$.id.x", "Order"],
    ["$..parent", "Category"],
    ["$.anyKey.other", "Tags"],
    ["$[0].x", "Pair"],
    ["$[2]", "Pair"],
  ])("rules out %s in %s", (path, schema) => expect(may(path, ref(schema))).toBe(false));

  it("treats what the schema leaves open as possibly there", () => {
    expect(may("$.x", undefined)).toBe(true);
    expect(may("$.x", {})).toBe(true);
    expect(may("$.x", true)).toBe(true);
    expect(may("$.x", { $ref: "#/components/schemas/Missing" })).toBe(true);
    expect(may("$.x.y", { type: "object" })).toBe(true);
    expect(may("$.x", { type: "object", properties: {}, additionalProperties: true })).toBe(true);
    expect(may("$.x", { type: "object", properties: {}, patternProperties: { "^x": {} } })).toBe(true);
    expect(may("$[0]", { type: "array" })).toBe(true);
    expect(may("$.a.deep", { type: "object", properties: { a: {} } })).toBe(true);
  });

  it("terminates on a schema that refers to itself, at any depth", () => {
    expect(may("$..nothing..else", ref("Category"))).toBe(false);
    expect(may("$..name..name", ref("Category"))).toBe(false);
    expect(may("$..children..children[*].name", ref("Category"))).toBe(true);
  });
});
