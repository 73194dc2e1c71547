/**
 * One request's state on its way through the gateway. A class with every field set in the
 * constructor, so all exchanges share one hidden class and property access stays
 * monomorphic on the hot path.
 */
import type { GatewayRequest, GatewayResponse } from "./server/message-types";
import type { ConsumerRecord, Subscription } from "../identity/consumer-directory";
import type { CompiledRoute } from "../config/compiled-route";
import type { RequestId } from "./forwarding";
import type { GatewaySpan } from "../observability/tracing/tracer";

export type HeaderMap = Record<string, string | string[] | undefined>;

/**
 * A copy of a header map whose list values are copies too, made property by property. Not
 * `{ ...headers }` where the copy gets more headers afterwards: on Node 20 (V8 11.3) each
 * property added to an object made by spreading makes a new hidden class, and the copy is
 * ~40 times slower and leaves ~80 bytes in the old generation (BENCHMARKS.md, fifteenth
 * session).
 */
export function copyHeaders(headers: Readonly<HeaderMap>): HeaderMap {
  const copy: HeaderMap = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) copy[name] = Array.isArray(value) ? [...value] : value;
  }
  return copy;
}

export class Exchange {
  /**
   * The request target as the gateway routed it: the client's, with dot segments resolved
   * (`request-target.ts`). Policies read the path from here, not from `req.url`, so that
   * what they check is what was routed and is forwarded.
   */
  readonly url: string;
  /** The operation's path parameters, decoded. */
  readonly params: Record<string, string | undefined>;
  /** Query string without the leading `?` (`""` when none), as the client sent it. */
  readonly query: string;
  /** Monotonic start time, in milliseconds (`performance.now()`). */
  readonly startedAt: number;
  /** The identified consumer, once an authentication policy found one. */
  consumer: ConsumerRecord | null = null;
  /** The consumer's subscription covering this API, which selects the plan's policies. */
  subscription: Subscription | null = null;
  /** Scopes granted by the credential (a JWT's `scope` claim), for the contract's requirements. */
  grantedScopes: ReadonlySet<string> | null = null;
  /** Which authentication policy identified the caller, for logs (`apiKey`, `jwt`, `mtls`). */
  authenticatedBy: string | null = null;
  /** Contract security schemes the caller's credentials satisfied (checked by the authentication gate). */
  readonly satisfiedSchemes = new Set<string>();
  /** Headers sent upstream; built from the client's before the request phase. */
  upstreamHeaders: HeaderMap = {};
  /** Path sent upstream (after the target's path prefix), initially the contract path with the parameters. */
  upstreamPath = "";
  /** Query string sent upstream, without `?`. */
  upstreamQuery: string;
  /** Headers added to the response, whatever produced it (upstream or gateway). */
  readonly responseHeaders: Record<string, string | string[]> = {};
  /** The request body, once a policy needed it buffered. */
  body: Buffer | null = null;
  /** Final status sent, for logs and metrics. */
  status = 0;
  /** Upstream target that answered, for logs. */
  upstreamTarget: string | null = null;
  /** Why the exchange failed, for logs (never sent to the client). */
  failure: string | null = null;
  /** Cache outcome for logs and the `X-Cache` header: `hit`, `miss`, `bypass` or null. */
  cacheStatus: string | null = null;
  /** The gateway's trace span, once tracing decided it; null while tracing is off or not yet. */
  span: GatewaySpan | null = null;
  private bodyPromise: Promise<Buffer> | null = null;
  private parsedQuery: URLSearchParams | undefined = undefined;

  constructor(
    readonly req: GatewayRequest,
    readonly res: GatewayResponse,
    readonly route: CompiledRoute,
    params: Record<string, string | undefined>,
    readonly requestId: RequestId,
    readonly clientIp: string,
    url: string,
  ) {
    this.url = url;
    this.params = params;
    const mark = url.indexOf("?");
    this.query = mark < 0 ? "" : url.slice(mark + 1);
    this.upstreamQuery = this.query;
    this.startedAt = performance.now();
  }

  /** Query parameters, parsed on first use. */
  get searchParams(): URLSearchParams {
    return (this.parsedQuery ??= new URLSearchParams(this.query));
  }

  /**
   * The whole request body, read once and kept (for validation and threat protection), at
   * most `maxBytes`; a larger body rejects with a BodyTooLargeError.
   */
  readBody(maxBytes: number): Promise<Buffer> {
    this.bodyPromise ??= new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      this.req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          // The client gets its 413, then the connection closes; the rest of the body is
          // read and dropped meanwhile, never kept or forwarded.
          this.req.removeAllListeners("data");
          this.req.resume();
          this.res.shouldKeepAlive = false;
          reject(new BodyTooLargeError(maxBytes));
          return;
        }
        chunks.push(chunk);
      });
      this.req.on("end", () => {
        this.body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
        resolve(this.body);
      });
      this.req.on("error", reject);
    });
    return this.bodyPromise;
  }

  /** Milliseconds since the request arrived. */
  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }
}

export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`request body larger than ${maxBytes} bytes`);
  }
}

/** A header's value with `value` added: a list once there are two (e.g. `RateLimit`, `Vary`). */
export function withItem(existing: string | string[] | undefined, value: string): string | string[] {
  if (existing === undefined) return value;
  if (Array.isArray(existing)) {
    existing.push(value);
    return existing;
  }
  return [existing, value];
}

/** Adds a value to a header that may hold a list (e.g. `RateLimit`, `Vary`). */
export function appendHeader(headers: Record<string, string | string[] | undefined>, name: string, value: string): void {
  headers[name] = withItem(headers[name], value);
}
