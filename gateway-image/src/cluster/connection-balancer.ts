/**
 * Which worker gets the next client connection: the one with the fewest open, as Envoy's
 * `exact_balance` does. Node's cluster hands connections round robin to whichever worker is
 * free to take one, so the split follows timing: wrk's 64 keep-alive connections landed 23/41
 * to 31/33 on two workers (BENCHMARKS.md, sixteenth session), and a load balancer that keeps
 * a few long-lived connections to a pod can leave one worker idle while another saturates its
 * core. Workers report the connections they close; the count a worker is charged is those it
 * was handed minus those it closed.
 */
export class ConnectionBalancer {
  /** Open connections per worker id, for workers that take connections. */
  private readonly open = new Map<number, number>();

  /** A worker is ready for connections. */
  add(workerId: number): void {
    if (!this.open.has(workerId)) this.open.set(workerId, 0);
  }

  /** A worker is gone or stopping: it takes no more, and its connections are gone with it. */
  remove(workerId: number): void {
    this.open.delete(workerId);
  }

  /**
   * The worker to hand the next connection to, charged with it; null when none is ready. Ties
   * go to the worker added first, so the choice is the same for the same history.
   */
  take(): number | null {
    let chosen: number | null = null;
    let fewest = Number.POSITIVE_INFINITY;
    for (const [workerId, count] of this.open) {
      if (count < fewest) {
        fewest = count;
        chosen = workerId;
      }
    }
    if (chosen !== null) this.open.set(chosen, fewest + 1);
    return chosen;
  }

  /** `count` of the worker's connections closed (or a hand-off failed). */
  closed(workerId: number, count: number): void {
    const open = this.open.get(workerId);
    if (open !== undefined) this.open.set(workerId, Math.max(0, open - count));
  }

  /** Open connections per ready worker, for logs and tests. */
  counts(): ReadonlyMap<number, number> {
    return this.open;
  }
}
