/**
 * The one test suite of the ControlStore, run against every backend (SQLite and PostgreSQL):
 * what the two have to agree on is written once. A backend provides a {@link StoreHarness}: a
 * fresh empty database per test, a way to (re)open the store on it with a test clock, and raw
 * SQL on the same database for what the store's interface cannot show (the stored bytes, the
 * append-only triggers).
 */
import fc from "fast-check";
import type { SqlControlStoreOptions } from "../../gateway-image/src/control/sql-control-store";
import {
  type ChangeContext,
  type ControlStore,
  type ControlStoreErrorCode,
  isControlStoreError,
  SUBSCRIPTION_STATES,
  type SubscriptionState,
  canTransition,
} from "../../gateway-image/src/control/control-store";
import { provisionDeclaredConsumers } from "../../gateway-image/src/control/provision-declared-consumers";
import type { Consumer } from "../../constructs/manifest/schema";

/** One fresh database of a backend. */
export interface StoreHarness {
  /** Opens (and migrates) a store on this harness's database; several may be open at once. */
  open(options?: SqlControlStoreOptions): Promise<ControlStore>;
  /** Raw SQL on the same database, outside the store. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** Names of the tables of the database. */
  tables(): Promise<string[]>;
  /** Closes every store it opened and the raw connection; removes the database. */
  close(): Promise<void>;
}

export type HarnessFactory = () => Promise<StoreHarness>;

const ADMIN: ChangeContext = { actor: "admin:alice" };
const T0 = Date.parse("2030-01-01T00:00:00.000Z");

async function expectError(promise: Promise<unknown>, code: ControlStoreErrorCode, field?: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isControlStoreError(error)) throw new Error(`expected a ControlStoreError ${code}, got ${error === null ? "success" : String(error)}`);
  expect(error.code).toBe(code);
  if (field !== undefined) expect(error.fieldErrors.map((f) => f.field)).toContain(field);
}

/** A clock the test moves. */
function testClock(): { now: () => number; advance(ms: number): void } {
  let now = T0;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

export function controlStoreSuite(backend: string, factory: HarnessFactory): void {
  describe(`ControlStore on ${backend}`, () => {
    let harness: StoreHarness;
    let store: ControlStore;
    let clock: ReturnType<typeof testClock>;

    beforeEach(async () => {
      harness = await factory();
      clock = testClock();
      store = await harness.open({ now: clock.now });
    });

    afterEach(async () => {
      await harness.close();
    });

    async function auditCount(): Promise<number> {
      const [row] = await harness.query("SELECT COUNT(*) AS n FROM audit_log");
      return Number(row!.n);
    }

    async function dumpAll(): Promise<string> {
      let text = "";
      for (const table of await harness.tables()) text += `${table}: ${JSON.stringify(await harness.query(`SELECT * FROM ${table}`))}\n`;
      return text;
    }

    async function newApp(email = "dev@example.com") {
      const developer = await store.createDeveloper({ email, name: "Dev" }, ADMIN);
      return store.createApp({ developerId: developer.id, name: "My app" }, ADMIN);
    }

    describe("migrations", () => {
      it("are applied once at open and not again on re-open", async () => {
        expect(await store.schemaVersion()).toBe(2);
        const before = await harness.query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
        expect(before.map((row) => Number(row.version))).toEqual([1, 2]);
        clock.advance(60_000);
        const again = await harness.open({ now: clock.now });
        expect(await again.schemaVersion()).toBe(2);
        expect(await harness.query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")).toEqual(before);
      });

      it("keep the data across re-opens", async () => {
        const developer = await store.createDeveloper({ email: "keep@example.com", name: "Keep" }, ADMIN);
        const again = await harness.open();
        expect(await again.getDeveloper(developer.id)).toEqual(developer);
      });

      it("refuse a database migrated by newer code", async () => {
        await harness.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from-the-future', 0)");
        await expectError(harness.open(), "schema-mismatch");
      });
    });

    describe("developers and apps", () => {
      it("create, read, update and list developers", async () => {
        const created = await store.createDeveloper({ email: "Ada@Example.com", name: "Ada", passwordHash: "scrypt$abc" }, ADMIN);
        expect(created).toMatchObject({ email: "ada@example.com", name: "Ada", status: "active", createdAt: new Date(T0).toISOString() });
        expect(created).not.toHaveProperty("passwordHash");
        expect(await store.getDeveloper(created.id)).toEqual(created);
        expect(await store.findDeveloperByEmail("ADA@example.com")).toEqual({ ...created, passwordHash: "scrypt$abc" });
        expect(await store.findDeveloperByEmail("nobody@example.com")).toBeNull();
        clock.advance(1000);
        const updated = await store.updateDeveloper(created.id, { name: "Ada L.", status: "disabled" }, ADMIN);
        expect(updated).toMatchObject({ name: "Ada L.", status: "disabled", updatedAt: new Date(T0 + 1000).toISOString() });
        await expectError(store.getDeveloper("dev_missing"), "not-found");
        await expectError(store.updateDeveloper("dev_missing", { name: "x" }, ADMIN), "not-found");
      });

      it("page through listings", async () => {
        for (let i = 0; i < 5; i++) await store.createDeveloper({ email: `d${i}@example.com`, name: `D${i}` }, ADMIN);
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page: Awaited<ReturnType<ControlStore["listDevelopers"]>> = await store.listDevelopers({ limit: 2, cursor });
          seen.push(...page.items.map((d) => d.email));
          cursor = page.nextCursor;
          pages++;
        } while (cursor !== null);
        expect(pages).toBe(3);
        expect(seen.sort()).toEqual(["d0", "d1", "d2", "d3", "d4"].map((d) => `${d}@example.com`));
      });

      it("answer a duplicate e-mail (any case) with a conflict naming the field, and write nothing", async () => {
        await store.createDeveloper({ email: "same@example.com", name: "One" }, ADMIN);
        const audits = await auditCount();
        await expectError(store.createDeveloper({ email: "SAME@example.com", name: "Two" }, ADMIN), "conflict", "email");
        expect((await store.listDevelopers()).items).toHaveLength(1);
        expect(await auditCount()).toBe(audits);
      });

      it("answer bad input with every wrong field", async () => {
        const error = await store.createDeveloper({ email: "not-an-email", name: " " }, ADMIN).catch((e: unknown) => e);
        expect(isControlStoreError(error, "invalid-input")).toBe(true);
        expect((error as { fieldErrors: { field: string }[] }).fieldErrors.map((f) => f.field).sort()).toEqual(["email", "name"]);
        await expectError(store.createDeveloper({ email: "a@example.com", name: "A" }, { actor: "" }), "invalid-input", "actor");
        expect(await auditCount()).toBe(0);
      });

      it("create apps with unique consumer names", async () => {
        const developer = await store.createDeveloper({ email: "apps@example.com", name: "Apps" }, ADMIN);
        const app = await store.createApp({ developerId: developer.id, name: "Shop", consumerName: "shop" }, ADMIN);
        clock.advance(1); // listings are oldest first; within one millisecond the order is the ids'
        expect(app).toMatchObject({ developerId: developer.id, consumerName: "shop", origin: "portal", description: "" });
        const other = await store.createApp({ developerId: developer.id, name: "Other" }, ADMIN);
        expect(other.consumerName).toMatch(/^app-[0-9a-f]+$/);
        await expectError(store.createApp({ developerId: developer.id, name: "Again", consumerName: "shop" }, ADMIN), "conflict", "consumerName");
        await expectError(store.createApp({ developerId: "dev_missing", name: "X" }, ADMIN), "not-found", "developerId");
        expect(await store.findAppByConsumerName("shop")).toEqual(app);
        expect((await store.listApps({ developerId: developer.id })).items.map((a) => a.id)).toEqual([app.id, other.id]);
        expect(await store.updateApp(app.id, { description: "Our shop" }, ADMIN)).toMatchObject({ description: "Our shop", name: "Shop" });
      });
    });

    describe("subscriptions", () => {
      it("allow every listed transition and refuse every other one (random sequences against a model)", async () => {
        const app = await newApp();
        let product = 0;
        await fc.assert(
          fc.asyncProperty(fc.constantFrom<"requested" | "active">("requested", "active"), fc.array(fc.constantFrom(...SUBSCRIPTION_STATES), { maxLength: 8 }), async (initial, steps) => {
            const subscription = await store.createSubscription({ appId: app.id, product: `p${++product}`, plan: "gold", state: initial }, ADMIN);
            let model: SubscriptionState = initial;
            for (const to of steps) {
              const result = await store.transitionSubscription(subscription.id, to, ADMIN).catch((e: unknown) => e);
              if (canTransition(model, to)) {
                expect(result).toMatchObject({ state: to });
                model = to;
              } else {
                expect(isControlStoreError(result, "invalid-transition")).toBe(true);
              }
              expect((await store.getSubscription(subscription.id)).state).toBe(model);
            }
          }),
          { numRuns: 40 },
        );
      });

      it("allow exactly the listed transitions from every state (the whole matrix)", async () => {
        const app = await newApp();
        const pathTo: Record<SubscriptionState, SubscriptionState[]> = {
          requested: [],
          approved: ["approved"],
          rejected: ["rejected"],
          active: ["approved", "active"],
          suspended: ["approved", "active", "suspended"],
          cancelled: ["cancelled"],
        };
        let product = 0;
        for (const from of SUBSCRIPTION_STATES) {
          for (const to of SUBSCRIPTION_STATES) {
            const { id } = await store.createSubscription({ appId: app.id, product: `m${++product}`, plan: "gold" }, ADMIN);
            for (const step of pathTo[from]) await store.transitionSubscription(id, step, ADMIN);
            const result = store.transitionSubscription(id, to, ADMIN);
            if (canTransition(from, to)) await expect(result).resolves.toMatchObject({ state: to });
            else await expectError(result, "invalid-transition", "state");
          }
        }
      });

      it("keep one live subscription per app and product", async () => {
        const app = await newApp();
        const first = await store.createSubscription({ appId: app.id, product: "orders", plan: "gold" }, ADMIN);
        expect(first.state).toBe("requested");
        await expectError(store.createSubscription({ appId: app.id, product: "orders", plan: "silver" }, ADMIN), "conflict", "product");
        await store.transitionSubscription(first.id, "rejected", { ...ADMIN, reason: "not a partner" });
        clock.advance(1);
        const second = await store.createSubscription({ appId: app.id, product: "orders", plan: "silver" }, ADMIN);
        expect((await store.listSubscriptions({ appId: app.id })).items.map((s) => [s.plan, s.state])).toEqual([
          ["gold", "rejected"],
          ["silver", "requested"],
        ]);
        const [entry] = (await store.queryAudit({ entityId: first.id, limit: 1 })).items;
        expect(entry).toMatchObject({ action: "subscription.reject", reason: "not a partner", before: { state: "requested" }, after: { state: "rejected" } });
        await expectError(store.createSubscription({ appId: "app_missing", product: "orders", plan: "gold" }, ADMIN), "not-found", "appId");
        expect(second.state).toBe("requested");
      });

      it("let only one of two racing transitions apply", async () => {
        const app = await newApp();
        const subscription = await store.createSubscription({ appId: app.id, product: "orders", plan: "gold" }, ADMIN);
        const other = await harness.open({ now: clock.now });
        const results = await Promise.allSettled([
          store.transitionSubscription(subscription.id, "approved", { ...ADMIN, expectedState: "requested" }),
          other.transitionSubscription(subscription.id, "rejected", { ...ADMIN, expectedState: "requested" }),
        ]);
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
        const failure = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
        expect(isControlStoreError(failure.reason, "conflict")).toBe(true);
      });
    });

    describe("API keys", () => {
      it("verify the key given once, and nothing else", async () => {
        const app = await newApp();
        const { credential, apiKey } = await store.createApiKey({ appId: app.id, label: "ci" }, ADMIN);
        expect(apiKey).toMatch(new RegExp(`^tp_${credential.prefix}_[A-Za-z0-9]{43}$`));
        expect(credential).toMatchObject({ appId: app.id, label: "ci", revokedAt: null, expiresAt: null });
        expect(await store.listCredentials(app.id)).toEqual([credential]);
        const verified = await store.verifyApiKey(apiKey);
        expect(verified).toEqual({ credential, app });
        const last = apiKey.at(-1) === "a" ? "b" : "a";
        expect(await store.verifyApiKey(apiKey.slice(0, -1) + last)).toBeNull();
        expect(await store.verifyApiKey(`tp_${credential.prefix}_${"x".repeat(43)}`)).toBeNull();
        expect(await store.verifyApiKey("")).toBeNull();
        expect(await store.verifyApiKey("tp_unknown")).toBeNull();
      });

      it("store no plain key or secret anywhere in the database", async () => {
        const app = await newApp();
        const issued = await store.createApiKey({ appId: app.id }, ADMIN);
        const rotated = await store.rotateApiKey(issued.credential.id, 60, ADMIN);
        const admin = await store.createAdminToken({ name: "ops", role: "platform-admin" }, ADMIN);
        const session = await store.createSession(app.developerId!, 3600);
        const dump = await dumpAll();
        expect(dump).toContain(issued.credential.prefix);
        for (const secret of [issued.apiKey, rotated.apiKey, admin.token, session.token]) {
          expect(dump).not.toContain(secret);
          expect(dump).not.toContain(secret.slice(-30));
        }
      });

      it("rotate with an overlap: both keys work, the old one stops after it", async () => {
        const app = await newApp();
        const old = await store.createApiKey({ appId: app.id }, ADMIN);
        const rotated = await store.rotateApiKey(old.credential.id, 300, ADMIN);
        expect(rotated.previous.expiresAt).toBe(new Date(T0 + 300_000).toISOString());
        expect(rotated.credential.rotatedFrom).toBe(old.credential.id);
        expect(await store.verifyApiKey(old.apiKey)).not.toBeNull();
        expect(await store.verifyApiKey(rotated.apiKey)).not.toBeNull();
        clock.advance(299_999);
        expect(await store.verifyApiKey(old.apiKey)).not.toBeNull();
        clock.advance(1);
        expect(await store.verifyApiKey(old.apiKey)).toBeNull();
        expect(await store.verifyApiKey(rotated.apiKey)).not.toBeNull();
        await expectError(store.rotateApiKey(old.credential.id, 60, ADMIN), "conflict");
      });

      it("revoke at once, and tell the gateways through the access feed", async () => {
        const app = await newApp();
        const start = await store.latestAccessChange();
        const issued = await store.createApiKey({ appId: app.id }, ADMIN);
        const revoked = await store.revokeCredential(issued.credential.id, ADMIN);
        expect(revoked.revokedAt).toBe(new Date(T0).toISOString());
        expect(await store.verifyApiKey(issued.apiKey)).toBeNull();
        const audits = await auditCount();
        expect(await store.revokeCredential(issued.credential.id, ADMIN)).toEqual(revoked);
        expect(await auditCount()).toBe(audits);

        const feed = await store.accessChangesSince(start);
        expect(feed.changes.map((c) => [c.kind, c.prefix])).toEqual([
          ["credential-created", issued.credential.prefix],
          ["credential-revoked", issued.credential.prefix],
        ]);
        expect(feed.cursor).toBe(feed.changes.at(-1)!.seq);
        expect(feed.changes[0]!.seq).toBeLessThan(feed.changes[1]!.seq);
        expect(await store.accessChangesSince(feed.cursor)).toEqual({ changes: [], cursor: feed.cursor });

        const subscription = await store.createSubscription({ appId: app.id, product: "orders", plan: "gold", state: "active" }, ADMIN);
        await store.transitionSubscription(subscription.id, "suspended", ADMIN);
        expect((await store.accessChangesSince(feed.cursor)).changes.map((c) => [c.kind, c.appId])).toEqual([
          ["subscriptions-changed", app.id],
          ["subscriptions-changed", app.id],
        ]);
      });

      it("stop verifying a key at its expiry", async () => {
        const app = await newApp();
        const issued = await store.createApiKey({ appId: app.id, expiresAt: new Date(T0 + 1000).toISOString() }, ADMIN);
        expect(await store.verifyApiKey(issued.apiKey)).not.toBeNull();
        clock.advance(1000);
        expect(await store.verifyApiKey(issued.apiKey)).toBeNull();
        await expectError(store.createApiKey({ appId: app.id, expiresAt: "tomorrow" }, ADMIN), "invalid-input", "expiresAt");
      });
    });

    describe("admin tokens and sessions", () => {
      it("issue, verify and revoke admin tokens", async () => {
        const { adminToken, token } = await store.createAdminToken({ name: "orders-team", role: "api-owner", apis: ["orders-v1"] }, ADMIN);
        expect(token.startsWith(`tpa_${adminToken.prefix}_`)).toBe(true);
        expect(await store.verifyAdminToken(token)).toEqual(adminToken);
        expect(await store.verifyAdminToken(token.replace(/.$/, (c) => (c === "a" ? "b" : "a")))).toBeNull();
        await expectError(store.createAdminToken({ name: "orders-team", role: "viewer" }, ADMIN), "conflict", "name");
        await expectError(store.createAdminToken({ name: "nobody", role: "api-owner" }, ADMIN), "invalid-input", "apis");
        await store.revokeAdminToken(adminToken.id, ADMIN);
        expect(await store.verifyAdminToken(token)).toBeNull();
        expect((await store.listAdminTokens()).map((t) => t.name)).toEqual(["orders-team"]);
      });

      it("keep sessions until they expire or are deleted", async () => {
        const developer = await store.createDeveloper({ email: "s@example.com", name: "S" }, ADMIN);
        const { session, token } = await store.createSession(developer.id, 60);
        expect(await store.findSession(token)).toEqual(session);
        expect(session.csrfToken).not.toBe(token);
        clock.advance(60_000);
        expect(await store.findSession(token)).toBeNull();
        const second = await store.createSession(developer.id, 60);
        const third = await store.createSession(developer.id, 60);
        await store.deleteSession(second.token);
        expect(await store.findSession(second.token)).toBeNull();
        expect(await store.findSession(third.token)).not.toBeNull();
        expect(await store.deleteDeveloperSessions(developer.id)).toBe(2);
        expect(await store.findSession(third.token)).toBeNull();
      });
    });

    describe("usage", () => {
      it("adds parallel increments exactly", async () => {
        const other = await harness.open();
        const increments = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? store : other).incrementUsage("app_1", "2030-01-01", "orders-v1", (i % 3) + 1));
        await Promise.all(increments);
        const expected = Array.from({ length: 200 }, (_, i) => (i % 3) + 1).reduce((a, b) => a + b, 0);
        await store.incrementUsageMany([
          { consumerId: "app_1", day: "2030-01-02", api: "orders-v1", n: 5 },
          { consumerId: "app_1", day: "2030-01-02", api: "catalog-v1", n: 7 },
          { consumerId: "app_1", day: "2030-01-04", api: "orders-v1", n: 1 },
          { consumerId: "app_2", day: "2030-01-02", api: "orders-v1", n: 9 },
        ]);
        expect(await store.usage({ consumerId: "app_1", from: "2030-01-01", to: "2030-01-03" })).toEqual([
          { consumerId: "app_1", day: "2030-01-01", api: "orders-v1", count: expected },
          { consumerId: "app_1", day: "2030-01-02", api: "catalog-v1", count: 7 },
          { consumerId: "app_1", day: "2030-01-02", api: "orders-v1", count: 5 },
        ]);
        expect(await store.usage({ consumerId: "app_1", from: "2030-01-01", to: "2030-12-31", api: "catalog-v1" })).toHaveLength(1);
        await expectError(store.incrementUsage("app_1", "2030-1-1", "orders-v1", 1), "invalid-input", "day");
        await expectError(store.incrementUsageMany([{ consumerId: "app_1", day: "2030-01-01", api: "x", n: 1 }, { consumerId: "app_1", day: "2030-01-01", api: "x", n: 0 }]), "invalid-input", "n");
        expect(await store.usage({ consumerId: "app_1", from: "2030-01-01", to: "2030-01-01", api: "x" })).toEqual([]);
      });
    });

    describe("audit log", () => {
      it("records who changed what, when, before and after; queries page newest first", async () => {
        const developer = await store.createDeveloper({ email: "au@example.com", name: "Au", passwordHash: "secret-hash" }, { actor: "developer:self" });
        clock.advance(1000);
        await store.updateDeveloper(developer.id, { name: "Audrey", passwordHash: "new-secret-hash" }, ADMIN);
        clock.advance(1000);
        const app = await store.createApp({ developerId: developer.id, name: "A" }, ADMIN);

        const all = await store.queryAudit();
        expect(all.items.map((e) => e.action)).toEqual(["app.create", "developer.update", "developer.create"]);
        const update = all.items[1]!;
        expect(update).toMatchObject({ actor: "admin:alice", entityType: "developer", entityId: developer.id, at: new Date(T0 + 1000).toISOString(), before: { name: "Au" }, after: { name: "Audrey", passwordChanged: true } });
        expect(JSON.stringify(all)).not.toContain("secret-hash");

        expect((await store.queryAudit({ actor: "developer:self" })).items.map((e) => e.action)).toEqual(["developer.create"]);
        expect((await store.queryAudit({ entityType: "app", entityId: app.id })).items).toHaveLength(1);
        expect((await store.queryAudit({ from: new Date(T0 + 1000).toISOString(), to: new Date(T0 + 2000).toISOString() })).items.map((e) => e.action)).toEqual(["developer.update"]);
        const first = await store.queryAudit({ limit: 2 });
        expect(first.items).toHaveLength(2);
        const second = await store.queryAudit({ limit: 2, cursor: first.nextCursor });
        expect(second.items.map((e) => e.action)).toEqual(["developer.create"]);
        expect(second.nextCursor).toBeNull();
      });

      it("is written in the change's transaction: a change that fails at commit leaves nothing", async () => {
        const failAt = { action: "" };
        const faulty = await harness.open({
          now: clock.now,
          beforeCommit: (action) => {
            if (action === failAt.action) throw new Error("injected failure");
          },
        });
        const app = await newApp();
        const issued = await faulty.createApiKey({ appId: app.id }, ADMIN);
        const before = await dumpAll();
        const audits = await auditCount();
        const feed = await faulty.latestAccessChange();

        failAt.action = "credential.rotate";
        await expect(faulty.rotateApiKey(issued.credential.id, 60, ADMIN)).rejects.toThrow("injected failure");
        expect(await faulty.listCredentials(app.id)).toEqual([issued.credential]);
        expect(await auditCount()).toBe(audits);
        expect(await faulty.latestAccessChange()).toBe(feed);

        failAt.action = "consumer.provision";
        await expect(faulty.provisionDeclaredConsumer({ name: "partner", displayName: "Partner", description: "", subscriptions: [{ product: "orders", plan: "gold" }], apiKeys: [{ key: "k".repeat(32), expiresAt: null }], keysComplete: true }, ADMIN)).rejects.toThrow("injected failure");
        expect(await dumpAll()).toBe(before);
      });

      it("is guarded by the database: triggers refuse UPDATE and DELETE of audit rows", async () => {
        const triggers = await harness.query(
          backend === "SQLite"
            ? "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log' ORDER BY name"
            : "SELECT tgname AS name, pg_get_triggerdef(oid) AS sql FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal ORDER BY tgname",
        );
        const definitions = triggers.map((row) => String(row.sql)).join("\n");
        expect(definitions).toMatch(/BEFORE (DELETE OR )?UPDATE/i);
        expect(definitions).toMatch(/DELETE/i);
        if (backend === "SQLite") expect(definitions).toContain("RAISE(ABORT, 'audit_log is append-only')");
        else expect(definitions).toMatch(/TRUNCATE/i);
      });

      // Errors are compared by message, not with `rejects.toThrow`: better-sqlite3's native addon
      // keeps the SqliteError class of the first test file that loaded it in this jest worker,
      // an Error of another file's realm, which `toThrow` does not count as thrown.
      it("cannot be updated or deleted", async () => {
        await store.createDeveloper({ email: "x@example.com", name: "X" }, ADMIN);
        // The row is there (an UPDATE of no rows fires no trigger and proves nothing).
        expect(await auditCount()).toBe(1);
        const refusal = (sql: string) =>
          harness.query(sql).then(
            () => "no error",
            (error: unknown) => String((error as { message?: unknown }).message ?? error),
          );
        expect(await refusal("UPDATE audit_log SET actor = 'someone-else'")).toMatch(/append-only/);
        expect(await refusal("DELETE FROM audit_log")).toMatch(/append-only/);
        expect((await store.queryAudit()).items).toEqual([expect.objectContaining({ actor: "admin:alice" })]);
      });
    });

    describe("declared consumers", () => {
      const consumer = (overrides: Partial<Consumer> = {}): Consumer => ({
        name: "partner-logistics",
        displayName: "Partner Logistics",
        contact: "ops@partner.example",
        declaredAt: "acme/consumers/partner-logistics",
        subscriptions: [{ product: "orders", plan: "gold" }],
        credentials: [
          { type: "apiKey", secret: { source: "env", name: "PARTNER_KEY" }, expires: null },
          { type: "apiKey", secret: { source: "file", path: "/run/secrets/partner" }, expires: "2030-06-30" },
          { type: "jwt", subject: "partner", issuer: null },
        ],
        ...overrides,
      });
      const sources = (env: Record<string, string>, files: Record<string, string> = { "/run/secrets/partner": "file-key-0123456789abcdef\n" }) => ({
        env,
        readFile: (path: string) => {
          const content = files[path];
          if (content === undefined) throw Object.assign(new Error("missing"), { code: "ENOENT" });
          return content;
        },
      });

      it("are provisioned once: a second run changes nothing and audits nothing", async () => {
        const env = { PARTNER_KEY: "env-key-0123456789abcdef" };
        const first = await provisionDeclaredConsumers(store, [consumer()], sources(env));
        expect(first).toMatchObject({ changed: true, failures: [], warnings: [] });
        expect(first.outcomes[0]).toMatchObject({ appCreated: true, subscriptionsCreated: 1, keysCreated: 2 });
        const verified = await store.verifyApiKey("env-key-0123456789abcdef");
        expect(verified?.app).toMatchObject({ consumerName: "partner-logistics", origin: "declared", developerId: null, description: "ops@partner.example" });
        const fileKey = await store.verifyApiKey("file-key-0123456789abcdef");
        expect(fileKey?.credential.expiresAt).toBe("2030-07-01T00:00:00.000Z");
        expect((await store.listSubscriptions({ appId: verified!.app.id })).items).toEqual([expect.objectContaining({ product: "orders", plan: "gold", state: "active", origin: "declared" })]);

        const before = await dumpAll();
        const second = await provisionDeclaredConsumers(store, [consumer()], sources(env));
        expect(second.changed).toBe(false);
        expect(await dumpAll()).toBe(before);
        expect(await dumpAll()).not.toContain("env-key-0123456789abcdef");
      });

      it("follow changes of the declaration, but never revoke a key that is only unreadable", async () => {
        await provisionDeclaredConsumers(store, [consumer()], sources({ PARTNER_KEY: "env-key-0123456789abcdef" }));
        // The variable is unset at this start: the key is not revoked.
        const unset = await provisionDeclaredConsumers(store, [consumer()], sources({}));
        expect(unset.changed).toBe(false);
        expect(unset.warnings.join("\n")).toMatch(/PARTNER_KEY is not set/);
        expect(await store.verifyApiKey("env-key-0123456789abcdef")).not.toBeNull();
        // A new secret replaces the old one; a new plan replaces the old subscription.
        const changed = await provisionDeclaredConsumers(store, [consumer({ subscriptions: [{ product: "orders", plan: "silver" }] })], sources({ PARTNER_KEY: "env-key-NEW-0123456789abcdef" }));
        expect(changed.outcomes[0]).toMatchObject({ keysCreated: 1, keysRevoked: 1, subscriptionsCreated: 1, subscriptionsCancelled: 1 });
        expect(await store.verifyApiKey("env-key-0123456789abcdef")).toBeNull();
        expect(await store.verifyApiKey("env-key-NEW-0123456789abcdef")).not.toBeNull();
        // An admin revokes the declared key: provisioning does not bring it back.
        const key = await store.verifyApiKey("env-key-NEW-0123456789abcdef");
        await store.revokeCredential(key!.credential.id, ADMIN);
        const again = await provisionDeclaredConsumers(store, [consumer({ subscriptions: [{ product: "orders", plan: "silver" }] })], sources({ PARTNER_KEY: "env-key-NEW-0123456789abcdef" }));
        expect(again.changed).toBe(false);
        expect(again.warnings.join("\n")).toMatch(/stays revoked/);
        // A consumer removed from the manifest loses its keys and subscriptions.
        const retired = await provisionDeclaredConsumers(store, [], sources({}));
        expect(retired.outcomes[0]).toMatchObject({ keysRevoked: 1, subscriptionsCancelled: 1 });
        expect(await store.verifyApiKey("file-key-0123456789abcdef")).toBeNull();
      });

      it("do not take the name of a portal app", async () => {
        const developer = await store.createDeveloper({ email: "squat@example.com", name: "S" }, ADMIN);
        await store.createApp({ developerId: developer.id, name: "Squat", consumerName: "partner-logistics" }, ADMIN);
        const report = await provisionDeclaredConsumers(store, [consumer()], sources({ PARTNER_KEY: "env-key-0123456789abcdef" }));
        expect(report.failures.map((f) => f.consumer)).toEqual(["partner-logistics"]);
        expect(await store.verifyApiKey("env-key-0123456789abcdef")).toBeNull();
      });
    });
  });
}
