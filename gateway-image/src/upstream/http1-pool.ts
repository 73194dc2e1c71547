/**
 * HTTP/1.1 keep-alive connections to one upstream origin, parsed by Node's own native llhttp
 * (the `HTTPParser` binding node:http itself runs on), fed straight from the socket's handle.
 *
 * Why not undici here: on this machine undici's client costs ~7 µs of the ~36 µs a bare
 * node:http proxy spends per request (BENCHMARKS.md): its wasm parser called back through
 * JS, a `Request` that re-validates every header value the gateway built, and a
 * `setImmediate` before each keep-alive reuse. This pool writes the request head as one
 * string and lets the native parser call back once per response part. undici stays the
 * fallback when the binding is not there (`createConnectionPool`), and serves health checks.
 *
 * What it does, as a proxy's upstream client must: one request per connection at a time
 * (no pipelining), up to `connections` connections then a FIFO queue; bodies streamed both
 * ways with backpressure; Content-Length or chunked request framing; 1xx answers skipped;
 * HEAD answers read without a body; connections reused only after a complete exchange the
 * upstream agreed to keep alive, and dropped before the upstream's own `Keep-Alive: timeout`
 * ends them; connect, response-head and body-inactivity timeouts.
 */
import type { GatewayRequest } from "../http/server/message-types";
import * as net from "node:net";
import * as tls from "node:tls";
import type { HeaderMap } from "../http/exchange";
import { type NativeParser, type ParserBinding, nativeParser, releaseParser } from "../http/native-parser";
import { INVALID_HEADER_VALUE, TOKEN, isHeaderName } from "../http/header-syntax";

export { nativeParser };

/** What one upstream request needs. */
export interface UpstreamRequest {
  readonly method: string;
  /** Path with query string, as sent on the request line. */
  readonly path: string;
  /** Headers to send; `undefined` values are skipped. Framing headers are the pool's. */
  readonly headers: HeaderMap;
  /** The body: buffered, streamed from the client, or none. */
  readonly body: Buffer | GatewayRequest | null;
  /** Milliseconds to wait for the response head once the request is on a connection; 0: none. */
  readonly headersTimeout: number;
  /** Milliseconds of silence allowed between response body chunks; 0: none. */
  readonly bodyTimeout: number;
}

/**
 * Receives one response (undici's core handler shape, so the gateway's handler works with
 * either client). Raw headers alternate name and value, names in the upstream's case.
 */
export interface UpstreamResponseHandler {
  onConnect(abort: (reason?: Error) => void): void;
  /** Returns false to stop reading until `resume` is called. */
  onHeaders(status: number, rawHeaders: ReadonlyArray<string | Buffer>, resume: () => void): boolean;
  /** Returns false to stop reading until the `resume` given to onHeaders is called. */
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  onError(error: Error): void;
}

/** A connection pool to one origin. */
export interface ConnectionPool {
  dispatch(request: UpstreamRequest, handler: UpstreamResponseHandler): void;
  /** Lets requests in flight finish, then closes every connection. */
  close(): Promise<void>;
}

export interface Http1PoolOptions {
  /** Most connections open at once; more requests wait in line. */
  readonly connections: number;
  /** Milliseconds to establish a connection (TCP and TLS). */
  readonly connectTimeoutMs: number;
  /** PEM bundle for https origins signed by a private CA; null: the system CAs. */
  readonly ca: string | null;
  /** Longest an idle connection is kept, in milliseconds, when the upstream says nothing shorter. */
  readonly keepAliveTimeoutMs: number;
}

/** An error with a code the upstream classifier knows (undici's codes where one exists). */
export class UpstreamClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Methods whose request has a body by definition: an absent one is sent as `content-length: 0`. */
const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);
/** Spare this much of the upstream's announced keep-alive timeout, as undici does. */
const KEEP_ALIVE_MARGIN_MS = 1000;
const SWEEP_INTERVAL_MS = 1000;

/** An HTTP/1.1 pool on the native parser. */
export class Http1Pool implements ConnectionPool {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  /** `host[:port]` for requests that carry no Host header. */
  readonly authority: string;
  private readonly idle: Http1Connection[] = [];
  private readonly all = new Set<Http1Connection>();
  private readonly waiting: Array<{ request: UpstreamRequest; handler: UpstreamResponseHandler }> = [];
  private readonly sweeper: NodeJS.Timeout;
  private closing: (() => void) | null = null;
  private closed = false;

  constructor(
    origin: string,
    readonly options: Http1PoolOptions,
    private readonly parser: ParserBinding,
  ) {
    const url = new URL(origin);
    this.secure = url.protocol === "https:";
    this.host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    this.port = url.port === "" ? (this.secure ? 443 : 80) : Number(url.port);
    this.authority = url.host;
    this.sweeper = setInterval(() => this.sweepIdle(), SWEEP_INTERVAL_MS).unref();
  }

  dispatch(request: UpstreamRequest, handler: UpstreamResponseHandler): void {
    if (this.closed) {
      handler.onError(new UpstreamClientError("UND_ERR_CLOSED", "the upstream pool is closed"));
      return;
    }
    let connection = this.idle.pop();
    // Defensive: a connection leaves the idle list as it is destroyed, never after.
    while (connection !== undefined && !connection.usable) connection = this.idle.pop();
    if (connection !== undefined) connection.send(request, handler);
    else if (this.all.size < this.options.connections) this.open().send(request, handler);
    else this.waiting.push({ request, handler });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    clearInterval(this.sweeper);
    for (const connection of this.idle.splice(0)) connection.destroy();
    if (this.all.size === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => (this.closing = resolve));
  }

  /** Called by a connection whose exchange is over and that can carry another. */
  reuse(connection: Http1Connection): void {
    const next = this.waiting.shift();
    if (next !== undefined) connection.send(next.request, next.handler);
    else if (this.closed) connection.destroy();
    else this.idle.push(connection);
  }

  /** Called by a connection as it is destroyed: it must not be handed out again. */
  leaveIdle(connection: Http1Connection): void {
    const at = this.idle.indexOf(connection);
    if (at >= 0) this.idle.splice(at, 1);
  }

  /** Called by a connection once its socket is gone. */
  forget(connection: Http1Connection): void {
    this.all.delete(connection);
    this.leaveIdle(connection);
    // A queued request takes the freed slot.
    const next = this.waiting.shift();
    if (next !== undefined) this.open().send(next.request, next.handler);
    else if (this.closed && this.all.size === 0) this.closing?.();
  }

  /** A new socket to the origin (TLS for https). */
  connect(): net.Socket {
    const { host, port } = this;
    if (!this.secure) return net.connect({ host, port, noDelay: true });
    const socket = tls.connect({
      host,
      port,
      servername: net.isIP(host) === 0 ? host : undefined,
      ALPNProtocols: ["http/1.1"],
      ...(this.options.ca !== null ? { ca: this.options.ca } : {}),
    });
    socket.setNoDelay(true);
    return socket;
  }

  get parserBinding(): ParserBinding {
    return this.parser;
  }

  private open(): Http1Connection {
    const connection = new Http1Connection(this);
    this.all.add(connection);
    return connection;
  }

  private sweepIdle(): void {
    const now = performance.now();
    for (let index = this.idle.length - 1; index >= 0; index--) {
      const connection = this.idle[index]!;
      if (now >= connection.idleUntil) connection.destroy();
    }
  }
}

type Phase = "connecting" | "idle" | "head" | "body" | "closed";

/** One keep-alive connection and the exchange on it. */
class Http1Connection {
  private readonly socket: net.Socket;
  private parser: NativeParser | null = null;
  private readonly consumed: boolean;
  private phase: Phase = "connecting";
  private handler: UpstreamResponseHandler | null = null;
  private request: UpstreamRequest | null = null;
  /** The request went out completely (a response may come before it has). */
  private requestSent = false;
  private keepAlive = false;
  private informational = false;
  private paused = false;
  private pendingHeaders: string[] | null = null;
  /** `performance.now()` after which an idle connection is closed. */
  idleUntil = 0;
  private keepAliveMs: number;
  private readonly headersTimer = new LazyTimer((ms) => {
    if (this.phase === "head") this.fail(new UpstreamClientError("UND_ERR_HEADERS_TIMEOUT", `no response head within ${ms} ms`));
  });
  /** Silence between body chunks; stopped while the handler has paused reading. */
  private readonly bodyTimer = new LazyTimer((ms) => {
    if (this.phase === "body" && !this.paused) this.fail(new UpstreamClientError("UND_ERR_BODY_TIMEOUT", `no response data for ${ms} ms`));
  });
  private connectTimer: NodeJS.Timeout | null;
  private bodySource: GatewayRequest | null = null;

  constructor(private readonly pool: Http1Pool) {
    this.keepAliveMs = pool.options.keepAliveTimeoutMs;
    const socket = (this.socket = pool.connect());
    // Plain TCP: the parser reads the socket's handle directly, with no JS 'data' events.
    this.consumed = !pool.secure;
    if (!this.consumed) socket.on("data", (chunk: Buffer) => this.execute(chunk));
    // Flowing, so 'end' is emitted when the upstream closes (the parser takes the data).
    else socket.resume();
    socket.once(pool.secure ? "secureConnect" : "connect", () => this.onConnected());
    socket.on("end", () => this.onEnd());
    socket.on("error", (error: NodeJS.ErrnoException) => this.fail(new UpstreamClientError(error.code ?? "UND_ERR_SOCKET", error.message)));
    socket.on("close", () => this.onClose());
    socket.on("drain", () => this.bodySource?.resume());
    this.connectTimer = setTimeout(() => {
      this.fail(new UpstreamClientError("UND_ERR_CONNECT_TIMEOUT", `no connection to ${pool.authority} within ${pool.options.connectTimeoutMs} ms`));
    }, pool.options.connectTimeoutMs).unref();
  }

  /**
   * The response parser, made once the socket is connected: a connection that fails to
   * connect (every request while an upstream refuses) never needs one, and each parser is a
   * native object that outlives young-generation collections, so making it early would
   * promote it and its callbacks to the old generation with the dead socket.
   */
  private createParser(): NativeParser {
    const Parser = this.pool.parserBinding;
    const parser = new Parser();
    parser.initialize(Parser.RESPONSE, {}, 0, Parser.kLenientNone ?? 0);
    parser[Parser.kOnHeaders] = (headers: string[]) => {
      (this.pendingHeaders ??= []).push(...headers);
    };
    parser[Parser.kOnHeadersComplete] = (
      _major: number,
      _minor: number,
      headers: string[] | undefined,
      _method: unknown,
      _url: unknown,
      status: number,
      _message: string,
      upgrade: boolean,
      keepAlive: boolean,
    ) => this.onHeadersComplete(headers, status, upgrade, keepAlive);
    parser[Parser.kOnBody] = (chunk: Buffer) => this.onBody(chunk);
    parser[Parser.kOnMessageComplete] = () => this.onMessageComplete();
    parser[Parser.kOnExecute] = (result: number | Error) => {
      if (isParseError(result)) this.fail(parseError(result));
    };
    return parser;
  }

  /** Sends a request on this connection (connecting first when it is new). */
  send(request: UpstreamRequest, handler: UpstreamResponseHandler): void {
    this.handler = handler;
    this.request = request;
    this.requestSent = false;
    this.keepAlive = false;
    this.informational = false;
    handler.onConnect(this.abort);
    if (this.handler !== handler) return; // aborted from onConnect
    if (this.phase === "connecting") return; // written on connect
    this.write();
  }

  /** Whether it can carry a request (its socket is not being torn down). */
  get usable(): boolean {
    return this.phase !== "closed" && !this.socket.destroyed;
  }

  /** Tears the connection down; it leaves the pool's idle list at once, not when 'close' comes. */
  destroy(): void {
    if (this.phase === "closed") return;
    this.pool.leaveIdle(this);
    this.socket.destroy();
  }

  private readonly abort = (reason?: Error): void => {
    this.fail(reason ?? new UpstreamClientError("UND_ERR_ABORTED", "request aborted"));
  };

  private onConnected(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    if (this.phase !== "connecting") return;
    const parser = (this.parser = this.createParser());
    if (this.consumed) parser.consume((this.socket as unknown as { _handle: unknown })._handle);
    if (this.handler !== null) this.write();
    else this.makeIdle();
  }

  private write(): void {
    const request = this.request!;
    this.phase = "head";
    let head: string;
    try {
      head = requestHead(request, this.pool.authority);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    this.headersTimer.arm(request.headersTimeout);
    const body = request.body;
    const socket = this.socket;
    if (body === null) {
      socket.write(head, "latin1");
      this.requestSent = true;
    } else if (Buffer.isBuffer(body)) {
      socket.cork();
      socket.write(head, "latin1");
      if (body.length > 0) socket.write(body);
      socket.uncork();
      this.requestSent = true;
    } else {
      socket.write(head, "latin1");
      this.streamBody(body);
    }
  }

  /** Streams the client's body: as it came when its length is known, chunked otherwise. */
  private streamBody(source: GatewayRequest): void {
    const declared = source.headers["content-length"];
    const chunked = declared === undefined;
    const expected = chunked ? -1 : Number(declared);
    let sent = 0;
    this.bodySource = source;
    const socket = this.socket;
    const onData = (chunk: Buffer) => {
      // An empty chunk would read as the chunked body's last-chunk marker.
      if (this.bodySource !== source || chunk.length === 0) return;
      sent += chunk.length;
      let flowing: boolean;
      if (chunked) {
        socket.cork();
        socket.write(`${chunk.length.toString(16)}\r\n`, "latin1");
        socket.write(chunk);
        flowing = socket.write("\r\n", "latin1");
        socket.uncork();
      } else flowing = socket.write(chunk);
      if (!flowing) source.pause();
    };
    const onEnd = () => {
      if (this.bodySource !== source) return;
      detach();
      if (!chunked && sent !== expected) {
        this.fail(new UpstreamClientError("UND_ERR_REQ_CONTENT_LENGTH_MISMATCH", "the request body was shorter than its Content-Length"));
        return;
      }
      if (chunked) socket.write("0\r\n\r\n", "latin1");
      this.requestSent = true;
    };
    const onClose = () => {
      if (this.bodySource !== source || source.readableEnded) return;
      detach();
      this.fail(new UpstreamClientError("ECONNABORTED", "the client went away before its request body ended"));
    };
    const detach = () => {
      this.bodySource = null;
      source.off("data", onData);
      source.off("end", onEnd);
      source.off("close", onClose);
    };
    source.on("data", onData);
    source.on("end", onEnd);
    source.on("close", onClose);
    if (source.readableEnded) onEnd();
  }

  private onHeadersComplete(headers: string[] | undefined, status: number, upgrade: boolean, keepAlive: boolean): number {
    const handler = this.handler;
    if (handler === null) return 1;
    let raw = headers ?? [];
    if (this.pendingHeaders !== null) {
      raw = headers === undefined ? this.pendingHeaders : this.pendingHeaders.concat(headers);
      this.pendingHeaders = null;
    }
    if (status < 200) {
      if (status === 101 || upgrade) {
        this.fail(new UpstreamClientError("UND_ERR_SOCKET", "the upstream switched protocols, which a proxied request cannot"));
        return 1;
      }
      this.informational = true;
      return 1;
    }
    this.informational = false;
    this.keepAlive = keepAlive;
    if (keepAlive) this.readKeepAliveHint(raw);
    this.phase = "body";
    this.armBodyTimer();
    let go: boolean;
    try {
      go = handler.onHeaders(status, raw, this.resume);
    } catch (error) {
      this.fail(error as Error);
      return 1;
    }
    if (!go && this.handler === handler) this.pause();
    // A HEAD answer has the headers of a GET and no body, whatever Content-Length says.
    return this.request?.method === "HEAD" ? 1 : 0;
  }

  private onBody(chunk: Buffer): void {
    const handler = this.handler;
    if (handler === null || this.phase !== "body") return;
    this.bodyTimer.refresh();
    let go: boolean;
    try {
      go = handler.onData(chunk);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    if (!go && this.handler === handler) this.pause();
  }

  private onMessageComplete(): void {
    if (this.informational) {
      this.informational = false;
      return;
    }
    const handler = this.handler;
    if (handler === null || this.phase !== "body") return;
    this.handler = null;
    this.request = null;
    this.phase = "idle";
    try {
      handler.onComplete();
    } catch {
      // The answer is complete; a failure in the handler's own bookkeeping is its own.
    }
    // The request may still be streaming (an early answer): such a connection is not reusable.
    if (this.keepAlive && this.requestSent && this.bodySource === null && !this.socket.destroyed) this.makeIdle();
    else {
      this.dropBodySource();
      this.destroy();
    }
  }

  private makeIdle(): void {
    this.phase = "idle";
    if (this.paused) this.resumeReading();
    this.idleUntil = performance.now() + this.keepAliveMs;
    this.pool.reuse(this);
  }

  /** `Keep-Alive: timeout=N` (seconds): leave a margin, so the upstream never closes first. */
  private readKeepAliveHint(raw: readonly string[]): void {
    for (let index = 0; index < raw.length; index += 2) {
      const name = raw[index]!;
      if (name.length !== 10 || name.toLowerCase() !== "keep-alive") continue;
      const match = /timeout\s*=\s*(\d+)/i.exec(raw[index + 1]!);
      if (match === null) continue;
      const hinted = Number(match[1]) * 1000 - KEEP_ALIVE_MARGIN_MS;
      this.keepAliveMs = Math.max(0, Math.min(this.pool.options.keepAliveTimeoutMs, hinted));
    }
  }

  private execute(chunk: Buffer): void {
    const result = this.parser!.execute(chunk);
    if (isParseError(result)) this.fail(parseError(result));
  }

  private onEnd(): void {
    // The upstream closed its side: a response framed by the connection's end completes now.
    if (this.phase === "body") {
      const result = this.parser!.finish();
      if (isParseError(result)) {
        this.fail(parseError(result));
        return;
      }
    }
    if (this.handler !== null) this.fail(new UpstreamClientError("UND_ERR_SOCKET", "the upstream closed the connection before answering completely"));
    this.destroy();
  }

  private onClose(): void {
    if (this.handler !== null) this.fail(new UpstreamClientError("UND_ERR_SOCKET", "the upstream connection closed"));
    if (this.phase === "closed") return;
    this.phase = "closed";
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.headersTimer.dispose();
    this.bodyTimer.dispose();
    if (this.parser !== null) releaseParser(this.parser, this.consumed);
    this.pool.forget(this);
  }

  /** Stops forwarding the client's body (its listeners see they are detached) and lets the rest drain. */
  private dropBodySource(): void {
    const source = this.bodySource;
    if (source === null) return;
    this.bodySource = null;
    source.resume();
  }

  /** Ends the exchange with `error` and drops the connection (its state is unknown now). */
  private fail(error: Error): void {
    const handler = this.handler;
    this.handler = null;
    this.request = null;
    this.dropBodySource();
    this.destroy();
    if (handler !== null) {
      try {
        handler.onError(error);
      } catch {
        // nothing more can be done for this exchange
      }
    }
  }

  private readonly resume = (): void => {
    if (this.paused) this.resumeReading();
    this.bodyTimer.refresh();
  };

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    // Waiting on the client is not the upstream's silence.
    this.bodyTimer.stop();
    if (this.consumed) (this.socket as unknown as { _handle: { readStop(): void } | null })._handle?.readStop();
    else this.socket.pause();
  }

  private resumeReading(): void {
    this.paused = false;
    if (this.phase === "body") this.armBodyTimer();
    if (this.consumed) (this.socket as unknown as { _handle: { readStart(): void } | null })._handle?.readStart();
    else this.socket.resume();
  }

  private armBodyTimer(): void {
    this.bodyTimer.arm(this.request?.bodyTimeout ?? 0);
  }
}

/**
 * One countdown per connection, reused across its requests, kept lazily: arming, refreshing
 * and stopping only write its deadline; the one Node timer under it, when it fires, compares
 * the deadline with the clock and waits the rest, or fires. Re-linking a Node timer on every
 * request and body chunk (`Timeout#refresh()`) cost ~0.5 µs per request. A fire after the
 * phase it guarded is over belongs to an earlier request; `onFire` checks the phase.
 */
export class LazyTimer {
  private timer: NodeJS.Timeout | null = null;
  private ms = 0;
  /** `performance.now()` at which the countdown ends; 0: stopped. */
  private deadline = 0;
  /** `performance.now()` at which the Node timer wakes. */
  private wakeAt = 0;

  constructor(private readonly onFire: (ms: number) => void) {}

  /** Starts (or restarts) the countdown of `ms` milliseconds; 0 or less: no timeout. */
  arm(ms: number): void {
    if (ms <= 0) return this.stop();
    this.ms = ms;
    const now = performance.now();
    this.deadline = now + ms;
    // The Node timer under it must wake at or before the deadline (the per-try timeout is
    // what is left of the total one, a little less on each request: the timer set for the
    // previous one still wakes in time).
    if (this.timer !== null && this.wakeAt <= this.deadline) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.setTimer(now, ms);
  }

  /** Restarts a running countdown; nothing when stopped. */
  refresh(): void {
    if (this.deadline !== 0) this.deadline = performance.now() + this.ms;
  }

  /** Stops the countdown (the Node timer, if set, wakes once more and finds nothing to do). */
  stop(): void {
    this.deadline = 0;
  }

  /** Stops the countdown and its Node timer: the connection is gone. */
  dispose(): void {
    this.deadline = 0;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private readonly check = (): void => {
    this.timer = null;
    if (this.deadline === 0) return;
    const now = performance.now();
    const left = this.deadline - now;
    if (left > 0) {
      this.setTimer(now, Math.max(1, Math.ceil(left)));
      return;
    }
    this.deadline = 0;
    this.onFire(this.ms);
  };

  private setTimer(now: number, ms: number): void {
    this.wakeAt = now + ms;
    this.timer = setTimeout(this.check, ms).unref();
  }
}

/**
 * The request line and headers. Values are checked here (a policy may have put anything in
 * them: no CR, LF or NUL may reach the upstream); framing is decided here, not copied.
 */
export function requestHead(request: UpstreamRequest, authority: string): string {
  const { method, body } = request;
  if (!TOKEN.test(method)) throw new UpstreamClientError("UND_ERR_INVALID_ARG", `invalid method ${JSON.stringify(method)}`);
  if (INVALID_HEADER_VALUE.test(request.path) || request.path.includes(" ")) throw new UpstreamClientError("UND_ERR_INVALID_ARG", "invalid request target");
  let head = `${method} ${request.path} HTTP/1.1\r\n`;
  let hasHost = false;
  const headers = request.headers;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    // Framing is this connection's to decide (a copied one could smuggle a second request);
    // hop-by-hop headers and Expect never get here (forwarding.ts leaves them out).
    if (name === "content-length" || name === "transfer-encoding") continue;
    if (!isHeaderName(name)) throw new UpstreamClientError("UND_ERR_INVALID_ARG", `invalid header name ${JSON.stringify(name)}`);
    if (name === "host") hasHost = true;
    if (typeof value === "string") {
      if (INVALID_HEADER_VALUE.test(value)) throw new UpstreamClientError("UND_ERR_INVALID_ARG", `invalid value for header ${name}`);
      head += `${name}: ${value}\r\n`;
    } else {
      for (const item of value) {
        if (INVALID_HEADER_VALUE.test(item)) throw new UpstreamClientError("UND_ERR_INVALID_ARG", `invalid value for header ${name}`);
        head += `${name}: ${item}\r\n`;
      }
    }
  }
  if (!hasHost) head += `host: ${authority}\r\n`;
  if (body === null) {
    if (BODY_METHODS.has(method)) head += "content-length: 0\r\n";
  } else if (Buffer.isBuffer(body)) {
    if (body.length > 0 || BODY_METHODS.has(method)) head += `content-length: ${body.length}\r\n`;
  } else {
    const declared = body.headers["content-length"];
    head += declared === undefined ? "transfer-encoding: chunked\r\n" : `content-length: ${declared}\r\n`;
  }
  return `${head}\r\n`;
}

/** The parser reports errors as values; not `instanceof Error`, which fails across realms (vm contexts, test runners). */
function isParseError(result: unknown): result is Error {
  return typeof result === "object" && result !== null;
}

function parseError(error: Error): UpstreamClientError {
  const code = (error as Error & { code?: string }).code ?? "HPE_UNKNOWN";
  return new UpstreamClientError(code, `the upstream's answer is not valid HTTP (${code})`);
}
