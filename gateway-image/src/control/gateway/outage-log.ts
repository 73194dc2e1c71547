/**
 * One error line per outage of the control store, not one per failed attempt: pollers and
 * flushers retry several times a second, and an outage must not flood the log. A line again
 * when the store answers, so the log shows how long the outage lasted.
 */
import type { Logger } from "pino";

export class OutageLog {
  private since: number | null = null;

  /** @param activity what failed, e.g. `polling the access feed` */
  constructor(
    private readonly logger: Logger,
    private readonly activity: string,
  ) {}

  /** Whether the last attempt failed. */
  get down(): boolean {
    return this.since !== null;
  }

  failed(error: unknown): void {
    if (this.since !== null) return;
    this.since = Date.now();
    this.logger.error({ reason: error instanceof Error ? error.message : String(error) }, `control store unavailable: ${this.activity} failed; retrying`);
  }

  recovered(): void {
    if (this.since === null) return;
    this.logger.info({ outageMs: Date.now() - this.since }, `control store available again: ${this.activity} resumed`);
    this.since = null;
  }
}
