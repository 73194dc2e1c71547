/**
 * The control API over real HTTP for tests: an in-memory SQLite control store with an
 * adjustable clock, a small compiled manifest, a `node:http` server whose handler is
 * `controlApi.handle`, and a fetch helper that speaks JSON, bearer tokens, cookies and CSRF.
 *
 * The manifest: APIs `items-v1` and `orders-v1`; products `shop` (items, auto approval, plans
 * free and gold), `partners` (orders, manual approval, plan gold) and `internal` (items and
 * orders, private, plan free).
 */
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { Plan, Product } from "../../../constructs/index";
import type { GatewayConfig } from "../../../constructs/manifest/schema";
import { openControlStore } from "../../../gateway-image/src/control/create-control-store";
import type { ControlStore } from "../../../gateway-image/src/control/control-store";
import { type ControlApiOptions, createControlApi } from "../../../gateway-image/src/control/http/control-api";
import type { SqlControlStoreOptions } from "../../../gateway-image/src/control/sql-control-store";
import { compileOk, itemsApi, testPlatform } from "../../helpers/declaration";

export type Json = Record<string, any>;

let manifestPromise: Promise<GatewayConfig> | undefined;

/** The test manifest, compiled once per test file. */
export function testManifest(): Promise<GatewayConfig> {
  manifestPromise ??= (async () => {
    const platform = testPlatform();
    const items = itemsApi(platform, "items");
    const orders = itemsApi(platform, "orders");
    const free = new Plan(platform, "free", { quota: { requests: 1000, period: "day" } });
    const gold = new Plan(platform, "gold", { rateLimit: { requests: 50, perSeconds: 1 } });
    new Product(platform, "shop", { apis: [items], plans: [free, gold], approval: "auto" });
    new Product(platform, "partners", { apis: [orders], plans: [gold], approval: "manual" });
    new Product(platform, "internal", { apis: [items, orders], plans: [free], visibility: "private" });
    return compileOk(platform);
  })();
  return manifestPromise;
}

export const BOOTSTRAP_TOKEN = "bootstrap-secret-for-tests-0123456789";

export interface Harness {
  readonly url: string;
  readonly store: ControlStore;
  readonly manifest: GatewayConfig;
  /** The clock of the store and the API, epoch ms; tests move it. */
  clock: number;
  call(method: string, path: string, options?: CallOptions): Promise<HttpResult>;
  close(): Promise<void>;
}

export interface CallOptions {
  /** Admin bearer token. */
  readonly token?: string;
  /** A JSON body (sent as application/json). */
  readonly body?: unknown;
  /** A raw body, sent as is with `headers`. */
  readonly raw?: string;
  /** A portal session to send (cookie and, for changes, the CSRF token). */
  readonly session?: PortalSession;
  /** Leave the CSRF header out even for a change. */
  readonly withoutCsrf?: boolean;
  readonly headers?: Record<string, string>;
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Json;
  readonly text: string;
}

/** A signed-in browser: the cookie value and the CSRF token. */
export interface PortalSession {
  readonly cookie: string;
  readonly csrfToken: string;
  readonly developerId: string;
}

export const ADMIN = "/_turnpike/admin/v1";
export const PORTAL = "/_turnpike/portal/v1";

export async function startHarness(options: Partial<ControlApiOptions> = {}, storeOptions: Omit<SqlControlStoreOptions, "now"> = {}): Promise<Harness> {
  const manifest = await testManifest();
  const harness = { clock: Date.parse("2030-03-10T12:00:00.000Z") } as Harness & { clock: number };
  const store = await openControlStore(":memory:", { ...storeOptions, now: () => harness.clock });
  const api = createControlApi({
    store,
    manifest: () => manifest,
    logger: pino({ level: "silent" }),
    bootstrapAdminToken: BOOTSTRAP_TOKEN,
    now: () => new Date(harness.clock),
    ...options,
  });
  const server: Server = createServer((req, res) => void api.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(harness, {
    url,
    store,
    manifest,
    async call(method: string, path: string, call: CallOptions = {}): Promise<HttpResult> {
      const headers: Record<string, string> = { ...call.headers };
      if (call.token !== undefined) headers.authorization = `Bearer ${call.token}`;
      if (call.session !== undefined) {
        headers.cookie = `turnpike_session=${call.session.cookie}`;
        if (method !== "GET" && !call.withoutCsrf) headers["x-csrf-token"] = call.session.csrfToken;
      }
      let body: string | undefined = call.raw;
      if (call.body !== undefined) {
        body = JSON.stringify(call.body);
        headers["content-type"] ??= "application/json";
      }
      const response = await fetch(`${url}${path}`, { method, headers, body });
      const text = await response.text();
      let parsed: Json = {};
      try {
        parsed = text === "" ? {} : (JSON.parse(text) as Json);
      } catch {
        parsed = {};
      }
      return { status: response.status, headers: response.headers, body: parsed, text };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  });
}

/** Signs a new developer up through the portal; answers the browser's session. */
export async function signUp(harness: Harness, email: string, password = "correct horse battery staple"): Promise<PortalSession> {
  const result = await harness.call("POST", `${PORTAL}/signup`, { body: { email, name: email.split("@")[0], password } });
  if (result.status !== 201) throw new Error(`sign-up failed: ${result.status} ${result.text}`);
  return { cookie: cookieValue(result.headers), csrfToken: result.body.csrfToken, developerId: result.body.developer.id };
}

/** The session cookie's value from a response's Set-Cookie. */
export function cookieValue(headers: Headers): string {
  const cookie = headers.getSetCookie().find((value) => value.startsWith("turnpike_session="));
  if (cookie === undefined) throw new Error("no session cookie set");
  return cookie.slice("turnpike_session=".length).split(";")[0]!;
}

/** An admin token of a role, created with the bootstrap token through the API. */
export async function adminToken(harness: Harness, name: string, role: "platform-admin" | "api-owner" | "viewer", apis?: string[]): Promise<string> {
  const result = await harness.call("POST", `${ADMIN}/admin-tokens`, { token: BOOTSTRAP_TOKEN, body: { name, role, ...(apis ? { apis } : {}) } });
  if (result.status !== 201) throw new Error(`token creation failed: ${result.status} ${result.text}`);
  return result.body.token;
}
