/**
 * quota at the gateway: a count per calendar period (in the declared time zone) through the
 * store. Answers 429 with Retry-After at the period's end; sends RateLimit headers.
 */
import type { z } from "zod";
import { counterKeys } from "../../gateway-image/src/chain/counter-key";
import { storeOutage } from "../../gateway-image/src/chain/store-outage";
import { MemoryStore } from "../../gateway-image/src/store/memory-store";
import type { HandlerFactory } from "../../gateway-image/src/chain/policy-handler";
import type { Exchange } from "../../gateway-image/src/http/exchange";
import { rateLimitFields } from "../../gateway-image/src/chain/rate-limit-fields";
import { problem } from "../../gateway-image/src/http/problem";
import type { QuotaDecision } from "../../gateway-image/src/store/store";
import { PERIOD_SECONDS, periodEnd } from "./calendar";
import type { quotaPolicy } from "./schema";

/** Where a quota instance's counters live in the store: this prefix and the counter key. */
export function quotaKeyPrefix(instanceId: string): string {
  return `q:${instanceId}:`;
}

export const createQuotaHandler: HandlerFactory<z.output<typeof quotaPolicy.config>> = (config, { instance, store, logger, metrics }) => {
  const prefix = quotaKeyPrefix(instance.id);
  const keyOf = counterKeys(prefix, config.key);
  const addFields = rateLimitFields(instance.scope, config.requests, PERIOD_SECONDS[config.period]);
  let currentEnd = 0;
  // Fail-open counting while the shared store is down: the in-memory store, for this process.
  const local = new MemoryStore();
  const outage = storeOutage({ policy: "quota", mode: config.onStoreUnavailable, instance, logger, metrics, refusal: "quota accounting is unavailable; try again shortly" });

  const endOf = (now: number) => {
    if (now >= currentEnd) currentEnd = periodEnd(now, config.period, config.timeZone);
    return currentEnd;
  };

  const decide = (exchange: Exchange, decision: QuotaDecision) => {
    const resetSeconds = Math.max(1, Math.ceil(decision.resetMs / 1000));
    if (config.headers) {
      addFields(exchange.responseHeaders, decision.remaining, resetSeconds);
    }
    if (decision.allowed) return undefined;
    return problem("quota-exceeded", `quota of ${config.requests} requests per ${config.period} used up; it resets in ${resetSeconds} s`, { headers: { "retry-after": String(resetSeconds) } });
  };

  const unavailable = (exchange: Exchange, key: string, end: number, now: number, error: unknown) => {
    const refused = outage.refuse(error);
    if (refused !== null) return refused;
    return decide(exchange, local.quota(key, config.requests, end, now));
  };

  return {
    limit(exchange) {
      const now = Date.now();
      const end = endOf(now);
      const key = keyOf(exchange);
      let decision: QuotaDecision | Promise<QuotaDecision>;
      try {
        decision = store.quota(key, config.requests, end, now);
      } catch (error) {
        return unavailable(exchange, key, end, now, error);
      }
      if (decision instanceof Promise) {
        return decision.then(
          (result) => {
            outage.recovered();
            return decide(exchange, result);
          },
          (error: unknown) => unavailable(exchange, key, end, now, error),
        );
      }
      return decide(exchange, decision);
    },
    close: () => local.close(),
  };
};
