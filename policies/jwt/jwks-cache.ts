/**
 * The signing keys of a JWKS endpoint, fetched over HTTP and kept in memory.
 *
 * - Keys are fetched when the cache is created and then on demand; one fetch at a time
 *   (concurrent requests share it).
 * - Keys older than `cacheMs` are refreshed in the background: requests keep being verified
 *   with the keys at hand meanwhile, so a slow identity provider never adds latency.
 * - A token whose `kid` matches no cached key prompts a refetch (key rotation), at most once
 *   per `minRefetchIntervalMs` (30 s), so tokens with made-up key ids cannot turn the gateway
 *   into a load generator against the identity provider.
 * - When a fetch fails the keys fetched before stay in use (an identity provider outage does
 *   not take the APIs down; a key it removed meanwhile is dropped at the next successful
 *   fetch) and fetches are retried with a backoff of 1 s doubling to 30 s.
 * - With no keys at all, verification fails with {@link KeysUnavailableError}.
 */
import { type JSONWebKeySet, type JWTVerifyGetKey, createLocalJWKSet, errors } from "jose";

/** No signing key has ever been fetched, and the endpoint cannot be reached now. */
export class KeysUnavailableError extends Error {
  constructor(
    message: string,
    /** Seconds until the next fetch will be tried. */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export interface JwksCacheOptions {
  /** The JWKS endpoint. */
  readonly url: string;
  /** How long fetched keys are used before they are refreshed, in milliseconds. */
  readonly cacheMs: number;
  /** Least time between two fetches prompted by an unknown key id. @default 30000 */
  readonly minRefetchIntervalMs?: number;
  /** Longest wait for the endpoint's answer. @default 5000 */
  readonly timeoutMs?: number;
  /** Largest JWKS document accepted, in bytes. @default 1048576 */
  readonly maxBytes?: number;
  /** Replaceable in tests. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Replaceable in tests. @default Date.now */
  readonly now?: () => number;
  /** Called after each successful fetch. */
  readonly onFetched?: (keyCount: number) => void;
  /** Called after each failed fetch; `staleKeysInUse` tells whether older keys are still used. */
  readonly onFetchFailed?: (reason: string, staleKeysInUse: boolean) => void;
}

type KeyLookup = ReturnType<typeof createLocalJWKSet>;

const MAX_BACKOFF_MS = 30_000;

export class JwksCache {
  private keys: KeyLookup | null = null;
  /** When keys were last fetched successfully. */
  private fetchedAt = Number.NEGATIVE_INFINITY;
  /** When a fetch was last started, successful or not. */
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private failures = 0;
  private pending: Promise<void> | null = null;
  private readonly aborter = new AbortController();
  private readonly now: () => number;
  private readonly minRefetchIntervalMs: number;

  constructor(private readonly options: JwksCacheOptions) {
    this.now = options.now ?? Date.now;
    this.minRefetchIntervalMs = options.minRefetchIntervalMs ?? 30_000;
  }

  /** A key resolver for jose's `jwtVerify`. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const keys = await this.current();
    try {
      return await keys(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // Perhaps the issuer rotated its keys: look again, unless we looked very recently.
      if (this.pending === null && this.now() - this.attemptedAt < this.minRefetchIntervalMs) throw error;
      await this.refresh();
      if (this.keys === keys || this.keys === null) throw error;
      return this.keys(header, token);
    }
  };

  /** Fetches the keys now (or joins the fetch under way). Never rejects: failures are reported and kept. */
  refresh(): Promise<void> {
    if (this.pending === null) {
      const fetching = this.fetchKeys().finally(() => {
        if (this.pending === fetching) this.pending = null;
      });
      this.pending = fetching;
    }
    return this.pending;
  }

  /** Stops fetches under way; the cache is not used afterwards. */
  close(): void {
    this.aborter.abort();
  }

  /** The keys to verify with: fetched first when there are none, refreshed in the background when old. */
  private async current(): Promise<KeyLookup> {
    const now = this.now();
    if (this.keys === null) {
      if (this.pending !== null || now >= this.nextAttemptAt()) await this.refresh();
      if (this.keys === null) {
        const waitMs = Math.max(0, this.nextAttemptAt() - this.now());
        throw new KeysUnavailableError(`the signing keys cannot be fetched from ${this.options.url}`, Math.max(1, Math.ceil(waitMs / 1000)));
      }
      return this.keys;
    }
    if (now - this.fetchedAt >= this.options.cacheMs && this.pending === null && now >= this.nextAttemptAt()) void this.refresh();
    return this.keys;
  }

  /** After a failure, the next fetch waits 1 s, 2 s, 4 s... up to 30 s. */
  private nextAttemptAt(): number {
    if (this.failures === 0) return this.attemptedAt;
    return this.attemptedAt + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.failures - 1));
  }

  private async fetchKeys(): Promise<void> {
    this.attemptedAt = this.now();
    try {
      const jwks = await this.download();
      this.keys = createLocalJWKSet(jwks);
      this.fetchedAt = this.now();
      this.failures = 0;
      this.options.onFetched?.(jwks.keys.length);
    } catch (error) {
      if (this.aborter.signal.aborted) return;
      this.failures++;
      this.options.onFetchFailed?.(error instanceof Error ? error.message : String(error), this.keys !== null);
    }
  }

  private async download(): Promise<JSONWebKeySet> {
    const maxBytes = this.options.maxBytes ?? 1_048_576;
    const response = await (this.options.fetch ?? fetch)(this.options.url, {
      headers: { accept: "application/jwk-set+json, application/json" },
      // A redirect could lead anywhere, including plain http: the declared URL must answer.
      redirect: "manual",
      signal: AbortSignal.any([this.aborter.signal, AbortSignal.timeout(this.options.timeoutMs ?? 5000)]),
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`the JWKS endpoint answered HTTP ${response.status}`);
    }
    const length = Number(response.headers.get("content-length") ?? 0);
    if (length > maxBytes) {
      await response.body?.cancel();
      throw new Error(`the JWKS document is larger than ${maxBytes} bytes`);
    }
    const text = await response.text();
    if (Buffer.byteLength(text) > maxBytes) throw new Error(`the JWKS document is larger than ${maxBytes} bytes`);
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      throw new Error("the JWKS document is not JSON");
    }
    if (typeof document !== "object" || document === null || !Array.isArray((document as { keys?: unknown }).keys)) {
      throw new Error('the JWKS document has no "keys" array');
    }
    return document as JSONWebKeySet;
  }
}

interface SharedEntry {
  readonly cache: JwksCache;
  users: number;
}

const shared = new Map<string, SharedEntry>();

/**
 * The cache of a JWKS endpoint, shared by every jwt policy instance with the same endpoint and
 * cache duration. A manifest reload creates the new handlers before closing the old ones, so
 * keys survive reloads (and an identity provider outage during one). Call `release` when the
 * handler closes; the last release stops the cache.
 */
export function acquireJwksCache(options: JwksCacheOptions): { cache: JwksCache; release(): void } {
  const key = `${options.cacheMs} ${options.url}`;
  let entry = shared.get(key);
  if (entry === undefined) {
    entry = { cache: new JwksCache(options), users: 0 };
    shared.set(key, entry);
    // Fetched at once, so the first requests do not wait for the identity provider.
    void entry.cache.refresh();
  }
  entry.users++;
  const acquired = entry;
  let released = false;
  return {
    cache: acquired.cache,
    release() {
      if (released) return;
      released = true;
      if (--acquired.users === 0) {
        shared.delete(key);
        acquired.cache.close();
      }
    },
  };
}
