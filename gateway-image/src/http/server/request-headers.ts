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

