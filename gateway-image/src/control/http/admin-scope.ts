/**
 * What an `api-owner` token may see and change. The rule, kept simple on purpose:
 *
 * - it owns a **product** when the product contains at least one of its APIs;
 * - a **subscription** is in scope when its product is owned;
 * - an **app** (and its keys and usage) is in scope when it has a live subscription
 *   (requested, approved, active or suspended) to an owned product;
 * - **usage** of an app in scope shows only the owner's APIs;
 * - **audit entries** are in scope when their subscription, app or key is;
 * - developers and admin tokens are never in scope.
 *
 * `viewer` and `platform-admin` have everything in scope (what they may *change* is decided by
 * the route's access, {@link requireAccess}).
 */
import type { GatewayConfig } from "../../../../constructs/manifest/schema";
import { type AuditEntry, type ControlStore, LIVE_SUBSCRIPTION_STATES, type Subscription } from "../control-store";
import type { AdminPrincipal } from "./admin-auth";
import { fail } from "./control-problem";

export class AdminScope {
  /** App id → in scope, for one request (a listing asks about the same app many times). */
  private readonly apps = new Map<string, Promise<boolean>>();

  constructor(
    private readonly principal: AdminPrincipal,
    private readonly store: ControlStore,
    private readonly manifest: GatewayConfig,
  ) {}

  /** Whether everything is in scope (not an api-owner). */
  get unrestricted(): boolean {
    return this.principal.role !== "api-owner";
  }

  /** The APIs in scope; `null`: all. */
  get apis(): ReadonlySet<string> | null {
    return this.unrestricted ? null : this.principal.apis;
  }

  ownsProduct(product: string): boolean {
    if (this.unrestricted) return true;
    const declared = this.manifest.spec.products.find((candidate) => candidate.name === product);
    return declared !== undefined && declared.apis.some((api) => this.principal.apis.has(api));
  }

  coversSubscription(subscription: Pick<Subscription, "product">): boolean {
    return this.ownsProduct(subscription.product);
  }

  coversApp(appId: string): Promise<boolean> {
    if (this.unrestricted) return Promise.resolve(true);
    let known = this.apps.get(appId);
    if (known === undefined) {
      known = this.appHasOwnedSubscription(appId);
      this.apps.set(appId, known);
    }
    return known;
  }

  /** 403 unless the app is in scope. */
  async requireApp(appId: string): Promise<void> {
    if (!(await this.coversApp(appId))) fail("forbidden", "this app has no subscription to a product with your APIs");
  }

  /** 403 unless the subscription is in scope. */
  requireSubscription(subscription: Pick<Subscription, "product">): void {
    if (!this.coversSubscription(subscription)) fail("forbidden", `product ${subscription.product} contains none of your APIs`);
  }

  async coversAuditEntry(entry: AuditEntry): Promise<boolean> {
    if (this.unrestricted) return true;
    const record = (entry.after ?? entry.before ?? {}) as { product?: unknown; appId?: unknown };
    switch (entry.entityType) {
      case "subscription":
        return typeof record.product === "string" && this.ownsProduct(record.product);
      case "credential":
        return typeof record.appId === "string" && this.coversApp(record.appId);
      case "app":
        return this.coversApp(entry.entityId);
      default:
        return false;
    }
  }

  private async appHasOwnedSubscription(appId: string): Promise<boolean> {
    let cursor: string | null = null;
    do {
      const page = await this.store.listSubscriptions({ appId, limit: 500, cursor });
      if (page.items.some((subscription) => LIVE_SUBSCRIPTION_STATES.includes(subscription.state) && this.ownsProduct(subscription.product))) return true;
      cursor = page.nextCursor;
    } while (cursor !== null);
    return false;
  }
}

/** Keeps the items in scope, in order (a page may hold fewer than its limit: the cursor stays valid). */
export async function filterInScope<T>(items: readonly T[], covers: (item: T) => boolean | Promise<boolean>): Promise<T[]> {
  const keep = await Promise.all(items.map(covers));
  return items.filter((_, index) => keep[index]);
}
