/**
 * Whether an upstream response may be stored, and for how long: the RFC 9111 §3 rules a
 * shared cache follows, narrowed to what this cache does (no revalidation, so a response
 * that must be revalidated before each use is not stored at all).
 */
import type { HeaderMap } from "../../gateway-image/src/http/exchange";
import { freshnessLifetime, parseCacheControl, parseDeltaSeconds } from "./cache-control";
import { parseVary } from "./cache-key";

export interface StorabilityRules {
  readonly statuses: ReadonlySet<number>;
  readonly defaultTtlSeconds: number;
  readonly respectCacheControl: boolean;
  readonly maxEntryBytes: number;
}

export interface RequestFacts {
  /** The request carried `Authorization`. */
  readonly authorization: boolean;
  /** The entry would be shared by several callers (not kept per identified consumer). */
  readonly shared: boolean;
}

export type Storability =
  | {
      readonly store: true;
      /** Seconds the response stays fresh from now (its lifetime minus the age it arrived with). */
      readonly freshSeconds: number;
      /** The `Age` the response arrived with, in seconds. */
      readonly initialAge: number;
      /** Request headers its `Vary` names. */
      readonly varyNames: readonly string[];
    }
  | { readonly store: false; readonly reason: string };

/** Decides from the response head; the body size is checked again while it streams. */
export function storability(status: number, headers: HeaderMap, request: RequestFacts, rules: StorabilityRules): Storability {
  if (!rules.statuses.has(status)) return { store: false, reason: `status ${status} is not cached` };
  const vary = parseVary(headers.vary);
  // `Vary: *` depends on something outside the request: no later request can be matched to it.
  if (vary === "*") return { store: false, reason: "Vary: *" };
  // A cookie is set for one client; replaying it to others would hand out their session.
  if (headers["set-cookie"] !== undefined) return { store: false, reason: "Set-Cookie" };
  const directives = parseCacheControl(headers["cache-control"]);
  if (rules.respectCacheControl) {
    if (directives.has("no-store")) return { store: false, reason: "Cache-Control: no-store" };
    if (directives.has("private")) return { store: false, reason: "Cache-Control: private" };
    // no-cache allows storing only to revalidate before each use, which this cache does not do.
    if (directives.has("no-cache")) return { store: false, reason: "Cache-Control: no-cache" };
  }
  // RFC 9111 §3.5: an answer to an authorized request is shared only when the upstream says so.
  if (request.authorization && request.shared && !(directives.has("public") || directives.has("s-maxage") || directives.has("must-revalidate"))) {
    return { store: false, reason: "an Authorization request answered without Cache-Control: public" };
  }
  const length = Number(single(headers["content-length"]) ?? "0");
  if (length > rules.maxEntryBytes) return { store: false, reason: `body of ${length} bytes exceeds maxEntryBytes` };
  const lifetime = freshnessLifetime(directives, headers, rules.defaultTtlSeconds, rules.respectCacheControl);
  const initialAge = parseDeltaSeconds(single(headers.age)?.trim()) ?? 0;
  const freshSeconds = rules.respectCacheControl ? lifetime - initialAge : lifetime;
  if (freshSeconds <= 0) return { store: false, reason: "already stale" };
  return { store: true, freshSeconds, initialAge, varyNames: vary };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
