/**
 * OTLP over gRPC: one unary call, `TraceService/Export`, on an HTTP/2 connection kept open
 * (node:http2; the gRPC library is not needed for a call whose request is one length-prefixed
 * protobuf message, and would add ~1 MB to the bundle). Plaintext HTTP/2 for `http://`
 * endpoints, TLS for `https://`.
 *
 * A call's outcome is its `grpc-status`: 0 is success (the answer may still report rejected
 * spans), and the codes the OTLP specification calls retryable (CANCELLED, DEADLINE_EXCEEDED,
 * ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS, and RESOURCE_EXHAUSTED when the receiver says
 * when to come back, with a `google.rpc.RetryInfo`) are retried by the exporter; a connection
 * that fails or goes away is too.
 */
import { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, connect, constants } from "node:http2";
import { gunzipSync } from "node:zlib";
import { protoFields } from "./otlp-protobuf";
import type { ExportTransport, PostResult, TlsSource } from "./export-transport";

export const TRACE_EXPORT_PATH = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/** gRPC status codes (grpc/doc/statuscodes.md). */
const CODE_NAMES = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"];
const RESOURCE_EXHAUSTED = 8;
/** The OTLP specification's retryable codes (RESOURCE_EXHAUSTED only with a RetryInfo). */
const RETRYABLE = new Set([1, 4, 10, 11, 14, 15]);
const RETRY_INFO_TYPE = "type.googleapis.com/google.rpc.RetryInfo";
/** gRPC's mapping of an HTTP status that is not 200 (grpc/doc/http-grpc-status-mapping.md). */
const FROM_HTTP_STATUS: Record<number, number> = { 400: 13, 401: 16, 403: 7, 404: 12, 429: 14, 502: 14, 503: 14, 504: 14 };
/** Headers a gRPC call sets itself: configured ones of these names are not sent. */
const RESERVED = new Set(["content-type", "te", "grpc-timeout", "grpc-encoding", "grpc-accept-encoding", "content-length", "host", "connection"]);

export class OtlpGrpcTransport implements ExportTransport {
  private session: ClientHttp2Session | null = null;
  private readonly metadata: Record<string, string> = {};

  constructor(
    private readonly endpoint: URL,
    headers: Readonly<Record<string, string>>,
    /** Messages are gzipped (the body passed to `post` already is). */
    private readonly compressed: boolean,
    /** The private CA and client certificate, asked for at each new connection (they may be renewed on disk). */
    private readonly tls: TlsSource | null = null,
  ) {
    for (const [name, value] of Object.entries(headers)) if (!RESERVED.has(name.toLowerCase())) this.metadata[name.toLowerCase()] = value;
    this.metadata["user-agent"] ??= "turnpike-gateway";
  }

  /** One Export call with `message` (an `ExportTraceServiceRequest`, gzipped when compressed). */
  post(message: Buffer, timeoutMs: number): Promise<PostResult> {
    return new Promise<PostResult>((resolve) => {
      let stream: ClientHttp2Stream;
      try {
        // Throws when the connection is already going away (a GOAWAY not yet seen here).
        stream = this.connected().request({
          ":method": "POST",
          ":path": TRACE_EXPORT_PATH,
          ":scheme": this.endpoint.protocol === "https:" ? "https" : "http",
          "content-type": "application/grpc",
          te: "trailers",
          "grpc-timeout": `${Math.max(1, Math.ceil(timeoutMs))}m`,
          ...(this.compressed ? { "grpc-encoding": "gzip" } : {}),
          ...this.metadata,
        });
      } catch (error) {
        this.session = null;
        resolve({ ok: false, retryable: true, retryAfterMs: null, reason: (error as Error).message });
        return;
      }
      let head: IncomingHttpHeaders = {};
      let trailers: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      let settled = false;
      const finish = (result: PostResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const timer = setTimeout(() => {
        stream.close(constants.NGHTTP2_CANCEL);
        finish({ ok: false, retryable: true, retryAfterMs: null, reason: `no answer from the receiver within ${timeoutMs} ms` });
      }, timeoutMs);
      stream.on("response", (headers) => (head = headers));
      stream.on("trailers", (headers) => (trailers = headers));
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", (error) => finish({ ok: false, retryable: true, retryAfterMs: null, reason: error.message }));
      stream.on("close", () => finish(outcome(head, trailers, Buffer.concat(chunks), stream.rstCode)));
      const prefix = Buffer.alloc(5);
      prefix[0] = this.compressed ? 1 : 0;
      prefix.writeUInt32BE(message.length, 1);
      stream.end(Buffer.concat([prefix, message]));
    });
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = null;
    if (session === null || session.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        session.destroy();
        resolve();
      }, 1_000);
      session.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** The connection, opened again when the last one failed or the receiver went away. */
  private connected(): ClientHttp2Session {
    if (this.session !== null && !this.session.closed && !this.session.destroyed) return this.session;
    const session = connect(this.endpoint.origin, this.tls?.() ?? {});
    const forget = () => {
      if (this.session === session) this.session = null;
    };
    // An error is reported to the calls in flight by their streams; the session is only dropped.
    session.on("error", forget);
    session.on("goaway", forget);
    session.on("close", forget);
    // Idle between exports, it must not keep a stopping process alive.
    session.unref();
    this.session = session;
    return session;
  }
}

/** A finished call: its status from the trailers (or the headers of a trailers-only answer), its answer message. */
function outcome(head: IncomingHttpHeaders, trailers: IncomingHttpHeaders, body: Buffer, rstCode: number | undefined): PostResult {
  const httpStatus = Number(head[":status"] ?? 0);
  if (httpStatus === 0) return { ok: false, retryable: true, retryAfterMs: null, reason: `the call was reset before an answer (HTTP/2 error ${rstCode ?? "unknown"})` };
  if (httpStatus !== 200) {
    const code = FROM_HTTP_STATUS[httpStatus] ?? 2;
    return { ok: false, retryable: RETRYABLE.has(code), retryAfterMs: null, reason: `the receiver answered HTTP ${httpStatus} (gRPC ${CODE_NAMES[code]})` };
  }
  const statusHeader = trailers["grpc-status"] ?? head["grpc-status"];
  if (statusHeader === undefined) return { ok: false, retryable: true, retryAfterMs: null, reason: "the answer ended without a grpc-status" };
  const code = Number(statusHeader);
  if (code === 0) {
    try {
      return { ok: true, answer: answerMessage(body, head["grpc-encoding"]) };
    } catch (error) {
      // The spans were taken: only the answer (a partial success, if any) is unreadable.
      return { ok: true, answer: Buffer.alloc(0), note: (error as Error).message };
    }
  }
  const message = decodeMessage(trailers["grpc-message"] ?? head["grpc-message"]);
  const reason = `the receiver answered gRPC ${CODE_NAMES[code] ?? code}${message ? `: ${message.slice(0, 200)}` : ""}`;
  if (code === RESOURCE_EXHAUSTED) {
    const delayMs = retryInfoDelayMs(trailers["grpc-status-details-bin"] ?? head["grpc-status-details-bin"]);
    return { ok: false, retryable: delayMs !== null, retryAfterMs: delayMs, reason };
  }
  return { ok: false, retryable: RETRYABLE.has(code), retryAfterMs: null, reason };
}

/** The one length-prefixed message of a unary answer (empty when there is none). */
function answerMessage(body: Buffer, encoding: string | string[] | undefined): Buffer {
  if (body.length === 0) return body;
  if (body.length < 5) throw new Error("a truncated gRPC message");
  const length = body.readUInt32BE(1);
  const message = body.subarray(5, 5 + length);
  if (message.length !== length) throw new Error("a truncated gRPC message");
  if (body[0] === 0) return message;
  if (encoding === "gzip") return gunzipSync(message);
  throw new Error(`an answer compressed with ${String(encoding)}`);
}

/** grpc-message is percent-encoded UTF-8. */
function decodeMessage(value: string | string[] | undefined): string {
  if (typeof value !== "string") return "";
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The delay a `google.rpc.Status` in grpc-status-details-bin asks for with a RetryInfo
 * (Status.details = 3: Any { type_url = 1, value = 2 }; RetryInfo.retry_delay = 1: Duration
 * { seconds = 1, nanos = 2 }), at most 30 s; null without one.
 */
export function retryInfoDelayMs(details: string | string[] | undefined): number | null {
  if (typeof details !== "string") return null;
  const status = Buffer.from(details, "base64");
  for (const any of protoFields(status, 3, 2)) {
    if (protoFields(any, 1, 2).at(-1)?.toString("utf8") !== RETRY_INFO_TYPE) continue;
    const info = protoFields(any, 2, 2).at(-1);
    const duration = info === undefined ? undefined : protoFields(info, 1, 2).at(-1);
    if (duration === undefined) return 0;
    const seconds = Number(protoFields(duration, 1, 0).at(-1) ?? 0n);
    const nanos = Number(protoFields(duration, 2, 0).at(-1) ?? 0n);
    return Math.min(Math.max(0, seconds * 1000 + Math.round(nanos / 1e6)), 30_000);
  }
  return null;
}
