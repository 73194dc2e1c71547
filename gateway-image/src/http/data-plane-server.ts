/**
 * The listener API traffic arrives on: the native-parser server (`server/http1-server.ts`),
 * or node:http's where the parser binding is not there or `TURNPIKE_HTTP_SERVER=node` asks
 * for it (for comparison). Both serve the same request handler and reject malformed requests
 * through the same callback.
 */
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { Server, Socket } from "node:net";
import type { TlsOptions } from "node:tls";
import { nativeServerParser } from "./native-parser";
import { problem } from "./problem";
import { hostFieldProblem } from "./server/request-headers";
import { Http1Server } from "./server/http1-server";
import type { GatewayRequest, GatewayResponse } from "./server/message-types";
import type { ClientError } from "./server/server-connection";

export type HttpServerKind = "native" | "node";

export interface DataPlaneServerOptions {
  /** Longest request header section accepted, in bytes (431 beyond). */
  readonly maxHeaderBytes: number;
  /** Longest a request's head may take to arrive, ms. */
  readonly headersTimeoutMs: number;
  /** Longest a whole request may take to arrive, ms. */
  readonly requestTimeoutMs: number;
  /** Longest an idle keep-alive connection is kept, ms. */
  readonly keepAliveTimeoutMs: number;
  readonly tls: TlsOptions | null;
}

export interface DataPlaneServer {
  readonly kind: HttpServerKind;
  /** The socket server to `listen()` on. */
  readonly listener: Server;
  /** Stops accepting; `callback` runs when every connection has closed. */
  close(callback: () => void): void;
  /** Closes connections with no request in progress. */
  closeIdleConnections(): void;
  closeAllConnections(): void;
  /** From now on, TLS handshakes ask the client for a certificate. */
  requestClientCertificates(): void;
  /** Serves a connection accepted by another process (the cluster primary); only the native server takes them. */
  readonly acceptHanded: ((socket: Socket) => void) | null;
}

/** Which server this process uses: native unless told otherwise or unavailable. */
export function httpServerKind(env: NodeJS.ProcessEnv = process.env): HttpServerKind {
  return env.TURNPIKE_HTTP_SERVER === "node" || nativeServerParser === null ? "node" : "native";
}

export function createDataPlaneServer(
  options: DataPlaneServerOptions,
  onRequest: (req: GatewayRequest, res: GatewayResponse) => void,
  onClientError: (error: ClientError, socket: Socket) => void,
  kind: HttpServerKind = httpServerKind(),
): DataPlaneServer {
  if (kind === "native" && nativeServerParser !== null) {
    const server = new Http1Server(nativeServerParser, options, onRequest, onClientError);
    return {
      kind: "native",
      listener: server.listener,
      close: (callback) => server.close(callback),
      closeIdleConnections: () => server.closeIdleConnections(),
      closeAllConnections: () => server.closeAllConnections(),
      requestClientCertificates: () => setRequestCert(server.listener),
      acceptHanded: (socket) => server.acceptHanded(socket),
    };
  }
  const serverOptions = { maxHeaderSize: options.maxHeaderBytes, requestTimeout: options.requestTimeoutMs, headersTimeout: options.headersTimeoutMs, keepAliveTimeout: options.keepAliveTimeoutMs };
  // node:http checks only that an HTTP/1.1 request has a Host; the native server also refuses two, or one that is not host[:port].
  const onNodeRequest = (req: IncomingMessage, res: ServerResponse) => {
    if (hostFieldProblem(req.rawHeaders, req.httpVersion === "1.1") === null) return onRequest(req, res);
    const reply = problem("bad-request", "the request is not valid HTTP/1.1 and was not forwarded");
    res.shouldKeepAlive = false;
    res.writeHead(reply.status, { ...reply.headers, "content-length": Buffer.byteLength(reply.body) }).end(reply.body);
  };
  const server = options.tls ? createTlsServer({ ...serverOptions, ...options.tls }, onNodeRequest) : createServer(serverOptions, onNodeRequest);
  server.on("clientError", onClientError);
  return {
    kind: "node",
    listener: server,
    close: (callback) => server.close(() => callback()),
    closeIdleConnections: () => server.closeIdleConnections(),
    closeAllConnections: () => server.closeAllConnections(),
    requestClientCertificates: () => setRequestCert(server),
    // node:http sets up its request timeouts when it starts listening, which a server that is handed connections never does.
    acceptHanded: null,
  };
}

/**
 * Node's TLS server reads `requestCert` for each new connection (it is how the option is
 * stored), so setting it applies to every handshake from now on.
 */
function setRequestCert(server: Server): void {
  (server as unknown as { requestCert: boolean }).requestCert = true;
}
