/**
 * The portal's session cookie: `turnpike_session`, HttpOnly (scripts cannot read it),
 * SameSite=Lax (not sent on cross-site POSTs), scoped to the portal API's path, `Secure` when
 * the gateway is reached over TLS. Its value is the session token; the store keeps only its
 * SHA-256.
 */
import { timingSafeEqual, createHash } from "node:crypto";
import type { GatewayRequest } from "../../http/server/message-types";

export const SESSION_COOKIE = "turnpike_session";
/** Where the browser sends the cookie: the portal API only, not the APIs behind the gateway. */
export const SESSION_COOKIE_PATH = "/_turnpike/portal/";
/** How long a sign-in lasts, seconds (8 hours: a working day). */
export const SESSION_TTL_SECONDS = 8 * 3600;

/** The `Set-Cookie` value that starts a session. */
export function sessionCookie(token: string, secure: boolean, maxAgeSeconds = SESSION_TTL_SECONDS): string {
  return `${SESSION_COOKIE}=${token}; Path=${SESSION_COOKIE_PATH}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}

/** The `Set-Cookie` value that ends it in the browser. */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=${SESSION_COOKIE_PATH}; Max-Age=0; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}

/** The session token from the request's cookies, or `null`. */
export function sessionTokenOf(req: GatewayRequest): string | null {
  const header = req.headers.cookie;
  if (header === undefined) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return value === "" ? null : value;
    }
  }
  return null;
}

/**
 * Whether the `X-CSRF-Token` header matches the session's token, in constant time (both are
 * hashed first so their lengths do not matter to `timingSafeEqual`).
 */
export function csrfTokenMatches(sent: string | string[] | undefined, expected: string): boolean {
  if (typeof sent !== "string" || sent === "") return false;
  const a = createHash("sha256").update(sent).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Methods that change state and so need the CSRF header (RFC 9110 "unsafe" methods). */
export function isStateChanging(method: string): boolean {
  return method !== "GET" && method !== "HEAD" && method !== "OPTIONS";
}
