/**
 * Where cached responses live: one in-memory LRU per gateway process, bounded by bytes and
 * shared by every cache policy instance (keys start with the instance's prefix), so the
 * bound holds however many APIs declare a cache, and entries survive a manifest reload
 * that leaves an instance's configuration unchanged.
 */
import type { IncomingHttpHeaders } from "node:http";
import { ByteLru } from "./byte-lru";
import { type CachedResponse, ageOf } from "./cached-response";
import { variantKey } from "./cache-key";

/** Bytes of responses kept per gateway process unless `--cache-max-mb` says otherwise: 64 MiB. */
export const DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024;

export interface Lookup {
  /** The variant key the request maps to, with the `Vary` last seen for its primary key. */
  readonly key: string;
  /** A fresh entry, or undefined on a miss. */
  readonly entry: CachedResponse | undefined;
}

export class ResponseStore {
  private readonly responses: ByteLru<CachedResponse>;
  /** Primary key → the `Vary` names of the last response stored for it. */
  private readonly varyByPrimary: ByteLru<readonly string[]>;

  constructor(readonly maxBytes = DEFAULT_CACHE_MAX_BYTES) {
    this.responses = new ByteLru(maxBytes);
    // The index is small (keys and a few names); a sixteenth of the budget holds hundreds of thousands.
    this.varyByPrimary = new ByteLru(Math.max(1, Math.floor(maxBytes / 16)));
  }

  /** Bytes held by responses. */
  get bytes(): number {
    return this.responses.bytes;
  }

  /**
   * The entry a request may be answered with. An expired entry is dropped; one older than
   * the client's `max-age` (when given) is left in place but not returned.
   */
  lookup(primary: string, headers: IncomingHttpHeaders, nowMs: number, clientMaxAge: number | null): Lookup {
    const key = variantKey(primary, this.varyByPrimary.get(primary) ?? [], headers);
    const entry = this.responses.get(key);
    if (entry === undefined) return { key, entry };
    if (entry.expiresAt <= nowMs) {
      this.responses.delete(key);
      return { key, entry: undefined };
    }
    if (clientMaxAge !== null && ageOf(entry, nowMs) > clientMaxAge) return { key, entry: undefined };
    return { key, entry };
  }

  /** Stores an entry and remembers its `Vary` for its primary key. Returns whether it fit. */
  put(primary: string, entry: CachedResponse): boolean {
    this.varyByPrimary.set(primary, entry.varyNames, primary.length * 2 + entry.varyNames.reduce((sum, name) => sum + name.length * 2 + 32, 64));
    return this.responses.set(entry.key, entry, entry.size);
  }

  clear(): void {
    this.responses.clear();
    this.varyByPrimary.clear();
  }
}

let shared: ResponseStore | null = null;
let sharedMaxBytes = DEFAULT_CACHE_MAX_BYTES;

/** The process's store, created on first use. */
export function sharedResponseStore(): ResponseStore {
  return (shared ??= new ResponseStore(sharedMaxBytes));
}

/** Sets the process's cache budget (`--cache-max-mb`); call it before the first manifest is loaded. */
export function configureSharedResponseStore(maxBytes: number): void {
  sharedMaxBytes = maxBytes;
  if (shared !== null && shared.maxBytes !== maxBytes) shared = new ResponseStore(maxBytes);
}
