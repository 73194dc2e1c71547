/**
 * A worker's view of the counters kept by the cluster primary: every decision is made by
 * the one in-memory store in the primary, so a limit holds for the whole gateway (10
 * requests/s with two workers is 10, not 20), with no approximation. Requests are batched:
 * all decisions asked for during one turn of the event loop travel in one IPC message, so
 * under load the cost per request is a fraction of a message round trip.
 */
import { StoreUnavailableError, type GcraDecision, type QuotaDecision, type Store } from "../store/store";

/** Operations: [id, "g", key, emissionIntervalMs, burst, nowMs] or [id, "q", key, limit, periodEndMs, nowMs]. */
export type StoreCall = [number, "g" | "q", string, number, number, number];
/** Answers: [id, allowed (1/0), remaining, retryAfterMs, resetMs]. */
export type StoreAnswer = [number, number, number, number, number];

export interface StoreRequestMessage {
  readonly turnpike: "store";
  readonly calls: StoreCall[];
}

export interface StoreReplyMessage {
  readonly turnpike: "store-reply";
  readonly answers: StoreAnswer[];
}

interface Pending {
  resolve(answer: StoreAnswer): void;
  reject(error: Error): void;
  sentAt: number;
}

/** How long a decision may wait for the primary before the declared unavailable mode applies. */
const ANSWER_TIMEOUT_MS = 1_000;

export class IpcStore implements Store {
  private nextId = 0;
  private batch: StoreCall[] = [];
  private flushScheduled = false;
  private readonly pending = new Map<number, Pending>();
  private readonly watchdog: NodeJS.Timeout;

  /** `send` is `process.send` in a cluster worker; replies are passed to {@link receive}. */
  constructor(private readonly send: (message: StoreRequestMessage) => boolean) {
    this.watchdog = setInterval(() => this.expire(performance.now()), ANSWER_TIMEOUT_MS / 2);
    this.watchdog.unref();
  }

  gcra(key: string, emissionIntervalMs: number, burst: number, nowMs: number): Promise<GcraDecision> {
    return this.call("g", key, emissionIntervalMs, burst, nowMs).then(([, allowed, remaining, retryAfterMs, resetMs]) => ({ allowed: allowed === 1, remaining, retryAfterMs, resetMs }));
  }

  quota(key: string, limit: number, periodEndMs: number, nowMs: number): Promise<QuotaDecision> {
    return this.call("q", key, limit, periodEndMs, nowMs).then(([, allowed, remaining, , resetMs]) => ({ allowed: allowed === 1, remaining, resetMs }));
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

  private call(op: "g" | "q", key: string, a: number, b: number, nowMs: number): Promise<StoreAnswer> {
    const id = ++this.nextId;
    this.batch.push([id, op, key, a, b, nowMs]);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // After the poll phase: every request parsed in this turn joins the batch.
      setImmediate(() => this.flush());
    }
    return new Promise<StoreAnswer>((resolve, reject) => this.pending.set(id, { resolve, reject, sentAt: performance.now() }));
  }

  private flush(): void {
    this.flushScheduled = false;
    const calls = this.batch;
    this.batch = [];
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
      if (now - pending.sentAt < ANSWER_TIMEOUT_MS) continue;
      this.pending.delete(id);
      pending.reject(new StoreUnavailableError("the cluster primary did not answer"));
    }
  }
}

/** Answers a worker's batch from the primary's store (synchronous in-memory decisions). */
export function answerCalls(store: Store, calls: readonly StoreCall[]): StoreAnswer[] {
  const answers: StoreAnswer[] = [];
  for (const [id, op, key, a, b, nowMs] of calls) {
    if (op === "g") {
      const decision = store.gcra(key, a, b, nowMs) as GcraDecision;
      answers.push([id, decision.allowed ? 1 : 0, decision.remaining, decision.retryAfterMs, decision.resetMs]);
    } else {
      const decision = store.quota(key, a, b, nowMs) as QuotaDecision;
      answers.push([id, decision.allowed ? 1 : 0, decision.remaining, 0, decision.resetMs]);
    }
  }
  return answers;
}
