/**
 * Request coalescing (Varnish's waiting list, nginx's `proxy_cache_lock`): the first miss
 * for a key leads a flight to the upstream; later misses for the key wait for its outcome
 * instead of sending the same request again.
 */
export class Flights<T> {
  private readonly inFlight = new Map<string, Promise<T | null>>();

  /** The outcome of the flight for `key` under way, or undefined when none is. */
  waitFor(key: string): Promise<T | null> | undefined {
    return this.inFlight.get(key);
  }

  /**
   * Starts the flight for `key`. The returned function lands it with its outcome (null:
   * nothing the waiters can use); only its first call counts, so it is safe to call again
   * in a `finally`.
   */
  lead(key: string): (outcome: T | null) => void {
    let land!: (outcome: T | null) => void;
    const flight = new Promise<T | null>((resolve) => (land = resolve));
    this.inFlight.set(key, flight);
    let landed = false;
    return (outcome) => {
      if (landed) return;
      landed = true;
      if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
      land(outcome);
    };
  }

  get size(): number {
    return this.inFlight.size;
  }
}
