/** Whose counter a rate limit or quota charges. */
import type { Exchange } from "../http/exchange";

export type CounterKeyKind = "consumer" | "ip" | "global";

/** The counter key of an identified consumer. */
export function consumerCounterKey(consumerName: string): string {
  return `c:${consumerName}`;
}

/**
 * The counter key of a request. `consumer` falls back to the client address when no
 * consumer was identified (Kong's rule), so anonymous traffic is still limited.
 */
export function counterKey(kind: CounterKeyKind, exchange: Exchange): string {
  switch (kind) {
    case "consumer":
      return exchange.consumer !== null ? consumerCounterKey(exchange.consumer.name) : `ip:${exchange.clientIp}`;
    case "ip":
      return `ip:${exchange.clientIp}`;
    case "global":
      return "all";
  }
}
