/**
 * Counters in Redis, shared by every replica of the gateway (like Kong's `redis` policy or
 * Envoy's global rate limit). One Lua script per decision (redis-scripts.ts); ioredis batches
 * the decisions of one event-loop tick into one round trip (auto-pipelining).
 *
 * Large rate limits are leased (LeasedGcra): a replica takes up to 1,024 requests' worth of a
 * bucket in one script and spends them locally, so Redis sees a fraction of the traffic.
 * Lease sizes are burst / (8 × leaseReplicas), so the processes sharing the Redis (when
 * there are at most `leaseReplicas` of them) hold at most an eighth of a burst unused, for
 * at most LEASE_MS each, before it goes back: a bounded undershoot, never an overshoot.
 * Buckets whose burst is too small for leases of 2 are decided one request at a time.
 *
 * Built to degrade, not to stall: while Redis is unreachable or slow, a decision rejects with
 * StoreUnavailableError within `timeoutMs` (or at once when the client knows it is
 * disconnected) and the policy applies its declared mode (fail-open counts in this process,
 * fail-closed answers 503). The client reconnects by itself with capped backoff, and shared
 * counting resumes with the first answer.
 */
import { Redis, ReplyError } from "ioredis";
import type { Logger } from "pino";
import { LEASE_MS, LeasedGcra, MAX_LEASE } from "./leased-gcra";
import { StoreAvailability } from "./redis-availability";
import { parseRedisUrl } from "./redis-config";
import { SCRIPT_DEFINITIONS, type TurnpikeScriptCommands } from "./redis-scripts";
import { type GcraDecision, type QuotaDecision, type Store, StoreUnavailableError } from "./store";
import type { LeaseGrant } from "./leased-gcra";

/** First reconnect after 50 ms, doubling up to 1 s: a restarted Redis is used again within about a second. */
const RECONNECT_BASE_MS = 50;
const RECONNECT_CAP_MS = 1_000;
/** A TCP connect that takes longer than this is given up and retried (a dropped route, not a slow Redis). */
const CONNECT_TIMEOUT_MS = 1_000;
/**
 * A connection that receives nothing for this long while commands wait is dropped and
 * reconnected: a hung Redis or a half-open connection would otherwise keep every timed-out
 * command queued and cost each request the full command timeout. Once dropped, decisions
 * fail at once until the connection is back.
 */
const SOCKET_TIMEOUT_MS = 1_000;
const DISCONNECT_TIMEOUT_MS = 100;
/**
 * A quota counter outlives its period by this much, so a replica whose clock is a little
 * behind still counts into the same key instead of starting a fresh one.
 */
export const QUOTA_EXPIRY_GRACE_MS = 10_000;
const NO_CONNECTION = "connection lost";

export interface RedisStoreOptions {
  readonly logger: Logger;
}

export class RedisStore implements Store {
  private readonly client: Redis;
  private readonly scripts: TurnpikeScriptCommands;
  private readonly availability: StoreAvailability;
  private readonly keyPrefix: string;
  /** Until the first connection is up (or has failed), decisions wait for it: see {@link firstConnection}. */
  private firstConnection: Promise<void> | null;
  /** Why the connection last failed, for the outage log line (ioredis reports it before "close"). */
  private lastConnectionError = NO_CONNECTION;
  private closing = false;
  private readonly leases: LeasedGcra | null;
  private readonly leaseDivisor: number;
  private readonly leaseTimer: NodeJS.Timeout | null;

  /** @param url `redis://…` or `rediss://…`, with the parameters of redis-config.ts. */
  constructor(url: string, options: RedisStoreOptions) {
    const settings = parseRedisUrl(url);
    this.keyPrefix = settings.keyPrefix;
    this.availability = new StoreAvailability(options.logger, settings.displayUrl);
    this.client = new Redis(settings.connectionUrl, {
      // Decisions of one tick share one write and one round trip.
      enableAutoPipelining: true,
      // Fail fast while disconnected: a queued decision would hold its request until Redis is
      // back; rejected now, the policy's declared mode answers instead.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // A decision that was in flight when the connection dropped has been answered locally;
      // resending it after the reconnect would count the request twice.
      autoResendUnfulfilledCommands: false,
      commandTimeout: settings.commandTimeoutMs,
      socketTimeout: SOCKET_TIMEOUT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // How long a dropped connection may take to close before it is destroyed. ioredis arms
      // this timer even for a socket that is already gone, and it holds the process open.
      disconnectTimeout: DISCONNECT_TIMEOUT_MS,
      retryStrategy: reconnectDelayMs,
      connectionName: "turnpike-gateway",
      scripts: SCRIPT_DEFINITIONS,
    });
    this.scripts = this.client as unknown as TurnpikeScriptCommands;
    this.client.on("ready", () => {
      this.lastConnectionError = NO_CONNECTION;
      this.availability.markUp();
    });
    // Without a listener ioredis prints every failed reconnect attempt to stderr.
    this.client.on("error", (error: Error) => (this.lastConnectionError = error.message));
    this.client.on("close", () => {
      if (!this.closing) this.availability.markDown(this.lastConnectionError);
    });
    this.firstConnection = firstConnection(this.client, settings.commandTimeoutMs).then(() => {
      this.firstConnection = null;
    });
    this.leaseDivisor = 8 * settings.leaseReplicas;
    this.leases = settings.leaseReplicas === 0 ? null : new LeasedGcra({ take: (...args) => this.take(...args), refund: (...args) => this.refund(...args) }, LEASE_MS);
    this.leaseTimer = this.leases === null ? null : setInterval(() => this.leases!.returnExpired(Date.now()), LEASE_MS);
    this.leaseTimer?.unref();
  }

  /** True while Redis answers (for a health gauge); false before it connects and during an outage. */
  get available(): boolean {
    return this.availability.up;
  }

  gcra(key: string, emissionIntervalMs: number, burst: number, nowMs: number): GcraDecision | Promise<GcraDecision> {
    if (this.leases !== null) {
      const size = Math.min(MAX_LEASE, Math.floor(burst / this.leaseDivisor));
      if (size >= 2) return this.leases.decide(key, emissionIntervalMs, burst, nowMs, size);
    }
    return this.take(key, emissionIntervalMs, burst, nowMs, 1).then(({ granted, remaining, retryAfterMs, resetMs }) => ({ allowed: granted === 1, remaining, retryAfterMs, resetMs }));
  }

  quota(key: string, limit: number, periodEndMs: number, nowMs: number): Promise<QuotaDecision> {
    const resetMs = periodEndMs - nowMs;
    // The key names its period: see QUOTA_SCRIPT.
    const counter = `${this.keyPrefix}${key}:${periodEndMs}`;
    const ttlMs = Math.max(1, Math.ceil(resetMs + QUOTA_EXPIRY_GRACE_MS));
    return this.decide(() => this.scripts.turnpikeQuota(counter, limit, ttlMs)).then(([allowed, remaining]) => ({ allowed: allowed === 1, remaining, resetMs }));
  }

  quotaUsed(key: string, periodEndMs: number): Promise<number> {
    return this.decide(() => this.client.get(`${this.keyPrefix}${key}:${periodEndMs}`)).then((count) => (count === null ? 0 : Number(count)));
  }

  /** A lease: up to `want` requests' worth of a bucket in one script. */
  private take(key: string, emissionIntervalMs: number, burst: number, nowMs: number, want: number): Promise<LeaseGrant> {
    return this.decide(() => this.scripts.turnpikeGcraTake(this.keyPrefix + key, nowMs, emissionIntervalMs, burst, want)).then(([granted, remaining, retryAfterMs, resetMs]) => ({
      granted: Number(granted),
      remaining: Number(remaining),
      retryAfterMs: Number(retryAfterMs),
      resetMs: Number(resetMs),
    }));
  }

  /** Gives back unused leased requests; lost when Redis is away (an undershoot, never an overshoot). */
  private refund(key: string, emissionIntervalMs: number, count: number, nowMs: number): void {
    if (this.client.status !== "ready") return;
    this.scripts.turnpikeGcraRefund(this.keyPrefix + key, nowMs, emissionIntervalMs, count).catch(() => undefined);
  }

  /** Quits after the replies in flight; drops the connection when Redis is not there to answer. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.leaseTimer !== null) clearInterval(this.leaseTimer);
    this.leases?.returnAll(Date.now());
    if (this.client.status === "ready") {
      try {
        await this.client.quit();
        return;
      } catch {
        // fall through: the connection went away meanwhile
      }
    }
    this.client.disconnect();
  }

  /** Sends one decision; turns every failure into StoreUnavailableError and tracks the outage. */
  private decide<T>(send: () => Promise<T>): Promise<T> {
    const attempt = () =>
      send().then(
        (reply) => {
          // A late reply on a connection already given up must not announce a recovery.
          if (this.client.status === "ready") this.availability.markUp();
          return reply;
        },
        (error: unknown) => {
          throw this.unavailable(error);
        },
      );
    return this.firstConnection === null ? attempt() : this.firstConnection.then(attempt);
  }

  private unavailable(error: unknown): StoreUnavailableError {
    const message = error instanceof Error ? error.message : String(error);
    // An error reply is about this command (e.g. a key of the wrong type), not the connection.
    // (Classes and messages, not `name`s: those come from constructor names, which bundlers may rename.)
    const replyError = error instanceof ReplyError;
    // Rejected unsent, or in flight when the connection dropped: say why it is down.
    const reason = message.startsWith("Stream isn't writeable")
      ? `not connected (${this.lastConnectionError})`
      : message.startsWith("Reached the max retries per request limit")
        ? `connection lost (${this.lastConnectionError})`
        : message;
    if (!replyError && !this.closing) this.availability.markDown(reason);
    return new StoreUnavailableError(`Redis: ${reason}`, { cause: error });
  }
}

/**
 * Capped exponential backoff with jitter (half fixed, half random), so replicas that lost
 * Redis together do not all reconnect in the same millisecond.
 */
export function reconnectDelayMs(attempt: number): number {
  const delay = Math.min(RECONNECT_BASE_MS * 2 ** Math.max(0, attempt - 1), RECONNECT_CAP_MS);
  return Math.round(delay / 2 + (Math.random() * delay) / 2);
}

/**
 * Settles when the client first becomes ready, when its first attempt fails, or after
 * `waitMs`, whichever comes first. A gateway's first requests arrive while its Redis
 * connection is still being set up; they wait for it (briefly) rather than fall back.
 */
function firstConnection(client: Redis, waitMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off("ready", done);
      client.off("close", done);
      resolve();
    };
    const timer = setTimeout(done, waitMs);
    timer.unref();
    client.once("ready", done);
    client.once("close", done);
  });
}
