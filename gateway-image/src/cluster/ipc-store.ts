/**
 * A worker's view of the counters kept by the cluster primary: the one in-memory store in
 * the primary decides, so a limit holds for the whole gateway (10 requests/s with two
 * workers is 10, not 20) and is never exceeded. Calls are batched: all decisions asked for
 * during one turn of the event loop travel in one IPC message.
 *
 * Rate limits large enough (burst ≥ 16 per worker) are leased: a worker takes up to 1,024
 * requests' worth of the bucket in one round trip and spends them locally, without IPC.
 * Leases are taken from the primary's bucket, so there is no overshoot; a lease unused
 * after {@link LEASE_MS} is given back. The cost is a bounded undershoot: while a worker
 * holds unused leased requests (at most burst / 8 per worker, for at most LEASE_MS) another
 * may be refused, and a worker told "no" refuses locally for up to LEASE_MS before asking
 * again. Small limits are decided one request at a time, exactly.
 */
import { LEASE_MS, LeasedGcra, MAX_LEASE } from "../store/leased-gcra";
import type { MemoryStore } from "../store/memory-store";
import { StoreUnavailableError, type GcraDecision, type QuotaDecision, type Store } from "../store/store";

/**
 * Operations: [id, "g", key, emissionIntervalMs, burst, nowMs], [id, "q", key, limit,
 * periodEndMs, nowMs], [id, "t", key, emissionIntervalMs, burst, nowMs, want] (a lease) and
 * [0, "r", key, emissionIntervalMs, count, nowMs] (a refund, not answered) and
 * [id, "u", key, periodEndMs, 0, nowMs] (a quota count read, answered in `remaining`).
 */
export type StoreCall = [number, "g" | "q" | "r" | "u", string, number, number, number] | [number, "t", string, number, number, number, number];
/** Answers: [id, allowed (1/0), remaining, retryAfterMs, resetMs, granted]. */
export type StoreAnswer = [number, number, number, number, number, number];

export { LEASE_MS };

export interface StoreRequestMessage {
  readonly turnpike: "store";
  readonly calls: StoreCall[];
}

export interface StoreReplyMessage {
  readonly turnpike: "store-reply";
  readonly answers: StoreAnswer[];
}

/** When one batch of calls went to the primary (`Infinity` while it waits for its flush). */
interface Dispatch {
  sentAt: number;
}

interface Pending {
  resolve(answer: StoreAnswer): void;
  reject(error: Error): void;
  readonly dispatch: Dispatch;
}

/** How long a decision may wait for the primary before the declared unavailable mode applies. */
const ANSWER_TIMEOUT_MS = 1_000;

export class IpcStore implements Store {
  private nextId = 0;
  private batch: StoreCall[] = [];
  private dispatch: Dispatch = { sentAt: Infinity };
  private flushScheduled = false;
  private readonly pending = new Map<number, Pending>();
  private readonly watchdog: NodeJS.Timeout;

  private readonly leases: LeasedGcra;

  /**
   * `send` is `process.send` in a cluster worker; replies are passed to {@link receive}.
   * `workers` is how many workers share the primary's store (it sizes leases).
   */
  constructor(
    private readonly send: (message: StoreRequestMessage) => boolean,
    private readonly workers = 1,
  ) {
    this.leases = new LeasedGcra(
      {
        take: (key, emissionIntervalMs, burst, nowMs, want) =>
          this.call("t", key, emissionIntervalMs, burst, nowMs, want).then(([, , remaining, retryAfterMs, resetMs, granted]) => ({ granted, remaining, retryAfterMs, resetMs })),
        refund: (key, emissionIntervalMs, count, nowMs) => {
          this.batch.push([0, "r", key, emissionIntervalMs, count, nowMs]);
          this.scheduleFlush();
        },
      },
      LEASE_MS,
    );
    this.watchdog = setInterval(() => {
      // After this turn's I/O is polled, not now: timers run first, and after a stall of this
      // event loop (a long garbage collection, a reload compiling, a host that took the CPU
      // away) the primary's answers may be waiting unread behind this timer. Ages count from
      // the batch's send, so a stall before it was sent is not blamed on the primary either.
      setImmediate(() => this.expire(performance.now()));
      this.leases.returnExpired(Date.now());
      // Every LEASE_MS: an expired lease's requests go back at most LEASE_MS after it ends.
    }, Math.min(ANSWER_TIMEOUT_MS / 2, LEASE_MS));
    this.watchdog.unref();
  }

  gcra(key: string, emissionIntervalMs: number, burst: number, nowMs: number): GcraDecision | Promise<GcraDecision> {
    const size = Math.min(MAX_LEASE, Math.floor(burst / (8 * this.workers)));
    if (size < 2) {
      return this.call("g", key, emissionIntervalMs, burst, nowMs).then(([, allowed, remaining, retryAfterMs, resetMs]) => ({ allowed: allowed === 1, remaining, retryAfterMs, resetMs }));
    }
    return this.leases.decide(key, emissionIntervalMs, burst, nowMs, size);
  }

  quota(key: string, limit: number, periodEndMs: number, nowMs: number): Promise<QuotaDecision> {
    return this.call("q", key, limit, periodEndMs, nowMs).then(([, allowed, remaining, , resetMs]) => ({ allowed: allowed === 1, remaining, resetMs }));
  }

  quotaUsed(key: string, periodEndMs: number): Promise<number> {
    return this.call("u", key, periodEndMs, 0, Date.now()).then(([, , used]) => used);
  }

  /** Handles a reply from the primary. */
  receive(message: StoreReplyMessage): void {
    for (const answer of message.answers) {
      const pending = this.pending.get(answer[0]);
      if (pending === undefined) continue; // timed out meanwhile
      this.pending.delete(answer[0]);
      pending.resolve(answer);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.watchdog);
    for (const pending of this.pending.values()) pending.reject(new StoreUnavailableError("the gateway is shutting down"));
    this.pending.clear();
  }

  private call(op: "g" | "q" | "t" | "u", key: string, a: number, b: number, nowMs: number, want = 1): Promise<StoreAnswer> {
    const id = ++this.nextId;
    this.batch.push(op === "t" ? [id, op, key, a, b, nowMs, want] : [id, op, key, a, b, nowMs]);
    this.scheduleFlush();
    return new Promise<StoreAnswer>((resolve, reject) => this.pending.set(id, { resolve, reject, dispatch: this.dispatch }));
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // After the poll phase: every request parsed in this turn joins the batch.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const calls = this.batch;
    this.batch = [];
    this.dispatch.sentAt = performance.now();
    this.dispatch = { sentAt: Infinity };
    // `send` returns false when the channel is backed up, and still delivers; only a throw
    // (channel closed) means the primary will never answer.
    try {
      this.send({ turnpike: "store", calls });
    } catch (error) {
      for (const call of calls) {
        const pending = this.pending.get(call[0]);
        this.pending.delete(call[0]);
        pending?.reject(new StoreUnavailableError(`the cluster primary cannot be reached: ${(error as Error).message}`));
      }
    }
  }

  private expire(now: number): void {
    for (const [id, pending] of this.pending) {
      if (now - pending.dispatch.sentAt < ANSWER_TIMEOUT_MS) continue;
      this.pending.delete(id);
      pending.reject(new StoreUnavailableError("the cluster primary did not answer"));
    }
  }
}

/** Answers a worker's batch from the primary's store (synchronous in-memory decisions). */
export function answerCalls(store: MemoryStore, calls: readonly StoreCall[]): StoreAnswer[] {
  const answers: StoreAnswer[] = [];
  for (const call of calls) {
    const [id, op, key, a, b, nowMs] = call;
    switch (op) {
      case "g": {
        const decision = store.gcra(key, a, b, nowMs);
        answers.push([id, decision.allowed ? 1 : 0, decision.remaining, decision.retryAfterMs, decision.resetMs, decision.allowed ? 1 : 0]);
        break;
      }
      case "t": {
        const taken = store.gcraTake(key, a, b, nowMs, call[6]);
        answers.push([id, taken.allowed ? 1 : 0, taken.remaining, taken.retryAfterMs, taken.resetMs, taken.granted]);
        break;
      }
      case "r":
        store.gcraRefund(key, a, nowMs, b);
        break;
      case "u":
        answers.push([id, 1, store.quotaUsed(key, a), 0, 0, 0]);
        break;
      case "q": {
        const decision = store.quota(key, a, b, nowMs);
        answers.push([id, decision.allowed ? 1 : 0, decision.remaining, 0, decision.resetMs, decision.allowed ? 1 : 0]);
        break;
      }
    }
  }
  return answers;
}
