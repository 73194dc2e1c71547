/**
 * JSON Schema 2020-12 (OpenAPI 3.1) → OpenAPI 3.0 schema objects, for API Gateway, which
 * imports OpenAPI 3.0 and validates bodies with draft-04 models. Keywords 3.0 cannot express
 * are dropped: validation on AWS is partial (see policies/request-validation/targets.ts).
 */
type Json = Record<string, unknown>;

/** Keywords without an OpenAPI 3.0 equivalent. */
const DROPPED = new Set([
  "$schema", "$id", "$anchor", "$defs", "$comment", "propertyNames", "unevaluatedProperties", "unevaluatedItems", "prefixItems", "contains", "minContains", "maxContains",
  "dependentRequired", "dependentSchemas", "patternProperties", "if", "then", "else", "contentEncoding", "contentMediaType", "contentSchema", "const",
]);
/** Keywords whose value is a schema, a list of schemas or a map of schemas. */
const SCHEMA = new Set(["items", "not", "additionalProperties"]);
const SCHEMA_LISTS = new Set(["allOf", "anyOf", "oneOf"]);

export function downgradeSchema(value: unknown): unknown {
  if (Array.isArray(value) || value === null || typeof value !== "object") return value;
  const schema = value as Json;
  const out: Json = {};
  for (const [key, child] of Object.entries(schema)) {
    if (DROPPED.has(key)) continue;
    if (key === "examples") {
      if (Array.isArray(child) && child.length > 0 && out.example === undefined) out.example = child[0];
    } else if (key === "type" && Array.isArray(child)) {
      const types = child.filter((type) => type !== "null");
      if (types.length === 1) out.type = types[0];
      if (child.includes("null")) out.nullable = true;
    } else if ((key === "exclusiveMinimum" || key === "exclusiveMaximum") && typeof child === "number") {
      out[key === "exclusiveMinimum" ? "minimum" : "maximum"] = child;
      out[key] = true;
    } else if (key === "properties" && child && typeof child === "object") {
      out.properties = Object.fromEntries(Object.entries(child as Json).map(([name, property]) => [name, downgradeSchema(property)]));
    } else if (SCHEMA.has(key)) {
      out[key] = downgradeSchema(child);
    } else if (SCHEMA_LISTS.has(key) && Array.isArray(child)) {
      const nonNull = child.filter((option) => !(option && typeof option === "object" && (option as Json).type === "null" && Object.keys(option as Json).length === 1));
      if (nonNull.length < child.length) out.nullable = true;
      if (nonNull.length === 1 && key !== "allOf") Object.assign(out, downgradeSchema(nonNull[0]) as Json);
      else out[key] = nonNull.map(downgradeSchema);
    } else {
      out[key] = child;
    }
  }
  // `const` becomes a one-value enum.
  if ("const" in schema && out.enum === undefined) out.enum = [schema.const];
  return out;
}
