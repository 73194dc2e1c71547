/**
 * Value schemas several policies share.
 *
 * Every transform in an options schema ends in `.pipe(<output schema>)`: the manifest
 * schema (and its JSON Schema) is derived from the output side.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { HEADER_VALUE, TOKEN } from "../gateway-image/src/http/header-syntax";

/** A header name, written lower-case in the manifest (HTTP/2 and Node use lower case). */
export const headerName = z
  .string()
  .regex(TOKEN, "a header name is an RFC 9110 token (letters, digits, !#$%&'*+-.^_`|~)")
  .transform((name) => name.toLowerCase())
  .pipe(z.string());

/**
 * A header value a declaration sets: tabs, visible ASCII, spaces and Latin-1 bytes, the rule
 * llhttp and Node apply. A CR or LF would split the message; refused when the declaration
 * compiles rather than by the gateway on the request that would send it.
 */
export const headerValue = z
  .string()
  .regex(HEADER_VALUE, "a header value may hold tabs, spaces, visible ASCII and Latin-1 characters, not CR, LF or other control characters (they would split the HTTP message); encode such data, e.g. percent-encoded or base64");

/**
 * An API's path prefix on the gateway: `/segment[/segment...]` of URL-unreserved characters,
 * without a trailing slash, or `/` alone. The manifest, the API construct and the lifecycle
 * policy's successor link share it (the link goes into a `Link` header as it is).
 */
export const basePath = z
  .string()
  .regex(/^(\/[A-Za-z0-9._~-]+)+$|^\/$/, "a base path is /segment[/segment...] without a trailing slash, e.g. /orders/v1");

/** Headers that describe one connection and are never set or forwarded by a policy (RFC 9110 §7.6.1). */
export const HOP_BY_HOP_HEADERS = [
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
] as const;

const hopByHop = new Set<string>(HOP_BY_HOP_HEADERS);

/** A header a policy may set on a request or response: any but the hop-by-hop ones. */
export const settableHeaderName = headerName.refine((name) => !hopByHop.has(name), {
  message: `hop-by-hop headers (${HOP_BY_HOP_HEADERS.join(", ")}) describe one connection, so a policy cannot set or remove them`,
});

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export const httpMethod = z
  .string()
  .transform((method) => method.toUpperCase())
  .pipe(z.enum(HTTP_METHODS));

/** An IPv4/IPv6 address or CIDR range; a bare address becomes a /32 or /128 range. */
export const ipRange = z.string().transform((value, ctx) => {
  const [address = "", prefix, ...rest] = value.split("/");
  // Zone ids (fe80::1%eth0) name an interface of one host: meaningless in a shared policy.
  const family = address.includes("%") ? 0 : isIP(address);
  const max = family === 4 ? 32 : 128;
  const bits = prefix === undefined ? max : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  if (family === 0 || rest.length > 0 || !(bits >= 0 && bits <= max)) {
    ctx.addIssue({ code: "custom", message: `"${value}" is not an IPv4/IPv6 address or CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32)`, input: value });
    return z.NEVER;
  }
  return `${address.toLowerCase()}/${bits}`;
}).pipe(z.string());

/** A regular expression written as a string; checked to compile. */
export const regexSource = z.string().min(1).refine(
  (source) => {
    try {
      new RegExp(source, "u");
      return true;
    } catch {
      return false;
    }
  },
  { message: "not a valid regular expression (JavaScript syntax, u flag)" },
);

/** An IANA time zone this Node knows, written in its canonical spelling (`europe/berlin` → `Europe/Berlin`). */
export const timeZone = z
  .string()
  .transform((zone, ctx) => {
    try {
      return new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
    } catch {
      ctx.addIssue({ code: "custom", message: "not an IANA time zone (e.g. UTC, Europe/Berlin)", input: zone });
      return z.NEVER;
    }
  })
  .pipe(z.string());

/** Sorted, without duplicates: for lists whose order means nothing. */
export function sortedSet<T extends string | number>(values: Iterable<T>): T[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
