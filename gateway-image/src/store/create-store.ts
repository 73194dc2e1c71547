/**
 * Chooses the counter store from its URL: `memory` (this process only) or
 * `redis://…` / `rediss://…` (shared by every replica).
 */
import type { Logger } from "pino";
import type { GatewayMetrics } from "../observability/metrics";
import { MemoryStore } from "./memory-store";
import type { Store } from "./store";

export interface StoreFactoryContext {
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
}

export function createStore(url: string | undefined, context: StoreFactoryContext): Store {
  if (url === undefined || url === "" || url === "memory") return new MemoryStore();
  if (/^rediss?:\/\//.test(url)) {
    void context;
    throw new Error("the Redis store is not built into this gateway yet");
  }
  throw new Error(`unknown store "${url}": use "memory" or a redis:// or rediss:// URL`);
}
