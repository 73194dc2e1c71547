/**
 * Local `$ref`s of a bundled contract (the manifest's `contract.document` has no other kind),
 * followed the way OpenAPI 3.1 reads them: members written beside a `$ref` (a response's
 * `description`, an example's `summary`) override what it points to.
 */

export type Json = Record<string, unknown>;

/** The object a value stands for once its `$ref` chain is followed; `{}` when it is no object or the chain breaks. */
export function resolve(document: Json, value: unknown, seen: ReadonlySet<string> = new Set()): Json {
  const object = asObject(value);
  const { $ref: ref, ...siblings } = object;
  if (typeof ref !== "string") return object;
  // A cycle or an external reference (never in a bundle) resolves to what is written beside it.
  if (!ref.startsWith("#") || seen.has(ref)) return siblings;
  const target = pointer(document, ref);
  const resolved = resolve(document, target, new Set([...seen, ref]));
  return Object.keys(siblings).length === 0 ? resolved : { ...resolved, ...siblings };
}

/** The value at a `#/…` JSON pointer (URI-escaped as in `$ref`s), or undefined. */
export function pointer(document: Json, ref: string): unknown {
  let target: unknown = document;
  for (const raw of ref.replace(/^#\/?/, "").split("/")) {
    if (raw === "") continue;
    const segment = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    target = asObject(target)[segment];
    if (target === undefined) return undefined;
  }
  return target;
}

export function asObject(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
}
