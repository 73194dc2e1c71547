/**
 * Edits to the query string sent upstream that leave every parameter they do not touch as
 * the client wrote it. Re-serializing through URLSearchParams (what the apiKey and transform
 * policies did) rewrote the whole query: `%20` became `+` (a plus to an upstream that reads
 * RFC 3986 rather than form encoding), `?flag` became `?flag=`, `~` became `%7E`, and empty
 * pairs went away, so removing one credential changed what the others meant to some upstreams.
 */

/** Parameters to drop (by name) and to set (replacing the first of that name in place, dropping the rest). */
export interface QueryEdits {
  readonly remove: readonly string[];
  readonly set: readonly (readonly [name: string, value: string])[];
}

/**
 * A function applying `edits` to a query (without `?`), made once per policy: the sets it
 * needs are built here, not per request. Names are compared decoded, as URLSearchParams
 * decodes them (`+` is a space, `%XX` an octet of UTF-8), so a parameter found by
 * `searchParams.get(name)` is the one removed. A set parameter missing from the query is
 * appended.
 */
export function queryEditor(edits: QueryEdits): (query: string) => string {
  const removed = new Set(edits.remove);
  const setValues = new Map(edits.set);
  const written = new Map(edits.set.map(([name, value]) => [name, encodePair(name, value)]));
  return (query) => {
    let placed: Set<string> | null = null;
    const kept: string[] = [];
    for (const pair of query === "" ? [] : query.split("&")) {
      const name = decodedName(pair);
      // Removals come first: a name both removed and set is set at the end, as delete-then-set did.
      if (name !== null && removed.has(name)) continue;
      if (name !== null && setValues.has(name)) {
        placed ??= new Set();
        if (!placed.has(name)) {
          placed.add(name);
          kept.push(written.get(name)!);
        }
        continue;
      }
      kept.push(pair);
    }
    for (const [name, pair] of written) if (placed === null || !placed.has(name)) kept.push(pair);
    return kept.join("&");
  };
}

/** The pair's name as URLSearchParams reads it (the reading the policies look names up with); null for an empty pair. */
function decodedName(pair: string): string | null {
  if (pair === "") return null;
  const equals = pair.indexOf("=");
  const name = equals < 0 ? pair : pair.slice(0, equals);
  // Nothing to decode in nearly every name; URLSearchParams only for those with `%` or `+`.
  if (!name.includes("%") && !name.includes("+")) return name;
  for (const [decoded] of new URLSearchParams(pair)) return decoded;
  return null;
}

/** As URLSearchParams writes a pair (application/x-www-form-urlencoded), so upstreams read set values as before. */
function encodePair(name: string, value: string): string {
  return new URLSearchParams([[name, value]]).toString();
}
