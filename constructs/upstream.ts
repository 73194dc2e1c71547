/**
 * Upstream settings of an API: where requests go and how the gateway treats the targets
 * (load balancing, timeouts, retries, circuit breaking, health checks, failover).
 * Written as an options schema with defaults, like a policy; the manifest carries the
 * complete form.
 */
import { z } from "zod";
import { completeSchema } from "../policies/policy";
import { secretRefSchema } from "./secret";

const targetUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "http:" || url.protocol === "https:") && url.search === "" && url.hash === "" && url.username === "";
    } catch {
      return false;
    }
  },
  { message: "an upstream URL is http(s)://host[:port][/path prefix], without query, fragment or credentials" },
);

export const upstreamTargetOptions = z.strictObject({
  /** Base URL of the target; its path, if any, prefixes the contract path. */
  url: targetUrl,
  /**
   * Share of traffic relative to the other targets of the group.
   * @default 1
   */
  weight: z.number().int().min(1).max(1_000).default(1),
});

export const retryOptions = z.strictObject({
  /**
   * Retries after the first attempt; only idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) are retried.
   * @default 0
   */
  maxRetries: z.number().int().min(0).max(5).default(0),
  /**
   * Failures that are retried.
   * @default ["connect-failure", "reset", "503"]
   */
  retryOn: z.array(z.enum(["connect-failure", "reset", "timeout", "502", "503", "504"])).min(1).default(["connect-failure", "reset", "503"]),
  /**
   * Retries allowed as a percentage of active requests, so retries cannot multiply an outage (Envoy's retry budget).
   * @default 20
   */
  budgetPercent: z.number().min(0).max(100).default(20),
  /**
   * First backoff between attempts, in milliseconds; doubles per retry with jitter.
   * @default 25
   */
  backoffBaseMs: z.number().int().min(0).default(25),
  /**
   * Longest backoff between attempts, in milliseconds.
   * @default 250
   */
  backoffMaxMs: z.number().int().min(0).default(250),
});

export const circuitBreakerOptions = z.strictObject({
  /**
   * Consecutive failures (connect errors, timeouts, 5xx) that open the circuit of a target.
   * @default 5
   */
  consecutiveFailures: z.number().int().positive().default(5),
  /**
   * How long an open circuit rejects before letting probe requests through, in milliseconds.
   * @default 30_000
   */
  openMs: z.number().int().positive().default(30_000),
  /**
   * Probe requests let through while half-open; all must succeed to close the circuit.
   * @default 1
   */
  halfOpenRequests: z.number().int().positive().default(1),
});

export const healthCheckOptions = z.strictObject({
  /** Path probed on every target with GET. */
  path: z.string().startsWith("/"),
  /**
   * Time between probes, in milliseconds.
   * @default 10_000
   */
  intervalMs: z.number().int().min(1_000).default(10_000),
  /**
   * Probe timeout, in milliseconds.
   * @default 2_000
   */
  timeoutMs: z.number().int().positive().default(2_000),
  /**
   * Consecutive successful probes that mark a target healthy.
   * @default 2
   */
  healthyThreshold: z.number().int().positive().default(2),
  /**
   * Consecutive failed probes that mark a target unhealthy.
   * @default 3
   */
  unhealthyThreshold: z.number().int().positive().default(3),
});

export const outlierDetectionOptions = z.strictObject({
  /**
   * Consecutive 5xx answers or connect errors that eject a target from the pool.
   * @default 5
   */
  consecutiveErrors: z.number().int().positive().default(5),
  /**
   * How long a target stays ejected, in milliseconds (grows with repeated ejections).
   * @default 30_000
   */
  ejectionMs: z.number().int().positive().default(30_000),
  /**
   * Most targets ejected at once, as a percentage of the group.
   * @default 50
   */
  maxEjectionPercent: z.number().int().min(1).max(100).default(50),
});

export const upstreamOptions = z
  .strictObject({
    /**
     * Targets requests are balanced over.
     * @default [] (only with `mock: true`)
     */
    targets: z.array(upstreamTargetOptions).default([]),
    /**
     * Secondary targets used when every primary target is unhealthy or ejected.
     * @default []
     */
    failover: z.array(upstreamTargetOptions).default([]),
    /**
     * Serve the API from a mock generated from the contract's examples (in `npm start`).
     * @default false
     */
    mock: z.boolean().default(false),
    /**
     * Load-balancing algorithm: weighted round robin, least outstanding requests, or
     * peak-EWMA latency.
     * @default "round-robin"
     */
    loadBalancing: z.enum(["round-robin", "least-request", "ewma"]).default("round-robin"),
    /**
     * Time to establish a connection to a target, in milliseconds.
     * @default 5_000
     */
    connectTimeoutMs: z.number().int().positive().default(5_000),
    /**
     * Total time for the upstream's answer headers, across retries, in milliseconds.
     * @default 30_000
     */
    timeoutMs: z.number().int().positive().max(900_000).default(30_000),
    /**
     * Time for one attempt, in milliseconds.
     * @default timeoutMs
     */
    perTryTimeoutMs: z.number().int().positive().optional(),
    /**
     * Most open connections per target.
     * @default 128
     */
    maxConnectionsPerTarget: z.number().int().positive().max(65_536).default(128),
    /** Retry policy. */
    retries: retryOptions.prefault({}),
    /**
     * Circuit breaker per target; `null` turns it off. Without it (or `outlierDetection`),
     * while a target is down every request is still a connection attempt, several times the
     * gateway's CPU of a proxied request; with it, the gateway answers 503 at once until the
     * probes succeed (`npm run bench -- failure-paths`, BENCHMARKS.md). `{}` takes the defaults.
     * @default null
     */
    circuitBreaker: circuitBreakerOptions.nullable().default(null),
    /**
     * Active health checks; `null` turns them off.
     * @default null
     */
    healthCheck: healthCheckOptions.nullable().default(null),
    /**
     * Passive outlier ejection; `null` turns it off.
     * @default null
     */
    outlierDetection: outlierDetectionOptions.nullable().default(null),
    /**
     * `Host` header sent upstream: the target's host, or the client's.
     * @default "target"
     */
    hostHeader: z.enum(["target", "client"]).default("target"),
    /**
     * What the bundled gateway does with a request whose path has a percent-encoded slash
     * or backslash (`%2F`, `%5C`). Upstreams disagree on them: nginx, and Go's ServeMux before
     * 1.22, decode them before they route, so `/public/..%2Fadmin` would pass the gateway as
     * `GET /public/{slug}` (with that operation's policies) and be served as `/admin`.
     * `"reject"` answers 400; `"forward"` passes the path as sent, for an upstream that reads
     * an encoded slash as part of a parameter (`/projects/group%2Fproject`, as GitLab's API
     * does). Dot segments are resolved before routing either way.
     * @default "reject"
     */
    encodedSlashes: z.enum(["reject", "forward"]).default("reject"),
    /**
     * CA bundle for https targets signed by a private CA; `null` uses the system CAs.
     * @default null
     */
    tlsCa: secretRefSchema.nullable().default(null),
  })
  .refine((upstream) => upstream.mock || upstream.targets.length > 0, {
    message: "an upstream needs at least one target, or `mock: true`",
    path: ["targets"],
  })
  .refine((upstream) => upstream.perTryTimeoutMs === undefined || upstream.perTryTimeoutMs <= upstream.timeoutMs, {
    message: "perTryTimeoutMs cannot exceed timeoutMs (the total)",
    path: ["perTryTimeoutMs"],
  });

/** Upstream settings as declared on an API. */
export type UpstreamProps = z.input<typeof upstreamOptions>;

/** Schema of the complete upstream settings in the manifest. */
export const upstreamConfigSchema = completeSchema(upstreamOptions) as z.ZodType<UpstreamConfig>;

export type UpstreamConfig = Omit<z.output<typeof upstreamOptions>, "perTryTimeoutMs"> & { perTryTimeoutMs: number };

/** Writes out what the declaration left to defaults. */
export function resolveUpstream(upstream: z.output<typeof upstreamOptions>): UpstreamConfig {
  return { ...upstream, perTryTimeoutMs: upstream.perTryTimeoutMs ?? upstream.timeoutMs };
}
