/**
 * Active health checks: a GET to a path on every target at an interval. Consecutive
 * failures mark a target unhealthy (it gets no traffic); consecutive successes bring it back.
 */
import type { UpstreamConfig } from "../../../constructs/upstream";
import type { ConnectionPool } from "./http1-pool";
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
    const status = await probe(target.pool, `${target.pathPrefix}${this.config.path}`, target.host, this.config.timeoutMs);
    const ok = status >= 200 && status < 400;
    if (this.stopped) return;
    // A positive streak counts successes, a negative one failures.
    const streak = this.streaks.get(target) ?? 0;
    const next = ok ? Math.max(streak, 0) + 1 : Math.min(streak, 0) - 1;
    this.streaks.set(target, next);
    if (ok && !target.healthy && next >= this.config.healthyThreshold) target.healthy = true;
    if (!ok && target.healthy && -next >= this.config.unhealthyThreshold) target.healthy = false;
  }
}

/**
 * A GET through the target's own pool (its connections, TLS settings and CA); the body is
 * read and dropped. Resolves the status, or 0 when no complete answer came in time.
 */
function probe(pool: ConnectionPool, path: string, host: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    let status = 0;
    pool.dispatch(
      { method: "GET", path, headers: { host, "user-agent": "turnpike-health-check" }, body: null, headersTimeout: timeoutMs, bodyTimeout: timeoutMs },
      {
        onConnect() {},
        onHeaders(code) {
          if (code >= 200) status = code;
          return true;
        },
        onData() {
          return true;
        },
        onComplete() {
          resolve(status);
        },
        onError() {
          resolve(0);
        },
      },
    );
  });
}
