/**
 * Prometheus metrics with bounded label sets: api, operation, plan and status class (never
 * consumer or raw path). The per-request ones are counted per route in plain numbers
 * (`route-metrics.ts`); the rest are prom-client metrics incremented on rarer events.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { type RouteRecorder, RouteMetrics } from "./route-metrics";
import type { SpanExportCounts } from "./tracing/span-exporter";

/**
 * How often the event loop's delay is sampled for `turnpike_nodejs_eventloop_lag_*`, ms.
 * prom-client's default, 10 ms, wakes every process 100 times a second even with no traffic:
 * on this kind of VM (each wake-up of an idle vCPU is an exit to the hypervisor) an idle
 * one-process gateway used 0.7 % of a core, and 0.15 % with 100 ms (BENCHMARKS.md).
 * Ten samples a second still give a p99 over a 15 s scrape interval from 150 samples, and a
 * stall of S ms still shows as a delay of S − 100 to S ms.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

export class GatewayMetrics {
  readonly registry = new Registry();
  /** `turnpike_requests_total` and `turnpike_request_duration_seconds`, per route. */
  private readonly routes: RouteMetrics;
  private readonly cacheOutcomes = new Map<string, Map<string, number>>();
  private cacheCounter = false;
  private cacheBytes: (() => number) | null = null;
  readonly rejections: Counter<"api" | "reason">;
  readonly upstreamFailures: Counter<"api" | "kind">;
  readonly storeUnavailable: Counter<"policy" | "mode">;
  readonly reloads: Counter<"result">;
  readonly revision: Gauge<"revision">;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.routes = new RouteMetrics(this.registry);
    this.rejections = new Counter({ name: "turnpike_rejections_total", help: "Requests the gateway answered itself with an error, by reason (problem type).", labelNames: ["api", "reason"], registers });
    this.upstreamFailures = new Counter({ name: "turnpike_upstream_failures_total", help: "Upstream attempts that failed before a response, by kind.", labelNames: ["api", "kind"], registers });
    this.storeUnavailable = new Counter({ name: "turnpike_store_unavailable_total", help: "Decisions taken without the shared store, by policy and declared mode.", labelNames: ["policy", "mode"], registers });
    this.reloads = new Counter({ name: "turnpike_config_reloads_total", help: "Manifest loads, by result (applied or rejected).", labelNames: ["result"], registers });
    // Across cluster workers: 1 for each revision some worker serves (not their sum).
    this.revision = new Gauge({ name: "turnpike_config_info", help: "The manifest revision being served (value 1).", labelNames: ["revision"], registers, aggregator: "max" });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: "turnpike_", eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
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

  /**
   * Counts a response cache outcome (`hit`, `miss`, `bypass`) for an API: plain numbers per
   * request, turned into `turnpike_cache_requests_total` at scrape time.
   */
  countCacheOutcome(api: string, outcome: string): void {
    let byOutcome = this.cacheOutcomes.get(api);
    if (byOutcome === undefined) {
      byOutcome = new Map();
      this.cacheOutcomes.set(api, byOutcome);
      this.watchCache();
    }
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
  }

  /**
   * `turnpike_log_lines_dropped_total`: log lines the process lost, read at scrape time:
   * access lines dropped while stdout could not keep up, and lines a failed write lost.
   */
  watchLogLines(dropped: () => number): void {
    new Counter({
      name: "turnpike_log_lines_dropped_total",
      help: "Log lines lost: access lines dropped while stdout could not keep up, and lines of writes that failed (summed across cluster workers).",
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(dropped());
      },
    });
  }

  /**
   * `turnpike_trace_spans_exported_total` and `turnpike_trace_spans_dropped_total` (by
   * reason: `queue-full`, `export-failed`, `rejected`), read at scrape time from the span
   * exporter's counts: a receiver that is down shows here, not in the requests.
   */
  watchSpans(counts: () => SpanExportCounts): void {
    new Counter({
      name: "turnpike_trace_spans_exported_total",
      help: "Spans the OTLP receiver accepted (summed across cluster workers).",
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(counts().exported);
      },
    });
    new Counter({
      name: "turnpike_trace_spans_dropped_total",
      help: "Spans lost, by reason: queue-full (the receiver slow or down), export-failed (refused or timed out), rejected (the receiver's partial success).",
      labelNames: ["reason"],
      registers: [this.registry],
      collect() {
        const now = counts();
        this.reset();
        this.inc({ reason: "queue-full" }, now.droppedQueueFull);
        this.inc({ reason: "export-failed" }, now.droppedExportFailed);
        this.inc({ reason: "rejected" }, now.droppedRejected);
      },
    });
  }

  /** `turnpike_cache_bytes`: what the process's response cache holds, read at scrape time. */
  watchCacheSize(bytes: () => number): void {
    if (this.cacheBytes !== null) return;
    this.cacheBytes = bytes;
    new Gauge({
      name: "turnpike_cache_bytes",
      help: "Bytes of responses held by the response cache of the process (summed across cluster workers).",
      registers: [this.registry],
      aggregator: "sum",
      collect() {
        this.set(bytes());
      },
    });
  }

  private watchCache(): void {
    if (this.cacheCounter) return;
    this.cacheCounter = true;
    const outcomes = this.cacheOutcomes;
    new Counter({
      name: "turnpike_cache_requests_total",
      help: "Requests through a response cache, by API and result (hit, miss, bypass).",
      labelNames: ["api", "result"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [api, byOutcome] of outcomes) for (const [result, count] of byOutcome) this.inc({ api, result }, count);
      },
    });
  }

  /** The request counter and latency histogram of one route (the same recorder across reloads). */
  routeRecorder(api: string, operation: string): RouteRecorder {
    return this.routes.recorder(api, operation);
  }
}
