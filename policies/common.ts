/**
 * Value schemas several policies share.
 *
 * Every transform in an options schema ends in `.pipe(<output schema>)`: the manifest
 * schema (and its JSON Schema) is derived from the output side.
 */
import { isIP } from "node:net";
import { z } from "zod";

/** RFC 9110 field-name token, written lower-case in the manifest (HTTP/2 and Node use lower case). */
export const headerName = z
  .string()
  .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, "a header name is an RFC 9110 token (letters, digits, !#$%&'*+-.^_`|~)")
  .transform((name) => name.toLowerCase())
  .pipe(z.string());

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

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export const httpMethod = z
  .string()
  .transform((method) => method.toUpperCase())
  .pipe(z.enum(HTTP_METHODS));

/** An IPv4/IPv6 address or CIDR range; a bare address becomes a /32 or /128 range. */
export const ipRange = z.string().transform((value, ctx) => {
  const [address = "", prefix, ...rest] = value.split("/");
  const family = isIP(address);
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

/** `true` when a string is an IANA time zone this Node knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
