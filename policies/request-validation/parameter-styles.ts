/**
 * Parameter values as the client serialized them (OpenAPI `style` and `explode`) → the
 * strings, string lists and string maps that coercion.ts then turns into the schema's
 * types. The reader for each parameter is chosen at load; per request it only splits strings.
 *
 * | in | style | primitive | array | object |
 * | --- | --- | --- | --- | --- |
 * | path | simple (default) | `5` | `1,2` | `a,1,b,2` / explode `a=1,b=2` |
 * | path | label | `.5` | `.1,2` / explode `.1.2` | `.a,1,b,2` / explode `.a=1.b=2` |
 * | path | matrix | `;id=5` | `;id=1,2` / explode `;id=1;id=2` | `;id=a,1,b,2` / explode `;a=1;b=2` |
 * | query | form (default) | `id=5` | explode `id=1&id=2` / `id=1,2` | explode `a=1&b=2` / `id=a,1,b,2` |
 * | query | spaceDelimited, pipeDelimited | | `id=1%202`, `id=1\|2` | |
 * | query | deepObject | | | `id[a]=1&id[b]=2` |
 * | header | simple | `5` | `1,2` | `a,1,b,2` / explode `a=1,b=2` |
 */

/** What the schema says the value is, which decides how it is split. */
export type Shape = "primitive" | "array" | "object";

/** A parameter value before coercion. Objects have no prototype: their keys come from the client. */
export type RawValue = string | string[] | Record<string, string>;

export interface ParameterSpec {
  readonly name: string;
  readonly style: string;
  readonly explode: boolean;
  readonly shape: Shape;
  /** For an exploded form object: the properties the schema names (each is its own query parameter). */
  readonly properties?: readonly string[];
}

/** Reads a path or header parameter from its (decoded) string. */
export type StringReader = (value: string) => RawValue;

/** Reads a query parameter; `undefined` when the client did not send it. */
export type QueryReader = (search: URLSearchParams) => RawValue | undefined;

/** A path or header parameter: `simple`, or for paths `label` and `matrix`. */
export function stringReader(spec: ParameterSpec): StringReader {
  const { shape, explode } = spec;
  if (spec.style === "label") {
    const separator = explode ? "." : ",";
    return (value) => fromList(value.startsWith(".") ? value.slice(1) : value, shape, explode, separator);
  }
  if (spec.style === "matrix") {
    const prefix = `;${spec.name}=`;
    if (shape === "array" && explode) return (value) => value.split(prefix).slice(1);
    if (shape === "object" && explode) return (value) => pairs(value.startsWith(";") ? value.slice(1).split(";") : value.split(";"), "=");
    return (value) => fromList(value.startsWith(prefix) ? value.slice(prefix.length) : value, shape, false, ",");
  }
  // simple: header values may carry optional whitespace around the commas (RFC 9110 lists).
  return (value) => fromList(value, shape, explode, ",");
}

/** A query parameter: `form`, `spaceDelimited`, `pipeDelimited` or `deepObject`. */
export function queryReader(spec: ParameterSpec, otherNames: ReadonlySet<string>): QueryReader {
  const { name, shape, explode } = spec;
  if (spec.style === "deepObject") {
    const prefix = `${name}[`;
    return (search) => {
      let found: Record<string, string> | undefined;
      for (const [key, value] of search) {
        if (!key.startsWith(prefix) || !key.endsWith("]")) continue;
        found ??= Object.create(null) as Record<string, string>;
        found[key.slice(prefix.length, -1)] = value;
      }
      return found;
    };
  }
  if (shape === "array") {
    if (explode && spec.style === "form") {
      return (search) => {
        const values = search.getAll(name);
        return values.length === 0 ? undefined : values;
      };
    }
    const separator = spec.style === "spaceDelimited" ? " " : spec.style === "pipeDelimited" ? "|" : ",";
    return (search) => {
      const value = search.get(name);
      return value === null ? undefined : value === "" ? [] : value.split(separator);
    };
  }
  if (shape === "object") {
    if (!explode) {
      return (search) => {
        const value = search.get(name);
        return value === null ? undefined : pairs(value.split(","), null);
      };
    }
    // Exploded form object: each property is a query parameter of its own. Without named
    // properties, every parameter the operation does not otherwise declare belongs to it.
    const properties = spec.properties ?? [];
    return (search) => {
      let found: Record<string, string> | undefined;
      if (properties.length > 0) {
        for (const property of properties) {
          const value = search.get(property);
          if (value === null) continue;
          found ??= Object.create(null) as Record<string, string>;
          found[property] = value;
        }
        return found;
      }
      for (const [key, value] of search) {
        if (otherNames.has(key)) continue;
        found ??= Object.create(null) as Record<string, string>;
        found[key] = value;
      }
      return found;
    };
  }
  // A primitive sent more than once is handed over as a list, which fails its scalar type.
  return (search) => {
    const values = search.getAll(name);
    return values.length === 0 ? undefined : values.length === 1 ? values[0]! : values;
  };
}

function fromList(value: string, shape: Shape, explode: boolean, separator: string): RawValue {
  if (shape === "primitive") return value;
  const items = value === "" ? [] : value.split(separator).map(trimOws);
  if (shape === "array") return items;
  return explode ? pairs(items, "=") : pairs(items, null);
}

/** `["a=1","b=2"]` with "=" or `["a","1","b","2"]` with null → `{ a: "1", b: "2" }`. */
function pairs(items: readonly string[], assign: "=" | null): Record<string, string> {
  const object = Object.create(null) as Record<string, string>;
  if (assign === null) {
    for (let index = 0; index + 1 < items.length; index += 2) object[items[index]!] = items[index + 1]!;
    return object;
  }
  for (const item of items) {
    const at = item.indexOf(assign);
    if (at > 0) object[item.slice(0, at)] = item.slice(at + 1);
  }
  return object;
}

function trimOws(value: string): string {
  return value.trim();
}
