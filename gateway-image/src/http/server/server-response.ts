/**
 * A response on the data-plane server: node:http's ServerResponse as the gateway uses it
 * (`writeHead`, `setHeader`, `write`, `end`, `destroy`, 'drain' and 'close'), writing the
 * head as one string. Node's rules are kept: header names and values validated (a policy's
 * value cannot split the response), `Date` added, no body for HEAD, 1xx, 204 and 304, chunked
 * framing when the length is not known (close-delimited for HTTP/1.0), `Connection: close` on
 * the last response of a connection. One improvement: a response ended with its whole body
 * and no declared length gets a Content-Length rather than chunked framing.
 */
import { EventEmitter } from "node:events";
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { ServerRequest } from "./server-request";
import { INVALID_HEADER_VALUE, isHeaderName } from "../header-syntax";

/** What a response asks of its connection. */
export interface ResponseConnection {
  readonly socket: Socket;
  /** Whether this response is the connection's oldest unfinished one (the one on the wire). */
  isActive(response: ServerResponse): boolean;
  /** Writes to the socket, batching the writes of one tick into one system call. */
  write(data: string | Buffer, encoding?: BufferEncoding): boolean;
  /** Writes to the socket now, unless writes of this tick are being batched (then after them). */
  writeNow(data: Buffer): boolean;
  responseFinished(response: ServerResponse): void;
  /** Advertised in `Keep-Alive: timeout=`, seconds. */
  readonly keepAliveSeconds: number;
}

const CLOSE = /(?:^|\W)close(?:$|\W)/i;
const CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";
/**
 * A body chunk up to this size goes out in one buffer with the head: one write, with no
 * batching to wait for. A larger one is written beside it (a writev), not copied.
 */
const JOIN_WITH_HEAD_BYTES = 16 * 1024;

let dateSecond = 0;
let dateLine = "";
/** The `Date` header line, formatted once a second. */
function dateHeaderLine(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateLine = `date: ${new Date(second * 1000).toUTCString()}\r\n`;
  }
  return dateLine;
}

export type OutgoingHeaderValue = string | number | readonly string[] | undefined;
export type OutgoingHeaders = Record<string, OutgoingHeaderValue>;

export class ServerResponse extends EventEmitter {
  statusCode = 200;
  /** Whether the connection stays open after this response. */
  shouldKeepAlive: boolean;
  headersSent = false;
  /** `end()` was called. */
  writableEnded = false;
  destroyed = false;
  /** Send `100 Continue` when this response reaches the wire, unless a final head goes first. */
  expectsContinue = false;
  /** Status line and headers, without the framing lines, until the first byte is written. */
  private head: string | null = null;
  /** The whole head, framing decided, while the first write that sends it is under way. */
  private unsentHead: string | null = null;
  /** Headers from `setHeader`, merged under `writeHead`'s. */
  private extraHeaders: OutgoingHeaders | null = null;
  private hasLength = false;
  private hasBody: boolean;
  private chunked = false;
  /** Output written before this response reached the wire (pipelined behind another). */
  private buffered: Array<string | Buffer> | null = null;
  private needDrain = false;

  constructor(
    private readonly connection: ResponseConnection,
    readonly req: ServerRequest,
    keepAlive: boolean,
  ) {
    super();
    // As node:http: an HTTP/1.0 exchange is the connection's last.
    this.shouldKeepAlive = keepAlive && req.httpVersionMajor === 1 && req.httpVersionMinor === 1;
    this.hasBody = req.method !== "HEAD";
  }

  get socket(): Socket {
    return this.connection.socket;
  }

  /** Sets a header for `writeHead` to send (its own headers win); validated now, as node:http does. */
  setHeader(name: string, value: OutgoingHeaderValue): this {
    if (this.head !== null || this.headersSent) throw headersSentError();
    if (!isHeaderName(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
    if (value === undefined) throw new TypeError(`no value for header ${name}`);
    for (const item of typeof value === "object" ? value : [String(value)]) {
      if (INVALID_HEADER_VALUE.test(item)) throw new TypeError(`invalid value for header ${name}`);
    }
    (this.extraHeaders ??= {})[name.toLowerCase()] = value;
    return this;
  }

  /** Whether anything of this response has been written to the socket. */
  get onWire(): boolean {
    return this.head === "" && this.unsentHead === null && this.buffered === null;
  }

  /**
   * Sets the status and headers. Throws, sending nothing, when a name or value is invalid
   * (a caller that has not sent anything yet can still answer with something else).
   */
  writeHead(status: number, headers?: OutgoingHeaders | null): this {
    if (this.head !== null) throw headersSentError();
    status |= 0;
    if (status < 100 || status > 999) throw new RangeError(`invalid status code ${status}`);
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "unknown"}\r\n`;
    let hasDate = false;
    let hasLength = false;
    let keepAlive = this.shouldKeepAlive;
    const extra = this.extraHeaders;
    for (let pass = 0; pass < 2; pass++) {
      const source = pass === 0 ? headers : extra;
      if (source == null) continue;
      for (const name in source) {
        const value = source[name];
        if (value === undefined) continue;
        // Under writeHead's own value for the same name.
        if (pass === 1 && headers != null && hasName(headers, name)) continue;
        switch (name.length) {
          case 4:
            if (name.toLowerCase() === "date") hasDate = true;
            break;
          case 10: {
            const lower = name.toLowerCase();
            if (lower === "connection") {
              if (CLOSE.test(String(value))) keepAlive = false;
              continue;
            }
            if (lower === "keep-alive") continue;
            break;
          }
          case 14:
            if (name.toLowerCase() === "content-length") hasLength = true;
            break;
          case 17:
            // Framing is this response's to decide.
            if (name.toLowerCase() === "transfer-encoding") continue;
            break;
        }
        if (!isHeaderName(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
        if (typeof value === "string") {
          if (INVALID_HEADER_VALUE.test(value)) throw new TypeError(`invalid value for header ${name}`);
          head += `${name}: ${value}\r\n`;
        } else if (typeof value === "number") {
          head += `${name}: ${value}\r\n`;
        } else {
          for (const item of value) {
            if (INVALID_HEADER_VALUE.test(item)) throw new TypeError(`invalid value for header ${name}`);
            head += `${name}: ${item}\r\n`;
          }
        }
      }
    }
    if (!hasDate) head += dateHeaderLine();
    this.statusCode = status;
    this.shouldKeepAlive = keepAlive;
    this.hasLength = hasLength;
    if (status < 200 || status === 204 || status === 304) this.hasBody = false;
    this.head = head;
    this.headersSent = true;
    return this;
  }

  write(chunk: string | Buffer, encoding?: BufferEncoding): boolean {
    if (this.writableEnded || this.destroyed) return false;
    if (this.head === null) this.writeHead(this.statusCode);
    if (this.chunkedOrFirst(chunk, false)) return true;
    return this.writeBody(chunk, encoding);
  }

  end(chunk?: string | Buffer | (() => void), encoding?: BufferEncoding | (() => void)): this {
    if (this.writableEnded) return this;
    if (typeof chunk === "function" || typeof encoding === "function") throw new TypeError("end() with a callback is not supported here; listen for 'finish'");
    if (this.destroyed) return this;
    if (this.head === null) this.writeHead(this.statusCode);
    const body = chunk ?? "";
    if (!this.chunkedOrFirst(body, true, encoding)) this.writeBody(body, encoding);
    if (this.chunked) this.output("0\r\n\r\n", "latin1");
    this.writableEnded = true;
    this.emit("finish");
    this.connection.responseFinished(this);
    // As node:http, 'close' follows 'finish'; most responses have no one listening.
    if (this.listenerCount("close") > 0) process.nextTick(emitClose, this);
    return this;
  }

  /** Tears the connection down (the answer cannot be completed). */
  destroy(_error?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.connection.socket.destroy();
    return this;
  }

  /** Called by the connection when this response reaches the wire. */
  activate(): void {
    const buffered = this.buffered;
    if (buffered === null) {
      if (this.expectsContinue && this.head === null) this.connection.write(CONTINUE, "latin1");
      return;
    }
    this.buffered = null;
    for (const data of buffered) this.connection.write(data, "latin1");
  }

  /** Called by the connection when the socket wants no more for now, or has drained. */
  socketDrained(): void {
    if (!this.needDrain) return;
    this.needDrain = false;
    this.emit("drain");
  }

  /** Called by the connection when the socket closed before this response finished. */
  connectionClosed(): void {
    if (this.writableEnded) return;
    this.destroyed = true;
    this.emit("close");
  }

  /**
   * Completes the head the first time anything is written, with the framing now known: a
   * Content-Length for a response ended with its whole body, chunked (or close-delimited for
   * HTTP/1.0) otherwise. The head goes out with the first body chunk (writeBody), or now when
   * there can be no body: returns true then (`chunk` needs no more writing).
   */
  private chunkedOrFirst(chunk: string | Buffer, ending: boolean, encoding?: BufferEncoding): boolean {
    const head = this.head;
    if (head !== "") {
      let framing = "";
      if (this.hasBody && !this.hasLength) {
        if (ending) framing = `content-length: ${typeof chunk === "string" ? Buffer.byteLength(chunk, encoding) : chunk.length}\r\n`;
        else if (this.req.httpVersionMinor === 1) {
          this.chunked = true;
          framing = "transfer-encoding: chunked\r\n";
        } else this.shouldKeepAlive = false;
      }
      const connection = this.shouldKeepAlive ? `connection: keep-alive\r\nkeep-alive: timeout=${this.connection.keepAliveSeconds}\r\n` : "connection: close\r\n";
      this.head = "";
      this.unsentHead = `${head}${framing}${connection}\r\n`;
    }
    if (this.hasBody) return false;
    this.sendHead();
    return true;
  }

  /** Writes the head if it has not gone out yet. */
  private sendHead(): boolean {
    const head = this.unsentHead;
    if (head === null) return true;
    this.unsentHead = null;
    return this.output(head, "latin1");
  }

  private writeBody(chunk: string | Buffer, encoding?: BufferEncoding): boolean {
    if (chunk.length === 0) return this.sendHead();
    let flowing: boolean;
    const head = this.unsentHead;
    if (this.chunked) {
      const size = typeof chunk === "string" ? Buffer.byteLength(chunk, encoding) : chunk.length;
      this.unsentHead = null;
      this.output(`${head ?? ""}${size.toString(16)}\r\n`, "latin1");
      this.output(chunk, encoding);
      flowing = this.output("\r\n", "latin1");
    } else if (head !== null) {
      this.unsentHead = null;
      flowing = this.writeWithHead(head, chunk, encoding);
    } else flowing = this.output(chunk, encoding);
    if (!flowing) this.needDrain = true;
    return flowing;
  }

  /**
   * The head and the first body chunk in one buffer: one write system call, at once. Most
   * answers are exactly this (a head and a body of known length), and it spares them the
   * batching of a tick (a nextTick and a writev).
   */
  private writeWithHead(head: string, chunk: string | Buffer, encoding?: BufferEncoding): boolean {
    const size = typeof chunk === "string" ? Buffer.byteLength(chunk, encoding) : chunk.length;
    if (size > JOIN_WITH_HEAD_BYTES || !this.connection.isActive(this)) {
      this.output(head, "latin1");
      return this.output(chunk, encoding);
    }
    const bytes = Buffer.allocUnsafe(head.length + size);
    bytes.write(head, 0, "latin1");
    if (typeof chunk === "string") bytes.write(chunk, head.length, encoding);
    else chunk.copy(bytes, head.length);
    return this.connection.writeNow(bytes);
  }

  private output(data: string | Buffer, encoding?: BufferEncoding): boolean {
    if (this.connection.isActive(this)) return this.connection.write(data, encoding);
    // Behind another response on the same connection: kept until it is this one's turn.
    (this.buffered ??= []).push(typeof data === "string" ? Buffer.from(data, encoding) : data);
    return true;
  }
}

function emitClose(response: ServerResponse): void {
  response.emit("close");
}

function hasName(headers: OutgoingHeaders, name: string): boolean {
  if (name in headers) return true;
  const lower = name.toLowerCase();
  for (const key in headers) if (key.toLowerCase() === lower) return true;
  return false;
}

function headersSentError(): Error {
  return Object.assign(new Error("cannot set headers after they are sent to the client"), { code: "ERR_HTTP_HEADERS_SENT" });
}
