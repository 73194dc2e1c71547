/**
 * Who calls the portal API: the developer of the session named by the `turnpike_session`
 * cookie. State-changing requests must also carry the session's CSRF token in `X-CSRF-Token`:
 * a cross-site page can make the browser send the cookie, but cannot read the token (it is
 * only in responses to the portal's own same-origin calls), so it cannot forge the header.
 */
import type { GatewayRequest } from "../../http/server/message-types";
import { type ControlStore, type Developer, type Session, isControlStoreError } from "../control-store";
import { fail } from "./control-problem";
import { clearedSessionCookie, csrfTokenMatches, isStateChanging, sessionTokenOf } from "./session-cookie";

/** A signed-in developer. */
export interface SignedIn {
  readonly developer: Developer;
  readonly session: Session;
  /** The cookie value (to end the session at sign-out). */
  readonly token: string;
}

/** The audit actor of a developer. */
export function developerActor(developer: Pick<Developer, "id">): string {
  return `developer:${developer.id}`;
}

/** RFC 9110 wants a challenge with every 401; cookie sign-in has no registered scheme, so this names the realm. */
export const PORTAL_CHALLENGE = 'Cookie realm="turnpike-portal"';

/**
 * The signed-in developer, or 401 (no cookie, an unknown or expired session, a disabled
 * developer: a stale cookie is cleared), or 403 for a state-changing request without the
 * session's CSRF token.
 */
export async function authenticateSession(req: GatewayRequest, store: ControlStore, secureCookies: boolean): Promise<SignedIn> {
  const token = sessionTokenOf(req);
  if (token === null) fail("unauthorized", "sign in first", { headers: { "www-authenticate": PORTAL_CHALLENGE } });
  const signedOut = (): never => fail("unauthorized", "the session has ended; sign in again", { headers: { "www-authenticate": PORTAL_CHALLENGE, "set-cookie": clearedSessionCookie(secureCookies) } });
  const session = await store.findSession(token);
  if (session === null) return signedOut();
  let developer: Developer;
  try {
    developer = await store.getDeveloper(session.developerId);
  } catch (error) {
    if (isControlStoreError(error, "not-found")) return signedOut();
    throw error;
  }
  if (developer.status !== "active") {
    await store.deleteSession(token);
    return signedOut();
  }
  if (isStateChanging(req.method ?? "GET") && !csrfTokenMatches(req.headers["x-csrf-token"], session.csrfToken)) {
    fail("forbidden", "missing or wrong X-CSRF-Token header: send the csrfToken from sign-in or GET /me with every change");
  }
  return { developer, session, token };
}
