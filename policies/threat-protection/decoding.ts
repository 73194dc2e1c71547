/**
 * Decoding request values exactly once before screening them. Once, because that is what
 * the upstream does; a value encoded twice keeps a visible `%xx` after one decoding, which
 * the path traversal rule looks for (so double encoding is caught, not decoded away).
 */

const ENCODED_RUN = /(?:%[0-9A-Fa-f]{2})+/g;

/**
 * Percent-decodes once. A run of `%xx` that is not valid UTF-8 (e.g. the overlong `%c0%ae`)
 * is left as written rather than turned into U+FFFD, so rules can still see it.
 */
export function percentDecode(value: string): string {
  if (!value.includes("%")) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value.replace(ENCODED_RUN, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

/**
 * The name/value pairs of a query string or form body, each decoded once
 * (`application/x-www-form-urlencoded`: `+` is a space), with the same leniency as
 * {@link percentDecode}.
 */
export function formPairs(query: string): [name: string, value: string][] {
  const pairs: [string, string][] = [];
  if (query === "") return pairs;
  for (const part of query.split("&")) {
    if (part === "") continue;
    const equals = part.indexOf("=");
    const name = equals < 0 ? part : part.slice(0, equals);
    const value = equals < 0 ? "" : part.slice(equals + 1);
    pairs.push([percentDecode(name.replace(/\+/g, " ")), percentDecode(value.replace(/\+/g, " "))]);
  }
  return pairs;
}

const XML_ENTITY = /&(?:#(\d{1,7})|#x([0-9A-Fa-f]{1,6})|(lt|gt|amp|quot|apos));/g;
const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/**
 * Replaces XML's predefined entities and character references, once (`&amp;lt;` becomes
 * `&lt;`, not `<`). Entities a DTD would define are left alone: they are never expanded.
 */
export function decodeXmlReferences(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(XML_ENTITY, (reference, decimal: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (name !== undefined) return NAMED[name]!;
    const code = decimal !== undefined ? Number(decimal) : Number.parseInt(hex!, 16);
    return code <= 0x10ffff ? String.fromCodePoint(code) : reference;
  });
}
