/**
 * cache at the gateway: a shared HTTP cache (an RFC 9111 subset, like Kong's proxy-cache or
 * a basic Varnish) in the proxy phase. A fresh entry answers the request without the
 * upstream; a miss goes upstream through a sink that keeps a copy when the response may be
 * stored; concurrent misses for one key wait for a single upstream request. Sets
 * `exchange.cacheStatus` (→ `X-Cache: HIT|MISS|BYPASS` and the access log) and `Age` on hits.
 */
import { createHash } from "node:crypto";
import type { z } from "zod";
import type { HandlerFactory, PolicyHandler } from "../../gateway-image/src/chain/policy-handler";
import { type Exchange, type HeaderMap, copyHeaders } from "../../gateway-image/src/http/exchange";
import { problem } from "../../gateway-image/src/http/problem";
import type { ResponseSink } from "../../gateway-image/src/upstream/upstream";
import { NO_CLIENT_DIRECTIVES, clientDirectives } from "./cache-control";
import { primaryKey, variantKey } from "./cache-key";
import { type CachedResponse, createEntry, replay } from "./cached-response";
import { Flights } from "./flights";
import { RecordingSink } from "./recording-sink";
import { type ResponseStore, sharedResponseStore } from "./response-store";
import type { cachePolicy } from "./schema";
import { type Storability, type StorabilityRules, storability } from "./storability";

type CacheConfig = z.output<typeof cachePolicy.config>;
type Storable = Extract<Storability, { store: true }>;

export const createCacheHandler: HandlerFactory<CacheConfig> = (config, { instance, metrics }) => {
  const store = sharedResponseStore();
  metrics.watchCacheSize(() => store.bytes);
  return {
    ...cacheHandler(config, instance.id, store),
    log(exchange) {
      if (exchange.cacheStatus !== null) metrics.countCacheOutcome(exchange.route.apiId ?? "", exchange.cacheStatus);
    },
  };
};

/**
 * The handler over a given store (tests pass their own).
 *
 * @param instanceId - keys are prefixed with it and a digest of the configuration, so a
 *   reload that changes the configuration starts with an empty cache for the instance, and
 *   one that does not keeps it.
 */
export function cacheHandler(config: CacheConfig, instanceId: string, store: ResponseStore): PolicyHandler {
  const prefix = `${instanceId}#${createHash("sha256").update(JSON.stringify(config)).digest("base64url").slice(0, 16)}`;
  const methods = new Set<string>(config.methods);
  const rules: StorabilityRules = {
    statuses: new Set(config.statuses),
    defaultTtlSeconds: config.ttlSeconds,
    respectCacheControl: config.respectCacheControl,
    maxEntryBytes: config.maxEntryBytes,
  };
  const flights = new Flights<CachedResponse>();

  const hit = (exchange: Exchange, sink: ResponseSink, entry: CachedResponse, headOnly: boolean) => {
    exchange.cacheStatus = "hit";
    replay(entry, sink, Date.now(), headOnly);
  };

  return {
    async proxy(exchange, sink, forward) {
      const req = exchange.req;
      const method = req.method ?? "GET";
      if (!methods.has(method)) {
        exchange.cacheStatus = "bypass";
        return forward(sink);
      }
      const client = config.respectCacheControl ? clientDirectives(req.headers) : NO_CLIENT_DIRECTIVES;
      const consumerScope = config.perConsumer ? (exchange.consumer?.name ?? "") : null;
      const primary = primaryKey(prefix, exchange, consumerScope, config.varyHeaders);
      const headOnly = method === "HEAD";

      // Look up; on a miss, wait (once) for a flight already fetching this key.
      let key: string;
      let waited = false;
      for (;;) {
        const found = store.lookup(primary, req.headers, Date.now(), client.maxAge);
        key = found.key;
        if (client.refresh) break;
        if (found.entry !== undefined) return hit(exchange, sink, found.entry, headOnly);
        if (client.onlyIfCached) return answerNotCached(exchange, sink);
        const flight = waited ? undefined : flights.waitFor(key);
        if (flight === undefined) break;
        waited = true;
        const outcome = await flight;
        // The flight's response serves this request if it is the variant this request selects.
        if (outcome !== null && variantKey(primary, outcome.varyNames, req.headers) === outcome.key && (client.maxAge === null || outcome.initialAge <= client.maxAge)) {
          return hit(exchange, sink, outcome, headOnly);
        }
        // Otherwise look again (the Vary it learnt may point to another stored variant), then fetch.
      }

      exchange.cacheStatus = "miss";
      // A HEAD's answer has no body to fill an entry with, and a Range request's may be partial.
      if (client.noStore || headOnly || req.headers.range !== undefined) return forward(sink);
      // A request that waited already, or refreshes while another fetch runs, fetches on its own:
      // making the others queue behind it again would serialise an uncacheable key.
      const land = waited || flights.waitFor(key) !== undefined ? null : flights.lead(key);
      const facts = { authorization: req.headers.authorization !== undefined, shared: consumerScope === null || consumerScope === "" };
      // The head of a response being kept, until its body has ended.
      let kept: { status: number; headers: HeaderMap; receivedAt: number; decision: Storable } | null = null;
      const recording = new RecordingSink(sink, config.maxEntryBytes, {
        head(status, headers) {
          const decision = storability(status, headers, facts, rules);
          if (decision.store) {
            kept = { status, headers, receivedAt: Date.now(), decision };
            return true;
          }
          // Waiters need not wait for the body of a response they cannot use.
          land?.(null);
          return false;
        },
        done(body) {
          const head = kept;
          if (body === null || head === null) return land?.(null);
          const entry = createEntry({
            key: variantKey(primary, head.decision.varyNames, req.headers),
            status: head.status,
            headers: head.headers,
            body,
            storedAt: head.receivedAt,
            initialAge: head.decision.initialAge,
            freshSeconds: head.decision.freshSeconds,
            varyNames: head.decision.varyNames,
            requestId: exchange.requestId,
          });
          land?.(store.put(primary, entry) ? entry : null);
        },
      });
      try {
        await forward(recording);
      } finally {
        // No head (the upstream failed) or the client went away: waiters fetch for themselves.
        recording.cancel();
        land?.(null);
      }
    },
  };
}

/** `only-if-cached` on a miss: 504, as RFC 9111 §5.2.1.7 says. */
function answerNotCached(exchange: Exchange, sink: ResponseSink): void {
  exchange.cacheStatus = "miss";
  const reply = problem("gateway-timeout", "the request asked for a cached response only (only-if-cached), and none is stored");
  const body = Buffer.from(reply.body);
  const headers = copyHeaders(reply.headers);
  headers["content-length"] = String(body.length);
  sink.head(reply.status, headers);
  sink.data(body);
  sink.end();
}
