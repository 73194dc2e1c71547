/**
 * Which of an operation's declared request media types a Content-Type selects. Declared
 * keys may be ranges (`text/*`, `*\/*`) or structured-syntax wildcards (`application/*+json`);
 * the most specific declared key that matches wins, as OpenAPI prescribes.
 */

/** The media type without parameters, lower-case: `Application/JSON; charset=utf-8` → `application/json`. */
export function essenceOf(contentType: string): string {
  const semicolon = contentType.indexOf(";");
  return (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/** JSON and the `+json` structured syntax (RFC 6839): `application/json`, `application/merge-patch+json`. */
export function isJsonMediaType(essence: string): boolean {
  return essence === "application/json" || essence.endsWith("+json");
}

export const FORM_MEDIA_TYPE = "application/x-www-form-urlencoded";

export interface MediaTypeMatcher {
  /** The declared key (as written in the contract) that `contentType` selects, if any. */
  match(contentType: string): string | undefined;
  /** The declared keys, for the 415 answer. */
  readonly accepted: readonly string[];
}

interface RangeEntry {
  readonly key: string;
  /** `*` or a type. */
  readonly type: string;
  /** `*`, a subtype, or `*+suffix` (kept as the `+suffix` to test with endsWith). */
  readonly subtype: string;
  readonly suffix: string | null;
  /** Higher is more specific. */
  readonly rank: number;
}

/**
 * Builds the matcher once per operation: exact keys in a map (the usual case costs one
 * lookup), ranges in a list ordered from most to least specific.
 */
export function mediaTypeMatcher(declared: readonly string[]): MediaTypeMatcher {
  const exact = new Map<string, string>();
  const ranges: RangeEntry[] = [];
  for (const key of declared) {
    const essence = essenceOf(key);
    const slash = essence.indexOf("/");
    if (slash < 0) continue;
    const type = essence.slice(0, slash);
    const subtype = essence.slice(slash + 1);
    if (type !== "*" && subtype !== "*" && !subtype.startsWith("*+")) {
      if (!exact.has(essence)) exact.set(essence, key);
      continue;
    }
    const suffix = subtype.startsWith("*+") ? subtype.slice(1) : null;
    const rank = type === "*" ? 0 : suffix !== null ? 2 : 1;
    ranges.push({ key, type, subtype, suffix, rank });
  }
  ranges.sort((a, b) => b.rank - a.rank);
  return {
    accepted: declared,
    match(contentType) {
      const essence = essenceOf(contentType);
      const found = exact.get(essence);
      if (found !== undefined || ranges.length === 0) return found;
      const slash = essence.indexOf("/");
      if (slash <= 0 || slash === essence.length - 1) return undefined;
      const type = essence.slice(0, slash);
      const subtype = essence.slice(slash + 1);
      for (const range of ranges) {
        if (range.type !== "*" && range.type !== type) continue;
        if (range.subtype === "*" || (range.suffix !== null && subtype.endsWith(range.suffix) && subtype.length > range.suffix.length)) return range.key;
      }
      return undefined;
    },
  };
}
