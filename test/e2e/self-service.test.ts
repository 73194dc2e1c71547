/**
 * Issue 4's self-service flow end to end, through the real gateway bundle with its control
 * plane on a SQLite file: a developer signs up on the portal API, creates an app, subscribes
 * to a plan, gets a key, calls the API through the gateway to a real upstream, sees the call
 * in their usage with the quota left, rotates the key (the old one works during the overlap, then 401), and
 * revokes the new one (401 within a second).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Plan, Product, apiKey } from "../../constructs/index";
import { itemsApi, testPlatform } from "../helpers/declaration";
import { type RunningGateway, startGateway } from "../helpers/gateway";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

const PORTAL = "/_turnpike/portal/v1";
const ADMIN = "/_turnpike/admin/v1";
const ADMIN_TOKEN = "e2e-bootstrap-admin-token-0123456789";

let upstream: TestUpstream;
let gateway: RunningGateway;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "turnpike-e2e-"));
  upstream = await startUpstream();
  const platform = testPlatform();
  const items = itemsApi(platform, "items", { upstream: { targets: [{ url: upstream.url }] }, policies: [apiKey()] });
  new Product(platform, "shop", { apis: [items], plans: [new Plan(platform, "free", { quota: { requests: 1_000, period: "day" } })], approval: "auto" });
  gateway = await startGateway(platform, { controlStore: `sqlite:${join(dir, "control-plane.db")}`, env: { TURNPIKE_ADMIN_TOKEN: ADMIN_TOKEN } });
}, 30_000);

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A portal session: its cookie and CSRF token. */
interface Session {
  cookie: string;
  csrf: string;
}

async function portal(method: string, path: string, session: Session | null, body?: unknown): Promise<{ status: number; body: Record<string, any>; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (session) {
    headers.cookie = `turnpike_session=${session.cookie}`;
    headers["x-csrf-token"] = session.csrf;
  }
  const response = await fetch(`${gateway.url}${PORTAL}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : {}, headers: response.headers };
}

/** Calls that went through (each one is charged to the plan's quota). */
let answered = 0;

async function callApi(key: string): Promise<number> {
  const response = await fetch(`${gateway.url}/items/v1/items`, { headers: { "x-api-key": key } });
  await response.arrayBuffer();
  if (response.status === 200) answered++;
  return response.status;
}

/** Polls `check` every 100 ms until it holds; returns how long that took. */
async function within(timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now() - started;
}

it("sign up → app → subscribe → key → call → usage → rotate (overlap, then 401) → revoke (401)", async () => {
  // Sign up: a session cookie (HttpOnly) and the CSRF token for changes.
  const signup = await portal("POST", "/signup", null, { email: "grace@example.com", name: "Grace", password: "a long enough passphrase" });
  expect(signup.status).toBe(201);
  const cookie = signup.headers.getSetCookie().find((value) => value.startsWith("turnpike_session="))!;
  expect(cookie).toMatch(/HttpOnly/);
  const session: Session = { cookie: cookie.slice("turnpike_session=".length).split(";")[0]!, csrf: signup.body.csrfToken };

  // A change without the CSRF token is refused.
  expect((await portal("POST", "/apps", { ...session, csrf: "wrong" }, { name: "nope" })).status).toBe(403);

  const app = await portal("POST", "/apps", session, { name: "Grace's app" });
  expect(app.status).toBe(201);
  const appId: string = app.body.id;

  // Before subscribing, a key of the app is refused by the gateway: the subscription is the grant.
  const early = await portal("POST", `/apps/${appId}/keys`, session, { label: "early" });
  expect(early.status).toBe(201);
  expect(await callApi(early.body.apiKey)).toBe(403);
  await portal("POST", `/apps/${appId}/keys/${early.body.credential.id}/revoke`, session);

  const subscription = await portal("POST", `/apps/${appId}/subscriptions`, session, { product: "shop", plan: "free" });
  expect(subscription.status).toBe(201);
  expect(subscription.body.state).toBe("active");

  const created = await portal("POST", `/apps/${appId}/keys`, session, { label: "production" });
  expect(created.status).toBe(201);
  const firstKey: string = created.body.apiKey;

  // The call goes through the gateway to the upstream; within a second of the subscription
  // (the feed tells every worker about the app's new subscription).
  await within(2_000, async () => (await callApi(firstKey)) === 200);
  expect(upstream.requests.at(-1)!.headers["x-api-key"]).toBeUndefined();

  // Usage: the gateway flushes its counts every second; the quota left is read from the gateway's counters.
  await within(4_000, async () => {
    const usage = await portal("GET", `/apps/${appId}/usage`, session);
    return usage.status === 200 && (usage.body.totals as { api: string; count: number }[]).some((total) => total.api === "items-v1" && total.count >= 1);
  });
  const usage = await portal("GET", `/apps/${appId}/usage`, session);
  expect(usage.body.quota).toEqual([{ api: "items-v1", limit: 1_000, remaining: 1_000 - answered, resetsAt: expect.stringMatching(/T00:00:00\.000Z$/) }]);

  // Rotate with a 2 s overlap: both keys work, then the old one stops.
  const rotated = await portal("POST", `/apps/${appId}/keys/${created.body.credential.id}/rotate`, session, { overlapSeconds: 2 });
  expect(rotated.status).toBe(201);
  const secondKey: string = rotated.body.apiKey;
  expect(await callApi(firstKey)).toBe(200);
  expect(await callApi(secondKey)).toBe(200);
  await within(5_000, async () => (await callApi(firstKey)) === 401);
  expect(await callApi(secondKey)).toBe(200);

  // Revoke: every worker refuses the key within a second.
  const revoked = await portal("POST", `/apps/${appId}/keys/${rotated.body.credential.id}/revoke`, session);
  expect(revoked.status).toBe(200);
  expect(await within(1_500, async () => (await callApi(secondKey)) === 401)).toBeLessThan(1_500);

  // The admin API's audit log has the developer's changes, and no key in clear.
  const audit = await fetch(`${gateway.url}${ADMIN}/audit?limit=100`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const text = await audit.text();
  expect(audit.status).toBe(200);
  expect(text).toContain("credential.revoke");
  expect(text).not.toContain(firstKey);
  expect(text).not.toContain(secondKey);
}, 30_000);
