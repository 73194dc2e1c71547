/**
 * The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers) one limiting policy adds to
 * a response: `RateLimit-Policy: "<scope>";q=<quota>;w=<window s>` and
 * `RateLimit: "<scope>";r=<remaining>;t=<reset s>`, appended as list items when another
 * policy (rateLimit and quota on one route) already added its own.
 */
import { withItem } from "../http/exchange";

export type RateLimitFields = (headers: Record<string, string | string[] | undefined>, remaining: number, resetSeconds: number) => void;

/**
 * The fields of one policy instance; the constant parts are built once. The names are
 * written as constants, not through a variable as in appendHeader, so the stores on the
 * exchange's header object stay monomorphic on the per-request path.
 */
export function rateLimitFields(scope: string, quota: number, windowSeconds: number): RateLimitFields {
  const name = structuredFieldString(scope);
  const policy = `${name};q=${quota};w=${windowSeconds}`;
  const limitPrefix = `${name};r=`;
  return (headers, remaining, resetSeconds) => {
    headers["ratelimit-policy"] = withItem(headers["ratelimit-policy"], policy);
    headers.ratelimit = withItem(headers.ratelimit, `${limitPrefix}${remaining};t=${resetSeconds}`);
  };
}

/**
 * `text` as an RFC 8941 sf-string: `"` and `\` escaped with a backslash; `%` and what an
 * sf-string cannot hold (controls, anything above `~`) percent-encoded as UTF-8. A scope
 * holds the contract's operationId, which may be any string (and a hand-written manifest
 * anything): the value must neither break the field nor split the head.
 */
export function structuredFieldString(text: string): string {
  return `"${text.replace(/[\\"]/g, "\\$&").replace(/[^\x20-\x24\x26-\x7e]/gu, percentEncoded)}"`;
}

/** encodeURIComponent would throw on a lone surrogate (JSON can carry one); Buffer writes U+FFFD. */
function percentEncoded(character: string): string {
  let encoded = "";
  for (const byte of Buffer.from(character, "utf8")) encoded += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  return encoded;
}
