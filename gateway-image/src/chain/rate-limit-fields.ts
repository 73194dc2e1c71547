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
  const policy = `"${scope}";q=${quota};w=${windowSeconds}`;
  const limitPrefix = `"${scope}";r=`;
  return (headers, remaining, resetSeconds) => {
    headers["ratelimit-policy"] = withItem(headers["ratelimit-policy"], policy);
    headers.ratelimit = withItem(headers.ratelimit, `${limitPrefix}${remaining};t=${resetSeconds}`);
  };
}
