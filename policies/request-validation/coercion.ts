/**
 * Parameter and form values arrive as strings; their schemas say integer, number, boolean…
 * A value is converted only when its whole text is that type's canonical spelling:
 * `5` → 5, `-2.5e3` → -2500, `true` → true. Anything else stays a string and fails the
 * schema's type. (Ajv's own `coerceTypes` also takes ` 5`, `0x10` or a lone space as numbers,
 * which the upstream would then receive as they are: a way past the validation.)
 *
 * The converter for a schema is built once at load, from the types the schema (through its
 * `$ref`s and `allOf`/`anyOf`/`oneOf`) allows.
 */
import type { ContractSchemas } from "./contract-schemas";
import type { RawValue } from "./parameter-styles";

type Json = Record<string, unknown>;

/** A raw value (or a form body's, where a repeated name gives a list) → typed data for Ajv. */
export type Coerce = (raw: RawValue | Record<string, string | string[]>) => unknown;

const INTEGER = /^-?\d+$/;
const NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
/** Nesting followed into arrays and objects (deepObject and form bodies are flat). */
const MAX_DEPTH = 3;

/** Converts one string by the types allowed; `null` when strings are fine as they are. */
export function scalarCoercer(types: ReadonlySet<string>): ((value: string) => unknown) | null {
  if (types.size === 0 || types.has("string")) return null;
  const integer = types.has("integer");
  const number = types.has("number");
  const boolean = types.has("boolean");
  const nullable = types.has("null");
  return (value) => {
    if (number ? NUMBER.test(value) : integer && INTEGER.test(value)) return Number(value);
    if (boolean) {
      if (value === "true") return true;
      if (value === "false") return false;
    }
    if (nullable && (value === "" || value === "null")) return null;
    return value;
  };
}

/** The converter for values described by `schema` (prepared by {@link ContractSchemas}). */
export function coercerFor(schema: Json | boolean, schemas: ContractSchemas, depth = 0): Coerce {
  const resolved = schemas.resolve(schema);
  const types = typesOf(resolved, schemas, 0);
  const scalar = scalarCoercer(types);
  const convert = (value: string): unknown => (scalar === null ? value : scalar(value));
  const isArray = types.has("array");
  const isObject = types.has("object");

  if (isArray && depth < MAX_DEPTH) {
    const items = typeof resolved === "object" && isSchemaValue(resolved.items) ? coercerFor(resolved.items as Json | boolean, schemas, depth + 1) : identity;
    return (raw) => (typeof raw === "string" ? [items(raw)] : Array.isArray(raw) ? raw.map((item) => items(item)) : raw);
  }
  if (isObject && depth < MAX_DEPTH && typeof resolved === "object") {
    const properties = new Map<string, Coerce>();
    for (const [name, property] of propertySchemas(resolved, schemas, 0)) properties.set(name, coercerFor(property, schemas, depth + 1));
    const others = isSchemaValue(resolved.additionalProperties) ? coercerFor(resolved.additionalProperties as Json | boolean, schemas, depth + 1) : identity;
    return (raw) => {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return raw;
      const out = Object.create(null) as Json;
      for (const name in raw) out[name] = (properties.get(name) ?? others)(raw[name]!);
      return out;
    };
  }
  if (scalar === null) return identity;
  return (raw) => (typeof raw === "string" ? convert(raw) : Array.isArray(raw) ? raw.map(convert) : raw);
}

const identity: Coerce = (raw) => raw;

/** The JSON types a schema allows: `type`, or its members' (allOf/anyOf/oneOf), or its enum's. Empty: unknown. */
export function typesOf(schema: Json | boolean, schemas: ContractSchemas, depth: number): Set<string> {
  const types = new Set<string>();
  const resolved = schemas.resolve(schema);
  if (typeof resolved === "boolean" || depth > 8) return types;
  if (typeof resolved.type === "string") types.add(resolved.type);
  else if (Array.isArray(resolved.type)) for (const type of resolved.type) types.add(String(type));
  if (types.size > 0) return types;
  for (const keyword of ["allOf", "anyOf", "oneOf"]) {
    const members = resolved[keyword];
    if (Array.isArray(members)) for (const member of members) for (const type of typesOf(member as Json, schemas, depth + 1)) types.add(type);
  }
  if (types.size === 0 && Array.isArray(resolved.enum)) for (const value of resolved.enum) types.add(value === null ? "null" : typeof value === "number" ? "number" : typeof value);
  if (types.size === 0 && (resolved.items !== undefined || resolved.prefixItems !== undefined)) types.add("array");
  if (types.size === 0 && resolved.properties !== undefined) types.add("object");
  return types;
}

/** Property schemas of an object schema, through `allOf` and references. */
export function propertySchemas(schema: Json | boolean, schemas: ContractSchemas, depth: number): Map<string, Json | boolean> {
  const found = new Map<string, Json | boolean>();
  const resolved = schemas.resolve(schema);
  if (typeof resolved === "boolean" || depth > 8) return found;
  if (typeof resolved.properties === "object" && resolved.properties !== null) {
    for (const [name, property] of Object.entries(resolved.properties as Json)) if (isSchemaValue(property)) found.set(name, property as Json | boolean);
  }
  if (Array.isArray(resolved.allOf)) {
    for (const member of resolved.allOf) for (const [name, property] of propertySchemas(member as Json, schemas, depth + 1)) if (!found.has(name)) found.set(name, property);
  }
  return found;
}

function isSchemaValue(value: unknown): boolean {
  return typeof value === "boolean" || (typeof value === "object" && value !== null && !Array.isArray(value));
}
