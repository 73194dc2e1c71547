/**
 * The control API the gateway mounts under {@link CONTROL_API_PREFIX}: the admin API
 * (`/_turnpike/admin/v1/…`, bearer admin tokens) and the portal API (`/_turnpike/portal/v1/…`,
 * session cookie + CSRF header). One find-my-way router over both route tables; every answer,
 * errors included, is JSON or problem+json, and nothing a handler throws escapes `handle`.
 *
 * The routes are documented in `openapi/control-api.yaml`; a test keeps the two in step.
 */
import type { GatewayRequest, GatewayResponse } from "../../http/server/message-types";
import FindMyWay from "find-my-way";
import type { Logger } from "pino";
import type { GatewayConfig } from "../../../../constructs/manifest/schema";
import type { ControlStore } from "../control-store";
import type { Reply } from "../../http/problem";
import { ADMIN_API_BASE, ADMIN_ROUTES, mountAdminApi } from "./admin-api";
import { controlProblem, knownErrorReply } from "./control-problem";
import { sendReply } from "./json-io";
import { PORTAL_API_BASE, PORTAL_ROUTES, mountPortalApi } from "./portal-api";
import type { ControlDeps, HttpMethod, MountedRoute } from "./route";
import { SigninThrottle } from "./signin-throttle";

export const CONTROL_API_PREFIX = "/_turnpike/";

export interface ControlApiOptions {
  readonly store: ControlStore;
  /** The manifest being served; read per request so a reload shows at once. */
  readonly manifest: () => GatewayConfig;
  readonly logger: Logger;
  /** A platform-admin token from the environment (TURNPIKE_ADMIN_TOKEN) for bootstrapping; compared in constant time; null: none. */
  readonly bootstrapAdminToken: string | null;
  /** Remaining quota of a consumer on an API for the portal's usage page; null when the gateway cannot tell. */
  readonly quotaRemaining?: (consumerName: string, apiId: string) => Promise<{ limit: number; remaining: number; resetsAt: string } | null>;
  /** Whether requests arrive over TLS (cookies get `Secure`). @default false */
  readonly secureCookies?: boolean;
  /** Clock, for tests. */
  readonly now?: () => Date;
}

export interface ControlApi {
  /** Handles a request whose path starts with CONTROL_API_PREFIX (the caller checks the prefix). Never throws; always answers. */
  handle(req: GatewayRequest, res: GatewayResponse): Promise<void>;
}

const METHODS: readonly HttpMethod[] = ["GET", "POST", "PATCH", "DELETE"];

/** A route as the OpenAPI document must describe it. */
export interface ControlRouteInfo {
  readonly method: HttpMethod;
  /** Full OpenAPI path template, e.g. `/_turnpike/admin/v1/apps/{appId}`. */
  readonly path: string;
  readonly operationId: string;
  /** `admin`: bearer admin token; `session`: portal cookie (plus CSRF header on changes); `none`: public. */
  readonly auth: "admin" | "session" | "none";
}

/** Every route of the control API, from the route tables (what the OpenAPI test compares with the document). */
export function controlApiRoutes(): ControlRouteInfo[] {
  return [
    ...ADMIN_ROUTES.map((route): ControlRouteInfo => ({ method: route.method, path: `${ADMIN_API_BASE}${route.path}`, operationId: route.operationId, auth: "admin" })),
    ...PORTAL_ROUTES.map((route): ControlRouteInfo => ({ method: route.method, path: `${PORTAL_API_BASE}${route.path}`, operationId: route.operationId, auth: route.meta.auth })),
  ];
}

/** `/apps/{appId}` → `/apps/:appId`. */
function routerPath(template: string): string {
  return template.replace(/\{(\w+)\}/g, ":$1");
}

export function createControlApi(options: ControlApiOptions): ControlApi {
  const now = options.now ?? (() => new Date());
  const deps: ControlDeps = {
    store: options.store,
    manifest: options.manifest,
    logger: options.logger,
    now,
    ...(options.quotaRemaining === undefined ? {} : { quotaRemaining: options.quotaRemaining }),
  };
  const routes: MountedRoute[] = [
    ...mountAdminApi(deps, options.bootstrapAdminToken),
    ...mountPortalApi(deps, { secureCookies: options.secureCookies ?? false, throttle: new SigninThrottle(() => now().getTime()) }),
  ];
  const router = FindMyWay({ ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 200 });
  for (const route of routes) router.on(route.method, routerPath(route.path), () => undefined, route);

  async function answer(req: GatewayRequest): Promise<Reply> {
    const method = (req.method ?? "GET").toUpperCase();
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://control.invalid");
    } catch {
      return controlProblem("bad-request", "the request target is not a valid URL");
    }
    let path: string;
    try {
      // find-my-way decodes parameters; a malformed escape would make it throw.
      decodeURIComponent(url.pathname);
      path = url.pathname;
    } catch {
      return controlProblem("bad-request", "the path has a malformed percent-escape");
    }
    const lookup = method === "HEAD" ? "GET" : method;
    const found = METHODS.includes(lookup as HttpMethod) ? router.find(lookup as HttpMethod, path) : null;
    if (found === null) {
      const allowed = METHODS.filter((candidate) => router.find(candidate, path) !== null);
      if (allowed.length === 0) return controlProblem("not-found", `no control API route ${path}`);
      const allow = allowed.includes("GET") ? [...allowed, "HEAD"] : allowed;
      return controlProblem("method-not-allowed", `${method} is not allowed on ${path}`, { headers: { allow: allow.join(", ") } });
    }
    const params: Record<string, string> = {};
    for (const [name, value] of Object.entries(found.params)) if (value !== undefined) params[name] = value;
    return (found.store as MountedRoute).run(req, params, url.searchParams);
  }

  return {
    async handle(req, res) {
      let reply: Reply;
      try {
        reply = await answer(req);
      } catch (error) {
        const known = knownErrorReply(error);
        if (known !== null) {
          reply = known;
        } else {
          // Bodies are never logged: they may hold passwords and keys.
          options.logger.error({ err: error, method: req.method, path: req.url?.split("?")[0] }, "control API: request failed");
          reply = controlProblem("internal-error", "the request failed; the error is logged");
        }
      }
      try {
        sendReply(res, reply, req.method === "HEAD");
      } catch (error) {
        options.logger.error({ err: error }, "control API: could not send the answer");
        res.destroy();
      }
    },
  };
}
