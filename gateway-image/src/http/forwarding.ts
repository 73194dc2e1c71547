/**
 * Proxy semantics at the boundary: who the client is (behind trusted proxies), the request
 * id and trace context, and the headers the upstream and the client see. Hop-by-hop headers
 * (RFC 9110 §7.6.1) never cross the gateway in either direction.
 */
import { randomFillSync, randomUUID } from "node:crypto";
import type { GatewayRequest } from "./server/message-types";
import type { TLSSocket } from "node:tls";
import { HOP_BY_HOP_HEADERS } from "../../../policies/common";
import type { HeaderMap } from "./exchange";
import { type IpRanges, normalizeAddress } from "./ip-ranges";
import type { GatewaySpan } from "../observability/tracing/tracer";

export const HOP_BY_HOP = new Set<string>(HOP_BY_HOP_HEADERS);
/**
 * Headers only the gateway may assert to an upstream: a client-supplied RFC 9440 certificate
 * would otherwise look verified wherever no mtls policy replaces it (e.g. public operations).
 */
const GATEWAY_ASSERTED = new Set(["client-cert", "client-cert-chain"]);
/**
 * Request headers the gateway itself honoured: Node's server answers `Expect: 100-continue`
 * before the body is read, so the upstream must not wait to send one too.
 */
const ANSWERED_HERE = new Set(["expect"]);
const VIA = "1.1 turnpike";
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
/**
 * W3C Trace Context `traceparent`: version, trace id, parent id, flags. A version above 00
 * (never ff) may carry more fields after another dash, and is read as 00 where it agrees
 * (the specification's rule for versions a reader does not know).
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = "00000000000000000000000000000000";
const ZERO_PARENT_ID = "0000000000000000";

/** The trace to carry on from a client's traceparent, or null to start a trace (absent or invalid). */
export function parentTrace(value: string | string[] | undefined): { readonly traceId: string; readonly parentId: string; readonly flags: string } | null {
  const parts = typeof value === "string" ? TRACEPARENT.exec(value) : null;
  if (parts === null) return null;
  const [, version, traceId, parentId, flags, more] = parts;
  if (version === "ff" || (version === "00" && more !== undefined) || traceId === ZERO_TRACE_ID || parentId === ZERO_PARENT_ID) return null;
  return { traceId: traceId!, parentId: parentId!, flags: flags! };
}

/** Who sent a request: the TCP peer, whether it is a trusted proxy, and the client behind it. */
export interface RequestOrigin {
  /** The TCP peer's address. */
  readonly peer: string;
  /** Whether the peer is a trusted proxy (its X-Forwarded-* headers are believed). */
  readonly peerTrusted: boolean;
  /**
   * The client's address: the peer, or, behind trusted proxies, the nearest untrusted
   * address in X-Forwarded-For (read from the right, as each proxy appends).
   */
  readonly client: string;
}

/** Works out a request's origin once; routing, limits, logs and forwarding all use it. */
export function requestOrigin(req: GatewayRequest, trustedProxies: IpRanges): RequestOrigin {
  const peer = normalizeAddress(req.socket.remoteAddress ?? "");
  if (trustedProxies.empty || !trustedProxies.contains(peer)) return { peer, peerTrusted: false, client: peer };
  const forwardedFor = req.headers["x-forwarded-for"];
  if (forwardedFor !== undefined) {
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor).split(",");
    for (let index = hops.length - 1; index >= 0; index--) {
      const hop = normalizeAddress(hops[index]!.trim());
      if (hop !== "" && !trustedProxies.contains(hop)) return { peer, peerTrusted: true, client: hop };
    }
  }
  return { peer, peerTrusted: true, client: peer };
}

/**
 * A request id as `requestIdOf` made it: 1–128 characters of `[A-Za-z0-9._:@/+=-]`, none of
 * which JSON escapes, so the access log writes it between quotes as it is (testing it there
 * again cost ~700 instructions a request, callgrind).
 */
export type RequestId = string & { readonly __brand: "RequestId" };

/** The request id: the client's when it sent a sane one, a new one otherwise. */
export function requestIdOf(req: Pick<GatewayRequest, "headers">, header: string): RequestId {
  const sent = req.headers[header];
  return (typeof sent === "string" && REQUEST_ID.test(sent) ? sent : randomUUID()) as RequestId;
}

/**
 * Headers for the upstream: the client's minus hop-by-hop ones, with X-Forwarded-For/
 * Proto/Host, Forwarded (RFC 7239), Via, the request id, and a W3C traceparent.
 *
 * With tracing on (`span`), the traceparent names the gateway's span as the parent, in the
 * client's trace or a new one, with the gateway's sampling decision. With tracing off, the
 * gateway takes no part in the trace: a client's valid traceparent goes on as it came (a span
 * id of the gateway's that no tracer ever reports would leave a hole between the client's
 * span and the upstream's), and a request without one starts a trace, unsampled, so that the
 * upstreams behind one request still share a trace id.
 */
export function upstreamRequestHeaders(req: GatewayRequest, origin: RequestOrigin, options: { requestIdHeader: string; requestId: string; span: GatewaySpan | null }): HeaderMap {
  const source = req.headers;
  const dropped = connectionTokens(source.connection);
  const headers: HeaderMap = {};
  for (const name in source) {
    if (HOP_BY_HOP.has(name) || GATEWAY_ASSERTED.has(name) || ANSWERED_HERE.has(name) || (dropped !== null && dropped.has(name))) continue;
    headers[name] = source[name];
  }
  const { peer, peerTrusted } = origin;
  const proto = (req.socket as TLSSocket).encrypted ? "https" : "http";
  const host = source.host ?? "";
  const previousFor = source["x-forwarded-for"];
  headers["x-forwarded-for"] = previousFor ? `${Array.isArray(previousFor) ? previousFor.join(", ") : previousFor}, ${peer}` : peer;
  // A client that is not a trusted proxy does not get to say what the original scheme and host were.
  if (!peerTrusted || source["x-forwarded-proto"] === undefined) headers["x-forwarded-proto"] = proto;
  if (!peerTrusted || source["x-forwarded-host"] === undefined) headers["x-forwarded-host"] = host;
  const forwardedElement = `for=${peer.includes(":") ? `"[${peer}]"` : peer};proto=${proto}${host ? `;host="${host.replace(/["\\]/g, "")}"` : ""}`;
  // Only a trusted proxy's Forwarded elements go on: upstreams commonly read host and proto
  // from the first element, which an untrusted client would otherwise write (X-Forwarded-Host
  // and -Proto are replaced for the same reason; X-Forwarded-For is appended to, as nginx and
  // Envoy do, and read from the right).
  const previousForwarded = peerTrusted ? source.forwarded : undefined;
  headers.forwarded = previousForwarded ? `${previousForwarded}, ${forwardedElement}` : forwardedElement;
  headers.via = source.via ? `${source.via}, ${VIA}` : VIA;
  headers[options.requestIdHeader] = options.requestId;
  const span = options.span;
  if (span !== null) {
    headers.traceparent = `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`;
    // undici skips undefined values; `delete` would turn the object into a slow dictionary.
    if (span.parentSpanId === null) headers.tracestate = undefined;
  } else if (parentTrace(source.traceparent) === null) {
    headers.traceparent = `00-${randomHex(16)}-${randomHex(8)}-00`;
    headers.tracestate = undefined;
  }
  return headers;
}

/** Random bytes for trace and span ids, filled 4 KiB at a time rather than per request. */
const randomPool = Buffer.alloc(4096);
let randomOffset = randomPool.length;

/** `bytes` random bytes as lower-case hex (W3C trace ids: 16 bytes, span ids: 8). */
export function randomHex(bytes: number): string {
  if (randomOffset + bytes > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  const hex = randomPool.toString("hex", randomOffset, randomOffset + bytes);
  randomOffset += bytes;
  return hex;
}

/**
 * Removes hop-by-hop headers from a response and adds Via. Upstream answers come without
 * them already (see headersFromRaw); this guards every other producer (cache, policies), and
 * deletes only what is there, since a delete slows the object down for the rest of its life.
 */
export function cleanResponseHeaders(headers: HeaderMap): void {
  const dropped = headers.connection === undefined ? null : connectionTokens(headers.connection);
  for (const name of HOP_BY_HOP) if (headers[name] !== undefined) delete headers[name];
  if (dropped !== null) for (const name of dropped) delete headers[name];
  const via = headers.via;
  headers.via = via ? `${Array.isArray(via) ? via.join(", ") : via}, ${VIA}` : VIA;
}

/** Header names listed in a Connection header besides `close` and `keep-alive`; null when none. */
export function connectionTokens(value: string | string[] | undefined): Set<string> | null {
  if (value === undefined || value === "keep-alive" || value === "close") return null;
  const tokens = (Array.isArray(value) ? value.join(",") : value).split(",").map((token) => token.trim().toLowerCase()).filter((token) => token !== "" && token !== "close" && token !== "keep-alive");
  return tokens.length === 0 ? null : new Set(tokens);
}
