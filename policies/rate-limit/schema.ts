/** Rate limiting with GCRA: a steady rate plus a burst, per consumer, client IP or for everyone. */
import { z } from "zod";
import { definePolicy } from "../policy";

/** What one counter counts. */
export const LIMIT_KEYS = ["consumer", "ip", "global"] as const;

export const rateLimitOptions = z.strictObject({
  /** Requests allowed per window of `perSeconds`. */
  requests: z.number().int().positive(),
  /**
   * Window length in seconds; the steady rate is `requests / perSeconds`.
   * @default 1
   */
  perSeconds: z.number().positive().max(86_400).default(1),
  /**
   * Most requests admitted at once before the steady rate applies (bucket size).
   * @default requests
   */
  burst: z.number().int().positive().optional(),
  /**
   * What one counter counts: each consumer, each client IP, or all callers together.
   * On operations without authentication, `consumer` resolves to `ip` (as in Kong).
   * Plan-level limits always count per consumer.
   * @default "consumer"
   */
  key: z.enum(LIMIT_KEYS).default("consumer"),
  /**
   * Send the IETF `RateLimit` and `RateLimit-Policy` headers.
   * @default true
   */
  headers: z.boolean().default(true),
  /**
   * What happens when the shared counter store is unreachable: `fail-open` keeps serving
   * with per-process limits, `fail-closed` answers 503.
   * @default "fail-open"
   */
  onStoreUnavailable: z.enum(["fail-open", "fail-closed"]).default("fail-open"),
});

/** Options of {@link rateLimit}. */
export type RateLimitOptions = z.input<typeof rateLimitOptions>;

export const rateLimitPolicy = definePolicy({
  name: "rateLimit",
  summary: "Limits request rate with GCRA (steady rate plus burst), answering 429 with Retry-After and IETF RateLimit headers.",
  phases: ["limit"],
  priority: 100,
  levels: ["platform", "api", "operation", "plan"],
  options: rateLimitOptions,
  slot: (options) => `rateLimit:${options.key}`,
  resolve(options, { level, operation, error }) {
    if (level === "plan" && options.key !== "consumer") {
      error({ field: "key", message: "a plan's limits count per consumer of the plan", expected: '"consumer"', received: `"${options.key}"`, fix: "attach limits by IP or for everyone to the platform, an API or an operation" });
    }
    const key = options.key === "consumer" && !operation.authenticated ? "ip" : options.key;
    return { ...options, key, burst: options.burst ?? options.requests };
  },
});

/** Limits the request rate, e.g. `rateLimit({ requests: 10, perSeconds: 1, burst: 20 })`. */
export function rateLimit(options: RateLimitOptions) {
  return rateLimitPolicy.declare(options);
}
