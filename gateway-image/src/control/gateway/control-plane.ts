/**
 * What a gateway process (the single process, or one cluster worker) runs when it has a
 * control store (`--control-store`): the store, the cache of issued keys the apiKey policy
 * asks, the access-feed poller that keeps that cache honest, the usage recorder, provisioning
 * of declared consumers (single process only; in a cluster the primary does it), and the
 * control API mounted under `/_turnpike/`.
 *
 * main.ts loads this module only when a control store is configured: without one, none of it
 * (nor a database driver) is loaded and the gateway behaves as before.
 */
import type { GatewayRequest, GatewayResponse } from "../../http/server/message-types";
import type { Logger } from "pino";
import type { GatewayConfig } from "../../../../constructs/manifest/schema";
import { type RemainingQuota, quotaInstanceFor, remainingQuota } from "../../../../policies/quota/remaining";
import { type SecretSources, apisOfProducts, subscriptionsByApi } from "../../identity/consumer-directory";
import type { Store } from "../../store/store";
import { problem } from "../../http/problem";
import type { ControlStore } from "../control-store";
import { CONTROL_API_PREFIX, type ControlApi, createControlApi } from "../http/control-api";
import { AccessFeed } from "./access-feed";
import { IssuedKeys } from "./issued-keys";
import { openControlStore } from "../create-control-store";
import { DeclaredConsumerProvisioner } from "./provisioner";
import { UsageRecorder } from "./usage-recorder";

export { CONTROL_API_PREFIX };

export interface ControlPlaneOptions {
  /** `sqlite:<path>`, `:memory:` or `postgres://…`. */
  readonly url: string;
  readonly logger: Logger;
  /** The manifest the gateway starts with. */
  readonly manifest: GatewayConfig;
  /** Whether this process provisions declared consumers (false in cluster workers: the primary does). */
  readonly provisions: boolean;
  /** TURNPIKE_ADMIN_TOKEN: a platform-admin token for bootstrapping the admin API. */
  readonly bootstrapAdminToken: string | null;
  /** The API listener serves TLS (the portal's cookies get `Secure`). */
  readonly secureCookies?: boolean;
  readonly secrets?: SecretSources;
  /** The gateway's counter store, for the remaining quota the portal shows; none: not shown. */
  readonly counters?: Store;
}

export class ControlPlane {
  readonly issuedKeys: IssuedKeys;
  readonly usage: UsageRecorder;
  private readonly feed: AccessFeed;
  private readonly provisioner: DeclaredConsumerProvisioner | null;
  private readonly api: ControlApi;
  private manifest: GatewayConfig;
  private provisioning: Promise<void> = Promise.resolve();
  private closed: Promise<void> | null = null;

  private constructor(
    readonly store: ControlStore,
    private readonly logger: Logger,
    options: ControlPlaneOptions,
    cursor: number,
  ) {
    this.manifest = options.manifest;
    this.issuedKeys = new IssuedKeys({ store, logger, manifest: options.manifest });
    this.feed = new AccessFeed(store, (change) => this.issuedKeys.applyChange(change), logger, cursor);
    this.usage = new UsageRecorder(store, logger);
    this.provisioner = options.provisions ? new DeclaredConsumerProvisioner(store, logger, options.secrets) : null;
    this.api = createControlApi({
      store,
      manifest: () => this.manifest,
      logger: logger.child({ component: "control-api" }),
      bootstrapAdminToken: options.bootstrapAdminToken,
      quotaRemaining: options.counters === undefined ? undefined : (consumerName, apiId) => this.quotaRemaining(options.counters!, consumerName, apiId),
      secureCookies: options.secureCookies ?? false,
    });
  }

  /**
   * What is left of a consumer's quota on an API: the quota its active subscription is
   * charged (read from the counter store without counting); null without one.
   */
  private async quotaRemaining(counters: Store, consumerName: string, apiId: string): Promise<RemainingQuota | null> {
    const app = await this.store.findAppByConsumerName(consumerName);
    if (app === null) return null;
    const active = await this.store.listSubscriptions({ appId: app.id, state: "active", limit: 500 });
    const subscription = subscriptionsByApi(active.items, apisOfProducts(this.manifest)).get(apiId);
    if (subscription === undefined) return null;
    const instance = quotaInstanceFor(this.manifest, apiId, subscription);
    return instance === null ? null : remainingQuota(counters, instance, consumerName, Date.now());
  }

  /**
   * Opens (and migrates) the store and starts polling and flushing. Throws when the store
   * cannot be opened: a gateway told to enforce a control plane does not start without one.
   */
  static async open(options: ControlPlaneOptions): Promise<ControlPlane> {
    const store = await openControlStore(options.url);
    try {
      // Where the feed starts: the cache is empty, so older changes concern nothing cached.
      const cursor = await store.latestAccessChange();
      const plane = new ControlPlane(store, options.logger, options, cursor);
      plane.feed.start();
      plane.usage.start();
      return plane;
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
  }

  /** Declared consumers provisioned for the latest manifest (resolves at once in cluster workers). */
  settled(): Promise<void> {
    return this.provisioning;
  }

  /** The gateway swapped in a manifest (the first one included). */
  manifestApplied(manifest: GatewayConfig): void {
    if (manifest !== this.manifest) this.issuedKeys.useManifest(manifest);
    this.manifest = manifest;
    if (this.provisioner !== null) this.provisioning = this.provisioner.provision(manifest);
  }

  /** Whether a request is the control API's. */
  owns(url: string): boolean {
    return url.startsWith(CONTROL_API_PREFIX);
  }

  /** Answers a control API request; never rejects. */
  handle(req: GatewayRequest, res: GatewayResponse): void {
    this.api.handle(req, res).catch((error: unknown) => {
      this.logger.error({ err: error }, "control API: request failed");
      if (!res.headersSent) {
        const reply = problem("internal-error", "the control API failed to answer");
        res.writeHead(reply.status, reply.headers).end(reply.body);
      } else res.destroy();
    });
  }

  /** Stops polling, writes the last usage counts, closes the store. Once. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.feed.stop();
      await this.provisioning;
      await this.usage.close();
      await this.store.close();
    })();
    return this.closed;
  }
}
