/**
 * The Redis store's settings from its URL: `redis://[user:password@]host[:port][/db]` or
 * `rediss://…` (TLS), with Turnpike's own query parameters:
 *
 * - `prefix`: prepended to every key (default `turnpike:`), so several gateways or other
 *   applications can share one Redis;
 * - `timeoutMs`: how long one decision may wait for Redis before the policy applies its
 *   declared `onStoreUnavailable` mode (default 100);
 * - `leaseReplicas`: how many gateway processes (replicas × workers) share the Redis, which
 *   sizes rate-limit leases (see redis-store.ts; default 4; 0 decides every request in Redis).
 *
 * Other query parameters are refused rather than passed to ioredis, which would take them as
 * client options (as strings), silently overriding the fail-fast settings the store relies on.
 */

export interface RedisStoreSettings {
  /** The URL for the client, without Turnpike's parameters. */
  readonly connectionUrl: string;
  /** The URL for logs: no credentials, no parameters. */
  readonly displayUrl: string;
  readonly keyPrefix: string;
  readonly commandTimeoutMs: number;
  /** Processes assumed to share the Redis when sizing leases; 0: no leases. */
  readonly leaseReplicas: number;
}

export const DEFAULT_KEY_PREFIX = "turnpike:";
/**
 * A decision is one script on one key: well under a millisecond on a healthy Redis, a few on
 * a busy network. 100 ms is long enough not to trip on a GC pause or a slow hop, and short
 * enough that a hung Redis costs a request a tenth of a second, not a stall.
 */
export const DEFAULT_COMMAND_TIMEOUT_MS = 100;
const MAX_COMMAND_TIMEOUT_MS = 10_000;
const PARAMETERS = ["prefix", "timeoutMs", "leaseReplicas"] as const;
export const DEFAULT_LEASE_REPLICAS = 4;

/** Parses a `redis://` or `rediss://` store URL; throws with a readable message when it is wrong. */
export function parseRedisUrl(url: string): RedisStoreSettings {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`the store URL "${redact(url)}" is not a URL: use redis://host:6379 or rediss://host:6380`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") throw new Error(`the store URL must start with redis:// or rediss://, not ${parsed.protocol}//`);
  for (const name of parsed.searchParams.keys()) {
    if (!(PARAMETERS as readonly string[]).includes(name)) throw new Error(`unknown parameter "${name}" in the store URL: use ${PARAMETERS.slice(0, -1).join(", ")} or ${PARAMETERS.at(-1)}`);
  }
  const keyPrefix = parsed.searchParams.get("prefix") ?? DEFAULT_KEY_PREFIX;
  const timeout = parsed.searchParams.get("timeoutMs");
  const commandTimeoutMs = timeout === null ? DEFAULT_COMMAND_TIMEOUT_MS : Number(timeout);
  if (!Number.isInteger(commandTimeoutMs) || commandTimeoutMs < 1 || commandTimeoutMs > MAX_COMMAND_TIMEOUT_MS) {
    throw new Error(`timeoutMs in the store URL must be a whole number of milliseconds from 1 to ${MAX_COMMAND_TIMEOUT_MS}, not "${timeout}"`);
  }
  const replicas = parsed.searchParams.get("leaseReplicas");
  const leaseReplicas = replicas === null ? DEFAULT_LEASE_REPLICAS : Number(replicas);
  if (!Number.isInteger(leaseReplicas) || leaseReplicas < 0 || leaseReplicas > 10_000) {
    throw new Error(`leaseReplicas in the store URL must be a whole number from 0 (no leases) to 10000, not "${replicas}"`);
  }
  const connection = new URL(parsed.href);
  connection.search = "";
  return { connectionUrl: connection.href, displayUrl: redact(connection.href), keyPrefix, commandTimeoutMs, leaseReplicas };
}

/** The URL without user and password, for logs and errors. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    parsed.search = "";
    return parsed.href;
  } catch {
    return "(unparsable URL)";
  }
}
