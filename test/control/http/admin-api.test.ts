/**
 * The admin API over HTTP: authentication (401 with a Bearer challenge), roles (viewer reads,
 * api-owner changes only its scope, platform-admin everything), the audit trail of every
 * change, keys, subscription transitions, field errors, and that a failed change writes
 * nothing.
 */
import { ADMIN, BOOTSTRAP_TOKEN, type Harness, PORTAL, adminToken, signUp, startHarness } from "./harness";

let harness: Harness;
let platformAdmin: string;
let viewer: string;
let ordersOwner: string;
let developerId: string;
/** App subscribed to `shop` (items-v1) only. */
let shopApp: string;
let shopSubscription: string;
/** App with a requested subscription to `partners` (orders-v1). */
let partnerApp: string;
let partnerSubscription: string;

beforeAll(async () => {
  harness = await startHarness();
  platformAdmin = await adminToken(harness, "ops", "platform-admin");
  viewer = await adminToken(harness, "auditor", "viewer");
  ordersOwner = await adminToken(harness, "orders-team", "api-owner", ["orders-v1"]);
  const session = await signUp(harness, "dev@example.com");
  developerId = session.developerId;
  shopApp = (await harness.call("POST", `${PORTAL}/apps`, { session, body: { name: "Shop app" } })).body.id;
  shopSubscription = (await harness.call("POST", `${PORTAL}/apps/${shopApp}/subscriptions`, { session, body: { product: "shop", plan: "free" } })).body.id;
  partnerApp = (await harness.call("POST", `${PORTAL}/apps`, { session, body: { name: "Partner app" } })).body.id;
  partnerSubscription = (await harness.call("POST", `${PORTAL}/apps/${partnerApp}/subscriptions`, { session, body: { product: "partners", plan: "gold" } })).body.id;
});
afterAll(() => harness.close());

const get = (path: string, token: string) => harness.call("GET", `${ADMIN}${path}`, { token });
const post = (path: string, token: string, body?: unknown) => harness.call("POST", `${ADMIN}${path}`, { token, body });

describe("authentication", () => {
  it("answers 401 with a Bearer challenge without a token, and with invalid_token for a bad one", async () => {
    const none = await harness.call("GET", `${ADMIN}/apps`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="turnpike-admin"');
    expect(none.headers.get("content-type")).toBe("application/problem+json");
    expect(none.body).toMatchObject({ type: "https://turnpike.dev/problems/unauthorized", status: 401 });

    for (const authorization of ["Bearer tpa_0123456789_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Bearer wrong", "Basic b3BzOm9wcw==", `Bearer ${BOOTSTRAP_TOKEN}x`, "Bearer"]) {
      const bad = await harness.call("GET", `${ADMIN}/apps`, { headers: { authorization } });
      expect({ authorization, status: bad.status }).toEqual({ authorization, status: 401 });
      expect(bad.headers.get("www-authenticate")).toBe('Bearer realm="turnpike-admin", error="invalid_token"');
    }
  });

  it("accepts the bootstrap token as platform-admin and store tokens by their role", async () => {
    expect((await get("/whoami", BOOTSTRAP_TOKEN)).body).toEqual({ name: "bootstrap", role: "platform-admin", apis: [], tokenId: null });
    expect((await get("/whoami", ordersOwner)).body).toMatchObject({ name: "orders-team", role: "api-owner", apis: ["orders-v1"] });
  });

  it("stops accepting a revoked token", async () => {
    const token = await adminToken(harness, "temporary", "viewer");
    const id = (await get("/whoami", token)).body.tokenId;
    expect((await post(`/admin-tokens/${id}/revoke`, platformAdmin, { reason: "done" })).body.revokedAt).not.toBeNull();
    expect((await get("/whoami", token)).status).toBe(401);
  });

  it("has no bootstrap token when none is configured", async () => {
    const locked = await startHarness({ bootstrapAdminToken: null });
    try {
      expect((await locked.call("GET", `${ADMIN}/whoami`, { token: BOOTSTRAP_TOKEN })).status).toBe(401);
    } finally {
      await locked.close();
    }
  });
});

describe("roles", () => {
  it("lets a viewer read everything and change nothing", async () => {
    expect((await get("/apps", viewer)).body.items).toHaveLength(2);
    expect((await get("/developers", viewer)).status).toBe(200);
    expect((await get("/audit", viewer)).status).toBe(200);
    expect((await get(`/apps/${shopApp}/usage`, viewer)).status).toBe(200);
    for (const [path, body] of [
      [`/apps/${shopApp}/keys`, {}],
      [`/subscriptions/${partnerSubscription}/approve`, {}],
      ["/apps", { developerId, name: "x" }],
      [`/developers/${developerId}/disable`, {}],
      ["/admin-tokens", { name: "x", role: "viewer" }],
    ] as const) {
      const result = await post(path, viewer, body);
      expect({ path, status: result.status }).toEqual({ path, status: 403 });
      expect(result.body.type).toBe("https://turnpike.dev/problems/forbidden");
    }
    expect((await get("/admin-tokens", viewer)).status).toBe(403);
  });

  it("scopes an api-owner to apps and subscriptions of products with its APIs", async () => {
    // Reads: only the partner app (subscribed to partners, which contains orders-v1).
    expect((await get("/apps", ordersOwner)).body.items.map((app: { id: string }) => app.id)).toEqual([partnerApp]);
    expect((await get(`/apps/${partnerApp}`, ordersOwner)).status).toBe(200);
    expect((await get(`/apps/${shopApp}`, ordersOwner)).status).toBe(403);
    expect((await get("/subscriptions", ordersOwner)).body.items.map((s: { id: string }) => s.id)).toEqual([partnerSubscription]);
    expect((await get(`/subscriptions/${shopSubscription}`, ordersOwner)).status).toBe(403);
    expect((await get("/developers", ordersOwner)).status).toBe(403);
    expect((await get("/admin-tokens", ordersOwner)).status).toBe(403);

    // Changes: in scope 200/201, out of scope 403 and nothing written.
    expect((await post(`/apps/${shopApp}/keys`, ordersOwner, {})).status).toBe(403);
    expect(await harness.store.listCredentials(shopApp)).toHaveLength(0);
    expect((await post(`/subscriptions/${shopSubscription}/suspend`, ordersOwner, {})).status).toBe(403);
    expect((await harness.store.getSubscription(shopSubscription)).state).toBe("active");
    expect((await post(`/apps/${partnerApp}/keys`, ordersOwner, { label: "issued by orders team" })).status).toBe(201);
    expect((await post("/subscriptions", ordersOwner, { appId: shopApp, product: "shop", plan: "gold" })).status).toBe(403);
    expect((await post("/apps", ordersOwner, { developerId, name: "x" })).status).toBe(403);

    // Usage of an app in scope shows the owner's APIs only.
    await harness.store.incrementUsage(partnerApp, "2030-03-10", "orders-v1", 3);
    await harness.store.incrementUsage(partnerApp, "2030-03-10", "items-v1", 9);
    const usage = await get(`/apps/${partnerApp}/usage?from=2030-03-10&to=2030-03-10`, ordersOwner);
    expect(usage.body.days).toEqual([{ day: "2030-03-10", api: "orders-v1", count: 3 }]);
    const full = await get(`/apps/${partnerApp}/usage?from=2030-03-10&to=2030-03-10`, viewer);
    expect(full.body.days).toHaveLength(2);

    // The audit log shows the owner's scope only: no developer, admin-token or shop entries.
    const audit = await get("/audit?limit=500", ordersOwner);
    expect(audit.body.items.length).toBeGreaterThan(0);
    for (const entry of audit.body.items) {
      expect(["app", "subscription", "credential"]).toContain(entry.entityType);
      expect(entry.entityId).not.toBe(shopApp);
      expect(entry.entityId).not.toBe(shopSubscription);
    }
  });

  it("lets an api-owner grant its product to any app, which brings the app into scope", async () => {
    const granted = await post("/subscriptions", ordersOwner, { appId: shopApp, product: "partners", plan: "gold", reason: "trial" });
    expect(granted.status).toBe(201);
    expect(granted.body).toMatchObject({ appId: shopApp, product: "partners", state: "active" });
    expect((await get(`/apps/${shopApp}`, ordersOwner)).status).toBe(200);
    expect((await post(`/subscriptions/${granted.body.id}/cancel`, ordersOwner, {})).body.state).toBe("cancelled");
    expect((await get(`/apps/${shopApp}`, ordersOwner)).status).toBe(403);
  });

  it("lets only a platform-admin manage admin tokens, with field errors for bad input", async () => {
    const created = await post("/admin-tokens", platformAdmin, { name: "items-team", role: "api-owner", apis: ["items-v1"] });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^tpa_/);
    expect(created.body.adminToken).toMatchObject({ name: "items-team", role: "api-owner", apis: ["items-v1"] });
    const listed = await get("/admin-tokens", platformAdmin);
    expect(listed.body.items.map((token: { name: string }) => token.name)).toContain("items-team");
    expect(listed.text).not.toContain(created.body.token);

    const unknownApi = await post("/admin-tokens", platformAdmin, { name: "ghost-team", role: "api-owner", apis: ["items-v1", "ghost-v1"] });
    expect(unknownApi.status).toBe(400);
    expect(unknownApi.body.errors).toEqual([{ field: "apis.1", message: 'no API "ghost-v1" in the manifest' }]);
    const noApis = await post("/admin-tokens", platformAdmin, { name: "scope-less", role: "api-owner" });
    expect(noApis.status).toBe(400);
    expect(noApis.body.errors).toEqual([{ field: "apis", message: expect.any(String) }]);
    const duplicate = await post("/admin-tokens", platformAdmin, { name: "items-team", role: "viewer" });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.errors).toEqual([{ field: "name", message: expect.any(String) }]);
    const bad = await post("/admin-tokens", platformAdmin, { name: "", role: "root" });
    expect(bad.body.errors.map((error: { field: string }) => error.field)).toEqual(["name", "role"]);
    expect((await get("/admin-tokens", platformAdmin)).body.items.map((token: { name: string }) => token.name).filter((name: string) => name === "ghost-team" || name === "scope-less" || name === "")).toEqual([]);
  });
});

describe("keys", () => {
  it("creates a key shown once, rotates it with an overlap and revokes it", async () => {
    const created = await post(`/apps/${shopApp}/keys`, platformAdmin, { label: "ci" });
    expect(created.status).toBe(201);
    const keyId: string = created.body.credential.id;
    expect(created.headers.get("location")).toBe(`${ADMIN}/keys/${keyId}`);
    const plain: string = created.body.apiKey;
    expect((await harness.store.verifyApiKey(plain))?.app.id).toBe(shopApp);
    const listed = await get(`/apps/${shopApp}/keys`, viewer);
    expect(listed.text).not.toContain(plain);
    expect((await get(`/keys/${keyId}`, viewer)).body).toMatchObject({ id: keyId, label: "ci", appId: shopApp });

    const rotated = await post(`/keys/${keyId}/rotate`, platformAdmin, { overlapSeconds: 600, reason: "leaked in a log" });
    expect(rotated.status).toBe(201);
    expect(rotated.body.previous.expiresAt).toBe(new Date(harness.clock + 600_000).toISOString());
    expect(await harness.store.verifyApiKey(plain)).not.toBeNull();
    expect(await harness.store.verifyApiKey(rotated.body.apiKey)).not.toBeNull();

    const defaultOverlap = await post(`/keys/${rotated.body.credential.id}/rotate`, platformAdmin, {});
    expect(defaultOverlap.body.previous.expiresAt).toBe(new Date(harness.clock + 86_400_000).toISOString());

    const revoked = await post(`/keys/${defaultOverlap.body.credential.id}/revoke`, platformAdmin, { reason: "test" });
    expect(revoked.status).toBe(200);
    expect(await harness.store.verifyApiKey(defaultOverlap.body.apiKey)).toBeNull();
    const rotateRevoked = await post(`/keys/${defaultOverlap.body.credential.id}/rotate`, platformAdmin, { overlapSeconds: 0 });
    expect(rotateRevoked.status).toBe(409);
    expect(rotateRevoked.body.type).toBe("https://turnpike.dev/problems/conflict");

    const tooLong = await post(`/keys/${keyId}/rotate`, platformAdmin, { overlapSeconds: -1 });
    expect(tooLong.body.errors).toEqual([{ field: "overlapSeconds", message: expect.any(String) }]);
    expect((await post("/keys/cred_missing/revoke", platformAdmin, {})).status).toBe(404);
  });

  it("pages an app's keys", async () => {
    const app = (await post("/apps", platformAdmin, { developerId, name: "Many keys" })).body.id;
    for (let i = 0; i < 3; i++) {
      harness.clock += 1; // keys of one millisecond are listed in the order of their random ids
      await post(`/apps/${app}/keys`, platformAdmin, { label: `k${i}` });
    }
    const first = await get(`/apps/${app}/keys?limit=2`, viewer);
    expect(first.body.items.map((key: { label: string }) => key.label)).toEqual(["k0", "k1"]);
    const second = await get(`/apps/${app}/keys?limit=2&cursor=${first.body.nextCursor}`, viewer);
    expect(second.body).toMatchObject({ items: [{ label: "k2" }], nextCursor: null });
    expect((await get(`/apps/${app}/keys?cursor=bogus`, viewer)).status).toBe(400);
  });
});

describe("subscriptions", () => {
  async function requested(): Promise<string> {
    const app = (await post("/apps", platformAdmin, { developerId, name: "Subscriber" })).body.id;
    return (await post("/subscriptions", platformAdmin, { appId: app, product: "partners", plan: "gold", state: "requested" })).body.id;
  }

  it("approves, suspends, resumes and cancels; rejects a request", async () => {
    const id = await requested();
    expect((await post(`/subscriptions/${id}/approve`, platformAdmin, { reason: "contract signed" })).body.state).toBe("active");
    expect((await post(`/subscriptions/${id}/suspend`, platformAdmin, { reason: "unpaid" })).body.state).toBe("suspended");
    expect((await post(`/subscriptions/${id}/resume`, platformAdmin)).body.state).toBe("active");
    expect((await post(`/subscriptions/${id}/cancel`, platformAdmin)).body.state).toBe("cancelled");
    const rejectedId = await requested();
    expect((await post(`/subscriptions/${rejectedId}/reject`, platformAdmin, { reason: "unknown company" })).body.state).toBe("rejected");
    const listed = await get(`/subscriptions?state=rejected`, viewer);
    expect(listed.body.items.map((s: { id: string }) => s.id)).toEqual([rejectedId]);
  });

  it("answers 409 for transitions the state machine does not allow, and changes nothing", async () => {
    const id = await requested();
    const suspendRequested = await post(`/subscriptions/${id}/suspend`, platformAdmin);
    expect(suspendRequested.status).toBe(409);
    expect(suspendRequested.body).toMatchObject({ type: "https://turnpike.dev/problems/invalid-transition", errors: [{ field: "state" }] });
    expect((await post(`/subscriptions/${id}/resume`, platformAdmin)).status).toBe(409);
    await post(`/subscriptions/${id}/approve`, platformAdmin);
    expect((await post(`/subscriptions/${id}/reject`, platformAdmin)).status).toBe(409);
    expect((await post(`/subscriptions/${id}/approve`, platformAdmin)).status).toBe(409);
    await post(`/subscriptions/${id}/cancel`, platformAdmin);
    for (const action of ["approve", "reject", "suspend", "resume", "cancel"]) {
      expect({ action, status: (await post(`/subscriptions/${id}/${action}`, platformAdmin)).status }).toEqual({ action, status: 409 });
    }
    expect((await harness.store.getSubscription(id)).state).toBe("cancelled");
    expect((await harness.store.queryAudit({ entityId: id, limit: 500 })).items.map((entry) => entry.action).reverse()).toEqual([
      "subscription.create",
      "subscription.approve",
      "subscription.activate",
      "subscription.cancel",
    ]);
  });

  it("requires a product and plan the manifest offers (private products included for admins)", async () => {
    const bad = await post("/subscriptions", platformAdmin, { appId: shopApp, product: "shop", plan: "platinum" });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: "plan", message: 'no plan "platinum" in the manifest' }]);
    const notOffered = await post("/subscriptions", platformAdmin, { appId: shopApp, product: "partners", plan: "free" });
    expect(notOffered.body.errors).toEqual([{ field: "plan", message: 'product "partners" offers the plans gold' }]);
    const missing = await post("/subscriptions", platformAdmin, {});
    expect(missing.body.errors.map((error: { field: string }) => error.field)).toEqual(["appId", "product", "plan"]);
    expect((await post("/subscriptions", platformAdmin, { appId: "app_missing", product: "shop", plan: "free" })).status).toBe(404);
    const internal = await post("/subscriptions", platformAdmin, { appId: shopApp, product: "internal", plan: "free" });
    expect(internal.status).toBe(201);
    expect((await harness.store.listSubscriptions({ appId: shopApp, product: "shop" })).items).toHaveLength(1);
  });
});

describe("apps, developers, catalog", () => {
  it("creates, reads and updates apps with field errors for bad input", async () => {
    const created = await post("/apps", platformAdmin, { developerId, name: "Backoffice", consumerName: "backoffice" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ consumerName: "backoffice", developerId, origin: "portal" });
    const byName = await get("/apps?consumerName=backoffice", viewer);
    expect(byName.body.items.map((app: { id: string }) => app.id)).toEqual([created.body.id]);
    const updated = await harness.call("PATCH", `${ADMIN}/apps/${created.body.id}`, { token: platformAdmin, body: { description: "Internal tools", reason: "ticket 42" } });
    expect(updated.body.description).toBe("Internal tools");

    const bad = await post("/apps", platformAdmin, { developerId: "", name: " ", consumerName: "Not A Slug" });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((error: { field: string }) => error.field)).toEqual(["developerId", "name"]);
    const slug = await post("/apps", platformAdmin, { developerId, name: "x", consumerName: "Not A Slug" });
    expect(slug.body.errors).toEqual([{ field: "consumerName", message: expect.any(String) }]);
    const taken = await post("/apps", platformAdmin, { developerId, name: "x", consumerName: "backoffice" });
    expect(taken.status).toBe(409);
    expect((await post("/apps", platformAdmin, { developerId: "dev_missing", name: "x" })).status).toBe(404);
  });

  it("refuses to edit a declared consumer's app: the declaration owns it", async () => {
    const outcome = await harness.store.provisionDeclaredConsumer(
      { name: "billing", displayName: "Billing", description: "", subscriptions: [{ product: "internal", plan: "free" }], apiKeys: [], keysComplete: true },
      { actor: "system:provisioner" },
    );
    expect((await get(`/apps?origin=declared`, viewer)).body.items.map((app: { id: string }) => app.id)).toEqual([outcome.app.id]);
    const patch = await harness.call("PATCH", `${ADMIN}/apps/${outcome.app.id}`, { token: platformAdmin, body: { name: "Renamed" } });
    expect(patch.status).toBe(409);
  });

  it("shows the whole catalog, private products included", async () => {
    const catalog = await get("/catalog", viewer);
    expect(catalog.body.revision).toBe(harness.manifest.metadata.revision);
    expect(catalog.body.products.map((product: { name: string }) => product.name)).toEqual(["internal", "partners", "shop"]);
    expect(catalog.body.apis.map((api: { id: string }) => api.id)).toEqual(["items-v1", "orders-v1"]);
    expect(catalog.body.plans.find((plan: { name: string }) => plan.name === "free").quota).toEqual({ requests: 1000, period: "day" });
  });

  it("validates query strings", async () => {
    for (const query of ["limit=0", "limit=abc", "limit=501", "from=yesterday", "bogus=1", "limit=1&limit=2"]) {
      const result = await get(`/audit?${query}`, viewer);
      expect({ query, status: result.status }).toEqual({ query, status: 400 });
      expect(result.body.errors.length).toBeGreaterThan(0);
    }
    expect((await get("/subscriptions?state=pending", viewer)).body.errors).toEqual([{ field: "state", message: expect.any(String) }]);
  });
});

describe("audit", () => {
  it("records every admin change with the token's name, the reason, and before/after", async () => {
    const token = await adminToken(harness, "auditee", "platform-admin");
    const actor = "admin:auditee";
    const app = (await post("/apps", token, { developerId, name: "Audited" })).body;
    await harness.call("PATCH", `${ADMIN}/apps/${app.id}`, { token, body: { name: "Audited 2", reason: "rename" } });
    const key = (await post(`/apps/${app.id}/keys`, token, {})).body;
    const rotated = (await post(`/keys/${key.credential.id}/rotate`, token, { overlapSeconds: 60, reason: "rotation" })).body;
    await post(`/keys/${rotated.credential.id}/revoke`, token, { reason: "done" });
    const subscription = (await post("/subscriptions", token, { appId: app.id, product: "partners", plan: "gold", state: "requested" })).body;
    await post(`/subscriptions/${subscription.id}/approve`, token, { reason: "ok" });
    await post(`/subscriptions/${subscription.id}/suspend`, token, { reason: "late payment" });
    const other = await signUp(harness, "audited-dev@example.com");
    await post(`/developers/${other.developerId}/disable`, token, { reason: "spam" });
    await post(`/developers/${other.developerId}/enable`, token);
    const viewerToken = (await post("/admin-tokens", token, { name: "audited-viewer", role: "viewer" })).body.adminToken;
    await post(`/admin-tokens/${viewerToken.id}/revoke`, token);

    const audit = await get(`/audit?actor=${encodeURIComponent(actor)}&limit=500`, viewer);
    const entries = [...audit.body.items].reverse();
    expect(entries.map((entry: { action: string; entityId: string; reason: string | null }) => [entry.action, entry.entityId, entry.reason])).toEqual([
      ["app.create", app.id, null],
      ["app.update", app.id, "rename"],
      ["credential.create", key.credential.id, null],
      ["credential.rotate", key.credential.id, "rotation"],
      ["credential.create", rotated.credential.id, "rotation"],
      ["credential.revoke", rotated.credential.id, "done"],
      ["subscription.create", subscription.id, null],
      ["subscription.approve", subscription.id, "ok"],
      ["subscription.activate", subscription.id, "ok"],
      ["subscription.suspend", subscription.id, "late payment"],
      ["developer.update", other.developerId, "spam"],
      ["developer.update", other.developerId, null],
      ["admin-token.create", viewerToken.id, null],
      ["admin-token.revoke", viewerToken.id, null],
    ]);
    for (const entry of entries) expect(entry.actor).toBe(actor);
    const update = entries[1];
    expect(update.before).toMatchObject({ name: "Audited" });
    expect(update.after).toMatchObject({ name: "Audited 2" });
    expect(entries[10].before).toMatchObject({ status: "active" });
    expect(entries[10].after).toMatchObject({ status: "disabled" });
    expect(audit.text).not.toContain(key.apiKey);

    // Filters and paging.
    const bySubscription = await get(`/audit?entityType=subscription&entityId=${subscription.id}`, viewer);
    expect(bySubscription.body.items).toHaveLength(4);
    const page = await get(`/audit?actor=${encodeURIComponent(actor)}&limit=5`, viewer);
    expect(page.body.items).toHaveLength(5);
    const next = await get(`/audit?actor=${encodeURIComponent(actor)}&limit=5&cursor=${page.body.nextCursor}`, viewer);
    expect(next.body.items[0].id).toBeLessThan(page.body.items[4].id);
    const future = await get(`/audit?from=2031-01-01T00:00:00Z`, viewer);
    expect(future.body).toEqual({ items: [], nextCursor: null });
  });
});

describe("transactions", () => {
  it("writes nothing when a change fails inside the store, and leaks no details", async () => {
    let failOn: string | null = null;
    const faulty = await startHarness({}, { beforeCommit: (action) => {
      if (action === failOn) throw new Error("disk on fire at /var/lib/secret");
    } });
    try {
      const session = await signUp(faulty, "tx@example.com");
      const app = (await faulty.call("POST", `${PORTAL}/apps`, { session, body: { name: "Tx" } })).body.id;
      const key = (await faulty.call("POST", `${ADMIN}/apps/${app}/keys`, { token: BOOTSTRAP_TOKEN, body: {} })).body;
      const auditBefore = (await faulty.store.queryAudit({ limit: 500 })).items.length;

      failOn = "credential.rotate";
      const rotate = await faulty.call("POST", `${ADMIN}/keys/${key.credential.id}/rotate`, { token: BOOTSTRAP_TOKEN, body: { overlapSeconds: 60 } });
      expect(rotate.status).toBe(500);
      expect(rotate.body).toEqual({ type: "https://turnpike.dev/problems/internal-error", title: "Internal gateway error", status: 500, detail: "the request failed; the error is logged" });
      expect(rotate.text).not.toContain("disk on fire");
      failOn = "subscription.create";
      expect((await faulty.call("POST", `${PORTAL}/apps/${app}/subscriptions`, { session, body: { product: "shop", plan: "free" } })).status).toBe(500);

      expect(await faulty.store.listCredentials(app)).toEqual([key.credential]);
      expect((await faulty.store.listSubscriptions({ appId: app })).items).toEqual([]);
      expect((await faulty.store.queryAudit({ limit: 500 })).items).toHaveLength(auditBefore);
      expect(await faulty.store.verifyApiKey(key.apiKey)).not.toBeNull();
    } finally {
      await faulty.close();
    }
  });
});
