/**
 * A single-pass JSON structure checker over raw bytes, in the spirit of Apigee's
 * JSONThreatProtection: it validates the grammar (RFC 8259) and measures nesting depth,
 * entries per object, key length, items per array and string length, stopping at the first
 * limit exceeded. No value is built, so a hostile body costs one linear pass and a few
 * counters; containers are tracked on an explicit stack that never grows past
 * `maxDepth + 1`, so deep nesting cannot overflow the call stack.
 *
 * Lengths are in UTF-16 code units, as JavaScript's `String.length` counts them (an escape
 * is one unit, a character outside the BMP is two), so the limits mean what the same
 * limits checked on `JSON.parse`'s result would mean.
 */

export interface JsonLimits {
  readonly maxDepth: number;
  readonly maxObjectKeys: number;
  readonly maxKeyLength: number;
  readonly maxArrayItems: number;
  readonly maxStringLength: number;
}

/** The largest of each measure met in the document (up to where scanning stopped). */
export interface JsonStats {
  depth: number;
  objectKeys: number;
  keyLength: number;
  arrayItems: number;
  stringLength: number;
}

export type JsonScan =
  | { readonly ok: true; readonly stats: JsonStats }
  /** Not JSON: `offset` is the byte where the grammar broke. */
  | { readonly ok: false; readonly error: "malformed"; readonly offset: number; readonly stats: JsonStats }
  /** A limit was exceeded at `offset`. */
  | { readonly ok: false; readonly error: "limit"; readonly limit: keyof JsonLimits; readonly offset: number; readonly stats: JsonStats }
  /** The string visitor asked to stop. */
  | { readonly ok: false; readonly error: "stopped"; readonly offset: number; readonly stats: JsonStats };

/**
 * Called with each key and string value, decoded; returning `true` stops the scan (e.g.
 * an injection pattern matched). Decoding costs a `JSON.parse` of the string's bytes, paid
 * only when a visitor is given.
 */
export type StringVisitor = (value: string, isKey: boolean) => boolean;

/** No limits: for measuring. */
export const UNLIMITED: JsonLimits = { maxDepth: Infinity, maxObjectKeys: Infinity, maxKeyLength: Infinity, maxArrayItems: Infinity, maxStringLength: Infinity };

// What the scanner expects next.
const VALUE = 0; // a value (after `:`, after `,` in an array, or at the top)
const VALUE_OR_CLOSE = 1; // a value or `]` (just after `[`)
const KEY_OR_CLOSE = 2; // a key or `}` (just after `{`)
const KEY = 3; // a key (after `,` in an object)
const COLON = 4;
const AFTER_VALUE = 5; // `,` or the container's close, or the end at the top level

const OBJECT = 1;
const ARRAY = 2;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export function scanJson(bytes: Uint8Array, limits: JsonLimits, visit?: StringVisitor): JsonScan {
  const stats: JsonStats = { depth: 0, objectKeys: 0, keyLength: 0, arrayItems: 0, stringLength: 0 };
  const kinds: number[] = [];
  const counts: number[] = [];
  const length = bytes.length;
  let state = VALUE;
  let at = 0;
  const malformed = (offset: number): JsonScan => ({ ok: false, error: "malformed", offset, stats });
  const exceeded = (limit: keyof JsonLimits, offset: number): JsonScan => ({ ok: false, error: "limit", limit, offset, stats });

  while (true) {
    // Insignificant whitespace: space, tab, line feed, carriage return.
    while (at < length) {
      const byte = bytes[at]!;
      if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) break;
      at++;
    }
    if (at >= length) break;
    const byte = bytes[at]!;
    const depth = kinds.length;

    if (state === AFTER_VALUE) {
      if (depth === 0) return malformed(at); // something after the top-level value
      const kind = kinds[depth - 1]!;
      if (byte === 0x2c /* , */) {
        state = kind === ARRAY ? VALUE : KEY;
        at++;
      } else if ((byte === 0x5d /* ] */ && kind === ARRAY) || (byte === 0x7d /* } */ && kind === OBJECT)) {
        kinds.pop();
        counts.pop();
        at++;
      } else {
        return malformed(at);
      }
      continue;
    }

    if (state === COLON) {
      if (byte !== 0x3a /* : */) return malformed(at);
      state = VALUE;
      at++;
      continue;
    }

    if (state === KEY_OR_CLOSE || state === KEY) {
      if (byte === 0x7d && state === KEY_OR_CLOSE) {
        kinds.pop();
        counts.pop();
        state = AFTER_VALUE;
        at++;
        continue;
      }
      if (byte !== QUOTE) return malformed(at);
      const keys = ++counts[depth - 1]!;
      if (keys > stats.objectKeys) stats.objectKeys = keys;
      if (keys > limits.maxObjectKeys) return exceeded("maxObjectKeys", at);
      const end = scanString(bytes, at, limits.maxKeyLength);
      if (end === TOO_LONG) return exceeded("maxKeyLength", at);
      if (end < 0) return malformed(-end - 1);
      if (lastLength > stats.keyLength) stats.keyLength = lastLength;
      if (visit !== undefined && visit(decodeString(bytes, at, end), true)) return { ok: false, error: "stopped", offset: at, stats };
      at = end;
      state = COLON;
      continue;
    }

    // VALUE or VALUE_OR_CLOSE
    if (byte === 0x5d /* ] */ && state === VALUE_OR_CLOSE) {
      kinds.pop();
      counts.pop();
      state = AFTER_VALUE;
      at++;
      continue;
    }
    if (depth > 0 && kinds[depth - 1] === ARRAY) {
      const items = ++counts[depth - 1]!;
      if (items > stats.arrayItems) stats.arrayItems = items;
      if (items > limits.maxArrayItems) return exceeded("maxArrayItems", at);
    }
    if (byte === 0x7b /* { */ || byte === 0x5b /* [ */) {
      if (depth + 1 > stats.depth) stats.depth = depth + 1;
      if (depth + 1 > limits.maxDepth) return exceeded("maxDepth", at);
      const isObject = byte === 0x7b;
      kinds.push(isObject ? OBJECT : ARRAY);
      counts.push(0);
      state = isObject ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
      at++;
      continue;
    }
    let end: number;
    if (byte === QUOTE) {
      end = scanString(bytes, at, limits.maxStringLength);
      if (end === TOO_LONG) return exceeded("maxStringLength", at);
      if (end < 0) return malformed(-end - 1);
      if (lastLength > stats.stringLength) stats.stringLength = lastLength;
      if (visit !== undefined && visit(decodeString(bytes, at, end), false)) return { ok: false, error: "stopped", offset: at, stats };
    } else if (byte === 0x2d /* - */ || (byte >= 0x30 && byte <= 0x39)) {
      end = scanNumber(bytes, at);
    } else if (byte === 0x74 /* t */) {
      end = matchWord(bytes, at, TRUE);
    } else if (byte === 0x66 /* f */) {
      end = matchWord(bytes, at, FALSE);
    } else if (byte === 0x6e /* n */) {
      end = matchWord(bytes, at, NULL);
    } else {
      return malformed(at);
    }
    if (end < 0) return malformed(-end - 1);
    at = end;
    state = AFTER_VALUE;
  }

  // The end: complete only after a whole top-level value.
  if (state !== AFTER_VALUE || kinds.length > 0) return malformed(length);
  return { ok: true, stats };
}

/** scanString's answer when the string is longer than allowed. */
const TOO_LONG = -Number.MAX_SAFE_INTEGER;
/**
 * Length (UTF-16 units) of the string scanString last accepted: a second result without an
 * allocation per string (scanning is synchronous, so nothing else can run in between).
 */
let lastLength = 0;

/**
 * Scans the string starting at the quote at `start`. Returns the offset after its closing
 * quote, `TOO_LONG`, or `-(offset + 1)` of the byte that breaks the grammar.
 */
function scanString(bytes: Uint8Array, start: number, maxLength: number): number {
  let units = 0;
  let at = start + 1;
  const length = bytes.length;
  while (at < length) {
    const byte = bytes[at]!;
    if (byte === QUOTE) {
      lastLength = units;
      return at + 1;
    }
    if (byte === BACKSLASH) {
      const escaped = bytes[at + 1];
      if (escaped === 0x75 /* u */) {
        for (let digit = at + 2; digit < at + 6; digit++) if (!isHexDigit(bytes[digit])) return -(Math.min(digit, length) + 1);
        at += 6;
      } else if (escaped !== undefined && SIMPLE_ESCAPES.has(escaped)) {
        at += 2;
      } else {
        return -(Math.min(at + 1, length) + 1);
      }
      units++;
    } else if (byte < 0x20) {
      return -(at + 1); // control characters must be escaped
    } else {
      // UTF-8: count lead bytes, not continuation bytes; a 4-byte sequence is a surrogate pair in UTF-16.
      if ((byte & 0xc0) !== 0x80) units += byte >= 0xf0 ? 2 : 1;
      at++;
    }
    if (units > maxLength) return TOO_LONG;
  }
  return -(length + 1); // unterminated
}

const SIMPLE_ESCAPES = new Set([QUOTE, BACKSLASH, 0x2f /* / */, 0x62 /* b */, 0x66 /* f */, 0x6e /* n */, 0x72 /* r */, 0x74 /* t */]);

function isHexDigit(byte: number | undefined): boolean {
  return byte !== undefined && ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66));
}

/** `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`; returns the offset after it or `-(offset + 1)`. */
function scanNumber(bytes: Uint8Array, start: number): number {
  let at = start;
  if (bytes[at] === 0x2d) at++;
  if (bytes[at] === 0x30) at++;
  else if (isDigit(bytes[at])) while (isDigit(bytes[at])) at++;
  else return -(at + 1);
  if (bytes[at] === 0x2e /* . */) {
    at++;
    if (!isDigit(bytes[at])) return -(at + 1);
    while (isDigit(bytes[at])) at++;
  }
  if (bytes[at] === 0x65 || bytes[at] === 0x45 /* e E */) {
    at++;
    if (bytes[at] === 0x2b || bytes[at] === 0x2d) at++;
    if (!isDigit(bytes[at])) return -(at + 1);
    while (isDigit(bytes[at])) at++;
  }
  return at;
}

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x30 && byte <= 0x39;
}

const TRUE = Buffer.from("true");
const FALSE = Buffer.from("false");
const NULL = Buffer.from("null");

function matchWord(bytes: Uint8Array, start: number, word: Uint8Array): number {
  for (let index = 0; index < word.length; index++) if (bytes[start + index] !== word[index]) return -(start + index + 1);
  return start + word.length;
}

/** The decoded value of a string the scanner accepted (`start` at its opening quote, `end` after its closing one). */
function decodeString(bytes: Uint8Array, start: number, end: number): string {
  return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString("utf8")) as string;
}
