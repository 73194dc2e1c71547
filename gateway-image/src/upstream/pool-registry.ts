/**
 * Connection pools shared across manifest reloads: a reload that keeps a target keeps its
 * warm keep-alive connections. Pools no manifest uses any more are closed once their
 * requests finish.
 */
import { Pool } from "undici";

export interface PoolOptions {
  readonly connections: number;
  readonly connectTimeoutMs: number;
  /** PEM bundle for https targets signed by a private CA, or null for the system CAs. */
  readonly ca: string | null;
}

export class PoolRegistry {
  private readonly pools = new Map<string, { pool: Pool; users: number }>();

  /** A pool for `origin` with these options; call `release` with the same arguments when done. */
  acquire(origin: string, options: PoolOptions): Pool {
    const key = poolKey(origin, options);
    let entry = this.pools.get(key);
    if (!entry) {
      entry = {
        pool: new Pool(origin, {
          connections: options.connections,
          pipelining: 1,
          connect: { timeout: options.connectTimeoutMs, ...(options.ca ? { ca: options.ca } : {}) },
          keepAliveTimeout: 30_000,
          // Timeouts are set per request from the route's settings.
          headersTimeout: 0,
          bodyTimeout: 0,
        }),
        users: 0,
      };
      this.pools.set(key, entry);
    }
    entry.users++;
    return entry.pool;
  }

  release(origin: string, options: PoolOptions): void {
    const key = poolKey(origin, options);
    const entry = this.pools.get(key);
    if (!entry) return;
    entry.users--;
    if (entry.users <= 0) {
      this.pools.delete(key);
      void entry.pool.close().catch(() => undefined);
    }
  }

  async closeAll(): Promise<void> {
    const pools = [...this.pools.values()].map((entry) => entry.pool);
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close().catch(() => undefined)));
  }
}

function poolKey(origin: string, options: PoolOptions): string {
  return `${origin}|${options.connections}|${options.connectTimeoutMs}|${options.ca ?? ""}`;
}
