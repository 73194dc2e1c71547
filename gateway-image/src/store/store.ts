/**
 * Shared state behind one interface: rate-limit and quota counters. In-memory for one
 * process; Redis (atomic scripts) for many replicas. Every operation may answer at once or
 * with a promise, so the in-memory store costs no microtask on the hot path.
 */

export interface GcraDecision {
  readonly allowed: boolean;
  /** Requests still allowed at once after this one. */
  readonly remaining: number;
  /** When a rejected request may be retried, in milliseconds from now (0 when allowed). */
  readonly retryAfterMs: number;
  /** When the bucket is full again, in milliseconds from now. */
  readonly resetMs: number;
}

export interface QuotaDecision {
  readonly allowed: boolean;
  readonly remaining: number;
  /** Milliseconds until the period ends and the count resets. */
  readonly resetMs: number;
}

export interface Store {
  /**
   * Generic cell rate algorithm: one request against a bucket of `burst` requests refilled
   * at one request per `emissionIntervalMs`.
   */
  gcra(key: string, emissionIntervalMs: number, burst: number, nowMs: number): GcraDecision | Promise<GcraDecision>;
  /** Counts one request against `limit` in the period ending at `periodEndMs`. */
  quota(key: string, limit: number, periodEndMs: number, nowMs: number): QuotaDecision | Promise<QuotaDecision>;
  /** Requests counted so far in the period ending at `periodEndMs`, without counting one (for the portal's remaining quota). */
  quotaUsed(key: string, periodEndMs: number): number | Promise<number>;
  close(): Promise<void>;
}

/** The store could not answer (e.g. Redis is down): policies apply their declared mode. */
export class StoreUnavailableError extends Error {}
