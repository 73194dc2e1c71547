/**
 * The gateway's span of each request (OpenTelemetry kind SERVER, named and attributed after
 * the HTTP semantic conventions): it continues the caller's W3C trace or starts one, is the
 * parent the upstream sees in its traceparent, and, when sampled, is exported at the end of
 * the log phase with what the access log records (API, operation, consumer, plan, status,
 * upstream, cache, failure). Credentials, headers other than the user agent, the query
 * string and bodies are never recorded.
 *
 * With upstream spans on (`TURNPIKE_TRACES_UPSTREAM_SPANS=true`, as Envoy's
 * `spawn_upstream_span` or Kong's `balancer` instrumentation), each attempt to reach the
 * upstream is a CLIENT span of its own under the request's, and the one the upstream sees as
 * its parent: a retry, or a failover to another target, shows as the attempts it took, each
 * with its target, status or failure and time.
 */
import type { TLSSocket } from "node:tls";
import type { Exchange } from "../../http/exchange";
import { parentTrace, randomHex } from "../../http/forwarding";
import { type FinishedSpan, SPAN_KIND_CLIENT, SPAN_KIND_SERVER } from "./otlp-json";
import type { Sampler } from "./sampler";

/** The gateway's span of one request, decided when the request first needs it. */
export interface GatewaySpan {
  readonly traceId: string;
  readonly spanId: string;
  /** The caller's span id, or null when the gateway started the trace. */
  readonly parentSpanId: string | null;
  readonly sampled: boolean;
  /** The caller's `tracestate`, passed on unchanged; null when none or a new trace. */
  readonly traceState: string | null;
  /** Where the request's upstream attempts are recorded as spans of their own; null when they are not (unsampled, or upstream spans off). */
  readonly attempts: AttemptRecorder | null;
}

/** One try to reach the upstream, as its CLIENT span records it. */
export interface UpstreamAttempt {
  /** The attempt's span id (16 hex digits), the parent the upstream was told of. */
  readonly spanId: string;
  readonly method: string;
  /** The target's host name or address, and port. */
  readonly address: string;
  readonly port: number;
  /** The request's URL at the target, without its query string. */
  readonly url: string;
  /** 0 for the first try, 1 for the first retry, ... */
  readonly resendCount: number;
  /** `performance.now()` when the attempt began, and when its answer ended (before the client's did) or it failed. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** The upstream's status, 0 when none came. */
  readonly status: number;
  /** Why the attempt failed without an answer to pass on (`connect-failure`, `timeout`, ...), with the detail; null when it did not. */
  readonly failure: { readonly kind: string; readonly message: string } | null;
}

export interface AttemptRecorder {
  endAttempt(parent: GatewaySpan, attempt: UpstreamAttempt): void;
}

/** Where finished spans go (the batching OTLP exporter). */
export interface SpanSink {
  add(span: FinishedSpan): void;
}

/** User agents longer than this are cut: a client controls it, and a span is not a log of its text. */
const MAX_USER_AGENT = 256;
/** How often the wall clock is read again to map monotonic times to it, ms. */
const CLOCK_ANCHOR_MS = 10_000;

export class Tracer implements AttemptRecorder {
  private anchorWallMs = 0;
  private anchorMonotonicMs = Number.NEGATIVE_INFINITY;

  constructor(
    readonly sampler: Sampler,
    private readonly sink: SpanSink,
    /** Each upstream attempt a CLIENT span of its own. @default false */
    readonly upstreamSpans = false,
  ) {}

  /** The exchange's span, decided on first use (forwarding needs it before the log phase). */
  spanOf(exchange: Exchange): GatewaySpan {
    if (exchange.span !== null) return exchange.span;
    const headers = exchange.req.headers;
    const parent = parentTrace(headers.traceparent);
    const traceId = parent?.traceId ?? randomHex(16);
    const sampled = this.sampler.sampled(traceId, parent === null ? null : (Number.parseInt(parent.flags, 16) & 1) === 1);
    const traceState = parent === null ? null : headers.tracestate;
    exchange.span = {
      traceId,
      spanId: randomHex(8),
      parentSpanId: parent?.parentId ?? null,
      sampled,
      traceState: traceState === undefined || traceState === null ? null : Array.isArray(traceState) ? traceState.join(",") : traceState,
      attempts: sampled && this.upstreamSpans ? this : null,
    };
    return exchange.span;
  }

  /** Ends the exchange's span; a sampled one goes to the exporter. */
  end(exchange: Exchange, elapsedMs: number): void {
    const span = this.spanOf(exchange);
    if (!span.sampled) return;
    const req = exchange.req;
    const route = exchange.route;
    const method = req.method ?? "GET";
    const template = route.operation?.route ?? null;
    const status = exchange.status || 499;
    const url = exchange.url;
    const query = url.indexOf("?");
    const host = req.headers.host ?? "";
    const portAt = host.lastIndexOf(":");
    const hasPort = portAt > host.lastIndexOf("]");
    const userAgent = req.headers["user-agent"];
    const startUnixMicros = this.wallMicros(exchange.startedAt);
    this.sink.add({
      traceId: span.traceId,
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      remoteParent: span.parentSpanId !== null,
      traceState: span.traceState,
      name: template === null ? method : `${method} ${template}`,
      kind: SPAN_KIND_SERVER,
      startUnixMicros,
      endUnixMicros: startUnixMicros + elapsedMs * 1000,
      attributes: {
        "http.request.method": method,
        "http.route": template,
        "http.response.status_code": status,
        "url.path": query < 0 ? url : url.slice(0, query),
        "url.scheme": (req.socket as TLSSocket).encrypted ? "https" : "http",
        "server.address": host === "" ? null : hasPort ? host.slice(0, portAt) : host,
        "server.port": hasPort ? Number(host.slice(portAt + 1)) || null : null,
        "client.address": exchange.clientIp,
        "network.protocol.version": req.httpVersion,
        "user_agent.original": userAgent === undefined ? null : userAgent.length > MAX_USER_AGENT ? userAgent.slice(0, MAX_USER_AGENT) : userAgent,
        "error.type": status >= 500 ? String(status) : null,
        "turnpike.api": route.apiId,
        "turnpike.operation": route.operationId,
        "turnpike.consumer": exchange.consumer?.name ?? null,
        "turnpike.plan": exchange.subscription?.plan ?? null,
        "turnpike.request_id": exchange.requestId,
        "turnpike.upstream.target": exchange.upstreamTarget,
        "turnpike.cache": exchange.cacheStatus,
        "turnpike.failure": exchange.failure,
      },
      // Server spans: only 5xx is an error (a 4xx is the client's, OpenTelemetry's HTTP conventions).
      error: status >= 500 ? (exchange.failure ?? `answered ${status}`) : null,
    });
  }

  /** Ends an upstream attempt's CLIENT span (HTTP client semantic conventions), a child of the request's. */
  endAttempt(parent: GatewaySpan, attempt: UpstreamAttempt): void {
    const status = attempt.status;
    const startUnixMicros = this.wallMicros(attempt.startedAt);
    const failure = attempt.failure;
    this.sink.add({
      traceId: parent.traceId,
      spanId: attempt.spanId,
      parentSpanId: parent.spanId,
      remoteParent: false,
      traceState: parent.traceState,
      name: attempt.method,
      kind: SPAN_KIND_CLIENT,
      startUnixMicros,
      endUnixMicros: startUnixMicros + (attempt.endedAt - attempt.startedAt) * 1000,
      attributes: {
        "http.request.method": attempt.method,
        "server.address": attempt.address,
        "server.port": attempt.port,
        "url.full": attempt.url,
        "network.protocol.version": "1.1",
        "http.response.status_code": status === 0 ? null : status,
        "http.request.resend_count": attempt.resendCount === 0 ? null : attempt.resendCount,
        // A status says what went wrong where there is one (a 503 given back for a retry too).
        "error.type": status >= 400 ? String(status) : (failure?.kind ?? null),
      },
      // Client spans: 4xx is an error too (OpenTelemetry's HTTP conventions).
      error: status >= 400 ? `answered ${status}` : (failure?.message ?? null),
    });
  }

  /**
   * A `performance.now()` time as wall-clock microseconds. The monotonic clock and the wall
   * clock drift apart over days (`performance.timeOrigin` + now() can be minutes off on a
   * long-running process), so the mapping is read again every ten seconds.
   */
  private wallMicros(monotonicMs: number): number {
    const now = performance.now();
    if (now - this.anchorMonotonicMs > CLOCK_ANCHOR_MS) {
      this.anchorWallMs = Date.now();
      this.anchorMonotonicMs = now;
    }
    return Math.round((this.anchorWallMs + (monotonicMs - this.anchorMonotonicMs)) * 1000);
  }
}
