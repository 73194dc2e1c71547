/**
 * An API's upstream: its target groups, balancing, retries with a budget, per-try and total
 * timeouts, circuit breaking, outlier ejection, active health checks and failover. Bodies
 * are streamed both ways with backpressure; nothing is buffered unless a policy asked.
 */
import type { GatewayRequest } from "../http/server/message-types";
import type { UpstreamConfig } from "../../../constructs/upstream";
import type { Exchange, HeaderMap } from "../http/exchange";
import { HOP_BY_HOP, connectionTokens, randomHex } from "../http/forwarding";
import { type Balancer, createBalancer } from "./balancer";
import { HealthChecker } from "./health-checker";
import type { UpstreamRequest, UpstreamResponseHandler } from "./http1-pool";
import type { PoolOptions, PoolRegistry } from "./pool-registry";
import { Target } from "./target";

/** Where a response goes: the client's socket, or a cache teeing it. */
export interface ResponseSink {
  /** Writes the status line and headers; `headers` may still be changed by the sink. */
  head(status: number, headers: HeaderMap): void;
  /** Writes a chunk; `false` asks the producer to wait for `onDrain`. */
  data(chunk: Buffer): boolean;
  end(): void;
  /** Calls `resume` once the sink can take more. */
  onDrain(resume: () => void): void;
  /** The client went away: stop producing. */
  readonly closed: boolean;
  /** Fails the response after its head was sent (the connection is cut). */
  abort(error: Error): void;
}

export type FailureKind = "connect-failure" | "reset" | "timeout" | "retryable-status" | "no-target" | "client-aborted";

/** The upstream could not produce a response head; `kind` decides the problem sent. */
export class UpstreamError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
/** Envoy's min_retry_concurrency: retries always allowed up to this many at once. */
const MIN_RETRY_CONCURRENCY = 3;

export class Upstream {
  readonly primary: readonly Target[];
  readonly failover: readonly Target[];
  private readonly balance: Balancer;
  private readonly healthChecker: HealthChecker | null;
  private readonly poolOptions: PoolOptions;
  private active = 0;
  private retrying = 0;
  private readonly retryOn: ReadonlySet<string>;

  constructor(
    readonly config: UpstreamConfig,
    private readonly pools: PoolRegistry,
    ca: string | null,
  ) {
    this.poolOptions = { connections: config.maxConnectionsPerTarget, connectTimeoutMs: config.connectTimeoutMs, ca };
    const build = (group: UpstreamConfig["targets"]) =>
      group.map((target) => {
        const origin = new URL(target.url).origin;
        return new Target(target.url, target.weight, pools.acquire(origin, this.poolOptions), config);
      });
    this.primary = build(config.targets);
    this.failover = build(config.failover);
    this.balance = createBalancer(config.loadBalancing);
    this.retryOn = new Set(config.retries.retryOn);
    this.healthChecker = config.healthCheck ? new HealthChecker(config.healthCheck, [...this.primary, ...this.failover]) : null;
  }

  /**
   * Sends the exchange's upstream request and streams the answer into `sink`. Rejects with
   * an UpstreamError when no response head could be obtained.
   */
  async forward(exchange: Exchange, body: Buffer | GatewayRequest | null, sink: ResponseSink): Promise<void> {
    const method = exchange.req.method ?? "GET";
    // A streamed body can be sent once; a buffered or absent one can be sent again.
    const replayable = body === null || Buffer.isBuffer(body);
    const mayRetry = IDEMPOTENT_METHODS.has(method) && replayable && this.config.retries.maxRetries > 0;
    const deadline = performance.now() + this.config.timeoutMs;
    // Allocated on the first retry only: most requests are tried once.
    let tried: Set<Target> | null = null;
    let previous: Target | null = null;
    this.active++;
    try {
      for (let attempt = 0; ; attempt++) {
        const now = Date.now();
        if (previous !== null) (tried ??= new Set()).add(previous);
        const target = this.pick(now, tried);
        if (target === null) throw new UpstreamError("no-target", "no upstream target is available (all unhealthy, ejected or with an open circuit)");
        previous = target;
        const remaining = deadline - performance.now();
        if (remaining <= 0) throw new UpstreamError("timeout", `no answer within ${this.config.timeoutMs} ms`);
        const perTry = Math.min(this.config.perTryTimeoutMs, remaining);
        const canRetryNow = mayRetry && attempt < this.config.retries.maxRetries && this.retryBudgetAllows();
        const outcome = await this.attempt(exchange, target, method, body, sink, perTry, canRetryNow, attempt);
        if (outcome === "done") return;
        // A failure before anything reached the client: retry it if the policy says so.
        if (!canRetryNow || !(outcome.kind === "retryable-status" || this.retryOn.has(outcome.kind))) throw outcome;
        this.retrying++;
        try {
          const backoff = Math.min(this.config.retries.backoffBaseMs * 2 ** attempt, this.config.retries.backoffMaxMs);
          await delay(backoff / 2 + (Math.random() * backoff) / 2);
        } finally {
          this.retrying--;
        }
      }
    } finally {
      this.active--;
    }
  }

  /** Stops health checks and gives the pools back. */
  close(): void {
    this.healthChecker?.stop();
    for (const target of [...this.primary, ...this.failover]) this.pools.release(target.origin, this.poolOptions);
  }

  private pick(nowMs: number, tried: ReadonlySet<Target> | null): Target | null {
    // The common case, one target up and a first try: no arrays to build.
    if (tried === null && this.primary.length === 1 && this.primary[0]!.available(nowMs)) return this.primary[0]!;
    for (const group of [this.primary, this.failover]) {
      const available = group.filter((target) => target.available(nowMs));
      if (available.length === 0) continue;
      // Prefer targets not tried yet in this request; fall back to the tried ones.
      const fresh = tried === null ? available : available.filter((target) => !tried.has(target));
      return this.balance(fresh.length > 0 ? fresh : available);
    }
    return null;
  }

  private retryBudgetAllows(): boolean {
    return this.retrying < Math.max(MIN_RETRY_CONCURRENCY, (this.active * this.config.retries.budgetPercent) / 100);
  }

  /**
   * One try against one target. Resolves "done" when the response went (or is going) to the
   * sink, or with the UpstreamError to retry on when nothing reached the client yet.
   */
  private attempt(
    exchange: Exchange,
    target: Target,
    method: string,
    body: Buffer | GatewayRequest | null,
    sink: ResponseSink,
    timeoutMs: number,
    retryable: boolean,
    resendCount: number,
  ): Promise<"done" | UpstreamError> {
    exchange.upstreamTarget = target.url;
    const headers = exchange.upstreamHeaders;
    if (this.config.hostHeader === "target") headers.host = target.host;
    const query = exchange.upstreamQuery;
    const path = `${target.pathPrefix}${exchange.upstreamPath}`;
    // Recorded as a span of its own: the upstream is told this attempt is its parent.
    const span = exchange.span;
    const attempts = span === null ? null : span.attempts;
    const attemptSpanId = attempts === null ? "" : randomHex(8);
    if (attempts !== null) headers.traceparent = `00-${span!.traceId}-${attemptSpanId}-01`;
    const options: UpstreamRequest = {
      path: query === "" ? path : `${path}?${query}`,
      method,
      headers,
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: this.config.timeoutMs,
    };
    return new Promise((resolve) => {
      target.begin();
      const started = performance.now();
      const handler = new ForwardHandler(sink, target, started, retryable ? this.retryOn : null, (result) => {
        const failed = result !== "done" || handler.status >= 500;
        const now = Date.now();
        const ended = performance.now();
        target.end(failed ? "failure" : "success", ended - started, now);
        if (failed) target.considerEjection(now, this.ejectionAllowed(now));
        if (attempts !== null) {
          const cutOff = handler.cutOff;
          const failure = result !== "done" ? result : cutOff === null ? null : handler.clientGone ? new UpstreamError("client-aborted", "the client closed the connection") : classify(cutOff, target, ended - started);
          attempts.endAttempt(span!, {
            spanId: attemptSpanId,
            method,
            address: target.address,
            port: target.port,
            url: `${target.origin}${path}`,
            resendCount,
            startedAt: started,
            endedAt: ended,
            status: handler.status,
            failure: failure === null ? null : { kind: failure.kind, message: failure.message },
          });
        }
        resolve(result);
      });
      target.pool.dispatch(options, handler);
    });
  }

  private ejectionAllowed(nowMs: number): boolean {
    const detection = this.config.outlierDetection;
    if (detection === null) return false;
    const ejected = this.primary.filter((target) => target.isEjected(nowMs)).length;
    return ((ejected + 1) / this.primary.length) * 100 <= detection.maxEjectionPercent;
  }
}

/**
 * Streams one upstream response into the sink, through the core handler interface both
 * upstream clients speak (onConnect/onHeaders/onData/onComplete/onError): raw headers come
 * straight from the parser.
 */
class ForwardHandler implements UpstreamResponseHandler {
  status = 0;
  /** Why the answer failed after its head went to the client (and the connection was cut); null when it did not. */
  cutOff: Error | null = null;
  /** Whether the client had already gone when the answer was cut off (read before the cut, which closes the sink). */
  clientGone = false;
  private headSent = false;
  private settled = false;
  private abortRequest: ((reason?: Error) => void) | null = null;
  private resume: (() => void) | null = null;

  constructor(
    private readonly sink: ResponseSink,
    private readonly target: Target,
    private readonly started: number,
    /** Failures to give back for a retry instead of answering, or null when no retry is possible. */
    private readonly retryOn: ReadonlySet<string> | null,
    private readonly settle: (result: "done" | UpstreamError) => void,
  ) {}

  onConnect(abort: (reason?: Error) => void): void {
    this.abortRequest = abort;
  }

  onHeaders(statusCode: number, rawHeaders: ReadonlyArray<string | Buffer>, resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx informational answers are not forwarded
    this.status = statusCode;
    this.resume = resume;
    if (this.retryOn !== null && statusCode >= 502 && statusCode <= 504 && this.retryOn.has(String(statusCode))) {
      this.finish(new UpstreamError("retryable-status", `upstream answered ${statusCode}`));
      this.abortRequest?.(new RetryableStatus(statusCode));
      return false;
    }
    if (this.sink.closed) {
      this.abortRequest?.(new Error("client closed the connection"));
      return false;
    }
    let headers: HeaderMap;
    try {
      headers = headersFromRaw(rawHeaders);
    } catch (error) {
      if (!(error instanceof UnsupportedTransferCoding)) throw error;
      const detail = `${this.target.origin} answered with the transfer coding "${error.coding}", which the gateway does not decode`;
      this.finish(new UpstreamError("reset", detail));
      this.abortRequest?.(new Error(detail));
      return false;
    }
    this.headSent = true;
    this.sink.head(statusCode, headers);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (!this.headSent) return true;
    if (this.sink.closed) {
      this.abortRequest?.(new Error("client closed the connection"));
      return false;
    }
    if (this.sink.data(chunk)) return true;
    this.sink.onDrain(this.resume!);
    return false;
  }

  onComplete(): void {
    // Settled first: the attempt ends when its answer has arrived, before the client's is ended
    // (whatever the settling does, the client's answer is ended).
    try {
      this.finish("done");
    } finally {
      if (this.headSent) this.sink.end();
    }
  }

  onError(error: Error): void {
    if (error instanceof RetryableStatus) return;
    if (this.headSent) {
      // Part of the answer already went out: the only honest thing left is to cut the connection.
      this.cutOff = error;
      this.clientGone = this.sink.closed;
      this.sink.abort(error);
      this.finish("done");
      return;
    }
    this.finish(classify(error, this.target, performance.now() - this.started));
  }

  private finish(result: "done" | UpstreamError): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(result);
  }
}

/**
 * The first transfer coding in a Transfer-Encoding value other than chunked (`gzip, chunked`
 * → `gzip`), or null. Both clients' parsers undo the chunked framing only, and
 * Transfer-Encoding is hop-by-hop, so such a body would reach the client still coded with
 * nothing saying so; nginx answers 502 to these too.
 */
export function otherTransferCoding(value: string): string | null {
  for (const item of value.split(",")) {
    const coding = item.trim().toLowerCase();
    if (coding !== "chunked" && coding !== "") return coding;
  }
  return null;
}

/** An answer `headersFromRaw` cannot pass on faithfully (see otherTransferCoding). */
class UnsupportedTransferCoding extends Error {
  constructor(readonly coding: string) {
    super(`unsupported transfer coding ${coding}`);
  }
}

/**
 * Raw `[name, value, name, value, ...]` headers (strings from the native parser, Buffers
 * from undici) as a map; repeated names become
 * lists. Hop-by-hop headers are left out here rather than deleted later: deleting a property
 * turns the object into a slow dictionary for every step after, down to Node's writeHead.
 * Throws UnsupportedTransferCoding for a coding other than chunked (the same pass reads it).
 */
function headersFromRaw(raw: ReadonlyArray<string | Buffer>): HeaderMap {
  const headers: HeaderMap = {};
  let connection: string | undefined;
  for (let index = 0; index < raw.length; index += 2) {
    const rawName = raw[index]!;
    const rawValue = raw[index + 1]!;
    const name = (typeof rawName === "string" ? rawName : rawName.toString("latin1")).toLowerCase();
    const value = typeof rawValue === "string" ? rawValue : rawValue.toString("latin1");
    if (HOP_BY_HOP.has(name)) {
      if (name === "connection") connection = connection === undefined ? value : `${connection}, ${value}`;
      else if (name === "transfer-encoding") {
        const coding = otherTransferCoding(value);
        if (coding !== null) throw new UnsupportedTransferCoding(coding);
      }
      continue;
    }
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else headers[name] = [existing, value];
  }
  // Headers the upstream named in Connection are hop-by-hop too (RFC 9110 §7.6.1); rare.
  const named = connectionTokens(connection);
  if (named !== null) for (const name of named) delete headers[name];
  return headers;
}

class RetryableStatus extends Error {
  constructor(readonly status: number) {
    super(`retryable status ${status}`);
  }
}

function classify(error: Error, target: Target, elapsedMs: number): UpstreamError {
  const code = (error as NodeJS.ErrnoException).code ?? "";
  switch (code) {
    case "UND_ERR_HEADERS_TIMEOUT":
      return new UpstreamError("timeout", `${target.origin} sent no response headers within ${Math.round(elapsedMs)} ms`);
    case "UND_ERR_BODY_TIMEOUT":
      return new UpstreamError("timeout", `${target.origin} stopped sending the response body (${Math.round(elapsedMs)} ms after the request)`);
    case "UND_ERR_CONNECT_TIMEOUT":
    case "ECONNREFUSED":
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return new UpstreamError("connect-failure", `cannot connect to ${target.origin} (${code})`);
    case "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH":
    case "ECONNABORTED":
      return new UpstreamError("client-aborted", "the client's request body ended early");
    default:
      return new UpstreamError("reset", `connection to ${target.origin} failed (${code || error.message})`);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
