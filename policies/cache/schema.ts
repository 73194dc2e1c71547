/** Response cache for GET and HEAD, honouring Cache-Control and Vary. */
import { z } from "zod";
import { headerName } from "../common";
import { definePolicy } from "../policy";

export const CACHEABLE_METHODS = ["GET", "HEAD"] as const;

export const cacheOptions = z.strictObject({
  /**
   * How long a response is served from the cache when the upstream does not say, in seconds.
   * @default 60
   */
  ttlSeconds: z.number().int().positive().max(31_536_000).default(60),
  /**
   * Methods whose responses are cached.
   * @default ["GET", "HEAD"]
   */
  methods: z.array(z.enum(CACHEABLE_METHODS)).min(1).default(["GET", "HEAD"]),
  /**
   * Response status codes that are cached.
   * @default [200]
   */
  statuses: z.array(z.number().int().min(200).max(599)).min(1).default([200]),
  /**
   * Request headers that vary the cache key, on top of the upstream's `Vary`.
   * @default []
   */
  varyHeaders: z.array(headerName).default([]),
  /**
   * Honour `Cache-Control` from clients and upstreams (`no-store`, `private`, `max-age`, `s-maxage`).
   * @default true
   */
  respectCacheControl: z.boolean().default(true),
  /**
   * Keep separate entries per consumer, so one consumer never sees another's response.
   * @default true
   */
  perConsumer: z.boolean().default(true),
  /**
   * Largest response body stored, in bytes; larger responses pass through uncached.
   * @default 1_048_576 (1 MiB)
   */
  maxEntryBytes: z.number().int().positive().default(1_048_576),
});

/** Options of {@link cache}. */
export type CacheOptions = z.input<typeof cacheOptions>;

export const cachePolicy = definePolicy({
  name: "cache",
  summary: "Caches GET/HEAD responses with a TTL, honouring Cache-Control and Vary, isolated per consumer, with one upstream fetch per key at a time.",
  phases: ["proxy"],
  priority: 100,
  levels: ["api", "operation"],
  options: cacheOptions,
  appliesTo: (options, operation) => options.methods.includes(operation.method as "GET" | "HEAD"),
  resolve(options, { level, operation, error }) {
    if (level === "operation" && !options.methods.includes(operation.method as "GET" | "HEAD")) {
      error({
        message: `${operation.operationId} is ${operation.method}; only ${options.methods.join(" and ")} responses are cached`,
        fix: "attach cache() to GET operations, or to the API to cache all its GET operations",
      });
    }
    const sorted = <T>(values: T[]) => [...new Set(values)].sort();
    return { ...options, methods: sorted(options.methods), statuses: sorted(options.statuses), varyHeaders: sorted(options.varyHeaders) };
  },
});

/** Caches responses, e.g. `cache({ ttlSeconds: 300 })`. */
export function cache(options: CacheOptions = {}) {
  return cachePolicy.declare(options);
}
