/**
 * What the gateway's request handling needs of a request and a response: satisfied by
 * node:http's IncomingMessage and ServerResponse and by the native server's own (see
 * `http1-server.ts`), so policies, the control plane and the portal run on either.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import type { Socket } from "node:net";
import type { Readable } from "node:stream";

/** A request: its head, its socket, and its body as a stream. */
export interface GatewayRequest extends Readable {
  readonly method?: string;
  /** Request target as sent (path and query). */
  readonly url?: string;
  /** Header names lower-cased, repeated fields merged as node:http merges them. */
  readonly headers: IncomingHttpHeaders;
  readonly socket: Socket;
  readonly httpVersion: string;
}

/** A response being written. */
export interface GatewayResponse {
  /** Whether the status and headers are set (nothing can be changed any more). */
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  /** Whether the connection stays open after this response; set false to close it. */
  shouldKeepAlive: boolean;
  readonly socket: Socket | null;
  writeHead(status: number, headers?: OutgoingHttpHeaders): this;
  setHeader(name: string, value: string | number | readonly string[]): this;
  /** Returns false when the client is not keeping up: wait for 'drain'. */
  write(chunk: string | Buffer): boolean;
  end(chunk?: string | Buffer): this;
  /** Abandons the response: the connection is closed. */
  destroy(error?: Error): this;
  on(event: "drain" | "close" | "finish", listener: () => void): this;
  once(event: "drain" | "close" | "finish", listener: () => void): this;
  off(event: "drain" | "close" | "finish", listener: () => void): this;
}
