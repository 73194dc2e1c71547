/**
 * Usage per consumer, UTC day and API, counted in memory in the log phase and written to the
 * control store in batches ({@link ControlStore.incrementUsageMany}) every
 * {@link FLUSH_INTERVAL_MS}: a request costs two Map operations, the store one transaction a
 * second per worker.
 *
 * - Counted: every request answered (a status was sent) for an identified consumer, whatever
 *   the status: declared consumers too, since they are apps in the store.
 * - A failed flush keeps its counts and the next one retries them (with what came meanwhile),
 *   so an outage of the store delays usage but loses none while the process lives. The
 *   graceful shutdown flushes once more.
 * - The store counts by app id; consumers are named by their consumer name here, and resolved
 *   once per process ({@link ControlStore.findAppByConsumerName}). A consumer that is no app
 *   in the store (its provisioning failed) is dropped with one warning.
 */
import type { Logger } from "pino";
import type { Exchange } from "../../http/exchange";
import type { ConsumerRecord } from "../../identity/consumer-directory";
import type { ControlStore, UsageIncrement } from "../control-store";
import { OutageLog } from "./outage-log";

/** Time between the end of one flush and the start of the next, ms. */
export const FLUSH_INTERVAL_MS = 1_000;

const DAY_MS = 86_400_000;
const SEPARATOR = "\u0000";

export class UsageRecorder {
  /** This day's counts since the last flush: by consumer record, then API id. No strings built per request. */
  private counts = new Map<ConsumerRecord, Map<string, number>>();
  private day = "";
  private dayEndsAt = 0;
  /** Counts taken out of `counts` and not yet written: `consumer \0 day \0 api` → n. */
  private readonly unwritten = new Map<string, number>();
  private readonly appIds = new Map<string, string>();
  private readonly unknownConsumers = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private stopped = false;
  private readonly outage: OutageLog;

  constructor(
    private readonly store: ControlStore,
    private readonly logger: Logger,
    private readonly intervalMs = FLUSH_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.outage = new OutageLog(logger, "writing usage counts");
  }

  /** The log step: counts the request for its consumer. Bound, so routes can list it as is. */
  readonly record = (exchange: Exchange): void => {
    const consumer = exchange.consumer;
    const api = exchange.route.apiId;
    if (consumer === null || api === null || exchange.status === 0) return;
    const now = this.now();
    if (now >= this.dayEndsAt) this.startDay(now);
    let byApi = this.counts.get(consumer);
    if (byApi === undefined) this.counts.set(consumer, (byApi = new Map()));
    byApi.set(api, (byApi.get(api) ?? 0) + 1);
  };

  start(): void {
    this.schedule();
  }

  /** Stops the timer, waits for a flush under way, and flushes what is left once. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.flushing;
    await this.flush();
    const left = [...this.unwritten.values()].reduce((sum, n) => sum + n, 0);
    if (left > 0) this.logger.warn({ requests: left }, "usage counts could not be written before shutdown; they are lost");
  }

  /** Writes every count taken so far; on failure keeps them for the next flush. */
  async flush(): Promise<void> {
    this.drain();
    if (this.unwritten.size === 0) return;
    const batch = new Map(this.unwritten);
    try {
      const increments: UsageIncrement[] = [];
      for (const [key, n] of batch) {
        const [consumer, day, api] = key.split(SEPARATOR) as [string, string, string];
        const consumerId = await this.appIdOf(consumer);
        if (consumerId === null) {
          this.unwritten.delete(key);
          batch.delete(key);
          continue;
        }
        increments.push({ consumerId, day, api, n });
      }
      if (increments.length > 0) await this.store.incrementUsageMany(increments);
      this.outage.recovered();
    } catch (error) {
      this.outage.failed(error);
      return;
    }
    // Written: take them off, keeping what a day change added meanwhile.
    for (const [key, n] of batch) {
      const left = (this.unwritten.get(key) ?? 0) - n;
      if (left > 0) this.unwritten.set(key, left);
      else this.unwritten.delete(key);
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flushing = this.flush().finally(() => {
        this.flushing = null;
        this.schedule();
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Moves the current counts into `unwritten`. */
  private drain(): void {
    if (this.counts.size === 0) return;
    const counts = this.counts;
    this.counts = new Map();
    for (const [consumer, byApi] of counts) {
      for (const [api, n] of byApi) {
        const key = `${consumer.name}${SEPARATOR}${this.day}${SEPARATOR}${api}`;
        this.unwritten.set(key, (this.unwritten.get(key) ?? 0) + n);
      }
    }
  }

  private startDay(now: number): void {
    this.drain();
    const start = now - (now % DAY_MS);
    this.day = new Date(start).toISOString().slice(0, 10);
    this.dayEndsAt = start + DAY_MS;
  }

  private async appIdOf(consumerName: string): Promise<string | null> {
    const known = this.appIds.get(consumerName);
    if (known !== undefined) return known;
    const app = await this.store.findAppByConsumerName(consumerName);
    if (app === null) {
      if (!this.unknownConsumers.has(consumerName)) {
        this.unknownConsumers.add(consumerName);
        this.logger.warn({ consumer: consumerName }, "usage not recorded: the consumer is not an app of the control store (was it provisioned?)");
      }
      return null;
    }
    this.appIds.set(consumerName, app.id);
    return app.id;
  }
}
