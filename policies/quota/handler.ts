/**
 * quota at the gateway: a count per calendar period (in the declared time zone) through the
 * store. Answers 429 with Retry-After at the period's end; sends RateLimit headers.
 */
import type { z } from "zod";
import { counterKey } from "../../gateway-image/src/chain/counter-key";
import type { HandlerFactory } from "../../gateway-image/src/chain/policy-handler";
import { appendHeader, type Exchange } from "../../gateway-image/src/http/exchange";
import { problem } from "../../gateway-image/src/http/problem";
import type { QuotaDecision } from "../../gateway-image/src/store/store";
import { PERIOD_SECONDS, periodEnd } from "./calendar";
import type { quotaPolicy } from "./schema";

export const createQuotaHandler: HandlerFactory<z.output<typeof quotaPolicy.config>> = (config, { instance, store, logger, metrics }) => {
  const prefix = `q:${instance.id}:`;
  const policyHeader = `"${instance.scope}";q=${config.requests};w=${PERIOD_SECONDS[config.period]}`;
  let currentEnd = 0;
  const local = new Map<string, { end: number; count: number }>();
  let warned = false;

  const endOf = (now: number) => {
    if (now >= currentEnd) currentEnd = periodEnd(now, config.period, config.timeZone);
    return currentEnd;
  };

  const decide = (exchange: Exchange, decision: QuotaDecision) => {
    const resetSeconds = Math.max(1, Math.ceil(decision.resetMs / 1000));
    if (config.headers) {
      appendHeader(exchange.responseHeaders, "ratelimit-policy", policyHeader);
      appendHeader(exchange.responseHeaders, "ratelimit", `"${instance.scope}";r=${decision.remaining};t=${resetSeconds}`);
    }
    if (decision.allowed) return undefined;
    return problem("quota-exceeded", `quota of ${config.requests} requests per ${config.period} used up; it resets in ${resetSeconds} s`, { headers: { "retry-after": String(resetSeconds) } });
  };

  const unavailable = (exchange: Exchange, key: string, end: number, now: number, error: unknown) => {
    metrics.storeUnavailable.labels("quota", config.onStoreUnavailable).inc();
    // Once per outage, not once per request: an outage under load would flood the log.
    if (!warned) {
      warned = true;
      logger.warn({ policy: instance.id, mode: config.onStoreUnavailable, reason: (error as Error).message }, "counter store unavailable; applying the declared mode");
    }
    if (config.onStoreUnavailable === "fail-closed") return problem("service-unavailable", "quota accounting is unavailable; try again shortly", { headers: { "retry-after": "1" } });
    let entry = local.get(key);
    if (entry === undefined || entry.end !== end) local.set(key, (entry = { end, count: 0 }));
    entry.count++;
    return decide(exchange, { allowed: entry.count <= config.requests, remaining: Math.max(0, config.requests - entry.count), resetMs: end - now });
  };

  return {
    limit(exchange) {
      const now = Date.now();
      const end = endOf(now);
      const key = prefix + counterKey(config.key, exchange);
      let decision: QuotaDecision | Promise<QuotaDecision>;
      try {
        decision = store.quota(key, config.requests, end, now);
      } catch (error) {
        return unavailable(exchange, key, end, now, error);
      }
      if (decision instanceof Promise) {
        return decision.then(
          (result) => {
            warned = false;
            return decide(exchange, result);
          },
          (error: unknown) => unavailable(exchange, key, end, now, error),
        );
      }
      return decide(exchange, decision);
    },
  };
};
