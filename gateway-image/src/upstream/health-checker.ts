/**
 * Active health checks: a GET to a path on every target at an interval. Consecutive
 * failures mark a target unhealthy (it gets no traffic); consecutive successes bring it back.
 */
import { request } from "undici";
import type { UpstreamConfig } from "../../../constructs/upstream";
import type { Target } from "./target";

type HealthCheckConfig = NonNullable<UpstreamConfig["healthCheck"]>;

export class HealthChecker {
  private readonly timer: NodeJS.Timeout;
  private readonly streaks = new Map<Target, number>();
  private stopped = false;

  constructor(
    private readonly config: HealthCheckConfig,
    private readonly targets: readonly Target[],
  ) {
    this.timer = setInterval(() => void this.checkAll(), config.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** One round of probes; exposed for tests. */
  async checkAll(): Promise<void> {
    await Promise.all(this.targets.map((target) => this.check(target)));
  }

  private async check(target: Target): Promise<void> {
    let ok: boolean;
    try {
      const response = await request(`${target.origin}${target.pathPrefix}${this.config.path}`, {
        dispatcher: target.pool,
        method: "GET",
        headersTimeout: this.config.timeoutMs,
        bodyTimeout: this.config.timeoutMs,
        headers: { "user-agent": "turnpike-health-check" },
      });
      await response.body.dump();
      ok = response.statusCode >= 200 && response.statusCode < 400;
    } catch {
      ok = false;
    }
    if (this.stopped) return;
    // A positive streak counts successes, a negative one failures.
    const streak = this.streaks.get(target) ?? 0;
    const next = ok ? Math.max(streak, 0) + 1 : Math.min(streak, 0) - 1;
    this.streaks.set(target, next);
    if (ok && !target.healthy && next >= this.config.healthyThreshold) target.healthy = true;
    if (!ok && target.healthy && -next >= this.config.unhealthyThreshold) target.healthy = false;
  }
}
