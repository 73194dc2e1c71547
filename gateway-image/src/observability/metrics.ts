/**
 * Prometheus metrics with bounded label sets: api, operation, plan and status class (never
 * consumer or raw path). Label children are bound once per route and reused, so a request
 * costs an increment and an observation, not a label lookup.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<"api" | "operation" | "plan" | "status_class">;
  readonly duration: Histogram<"api" | "operation" | "status_class">;
  readonly rejections: Counter<"api" | "reason">;
  readonly upstreamFailures: Counter<"api" | "kind">;
  readonly storeUnavailable: Counter<"policy" | "mode">;
  readonly reloads: Counter<"result">;
  readonly revision: Gauge<"revision">;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({ name: "turnpike_requests_total", help: "Requests answered, by API, operation, plan and status class.", labelNames: ["api", "operation", "plan", "status_class"], registers });
    this.duration = new Histogram({
      name: "turnpike_request_duration_seconds",
      help: "Time from request arrival to the end of the response, seconds.",
      labelNames: ["api", "operation", "status_class"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.rejections = new Counter({ name: "turnpike_rejections_total", help: "Requests the gateway answered itself with an error, by reason (problem type).", labelNames: ["api", "reason"], registers });
    this.upstreamFailures = new Counter({ name: "turnpike_upstream_failures_total", help: "Upstream attempts that failed before a response, by kind.", labelNames: ["api", "kind"], registers });
    this.storeUnavailable = new Counter({ name: "turnpike_store_unavailable_total", help: "Decisions taken without the shared store, by policy and declared mode.", labelNames: ["policy", "mode"], registers });
    this.reloads = new Counter({ name: "turnpike_config_reloads_total", help: "Manifest loads, by result (applied or rejected).", labelNames: ["result"], registers });
    // Across cluster workers: 1 for each revision some worker serves (not their sum).
    this.revision = new Gauge({ name: "turnpike_config_info", help: "The manifest revision being served (value 1).", labelNames: ["revision"], registers, aggregator: "max" });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: "turnpike_" });
  }

  /**
   * `turnpike_store_up`: 1 while the shared counter store answers, 0 during an outage; read
   * at scrape time, so a quiet outage (no requests, so no `store_unavailable` increments)
   * still alerts. Across cluster workers the minimum is reported.
   */
  watchStore(kind: string, isUp: () => boolean): void {
    new Gauge({
      name: "turnpike_store_up",
      help: "Whether the shared counter store answers (1) or not (0), by store kind.",
      labelNames: ["store"],
      registers: [this.registry],
      aggregator: "min",
      collect() {
        this.labels(kind).set(isUp() ? 1 : 0);
      },
    });
  }

  /** The request counter and histogram children of one route, bound per plan and status class. */
  routeRecorder(api: string, operation: string): RouteRecorder {
    return new RouteRecorder(this, api, operation);
  }
}

export class RouteRecorder {
  private readonly durations: ReturnType<GatewayMetrics["duration"]["labels"]>[];
  private readonly counters = new Map<string, ReturnType<GatewayMetrics["requests"]["labels"]>>();

  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly api: string,
    private readonly operation: string,
  ) {
    this.durations = STATUS_CLASSES.map((statusClass) => metrics.duration.labels(api, operation, statusClass));
  }

  record(status: number, plan: string | null, seconds: number): void {
    const classIndex = Math.min(Math.max(Math.floor(status / 100), 1), 5) - 1;
    this.durations[classIndex]!.observe(seconds);
    const key = `${plan ?? ""}|${classIndex}`;
    let counter = this.counters.get(key);
    if (counter === undefined) {
      counter = this.metrics.requests.labels(this.api, this.operation, plan ?? "none", STATUS_CLASSES[classIndex]!);
      this.counters.set(key, counter);
    }
    counter.inc();
  }
}
