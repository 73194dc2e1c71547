/** Reading a bundled OpenAPI document (the manifest's `contract.document`): local `$ref`s and JSON pointers. */

/** Follows `{ $ref: "#/..." }` inside `document` (a few hops, for refs to refs); other values are returned as they are. */
export function resolveLocalRef(document: Record<string, unknown>, value: unknown): unknown {
  let current = value;
  for (let hop = 0; hop < 10; hop++) {
    const ref = typeof current === "object" && current !== null ? (current as { $ref?: unknown }).$ref : undefined;
    if (typeof ref !== "string" || !ref.startsWith("#")) return current;
    current = valueAtPointer(document, ref.slice(1));
  }
  return current;
}

/** The value at a JSON pointer (`/paths/~1items/get`), or `undefined`. */
export function valueAtPointer(document: unknown, pointer: string): unknown {
  if (pointer === "") return document;
  let current = document;
  for (const token of pointer.split("/").slice(1)) {
    const key = token.replaceAll("~1", "/").replaceAll("~0", "~");
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** One JSON pointer token for `key` (`/items/{id}` → `~1items~1{id}`). */
export function pointerToken(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}
