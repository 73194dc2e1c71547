/** Counters in this process's memory: the embedded default for a single process. */
import type { GcraDecision, QuotaDecision, Store } from "./store";

/** Entries idle longer than this are swept, so keys of past clients do not pile up. */
const SWEEP_INTERVAL_MS = 60_000;

export class MemoryStore implements Store {
  /** Theoretical arrival time per GCRA key (ms), and when it stops mattering. */
  private readonly tats = new Map<string, number>();
  private readonly counts = new Map<string, { periodEndMs: number; count: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor() {
    this.sweeper = setInterval(() => this.sweep(Date.now()), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  gcra(key: string, emissionIntervalMs: number, burst: number, nowMs: number): GcraDecision {
    return gcraStep(this.tats, key, emissionIntervalMs, burst, nowMs);
  }

  /** Several requests' worth at once, for a cluster worker's lease. */
  gcraTake(key: string, emissionIntervalMs: number, burst: number, nowMs: number, want: number): GcraTake {
    return gcraTake(this.tats, key, emissionIntervalMs, burst, nowMs, want);
  }

  /** Returns what a worker leased and did not use. */
  gcraRefund(key: string, emissionIntervalMs: number, nowMs: number, count: number): void {
    gcraRefund(this.tats, key, emissionIntervalMs, nowMs, count);
  }

  quota(key: string, limit: number, periodEndMs: number, nowMs: number): QuotaDecision {
    let entry = this.counts.get(key);
    if (entry === undefined || entry.periodEndMs !== periodEndMs) {
      entry = { periodEndMs, count: 0 };
      this.counts.set(key, entry);
    }
    const resetMs = periodEndMs - nowMs;
    if (entry.count >= limit) return { allowed: false, remaining: 0, resetMs };
    entry.count++;
    return { allowed: true, remaining: limit - entry.count, resetMs };
  }

  quotaUsed(key: string, periodEndMs: number): number {
    const entry = this.counts.get(key);
    return entry === undefined || entry.periodEndMs !== periodEndMs ? 0 : entry.count;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private sweep(nowMs: number): void {
    // A TAT in the past means a full bucket: the same as no entry.
    for (const [key, tat] of this.tats) if (tat <= nowMs) this.tats.delete(key);
    for (const [key, entry] of this.counts) if (entry.periodEndMs <= nowMs) this.counts.delete(key);
  }
}

/**
 * One GCRA step on a map of theoretical arrival times. Shared by the in-memory store and the
 * local fallback used when a shared store is unavailable.
 */
export function gcraStep(tats: Map<string, number>, key: string, emissionIntervalMs: number, burst: number, nowMs: number): GcraDecision {
  const tat = Math.max(tats.get(key) ?? nowMs, nowMs);
  const newTat = tat + emissionIntervalMs;
  const allowAt = newTat - burst * emissionIntervalMs;
  if (nowMs < allowAt) {
    return { allowed: false, remaining: 0, retryAfterMs: allowAt - nowMs, resetMs: tat - nowMs };
  }
  tats.set(key, newTat);
  return { allowed: true, remaining: Math.floor((nowMs - allowAt) / emissionIntervalMs), retryAfterMs: 0, resetMs: newTat - nowMs };
}

/** A GCRA step that may take several requests' worth at once: what a cluster worker leases. */
export interface GcraTake extends GcraDecision {
  /** Requests granted (0 when refused). */
  readonly granted: number;
}

/**
 * Takes up to `want` requests' worth of a bucket at once, as many as fit now. With
 * `want = 1` it decides exactly as {@link gcraStep}.
 */
export function gcraTake(tats: Map<string, number>, key: string, emissionIntervalMs: number, burst: number, nowMs: number, want: number): GcraTake {
  const first = gcraStep(tats, key, emissionIntervalMs, burst, nowMs);
  if (!first.allowed || want <= 1) return withGranted(first, first.allowed ? 1 : 0);
  let granted = 1;
  let last: GcraDecision = first;
  while (granted < want) {
    const next = gcraStep(tats, key, emissionIntervalMs, burst, nowMs);
    if (!next.allowed) break;
    last = next;
    granted++;
  }
  return withGranted(last, granted);
}

/** Field by field, not `{ ...decision, granted }`: see `copyHeaders` in http/exchange.ts. */
function withGranted(decision: GcraDecision, granted: number): GcraTake {
  return { allowed: decision.allowed, remaining: decision.remaining, retryAfterMs: decision.retryAfterMs, resetMs: decision.resetMs, granted };
}

/** Gives back `count` requests' worth a worker leased but did not use. */
export function gcraRefund(tats: Map<string, number>, key: string, emissionIntervalMs: number, nowMs: number, count: number): void {
  const tat = tats.get(key);
  if (tat === undefined) return;
  tats.set(key, Math.max(nowMs, tat - count * emissionIntervalMs));
}
