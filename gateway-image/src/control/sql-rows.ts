/**
 * Rows of the control store's tables as the drivers return them, and their mapping to the
 * records of the {@link ControlStore} interface (times: epoch milliseconds in, ISO 8601 out;
 * PostgreSQL's BIGINT arrives as a string, hence `Number()` everywhere).
 */
import { randomBytes } from "node:crypto";
import type { AccessChange, AdminRole, AdminToken, App, AppOrigin, AuditEntry, Credential, Developer, DeveloperStatus, Session, Subscription, SubscriptionState } from "./control-store";
import type { SqlRow } from "./sql-driver";

export interface DeveloperRow extends SqlRow {
  id: string;
  email: string;
  name: string;
  status: DeveloperStatus;
  password_hash: string | null;
  created_at: unknown;
  updated_at: unknown;
}

export interface NewAppRow {
  id: string;
  developer_id: string | null;
  consumer_name: string;
  name: string;
  description: string;
  origin: AppOrigin;
}

export interface AppRow extends SqlRow, NewAppRow {
  created_at: unknown;
  updated_at: unknown;
}

export interface SubscriptionRow extends SqlRow {
  id: string;
  app_id: string;
  product: string;
  plan: string;
  state: SubscriptionState;
  origin: AppOrigin;
  created_at: unknown;
  updated_at: unknown;
}

export interface CredentialRow extends SqlRow {
  id: string;
  app_id: string;
  prefix: string;
  salt: string;
  hash: string;
  label: string;
  origin: AppOrigin;
  created_at: unknown;
  expires_at: unknown;
  revoked_at: unknown;
  rotated_from: string | null;
}

export interface AdminTokenRow extends SqlRow {
  id: string;
  name: string;
  role: AdminRole;
  apis_json: string;
  prefix: string;
  salt: string;
  hash: string;
  created_at: unknown;
  expires_at: unknown;
  revoked_at: unknown;
}

export interface SessionRow extends SqlRow {
  id: string;
  developer_id: string;
  csrf_token: string;
  created_at: unknown;
  expires_at: unknown;
}

export interface AuditRow extends SqlRow {
  id: unknown;
  at: unknown;
  actor: string;
  action: string;
  entity_type: string;
  entity_id: string;
  reason: string | null;
  before_json: string | null;
  after_json: string | null;
}

export interface ChangeRow extends SqlRow {
  seq: unknown;
  kind: AccessChange["kind"];
  app_id: string;
  prefix: string | null;
  at: unknown;
}

export const iso = (ms: unknown): string => new Date(Number(ms)).toISOString();
export const isoOrNull = (ms: unknown): string | null => (ms === null || ms === undefined ? null : iso(ms));
export const msOrNull = (time: string | null | undefined): number | null => (time === null || time === undefined ? null : Date.parse(time));

export function newId(kind: string): string {
  return `${kind}_${randomBytes(10).toString("hex")}`;
}

export function toDeveloper(row: DeveloperRow): Developer {
  return { id: row.id, email: row.email, name: row.name, status: row.status, createdAt: iso(row.created_at), updatedAt: iso(row.updated_at) };
}

export function toApp(row: AppRow): App {
  return {
    id: row.id,
    developerId: row.developer_id,
    consumerName: row.consumer_name,
    name: row.name,
    description: row.description,
    origin: row.origin,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function toSubscription(row: SubscriptionRow): Subscription {
  return { id: row.id, appId: row.app_id, product: row.product, plan: row.plan, state: row.state, origin: row.origin, createdAt: iso(row.created_at), updatedAt: iso(row.updated_at) };
}

export function toCredential(row: CredentialRow): Credential {
  return {
    id: row.id,
    appId: row.app_id,
    type: "apiKey",
    prefix: row.prefix,
    label: row.label,
    origin: row.origin,
    createdAt: iso(row.created_at),
    expiresAt: isoOrNull(row.expires_at),
    revokedAt: isoOrNull(row.revoked_at),
    rotatedFrom: row.rotated_from,
  };
}

export function toAdminToken(row: AdminTokenRow): AdminToken {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    apis: JSON.parse(row.apis_json) as string[],
    prefix: row.prefix,
    createdAt: iso(row.created_at),
    expiresAt: isoOrNull(row.expires_at),
    revokedAt: isoOrNull(row.revoked_at),
  };
}

export function toSession(row: SessionRow): Session {
  return { id: row.id, developerId: row.developer_id, csrfToken: row.csrf_token, createdAt: iso(row.created_at), expiresAt: iso(row.expires_at) };
}

export function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    id: Number(row.id),
    at: iso(row.at),
    actor: row.actor,
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
    reason: row.reason,
    before: row.before_json === null ? null : (JSON.parse(row.before_json) as unknown),
    after: row.after_json === null ? null : (JSON.parse(row.after_json) as unknown),
  };
}
