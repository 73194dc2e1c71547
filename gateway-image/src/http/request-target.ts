/**
 * The one reading of a request's path that the gateway routes, authorizes and forwards.
 *
 * Each operation has its own policies, so choosing the route is access control: a path the
 * gateway reads as one operation and the upstream as another gets past the policies of the
 * second. `/public/..%2Fadmin` matches `/public/{slug}` (no credential needed) and reaches an
 * upstream that decodes before it routes (nginx, Go's ServeMux before 1.22) as `/admin`;
 * `/public/..` reaches most upstreams as `/`. Hence, before routing:
 *
 * - percent-encoded unreserved characters (`%61`, `%2e`) are decoded (RFC 3986 §6.2.2.2: they
 *   mean the same), so a base path is matched and stripped as the literal it is, and dot
 *   segments (`.` and `..`) are then resolved as RFC 3986 §5.2.4 says; the result is what is
 *   routed, checked by policies and forwarded (nginx, Kong and Envoy with `normalize_path`
 *   do the same), so the upstream cannot read another path in it;
 * - an absolute-form target (`GET http://api.example/a`) is read as its path and query, and its
 *   host must be the Host header's;
 * - a fragment (`#`, never part of a request target: RFC 9112 §3.2), a backslash (a separator
 *   to IIS and some frameworks) and a dot segment followed by parameters (`..;`, which servlet
 *   containers read as `..`) are refused;
 * - a percent-encoded slash or backslash (`%2F`, `%5C`) is reported, for the route's upstream
 *   setting (`encodedSlashes`) to refuse it or let it through as sent.
 *
 * Nearly every path has none of these, and is told apart in one pass over its characters
 * without allocating (`targetShape`); only the others take `normalizeTarget`.
 */

/** `targetShape`: nothing to do; the target is routed and forwarded as sent. */
export const TARGET_PLAIN = 0;
/** `targetShape`: the path has a `%2F` or `%5C` and nothing else unusual. */
export const TARGET_ENCODED_SLASH = 1;
/** `targetShape`: the target needs `normalizeTarget` (not origin-form, or a dot segment, `#`, `\`, `;` or an encoded unreserved character may be in it). */
export const TARGET_UNUSUAL = 2;

/**
 * How much work a request target needs, in one pass: a bit set of `TARGET_ENCODED_SLASH`
 * and `TARGET_UNUSUAL`. Errs towards `TARGET_UNUSUAL` (`/.well-known` is unusual here and
 * comes out of `normalizeTarget` unchanged), never the other way.
 */
export function targetShape(url: string): number {
  // Not origin-form (`/path?query`): asterisk, absolute or authority form.
  if (url.charCodeAt(0) !== 0x2f /* / */) return TARGET_UNUSUAL;
  let shape = TARGET_PLAIN;
  const length = url.length;
  for (let index = 0; index < length; index++) {
    const code = url.charCodeAt(index);
    if (code === 0x3f /* ? */) return url.indexOf("#", index) < 0 ? shape : shape | TARGET_UNUSUAL;
    if (code === 0x25 /* % */) {
      const byte = (hexDigit(url.charCodeAt(index + 1)) << 4) | hexDigit(url.charCodeAt(index + 2));
      if (byte === 0x2f /* / */ || byte === 0x5c /* \ */) shape |= TARGET_ENCODED_SLASH;
      else if (byte >= 0 && byte < 0x80 && UNRESERVED[byte] === 1) shape |= TARGET_UNUSUAL;
    } else if (code === 0x2e /* . */) {
      if (index > 0 && url.charCodeAt(index - 1) === 0x2f /* / */) shape |= TARGET_UNUSUAL;
    } else if (code === 0x5c /* \ */ || code === 0x23 /* # */ || code === 0x3b /* ; */) {
      shape |= TARGET_UNUSUAL;
    }
  }
  return shape;
}

/** ASCII bytes RFC 3986 calls unreserved: ALPHA, DIGIT, `-`, `.`, `_`, `~`. */
const UNRESERVED = new Uint8Array(128);
for (let byte = 0; byte < 128; byte++) {
  const char = String.fromCharCode(byte);
  if (/[A-Za-z0-9._~-]/.test(char)) UNRESERVED[byte] = 1;
}

/** A hexadecimal digit's value; -256 for any other character (so a byte built with it is negative). */
function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x57;
  return -256;
}

/** A target as the gateway reads it. */
export interface NormalizedTarget {
  /** Path (unreserved characters decoded, dot segments resolved) and query (as sent): the same string when nothing changed. */
  readonly url: string;
  /** Whether the path has a percent-encoded slash or backslash. */
  readonly encodedSlash: boolean;
  /**
   * The host and port of an absolute-form target (`GET http://api.example/items`), which the
   * Host header must equal; undefined for any other form.
   */
  readonly authority?: string;
}

/** Why a target is refused, for the 400's detail. */
export interface RefusedTarget {
  readonly refused: string;
}

const ENCODED_SLASH = /%(?:2f|5c)/i;
const ENCODED_OCTET = /%([0-9A-Fa-f]{2})/g;

/** `%41` → `A`: an unreserved character means the same encoded or not (RFC 3986 §6.2.2.2); any other octet stays encoded. */
function decodeUnreserved(octet: string, hex: string): string {
  const byte = (hexDigit(hex.charCodeAt(0)) << 4) | hexDigit(hex.charCodeAt(1));
  return byte < 0x80 && UNRESERVED[byte] === 1 ? String.fromCharCode(byte) : octet;
}

/** The target with unreserved characters decoded and dot segments resolved, or why it is refused. */
export function normalizeTarget(url: string): NormalizedTarget | RefusedTarget {
  if (url.includes("#")) return { refused: "the request target has a fragment (#), which is not part of a request target (RFC 9112 §3.2)" };
  const mark = url.indexOf("?");
  const path = mark < 0 ? url : url.slice(0, mark);
  if (path.includes("\\")) return { refused: "the path has a backslash, which some servers read as a slash; send it as %5C if it is data" };
  if (path.charCodeAt(0) !== 0x2f /* / */) return url === "*" ? { url, encodedSlash: false } : absoluteForm(url);
  const segments = path.split("/");
  const kept: string[] = [];
  let changed = false;
  for (let index = 1; index < segments.length; index++) {
    let segment = segments[index]!;
    if (segment.includes("%")) {
      const decoded = segment.replace(ENCODED_OCTET, decodeUnreserved);
      if (decoded !== segment) {
        segment = decoded;
        changed = true;
      }
    }
    const dots = dotSegment(segment);
    if (dots === 0) {
      const parameters = segment.indexOf(";");
      if (parameters >= 0 && dotSegment(segment.slice(0, parameters)) !== 0) {
        return { refused: `the path has the segment "${segment}", which servlet containers read as a dot segment` };
      }
      kept.push(segment);
      continue;
    }
    changed = true;
    // ".." above the root stays at the root (RFC 3986 §5.2.4).
    if (dots === 2) kept.pop();
    // "/a/b/.." is "/a/": a dot segment at the end leaves the slash before it.
    if (index === segments.length - 1) kept.push("");
  }
  const resolved = changed ? `/${kept.join("/")}` : path;
  return { url: changed ? (mark < 0 ? resolved : resolved + url.slice(mark)) : url, encodedSlash: ENCODED_SLASH.test(resolved) };
}

const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)(.*)$/i;

/**
 * An absolute-form target, read as its path and query. RFC 9112 §3.2.2 has servers accept
 * it (clients configured with the gateway as their proxy send it); routed as sent, the
 * scheme and host went upstream as part of the path. A client must send a Host equal to the
 * authority (RFC 9112 §3.2), which the caller checks, so everything that reads the Host
 * (X-Forwarded-Host, Forwarded, cache keys) reads the target's host.
 */
function absoluteForm(url: string): NormalizedTarget | RefusedTarget {
  const parts = ABSOLUTE_FORM.exec(url);
  if (parts === null) return { refused: "the request target is neither a path (origin-form) nor an http(s) URL (absolute-form)" };
  const authority = parts[1]!;
  if (authority === "" || authority.includes("@")) return { refused: "the request target's URL has no host, or has user information before it" };
  const rest = parts[2]!;
  const target = normalizeTarget(rest === "" ? "/" : rest.charCodeAt(0) === 0x3f /* ? */ ? `/${rest}` : rest);
  return "refused" in target ? target : { ...target, authority };
}

/** 1 for `.`, 2 for `..` (decoded: `%2e` is a dot), 0 for any other segment. */
function dotSegment(segment: string): 0 | 1 | 2 {
  return segment === "." ? 1 : segment === ".." ? 2 : 0;
}
