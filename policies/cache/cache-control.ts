/**
 * `Cache-Control` (RFC 9111 §5.2) as the cache reads it: a directive map, and the freshness
 * lifetime a shared cache gives a response (§4.2.1: `s-maxage`, then `max-age`, then
 * `Expires`, then the configured default).
 */

/** Directive name (lower case) → argument (`""` for a directive without one). */
export type Directives = ReadonlyMap<string, string>;

const NONE: Directives = new Map();

/**
 * Parses one or several `Cache-Control` field lines. Unknown directives are kept (they are
 * harmless); a malformed argument is kept as written, so `max-age=abc` reads as no max-age.
 */
export function parseCacheControl(value: string | string[] | undefined): Directives {
  if (value === undefined) return NONE;
  const text = Array.isArray(value) ? value.join(",") : value;
  if (text === "") return NONE;
  const directives = new Map<string, string>();
  // Split on commas outside quoted strings: `private="a, b"` is one directive.
  let start = 0;
  let quoted = false;
  for (let index = 0; index <= text.length; index++) {
    const char = text[index];
    if (char === '"' && text[index - 1] !== "\\") quoted = !quoted;
    if (index === text.length || (char === "," && !quoted)) {
      const part = text.slice(start, index).trim();
      start = index + 1;
      if (part === "") continue;
      const equals = part.indexOf("=");
      const name = (equals < 0 ? part : part.slice(0, equals)).trim().toLowerCase();
      let argument = equals < 0 ? "" : part.slice(equals + 1).trim();
      if (argument.length >= 2 && argument.startsWith('"') && argument.endsWith('"')) argument = argument.slice(1, -1);
      // The first occurrence wins (RFC 9111 §4.2.1 says duplicates make it invalid; the first is the safest read).
      if (!directives.has(name)) directives.set(name, argument);
    }
  }
  return directives;
}

/** A directive's argument as delta-seconds (§1.2.2), or null when absent or malformed. */
export function deltaSeconds(directives: Directives, name: string): number | null {
  return parseDeltaSeconds(directives.get(name));
}

/** Delta-seconds text (`Age`, a directive's argument) as a number, or null when not one. */
export function parseDeltaSeconds(text: string | undefined): number | null {
  if (text === undefined || !/^\d+$/.test(text)) return null;
  // Values beyond 2^31 are taken as 2^31 (§1.2.2); a number that large is simply "very long".
  return Math.min(Number(text), 2_147_483_648);
}

/**
 * How long a response stays fresh in a shared cache, in seconds: `s-maxage` > `max-age` >
 * `Expires` − `Date` > `defaultSeconds`. Only `defaultSeconds` applies when the upstream's
 * directives are ignored (`respect` false).
 */
export function freshnessLifetime(directives: Directives, headers: { expires?: string | string[]; date?: string | string[] }, defaultSeconds: number, respect: boolean): number {
  if (!respect) return defaultSeconds;
  const shared = deltaSeconds(directives, "s-maxage");
  if (shared !== null) return shared;
  const maxAge = deltaSeconds(directives, "max-age");
  if (maxAge !== null) return maxAge;
  const expires = single(headers.expires);
  if (expires !== undefined) {
    const expiresAt = Date.parse(expires);
    // An invalid Expires (e.g. "0") means "already expired" (§5.3).
    if (Number.isNaN(expiresAt)) return 0;
    const date = Date.parse(single(headers.date) ?? "");
    return Math.max(0, Math.floor((expiresAt - (Number.isNaN(date) ? Date.now() : date)) / 1000));
  }
  return defaultSeconds;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** What a client's request asks of the cache (RFC 9111 §5.2.1). */
export interface ClientDirectives {
  /** `no-store`: do not store the answer (it may still come from the cache). */
  readonly noStore: boolean;
  /** `no-cache`, `max-age=0` or `Pragma: no-cache`: do not answer from the cache without going to the upstream. */
  readonly refresh: boolean;
  /** `max-age=N`: do not answer with an entry older than N seconds; null when not given. */
  readonly maxAge: number | null;
  /** `only-if-cached`: answer from the cache or with 504, never from the upstream. */
  readonly onlyIfCached: boolean;
}

export const NO_CLIENT_DIRECTIVES: ClientDirectives = { noStore: false, refresh: false, maxAge: null, onlyIfCached: false };
/** `Pragma: no-cache` without Cache-Control. */
const REFRESH_ONLY: ClientDirectives = { noStore: false, refresh: true, maxAge: null, onlyIfCached: false };

export function clientDirectives(headers: { "cache-control"?: string | string[]; pragma?: string | string[] }): ClientDirectives {
  const cacheControl = headers["cache-control"];
  if (cacheControl === undefined) {
    // Pragma counts only without Cache-Control (RFC 9111 §5.4, kept for HTTP/1.0 clients).
    const pragma = headers.pragma;
    const noCache = pragma !== undefined && /(?:^|,)\s*no-cache\s*(?:,|$)/i.test(Array.isArray(pragma) ? pragma.join(",") : pragma);
    return noCache ? REFRESH_ONLY : NO_CLIENT_DIRECTIVES;
  }
  const directives = parseCacheControl(cacheControl);
  const maxAge = deltaSeconds(directives, "max-age");
  return {
    noStore: directives.has("no-store"),
    refresh: directives.has("no-cache") || maxAge === 0,
    maxAge,
    onlyIfCached: directives.has("only-if-cached"),
  };
}
