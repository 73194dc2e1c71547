/**
 * A request's header map from the parser's raw name/value list, by node:http's rules (so
 * policies see the same `req.headers` on either server): names lower-cased; a repeated
 * single-value field keeps its first value (a second Host or Authorization cannot override
 * the one the parser framed the request by); Cookie joined with `; `; Set-Cookie an array;
 * every other repeated field joined with `, ` (RFC 9110 §5.2).
 */
import type { IncomingHttpHeaders } from "node:http";

/** Fields node:http keeps the first of (`matchKnownFields` in Node's `_http_incoming.js`). */
const FIRST_WINS = new Set([
  "age",
  "authorization",
  "content-length",
  "content-type",
  "etag",
  "expires",
  "from",
  "host",
  "if-modified-since",
  "if-unmodified-since",
  "last-modified",
  "location",
  "max-forwards",
  "proxy-authorization",
  "referer",
  "retry-after",
  "server",
  "user-agent",
]);

export function requestHeaders(raw: readonly string[]): IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index]!.toLowerCase();
    const value = raw[index + 1]!;
    const existing = headers[name];
    if (existing === undefined) {
      headers[name] = name === "set-cookie" ? [value] : value;
    } else if (name === "set-cookie") {
      (existing as string[]).push(value);
    } else if (name === "cookie") {
      headers[name] = `${existing as string}; ${value}`;
    } else if (!FIRST_WINS.has(name)) {
      headers[name] = `${existing as string}, ${value}`;
    }
  }
  return headers as IncomingHttpHeaders;
}

/**
 * RFC 3986 `host [ ":" port ]`: an IP literal in brackets, or a registered name or IPv4
 * address (unreserved, sub-delims, pct-encoded), then an optional port. Nothing else may be
 * in a Host field: it goes on to X-Forwarded-Host, Forwarded and cache keys, where
 * `evil.example/x?` or a quote would mean something else.
 */
const HOST_FIELD = /^(?:\[[0-9A-Za-z:._~!$&'()*+,;=-]+\]|[0-9A-Za-z._~!$&'()*+,;=%-]*)(?::[0-9]*)?$/;

/**
 * Why a request's Host fields are refused, or null (RFC 9112 §3.2: a server MUST answer 400
 * to an HTTP/1.1 request without Host, to any request with more than one Host field line,
 * and to a Host with an invalid value). node:http takes the first of several and checks no
 * value; nginx refuses both, as this does.
 */
export function hostFieldProblem(raw: readonly string[], http11: boolean): { readonly code: "HPE_MISSING_HOST" | "HPE_INVALID_HOST"; readonly message: string } | null {
  let value: string | undefined;
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index]!;
    if (name.length !== 4 || name.toLowerCase() !== "host") continue;
    if (value !== undefined) return { code: "HPE_INVALID_HOST", message: "the request has more than one Host header" };
    value = raw[index + 1]!;
  }
  if (value === undefined) return http11 ? { code: "HPE_MISSING_HOST", message: "an HTTP/1.1 request must have a Host header" } : null;
  return HOST_FIELD.test(value) ? null : { code: "HPE_INVALID_HOST", message: "the request's Host header is not a host name or address with an optional port" };
}
