/** Whose counter a rate limit or quota charges. */
import type { Exchange } from "../http/exchange";

export type CounterKeyKind = "consumer" | "ip" | "global";

/** The counter key of an identified consumer (after the instance's prefix). */
export function consumerCounterKey(consumerName: string): string {
  return `c:${consumerName}`;
}

/**
 * The counter keys of one policy instance: `prefix` and `c:<consumer>`, `ip:<address>` or
 * `all`. `consumer` falls back to the client address when no consumer was identified (Kong's
 * rule), so anonymous traffic is still limited. A consumer's key is built once per consumer
 * record: the same string every time, so the store's map finds it without concatenating and
 * hashing a new string per request.
 */
export function counterKeys(prefix: string, kind: CounterKeyKind): (exchange: Exchange) => string {
  const byConsumer = new WeakMap<object, string>();
  const global = `${prefix}all`;
  return (exchange) => {
    if (kind === "global") return global;
    const consumer = exchange.consumer;
    if (kind === "ip" || consumer === null) return `${prefix}ip:${exchange.clientIp}`;
    let key = byConsumer.get(consumer);
    if (key === undefined) {
      key = prefix + consumerCounterKey(consumer.name);
      byConsumer.set(consumer, key);
    }
    return key;
  };
}
