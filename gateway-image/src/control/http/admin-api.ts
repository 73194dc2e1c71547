/**
 * The admin API, `/_turnpike/admin/v1`: apps (the consumers, declared ones included), their
 * keys and usage, subscriptions and their approval, developers, the audit log, admin tokens and
 * the catalog. Every route states the access it needs ({@link AdminAccess}); an api-owner is
 * further limited to its scope ({@link AdminScope}). Every change goes to the store with the
 * actor `admin:<token name>` and the optional `reason`, and so into the audit log.
 */
import { z } from "zod";
import { type App, type ChangeContext, type Subscription, type SubscriptionState, SUBSCRIPTION_STATES } from "../control-store";
import { type AdminAccess, type AdminPrincipal, adminActor, authenticateAdmin, requireAccess } from "./admin-auth";
import { AdminScope, filterInScope } from "./admin-scope";
import { adminCatalog, subscriptionTarget } from "./catalog";
import { fail } from "./control-problem";
import { jsonReply } from "./json-io";
import { pageOf } from "./memory-page";
import { type ControlDeps, type MountedRoute, type Route, type RouteDefinition, defineRoute, runRoute } from "./route";
import { usageRange, usageReport } from "./usage-report";
import { appDescriptionSchema, appNameSchema, isoTimeSchema, newKeyBody, pageQuery, reasonBody, slugInput, usageQuery } from "./validation";

export const ADMIN_API_BASE = "/_turnpike/admin/v1";

/** What an admin handler is given. */
export interface AdminContext {
  readonly deps: ControlDeps;
  readonly principal: AdminPrincipal;
  readonly scope: AdminScope;
  readonly actor: string;
}

export interface AdminMeta {
  readonly access: AdminAccess;
}

type AdminRoute = Route<AdminContext, AdminMeta>;

function adminRoute<B = undefined, Q = undefined>(definition: RouteDefinition<AdminContext, AdminMeta, B, Q>): AdminRoute {
  return defineRoute(definition);
}

function change(context: AdminContext, reason?: string): ChangeContext {
  return reason === undefined ? { actor: context.actor } : { actor: context.actor, reason };
}

function created(value: unknown, location: string) {
  return jsonReply(201, value, { location: `${ADMIN_API_BASE}${location}` });
}

/** The app, or 404; 403 when out of an api-owner's scope. */
async function appInScope(context: AdminContext, appId: string): Promise<App> {
  const app = await context.deps.store.getApp(appId);
  await context.scope.requireApp(app.id);
  return app;
}

/** The subscription, or 404; 403 when out of scope. */
async function subscriptionInScope(context: AdminContext, id: string): Promise<Subscription> {
  const subscription = await context.deps.store.getSubscription(id);
  context.scope.requireSubscription(subscription);
  return subscription;
}

/** Default overlap of a rotation: one day for clients to switch to the new key. */
const DEFAULT_OVERLAP_SECONDS = 24 * 3600;

const rotateBody = z.strictObject({
  /** Seconds the old key keeps working. At most 90 days (the store's limit). */
  overlapSeconds: z.number().int("a whole number of seconds").min(0).max(90 * 24 * 3600).default(DEFAULT_OVERLAP_SECONDS),
  reason: reasonBody.shape.reason,
});

// ---------------------------------------------------------------------------------------------
// Subscription actions
// ---------------------------------------------------------------------------------------------

type SubscriptionAction = "approve" | "reject" | "suspend" | "resume" | "cancel";

/**
 * Moves a subscription for an action. `approve` takes a requested subscription through
 * `approved` to `active` (two audited transitions; an approval interrupted between them is
 * completed by approving again); `resume` applies to suspended subscriptions only.
 */
async function applyAction(context: AdminContext, subscription: Subscription, action: SubscriptionAction, reason: string | undefined): Promise<Subscription> {
  const store = context.deps.store;
  const base = change(context, reason);
  const move = (to: SubscriptionState, expectedState?: SubscriptionState) => store.transitionSubscription(subscription.id, to, expectedState === undefined ? base : { ...base, expectedState });
  switch (action) {
    case "approve": {
      let current = subscription;
      if (current.state === "requested") current = await move("approved", "requested");
      if (current.state === "approved") return move("active", "approved");
      return move("approved"); // the store explains why not (invalid-transition)
    }
    case "resume":
      if (subscription.state !== "suspended") fail("invalid-transition", `a ${subscription.state} subscription cannot be resumed; only a suspended one can`, { errors: [{ field: "state", message: `is ${subscription.state}` }] });
      return move("active", "suspended");
    case "reject":
      return move("rejected");
    case "suspend":
      return move("suspended");
    case "cancel":
      return move("cancelled");
  }
}

const SUBSCRIPTION_ACTIONS: readonly SubscriptionAction[] = ["approve", "reject", "suspend", "resume", "cancel"];

const subscriptionActionRoutes = SUBSCRIPTION_ACTIONS.map((action) =>
  adminRoute({
    method: "POST",
    path: `/subscriptions/{subscriptionId}/${action}`,
    operationId: `${action}Subscription`,
    meta: { access: "change" },
    body: reasonBody,
    async handle(context, { params, body }) {
      const subscription = await subscriptionInScope(context, params.subscriptionId!);
      return jsonReply(200, await applyAction(context, subscription, action, body.reason));
    },
  }),
);

// ---------------------------------------------------------------------------------------------
// The route table
// ---------------------------------------------------------------------------------------------

/** Every admin route; paths relative to {@link ADMIN_API_BASE}. */
export const ADMIN_ROUTES: readonly AdminRoute[] = [
  adminRoute({
    method: "GET",
    path: "/whoami",
    operationId: "adminWhoami",
    meta: { access: "read" },
    async handle({ principal }) {
      return jsonReply(200, { name: principal.name, role: principal.role, apis: [...principal.apis].sort(), tokenId: principal.tokenId });
    },
  }),
  adminRoute({
    method: "GET",
    path: "/catalog",
    operationId: "adminCatalog",
    meta: { access: "read" },
    async handle({ deps }) {
      return jsonReply(200, adminCatalog(deps.manifest()));
    },
  }),

  // Developers: people, not API scope, so api-owners do not see them.
  adminRoute({
    method: "GET",
    path: "/developers",
    operationId: "listDevelopers",
    meta: { access: "read-all" },
    query: z.strictObject(pageQuery),
    async handle({ deps }, { query }) {
      return jsonReply(200, await deps.store.listDevelopers(query));
    },
  }),
  adminRoute({
    method: "GET",
    path: "/developers/{developerId}",
    operationId: "getDeveloper",
    meta: { access: "read-all" },
    async handle({ deps }, { params }) {
      return jsonReply(200, await deps.store.getDeveloper(params.developerId!));
    },
  }),
  adminRoute({
    method: "POST",
    path: "/developers/{developerId}/disable",
    operationId: "disableDeveloper",
    meta: { access: "platform-admin" },
    body: reasonBody,
    async handle(context, { params, body }) {
      const developer = await context.deps.store.updateDeveloper(params.developerId!, { status: "disabled" }, change(context, body.reason));
      // A disabled developer is signed out everywhere at once, not when the sessions expire.
      await context.deps.store.deleteDeveloperSessions(developer.id);
      return jsonReply(200, developer);
    },
  }),
  adminRoute({
    method: "POST",
    path: "/developers/{developerId}/enable",
    operationId: "enableDeveloper",
    meta: { access: "platform-admin" },
    body: reasonBody,
    async handle(context, { params, body }) {
      return jsonReply(200, await context.deps.store.updateDeveloper(params.developerId!, { status: "active" }, change(context, body.reason)));
    },
  }),

  // Apps (consumers).
  adminRoute({
    method: "GET",
    path: "/apps",
    operationId: "listApps",
    meta: { access: "read" },
    query: z.strictObject({
      ...pageQuery,
      developerId: z.string().min(1).max(100).optional(),
      origin: z.enum(["portal", "declared"]).optional(),
      consumerName: z.string().min(1).max(100).optional(),
    }),
    async handle(context, { query }) {
      const { store } = context.deps;
      if (query.consumerName !== undefined) {
        const app = await store.findAppByConsumerName(query.consumerName);
        const items = app === null ? [] : await filterInScope([app], (candidate) => context.scope.coversApp(candidate.id));
        return jsonReply(200, { items, nextCursor: null });
      }
      const page = await store.listApps(query);
      return jsonReply(200, { items: await filterInScope(page.items, (app) => context.scope.coversApp(app.id)), nextCursor: page.nextCursor });
    },
  }),
  adminRoute({
    method: "POST",
    path: "/apps",
    operationId: "createApp",
    meta: { access: "platform-admin" },
    body: z.strictObject({
      developerId: z.string().min(1, "must not be empty").max(100),
      name: appNameSchema,
      description: appDescriptionSchema.optional(),
      consumerName: z.string().max(63).optional(),
    }),
    async handle(context, { body }) {
      const app = await context.deps.store.createApp(body, change(context));
      return created(app, `/apps/${app.id}`);
    },
  }),
  adminRoute({
    method: "GET",
    path: "/apps/{appId}",
    operationId: "getApp",
    meta: { access: "read" },
    async handle(context, { params }) {
      return jsonReply(200, await appInScope(context, params.appId!));
    },
  }),
  adminRoute({
    method: "PATCH",
    path: "/apps/{appId}",
    operationId: "updateApp",
    meta: { access: "platform-admin" },
    body: z.strictObject({ name: appNameSchema.optional(), description: appDescriptionSchema.optional(), reason: reasonBody.shape.reason }),
    async handle(context, { params, body }) {
      const { reason, ...patch } = body;
      const app = await context.deps.store.getApp(params.appId!);
      // Provisioning would put the declared values back at the next reload.
      if (app.origin === "declared") fail("conflict", `app ${app.consumerName} is declared in stacks/: change the declaration`);
      return jsonReply(200, await context.deps.store.updateApp(app.id, patch, change(context, reason)));
    },
  }),
  adminRoute({
    method: "GET",
    path: "/apps/{appId}/usage",
    operationId: "getAppUsage",
    meta: { access: "read" },
    query: usageQuery,
    async handle(context, { params, query }) {
      const app = await appInScope(context, params.appId!);
      const range = usageRange(query, context.deps.now());
      return jsonReply(200, await usageReport(context.deps, app, { ...range, apis: context.scope.apis }));
    },
  }),

  // Keys.
  adminRoute({
    method: "GET",
    path: "/apps/{appId}/keys",
    operationId: "listAppKeys",
    meta: { access: "read" },
    query: z.strictObject(pageQuery),
    async handle(context, { params, query }) {
      const app = await appInScope(context, params.appId!);
      return jsonReply(200, pageOf(await context.deps.store.listCredentials(app.id), query));
    },
  }),
  adminRoute({
    method: "POST",
    path: "/apps/{appId}/keys",
    operationId: "createAppKey",
    meta: { access: "change" },
    body: newKeyBody,
    async handle(context, { params, body }) {
      const app = await appInScope(context, params.appId!);
      const issued = await context.deps.store.createApiKey({ appId: app.id, ...body }, change(context));
      return created(issued, `/keys/${issued.credential.id}`);
    },
  }),
  adminRoute({
    method: "GET",
    path: "/keys/{keyId}",
    operationId: "getKey",
    meta: { access: "read" },
    async handle(context, { params }) {
      const credential = await context.deps.store.getCredential(params.keyId!);
      await context.scope.requireApp(credential.appId);
      return jsonReply(200, credential);
    },
  }),
  adminRoute({
    method: "POST",
    path: "/keys/{keyId}/rotate",
    operationId: "rotateKey",
    meta: { access: "change" },
    body: rotateBody,
    async handle(context, { params, body }) {
      const credential = await context.deps.store.getCredential(params.keyId!);
      await context.scope.requireApp(credential.appId);
      const rotated = await context.deps.store.rotateApiKey(credential.id, body.overlapSeconds, change(context, body.reason));
      return created(rotated, `/keys/${rotated.credential.id}`);
    },
  }),
  adminRoute({
    method: "POST",
    path: "/keys/{keyId}/revoke",
    operationId: "revokeKey",
    meta: { access: "change" },
    body: reasonBody,
    async handle(context, { params, body }) {
      const credential = await context.deps.store.getCredential(params.keyId!);
      await context.scope.requireApp(credential.appId);
      return jsonReply(200, await context.deps.store.revokeCredential(credential.id, change(context, body.reason)));
    },
  }),

  // Subscriptions.
  adminRoute({
    method: "GET",
    path: "/subscriptions",
    operationId: "listSubscriptions",
    meta: { access: "read" },
    query: z.strictObject({
      ...pageQuery,
      appId: z.string().min(1).max(100).optional(),
      product: z.string().min(1).max(63).optional(),
      state: z.enum(SUBSCRIPTION_STATES as [SubscriptionState, ...SubscriptionState[]]).optional(),
    }),
    async handle(context, { query }) {
      const page = await context.deps.store.listSubscriptions(query);
      return jsonReply(200, { items: page.items.filter((subscription) => context.scope.coversSubscription(subscription)), nextCursor: page.nextCursor });
    },
  }),
  adminRoute({
    method: "POST",
    path: "/subscriptions",
    operationId: "createSubscription",
    meta: { access: "change" },
    body: z.strictObject({
      appId: z.string().min(1, "must not be empty").max(100),
      product: slugInput,
      plan: slugInput,
      /** An admin grants access: active unless asked to leave it requested. */
      state: z.enum(["requested", "active"]).default("active"),
      reason: reasonBody.shape.reason,
    }),
    async handle(context, { body }) {
      subscriptionTarget(context.deps.manifest(), body.product, body.plan, "admin");
      context.scope.requireSubscription(body);
      await context.deps.store.getApp(body.appId);
      const subscription = await context.deps.store.createSubscription({ appId: body.appId, product: body.product, plan: body.plan, state: body.state }, change(context, body.reason));
      return created(subscription, `/subscriptions/${subscription.id}`);
    },
  }),
  adminRoute({
    method: "GET",
    path: "/subscriptions/{subscriptionId}",
    operationId: "getSubscription",
    meta: { access: "read" },
    async handle(context, { params }) {
      return jsonReply(200, await subscriptionInScope(context, params.subscriptionId!));
    },
  }),
  ...subscriptionActionRoutes,

  // Audit log.
  adminRoute({
    method: "GET",
    path: "/audit",
    operationId: "queryAudit",
    meta: { access: "read" },
    query: z.strictObject({
      ...pageQuery,
      actor: z.string().min(1).max(300).optional(),
      entityType: z.string().min(1).max(100).optional(),
      entityId: z.string().min(1).max(100).optional(),
      from: isoTimeSchema.optional(),
      to: isoTimeSchema.optional(),
    }),
    async handle(context, { query }) {
      const page = await context.deps.store.queryAudit(query);
      return jsonReply(200, { items: await filterInScope(page.items, (entry) => context.scope.coversAuditEntry(entry)), nextCursor: page.nextCursor });
    },
  }),

  // Admin tokens.
  adminRoute({
    method: "GET",
    path: "/admin-tokens",
    operationId: "listAdminTokens",
    meta: { access: "platform-admin" },
    query: z.strictObject(pageQuery),
    async handle({ deps }, { query }) {
      return jsonReply(200, pageOf(await deps.store.listAdminTokens(), query));
    },
  }),
  adminRoute({
    method: "POST",
    path: "/admin-tokens",
    operationId: "createAdminToken",
    meta: { access: "platform-admin" },
    body: z.strictObject({
      name: z.string().trim().min(1, "must not be empty").max(200),
      role: z.enum(["platform-admin", "api-owner", "viewer"]),
      apis: z.array(z.string().min(1).max(200)).max(200).optional(),
      expiresAt: isoTimeSchema.nullable().optional(),
    }),
    async handle(context, { body }) {
      const known = new Set(context.deps.manifest().spec.apis.map((api) => api.id));
      const unknown = (body.apis ?? []).flatMap((api, index) => (known.has(api) ? [] : [{ field: `apis.${index}`, message: `no API "${api}" in the manifest` }]));
      if (unknown.length > 0) fail("bad-request", "the token names APIs the manifest does not declare", { errors: unknown });
      const issued = await context.deps.store.createAdminToken(body, change(context));
      return created(issued, `/admin-tokens/${issued.adminToken.id}`);
    },
  }),
  adminRoute({
    method: "POST",
    path: "/admin-tokens/{tokenId}/revoke",
    operationId: "revokeAdminToken",
    meta: { access: "platform-admin" },
    body: reasonBody,
    async handle(context, { params, body }) {
      return jsonReply(200, await context.deps.store.revokeAdminToken(params.tokenId!, change(context, body.reason)));
    },
  }),
];

/** The admin routes, authenticated and ready to mount. */
export function mountAdminApi(deps: ControlDeps, bootstrapToken: string | null): MountedRoute[] {
  return ADMIN_ROUTES.map((route) => ({
    method: route.method,
    path: `${ADMIN_API_BASE}${route.path}`,
    async run(req, params, search) {
      const principal = await authenticateAdmin(req, deps.store, bootstrapToken);
      requireAccess(principal, route.meta.access);
      const context: AdminContext = { deps, principal, scope: new AdminScope(principal, deps.store, deps.manifest()), actor: adminActor(principal) };
      return runRoute(route, context, req, params, search);
    },
  }));
}
