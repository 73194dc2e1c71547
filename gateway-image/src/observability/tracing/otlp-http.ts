/**
 * OTLP/HTTP: a POST of the export request to the traces URL on a small keep-alive pool. The
 * OTLP specification's retryable answers are 429, 502, 503 and 504 (with the receiver's
 * Retry-After, in seconds or as an HTTP date), and connection errors.
 */
import { Pool, buildConnector } from "undici";
import type { ExportTransport, PostResult, TlsSource } from "./export-transport";

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
/** The longest a receiver's Retry-After is obeyed. */
const MAX_RETRY_AFTER_MS = 30_000;

export class OtlpHttpTransport implements ExportTransport {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly headers: Record<string, string> = {};

  /** @param tls the private CA and client certificate, asked for at each new connection (they may be renewed on disk). */
  constructor(endpoint: URL, headers: Readonly<Record<string, string>>, contentType: string, compressed: boolean, tls: TlsSource | null = null) {
    this.pool = new Pool(endpoint.origin, {
      connections: 2,
      keepAliveTimeout: 10_000,
      // A connector per connection, so that certificates renewed on disk are used.
      ...(tls === null ? {} : { connect: (options, callback) => buildConnector(tls())(options, callback) }),
    });
    this.path = `${endpoint.pathname}${endpoint.search}`;
    // The exporter's own content-type and coding win over a configured header of the same name.
    for (const [name, value] of Object.entries(headers)) this.headers[name.toLowerCase()] = value;
    this.headers["content-type"] = contentType;
    this.headers["user-agent"] ??= "turnpike-gateway";
    delete this.headers["content-encoding"];
    if (compressed) this.headers["content-encoding"] = "gzip";
  }

  async post(body: Buffer, timeoutMs: number): Promise<PostResult> {
    try {
      const response = await this.pool.request({ path: this.path, method: "POST", headers: this.headers, body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) });
      const answer = Buffer.from(await response.body.arrayBuffer());
      if (response.statusCode >= 200 && response.statusCode < 300) return { ok: true, answer };
      // A protobuf receiver's error is a google.rpc.Status: its message is readable text among the bytes.
      const text = answer.toString("utf8").replace(/[^\x20-\x7e]+/g, " ").trim();
      return {
        ok: false,
        retryable: RETRYABLE_STATUS.has(response.statusCode),
        retryAfterMs: retryAfterMs(response.headers["retry-after"]),
        reason: `the receiver answered ${response.statusCode}${text ? `: ${text.slice(0, 200)}` : ""}`,
      };
    } catch (error) {
      return { ok: false, retryable: true, retryAfterMs: null, reason: (error as Error).message };
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy().catch(() => undefined);
  }
}

/** Retry-After (RFC 9110 §10.2.3: seconds or an HTTP date) in ms, at most 30 s; null when absent or unreadable. */
function retryAfterMs(value: string | string[] | undefined): number | null {
  if (typeof value !== "string") return null;
  const ms = /^\d+$/.test(value.trim()) ? Number(value.trim()) * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : null;
}
