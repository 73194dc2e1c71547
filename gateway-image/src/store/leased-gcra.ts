/**
 * Rate-limit decisions from leases: instead of asking the shared bucket (a cluster primary,
 * Redis) once per request, a process takes several requests' worth of it in one round trip
 * and spends them locally. Used by cluster workers (IpcStore) and by the Redis store.
 *
 * Leases come out of the shared bucket, so a limit is never exceeded. The price is a bounded
 * undershoot: requests leased and not used yet are unavailable to other processes until
 * they are used or given back (after `leaseMs`), and a process told "no" refuses locally
 * for up to `leaseMs` before asking again. Callers choose lease sizes so that what all
 * processes can hold stays a small part of the burst.
 */
import type { GcraDecision } from "./store";

/** How long a leased request may wait to be used before it is given back, ms. */
export const LEASE_MS = 200;
/**
 * Most requests leased at once. Lease sizes are also at most an eighth of a burst shared out
 * (callers size them), so this cap only matters for limits far above the traffic, where a
 * round trip per 64 requests cost the cluster primary 7 % of a core at ~27k requests/s and
 * left the requests of a worker waiting whenever a lease ran out (BENCHMARKS.md).
 */
export const MAX_LEASE = 1024;

/** What the shared bucket answers to a request for up to `want` requests' worth. */
export interface LeaseGrant {
  /** Requests granted (0: refused). */
  readonly granted: number;
  /** Requests still allowed at once in the shared bucket after the grant. */
  readonly remaining: number;
  /** When refused: when a request may be retried, ms from now. */
  readonly retryAfterMs: number;
  /** When the shared bucket is full again, ms from now. */
  readonly resetMs: number;
}

/** The shared bucket a lease is taken from. */
export interface LeaseSource {
  take(key: string, emissionIntervalMs: number, burst: number, nowMs: number, want: number): Promise<LeaseGrant>;
  /** Gives back `count` requests' worth not used (best effort: a lost refund is undershoot, never overshoot). */
  refund(key: string, emissionIntervalMs: number, count: number, nowMs: number): void;
}

interface Lease {
  readonly intervalMs: number;
  tokens: number;
  expiresAt: number;
  /** Remaining in the shared bucket when the lease was granted, for RateLimit headers. */
  remaining: number;
  resetAt: number;
  /** While a lease request is in flight, later calls wait for it. */
  pending: Promise<void> | null;
  /** The bucket refused: until then, refuse locally without asking (at most leaseMs). */
  refusedUntil: number;
  /** When the bucket said a refused request may be retried, for Retry-After. */
  retryAt: number;
}

export class LeasedGcra {
  private readonly leases = new Map<string, Lease>();

  /** @param leaseMs how long a leased request may wait to be used before it is given back. */
  constructor(
    private readonly source: LeaseSource,
    readonly leaseMs: number,
  ) {}

  /** One request against `key`, from a lease of up to `size` requests. */
  decide(key: string, emissionIntervalMs: number, burst: number, nowMs: number, size: number): GcraDecision | Promise<GcraDecision> {
    let lease = this.leases.get(key);
    if (lease === undefined) {
      lease = { intervalMs: emissionIntervalMs, tokens: 0, expiresAt: 0, remaining: 0, resetAt: 0, pending: null, refusedUntil: 0, retryAt: 0 };
      this.leases.set(key, lease);
    }
    return this.fromLease(lease, key, emissionIntervalMs, burst, nowMs, size);
  }

  /** Gives back what leases left unused past their time, so other processes can have it. Call it periodically. */
  returnExpired(nowMs: number): void {
    for (const [key, lease] of this.leases) {
      if (lease.pending !== null || nowMs < lease.expiresAt) continue;
      if (lease.tokens > 0) this.source.refund(key, lease.intervalMs, lease.tokens, nowMs);
      if (nowMs >= lease.refusedUntil) this.leases.delete(key);
      else lease.tokens = 0;
    }
  }

  /** Gives back every unused request now (at shutdown). */
  returnAll(nowMs: number): void {
    for (const [key, lease] of this.leases) if (lease.tokens > 0) this.source.refund(key, lease.intervalMs, lease.tokens, nowMs);
    this.leases.clear();
  }

  private fromLease(lease: Lease, key: string, emissionIntervalMs: number, burst: number, nowMs: number, size: number): GcraDecision | Promise<GcraDecision> {
    if (lease.tokens > 0 && nowMs < lease.expiresAt) {
      lease.tokens--;
      return { allowed: true, remaining: lease.remaining + lease.tokens, retryAfterMs: 0, resetMs: Math.max(0, lease.resetAt - nowMs) };
    }
    if (nowMs < lease.refusedUntil) return { allowed: false, remaining: 0, retryAfterMs: Math.max(0, lease.retryAt - nowMs), resetMs: Math.max(0, lease.resetAt - nowMs) };
    const retry = () => this.fromLease(lease, key, emissionIntervalMs, burst, Date.now(), size);
    if (lease.pending !== null) return lease.pending.then(retry);
    if (lease.tokens > 0) {
      this.source.refund(key, emissionIntervalMs, lease.tokens, nowMs);
      lease.tokens = 0;
    }
    lease.pending = this.source.take(key, emissionIntervalMs, burst, nowMs, size).then(
      ({ granted, remaining, retryAfterMs, resetMs }) => {
        lease.pending = null;
        const at = Date.now();
        lease.resetAt = at + resetMs;
        if (granted > 0) {
          lease.tokens = granted;
          lease.expiresAt = at + this.leaseMs;
          lease.remaining = remaining;
        } else {
          // Asked again after leaseMs at the latest: other processes may give requests back.
          lease.retryAt = at + retryAfterMs;
          lease.refusedUntil = at + Math.min(retryAfterMs, this.leaseMs);
        }
      },
      (error: unknown) => {
        lease.pending = null;
        throw error;
      },
    );
    return lease.pending.then(retry);
  }
}
