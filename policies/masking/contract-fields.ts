/**
 * Whether a masking path can name a field the contract documents: the JSONPath walked over a
 * response's JSON Schema instead of a document. A misspelt path masks nothing and says nothing
 * at run time, so `turnpike lint` compares each path with the contract (rule `masking-path`).
 *
 * The answer is "no" only when the schema rules the field out: a field is documented when a
 * `properties` entry (or an array's `items`) leads to it, through `$ref`, `allOf`, `anyOf` and
 * `oneOf`. Where the schema is open (no schema, `{}`, `true`, `additionalProperties` or
 * `patternProperties` given, a `$ref` that does not resolve) anything may be there, so the
 * answer is "yes". An object's undeclared `additionalProperties` counts as closed: the
 * question is what the contract documents, not what JSON Schema would accept.
 */
import { valueAtPointer } from "../governance/contract-document";
import type { JsonPath, Selector } from "./json-path";

type Schema = Record<string, unknown>;
/** A sub-schema, or `open`: anything may be there. */
type Child = Schema | "open";

/** Whether `path` may select a field of a document valid against `schema` (resolving `$ref` in `document`). */
export function pathMayMatchSchema(path: JsonPath, schema: unknown, document: unknown): boolean {
  const seen = new Set<string>();
  const ids = new Map<object, number>();
  const idOf = (value: object) => {
    let id = ids.get(value);
    if (id === undefined) ids.set(value, (id = ids.size));
    return id;
  };

  const walk = (node: unknown, index: number): boolean => {
    if (index === path.segments.length) return true;
    const resolved = resolve(node, document);
    if (resolved === "open") return true;
    const key = `${idOf(resolved)}:${index}`;
    // A recursive schema (a tree of categories) is walked once per segment position.
    if (seen.has(key)) return false;
    seen.add(key);
    const { descendant, selector } = path.segments[index]!;
    for (const child of children(resolved, selector, document)) {
      if (child === "open" || walk(child, index + 1)) return true;
    }
    if (descendant) {
      for (const child of children(resolved, { kind: "wildcard" }, document)) {
        if (child === "open" || walk(child, index)) return true;
      }
    }
    return false;
  };
  return walk(schema, 0);
}

/** The schema itself, with `$ref` followed; `open` for no schema, `true`, `{}` or a ref that does not resolve. */
function resolve(node: unknown, document: unknown, depth = 0): Schema | "open" {
  if (node === true || node === undefined || node === null) return "open";
  if (typeof node !== "object" || Array.isArray(node)) return "open";
  const schema = node as Schema;
  if (typeof schema.$ref === "string") {
    if (depth > 64 || !schema.$ref.startsWith("#")) return "open";
    let fragment: string;
    try {
      fragment = decodeURIComponent(schema.$ref.slice(1));
    } catch {
      return "open";
    }
    const target = valueAtPointer(document, fragment);
    return target === undefined ? "open" : resolve(target, document, depth + 1);
  }
  const keywords = ["type", "properties", "items", "prefixItems", "allOf", "anyOf", "oneOf", "additionalProperties", "patternProperties", "enum", "const"];
  return keywords.some((keyword) => keyword in schema) ? schema : "open";
}

/** The sub-schemas a selector can reach from `schema`, compositions included. */
function children(schema: Schema, selector: Selector, document: unknown): Child[] {
  const found: Child[] = [];
  for (const variant of variants(schema, document)) {
    if (variant === "open") return ["open"];
    const properties = isObject(variant.properties) ? variant.properties : {};
    // `type: object` alone is a free-form object (metadata, extensions): any member may be there.
    const freeForm = variant.properties === undefined && variant.additionalProperties === undefined && variant.patternProperties === undefined && (variant.type === "object" || (Array.isArray(variant.type) && variant.type.includes("object")));
    const openMembers = freeForm || (variant.additionalProperties !== undefined && variant.additionalProperties !== false) || variant.patternProperties !== undefined;
    if (selector.kind === "name") {
      if (Object.hasOwn(properties, selector.name)) found.push(asChild(properties[selector.name]));
      else if (openMembers) found.push(asChild(variant.additionalProperties === true ? undefined : variant.additionalProperties));
    } else if (selector.kind === "wildcard") {
      for (const property of Object.values(properties)) found.push(asChild(property));
      if (openMembers) found.push(asChild(variant.additionalProperties === true ? undefined : variant.additionalProperties));
    }
    if (selector.kind !== "name") {
      const prefix = Array.isArray(variant.prefixItems) ? variant.prefixItems : [];
      // A non-negative index past the prefix reaches `items`; one inside it, that position only.
      const at = selector.kind === "index" && selector.index >= 0 ? selector.index : null;
      if (at === null) for (const item of prefix) found.push(asChild(item));
      else if (at < prefix.length) found.push(asChild(prefix[at]));
      if (at === null || at >= prefix.length) {
        if (variant.items !== undefined && variant.items !== false) found.push(asChild(variant.items));
        else if (variant.type === "array" && variant.prefixItems === undefined) found.push("open");
      }
    }
  }
  return found;
}

/** The schema and every branch of its allOf/anyOf/oneOf, resolved, flattened. */
function variants(schema: Schema, document: unknown, depth = 0): (Schema | "open")[] {
  const all: (Schema | "open")[] = [schema];
  if (depth > 16) return all;
  for (const keyword of ["allOf", "anyOf", "oneOf"]) {
    const branches = schema[keyword];
    if (!Array.isArray(branches)) continue;
    for (const branch of branches) {
      const resolved = resolve(branch, document);
      all.push(...(resolved === "open" ? ["open" as const] : variants(resolved, document, depth + 1)));
    }
  }
  return all;
}

function asChild(value: unknown): Child {
  return value === undefined || value === true ? "open" : (value as Schema);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
