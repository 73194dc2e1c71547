/**
 * What an HTTP/1.1 header name and value may be, checked by both sides of the gateway before
 * a head is written (the response to the client, the request to an upstream): a value a
 * policy produced must not be able to split the message.
 */

/** RFC 9110 token: what a header name (and a method) may be. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What a header value may not contain (Node's and undici's rule: no CR, LF, NUL, nothing above 0xff). */
export const INVALID_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** A whole header value by the same rule, for schemas (a JSON Schema `pattern` is written from it). */
export const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Header names already found to be tokens: the same few dozen come on every message, and a
 * set lookup costs a fraction of the regular expression (~240 instructions a name,
 * callgrind). Bounded, since names can come from clients.
 */
const knownNames = new Set<string>();
const MAX_KNOWN_NAMES = 1024;

/** Whether `name` may be a header name (an RFC 9110 token). */
export function isHeaderName(name: string): boolean {
  if (knownNames.has(name)) return true;
  if (!TOKEN.test(name)) return false;
  if (knownNames.size < MAX_KNOWN_NAMES) knownNames.add(name);
  return true;
}
