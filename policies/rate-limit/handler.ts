/**
 * rateLimit at the gateway: GCRA through the store, keyed by the instance's scope and the
 * consumer, client address or nothing (global). Answers 429 with Retry-After; sends the
 * IETF RateLimit and RateLimit-Policy headers. When the shared store is unreachable, the
 * declared mode applies: fail-open counts in this process, fail-closed answers 503.
 */
import type { z } from "zod";
import { counterKeys } from "../../gateway-image/src/chain/counter-key";
import { storeOutage } from "../../gateway-image/src/chain/store-outage";
import type { HandlerFactory } from "../../gateway-image/src/chain/policy-handler";
import type { Exchange } from "../../gateway-image/src/http/exchange";
import { rateLimitFields } from "../../gateway-image/src/chain/rate-limit-fields";
import { problem } from "../../gateway-image/src/http/problem";
import { MemoryStore } from "../../gateway-image/src/store/memory-store";
import type { GcraDecision } from "../../gateway-image/src/store/store";
import type { rateLimitPolicy } from "./schema";

export const createRateLimitHandler: HandlerFactory<z.output<typeof rateLimitPolicy.config>> = (config, { instance, store, logger, metrics }) => {
  const intervalMs = (config.perSeconds * 1000) / config.requests;
  const burst = config.burst;
  const prefix = `rl:${instance.id}:`;
  const keyOf = counterKeys(prefix, config.key);
  const addFields = rateLimitFields(instance.scope, config.requests, config.perSeconds);
  // Fail-open counting while the shared store is down: the in-memory store, for this process.
  const local = new MemoryStore();
  const outage = storeOutage({ policy: "rateLimit", mode: config.onStoreUnavailable, instance, logger, metrics, refusal: "rate limiting is unavailable; try again shortly" });

  const decide = (exchange: Exchange, decision: GcraDecision) => {
    if (config.headers) {
      addFields(exchange.responseHeaders, decision.remaining, Math.ceil(decision.resetMs / 1000));
    }
    if (decision.allowed) return undefined;
    const retryAfter = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    return problem("rate-limited", `rate limit of ${config.requests} requests per ${config.perSeconds} s exceeded; retry in ${retryAfter} s`, { headers: { "retry-after": String(retryAfter) } });
  };

  const unavailable = (exchange: Exchange, key: string, now: number, error: unknown) => outage.refuse(error) ?? decide(exchange, local.gcra(key, intervalMs, burst, now));

  return {
    limit(exchange) {
      const key = keyOf(exchange);
      const now = Date.now();
      let decision: GcraDecision | Promise<GcraDecision>;
      try {
        decision = store.gcra(key, intervalMs, burst, now);
      } catch (error) {
        return unavailable(exchange, key, now, error);
      }
      if (decision instanceof Promise) {
        return decision.then(
          (result) => {
            outage.recovered();
            return decide(exchange, result);
          },
          (error: unknown) => unavailable(exchange, key, now, error),
        );
      }
      return decide(exchange, decision);
    },
    close: () => local.close(),
  };
};
