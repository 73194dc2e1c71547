/**
 * A request on the data-plane server: what node:http's IncomingMessage offers the gateway
 * (method, url, headers, socket, a Readable body), at a fraction of its cost for the common
 * request without a body: its end is pushed only when someone reads.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import { requestHeaders } from "./request-headers";

/** What the request asks of its connection: flow control of the body. */
export interface RequestBodySource {
  /** The body's consumer wants more: read from the socket again. */
  resumeBody(): void;
  /** The body's consumer is full: stop reading from the socket. */
  pauseBody(): void;
}

export class ServerRequest extends Readable {
  readonly headers: IncomingHttpHeaders;
  readonly httpVersion: string;
  /** Whether the whole message (headers and body) has arrived. */
  complete = false;
  /** The body is discarded as it comes (the response went out without reading it). */
  private dumped = false;
  /** `push(null)` has been called. */
  private ended = false;

  constructor(
    readonly socket: Socket,
    private readonly source: RequestBodySource,
    readonly method: string,
    readonly url: string,
    readonly rawHeaders: string[],
    readonly httpVersionMajor: number,
    readonly httpVersionMinor: number,
  ) {
    super();
    this.headers = requestHeaders(rawHeaders);
    this.httpVersion = `${httpVersionMajor}.${httpVersionMinor}`;
  }

  override _read(): void {
    if (this.complete) this.pushEnd();
    else this.source.resumeBody();
  }

  /** A piece of the body from the parser. */
  pushBody(chunk: Buffer): void {
    if (this.dumped || this.destroyed) return;
    if (!this.push(chunk)) this.source.pauseBody();
  }

  /** The message is complete. The end is pushed now only when the body is being read. */
  endBody(): void {
    this.complete = true;
    if (this.readableFlowing !== null || this.readableLength > 0) this.pushEnd();
  }

  /** Drops the rest of the body: the answer has gone out and the connection goes on. */
  dump(): void {
    if (this.dumped) return;
    this.dumped = true;
    this.removeAllListeners("data");
    this.resume();
    this.source.resumeBody();
  }

  /** The connection closed before the message was complete. */
  abort(): void {
    if (this.complete || this.destroyed) return;
    // As node:http: an 'error' only for someone listening for one; 'close' for everyone.
    if (this.listenerCount("error") > 0) this.destroy(Object.assign(new Error("aborted"), { code: "ECONNRESET" }));
    else this.destroy();
  }

  private pushEnd(): void {
    if (this.ended) return;
    this.ended = true;
    this.push(null);
  }
}

export type { IncomingHttpHeaders };
