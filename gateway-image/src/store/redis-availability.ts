/**
 * Whether the shared counter store answers, and the log lines an operator needs: one when it
 * first connects, one when an outage starts (not one per failed request or reconnect attempt)
 * and one when it is back.
 */
import type { Logger } from "pino";

type State = "starting" | "up" | "down";

export class StoreAvailability {
  private state: State = "starting";

  constructor(
    private readonly logger: Logger,
    /** The store's URL without credentials, on every line. */
    private readonly store: string,
  ) {}

  /** True while the store answers; false before the first connection and during an outage. */
  get up(): boolean {
    return this.state === "up";
  }

  /** The store answered: logs the connection or the recovery, once. */
  markUp(): void {
    if (this.state === "up") return;
    const recovered = this.state === "down";
    this.state = "up";
    if (recovered) this.logger.info({ store: this.store }, "counter store available again; shared counting resumes");
    else this.logger.info({ store: this.store }, "counter store connected");
  }

  /** The store failed to answer: logs the start of the outage, once. */
  markDown(reason: string): void {
    if (this.state === "down") return;
    this.state = "down";
    this.logger.warn({ store: this.store, reason }, "counter store unavailable; limits apply their onStoreUnavailable mode until it is back");
  }
}
