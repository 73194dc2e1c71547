/**
 * Connection pools shared across manifest reloads: a reload that keeps a target keeps its
 * warm keep-alive connections. Pools no manifest uses any more are closed once their
 * requests finish.
 */
import { Pool } from "undici";
import { type ConnectionPool, Http1Pool, nativeParser } from "./http1-pool";

export interface PoolOptions {
  readonly connections: number;
  readonly connectTimeoutMs: number;
  /** PEM bundle for https targets signed by a private CA, or null for the system CAs. */
  readonly ca: string | null;
}

/**
 * Which HTTP client talks to upstreams: `native` (Http1Pool on Node's own parser, the
 * default where Node exposes it) or `undici` (the fallback, also forced with
 * `TURNPIKE_UPSTREAM_CLIENT=undici` to compare the two).
 */
export type UpstreamClientKind = "native" | "undici";

export function defaultUpstreamClient(env: NodeJS.ProcessEnv = process.env): UpstreamClientKind {
  return env.TURNPIKE_UPSTREAM_CLIENT === "undici" || nativeParser === null ? "undici" : "native";
}

/** How long an idle upstream connection is kept when the upstream announces no shorter time. */
const KEEP_ALIVE_TIMEOUT_MS = 30_000;

export class PoolRegistry {
  private readonly pools = new Map<string, { pool: ConnectionPool; users: number }>();

  constructor(readonly client: UpstreamClientKind = defaultUpstreamClient()) {}

  /** A pool for `origin` with these options; call `release` with the same arguments when done. */
  acquire(origin: string, options: PoolOptions): ConnectionPool {
    const key = poolKey(origin, options);
    let entry = this.pools.get(key);
    if (!entry) {
      entry = { pool: this.create(origin, options), users: 0 };
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

  private create(origin: string, options: PoolOptions): ConnectionPool {
    if (this.client === "native" && nativeParser !== null) {
      return new Http1Pool(origin, { connections: options.connections, connectTimeoutMs: options.connectTimeoutMs, ca: options.ca, keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS }, nativeParser);
    }
    // undici's Pool has the same dispatch shape (its core handler interface).
    return new Pool(origin, {
      connections: options.connections,
      pipelining: 1,
      connect: { timeout: options.connectTimeoutMs, ...(options.ca ? { ca: options.ca } : {}) },
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      // Timeouts are set per request from the route's settings.
      headersTimeout: 0,
      bodyTimeout: 0,
    }) as unknown as ConnectionPool;
  }
}

function poolKey(origin: string, options: PoolOptions): string {
  return `${origin}|${options.connections}|${options.connectTimeoutMs}|${options.ca ?? ""}`;
}
