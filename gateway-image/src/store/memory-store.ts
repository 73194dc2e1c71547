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
