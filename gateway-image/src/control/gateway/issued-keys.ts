/**
 * API keys the control plane issued (portal apps, admin-created keys), as the apiKey policy
 * sees them: a per-worker cache in front of {@link ControlStore.verifyApiKey}.
 *
 * - A known key costs one SHA-256 and a Map lookup, synchronously: the cache is keyed by the
 *   key's digest, never by the key, so a heap dump of the gateway holds no usable key.
 * - An unknown key is verified once, asynchronously (the policy returns the promise); requests
 *   with the same unknown key meanwhile share that lookup.
 * - A key the store refused is refused from memory for {@link NEGATIVE_TTL_MS}, so a flood of
 *   bad keys reaches the store about once per key per second, not once per request. Strings
 *   that are not in the control plane's key format (`tp_<prefix>_<secret>`) never reach it.
 * - Entries are dropped when the access feed names their credential or app
 *   ({@link IssuedKeys.applyChange}), when the manifest changes (products may cover other APIs
 *   now), and when the credential's expiry passes.
 * - When the store cannot answer, the promise rejects: the policy answers 503. Cached keys go on
 *   working: the cache is the gateway's copy of who may call, and an outage of the control
 *   plane must not become an outage of every API.
 */
import type { Logger } from "pino";
import type { GatewayConfig } from "../../../../constructs/manifest/schema";
import { type ConsumerRecord, apiKeyDigest, apisOfProducts, subscriptionsByApi } from "../../identity/consumer-directory";
import { parsePrefix } from "../api-key-secret";
import type { AccessChange, App, ControlStore, Subscription } from "../control-store";
import { OutageLog } from "./outage-log";

/** Most verified keys a worker remembers; past it, the oldest entry goes. */
export const MAX_CACHED_KEYS = 10_000;
/** How long a refused key is refused without asking the store again, ms. */
export const NEGATIVE_TTL_MS = 1_000;
/** Most refused keys remembered; past it, the list starts over (a flood of random keys). */
export const MAX_NEGATIVE_KEYS = 10_000;

/** What the apiKey policy needs: a consumer, `null` for a key that is not valid, or a promise of either (rejected when the store is unavailable). */
export interface IssuedKeyLookup {
  /** `digest` is `apiKeyDigest(key)`, passed when the caller has it already. */
  find(key: string, digest?: string): ConsumerRecord | null | Promise<ConsumerRecord | null>;
}

interface CachedKey {
  readonly consumer: ConsumerRecord;
  readonly appId: string;
  readonly prefix: string;
  /** `Infinity` for keys that never expire. */
  readonly expiresAtMs: number;
}

interface CachedApp {
  readonly consumer: ConsumerRecord;
  /** Digests of this app's cached keys. */
  readonly digests: Set<string>;
}

export interface IssuedKeysOptions {
  readonly store: ControlStore;
  readonly logger: Logger;
  readonly manifest: GatewayConfig;
  /** @default MAX_CACHED_KEYS */
  readonly maxKeys?: number;
  readonly now?: () => number;
}

export class IssuedKeys implements IssuedKeyLookup {
  private readonly keys = new Map<string, CachedKey>();
  private readonly digestOfPrefix = new Map<string, string>();
  private readonly apps = new Map<string, CachedApp>();
  private readonly refused = new Map<string, number>();
  private readonly pending = new Map<string, Promise<ConsumerRecord | null>>();
  private apisOfProduct: ReadonlyMap<string, readonly string[]>;
  /**
   * Bumped by every eviction. A verification that started before one does not cache its
   * answer (it may predate a revocation the feed just reported); it still answers its requests.
   */
  private generation = 0;
  private readonly store: ControlStore;
  private readonly outage: OutageLog;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(options: IssuedKeysOptions) {
    this.store = options.store;
    this.outage = new OutageLog(options.logger, "verifying issued API keys");
    this.maxKeys = options.maxKeys ?? MAX_CACHED_KEYS;
    this.now = options.now ?? Date.now;
    this.apisOfProduct = apisOfProducts(options.manifest);
  }

  /** Number of keys cached (for tests and metrics). */
  get size(): number {
    return this.keys.size;
  }

  find(key: string, digest: string = apiKeyDigest(key)): ConsumerRecord | null | Promise<ConsumerRecord | null> {
    const cached = this.keys.get(digest);
    if (cached !== undefined) {
      if (cached.expiresAtMs === Infinity || cached.expiresAtMs > this.now()) return cached.consumer;
      this.forget(digest);
      return null;
    }
    if (parsePrefix("apiKey", key) === null) return null;
    const refusedUntil = this.refused.get(digest);
    if (refusedUntil !== undefined) {
      if (refusedUntil > this.now()) return null;
      this.refused.delete(digest);
    }
    let pending = this.pending.get(digest);
    if (pending === undefined) {
      pending = this.verify(key, digest);
      this.pending.set(digest, pending);
    }
    return pending;
  }

  /** A change from the access feed: drops what it makes stale. */
  applyChange(change: AccessChange): void {
    switch (change.kind) {
      case "subscriptions-changed":
        this.forgetApp(change.appId);
        return;
      case "credential-created":
        return; // nothing cached can be stale because a key was added
      case "credential-revoked":
      case "credential-expiry-changed": {
        if (change.prefix === null) return;
        const digest = this.digestOfPrefix.get(change.prefix);
        if (digest !== undefined) this.forget(digest);
        // The app's record stays for its other keys: one credential says nothing about them.
        this.generation++;
        return;
      }
    }
  }

  /** A new manifest: products may cover other APIs now, so every record is rebuilt on next use. */
  useManifest(manifest: GatewayConfig): void {
    this.apisOfProduct = apisOfProducts(manifest);
    this.clear();
  }

  clear(): void {
    this.keys.clear();
    this.digestOfPrefix.clear();
    this.apps.clear();
    this.refused.clear();
    this.generation++;
  }

  private async verify(key: string, digest: string): Promise<ConsumerRecord | null> {
    const generation = this.generation;
    try {
      const verified = await this.store.verifyApiKey(key);
      if (verified === null) {
        this.outage.recovered();
        if (this.refused.size >= MAX_NEGATIVE_KEYS) this.refused.clear();
        this.refused.set(digest, this.now() + NEGATIVE_TTL_MS);
        return null;
      }
      const { credential, app } = verified;
      const consumer = this.apps.get(app.id)?.consumer ?? (await this.consumerOf(app));
      this.outage.recovered();
      if (this.generation === generation) {
        this.remember(digest, { consumer, appId: app.id, prefix: credential.prefix, expiresAtMs: credential.expiresAt === null ? Infinity : Date.parse(credential.expiresAt) });
      }
      return consumer;
    } catch (error) {
      this.outage.failed(error);
      throw error;
    } finally {
      this.pending.delete(digest);
    }
  }

  /** The app as a consumer: its ACTIVE subscriptions mapped to APIs like a declared consumer's. */
  private async consumerOf(app: App): Promise<ConsumerRecord> {
    const active: Subscription[] = [];
    for (let cursor: string | null = null; ; ) {
      const page = await this.store.listSubscriptions({ appId: app.id, state: "active", cursor, limit: 500 });
      active.push(...page.items);
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    return { name: app.consumerName, displayName: app.name, subscriptions: subscriptionsByApi(active, this.apisOfProduct) };
  }

  private remember(digest: string, entry: CachedKey): void {
    if (this.keys.size >= this.maxKeys) {
      // Insertion order: the oldest verified key goes (LRU-ish; a hit does not reorder, to keep hits free).
      const oldest = this.keys.keys().next().value;
      if (oldest !== undefined) this.forget(oldest);
    }
    this.keys.set(digest, entry);
    this.digestOfPrefix.set(entry.prefix, digest);
    const app = this.apps.get(entry.appId);
    if (app === undefined) this.apps.set(entry.appId, { consumer: entry.consumer, digests: new Set([digest]) });
    else app.digests.add(digest);
  }

  private forget(digest: string): void {
    const entry = this.keys.get(digest);
    if (entry === undefined) return;
    this.keys.delete(digest);
    this.digestOfPrefix.delete(entry.prefix);
    const app = this.apps.get(entry.appId);
    if (app !== undefined) {
      app.digests.delete(digest);
      if (app.digests.size === 0) this.apps.delete(entry.appId);
    }
  }

  private forgetApp(appId: string): void {
    const app = this.apps.get(appId);
    if (app !== undefined) for (const digest of [...app.digests]) this.forget(digest);
    this.apps.delete(appId);
    this.generation++;
  }
}
