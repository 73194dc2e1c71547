/**
 * The data plane's HTTP/1.1 server on Node's native parser (see `server-connection.ts`).
 *
 * Why not node:http's server: measured on this machine, its per-request machinery
 * (IncomingMessage and ServerResponse as full streams, per-request timers, header objects
 * built twice) costs a proxy ~10–18 µs of the ~45–60 µs a full-chain request takes
 * (BENCHMARKS.md). This server keeps node:http's parser (llhttp, strict: the same
 * rejection of ambiguous framing, invalid bytes and oversized heads) and its rules for
 * responses, and drops the rest. node:http stays the fallback where the parser binding is
 * not there (`createDataPlaneServer`).
 *
 * Timeouts as node:http's defaults name them: `headersTimeoutMs` for a request's head,
 * `requestTimeoutMs` for the whole request, `keepAliveTimeoutMs` for an idle connection;
 * checked by one sweep a second over all connections.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import type { ServerParserBinding } from "../native-parser";
import { type ClientError, type ConnectionHost, ServerConnection } from "./server-connection";
import type { ServerRequest } from "./server-request";
import type { ServerResponse } from "./server-response";

export interface Http1ServerOptions {
  /** Longest request header section accepted, in bytes; larger ones are rejected (431). */
  readonly maxHeaderBytes: number;
  /** Longest a request's head may take to arrive, ms; then 408 and the connection closes. */
  readonly headersTimeoutMs: number;
  /** Longest a whole request (head and body) may take to arrive, ms. */
  readonly requestTimeoutMs: number;
  /** Longest a connection may stay idle between requests, ms. */
  readonly keepAliveTimeoutMs: number;
  /** Serve over TLS with these options (certificate, key, client certificates). */
  readonly tls?: tls.TlsOptions | null;
  /** How often timeouts are checked, ms. @default 1000 */
  readonly sweepIntervalMs?: number;
}

export type RequestListener = (req: ServerRequest, res: ServerResponse) => void;
/** Called for a request that is not acceptable HTTP; answers it on `socket` (or destroys it). */
export type ClientErrorListener = (error: ClientError, socket: net.Socket) => void;

export class Http1Server implements ConnectionHost {
  /** The listening socket server: `listen()` on it. */
  readonly listener: net.Server;
  readonly maxHeaderBytes: number;
  readonly keepAliveSeconds: number;
  private readonly connections = new Set<ServerConnection>();
  private readonly sweeper: NodeJS.Timeout;
  /** `close()` was called: connections are closed as soon as they are idle. */
  private stopping = false;
  /** Set by `close()` on a server that never listened (its connections are handed in): runs when the last one is gone. */
  private whenEmpty: (() => void) | null = null;

  constructor(
    readonly binding: ServerParserBinding,
    private readonly options: Http1ServerOptions,
    private readonly onRequest: RequestListener,
    private readonly onClientError: ClientErrorListener,
  ) {
    this.maxHeaderBytes = options.maxHeaderBytes;
    this.keepAliveSeconds = Math.floor(options.keepAliveTimeoutMs / 1000);
    // allowHalfOpen: a client that half-closes after its request still gets the answer.
    const serverOptions = { allowHalfOpen: true, noDelay: true };
    if (options.tls) {
      this.listener = tls.createServer({ ...serverOptions, ...options.tls });
      this.listener.on("secureConnection", (socket: tls.TLSSocket) => this.accept(socket));
      // A failed handshake is the client's problem, not an error of the server.
      this.listener.on("tlsClientError", (_error: Error, socket: tls.TLSSocket) => socket.destroy());
    } else {
      this.listener = net.createServer(serverOptions, (socket) => this.accept(socket));
    }
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 1000).unref();
  }

  /** Open client connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  dispatch(req: ServerRequest, res: ServerResponse): void {
    this.onRequest(req, res);
  }

  reject(error: ClientError, socket: net.Socket): void {
    this.onClientError(error, socket);
  }

  forget(connection: ServerConnection): void {
    this.connections.delete(connection);
    if (this.connections.size === 0 && this.whenEmpty !== null) this.emptied();
  }

  /**
   * A connection another process accepted (the cluster primary, which balances connections
   * across workers) and handed to this one: served as if this server had accepted it.
   */
  acceptHanded(socket: net.Socket): void {
    // The options the listener would have applied to a socket it accepted.
    socket.allowHalfOpen = true;
    socket.setNoDelay(true);
    this.listener.emit("connection", socket);
  }

  /** Stops accepting connections; `callback` runs once every connection has closed. */
  close(callback?: (error?: Error) => void): void {
    this.stopping = true;
    // Timeouts keep applying to the connections that were busy until they are all gone.
    const finished = (error?: Error) => {
      clearInterval(this.sweeper);
      callback?.(error);
    };
    if (this.listener.listening) this.listener.close(finished);
    else {
      // net.Server counts only the connections it accepted itself; handed ones are counted here.
      this.whenEmpty = finished;
      if (this.connections.size === 0) queueMicrotask(() => this.emptied());
    }
    this.closeIdleConnections();
  }

  private emptied(): void {
    const callback = this.whenEmpty;
    this.whenEmpty = null;
    callback?.();
  }

  /** Closes connections with no request in progress and no answer owed. */
  closeIdleConnections(): void {
    for (const connection of this.connections) connection.closeIfIdle();
  }

  closeAllConnections(): void {
    for (const connection of this.connections) connection.destroy();
  }

  private accept(socket: net.Socket): void {
    const connection = new ServerConnection(socket, this);
    this.connections.add(connection);
  }

  private sweep(): void {
    const limits = { ...this.options, sweepIntervalMs: this.options.sweepIntervalMs ?? 1000, closeIdle: this.stopping };
    for (const connection of this.connections) connection.checkTimeouts(limits);
  }
}
