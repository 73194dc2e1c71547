/**
 * The portal API over HTTP: sign-up, sign-in and sign-out, the session cookie's attributes,
 * CSRF protection, a developer seeing only their own apps, subscription rules, the sign-in
 * throttle and bad input as problem+json with field errors.
 */
import { MAX_FAILURES } from "../../../gateway-image/src/control/http/signin-throttle";
import { ADMIN, BOOTSTRAP_TOKEN, type Harness, PORTAL, type PortalSession, cookieValue, signUp, startHarness } from "./harness";

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

const PASSWORD = "correct horse battery staple";

describe("sign-up and sign-in", () => {
  it("signs up with a session cookie of exactly these attributes, and never returns the password", async () => {
    const result = await harness.call("POST", `${PORTAL}/signup`, { body: { email: "Grace@Example.com", name: "Grace", password: PASSWORD } });
    expect(result.status).toBe(201);
    expect(result.body).toEqual({
      developer: { id: expect.any(String), email: "grace@example.com", name: "Grace", status: "active", createdAt: "2030-03-10T12:00:00.000Z", updatedAt: "2030-03-10T12:00:00.000Z" },
      csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expiresAt: "2030-03-10T20:00:00.000Z",
    });
    const cookies = result.headers.getSetCookie();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatch(/^turnpike_session=[A-Za-z0-9_-]{43}; Path=\/_turnpike\/portal\/; Max-Age=28800; HttpOnly; SameSite=Lax$/);
    expect(result.headers.get("cache-control")).toBe("no-store");
    expect(result.text).not.toContain(PASSWORD);

    // The stored hash is scrypt, self-describing, and not the password.
    const stored = await harness.store.findDeveloperByEmail("grace@example.com");
    expect(stored?.passwordHash).toMatch(/^scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
  });

  it("marks the cookie Secure when requests arrive over TLS", async () => {
    const secure = await startHarness({ secureCookies: true });
    try {
      const result = await secure.call("POST", `${PORTAL}/signup`, { body: { email: "tls@example.com", name: "Tls", password: PASSWORD } });
      expect(result.headers.getSetCookie()[0]).toMatch(/^turnpike_session=[A-Za-z0-9_-]{43}; Path=\/_turnpike\/portal\/; Max-Age=28800; HttpOnly; SameSite=Lax; Secure$/);
    } finally {
      await secure.close();
    }
  });

  it("rejects bad sign-up input with every field error, and a taken e-mail with 409", async () => {
    const bad = await harness.call("POST", `${PORTAL}/signup`, { body: { email: "not-an-email", password: "short", admin: true } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toBe("application/problem+json");
    expect(bad.body.type).toBe("https://turnpike.dev/problems/bad-request");
    expect(bad.body.errors).toEqual(
      expect.arrayContaining([
        { field: "email", message: "an e-mail address" },
        { field: "name", message: expect.any(String) },
        { field: "password", message: "at least 12 characters" },
        { field: "admin", message: "unknown field" },
      ]),
    );
    expect(bad.text).not.toContain("short");

    await signUp(harness, "taken@example.com");
    const taken = await harness.call("POST", `${PORTAL}/signup`, { body: { email: "TAKEN@example.com", name: "Again", password: PASSWORD } });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ type: "https://turnpike.dev/problems/conflict", errors: [{ field: "email", message: expect.any(String) }] });
    // Nothing half-written: still one developer with that address.
    const developers = await harness.store.listDevelopers({ limit: 500 });
    expect(developers.items.filter((developer) => developer.email === "taken@example.com")).toHaveLength(1);
  });

  it("signs in, answers a wrong password exactly as an unknown e-mail, and signs out", async () => {
    await signUp(harness, "linus@example.com");
    const wrong = await harness.call("POST", `${PORTAL}/signin`, { body: { email: "linus@example.com", password: "not the password at all" } });
    const unknown = await harness.call("POST", `${PORTAL}/signin`, { body: { email: "nobody@example.com", password: "not the password at all" } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.text).toBe(unknown.text);
    expect([...wrong.headers.keys()].filter((name) => name !== "date")).toEqual([...unknown.headers.keys()].filter((name) => name !== "date"));
    expect(wrong.headers.getSetCookie()).toEqual([]);

    const signedIn = await harness.call("POST", `${PORTAL}/signin`, { body: { email: "LINUS@example.com", password: PASSWORD } });
    expect(signedIn.status).toBe(200);
    const session: PortalSession = { cookie: cookieValue(signedIn.headers), csrfToken: signedIn.body.csrfToken, developerId: signedIn.body.developer.id };
    expect(signedIn.body.developer).not.toHaveProperty("passwordHash");

    const me = await harness.call("GET", `${PORTAL}/me`, { session });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ developer: { email: "linus@example.com" }, csrfToken: session.csrfToken });

    const out = await harness.call("POST", `${PORTAL}/signout`, { session });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie()).toEqual(["turnpike_session=; Path=/_turnpike/portal/; Max-Age=0; HttpOnly; SameSite=Lax"]);
    const after = await harness.call("GET", `${PORTAL}/me`, { session });
    expect(after.status).toBe(401);
    expect(after.headers.get("www-authenticate")).toBe('Cookie realm="turnpike-portal"');
  });

  it("throttles repeated failed sign-ins for one e-mail and address", async () => {
    await signUp(harness, "target@example.com");
    for (let i = 0; i < MAX_FAILURES; i++) {
      expect((await harness.call("POST", `${PORTAL}/signin`, { body: { email: "target@example.com", password: `guess number ${i}` } })).status).toBe(401);
    }
    const blocked = await harness.call("POST", `${PORTAL}/signin`, { body: { email: "target@example.com", password: PASSWORD } });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    // After the window, the right password works again.
    harness.clock += 15 * 60 * 1000;
    expect((await harness.call("POST", `${PORTAL}/signin`, { body: { email: "target@example.com", password: PASSWORD } })).status).toBe(200);
  });

  it("refuses a disabled developer and ends their sessions", async () => {
    const session = await signUp(harness, "mallory@example.com");
    const disabled = await harness.call("POST", `${ADMIN}/developers/${session.developerId}/disable`, { token: BOOTSTRAP_TOKEN, body: { reason: "abuse" } });
    expect(disabled.body.status).toBe("disabled");
    expect((await harness.call("GET", `${PORTAL}/me`, { session })).status).toBe(401);
    const signin = await harness.call("POST", `${PORTAL}/signin`, { body: { email: "mallory@example.com", password: PASSWORD } });
    expect(signin.status).toBe(403);
  });

  it("answers 401 without a session", async () => {
    const result = await harness.call("GET", `${PORTAL}/apps`);
    expect(result.status).toBe(401);
    expect(result.body.type).toBe("https://turnpike.dev/problems/unauthorized");
    const forged = await harness.call("GET", `${PORTAL}/apps`, { headers: { cookie: "turnpike_session=forged" } });
    expect(forged.status).toBe(401);
    expect(forged.headers.getSetCookie()[0]).toContain("Max-Age=0");
  });
});

describe("CSRF", () => {
  let session: PortalSession;
  beforeAll(async () => {
    session = await signUp(harness, "csrf@example.com");
  });

  it("refuses a change without the token or with a wrong one, and writes nothing", async () => {
    const missing = await harness.call("POST", `${PORTAL}/apps`, { session, withoutCsrf: true, body: { name: "Forged" } });
    expect(missing.status).toBe(403);
    expect(missing.body.type).toBe("https://turnpike.dev/problems/forbidden");
    const wrong = await harness.call("POST", `${PORTAL}/apps`, { session: { ...session, csrfToken: "x".repeat(43) }, body: { name: "Forged" } });
    expect(wrong.status).toBe(403);
    // Another session's token is no good either.
    const other = await signUp(harness, "csrf-other@example.com");
    expect((await harness.call("POST", `${PORTAL}/apps`, { session: { ...session, csrfToken: other.csrfToken }, body: { name: "Forged" } })).status).toBe(403);
    expect((await harness.call("POST", `${PORTAL}/signout`, { session, withoutCsrf: true })).status).toBe(403);
    expect((await harness.call("GET", `${PORTAL}/apps`, { session })).body.items).toEqual([]);
  });

  it("lets reads through without it and changes with it", async () => {
    expect((await harness.call("GET", `${PORTAL}/me`, { session })).status).toBe(200);
    expect((await harness.call("POST", `${PORTAL}/apps`, { session, body: { name: "Real" } })).status).toBe(201);
  });
});

describe("a developer's own resources", () => {
  let alice: PortalSession;
  let bob: PortalSession;
  let aliceApp: string;
  let aliceKey: string;
  let aliceSubscription: string;

  beforeAll(async () => {
    alice = await signUp(harness, "alice@example.com");
    bob = await signUp(harness, "bob@example.com");
    aliceApp = (await harness.call("POST", `${PORTAL}/apps`, { session: alice, body: { name: "Alice's" } })).body.id;
    aliceKey = (await harness.call("POST", `${PORTAL}/apps/${aliceApp}/keys`, { session: alice, body: {} })).body.credential.id;
    aliceSubscription = (await harness.call("POST", `${PORTAL}/apps/${aliceApp}/subscriptions`, { session: alice, body: { product: "shop", plan: "gold" } })).body.id;
  });

  it("answers 404 for another developer's app, exactly as for a missing one", async () => {
    const missing = await harness.call("GET", `${PORTAL}/apps/app_missing`, { session: bob });
    expect(missing.status).toBe(404);
    for (const [method, path, body] of [
      ["GET", `/apps/${aliceApp}`, undefined],
      ["GET", `/apps/${aliceApp}/keys`, undefined],
      ["GET", `/apps/${aliceApp}/usage`, undefined],
      ["GET", `/apps/${aliceApp}/subscriptions`, undefined],
      ["POST", `/apps/${aliceApp}/keys`, {}],
      ["POST", `/apps/${aliceApp}/keys/${aliceKey}/rotate`, { overlapSeconds: 0 }],
      ["POST", `/apps/${aliceApp}/keys/${aliceKey}/revoke`, undefined],
      ["POST", `/apps/${aliceApp}/subscriptions`, { product: "shop", plan: "free" }],
      ["POST", `/apps/${aliceApp}/subscriptions/${aliceSubscription}/cancel`, undefined],
    ] as const) {
      const result = await harness.call(method, `${PORTAL}${path}`, { session: bob, body });
      expect({ path, method, status: result.status, type: result.body.type }).toEqual({ path, method, status: 404, type: "https://turnpike.dev/problems/not-found" });
    }
    expect((await harness.call("GET", `${PORTAL}/apps`, { session: bob })).body.items).toEqual([]);
    // Alice's key is untouched.
    expect((await harness.store.getCredential(aliceKey)).revokedAt).toBeNull();
  });

  it("answers 404 for a key or subscription of another app of the same developer", async () => {
    const second = (await harness.call("POST", `${PORTAL}/apps`, { session: alice, body: { name: "Second" } })).body.id;
    expect((await harness.call("POST", `${PORTAL}/apps/${second}/keys/${aliceKey}/revoke`, { session: alice })).status).toBe(404);
    expect((await harness.call("POST", `${PORTAL}/apps/${second}/subscriptions/${aliceSubscription}/cancel`, { session: alice })).status).toBe(404);
  });

  it("does not subscribe to private products, unknown plans or plans the product does not offer", async () => {
    const privateProduct = await harness.call("POST", `${PORTAL}/apps/${aliceApp}/subscriptions`, { session: alice, body: { product: "internal", plan: "free" } });
    expect(privateProduct.status).toBe(400);
    expect(privateProduct.body.errors).toEqual([{ field: "product", message: 'no product "internal" is offered on the portal' }]);
    const notOffered = await harness.call("POST", `${PORTAL}/apps/${aliceApp}/subscriptions`, { session: alice, body: { product: "partners", plan: "free" } });
    expect(notOffered.body.errors).toEqual([{ field: "plan", message: 'product "partners" offers the plans gold' }]);
    const unknown = await harness.call("POST", `${PORTAL}/apps/${aliceApp}/subscriptions`, { session: alice, body: { product: "nope", plan: "platinum" } });
    expect(unknown.body.errors).toEqual([
      { field: "product", message: 'no product "nope" is offered on the portal' },
      { field: "plan", message: 'no plan "platinum" in the manifest' },
    ]);
    const duplicate = await harness.call("POST", `${PORTAL}/apps/${aliceApp}/subscriptions`, { session: alice, body: { product: "shop", plan: "free" } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.errors).toEqual([{ field: "product", message: expect.any(String) }]);
    const subscriptions = await harness.store.listSubscriptions({ appId: aliceApp });
    expect(subscriptions.items).toHaveLength(1);
  });

  it("cancels a subscription, and a second cancel is an invalid transition", async () => {
    const app = (await harness.call("POST", `${PORTAL}/apps`, { session: alice, body: { name: "Cancels" } })).body.id;
    const subscription = (await harness.call("POST", `${PORTAL}/apps/${app}/subscriptions`, { session: alice, body: { product: "partners", plan: "gold" } })).body.id;
    const cancelled = await harness.call("POST", `${PORTAL}/apps/${app}/subscriptions/${subscription}/cancel`, { session: alice });
    expect(cancelled.body.state).toBe("cancelled");
    const again = await harness.call("POST", `${PORTAL}/apps/${app}/subscriptions/${subscription}/cancel`, { session: alice });
    expect(again.status).toBe(409);
    expect(again.body.type).toBe("https://turnpike.dev/problems/invalid-transition");
  });

  it("limits the rotation overlap to 7 days and validates key input", async () => {
    const tooLong = await harness.call("POST", `${PORTAL}/apps/${aliceApp}/keys/${aliceKey}/rotate`, { session: alice, body: { overlapSeconds: 7 * 24 * 3600 + 1 } });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.errors).toEqual([{ field: "overlapSeconds", message: "at most 7 days (604800 seconds)" }]);
    const badKey = await harness.call("POST", `${PORTAL}/apps/${aliceApp}/keys`, { session: alice, body: { label: 7, expiresAt: "tomorrow" } });
    expect(badKey.status).toBe(400);
    expect(badKey.body.errors.map((error: { field: string }) => error.field)).toEqual(["label", "expiresAt"]);
    expect(await harness.store.listCredentials(aliceApp)).toHaveLength(1);
  });

  it("rejects a usage range that is backwards or too long", async () => {
    const backwards = await harness.call("GET", `${PORTAL}/apps/${aliceApp}/usage?from=2030-03-10&to=2030-03-01`, { session: alice });
    expect(backwards.status).toBe(400);
    expect(backwards.body.errors).toEqual([{ field: "from", message: "must not be after to" }]);
    const bad = await harness.call("GET", `${PORTAL}/apps/${aliceApp}/usage?from=yesterday&extra=1`, { session: alice });
    expect(bad.body.errors).toEqual([
      { field: "from", message: "a day as YYYY-MM-DD" },
      { field: "extra", message: "unknown field" },
    ]);
  });
});
