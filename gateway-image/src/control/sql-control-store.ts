/**
 * The {@link ControlStore} written once in portable SQL over a {@link SqlDriver}; the SQLite
 * and PostgreSQL stores are this class with their driver. One place for the rules (input
 * checks, the subscription state machine, key handling, audit entries, the access feed) means
 * the two backends cannot drift apart, and the shared test suite checks the drivers.
 *
 * Every change runs in {@link SqlControlStore.write}: one transaction holding the change, its
 * audit entry and its access-feed entry, so either all of them are committed or none is.
 */
import {
  type AccessChange,
  type AccessChanges,
  type AdminToken,
  type App,
  type AppOrigin,
  type AppPatch,
  type AuditEntry,
  type AuditQuery,
  type ChangeContext,
  type ControlStore,
  ControlStoreError,
  type Credential,
  canTransition,
  type DeclaredConsumer,
  type Developer,
  type DeveloperPatch,
  type DeveloperWithPassword,
  type IssuedAdminToken,
  type IssuedApiKey,
  type IssuedSession,
  type NewAdminToken,
  type NewApiKey,
  type NewApp,
  type NewDeveloper,
  type NewSubscription,
  type Page,
  type PageRequest,
  type ProvisionOutcome,
  SUBSCRIPTION_TRANSITIONS,
  type Session,
  type Subscription,
  type SubscriptionQuery,
  type SubscriptionState,
  type UsageCounter,
  type UsageIncrement,
  type UsageQuery,
  type VerifiedApiKey,
} from "./control-store";
import { type GeneratedKey, generateKey, lookupPrefix, parsePrefix, randomToken, saltAndHash, tokenDigest, verifyKey } from "./api-key-secret";
import {
  appPatchSchema,
  auditQuerySchema,
  declaredConsumerSchema,
  developerPatchSchema,
  newAdminTokenSchema,
  newApiKeySchema,
  newAppSchema,
  newDeveloperSchema,
  newSubscriptionSchema,
  overlapSecondsSchema,
  sessionTtlSchema,
  subscriptionStateSchema,
  usageIncrementSchema,
  usageQuerySchema,
  validate,
} from "./input-validation";
import { applyMigrations } from "./migrations/apply-migrations";
import type { SqlDriver, SqlRow, SqlTransaction, SqlValue } from "./sql-driver";
import {
  type AdminTokenRow,
  type AppRow,
  type AuditRow,
  type ChangeRow,
  type CredentialRow,
  type DeveloperRow,
  type NewAppRow,
  iso,
  msOrNull,
  newId,
  type SessionRow,
  type SubscriptionRow,
  toAdminToken,
  toApp,
  toAuditEntry,
  toCredential,
  toDeveloper,
  toSession,
  toSubscription,
} from "./sql-rows";

export interface SqlControlStoreOptions {
  /** The clock, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /**
   * Called inside every change's transaction just before it commits, with the change's action
   * (e.g. `credential.rotate`). For fault-injection tests: throwing rolls the change back.
   */
  readonly beforeCommit?: (action: string) => void | Promise<void>;
}

/** Unique constraints as the drivers name them, and the input field each one is about. */
const UNIQUE_FIELDS: Record<string, { field: string; message: string }> = {
  "developers.email": { field: "email", message: "a developer with this e-mail address exists" },
  "apps.consumer_name": { field: "consumerName", message: "an app with this consumer name exists" },
  "subscriptions.app_id,product": { field: "product", message: "the app already has a live subscription to this product" },
  "admin_tokens.name": { field: "name", message: "an admin token with this name exists" },
};

const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;
const MAX_ACCESS_CHANGES = 1000;
/** Keys longer than this are not looked up at all (no hashing of huge inputs). */
const MAX_KEY_LENGTH = 512;

const TRANSITION_VERBS: Record<SubscriptionState, string> = {
  requested: "request",
  approved: "approve",
  rejected: "reject",
  active: "activate",
  suspended: "suspend",
  cancelled: "cancel",
};



function notFound(what: string, id: string, field?: string): ControlStoreError {
  return new ControlStoreError("not-found", `no ${what} "${id}"`, field === undefined ? [] : [{ field, message: `no ${what} with this id` }]);
}

function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new ControlStoreError("invalid-input", `limit is a whole number from 1 to ${MAX_PAGE}`, [{ field: "limit", message: `from 1 to ${MAX_PAGE}` }]);
  return limit;
}

/** `<created_at ms>.<id>` of the last row of a page, oldest-first listings. */
function parseCursor(cursor: string): [number, string] {
  const match = /^(\d+)\.(.+)$/.exec(cursor);
  if (match === null) throw new ControlStoreError("invalid-input", "cursor is not one this store returned", [{ field: "cursor", message: "not a cursor of this listing" }]);
  return [Number(match[1]), match[2]!];
}

function checkContext(context: ChangeContext): void {
  if (typeof context?.actor !== "string" || context.actor.trim() === "") {
    throw new ControlStoreError("invalid-input", "a change needs an actor for the audit log", [{ field: "actor", message: "must not be empty" }]);
  }
}

export class SqlControlStore implements ControlStore {
  private readonly now: () => number;

  private constructor(
    private readonly driver: SqlDriver,
    private readonly options: SqlControlStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Applies pending migrations, then answers the store. Closes the driver if that fails. */
  static async open(driver: SqlDriver, options: SqlControlStoreOptions = {}): Promise<SqlControlStore> {
    try {
      await applyMigrations(driver, options.now ?? Date.now);
    } catch (error) {
      await driver.close();
      throw error;
    }
    return new SqlControlStore(driver, options);
  }

  async schemaVersion(): Promise<number> {
    const rows = await this.driver.query<{ version: unknown }>("SELECT MAX(version) AS version FROM schema_migrations");
    return Number(rows[0]?.version ?? 0);
  }

  // ------------------------------------------------------------------------------------------
  // Developers
  // ------------------------------------------------------------------------------------------

  async createDeveloper(input: NewDeveloper, context: ChangeContext): Promise<Developer> {
    checkContext(context);
    const data = validate(newDeveloperSchema, input, "developer");
    return this.write("developer.create", async (tx) => {
      const now = this.now();
      const row: DeveloperRow = { id: newId("dev"), email: data.email, name: data.name, status: "active", password_hash: data.passwordHash ?? null, created_at: now, updated_at: now };
      await tx.run("INSERT INTO developers (id, email, name, status, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", [
        row.id,
        row.email,
        row.name,
        row.status,
        row.password_hash,
        now,
        now,
      ]);
      const developer = toDeveloper(row);
      await this.audit(tx, context, "developer.create", "developer", row.id, null, developer);
      return developer;
    });
  }

  async getDeveloper(id: string): Promise<Developer> {
    const [row] = await this.driver.query<DeveloperRow>("SELECT * FROM developers WHERE id = ?", [id]);
    if (row === undefined) throw notFound("developer", id);
    return toDeveloper(row);
  }

  async findDeveloperByEmail(email: string): Promise<DeveloperWithPassword | null> {
    const [row] = await this.driver.query<DeveloperRow>("SELECT * FROM developers WHERE email = ?", [String(email).trim().toLowerCase()]);
    return row === undefined ? null : { ...toDeveloper(row), passwordHash: row.password_hash };
  }

  async listDevelopers(page?: PageRequest): Promise<Page<Developer>> {
    const { rows, nextCursor } = await this.pageOldestFirst<DeveloperRow>("developers", [], [], page);
    return { items: rows.map(toDeveloper), nextCursor };
  }

  async updateDeveloper(id: string, patch: DeveloperPatch, context: ChangeContext): Promise<Developer> {
    checkContext(context);
    const data = validate(developerPatchSchema, patch, "developer change");
    return this.write("developer.update", async (tx) => {
      const [row] = await tx.query<DeveloperRow>(`SELECT * FROM developers WHERE id = ?${this.driver.forUpdate}`, [id]);
      if (row === undefined) throw notFound("developer", id);
      const next: DeveloperRow = {
        ...row,
        email: data.email ?? row.email,
        name: data.name ?? row.name,
        status: data.status ?? row.status,
        password_hash: data.passwordHash === undefined ? row.password_hash : data.passwordHash,
      };
      const passwordChanged = next.password_hash !== row.password_hash;
      if (!passwordChanged && next.email === row.email && next.name === row.name && next.status === row.status) return toDeveloper(row);
      next.updated_at = this.now();
      await tx.run("UPDATE developers SET email = ?, name = ?, status = ?, password_hash = ?, updated_at = ? WHERE id = ?", [
        next.email,
        next.name,
        next.status,
        next.password_hash,
        next.updated_at as number,
        id,
      ]);
      const developer = toDeveloper(next);
      // The hash itself never goes into the audit log; that it changed does.
      await this.audit(tx, context, "developer.update", "developer", id, toDeveloper(row), passwordChanged ? { ...developer, passwordChanged: true } : developer);
      return developer;
    });
  }

  // ------------------------------------------------------------------------------------------
  // Apps
  // ------------------------------------------------------------------------------------------

  async createApp(input: NewApp, context: ChangeContext): Promise<App> {
    checkContext(context);
    const data = validate(newAppSchema, input, "app");
    return this.write("app.create", async (tx) => {
      const [developer] = await tx.query<DeveloperRow>("SELECT id FROM developers WHERE id = ?", [data.developerId]);
      if (developer === undefined) throw notFound("developer", data.developerId, "developerId");
      const id = newId("app");
      return this.insertApp(tx, context, {
        id,
        developer_id: data.developerId,
        consumer_name: data.consumerName ?? `app-${id.slice(4)}`,
        name: data.name,
        description: data.description ?? "",
        origin: "portal",
      });
    });
  }

  async getApp(id: string): Promise<App> {
    const [row] = await this.driver.query<AppRow>("SELECT * FROM apps WHERE id = ?", [id]);
    if (row === undefined) throw notFound("app", id);
    return toApp(row);
  }

  async findAppByConsumerName(consumerName: string): Promise<App | null> {
    const [row] = await this.driver.query<AppRow>("SELECT * FROM apps WHERE consumer_name = ?", [consumerName]);
    return row === undefined ? null : toApp(row);
  }

  async listApps(query: PageRequest & { readonly developerId?: string; readonly origin?: AppOrigin } = {}): Promise<Page<App>> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (query.developerId !== undefined) where.push("developer_id = ?"), params.push(query.developerId);
    if (query.origin !== undefined) where.push("origin = ?"), params.push(query.origin);
    const { rows, nextCursor } = await this.pageOldestFirst<AppRow>("apps", where, params, query);
    return { items: rows.map(toApp), nextCursor };
  }

  async updateApp(id: string, patch: AppPatch, context: ChangeContext): Promise<App> {
    checkContext(context);
    const data = validate(appPatchSchema, patch, "app change");
    return this.write("app.update", (tx) => this.patchApp(tx, context, id, data));
  }

  // ------------------------------------------------------------------------------------------
  // Subscriptions
  // ------------------------------------------------------------------------------------------

  async createSubscription(input: NewSubscription, context: ChangeContext): Promise<Subscription> {
    checkContext(context);
    const data = validate(newSubscriptionSchema, input, "subscription");
    return this.write("subscription.create", async (tx) => {
      await tx.serialize("access-feed");
      const [app] = await tx.query<AppRow>("SELECT id FROM apps WHERE id = ?", [data.appId]);
      if (app === undefined) throw notFound("app", data.appId, "appId");
      return this.insertSubscription(tx, context, data.appId, data.product, data.plan, data.state ?? "requested", "portal");
    });
  }

  async getSubscription(id: string): Promise<Subscription> {
    const [row] = await this.driver.query<SubscriptionRow>("SELECT * FROM subscriptions WHERE id = ?", [id]);
    if (row === undefined) throw notFound("subscription", id);
    return toSubscription(row);
  }

  async listSubscriptions(query: SubscriptionQuery = {}): Promise<Page<Subscription>> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (query.appId !== undefined) where.push("app_id = ?"), params.push(query.appId);
    if (query.product !== undefined) where.push("product = ?"), params.push(query.product);
    if (query.state !== undefined) where.push("state = ?"), params.push(query.state);
    const { rows, nextCursor } = await this.pageOldestFirst<SubscriptionRow>("subscriptions", where, params, query);
    return { items: rows.map(toSubscription), nextCursor };
  }

  async transitionSubscription(id: string, to: SubscriptionState, context: ChangeContext & { readonly expectedState?: SubscriptionState }): Promise<Subscription> {
    checkContext(context);
    validate(subscriptionStateSchema, to, "subscription state");
    return this.write(`subscription.${TRANSITION_VERBS[to]}`, async (tx) => {
      await tx.serialize("access-feed");
      const [row] = await tx.query<SubscriptionRow>(`SELECT * FROM subscriptions WHERE id = ?${this.driver.forUpdate}`, [id]);
      if (row === undefined) throw notFound("subscription", id);
      return this.moveSubscription(tx, context, row, to);
    });
  }

  // ------------------------------------------------------------------------------------------
  // Credentials
  // ------------------------------------------------------------------------------------------

  async createApiKey(input: NewApiKey, context: ChangeContext): Promise<IssuedApiKey> {
    checkContext(context);
    const data = validate(newApiKeySchema, input, "API key");
    return this.write("credential.create", async (tx) => {
      await tx.serialize("access-feed");
      const [app] = await tx.query<AppRow>("SELECT id FROM apps WHERE id = ?", [data.appId]);
      if (app === undefined) throw notFound("app", data.appId, "appId");
      const key = await this.uniqueKey(tx, "credentials");
      const credential = await this.insertCredential(tx, context, { appId: data.appId, label: data.label ?? "", expiresAt: msOrNull(data.expiresAt), origin: "portal", rotatedFrom: null, key });
      return { credential, apiKey: key.plain };
    });
  }

  async getCredential(id: string): Promise<Credential> {
    const [row] = await this.driver.query<CredentialRow>("SELECT * FROM credentials WHERE id = ?", [id]);
    if (row === undefined) throw notFound("credential", id);
    return toCredential(row);
  }

  async listCredentials(appId: string): Promise<readonly Credential[]> {
    const rows = await this.driver.query<CredentialRow>("SELECT * FROM credentials WHERE app_id = ? ORDER BY created_at, id", [appId]);
    return rows.map(toCredential);
  }

  async rotateApiKey(id: string, overlapSeconds: number, context: ChangeContext): Promise<IssuedApiKey & { readonly previous: Credential }> {
    checkContext(context);
    validate(overlapSecondsSchema, overlapSeconds, "overlap");
    return this.write("credential.rotate", async (tx) => {
      await tx.serialize("access-feed");
      const [row] = await tx.query<CredentialRow>(`SELECT * FROM credentials WHERE id = ?${this.driver.forUpdate}`, [id]);
      if (row === undefined) throw notFound("credential", id);
      const now = this.now();
      if (row.origin === "declared") throw new ControlStoreError("conflict", "a declared key is rotated by changing its secret where the declaration reads it");
      if (row.revoked_at !== null) throw new ControlStoreError("conflict", "a revoked key cannot be rotated: create a new one");
      if (row.expires_at !== null && Number(row.expires_at) <= now) throw new ControlStoreError("conflict", "an expired key cannot be rotated: create a new one");
      const overlapEnd = now + overlapSeconds * 1000;
      const expiresAt = row.expires_at !== null && Number(row.expires_at) < overlapEnd ? Number(row.expires_at) : overlapEnd;
      await tx.run("UPDATE credentials SET expires_at = ? WHERE id = ?", [expiresAt, id]);
      const previous = toCredential({ ...row, expires_at: expiresAt });
      await this.audit(tx, context, "credential.rotate", "credential", id, toCredential(row), previous);
      await this.appendChange(tx, "credential-expiry-changed", row.app_id, row.prefix);
      const key = await this.uniqueKey(tx, "credentials");
      const credential = await this.insertCredential(tx, context, { appId: row.app_id, label: row.label, expiresAt: null, origin: row.origin, rotatedFrom: id, key });
      return { credential, apiKey: key.plain, previous };
    });
  }

  async revokeCredential(id: string, context: ChangeContext): Promise<Credential> {
    checkContext(context);
    return this.write("credential.revoke", async (tx) => {
      await tx.serialize("access-feed");
      const [row] = await tx.query<CredentialRow>(`SELECT * FROM credentials WHERE id = ?${this.driver.forUpdate}`, [id]);
      if (row === undefined) throw notFound("credential", id);
      return this.revokeRow(tx, context, row);
    });
  }

  async verifyApiKey(apiKey: string): Promise<VerifiedApiKey | null> {
    if (typeof apiKey !== "string" || apiKey.length === 0 || apiKey.length > MAX_KEY_LENGTH) return null;
    const rows = await this.driver.query<CredentialRow & { a_developer_id: string | null; a_consumer_name: string; a_name: string; a_description: string; a_origin: AppOrigin; a_created_at: unknown; a_updated_at: unknown }>(
      `SELECT c.*, a.developer_id AS a_developer_id, a.consumer_name AS a_consumer_name, a.name AS a_name, a.description AS a_description,
              a.origin AS a_origin, a.created_at AS a_created_at, a.updated_at AS a_updated_at
         FROM credentials c JOIN apps a ON a.id = c.app_id
        WHERE c.prefix = ?`,
      [lookupPrefix(apiKey)],
    );
    const row = rows[0];
    if (row === undefined || row.revoked_at !== null) return null;
    if (row.expires_at !== null && Number(row.expires_at) <= this.now()) return null;
    if (!verifyKey(apiKey, row)) return null;
    const app: App = {
      id: row.app_id,
      developerId: row.a_developer_id,
      consumerName: row.a_consumer_name,
      name: row.a_name,
      description: row.a_description,
      origin: row.a_origin,
      createdAt: iso(row.a_created_at),
      updatedAt: iso(row.a_updated_at),
    };
    return { credential: toCredential(row), app };
  }

  async accessChangesSince(cursor: number, limit = MAX_ACCESS_CHANGES): Promise<AccessChanges> {
    if (!Number.isSafeInteger(cursor) || cursor < 0) throw new ControlStoreError("invalid-input", "cursor is a whole number ≥ 0", [{ field: "cursor", message: "a whole number ≥ 0" }]);
    const rows = await this.driver.query<ChangeRow>("SELECT * FROM access_changes WHERE seq > ? ORDER BY seq LIMIT ?", [cursor, Math.min(Math.max(1, Math.floor(limit)), MAX_ACCESS_CHANGES)]);
    const changes = rows.map((row): AccessChange => ({ seq: Number(row.seq), kind: row.kind, appId: row.app_id, prefix: row.prefix, at: iso(row.at) }));
    return { changes, cursor: changes.at(-1)?.seq ?? cursor };
  }

  async latestAccessChange(): Promise<number> {
    const rows = await this.driver.query<{ seq: unknown }>("SELECT MAX(seq) AS seq FROM access_changes");
    return Number(rows[0]?.seq ?? 0);
  }

  // ------------------------------------------------------------------------------------------
  // Usage
  // ------------------------------------------------------------------------------------------

  async incrementUsage(consumerId: string, day: string, api: string, n: number): Promise<void> {
    const data = validate(usageIncrementSchema, { consumerId, day, api, n }, "usage increment");
    // One statement: atomic on its own, and the upsert adds under the row's lock on both backends.
    await this.driver.run(UPSERT_USAGE, [data.consumerId, data.day, data.api, data.n]);
  }

  async incrementUsageMany(increments: readonly UsageIncrement[]): Promise<void> {
    const data = increments.map((increment, index) => validate(usageIncrementSchema, increment, `usage increment ${index}`));
    if (data.length === 0) return;
    await this.driver.transaction(async (tx) => {
      for (const increment of data) await tx.run(UPSERT_USAGE, [increment.consumerId, increment.day, increment.api, increment.n]);
    });
  }

  async usage(query: UsageQuery): Promise<readonly UsageCounter[]> {
    const data = validate(usageQuerySchema, query, "usage query");
    const params: SqlValue[] = [data.consumerId, data.from, data.to];
    if (data.api !== undefined) params.push(data.api);
    const rows = await this.driver.query<{ consumer_id: string; day: string; api: string; count: unknown }>(
      `SELECT consumer_id, day, api, count FROM usage_counters WHERE consumer_id = ? AND day >= ? AND day <= ?${data.api === undefined ? "" : " AND api = ?"} ORDER BY day, api`,
      params,
    );
    return rows.map((row) => ({ consumerId: row.consumer_id, day: row.day, api: row.api, count: Number(row.count) }));
  }

  // ------------------------------------------------------------------------------------------
  // Audit
  // ------------------------------------------------------------------------------------------

  async queryAudit(query: AuditQuery = {}): Promise<Page<AuditEntry>> {
    const data = validate(auditQuerySchema, query, "audit query");
    const limit = pageLimit(data.limit);
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (data.actor !== undefined) where.push("actor = ?"), params.push(data.actor);
    if (data.entityType !== undefined) where.push("entity_type = ?"), params.push(data.entityType);
    if (data.entityId !== undefined) where.push("entity_id = ?"), params.push(data.entityId);
    if (data.from !== undefined) where.push("at >= ?"), params.push(Date.parse(data.from));
    if (data.to !== undefined) where.push("at < ?"), params.push(Date.parse(data.to));
    if (data.cursor !== undefined && data.cursor !== null) {
      if (!/^\d+$/.test(data.cursor)) throw new ControlStoreError("invalid-input", "cursor is not one this store returned", [{ field: "cursor", message: "not a cursor of this listing" }]);
      where.push("id < ?"), params.push(Number(data.cursor));
    }
    const rows = await this.driver.query<AuditRow>(`SELECT * FROM audit_log${where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`} ORDER BY id DESC LIMIT ?`, [...params, limit + 1]);
    const items = rows.slice(0, limit).map(toAuditEntry);
    return { items, nextCursor: rows.length > limit ? String(items.at(-1)!.id) : null };
  }

  // ------------------------------------------------------------------------------------------
  // Admin tokens
  // ------------------------------------------------------------------------------------------

  async createAdminToken(input: NewAdminToken, context: ChangeContext): Promise<IssuedAdminToken> {
    checkContext(context);
    const data = validate(newAdminTokenSchema, input, "admin token");
    return this.write("admin-token.create", async (tx) => {
      const key = await this.uniqueKey(tx, "admin_tokens");
      const row: AdminTokenRow = {
        id: newId("adm"),
        name: data.name,
        role: data.role,
        apis_json: JSON.stringify([...(data.apis ?? [])].sort()),
        prefix: key.prefix,
        salt: key.salt,
        hash: key.hash,
        created_at: this.now(),
        expires_at: msOrNull(data.expiresAt),
        revoked_at: null,
      };
      await tx.run("INSERT INTO admin_tokens (id, name, role, apis_json, prefix, salt, hash, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)", [
        row.id,
        row.name,
        row.role,
        row.apis_json,
        row.prefix,
        row.salt,
        row.hash,
        row.created_at as number,
        row.expires_at as number | null,
      ]);
      const adminToken = toAdminToken(row);
      await this.audit(tx, context, "admin-token.create", "admin-token", row.id, null, adminToken);
      return { adminToken, token: key.plain };
    });
  }

  async verifyAdminToken(token: string): Promise<AdminToken | null> {
    const prefix = typeof token === "string" ? parsePrefix("adminToken", token) : null;
    if (prefix === null) return null;
    const [row] = await this.driver.query<AdminTokenRow>("SELECT * FROM admin_tokens WHERE prefix = ?", [prefix]);
    if (row === undefined || row.revoked_at !== null) return null;
    if (row.expires_at !== null && Number(row.expires_at) <= this.now()) return null;
    return verifyKey(token, row) ? toAdminToken(row) : null;
  }

  async listAdminTokens(): Promise<readonly AdminToken[]> {
    const rows = await this.driver.query<AdminTokenRow>("SELECT * FROM admin_tokens ORDER BY created_at, id");
    return rows.map(toAdminToken);
  }

  async revokeAdminToken(id: string, context: ChangeContext): Promise<AdminToken> {
    checkContext(context);
    return this.write("admin-token.revoke", async (tx) => {
      const [row] = await tx.query<AdminTokenRow>(`SELECT * FROM admin_tokens WHERE id = ?${this.driver.forUpdate}`, [id]);
      if (row === undefined) throw notFound("admin token", id);
      if (row.revoked_at !== null) return toAdminToken(row);
      const revoked = { ...row, revoked_at: this.now() };
      await tx.run("UPDATE admin_tokens SET revoked_at = ? WHERE id = ?", [revoked.revoked_at, id]);
      const after = toAdminToken(revoked);
      await this.audit(tx, context, "admin-token.revoke", "admin-token", id, toAdminToken(row), after);
      return after;
    });
  }

  // ------------------------------------------------------------------------------------------
  // Sessions (not audited: sign-ins are not configuration, and they are many)
  // ------------------------------------------------------------------------------------------

  async createSession(developerId: string, ttlSeconds: number): Promise<IssuedSession> {
    validate(sessionTtlSchema, ttlSeconds, "session lifetime");
    return this.write("session.create", async (tx) => {
      const [developer] = await tx.query<DeveloperRow>("SELECT * FROM developers WHERE id = ?", [developerId]);
      if (developer === undefined) throw notFound("developer", developerId, "developerId");
      if (developer.status !== "active") throw new ControlStoreError("conflict", "the developer is disabled", [{ field: "developerId", message: "disabled" }]);
      const token = randomToken();
      const now = this.now();
      const row: SessionRow = { id: newId("ses"), developer_id: developerId, csrf_token: randomToken(), created_at: now, expires_at: now + ttlSeconds * 1000 };
      await tx.run("INSERT INTO sessions (id, token_hash, developer_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)", [
        row.id,
        tokenDigest(token),
        developerId,
        row.csrf_token,
        now,
        row.expires_at as number,
      ]);
      return { session: toSession(row), token };
    });
  }

  async findSession(token: string): Promise<Session | null> {
    if (typeof token !== "string" || token.length === 0 || token.length > MAX_KEY_LENGTH) return null;
    const [row] = await this.driver.query<SessionRow>("SELECT * FROM sessions WHERE token_hash = ? AND expires_at > ?", [tokenDigest(token), this.now()]);
    return row === undefined ? null : toSession(row);
  }

  async deleteSession(token: string): Promise<void> {
    if (typeof token !== "string") return;
    await this.driver.run("DELETE FROM sessions WHERE token_hash = ?", [tokenDigest(token)]);
  }

  async deleteDeveloperSessions(developerId: string): Promise<number> {
    return this.driver.run("DELETE FROM sessions WHERE developer_id = ?", [developerId]);
  }

  // ------------------------------------------------------------------------------------------
  // Declared consumers
  // ------------------------------------------------------------------------------------------

  async provisionDeclaredConsumer(consumer: DeclaredConsumer, context: ChangeContext): Promise<ProvisionOutcome> {
    checkContext(context);
    const data = validate(declaredConsumerSchema, consumer, `declared consumer "${String(consumer?.name)}"`);
    return this.write("consumer.provision", async (tx) => {
      await tx.serialize("access-feed");
      const warnings: string[] = [];
      let appCreated = false;
      let appUpdated = false;
      let [appRow] = await tx.query<AppRow>(`SELECT * FROM apps WHERE consumer_name = ?${this.driver.forUpdate}`, [data.name]);
      let app: App;
      if (appRow === undefined) {
        app = await this.insertApp(tx, context, { id: newId("app"), developer_id: null, consumer_name: data.name, name: data.displayName, description: data.description, origin: "declared" });
        appCreated = true;
      } else if (appRow.origin !== "declared") {
        throw new ControlStoreError("conflict", `the consumer name "${data.name}" belongs to an app made on the portal, not to the declared consumer`, [{ field: "name", message: "taken by a portal app" }]);
      } else if (appRow.name !== data.displayName || appRow.description !== data.description) {
        app = await this.patchApp(tx, context, appRow.id, { name: data.displayName, description: data.description });
        appUpdated = true;
      } else {
        app = toApp(appRow);
      }

      // Subscriptions: declared ones that are no longer declared are cancelled; missing ones are
      // created active. A declared subscription an admin suspended stays suspended.
      let subscriptionsCreated = 0;
      let subscriptionsCancelled = 0;
      const live = await tx.query<SubscriptionRow>(`SELECT * FROM subscriptions WHERE app_id = ? AND state IN ('requested', 'approved', 'active', 'suspended')${this.driver.forUpdate}`, [app.id]);
      const wanted = new Map(data.subscriptions.map((s) => [s.product, s.plan]));
      for (const row of live) {
        if (row.origin === "declared" && wanted.get(row.product) !== row.plan) {
          await this.moveSubscription(tx, context, row, "cancelled");
          subscriptionsCancelled++;
        }
      }
      for (const [product, plan] of wanted) {
        const existing = live.find((row) => row.product === product && !(row.origin === "declared" && row.plan !== plan));
        if (existing === undefined) {
          await this.insertSubscription(tx, context, app.id, product, plan, "active", "declared");
          subscriptionsCreated++;
        } else if (existing.origin !== "declared") {
          warnings.push(`consumer ${data.name}: product ${product} already has a subscription made through the admin API (plan ${existing.plan}); the declared plan ${plan} is not applied`);
        }
      }

      // Keys: found by their lookup prefix. A key is never moved between apps or brought back
      // after a revocation; a changed expiry is applied.
      let keysCreated = 0;
      let keysRevoked = 0;
      let keysUpdated = 0;
      const wantedPrefixes = new Set<string>();
      for (const { key, expiresAt } of data.apiKeys) {
        const prefix = lookupPrefix(key);
        wantedPrefixes.add(prefix);
        const [row] = await tx.query<CredentialRow>(`SELECT * FROM credentials WHERE prefix = ?${this.driver.forUpdate}`, [prefix]);
        if (row === undefined) {
          await this.insertCredential(tx, context, { appId: app.id, label: "declared", expiresAt: msOrNull(expiresAt), origin: "declared", rotatedFrom: null, key: { plain: key, prefix, ...saltAndHash(key) } });
          keysCreated++;
        } else if (row.app_id !== app.id || !verifyKey(key, row)) {
          warnings.push(`consumer ${data.name}: a declared API key (prefix ${prefix}) is already a key of another app; not provisioned`);
        } else if (row.revoked_at !== null) {
          warnings.push(`consumer ${data.name}: the declared API key with prefix ${prefix} was revoked on ${iso(row.revoked_at)}; it stays revoked (declare a new secret)`);
        } else if (Number(row.expires_at ?? -1) !== (msOrNull(expiresAt) ?? -1)) {
          const next = { ...row, expires_at: msOrNull(expiresAt) };
          await tx.run("UPDATE credentials SET expires_at = ? WHERE id = ?", [next.expires_at, row.id]);
          await this.audit(tx, context, "credential.update", "credential", row.id, toCredential(row), toCredential(next));
          await this.appendChange(tx, "credential-expiry-changed", app.id, prefix);
          keysUpdated++;
        }
      }
      if (data.keysComplete) {
        const active = await tx.query<CredentialRow>(`SELECT * FROM credentials WHERE app_id = ? AND origin = 'declared' AND revoked_at IS NULL${this.driver.forUpdate}`, [app.id]);
        for (const row of active) {
          if (wantedPrefixes.has(row.prefix)) continue;
          await this.revokeRow(tx, context, row);
          keysRevoked++;
        }
      } else {
        warnings.push(`consumer ${data.name}: some declared API keys could not be read; keys no longer declared are not revoked until they can`);
      }
      return { app, appCreated, appUpdated, subscriptionsCreated, subscriptionsCancelled, keysCreated, keysRevoked, keysUpdated, warnings };
    });
  }

  async close(): Promise<void> {
    await this.driver.close();
  }

  // ------------------------------------------------------------------------------------------
  // Inside transactions
  // ------------------------------------------------------------------------------------------

  /** One change: its transaction, the fault-injection hook, and constraint errors as `conflict`. */
  private async write<T>(action: string, fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    try {
      return await this.driver.transaction(async (tx) => {
        const result = await fn(tx);
        await this.options.beforeCommit?.(action);
        return result;
      });
    } catch (error) {
      if (error instanceof ControlStoreError) throw error;
      const key = this.driver.uniqueViolation(error);
      if (key === null) throw error;
      const known = UNIQUE_FIELDS[key];
      throw new ControlStoreError("conflict", known?.message ?? `duplicate ${key}`, known === undefined ? [] : [{ field: known.field, message: known.message }], { cause: error });
    }
  }

  private async audit(tx: SqlTransaction, context: ChangeContext, action: string, entityType: string, entityId: string, before: unknown, after: unknown): Promise<void> {
    await tx.run("INSERT INTO audit_log (at, actor, action, entity_type, entity_id, reason, before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
      this.now(),
      context.actor,
      action,
      entityType,
      entityId,
      context.reason ?? null,
      before === null ? null : JSON.stringify(before),
      after === null ? null : JSON.stringify(after),
    ]);
  }

  /**
   * Appends to the access feed. The caller has serialized the feed (`tx.serialize`) before
   * taking any row lock: with writers one at a time, `seq` order is commit order, so a poller
   * that has read up to `seq` N never later finds an N−1 committed behind its back.
   */
  private async appendChange(tx: SqlTransaction, kind: AccessChange["kind"], appId: string, prefix: string | null): Promise<void> {
    await tx.run("INSERT INTO access_changes (kind, app_id, prefix, at) VALUES (?, ?, ?, ?)", [kind, appId, prefix, this.now()]);
  }

  private async insertApp(tx: SqlTransaction, context: ChangeContext, fields: NewAppRow): Promise<App> {
    const now = this.now();
    const row: AppRow = { ...fields, created_at: now, updated_at: now };
    await tx.run("INSERT INTO apps (id, developer_id, consumer_name, name, description, origin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
      row.id,
      row.developer_id,
      row.consumer_name,
      row.name,
      row.description,
      row.origin,
      now,
      now,
    ]);
    const app = toApp(row);
    await this.audit(tx, context, "app.create", "app", row.id, null, app);
    return app;
  }

  private async patchApp(tx: SqlTransaction, context: ChangeContext, id: string, patch: AppPatch): Promise<App> {
    const [row] = await tx.query<AppRow>(`SELECT * FROM apps WHERE id = ?${this.driver.forUpdate}`, [id]);
    if (row === undefined) throw notFound("app", id);
    const next: AppRow = { ...row, name: patch.name ?? row.name, description: patch.description ?? row.description };
    if (next.name === row.name && next.description === row.description) return toApp(row);
    next.updated_at = this.now();
    await tx.run("UPDATE apps SET name = ?, description = ?, updated_at = ? WHERE id = ?", [next.name, next.description, next.updated_at as number, id]);
    const app = toApp(next);
    await this.audit(tx, context, "app.update", "app", id, toApp(row), app);
    return app;
  }

  private async insertSubscription(tx: SqlTransaction, context: ChangeContext, appId: string, product: string, plan: string, state: SubscriptionState, origin: AppOrigin): Promise<Subscription> {
    const now = this.now();
    const row: SubscriptionRow = { id: newId("sub"), app_id: appId, product, plan, state, origin, created_at: now, updated_at: now };
    await tx.run("INSERT INTO subscriptions (id, app_id, product, plan, state, origin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [row.id, appId, product, plan, state, origin, now, now]);
    const subscription = toSubscription(row);
    await this.audit(tx, context, "subscription.create", "subscription", row.id, null, subscription);
    if (state === "active") await this.appendChange(tx, "subscriptions-changed", appId, null);
    return subscription;
  }

  /** `row` was read under a lock in this transaction. */
  private async moveSubscription(tx: SqlTransaction, context: ChangeContext & { readonly expectedState?: SubscriptionState }, row: SubscriptionRow, to: SubscriptionState): Promise<Subscription> {
    if (context.expectedState !== undefined && context.expectedState !== row.state) {
      throw new ControlStoreError("conflict", `the subscription is ${row.state} now, not ${context.expectedState}`, [{ field: "state", message: `is ${row.state}` }]);
    }
    if (!canTransition(row.state, to)) {
      const allowed = SUBSCRIPTION_TRANSITIONS[row.state];
      throw new ControlStoreError(
        "invalid-transition",
        `a ${row.state} subscription cannot become ${to}${allowed.length === 0 ? ` (${row.state} is final)` : `; it can become ${allowed.join(", ")}`}`,
        [{ field: "state", message: `not allowed from ${row.state}` }],
      );
    }
    const next: SubscriptionRow = { ...row, state: to, updated_at: this.now() };
    await tx.run("UPDATE subscriptions SET state = ?, updated_at = ? WHERE id = ?", [to, next.updated_at as number, row.id]);
    const subscription = toSubscription(next);
    await this.audit(tx, context, `subscription.${TRANSITION_VERBS[to]}`, "subscription", row.id, toSubscription(row), subscription);
    await this.appendChange(tx, "subscriptions-changed", row.app_id, null);
    return subscription;
  }

  /** A generated key whose prefix no row of `table` has (a 51-bit prefix collides rarely; then try again). */
  private async uniqueKey(tx: SqlTransaction, table: "credentials" | "admin_tokens"): Promise<GeneratedKey> {
    for (;;) {
      const key = generateKey(table === "credentials" ? "apiKey" : "adminToken");
      const taken = await tx.query(`SELECT 1 AS taken FROM ${table} WHERE prefix = ?`, [key.prefix]);
      if (taken.length === 0) return key;
    }
  }

  private async insertCredential(
    tx: SqlTransaction,
    context: ChangeContext,
    input: { appId: string; label: string; expiresAt: number | null; origin: AppOrigin; rotatedFrom: string | null; key: GeneratedKey },
  ): Promise<Credential> {
    const row: CredentialRow = {
      id: newId("cred"),
      app_id: input.appId,
      prefix: input.key.prefix,
      salt: input.key.salt,
      hash: input.key.hash,
      label: input.label,
      origin: input.origin,
      created_at: this.now(),
      expires_at: input.expiresAt,
      revoked_at: null,
      rotated_from: input.rotatedFrom,
    };
    await tx.run("INSERT INTO credentials (id, app_id, type, prefix, salt, hash, label, origin, created_at, expires_at, revoked_at, rotated_from) VALUES (?, ?, 'apiKey', ?, ?, ?, ?, ?, ?, ?, NULL, ?)", [
      row.id,
      row.app_id,
      row.prefix,
      row.salt,
      row.hash,
      row.label,
      row.origin,
      row.created_at as number,
      input.expiresAt,
      row.rotated_from,
    ]);
    const credential = toCredential(row);
    await this.audit(tx, context, "credential.create", "credential", row.id, null, credential);
    await this.appendChange(tx, "credential-created", row.app_id, row.prefix);
    return credential;
  }

  private async revokeRow(tx: SqlTransaction, context: ChangeContext, row: CredentialRow): Promise<Credential> {
    if (row.revoked_at !== null) return toCredential(row);
    const revoked = { ...row, revoked_at: this.now() };
    await tx.run("UPDATE credentials SET revoked_at = ? WHERE id = ?", [revoked.revoked_at, row.id]);
    const credential = toCredential(revoked);
    await this.audit(tx, context, "credential.revoke", "credential", row.id, toCredential(row), credential);
    await this.appendChange(tx, "credential-revoked", row.app_id, row.prefix);
    return credential;
  }

  private async pageOldestFirst<R extends SqlRow & { id: string; created_at: unknown }>(
    table: string,
    where: readonly string[],
    params: readonly SqlValue[],
    page: PageRequest | undefined,
  ): Promise<{ rows: R[]; nextCursor: string | null }> {
    const limit = pageLimit(page?.limit);
    const conditions = [...where];
    const args = [...params];
    if (page?.cursor !== undefined && page.cursor !== null) {
      const [ms, id] = parseCursor(page.cursor);
      conditions.push("(created_at > ? OR (created_at = ? AND id > ?))");
      args.push(ms, ms, id);
    }
    const rows = await this.driver.query<R>(`SELECT * FROM ${table}${conditions.length === 0 ? "" : ` WHERE ${conditions.join(" AND ")}`} ORDER BY created_at, id LIMIT ?`, [...args, limit + 1]);
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return { rows: items, nextCursor: rows.length > limit && last !== undefined ? `${Number(last.created_at)}.${last.id}` : null };
  }
}

const UPSERT_USAGE = `INSERT INTO usage_counters (consumer_id, day, api, count) VALUES (?, ?, ?, ?)
  ON CONFLICT (consumer_id, day, api) DO UPDATE SET count = usage_counters.count + excluded.count`;
