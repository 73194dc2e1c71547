/**
 * `WWW-Authenticate: Bearer` challenges (RFC 6750 §3): every 401 must say how to
 * authenticate (RFC 9110 §11.6.1), and a refused token says why in `error`.
 */
import type { Operation } from "../../constructs/manifest/schema";

/** RFC 6750 error codes. */
export type BearerError = "invalid_request" | "invalid_token" | "insufficient_scope";

/** Characters allowed in a quoted RFC 6750 attribute value: printable ASCII but `"` and `\`. */
const UNQUOTABLE = /[^\x20\x21\x23-\x5b\x5d-\x7e]/g;

/** A Bearer challenge, with the realm (the API) and, for a refused token, the error and its description. */
export function bearerChallenge(realm: string | null, error?: { code: BearerError; description?: string; scope?: readonly string[] }): string {
  const attributes: string[] = [];
  if (realm !== null) attributes.push(`realm="${realm.replace(UNQUOTABLE, "")}"`);
  if (error !== undefined) {
    attributes.push(`error="${error.code}"`);
    if (error.description !== undefined) attributes.push(`error_description="${error.description.replace(UNQUOTABLE, "")}"`);
    if (error.scope !== undefined && error.scope.length > 0) attributes.push(`scope="${error.scope.join(" ").replace(UNQUOTABLE, "")}"`);
  }
  return attributes.length === 0 ? "Bearer" : `Bearer ${attributes.join(", ")}`;
}

/**
 * Scopes the operation requires through the given schemes that were not granted: what an
 * `insufficient_scope` challenge lists. Empty when no alternative using these schemes lacks a scope.
 */
export function missingScopes(operation: Operation | null, schemes: ReadonlySet<string>, granted: ReadonlySet<string> | null): string[] {
  const missing = new Set<string>();
  for (const alternative of operation?.security ?? []) {
    for (const requirement of alternative) {
      if (!schemes.has(requirement.scheme)) continue;
      for (const scope of requirement.scopes) if (granted?.has(scope) !== true) missing.add(scope);
    }
  }
  return [...missing];
}
