/**
 * The portal API, `/_turnpike/portal/v1`: what the portal's pages call. Sign-up and sign-in
 * (scrypt-hashed passwords, a session cookie and a CSRF token), then a developer's own apps,
 * their subscriptions, keys and usage, and the public catalog. Another developer's app answers
 * 404, exactly as a missing one: the portal does not reveal what exists. Changes are made
 * with the actor `developer:<id>` (`portal:signup` for the sign-up itself).
 */
import { z } from "zod";
import { type App, type Credential, type Developer, isControlStoreError } from "../control-store";
import { portalCatalog, subscriptionTarget } from "./catalog";
import { fail } from "./control-problem";
import { jsonReply, noContent } from "./json-io";
import { pageOf } from "./memory-page";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, hashPassword, verifyPassword } from "./password-hash";
import { PORTAL_CHALLENGE, type SignedIn, authenticateSession, developerActor } from "./portal-auth";
import { type ControlDeps, type MountedRoute, type Route, type RouteDefinition, defineRoute, runRoute } from "./route";
import { SESSION_TTL_SECONDS, clearedSessionCookie, sessionCookie } from "./session-cookie";
import { SigninThrottle } from "./signin-throttle";
import { usageRange, usageReport } from "./usage-report";
import { appDescriptionSchema, appNameSchema, newKeyBody, pageQuery, slugInput, usageQuery } from "./validation";

export const PORTAL_API_BASE = "/_turnpike/portal/v1";

/** Longest overlap a developer may give a rotation: a week. */
export const MAX_PORTAL_OVERLAP_SECONDS = 7 * 24 * 3600;

export interface PortalSettings {
  readonly secureCookies: boolean;
  readonly throttle: SigninThrottle;
}

/** What a portal handler is given. `signedIn` is set on routes with `auth: "session"`. */
export interface PortalContext {
  readonly deps: ControlDeps;
  readonly settings: PortalSettings;
  /** The TCP peer (the sign-in throttle's key, with the e-mail). */
  readonly clientAddress: string;
  readonly signedIn: SignedIn | null;
}

export interface PortalMeta {
  /** `session`: a signed-in developer, and the CSRF header on changes. */
  readonly auth: "none" | "session";
}

type PortalRoute = Route<PortalContext, PortalMeta>;

function portalRoute<B = undefined, Q = undefined>(definition: RouteDefinition<PortalContext, PortalMeta, B, Q>): PortalRoute {
  return defineRoute(definition);
}

function me(context: PortalContext): SignedIn {
  // Routes with auth "session" never run without one; this is a programming error otherwise.
  if (context.signedIn === null) throw new Error("portal route without a session");
  return context.signedIn;
}

function asDeveloper(context: PortalContext) {
  return { actor: developerActor(me(context).developer) };
}

function created(value: unknown, location: string) {
  return jsonReply(201, value, { location: `${PORTAL_API_BASE}${location}` });
}

/** The developer's app, or 404 (also for another developer's app). */
async function ownApp(context: PortalContext, appId: string): Promise<App> {
  let app: App | null = null;
  try {
    app = await context.deps.store.getApp(appId);
  } catch (error) {
    if (!isControlStoreError(error, "not-found")) throw error;
  }
  if (app === null || app.developerId !== me(context).developer.id) fail("not-found", `you have no app ${appId}`);
  return app;
}

/** A key of the app, or 404. */
async function ownKey(context: PortalContext, app: App, keyId: string): Promise<Credential> {
  let credential: Credential | null = null;
  try {
    credential = await context.deps.store.getCredential(keyId);
  } catch (error) {
    if (!isControlStoreError(error, "not-found")) throw error;
  }
  if (credential === null || credential.appId !== app.id) fail("not-found", `app ${app.id} has no key ${keyId}`);
  return credential;
}

/** Starts a session: the cookie, and the CSRF token the page sends back with every change. */
async function signIn(context: PortalContext, developer: Developer, status: number) {
  const issued = await context.deps.store.createSession(developer.id, SESSION_TTL_SECONDS);
  return jsonReply(
    status,
    { developer, csrfToken: issued.session.csrfToken, expiresAt: issued.session.expiresAt },
    { "set-cookie": sessionCookie(issued.token, context.settings.secureCookies) },
  );
}

/** Without the password hash, which never leaves the store's sign-in lookup. */
function publicDeveloper({ id, email, name, status, createdAt, updatedAt }: Developer): Developer {
  return { id, email, name, status, createdAt, updatedAt };
}

const WRONG_CREDENTIALS = "the e-mail address or the password is wrong";

/** Every portal route; paths relative to {@link PORTAL_API_BASE}. */
export const PORTAL_ROUTES: readonly PortalRoute[] = [
  portalRoute({
    method: "POST",
    path: "/signup",
    operationId: "signUp",
    meta: { auth: "none" },
    body: z.strictObject({
      email: z.email("an e-mail address").max(320),
      name: z.string().trim().min(1, "must not be empty").max(200),
      password: z.string().min(MIN_PASSWORD_LENGTH, `at least ${MIN_PASSWORD_LENGTH} characters`).max(MAX_PASSWORD_LENGTH, `at most ${MAX_PASSWORD_LENGTH} characters`),
    }),
    async handle(context, { body }) {
      const passwordHash = await hashPassword(body.password);
      // The developer has no id yet to be the actor; the sign-up itself is the portal's doing.
      const developer = await context.deps.store.createDeveloper({ email: body.email, name: body.name, passwordHash }, { actor: "portal:signup" });
      return signIn(context, developer, 201);
    },
  }),
  portalRoute({
    method: "POST",
    path: "/signin",
    operationId: "signIn",
    meta: { auth: "none" },
    body: z.strictObject({ email: z.string().min(1, "must not be empty").max(320), password: z.string().min(1, "must not be empty").max(MAX_PASSWORD_LENGTH) }),
    async handle(context, { body }) {
      const { throttle } = context.settings;
      const waitSeconds = throttle.blockedFor(body.email, context.clientAddress);
      if (waitSeconds !== null) fail("rate-limited", "too many failed sign-ins; try again later", { headers: { "retry-after": String(waitSeconds) } });
      const found = await context.deps.store.findDeveloperByEmail(body.email);
      // verifyPassword spends the same time on an unknown e-mail, and the answer is the same.
      const ok = await verifyPassword(body.password, found?.passwordHash ?? null);
      if (found === null || !ok) {
        throttle.recordFailure(body.email, context.clientAddress);
        fail("unauthorized", WRONG_CREDENTIALS, { headers: { "www-authenticate": PORTAL_CHALLENGE } });
      }
      throttle.recordSuccess(body.email, context.clientAddress);
      if (found.status !== "active") fail("forbidden", "this account is disabled; contact the platform team");
      return signIn(context, publicDeveloper(found), 200);
    },
  }),
  portalRoute({
    method: "POST",
    path: "/signout",
    operationId: "signOut",
    meta: { auth: "session" },
    async handle(context) {
      await context.deps.store.deleteSession(me(context).token);
      return noContent({ "set-cookie": clearedSessionCookie(context.settings.secureCookies) });
    },
  }),
  portalRoute({
    method: "GET",
    path: "/me",
    operationId: "getMe",
    meta: { auth: "session" },
    async handle(context) {
      const { developer, session } = me(context);
      return jsonReply(200, { developer, csrfToken: session.csrfToken, expiresAt: session.expiresAt });
    },
  }),
  portalRoute({
    method: "GET",
    path: "/catalog",
    operationId: "portalCatalog",
    meta: { auth: "none" },
    async handle({ deps }) {
      return jsonReply(200, portalCatalog(deps.manifest()));
    },
  }),

  // Apps.
  portalRoute({
    method: "GET",
    path: "/apps",
    operationId: "listMyApps",
    meta: { auth: "session" },
    query: z.strictObject(pageQuery),
    async handle(context, { query }) {
      return jsonReply(200, await context.deps.store.listApps({ ...query, developerId: me(context).developer.id }));
    },
  }),
  portalRoute({
    method: "POST",
    path: "/apps",
    operationId: "createMyApp",
    meta: { auth: "session" },
    body: z.strictObject({ name: appNameSchema, description: appDescriptionSchema.optional() }),
    async handle(context, { body }) {
      const app = await context.deps.store.createApp({ developerId: me(context).developer.id, ...body }, asDeveloper(context));
      return created(app, `/apps/${app.id}`);
    },
  }),
  portalRoute({
    method: "GET",
    path: "/apps/{appId}",
    operationId: "getMyApp",
    meta: { auth: "session" },
    async handle(context, { params }) {
      return jsonReply(200, await ownApp(context, params.appId!));
    },
  }),

  // Subscriptions.
  portalRoute({
    method: "GET",
    path: "/apps/{appId}/subscriptions",
    operationId: "listMySubscriptions",
    meta: { auth: "session" },
    query: z.strictObject(pageQuery),
    async handle(context, { params, query }) {
      const app = await ownApp(context, params.appId!);
      return jsonReply(200, await context.deps.store.listSubscriptions({ ...query, appId: app.id }));
    },
  }),
  portalRoute({
    method: "POST",
    path: "/apps/{appId}/subscriptions",
    operationId: "subscribe",
    meta: { auth: "session" },
    body: z.strictObject({ product: slugInput, plan: slugInput }),
    async handle(context, { params, body }) {
      const app = await ownApp(context, params.appId!);
      const { product } = subscriptionTarget(context.deps.manifest(), body.product, body.plan, "portal");
      // As the product declares: auto-approved products are usable at once, the others wait for an admin.
      const state = product.approval === "auto" ? "active" : "requested";
      const subscription = await context.deps.store.createSubscription({ appId: app.id, product: body.product, plan: body.plan, state }, asDeveloper(context));
      return created(subscription, `/apps/${app.id}/subscriptions/${subscription.id}`);
    },
  }),
  portalRoute({
    method: "POST",
    path: "/apps/{appId}/subscriptions/{subscriptionId}/cancel",
    operationId: "cancelMySubscription",
    meta: { auth: "session" },
    async handle(context, { params }) {
      const app = await ownApp(context, params.appId!);
      const subscription = await context.deps.store.getSubscription(params.subscriptionId!).catch((error: unknown) => {
        if (isControlStoreError(error, "not-found")) return null;
        throw error;
      });
      if (subscription === null || subscription.appId !== app.id) fail("not-found", `app ${app.id} has no subscription ${params.subscriptionId}`);
      return jsonReply(200, await context.deps.store.transitionSubscription(subscription.id, "cancelled", asDeveloper(context)));
    },
  }),

  // Keys.
  portalRoute({
    method: "GET",
    path: "/apps/{appId}/keys",
    operationId: "listMyKeys",
    meta: { auth: "session" },
    query: z.strictObject(pageQuery),
    async handle(context, { params, query }) {
      const app = await ownApp(context, params.appId!);
      return jsonReply(200, pageOf(await context.deps.store.listCredentials(app.id), query));
    },
  }),
  portalRoute({
    method: "POST",
    path: "/apps/{appId}/keys",
    operationId: "createMyKey",
    meta: { auth: "session" },
    body: newKeyBody,
    async handle(context, { params, body }) {
      const app = await ownApp(context, params.appId!);
      const issued = await context.deps.store.createApiKey({ appId: app.id, ...body }, asDeveloper(context));
      return created(issued, `/apps/${app.id}/keys`);
    },
  }),
  portalRoute({
    method: "POST",
    path: "/apps/{appId}/keys/{keyId}/rotate",
    operationId: "rotateMyKey",
    meta: { auth: "session" },
    body: z.strictObject({ overlapSeconds: z.number().int("a whole number of seconds").min(0).max(MAX_PORTAL_OVERLAP_SECONDS, "at most 7 days (604800 seconds)").default(24 * 3600) }),
    async handle(context, { params, body }) {
      const app = await ownApp(context, params.appId!);
      const credential = await ownKey(context, app, params.keyId!);
      const rotated = await context.deps.store.rotateApiKey(credential.id, body.overlapSeconds, asDeveloper(context));
      return created(rotated, `/apps/${app.id}/keys`);
    },
  }),
  portalRoute({
    method: "POST",
    path: "/apps/{appId}/keys/{keyId}/revoke",
    operationId: "revokeMyKey",
    meta: { auth: "session" },
    async handle(context, { params }) {
      const app = await ownApp(context, params.appId!);
      const credential = await ownKey(context, app, params.keyId!);
      return jsonReply(200, await context.deps.store.revokeCredential(credential.id, asDeveloper(context)));
    },
  }),

  // Usage.
  portalRoute({
    method: "GET",
    path: "/apps/{appId}/usage",
    operationId: "getMyUsage",
    meta: { auth: "session" },
    query: usageQuery,
    async handle(context, { params, query }) {
      const app = await ownApp(context, params.appId!);
      return jsonReply(200, await usageReport(context.deps, app, { ...usageRange(query, context.deps.now()), apis: null }));
    },
  }),
];

/** The portal routes, with sessions checked, ready to mount. */
export function mountPortalApi(deps: ControlDeps, settings: PortalSettings): MountedRoute[] {
  return PORTAL_ROUTES.map((route) => ({
    method: route.method,
    path: `${PORTAL_API_BASE}${route.path}`,
    async run(req, params, search) {
      const signedIn = route.meta.auth === "session" ? await authenticateSession(req, deps.store, settings.secureCookies) : null;
      const context: PortalContext = { deps, settings, clientAddress: req.socket.remoteAddress ?? "unknown", signedIn };
      return runRoute(route, context, req, params, search);
    },
  }));
}
