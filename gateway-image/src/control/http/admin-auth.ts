/**
 * Who calls the admin API: `Authorization: Bearer <token>` with an admin token from the store
 * (`tpa_…`) or the bootstrap token from the environment (TURNPIKE_ADMIN_TOKEN), which acts as
 * a platform-admin named `bootstrap`. Failures are 401 with an RFC 6750 challenge; a role that
 * may not use a route is 403.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { GatewayRequest } from "../../http/server/message-types";
import type { AdminRole, ControlStore } from "../control-store";
import { fail } from "./control-problem";

/** The caller of an admin route. */
export interface AdminPrincipal {
  /** The token's name; `bootstrap` for the environment's token. */
  readonly name: string;
  readonly role: AdminRole;
  /** APIs an `api-owner` is scoped to (manifest ids); empty for other roles. */
  readonly apis: ReadonlySet<string>;
  /** The token's id; `null` for the bootstrap token. */
  readonly tokenId: string | null;
}

/**
 * What a route needs: `read` any role (an api-owner sees only its scope), `read-all` a role
 * that reads everything (viewer, platform-admin), `change` a role that changes things
 * (platform-admin, or an api-owner within its scope), `platform-admin` that role alone.
 */
export type AdminAccess = "read" | "read-all" | "change" | "platform-admin";

const REALM = 'Bearer realm="turnpike-admin"';

/** The actor string of the audit log for a principal. */
export function adminActor(principal: AdminPrincipal): string {
  return `admin:${principal.name}`;
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** Constant-time equality of two secrets of any lengths (compared as SHA-256 digests). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** The principal of a request, or a 401 problem. */
export async function authenticateAdmin(req: GatewayRequest, store: ControlStore, bootstrapToken: string | null): Promise<AdminPrincipal> {
  const header = req.headers.authorization;
  if (header === undefined || header.trim() === "") fail("unauthorized", "send an admin token as Authorization: Bearer <token>", { headers: { "www-authenticate": REALM } });
  const match = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
  const invalid = () => fail("unauthorized", "the admin token is not valid (unknown, revoked or expired)", { headers: { "www-authenticate": `${REALM}, error="invalid_token"` } });
  if (match === null) return invalid();
  const token = match[1]!;
  if (bootstrapToken !== null && bootstrapToken !== "" && secretsEqual(token, bootstrapToken)) {
    return { name: "bootstrap", role: "platform-admin", apis: new Set(), tokenId: null };
  }
  const record = await store.verifyAdminToken(token);
  if (record === null) return invalid();
  return { name: record.name, role: record.role, apis: new Set(record.apis), tokenId: record.id };
}

/** Throws 403 unless the principal's role may use a route of that access. */
export function requireAccess(principal: AdminPrincipal, access: AdminAccess): void {
  const allowed =
    access === "read" ||
    (access === "read-all" && principal.role !== "api-owner") ||
    (access === "change" && principal.role !== "viewer") ||
    (access === "platform-admin" && principal.role === "platform-admin");
  if (!allowed) fail("forbidden", `the role ${principal.role} may not do this${access === "platform-admin" ? " (platform-admin only)" : ""}`);
}
