/** Quotas: a number of requests per calendar-aligned hour, day, week or month. */
import { z } from "zod";
import { timeZone } from "../common";
import { definePolicy } from "../policy";
import { LIMIT_KEYS } from "../rate-limit/schema";

export const QUOTA_PERIODS = ["hour", "day", "week", "month"] as const;

export const quotaOptions = z.strictObject({
  /** Requests allowed per period. */
  requests: z.number().int().positive(),
  /** Calendar period the count resets on: hours and days at their start, weeks on Monday (ISO), months on the 1st. */
  period: z.enum(QUOTA_PERIODS),
  /**
   * IANA time zone the period boundaries are computed in.
   * @default "UTC"
   */
  timeZone: timeZone.default("UTC"),
  /**
   * What one counter counts; as for rateLimit.
   * @default "consumer"
   */
  key: z.enum(LIMIT_KEYS).default("consumer"),
  /**
   * Send `RateLimit` headers describing the quota's remaining requests.
   * @default true
   */
  headers: z.boolean().default(true),
  /**
   * What happens when the shared counter store is unreachable.
   * @default "fail-open"
   */
  onStoreUnavailable: z.enum(["fail-open", "fail-closed"]).default("fail-open"),
});

/** Options of {@link quota}. */
export type QuotaOptions = z.input<typeof quotaOptions>;

export const quotaPolicy = definePolicy({
  name: "quota",
  summary: "Caps requests per calendar-aligned hour, day, week or month; answers 429 with the time the quota resets.",
  phases: ["limit"],
  priority: 200,
  levels: ["platform", "api", "operation", "plan"],
  options: quotaOptions,
  slot: (options) => `quota:${options.key}`,
  resolve(options, { level, operation, error }) {
    if (level === "plan" && options.key !== "consumer") {
      error({ field: "key", message: "a plan's quota counts per consumer of the plan", expected: '"consumer"', received: `"${options.key}"`, fix: "attach quotas by IP or for everyone to the platform, an API or an operation" });
    }
    return { ...options, key: options.key === "consumer" && !operation.authenticated ? "ip" : options.key };
  },
});

/** Caps requests per period, e.g. `quota({ requests: 10_000, period: "month" })`. */
export function quota(options: QuotaOptions) {
  return quotaPolicy.declare(options);
}
