/**
 * The Lua scripts behind the Redis store. Each decision is one script, so it is atomic across
 * every replica sharing the Redis, costs one round trip, and touches exactly one key (declared
 * in KEYS, so the scripts are also valid on Redis Cluster).
 *
 * Time comes from the caller (`nowMs`, the gateway's clock), never from Redis `TIME`: the
 * store interface is defined on the caller's clock, the quota period ends are computed on it
 * (calendar periods in a time zone), and the very same script can then be checked against the
 * in-memory `gcraStep` with simulated time. Replica clocks must be NTP-synced; a skew of ε ms
 * shifts a shared bucket by about ε / emissionInterval requests.
 */

/**
 * GCRA, up to `want` steps at once: step for step the arithmetic of `gcraStep`/`gcraTake` in
 * memory-store.ts (Lua numbers are IEEE doubles, like JavaScript's, so the same operations in
 * the same order give the same results). One request is `want` = 1; a replica's lease
 * (LeasedGcra) asks for more.
 *
 * KEYS[1]: the bucket. ARGV: nowMs, emissionIntervalMs, burst, want.
 * Returns { granted, remaining, retryAfterMs, resetMs }: the last three as strings, because
 * Redis truncates Lua numbers to integers and the values may be fractional.
 *
 * The theoretical arrival time (TAT) is stored with 17 significant digits (Lua's `tostring`
 * keeps only 14) and expires when it stops mattering: at the TAT, the bucket is full again,
 * which is the same as no key at all. A rejected request writes nothing.
 */
export const GCRA_TAKE_SCRIPT = `
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local function exact(value) return string.format('%.17g', value) end

local tat = now
local stored = redis.call('GET', KEYS[1])
if stored then tat = math.max(tonumber(stored), now) end

local granted = 0
local remaining = 0
while granted < want do
  local newTat = tat + interval
  local allowAt = newTat - burst * interval
  if now < allowAt then
    if granted == 0 then return { 0, '0', exact(allowAt - now), exact(tat - now) } end
    break
  end
  tat = newTat
  granted = granted + 1
  remaining = math.floor((now - allowAt) / interval)
end
redis.call('SET', KEYS[1], exact(tat), 'PX', string.format('%.0f', math.ceil(tat - now)))
return { granted, exact(remaining), '0', exact(tat - now) }
`;

/**
 * Gives back `count` requests' worth a replica leased and did not use, as `gcraRefund`.
 *
 * KEYS[1]: the bucket. ARGV: nowMs, emissionIntervalMs, count. Returns nothing useful.
 */
export const GCRA_REFUND_SCRIPT = `
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local now = tonumber(ARGV[1])
local tat = math.max(now, tonumber(stored) - tonumber(ARGV[3]) * tonumber(ARGV[2]))
if tat <= now then redis.call('DEL', KEYS[1]) return 1 end
redis.call('SET', KEYS[1], string.format('%.17g', tat), 'PX', string.format('%.0f', math.ceil(tat - now)))
return 1
`;

/**
 * A count against a limit, as `MemoryStore.quota`: a request over the limit is rejected and
 * not counted (no over-count while a client keeps retrying).
 *
 * KEYS[1]: the counter of one period (the key names the period, so a new period is a new key
 * and replicas whose clocks straddle the boundary never reset each other's count).
 * ARGV: limit, ttlMs (set once, on the period's first request).
 * Returns { allowed (0|1), remaining }.
 */
export const QUOTA_SCRIPT = `
local limit = tonumber(ARGV[1])
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= limit then return { 0, 0 } end
count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return { 1, limit - count }
`;

/** The scripts as commands on the client (ioredis `defineCommand`: EVALSHA, EVAL when unknown). */
export interface TurnpikeScriptCommands {
  turnpikeGcraTake(key: string, nowMs: number, emissionIntervalMs: number, burst: number, want: number): Promise<[number, string, string, string]>;
  turnpikeGcraRefund(key: string, nowMs: number, emissionIntervalMs: number, count: number): Promise<number>;
  turnpikeQuota(key: string, limit: number, ttlMs: number): Promise<[number, number]>;
}

/** The `scripts` option of the ioredis client: names and key counts of the commands above. */
export const SCRIPT_DEFINITIONS = {
  turnpikeGcraTake: { lua: GCRA_TAKE_SCRIPT, numberOfKeys: 1 },
  turnpikeGcraRefund: { lua: GCRA_REFUND_SCRIPT, numberOfKeys: 1 },
  turnpikeQuota: { lua: QUOTA_SCRIPT, numberOfKeys: 1 },
} as const;
