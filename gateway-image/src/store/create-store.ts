/**
 * Chooses the counter store from its URL: `memory` (this process only) or
 * `redis://…` / `rediss://…` (shared by every replica).
 */
import type { Logger } from "pino";
import type { GatewayMetrics } from "../observability/metrics";
import { MemoryStore } from "./memory-store";
import { RedisStore } from "./redis-store";
import type { Store } from "./store";

export interface StoreFactoryContext {
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
}

export function createStore(url: string | undefined, context: StoreFactoryContext): Store {
  if (url === undefined || url === "" || url === "memory") return new MemoryStore();
  // Throws at start for a bad URL; an unreachable Redis is not an error here (it reconnects).
  if (/^rediss?:\/\//.test(url)) {
    const store = new RedisStore(url, { logger: context.logger });
    context.metrics.watchStore("redis", () => store.available);
    return store;
  }
  throw new Error(`unknown store "${url}": use "memory" or a redis:// or rediss:// URL`);
}
