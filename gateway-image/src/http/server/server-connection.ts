/**
 * One client connection of the data-plane server: Node's native parser reads the socket
 * (straight from its handle for plain TCP, from 'data' events for TLS), each parsed request is
 * handed to the listener at once, and responses go out in request order (pipelining), each
 * buffered until the ones before it have finished.
 *
 * Timeouts are not armed per request: the server sweeps its connections once a second and
 * reads the parser's own clock (`duration`, `headersCompleted`), as node:http's
 * connection checker does.
 */
import type { Socket } from "node:net";
import { type NativeParser, type ServerParserBinding, releaseParser } from "../native-parser";
import { hostFieldProblem } from "./request-headers";
import { ServerRequest, type RequestBodySource } from "./server-request";
import { ServerResponse, type ResponseConnection } from "./server-response";

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly binding: ServerParserBinding;
  readonly maxHeaderBytes: number;
  readonly keepAliveSeconds: number;
  dispatch(req: ServerRequest, res: ServerResponse): void;
  /** A request that cannot be served: answered (400, 408, 431) if the socket can still take it, then closed. */
  reject(error: ClientError, socket: Socket): void;
  forget(connection: ServerConnection): void;
}

/** The server's timeouts, ms, as one sweep applies them. */
export interface TimeoutLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly sweepIntervalMs: number;
  /** The server is closing: idle connections close now. */
  readonly closeIdle: boolean;
}

/** An error about what the client sent, with the parser's code (`HPE_*`) or the server's. */
export type ClientError = Error & { code?: string; bytesParsed?: number };

/** Pipelined requests past this many unanswered ones wait in the socket (no more are parsed). */
const MAX_UNANSWERED = 16;
const CONTINUE_EXPECTATION = /^100-continue$/i;

type SocketHandle = { readStart(): number; readStop(): number; reading?: boolean };

export class ServerConnection implements ResponseConnection, RequestBodySource {
  readonly keepAliveSeconds: number;
  /** Unfinished (or finished but not yet sent) responses, oldest first; the first is on the wire. */
  private readonly responses: ServerResponse[] = [];
  private readonly parser: NativeParser;
  private readonly consumed: boolean;
  /** The request whose message is being parsed (its body goes to it). */
  private current: ServerRequest | null = null;
  private pendingHeaders: string[] | null = null;
  private pendingUrl = "";
  /** Anything received: before that, the parser's clock means nothing. */
  private started = false;
  private readonly openedAt = Date.now();
  /** Requests parsed so far; compared between sweeps to see idleness. */
  private requests = 0;
  private sweptRequests = 0;
  /** Consecutive sweeps that found the connection idle. */
  private idleSweeps = 0;
  /** The client half-closed: end the connection after the responses still owed. */
  private endAfterResponses = false;
  /** A bad request behind ones still being answered: rejected once they are. */
  private pendingError: ClientError | null = null;
  private readPausedByBody = false;
  private readPausedByQueue = false;
  private readStopped = false;
  /** No more requests are parsed (an upgrade, an error, or the last response). */
  private closing = false;
  private corked = false;
  private closed = false;
  /** A client error was reported (answered once, at most). */
  private failed = false;

  constructor(
    readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    this.keepAliveSeconds = host.keepAliveSeconds;
    const { Parser } = host.binding;
    const parser = (this.parser = new Parser());
    parser.initialize(Parser.REQUEST, {}, host.maxHeaderBytes, Parser.kLenientNone ?? 0);
    parser[Parser.kOnHeaders] = (headers: string[], url: string) => {
      (this.pendingHeaders ??= []).push(...headers);
      this.pendingUrl += url;
    };
    parser[Parser.kOnHeadersComplete] = (major: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined, _status: unknown, _message: unknown, upgrade: boolean, keepAlive: boolean) =>
      this.onHeadersComplete(major, minor, headers, method, url, upgrade, keepAlive);
    parser[Parser.kOnBody] = (chunk: Buffer) => this.current?.pushBody(chunk);
    parser[Parser.kOnMessageComplete] = () => {
      const req = this.current;
      this.current = null;
      req?.endBody();
    };
    const handle = (socket as unknown as { _handle: { isStreamBase?: boolean } | null })._handle;
    this.consumed = handle !== null && handle.isStreamBase === true && !("encrypted" in socket && socket.encrypted);
    if (this.consumed) {
      parser[Parser.kOnExecute] = (result: number | Error) => {
        this.started = true;
        if (isError(result)) this.fail(result);
      };
      parser.consume(handle);
    } else {
      socket.on("data", (chunk: Buffer) => {
        this.started = true;
        if (this.closing) return;
        const result = parser.execute(chunk);
        if (isError(result)) this.fail(result);
      });
    }
    socket.on("end", () => this.onEnd());
    socket.on("error", () => {
      // 'close' follows; a reset by the client is not the server's problem.
    });
    socket.on("close", () => this.onClose());
    socket.on("drain", () => this.responses[0]?.socketDrained());
    // Flowing, so that 'end' is emitted (the parser takes the data).
    socket.resume();
  }

  /** No request in progress and none owed an answer. */
  get idle(): boolean {
    return this.responses.length === 0 && this.current === null && (!this.started || this.parser.duration() === 0);
  }

  /**
   * One sweep of the server's timeouts: a request whose head (or whole) is late is answered 408;
   * a connection idle for `keepAliveTimeoutMs`, or idle at all once `closeIdle`, is closed.
   */
  checkTimeouts(limits: TimeoutLimits): void {
    const elapsedMs = this.started ? this.parser.duration() : Date.now() - this.openedAt;
    if (elapsedMs > 0) {
      this.idleSweeps = 0;
      const headersComplete = this.started && this.parser.headersCompleted();
      if ((!headersComplete && elapsedMs > limits.headersTimeoutMs) || (limits.requestTimeoutMs > 0 && elapsedMs > limits.requestTimeoutMs)) this.timedOut();
      return;
    }
    if (!this.idle || this.requests !== this.sweptRequests) {
      this.sweptRequests = this.requests;
      this.idleSweeps = 0;
      return;
    }
    this.idleSweeps++;
    if (limits.closeIdle || this.idleSweeps * limits.sweepIntervalMs >= limits.keepAliveTimeoutMs) this.destroy();
  }

  isActive(response: ServerResponse): boolean {
    return this.responses[0] === response;
  }

  write(data: string | Buffer, encoding?: BufferEncoding): boolean {
    const socket = this.socket;
    if (!this.corked) {
      // Head, body and end of one response usually come in one tick: one system call for all.
      this.corked = true;
      socket.cork();
      process.nextTick(uncork, this);
    }
    return encoding === undefined ? socket.write(data) : socket.write(data, encoding);
  }

  writeNow(data: Buffer): boolean {
    // Behind writes of this tick being batched, it joins them (order is kept either way).
    return this.socket.write(data);
  }

  uncork(): void {
    this.corked = false;
    this.socket.uncork();
  }

  responseFinished(response: ServerResponse): void {
    let finished = response;
    while (this.responses[0] === finished && finished.writableEnded) {
      this.responses.shift();
      const req = finished.req;
      if (!req.complete) req.dump();
      if (!finished.shouldKeepAlive) {
        this.endAfterLast();
        return;
      }
      const next = this.responses[0];
      if (next === undefined) break;
      next.activate();
      finished = next;
    }
    if (this.readPausedByQueue && this.responses.length <= MAX_UNANSWERED / 2) {
      this.readPausedByQueue = false;
      this.updateReading();
    }
    if (this.responses.length > 0) return;
    if (this.pendingError !== null) {
      const error = this.pendingError;
      this.pendingError = null;
      this.host.reject(error, this.socket);
    } else if (this.endAfterResponses) endSoon(this.socket);
  }

  resumeBody(): void {
    if (!this.readPausedByBody) return;
    this.readPausedByBody = false;
    this.updateReading();
  }

  pauseBody(): void {
    if (this.readPausedByBody) return;
    this.readPausedByBody = true;
    this.updateReading();
  }

  /** Closes the connection if nothing is in progress on it (graceful shutdown). */
  closeIfIdle(): void {
    if (this.idle) this.socket.destroy();
  }

  /** A request took too long to arrive: 408 when nothing else is owed, then close. */
  private timedOut(): void {
    this.fail(Object.assign(new Error("the request did not arrive in time"), { code: "ERR_HTTP_REQUEST_TIMEOUT", bytesParsed: 0 }));
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onHeadersComplete(major: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined, upgrade: boolean, keepAlive: boolean): number {
    let raw = headers ?? [];
    if (this.pendingHeaders !== null) {
      raw = headers === undefined ? this.pendingHeaders : this.pendingHeaders.concat(headers);
      this.pendingHeaders = null;
    }
    if (url === undefined || url === "") {
      url = this.pendingUrl;
    }
    this.pendingUrl = "";
    if (this.closing) return 1;
    this.requests++;
    const hostProblem = hostFieldProblem(raw, major === 1 && minor === 1);
    if (hostProblem !== null) {
      this.fail(Object.assign(new Error(hostProblem.message), { code: hostProblem.code, bytesParsed: 0 }));
      return 1;
    }
    const req = new ServerRequest(this.socket, this, this.host.binding.methods[method] ?? "GET", url, raw, major, minor);
    this.current = req;
    // An upgrade (or CONNECT) is answered as a plain request, and is the connection's last:
    // what follows its head is another protocol, never parsed as HTTP.
    const res = new ServerResponse(this, req, keepAlive && !upgrade);
    if (upgrade) this.stopParsing();
    this.responses.push(res);
    if (this.responses.length >= MAX_UNANSWERED && !this.readPausedByQueue) {
      this.readPausedByQueue = true;
      this.updateReading();
    }
    const expect = req.headers.expect;
    if (expect !== undefined && major === 1 && minor === 1) {
      if (!CONTINUE_EXPECTATION.test(expect)) {
        // RFC 9110 §10.1.1: an expectation the server cannot meet.
        res.shouldKeepAlive = false;
        if (this.responses.length === 1) res.activate();
        res.writeHead(417, { "content-length": 0 }).end();
        return 0;
      }
      res.expectsContinue = true;
    }
    if (this.responses.length === 1) res.activate();
    try {
      this.host.dispatch(req, res);
    } catch (error) {
      // Not inside the parser's native call: as an uncaught exception in node:http would.
      process.nextTick(rethrow, error);
    }
    return 0;
  }

  /** What the client sent is not acceptable: stop reading, answer when nothing else is owed. */
  private fail(error: ClientError): void {
    if (this.closed || this.failed) return;
    this.failed = true;
    this.stopParsing();
    const req = this.current;
    this.current = null;
    req?.abort();
    if (this.responses.length === 0) {
      this.host.reject(error, this.socket);
    } else if (req === null) {
      // Requests before the bad one arrived whole: they are answered first, then this.
      this.pendingError = error;
    } else if (!this.responses[0]!.onWire) {
      // The request being received will never be whole, and its handler may wait for it
      // forever: as node:http, the error is answered now, instead of everything still owed.
      for (const response of this.responses.splice(0)) response.connectionClosed();
      this.host.reject(error, this.socket);
    } else {
      // An answer is half-sent: nothing else can be written in between.
      this.socket.destroy();
    }
  }

  private onEnd(): void {
    if (this.closed || this.closing) return;
    // A message framed by the connection's end cannot be a request; finish() reports a partial one.
    const result = this.parser.finish();
    if (isError(result)) {
      this.fail(result);
      return;
    }
    const req = this.current;
    this.current = null;
    req?.abort();
    this.stopParsing();
    if (this.responses.length === 0) endSoon(this.socket);
    else this.endAfterResponses = true;
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    const req = this.current;
    this.current = null;
    req?.abort();
    for (const response of this.responses.splice(0)) {
      if (!response.req.complete) response.req.abort();
      response.connectionClosed();
    }
    releaseParser(this.parser, this.consumed);
    this.host.forget(this);
  }

  /** After this response the connection ends: nothing more is read, later answers are dropped. */
  private endAfterLast(): void {
    this.stopParsing();
    for (const response of this.responses.splice(0)) response.connectionClosed();
    this.pendingError = null;
    endSoon(this.socket);
  }

  private stopParsing(): void {
    if (this.closing) return;
    this.closing = true;
    this.updateReading();
  }

  private updateReading(): void {
    const stop = this.closing || this.readPausedByBody || this.readPausedByQueue;
    if (stop === this.readStopped) return;
    this.readStopped = stop;
    if (!this.consumed) {
      if (stop) this.socket.pause();
      else this.socket.resume();
      return;
    }
    const handle = (this.socket as unknown as { _handle: SocketHandle | null })._handle;
    if (handle === null) return;
    handle.reading = !stop;
    if (stop) handle.readStop();
    else handle.readStart();
  }
}

/**
 * Ends the socket (after `lastData`) and closes it once everything written has gone out (node:http's
 * `destroySoon`): with half-open sockets allowed, a client that never closes its side would
 * otherwise hold the connection open.
 */
export function endSoon(socket: Socket, lastData?: string): void {
  if (lastData === undefined) socket.end();
  else socket.end(lastData);
  if (socket.writableFinished) socket.destroy();
  else socket.once("finish", () => socket.destroy());
}

function uncork(connection: ServerConnection): void {
  connection.uncork();
}

function rethrow(error: unknown): never {
  throw error;
}

/** The parser reports errors as values; not `instanceof Error`, which fails across realms. */
function isError(result: unknown): result is ClientError {
  return typeof result === "object" && result !== null;
}
