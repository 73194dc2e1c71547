/**
 * The control plane's data: developers, apps, subscriptions, credentials, usage counters, the
 * audit log, admin tokens and portal sessions, behind one async interface with two backends
 * (SQLite for one process, PostgreSQL for many replicas) that behave the same, by one test suite.
 *
 * Rules every implementation keeps:
 * - every change is one transaction together with its audit entry: a change that fails leaves
 *   nothing behind, not even the audit entry;
 * - a change acknowledged (the promise resolved) survives a crash of the process;
 * - plain secrets (API keys, admin tokens, session tokens) are returned once and never stored;
 * - bad input is a {@link ControlStoreError} with field errors, never a half-written row.
 */

/** Who made a change, for the audit log, e.g. `admin:alice`, `developer:dev_3f…`, `system:provisioner`. */
export interface ChangeContext {
  readonly actor: string;
  /** Why, when the actor said (e.g. the reason a subscription was rejected). */
  readonly reason?: string;
}

/** One page of a listing, oldest or newest first as the method says (records of the same millisecond in the order of their ids). */
export interface Page<T> {
  readonly items: readonly T[];
  /** Pass as `cursor` to get the next page; `null` on the last page. */
  readonly nextCursor: string | null;
}

/** Paging of a listing. */
export interface PageRequest {
  /** @default 50 (at most 500) */
  readonly limit?: number;
  readonly cursor?: string | null;
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** Kinds of store errors; the HTTP layer maps them to problem+json (404, 409, 409, 400, 503, 500). */
export type ControlStoreErrorCode = "not-found" | "conflict" | "invalid-transition" | "invalid-input" | "unavailable" | "schema-mismatch";

/** What is wrong with one input field (`field` is a dotted path, e.g. `email` or `apis.0`). */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** Every failure the store reports on purpose. Other errors are bugs or outages. */
export class ControlStoreError extends Error {
  override readonly name = "ControlStoreError";

  constructor(
    readonly code: ControlStoreErrorCode,
    message: string,
    readonly fieldErrors: readonly FieldError[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when `error` is a {@link ControlStoreError} with that code. */
export function isControlStoreError(error: unknown, code?: ControlStoreErrorCode): error is ControlStoreError {
  return error instanceof ControlStoreError && (code === undefined || error.code === code);
}

// ---------------------------------------------------------------------------------------------
// Records. Times are ISO 8601 strings in UTC (millisecond precision).
// ---------------------------------------------------------------------------------------------

export type DeveloperStatus = "active" | "disabled";

/** A person who signed up on the portal. */
export interface Developer {
  readonly id: string;
  /** Lower-cased; unique. */
  readonly email: string;
  readonly name: string;
  readonly status: DeveloperStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A developer with the password hash, for sign-in only (never returned by listings or audited). */
export interface DeveloperWithPassword extends Developer {
  /** Opaque to the store (the portal stores an scrypt hash); `null` when no password is set. */
  readonly passwordHash: string | null;
}

export interface NewDeveloper {
  readonly email: string;
  readonly name: string;
  readonly passwordHash?: string | null;
}

export interface DeveloperPatch {
  readonly name?: string;
  readonly email?: string;
  readonly status?: DeveloperStatus;
  readonly passwordHash?: string | null;
}

/** Where an app comes from: the portal (owned by a developer) or a consumer declared in `stacks/`. */
export type AppOrigin = "portal" | "declared";

/** A consumer of APIs: what subscriptions and credentials belong to, and what usage is counted for. */
export interface App {
  readonly id: string;
  /** `null` for declared consumers. */
  readonly developerId: string | null;
  /** The consumer name the gateway uses (rate-limit keys, logs, usage); unique. Declared apps use the manifest consumer's name. */
  readonly consumerName: string;
  readonly name: string;
  readonly description: string;
  readonly origin: AppOrigin;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface NewApp {
  readonly developerId: string;
  readonly name: string;
  readonly description?: string;
  /** @default a name derived from the app's id */
  readonly consumerName?: string;
}

export interface AppPatch {
  readonly name?: string;
  readonly description?: string;
}

/** Subscription states; see {@link SUBSCRIPTION_TRANSITIONS}. `rejected` and `cancelled` are final. */
export type SubscriptionState = "requested" | "approved" | "rejected" | "active" | "suspended" | "cancelled";

export const SUBSCRIPTION_STATES: readonly SubscriptionState[] = ["requested", "approved", "rejected", "active", "suspended", "cancelled"];

/**
 * The allowed transitions: requested → approved | rejected; approved → active; active ⇄
 * suspended; anything not final → cancelled. A transition not listed is an
 * `invalid-transition` error. A subscription is created `requested` (manual approval) or
 * `active` (automatic approval, as products with `approval: "auto"` declare).
 */
export const SUBSCRIPTION_TRANSITIONS: Readonly<Record<SubscriptionState, readonly SubscriptionState[]>> = {
  requested: ["approved", "rejected", "cancelled"],
  approved: ["active", "cancelled"],
  active: ["suspended", "cancelled"],
  suspended: ["active", "cancelled"],
  rejected: [],
  cancelled: [],
};

/** States that hold the app's one live subscription to a product (the others are history). */
export const LIVE_SUBSCRIPTION_STATES: readonly SubscriptionState[] = ["requested", "approved", "active", "suspended"];

export function canTransition(from: SubscriptionState, to: SubscriptionState): boolean {
  return SUBSCRIPTION_TRANSITIONS[from].includes(to);
}

/** An app's subscription to a product with a plan. An app has at most one live subscription per product. */
export interface Subscription {
  readonly id: string;
  readonly appId: string;
  readonly product: string;
  readonly plan: string;
  readonly state: SubscriptionState;
  readonly origin: AppOrigin;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface NewSubscription {
  readonly appId: string;
  readonly product: string;
  readonly plan: string;
  /** @default "requested" */
  readonly state?: "requested" | "active";
}

export interface SubscriptionQuery extends PageRequest {
  readonly appId?: string;
  readonly product?: string;
  readonly state?: SubscriptionState;
}

/**
 * An API key of an app. Only `prefix` (the lookup id, shown in listings) and a salted hash are
 * stored; the key itself is returned once by {@link ControlStore.createApiKey}.
 */
export interface Credential {
  readonly id: string;
  readonly appId: string;
  readonly type: "apiKey";
  readonly prefix: string;
  readonly label: string;
  readonly origin: AppOrigin;
  readonly createdAt: string;
  /** The key stops working at this time (set by expiry or by a rotation's overlap); `null` = never. */
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  /** The credential this one replaced in a rotation. */
  readonly rotatedFrom: string | null;
}

/** A credential with its plain key, returned once at creation. */
export interface IssuedApiKey {
  readonly credential: Credential;
  /** `tp_<prefix>_<secret>`: show it once; it cannot be read again. */
  readonly apiKey: string;
}

export interface NewApiKey {
  readonly appId: string;
  /** @default "" */
  readonly label?: string;
  /** ISO 8601 time; `null` = never. */
  readonly expiresAt?: string | null;
}

/** A key that verified: the credential and its app (the gateway needs the consumer name and subscriptions). */
export interface VerifiedApiKey {
  readonly credential: Credential;
  readonly app: App;
}

/** What changed for the gateway's key cache. Kept in order of a monotonically increasing `seq`. */
export interface AccessChange {
  readonly seq: number;
  /**
   * `credential-created`/`credential-revoked`/`credential-expiry-changed`: the key `prefix`
   * changed; `subscriptions-changed`: the app's access changed (a subscription moved state),
   * drop cached keys of `appId`.
   */
  readonly kind: "credential-created" | "credential-revoked" | "credential-expiry-changed" | "subscriptions-changed";
  readonly appId: string;
  /** `null` for `subscriptions-changed`. */
  readonly prefix: string | null;
  readonly at: string;
}

export interface AccessChanges {
  readonly changes: readonly AccessChange[];
  /** Pass to the next call; equals the last change's `seq` (or the given cursor when nothing changed). */
  readonly cursor: number;
}

/** Requests counted for one consumer, API and UTC day. */
export interface UsageCounter {
  /** The app id. */
  readonly consumerId: string;
  /** `YYYY-MM-DD` (UTC). */
  readonly day: string;
  /** The API's manifest id. */
  readonly api: string;
  readonly count: number;
}

export interface UsageIncrement {
  readonly consumerId: string;
  readonly day: string;
  readonly api: string;
  readonly n: number;
}

export interface UsageQuery {
  readonly consumerId: string;
  /** First day, inclusive (`YYYY-MM-DD`). */
  readonly from: string;
  /** Last day, inclusive. */
  readonly to: string;
  readonly api?: string;
}

/** One audited change. Append-only: no method updates or deletes entries, and the database refuses to. */
export interface AuditEntry {
  /** Increasing with time of commit order within one database. */
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  /** `<entity type>.<verb>`, e.g. `credential.revoke`, `subscription.approve`. */
  readonly action: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly reason: string | null;
  /** The record before the change (`null` for a creation); secrets are never in it. */
  readonly before: unknown;
  /** The record after the change. */
  readonly after: unknown;
}

export interface AuditQuery extends PageRequest {
  readonly actor?: string;
  readonly entityType?: string;
  readonly entityId?: string;
  /** ISO 8601, inclusive. */
  readonly from?: string;
  /** ISO 8601, exclusive. */
  readonly to?: string;
}

export type AdminRole = "platform-admin" | "api-owner" | "viewer";

/** A token for the admin API. `apis` scopes an `api-owner` (manifest API ids); empty for other roles. */
export interface AdminToken {
  readonly id: string;
  readonly name: string;
  readonly role: AdminRole;
  readonly apis: readonly string[];
  readonly prefix: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
}

export interface NewAdminToken {
  readonly name: string;
  readonly role: AdminRole;
  /** Required and non-empty for `api-owner`; must be empty otherwise. */
  readonly apis?: readonly string[];
  readonly expiresAt?: string | null;
}

export interface IssuedAdminToken {
  readonly adminToken: AdminToken;
  /** `tpa_<prefix>_<secret>`: shown once. */
  readonly token: string;
}

/**
 * A portal sign-in. The session token (the cookie value) is stored only as its SHA-256, so a
 * copy of the database does not sign anyone in. The CSRF token is compared with the one the
 * portal's forms send.
 */
export interface Session {
  readonly id: string;
  readonly developerId: string;
  readonly csrfToken: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export interface IssuedSession {
  readonly session: Session;
  /** The cookie value; shown once. */
  readonly token: string;
}

/** A consumer declared in `stacks/`, with its API keys already read from where the declaration says. */
export interface DeclaredConsumer {
  readonly name: string;
  readonly displayName: string;
  readonly description: string;
  readonly subscriptions: readonly { readonly product: string; readonly plan: string }[];
  readonly apiKeys: readonly { readonly key: string; readonly expiresAt: string | null }[];
  /**
   * `false` when some declared keys could not be read (an unset variable, an unreadable file):
   * then no declared key is revoked, because a key missing from `apiKeys` may only be unreadable
   * for now, and a revoked key is never brought back.
   */
  readonly keysComplete: boolean;
}

/** What provisioning one declared consumer changed (all zero when it already matched). */
export interface ProvisionOutcome {
  readonly app: App;
  readonly appCreated: boolean;
  readonly appUpdated: boolean;
  readonly subscriptionsCreated: number;
  readonly subscriptionsCancelled: number;
  readonly keysCreated: number;
  readonly keysRevoked: number;
  /** Keys whose declared expiry changed. */
  readonly keysUpdated: number;
  /** Things provisioning would not do, e.g. bring back a key an admin revoked. */
  readonly warnings: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------------

/**
 * The control plane's data. Getters of one record throw `not-found`; `find…` methods answer
 * `null`. Every change takes a {@link ChangeContext} and writes one audit entry in its own
 * transaction, except sessions and usage counters (high-volume, not configuration).
 */
export interface ControlStore {
  /** Schema version the database is at (the number of applied migrations). */
  schemaVersion(): Promise<number>;

  createDeveloper(input: NewDeveloper, context: ChangeContext): Promise<Developer>;
  getDeveloper(id: string): Promise<Developer>;
  /** For sign-in: the developer with that e-mail (any case) and the password hash. */
  findDeveloperByEmail(email: string): Promise<DeveloperWithPassword | null>;
  /** Oldest first. */
  listDevelopers(page?: PageRequest): Promise<Page<Developer>>;
  updateDeveloper(id: string, patch: DeveloperPatch, context: ChangeContext): Promise<Developer>;

  createApp(input: NewApp, context: ChangeContext): Promise<App>;
  getApp(id: string): Promise<App>;
  findAppByConsumerName(consumerName: string): Promise<App | null>;
  /** Oldest first. */
  listApps(query?: PageRequest & { readonly developerId?: string; readonly origin?: AppOrigin }): Promise<Page<App>>;
  updateApp(id: string, patch: AppPatch, context: ChangeContext): Promise<App>;

  /** `conflict` when the app already has a live subscription to the product. */
  createSubscription(input: NewSubscription, context: ChangeContext): Promise<Subscription>;
  getSubscription(id: string): Promise<Subscription>;
  /** Oldest first. */
  listSubscriptions(query?: SubscriptionQuery): Promise<Page<Subscription>>;
  /**
   * Moves a subscription to `to` if {@link SUBSCRIPTION_TRANSITIONS} allows it from its current
   * state (read under a row lock, so two racing transitions cannot both apply). With
   * `expectedState`, also fails with `conflict` when the state is not that one any more.
   */
  transitionSubscription(id: string, to: SubscriptionState, context: ChangeContext & { readonly expectedState?: SubscriptionState }): Promise<Subscription>;

  /** A new API key for an app; the plain key is in the result and nowhere else. */
  createApiKey(input: NewApiKey, context: ChangeContext): Promise<IssuedApiKey>;
  getCredential(id: string): Promise<Credential>;
  /** An app's credentials, revoked and expired ones included, oldest first. */
  listCredentials(appId: string): Promise<readonly Credential[]>;
  /**
   * A new key for the same app; the old one keeps working for `overlapSeconds` (its
   * `expiresAt` is set, or kept when sooner) so clients can switch without downtime.
   */
  rotateApiKey(id: string, overlapSeconds: number, context: ChangeContext): Promise<IssuedApiKey & { readonly previous: Credential }>;
  /** Revokes at once; revoking a revoked credential is a no-op that writes no audit entry. */
  revokeCredential(id: string, context: ChangeContext): Promise<Credential>;
  /**
   * The credential and app of a plain API key, or `null` when the key is unknown, wrong,
   * revoked or expired. One lookup by prefix and one SHA-256: cheap enough for the gateway's
   * cache misses.
   */
  verifyApiKey(apiKey: string): Promise<VerifiedApiKey | null>;
  /**
   * Changes after `cursor` (0 = from the start), at most `limit` (default 1000). Gateway
   * workers poll this every few hundred milliseconds and drop the keys it names from their
   * caches, so a revocation applies everywhere within a second.
   */
  accessChangesSince(cursor: number, limit?: number): Promise<AccessChanges>;
  /** The newest change's `seq`: where a worker that starts with an empty cache begins polling. */
  latestAccessChange(): Promise<number>;

  /** Adds `n` to one counter, creating it at `n`; atomic under any concurrency. */
  incrementUsage(consumerId: string, day: string, api: string, n: number): Promise<void>;
  /** Several increments in one transaction (a gateway flushes its counts in batches). */
  incrementUsageMany(increments: readonly UsageIncrement[]): Promise<void>;
  /** Counters of one consumer in a day range, by day then API. */
  usage(query: UsageQuery): Promise<readonly UsageCounter[]>;

  /** Newest first. */
  queryAudit(query?: AuditQuery): Promise<Page<AuditEntry>>;

  createAdminToken(input: NewAdminToken, context: ChangeContext): Promise<IssuedAdminToken>;
  /** The token's record, or `null` when unknown, wrong, revoked or expired. */
  verifyAdminToken(token: string): Promise<AdminToken | null>;
  listAdminTokens(): Promise<readonly AdminToken[]>;
  revokeAdminToken(id: string, context: ChangeContext): Promise<AdminToken>;

  createSession(developerId: string, ttlSeconds: number): Promise<IssuedSession>;
  /** The session of a cookie value, or `null` when unknown or expired. */
  findSession(token: string): Promise<Session | null>;
  deleteSession(token: string): Promise<void>;
  /** Signs a developer out everywhere (e.g. after a password change); answers how many sessions ended. */
  deleteDeveloperSessions(developerId: string): Promise<number>;

  /**
   * Makes a declared consumer's app, live subscriptions and declared keys match the
   * declaration, in one transaction. Running it again with the same declaration changes
   * nothing and writes no audit entry. Keys and subscriptions created by other means are left
   * alone; a declared key an admin revoked is not brought back (a warning says so).
   */
  provisionDeclaredConsumer(consumer: DeclaredConsumer, context: ChangeContext): Promise<ProvisionOutcome>;

  close(): Promise<void>;
}
