/**
 * The gateway enforcing what the control plane issues (`--control-store`), through the real
 * bundle to a real upstream: keys created in the store work at the gateway, revocations,
 * rotations and suspended subscriptions take effect within a second (one worker and two),
 * usage reaches the store, declared consumers are provisioned once and keep working, an
 * outage of the store (PostgreSQL cut off behind a TCP proxy) leaves cached keys working and
 * answers 503 for keys it cannot check, and the control API is mounted under /_turnpike/ only
 * with a control store.
 */
import { get } from "node:http";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Consumer, Credential, Plan, Product, Secret } from "../../constructs/index";
import type { App, ControlStore, Credential as StoredCredential, Subscription } from "../../gateway-image/src/control/control-store";
import { openControlStore } from "../../gateway-image/src/control/create-control-store";
import { GATEWAY_BUNDLE } from "../../gateway-image/build";
import { itemsApi, testPlatform } from "../helpers/declaration";
import { type RunningGateway, manifestOf, startGateway } from "../helpers/gateway";
import { postgresAvailable, startPostgres, type TestPostgres } from "../helpers/postgres";
import { type TcpProxy, startTcpProxy } from "../helpers/tcp-proxy";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

const KEY_A = "declared-key-a-0123456789abcdef";
const ADMIN_TOKEN = "bootstrap-admin-token-for-tests-0123456789";
const ADMIN = { actor: "admin:test" };
const PATH = "/items/v1/items";

let upstream: TestUpstream;
let compiled: Awaited<ReturnType<typeof manifestOf>>;
let apiId: string;

beforeAll(async () => {
  upstream = await startUpstream();
  const platform = testPlatform();
  const items = itemsApi(platform, "items", { upstream: { targets: [{ url: upstream.url }] } });
  const shop = new Product(platform, "shop", { apis: [items], plans: [new Plan(platform, "free")] });
  new Consumer(platform, "alice", { subscriptions: [{ product: shop, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("KEY_A") })] });
  compiled = await manifestOf(platform);
  apiId = compiled.manifest.spec.apis[0]!.id;
});

afterAll(async () => {
  await upstream?.close();
});

interface Answer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string;
}

/** One GET on a new connection (so with several workers, requests spread over them). */
function call(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    get(url, { headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"], body }));
    }).on("error", reject);
  });
}

const withKey = (gateway: RunningGateway, key: string, headers: Record<string, string> = {}) => call(`${gateway.url}${PATH}`, { "x-api-key": key, ...headers });

/** Polls `check` until it is true; answers the time it took, ms; fails after `timeoutMs`. */
async function within(timeoutMs: number, check: () => Promise<boolean>, what: string): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** `n` requests in a row, each on its own connection, all answered `status`. */
async function allAnswer(gateway: RunningGateway, key: string, status: number, n = 1): Promise<boolean> {
  for (let i = 0; i < n; i++) if ((await withKey(gateway, key)).status !== status) return false;
  return true;
}

interface IssuedApp {
  readonly app: App;
  readonly credential: StoredCredential;
  readonly key: string;
  readonly subscription: Subscription | null;
}

let apps = 0;
/** A portal developer's app with a key, subscribed (active) to the shop product unless told not to. */
async function issueApp(store: ControlStore, options: { subscribed?: boolean } = {}): Promise<IssuedApp> {
  const n = ++apps;
  const developer = await store.createDeveloper({ email: `dev${n}-${process.pid}@example.com`, name: `Dev ${n}` }, ADMIN);
  const app = await store.createApp({ developerId: developer.id, name: `App ${n}` }, ADMIN);
  const subscription = options.subscribed === false ? null : await store.createSubscription({ appId: app.id, product: "shop", plan: "free", state: "active" }, ADMIN);
  const { credential, apiKey } = await store.createApiKey({ appId: app.id, label: "test" }, ADMIN);
  return { app, credential, key: apiKey, subscription };
}

const today = () => new Date().toISOString().slice(0, 10);

async function usageOf(store: ControlStore, consumerId: string): Promise<number> {
  const counters = await store.usage({ consumerId, from: today(), to: today(), api: apiId });
  return counters.reduce((sum, counter) => sum + counter.count, 0);
}

describe("with a SQLite control store, one worker", () => {
  let gateway: RunningGateway;
  let store: ControlStore;

  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), "turnpike-control-")), "control-plane.db");
    gateway = await startGateway(compiled, { controlStore: `sqlite:${file}`, env: { KEY_A, TURNPIKE_ADMIN_TOKEN: ADMIN_TOKEN } });
    store = await openControlStore(`sqlite:${file}`);
  }, 30_000);

  afterAll(async () => {
    await store?.close();
    expect(await gateway?.stop()).toBe(0);
  });

  it("lets a key created in the store through to the upstream, as its app's consumer", async () => {
    const issued = await issueApp(store);
    const before = upstream.requests.length;
    const response = await withKey(gateway, issued.key, { "x-request-id": "issued-key-1" });
    expect(response.status).toBe(200);
    expect(upstream.requests.length).toBe(before + 1);
    expect(upstream.requests.at(-1)!.headers["x-api-key"]).toBeUndefined();
    const line = await gateway.waitForLog((entry) => entry.msg === "request" && entry.requestId === "issued-key-1");
    expect(line).toMatchObject({ consumer: issued.app.consumerName, plan: "free", status: 200 });
    // Known now: the next request is answered from the cache, the same way.
    expect((await withKey(gateway, issued.key)).status).toBe(200);
  });

  it("answers 403 for the key of an app without an active subscription, 401 for keys the store does not know", async () => {
    const unsubscribed = await issueApp(store, { subscribed: false });
    const forbidden = await withKey(gateway, unsubscribed.key);
    expect(forbidden.status).toBe(403);
    expect(forbidden.contentType).toBe("application/problem+json");
    expect(JSON.parse(forbidden.body)).toMatchObject({ type: "https://turnpike.dev/problems/forbidden" });
    const unknown = await withKey(gateway, `tp_abcdefghij_${"x".repeat(43)}`);
    expect(unknown.status).toBe(401);
    expect(JSON.parse(unknown.body)).toMatchObject({ type: "https://turnpike.dev/problems/unauthorized" });
    expect((await withKey(gateway, "not-a-key-of-any-kind")).status).toBe(401);
  });

  it("keeps serving declared consumers' keys", async () => {
    const response = await withKey(gateway, KEY_A, { "x-request-id": "declared-1" });
    expect(response.status).toBe(200);
    expect(await gateway.waitForLog((entry) => entry.msg === "request" && entry.requestId === "declared-1")).toMatchObject({ consumer: "alice" });
  });

  it("refuses a revoked key within a second", async () => {
    const issued = await issueApp(store);
    expect((await withKey(gateway, issued.key)).status).toBe(200);
    await store.revokeCredential(issued.credential.id, ADMIN);
    const elapsed = await within(3_000, () => allAnswer(gateway, issued.key, 401), "revoked key refused");
    expect(elapsed).toBeLessThan(1_500);
  });

  it("after a rotation, takes both keys during the overlap and only the new one after it", async () => {
    const issued = await issueApp(store);
    expect((await withKey(gateway, issued.key)).status).toBe(200);
    const rotatedAt = performance.now();
    const rotated = await store.rotateApiKey(issued.credential.id, 2, ADMIN);
    expect((await withKey(gateway, rotated.apiKey)).status).toBe(200);
    expect((await withKey(gateway, issued.key)).status).toBe(200);
    await within(5_000, () => allAnswer(gateway, issued.key, 401), "old key refused after the overlap");
    const refusedAfter = performance.now() - rotatedAt;
    expect(refusedAfter).toBeGreaterThan(1_500);
    expect(refusedAfter).toBeLessThan(3_500);
    expect((await withKey(gateway, rotated.apiKey)).status).toBe(200);
  });

  it("refuses the keys of a suspended subscription's app within a second, and lets them in again on resume", async () => {
    const issued = await issueApp(store);
    expect((await withKey(gateway, issued.key)).status).toBe(200);
    await store.transitionSubscription(issued.subscription!.id, "suspended", ADMIN);
    expect(await within(3_000, () => allAnswer(gateway, issued.key, 403), "suspended app refused")).toBeLessThan(1_500);
    await store.transitionSubscription(issued.subscription!.id, "active", ADMIN);
    expect(await within(3_000, () => allAnswer(gateway, issued.key, 200), "resumed app let in")).toBeLessThan(1_500);
  });

  it("counts usage per app, day and API in the store, declared consumers included", async () => {
    const issued = await issueApp(store);
    const alice = (await store.findAppByConsumerName("alice"))!;
    const aliceBefore = await usageOf(store, alice.id);
    for (let i = 0; i < 5; i++) expect((await withKey(gateway, issued.key)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await withKey(gateway, KEY_A)).status).toBe(200);
    await within(3_000, async () => (await usageOf(store, issued.app.id)) === 5 && (await usageOf(store, alice.id)) === aliceBefore + 3, "usage written");
  });

  it("mounts the control API under /_turnpike/, with TURNPIKE_ADMIN_TOKEN as a bootstrap admin token", async () => {
    const anonymous = await call(`${gateway.url}/_turnpike/admin/v1/whoami`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.contentType).toBe("application/problem+json");
    const admin = await call(`${gateway.url}/_turnpike/admin/v1/whoami`, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(admin.status).toBe(200);
  });
});

describe("with a SQLite control store, two workers", () => {
  let gateway: RunningGateway;
  let store: ControlStore;

  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), "turnpike-control-")), "control-plane.db");
    gateway = await startGateway(compiled, { controlStore: `sqlite:${file}`, env: { KEY_A }, args: ["--workers", "2"] });
    store = await openControlStore(`sqlite:${file}`);
  }, 30_000);

  afterAll(async () => {
    await store?.close();
    expect(await gateway?.stop()).toBe(0);
  });

  it("refuses a revoked key on every worker within a second", async () => {
    const issued = await issueApp(store);
    // New connections alternate between the workers: both have the key cached.
    expect(await allAnswer(gateway, issued.key, 200, 4)).toBe(true);
    await store.revokeCredential(issued.credential.id, ADMIN);
    const elapsed = await within(3_000, () => allAnswer(gateway, issued.key, 401, 4), "revoked key refused by both workers");
    expect(elapsed).toBeLessThan(1_500);
  });

  it("serves declared consumers and counts their usage", async () => {
    const alice = (await store.findAppByConsumerName("alice"))!;
    const before = await usageOf(store, alice.id);
    expect(await allAnswer(gateway, KEY_A, 200, 4)).toBe(true);
    await within(3_000, async () => (await usageOf(store, alice.id)) === before + 4, "usage of both workers written");
  });
});

describe("provisioning of declared consumers", () => {
  it("writes them once: a second start (as a cluster) changes nothing", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "turnpike-control-")), "control-plane.db");
    const rows = async () => {
      const store = await openControlStore(`sqlite:${file}`);
      try {
        const declared = await store.listApps({ origin: "declared" });
        const credentials = await Promise.all(declared.items.map((app) => store.listCredentials(app.id)));
        const subscriptions = await store.listSubscriptions({});
        const audit = await store.queryAudit({ limit: 500 });
        return { apps: declared.items.map((app) => [app.id, app.consumerName]), credentials: credentials.flat().map((credential) => credential.id), subscriptions: subscriptions.items.map((s) => [s.id, s.state]), audit: audit.items.length };
      } finally {
        await store.close();
      }
    };
    const first = await startGateway(compiled, { controlStore: `sqlite:${file}`, env: { KEY_A } });
    expect(await first.stop()).toBe(0);
    const afterFirst = await rows();
    expect(afterFirst.apps).toEqual([[expect.any(String), "alice"]]);
    expect(afterFirst.credentials).toHaveLength(1);
    expect(afterFirst.subscriptions).toEqual([[expect.any(String), "active"]]);

    const second = await startGateway(compiled, { controlStore: `sqlite:${file}`, env: { KEY_A }, args: ["--workers", "2"] });
    expect((await withKey(second, KEY_A)).status).toBe(200);
    expect(await second.stop()).toBe(0);
    expect(await rows()).toEqual(afterFirst);
  }, 30_000);

  it("provisions again when the manifest is reloaded (in a cluster, by the primary)", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "turnpike-control-")), "control-plane.db");
    const platform = testPlatform();
    const items = itemsApi(platform, "items", { upstream: { targets: [{ url: upstream.url }] } });
    const shop = new Product(platform, "shop", { apis: [items], plans: [new Plan(platform, "free")] });
    new Consumer(platform, "alice", { subscriptions: [{ product: shop, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("KEY_A") })] });
    new Consumer(platform, "bob", { subscriptions: [{ product: shop, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("KEY_B") })] });
    const withBob = await manifestOf(platform);
    const gateway = await startGateway(compiled, { controlStore: `sqlite:${file}`, env: { KEY_A, KEY_B: "declared-key-b-0123456789abcdef" }, args: ["--workers", "2"] });
    const store = await openControlStore(`sqlite:${file}`);
    try {
      expect(await store.findAppByConsumerName("bob")).toBeNull();
      writeFileSync(gateway.manifestFile, withBob.json);
      await within(10_000, async () => (await store.findAppByConsumerName("bob")) !== null, "bob provisioned after the reload");
      await within(10_000, async () => (await withKey(gateway, "declared-key-b-0123456789abcdef")).status === 200, "bob's key served");
    } finally {
      await store.close();
      expect(await gateway.stop()).toBe(0);
    }
  }, 30_000);
});

describe("the drivers the image ships beside the bundle", () => {
  it("are enough to run with a SQLite control store, with no other node_modules", async () => {
    const root = join(__dirname, "..", "..");
    const dockerfile = readFileSync(join(root, "gateway-image", "Dockerfile"), "utf8").replace(/\\\n/g, " ");
    const packages = /for package in ([^;]+); do cp -R "node_modules\/\$package" \/drivers\/node_modules\/; done/.exec(dockerfile)?.[1]?.trim().split(/\s+/);
    expect(packages).toEqual(expect.arrayContaining(["bindings", "file-uri-to-path", "pg"]));
    expect(dockerfile).toContain("cp -R node_modules/better-sqlite3/package.json node_modules/better-sqlite3/lib /drivers/node_modules/better-sqlite3/");
    expect(dockerfile).toContain("cp node_modules/better-sqlite3/build/Release/better_sqlite3.node /drivers/node_modules/better-sqlite3/build/Release/");
    expect(dockerfile).toContain("COPY --from=build --chown=0:0 /drivers/node_modules/ ./node_modules/");

    // The image's /opt/turnpike: the bundle, and node_modules as the Dockerfile assembles it.
    const dir = mkdtempSync(join(tmpdir(), "turnpike-image-drivers-"));
    for (const file of readdirSync(join(GATEWAY_BUNDLE, ".."))) cpSync(join(GATEWAY_BUNDLE, "..", file), join(dir, file));
    const modules = join(dir, "node_modules");
    mkdirSync(join(modules, "better-sqlite3", "build", "Release"), { recursive: true });
    for (const part of ["package.json", "lib", "build/Release/better_sqlite3.node"]) cpSync(join(root, "node_modules", "better-sqlite3", part), join(modules, "better-sqlite3", part), { recursive: true });
    for (const name of packages!) cpSync(join(root, "node_modules", name), join(modules, name), { recursive: true });

    const file = join(dir, "control-plane.db");
    const gateway = await startGateway(compiled, { bundle: join(dir, "gateway.js"), cwd: dir, controlStore: `sqlite:${file}`, env: { KEY_A } });
    try {
      expect((await withKey(gateway, KEY_A)).status).toBe(200);
      expect((await call(`${gateway.url}/_turnpike/admin/v1/whoami`)).status).toBe(401);
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
    const store = await openControlStore(`sqlite:${file}`);
    try {
      expect(await store.findAppByConsumerName("alice")).not.toBeNull();
    } finally {
      await store.close();
    }
  });
});

describe("without a control store", () => {
  it("answers /_turnpike/ with the gateway's 404, as before", async () => {
    const gateway = await startGateway(compiled, { env: { KEY_A } });
    try {
      const response = await call(`${gateway.url}/_turnpike/admin/v1/whoami`, { authorization: `Bearer ${ADMIN_TOKEN}` });
      expect(response.status).toBe(404);
      expect(JSON.parse(response.body)).toMatchObject({ type: "https://turnpike.dev/problems/not-found", detail: "no API serves GET /_turnpike/admin/v1/whoami" });
      expect((await withKey(gateway, KEY_A)).status).toBe(200);
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
  });
});

const postgres = postgresAvailable();
(postgres ? describe : describe.skip)("with a PostgreSQL control store that goes away", () => {
  let server: TestPostgres;
  let proxy: TcpProxy;
  let gateway: RunningGateway;
  let store: ControlStore;

  beforeAll(async () => {
    server = await startPostgres();
    proxy = await startTcpProxy(server.port);
    // The gateway reaches the database through the proxy; the test directly, so it can issue keys during the outage.
    gateway = await startGateway(compiled, { controlStore: `postgres://postgres@127.0.0.1:${proxy.port}/turnpike_test`, env: { KEY_A } });
    store = await openControlStore(server.url);
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    expect(await gateway?.stop()).toBe(0);
    await proxy?.close();
    await server?.stop();
  });

  it("keeps cached keys working, answers 503 for keys it cannot check, and catches up when the store is back", async () => {
    const cached = await issueApp(store);
    // The feed reports the app's own creation too, which drops a key cached before it arrives:
    // let it arrive first, so the key stays cached through both outages.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await withKey(gateway, cached.key)).status).toBe(200);
    const alice = (await store.findAppByConsumerName("alice"))!;

    await proxy.pause();
    const unknown = await issueApp(store);
    const refused = await withKey(gateway, unknown.key);
    expect(refused.status).toBe(503);
    expect(refused.contentType).toBe("application/problem+json");
    expect(JSON.parse(refused.body)).toMatchObject({ type: "https://turnpike.dev/problems/service-unavailable" });
    for (let i = 0; i < 3; i++) expect((await withKey(gateway, cached.key)).status).toBe(200);
    expect((await withKey(gateway, KEY_A)).status).toBe(200);
    expect((await call(`${gateway.url}/items/v1/health`)).status).toBe(200);
    // A revocation made meanwhile reaches the gateway once it can read the feed again.
    const revoked = await issueApp(store);
    await proxy.resume();
    expect(await within(5_000, () => allAnswer(gateway, revoked.key, 200), "a new key works after the outage")).toBeLessThan(5_000);
    await store.revokeCredential(revoked.credential.id, ADMIN);
    await proxy.pause();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await withKey(gateway, cached.key)).status).toBe(200);
    await proxy.resume();
    await within(3_000, () => allAnswer(gateway, revoked.key, 401), "revocation made during the outage applied");
    expect((await withKey(gateway, unknown.key)).status).toBe(200);

    // One error line per outage activity, not one per attempt; and the usage counted meanwhile is not lost.
    const errors = gateway.logs.filter((line) => typeof line.msg === "string" && line.msg.startsWith("control store unavailable: polling the access feed"));
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.length).toBeLessThanOrEqual(2);
    // 1 before the outage, 3 during the first, 1 during the second.
    await within(5_000, async () => (await usageOf(store, cached.app.id)) === 5, "usage of the outage written");
    expect(await usageOf(store, alice.id)).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
