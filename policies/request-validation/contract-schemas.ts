/**
 * The schemas of one API's contract, prepared for validating requests with Ajv (JSON Schema
 * 2020-12):
 *
 * - local `$ref`s (`#/components/schemas/Item`) are followed into the contract document; each
 *   target becomes a schema of its own with an absolute `$id`, so Ajv resolves references
 *   (recursive ones included) without ever seeing the OpenAPI document itself;
 * - OpenAPI 3.0 dialect is translated: `nullable`, boolean `exclusiveMinimum`/`Maximum`;
 * - request semantics: a `readOnly` property is not required in a request (OpenAPI: it is
 *   sent by the server only), even when the schema lists it in `required`;
 * - nested `$id`/`$schema` are dropped: ids would clash when one schema is reached from several
 *   places, and a 3.1 document's dialect is 2020-12 anyway.
 *
 * Work happens at manifest load; nothing here runs per request.
 */
import type Ajv2020 from "ajv/dist/2020";

type Json = Record<string, unknown>;

/** Keywords whose value is one subschema. */
const SINGLE = ["not", "if", "then", "else", "additionalItems", "contains", "additionalProperties", "propertyNames", "unevaluatedItems", "unevaluatedProperties", "contentSchema"] as const;
/** Keywords whose value is a list of subschemas. */
const LISTS = ["allOf", "anyOf", "oneOf", "prefixItems"] as const;
/** Keywords whose value maps names to subschemas. */
const MAPS = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"] as const;
/** Dropped from every schema (see the module comment). */
const DROPPED = new Set(["$id", "$schema", "$anchor", "$dynamicAnchor", "nullable", "$ref"]);

export interface ContractSchemas {
  /**
   * A copy of `schema` ready to compile: references rewritten to registered ids, the 3.0
   * dialect translated, readOnly properties no longer required. `null` → accepts anything.
   */
  prepare(schema: unknown): Json | boolean;
  /** Follows a prepared schema's `$ref`s to the schema it stands for (for shape detection). */
  resolve(schema: Json | boolean): Json | boolean;
  /** Adds the referenced schemas registered so far to `ajv` (each Ajv gets each schema once). */
  install(ajv: Ajv2020): void;
  /** References that could not be followed since the last call; they accept anything. */
  takeProblems(): string[];
}

/**
 * @param key unique among the registries sharing an Ajv (the API id): it namespaces the ids.
 * @param document the bundled contract; `null` when unknown, then every `$ref` is a problem.
 * @param openapi the contract's `openapi` version; 3.0 (or `null`, unknown) honours `nullable`.
 */
export function contractSchemas(key: string, document: Json | null, openapi: string | null): ContractSchemas {
  const base = `https://schemas.turnpike.invalid/${encodeURIComponent(key)}/`;
  const dialect30 = openapi === null || openapi.startsWith("3.0");
  const idsByPointer = new Map<string, string>();
  const registered: { id: string; schema: Json }[] = [];
  const byId = new Map<string, Json>();
  const pointerOf = (id: string) => [...idsByPointer].find(([, known]) => known === id)?.[0] ?? id;
  const installed = new WeakMap<Ajv2020, number>();
  let problems: string[] = [];

  /** The raw schema a local reference points at, or undefined. */
  const target = (ref: string): unknown => {
    if (document === null || !ref.startsWith("#")) return undefined;
    let fragment: string;
    try {
      fragment = decodeURIComponent(ref.slice(1));
    } catch {
      return undefined;
    }
    if (fragment === "") return document;
    if (!fragment.startsWith("/")) return undefined;
    let node: unknown = document;
    for (const raw of fragment.slice(1).split("/")) {
      const segment = raw.replace(/~1/g, "/").replace(/~0/g, "~");
      if (typeof node !== "object" || node === null || !Object.hasOwn(node, segment)) return undefined;
      node = (node as Json)[segment];
    }
    return node;
  };

  /** The id of a reference's target, registering (and preparing) it on first sight. */
  const idFor = (ref: string): string | undefined => {
    const known = idsByPointer.get(ref);
    if (known !== undefined) return known;
    const raw = target(ref);
    if (raw === undefined || (typeof raw !== "object" && typeof raw !== "boolean") || raw === null || Array.isArray(raw)) return undefined;
    const id = `${base}${registered.length}`;
    idsByPointer.set(ref, id);
    // Registered before it is prepared, so a schema that refers to itself finds its id.
    const entry = { id, schema: {} as Json };
    registered.push(entry);
    const prepared = prepare(raw);
    entry.schema = { ...(typeof prepared === "boolean" ? (prepared ? {} : { not: {} }) : prepared), $id: id };
    byId.set(id, entry.schema);
    return id;
  };

  /** Whether a raw property schema is readOnly, directly or through its reference. */
  const isReadOnly = (raw: unknown, depth = 0): boolean => {
    if (typeof raw !== "object" || raw === null || depth > 8) return false;
    const schema = raw as Json;
    if (schema.readOnly === true) return true;
    if (typeof schema.$ref === "string") return isReadOnly(target(schema.$ref), depth + 1);
    return Array.isArray(schema.allOf) && schema.allOf.some((member) => isReadOnly(member, depth + 1));
  };

  const prepare = (raw: unknown): Json | boolean => {
    if (typeof raw === "boolean") return raw;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return {};
    const schema = raw as Json;
    const out: Json = {};
    for (const name in schema) if (!DROPPED.has(name)) out[name] = schema[name];

    const ref = schema.$ref;
    if (typeof ref === "string") {
      const id = idFor(ref);
      if (id !== undefined) out.$ref = id;
      else problems.push(`cannot resolve $ref "${ref}"`);
    }
    for (const keyword of SINGLE) if (isSchema(schema[keyword])) out[keyword] = prepare(schema[keyword]);
    // `items` is a schema, or (draft-04 style, not in OpenAPI) a list of them.
    if (Array.isArray(schema.items)) out.prefixItems = schema.items.map(prepare);
    else if (isSchema(schema.items)) out.items = prepare(schema.items);
    for (const keyword of LISTS) if (Array.isArray(schema[keyword])) out[keyword] = (schema[keyword] as unknown[]).map(prepare);
    for (const keyword of MAPS) {
      const map = schema[keyword];
      if (typeof map !== "object" || map === null || Array.isArray(map)) continue;
      const prepared: Json = {};
      // Old-style `dependencies` may map to a list of names, kept as is.
      for (const name in map) prepared[name] = isSchema((map as Json)[name]) ? prepare((map as Json)[name]) : (map as Json)[name];
      out[keyword] = prepared;
    }

    if (Array.isArray(schema.required) && typeof schema.properties === "object" && schema.properties !== null) {
      const properties = schema.properties as Json;
      const required = schema.required.filter((name) => typeof name !== "string" || !isReadOnly(properties[name]));
      if (required.length !== schema.required.length) out.required = required;
    }
    translateExclusiveBounds(schema, out);
    return dialect30 && schema.nullable === true ? translateNullable(out) : out;
  };

  return {
    prepare: (schema) => (schema === null || schema === undefined ? {} : prepare(schema)),
    resolve(schema) {
      let current = schema;
      for (let hops = 0; hops < 16 && typeof current === "object" && typeof current.$ref === "string"; hops++) {
        const next = byId.get(current.$ref);
        if (next === undefined) break;
        current = next;
      }
      return current;
    },
    install(ajv) {
      for (let index = installed.get(ajv) ?? 0; index < registered.length; index++) {
        installed.set(ajv, index + 1);
        try {
          ajv.addSchema(registered[index]!.schema);
        } catch (error) {
          // Compiling what refers to it then fails, and that part is reported unenforced.
          problems.push(`cannot load the schema of ${pointerOf(registered[index]!.id)}: ${(error as Error).message}`);
        }
      }
    },
    takeProblems() {
      const taken = problems;
      problems = [];
      return taken;
    },
  };
}

/**
 * OpenAPI 3.0's `exclusiveMinimum: true` beside `minimum` → 2020-12's numeric form. A boolean
 * is never valid 2020-12, so the translation is safe whatever the contract's version.
 */
function translateExclusiveBounds(schema: Json, out: Json): void {
  for (const [exclusive, bound] of [
    ["exclusiveMinimum", "minimum"],
    ["exclusiveMaximum", "maximum"],
  ] as const) {
    if (typeof schema[exclusive] !== "boolean") continue;
    if (schema[exclusive] === true && typeof schema[bound] === "number") {
      out[exclusive] = schema[bound];
      delete out[bound];
    } else {
      delete out[exclusive];
    }
  }
}

/** OpenAPI 3.0's `nullable: true`: null is allowed too (in an `enum` as well, as most tools read it). */
function translateNullable(out: Json): Json {
  if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...(out.enum as unknown[]), null];
  if (typeof out.type === "string") {
    out.type = [out.type, "null"];
    return out;
  }
  if (Array.isArray(out.type)) {
    if (!out.type.includes("null")) out.type = [...(out.type as unknown[]), "null"];
    return out;
  }
  // No type to widen (e.g. `allOf: [{ $ref }]`, `nullable: true`): null or the schema.
  return { anyOf: [{ type: "null" }, out] };
}

function isSchema(value: unknown): boolean {
  return typeof value === "boolean" || (typeof value === "object" && value !== null && !Array.isArray(value));
}
