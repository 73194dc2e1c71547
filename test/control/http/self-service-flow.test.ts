/**
 * The portal's self-service flow through HTTP, as issue 4 asks: sign up → create app →
 * subscribe (auto-approved product active at once; manual product requested until an admin
 * approves through the admin API) → create a key (shown once) → the key verifies → usage shows
 * the counts → rotate with an overlap (both keys work, then the old one stops) → revoke → the
 * key fails. Keys are checked with `store.verifyApiKey`, what the gateway's apiKey policy uses.
 */
import { ADMIN, BOOTSTRAP_TOKEN, type Harness, PORTAL, signUp, startHarness } from "./harness";

let harness: Harness;
const quotaCalls: string[] = [];

beforeAll(async () => {
  harness = await startHarness({
    quotaRemaining: async (consumerName, apiId) => {
      quotaCalls.push(`${consumerName}/${apiId}`);
      return apiId === "items-v1" ? { limit: 1000, remaining: 958, resetsAt: "2030-03-11T00:00:00.000Z" } : null;
    },
  });
});
afterAll(() => harness.close());

it("walks sign-up, app, subscriptions, key, usage, rotation and revocation", async () => {
  const { call, store } = harness;
  const me = await signUp(harness, "ada@example.com");

  // Create an app.
  const app = await call("POST", `${PORTAL}/apps`, { session: me, body: { name: "Ada's shop", description: "Sells things" } });
  expect(app.status).toBe(201);
  expect(app.body).toMatchObject({ name: "Ada's shop", developerId: me.developerId, origin: "portal" });
  const appId: string = app.body.id;
  expect(app.headers.get("location")).toBe(`${PORTAL}/apps/${appId}`);

  // The catalog shows the public products only.
  const catalog = await call("GET", `${PORTAL}/catalog`);
  expect(catalog.body.products.map((product: { name: string }) => product.name)).toEqual(["partners", "shop"]);

  // Subscribe: auto approval is active at once, manual approval waits.
  const shop = await call("POST", `${PORTAL}/apps/${appId}/subscriptions`, { session: me, body: { product: "shop", plan: "free" } });
  expect(shop.status).toBe(201);
  expect(shop.body).toMatchObject({ product: "shop", plan: "free", state: "active" });
  const partners = await call("POST", `${PORTAL}/apps/${appId}/subscriptions`, { session: me, body: { product: "partners", plan: "gold" } });
  expect(partners.body.state).toBe("requested");

  // An admin approves the manual one through the admin API.
  const approved = await call("POST", `${ADMIN}/subscriptions/${partners.body.id}/approve`, { token: BOOTSTRAP_TOKEN, body: { reason: "known partner" } });
  expect(approved.status).toBe(200);
  expect(approved.body.state).toBe("active");
  const mine = await call("GET", `${PORTAL}/apps/${appId}/subscriptions`, { session: me });
  expect(mine.body.items.map((subscription: { state: string }) => subscription.state)).toEqual(["active", "active"]);

  // A key, shown once.
  const key = await call("POST", `${PORTAL}/apps/${appId}/keys`, { session: me, body: { label: "production" } });
  expect(key.status).toBe(201);
  const plainKey: string = key.body.apiKey;
  expect(plainKey).toMatch(/^tp_[a-z0-9]{10}_[A-Za-z0-9]{43}$/);
  const listed = await call("GET", `${PORTAL}/apps/${appId}/keys`, { session: me });
  expect(listed.body.items).toHaveLength(1);
  expect(listed.text).not.toContain(plainKey);
  expect(listed.text).not.toContain(plainKey.split("_")[2]);
  expect(listed.body.items[0]).toMatchObject({ id: key.body.credential.id, prefix: plainKey.split("_")[1], label: "production", revokedAt: null });

  // The gateway accepts it (what its apiKey policy asks the store).
  expect((await store.verifyApiKey(plainKey))?.app.id).toBe(appId);

  // Usage: counts the gateway recorded, per day and API, with the remaining quota.
  await store.incrementUsage(appId, "2030-03-09", "items-v1", 30);
  await store.incrementUsage(appId, "2030-03-10", "items-v1", 12);
  await store.incrementUsage(appId, "2030-03-10", "orders-v1", 5);
  const usage = await call("GET", `${PORTAL}/apps/${appId}/usage?from=2030-03-01&to=2030-03-10`, { session: me });
  expect(usage.status).toBe(200);
  expect(usage.body).toEqual({
    appId,
    consumerName: app.body.consumerName,
    from: "2030-03-01",
    to: "2030-03-10",
    days: [
      { day: "2030-03-09", api: "items-v1", count: 30 },
      { day: "2030-03-10", api: "items-v1", count: 12 },
      { day: "2030-03-10", api: "orders-v1", count: 5 },
    ],
    totals: [
      { api: "items-v1", count: 42 },
      { api: "orders-v1", count: 5 },
    ],
    quota: [
      { api: "items-v1", limit: 1000, remaining: 958, resetsAt: "2030-03-11T00:00:00.000Z" },
      { api: "orders-v1", limit: null, remaining: null, resetsAt: null },
    ],
  });
  expect(quotaCalls).toEqual([`${app.body.consumerName}/items-v1`, `${app.body.consumerName}/orders-v1`]);
  // The default range is the last 30 days, ending today by the API's clock.
  const defaults = await call("GET", `${PORTAL}/apps/${appId}/usage`, { session: me });
  expect(defaults.body).toMatchObject({ from: "2030-02-09", to: "2030-03-10" });

  // Rotate with a one-hour overlap: both keys work…
  const rotated = await call("POST", `${PORTAL}/apps/${appId}/keys/${key.body.credential.id}/rotate`, { session: me, body: { overlapSeconds: 3600 } });
  expect(rotated.status).toBe(201);
  const newKey: string = rotated.body.apiKey;
  expect(rotated.body.previous.expiresAt).toBe("2030-03-10T13:00:00.000Z");
  expect(rotated.body.credential.rotatedFrom).toBe(key.body.credential.id);
  expect(await store.verifyApiKey(plainKey)).not.toBeNull();
  expect(await store.verifyApiKey(newKey)).not.toBeNull();
  // …until the overlap ends: then only the new one.
  harness.clock += 3600 * 1000 + 1;
  expect(await store.verifyApiKey(plainKey)).toBeNull();
  expect(await store.verifyApiKey(newKey)).not.toBeNull();

  // Revoke: the key stops at once.
  const revoked = await call("POST", `${PORTAL}/apps/${appId}/keys/${rotated.body.credential.id}/revoke`, { session: me });
  expect(revoked.status).toBe(200);
  expect(revoked.body.revokedAt).not.toBeNull();
  expect(await store.verifyApiKey(newKey)).toBeNull();

  // Every change is in the audit log under the developer (and the admin for the approval).
  const audit = await call("GET", `${ADMIN}/audit?limit=100`, { token: BOOTSTRAP_TOKEN });
  const actions = audit.body.items.map((entry: { actor: string; action: string }) => `${entry.actor} ${entry.action}`).reverse();
  const dev = `developer:${me.developerId}`;
  expect(actions).toEqual([
    "portal:signup developer.create",
    `${dev} app.create`,
    `${dev} subscription.create`,
    `${dev} subscription.create`,
    "admin:bootstrap subscription.approve",
    "admin:bootstrap subscription.activate",
    `${dev} credential.create`,
    `${dev} credential.rotate`,
    `${dev} credential.create`,
    `${dev} credential.revoke`,
  ]);
  expect(audit.text).not.toContain(plainKey);
  expect(audit.text).not.toContain(newKey);
  expect(audit.text).not.toContain("scrypt$");
});
