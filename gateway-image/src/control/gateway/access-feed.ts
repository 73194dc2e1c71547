/**
 * Follows the control store's access feed ({@link ControlStore.accessChangesSince}) so that a
 * revocation, an expiry change or a subscription change reaches this worker's key cache within
 * a second: one timer, a poll every {@link POLL_INTERVAL_MS}, the next one scheduled only when
 * the previous one has finished (a slow store never piles polls up). A failed poll is logged
 * once per outage and retried from the same cursor, so nothing is skipped when the store is
 * back. The timer is unref'd: it never keeps a process alive.
 */
import type { Logger } from "pino";
import type { AccessChange, ControlStore } from "../control-store";
import { OutageLog } from "./outage-log";

/** Time between the end of one poll and the start of the next, ms. */
export const POLL_INTERVAL_MS = 250;
/** Changes asked for at once; a fuller page is followed by another at once. */
const PAGE = 1_000;

export class AccessFeed {
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private stopped = false;
  private readonly outage: OutageLog;

  constructor(
    private readonly store: ControlStore,
    private readonly onChange: (change: AccessChange) => void,
    logger: Logger,
    private cursor: number,
    private readonly intervalMs = POLL_INTERVAL_MS,
  ) {
    this.outage = new OutageLog(logger, "polling the access feed");
  }

  start(): void {
    this.schedule();
  }

  /** Stops polling; resolves when a poll under way has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.polling;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.polling = this.poll().finally(() => {
        this.polling = null;
        this.schedule();
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    try {
      for (;;) {
        const { changes, cursor } = await this.store.accessChangesSince(this.cursor, PAGE);
        for (const change of changes) this.onChange(change);
        this.cursor = cursor;
        if (changes.length < PAGE || this.stopped) break;
      }
      this.outage.recovered();
    } catch (error) {
      this.outage.failed(error);
    }
  }
}
