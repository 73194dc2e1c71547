/**
 * A lossless JSON document for the response-masking policy: parse an upstream's JSON text,
 * let the policy remove or redact members, and write the rest back unchanged.
 *
 * Why not JSON.parse + JSON.stringify: they carry every number through a float64, so a
 * 64-bit id 1234567890123456789 comes back as 1234567890123456800, 1.0 as 1, 1e400 as
 * null. Here a number is kept as the text the document had (`JsonNumber`) and written back
 * byte for byte; strings, `true`, `false` and `null` are ordinary JavaScript values.
 *
 * The grammar is exactly RFC 8259's, which is exactly what JSON.parse accepts, with three
 * more refusals: an object with two members of the same name (RFC 8259 §4: readers differ on
 * which copy counts, and a masking policy must not leave one copy of a field it removes),
 * nesting deeper than `maxDepth`, and a leading byte order mark (the caller strips it).
 *
 * Objects are ordinary objects whose prototype is Object.prototype, as JSON.parse makes them.
 * A member named `__proto__` is created with Object.defineProperty, so it is an own member
 * like any other and no prototype is changed. Read members with Object.hasOwn / Object.keys,
 * not with `in` or a plain property read (which would see inherited names like `constructor`).
 * Members keep the document's order, except that JavaScript lists array-index names ("0",
 * "17") first, in ascending order, as JSON.parse's objects do; RFC 8259 gives the order of
 * members no meaning.
 *
 * Both directions run over an explicit stack, not recursion: deep nesting costs memory, never
 * a stack overflow.
 */

/** RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`. */
const NUMBER_GRAMMAR = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/** Set while the parser, which has already checked the grammar, makes a JsonNumber. */
let grammarChecked = false;

/** A JSON number kept as the text the document had (RFC 8259 number grammar). */
export class JsonNumber {
  // An ES private field, so a JsonNumber has no own property at all: code that walks values
  // with Object.keys / Object.hasOwn sees a leaf, not an object with members.
  readonly #raw: string;

  /** @throws TypeError if `raw` is not an RFC 8259 number (it is written out verbatim). */
  constructor(raw: string) {
    if (!grammarChecked && (typeof raw !== "string" || !NUMBER_GRAMMAR.test(raw))) {
      throw new TypeError(`not a JSON number: ${JSON.stringify(String(raw).slice(0, 64))}`);
    }
    this.#raw = raw;
  }

  /** The number's text, e.g. `1.0`, `-0`, `1234567890123456789`, `1E+2`. */
  get raw(): string {
    return this.#raw;
  }

  toString(): string {
    return this.#raw;
  }
}

function checkedNumber(raw: string): JsonNumber {
  grammarChecked = true;
  const number = new JsonNumber(raw);
  grammarChecked = false;
  return number;
}

export type JsonDocumentValue = null | boolean | string | JsonNumber | JsonDocumentValue[] | { [name: string]: JsonDocumentValue };

type JsonObject = { [name: string]: JsonDocumentValue };

/** Text that is not a JSON document this module accepts; `offset` is the UTF-16 index of the problem. */
export class JsonDocumentError extends Error {
  override readonly name = "JsonDocumentError";

  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export interface ParseLimits {
  /** deepest nesting of arrays/objects accepted; default 512 */
  readonly maxDepth?: number;
}

const DEFAULT_MAX_DEPTH = 512;

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const SLASH = 0x2f;
const DIGIT_0 = 0x30;
const DIGIT_1 = 0x31;
const DIGIT_9 = 0x39;
const COLON = 0x3a;
const UPPER_E = 0x45;
const LEFT_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RIGHT_BRACKET = 0x5d;
const LOWER_B = 0x62;
const LOWER_E = 0x65;
const LOWER_F = 0x66;
const LOWER_N = 0x6e;
const LOWER_R = 0x72;
const LOWER_T = 0x74;
const LOWER_U = 0x75;
const LEFT_BRACE = 0x7b;
const RIGHT_BRACE = 0x7d;
const BOM = 0xfeff;

/**
 * Parses RFC 8259 JSON text (any value at the top level, optional whitespace around it).
 * Numbers become JsonNumber with their exact text; strings are decoded.
 *
 * @throws JsonDocumentError for any text that is not such a document (and never anything else).
 * @throws RangeError if `limits.maxDepth` is not a whole number ≥ 0 or Infinity (a caller's bug, not the text's).
 */
export function parseJsonDocument(text: string, limits?: ParseLimits): JsonDocumentValue {
  const maxDepth = limits?.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!(maxDepth >= 0) || !(Number.isInteger(maxDepth) || maxDepth === Infinity)) {
    throw new RangeError(`maxDepth must be a whole number ≥ 0 or Infinity, not ${String(maxDepth)}`);
  }
  return new Parser(String(text), maxDepth).document();
}

class Parser {
  private pos = 0;
  private readonly end: number;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {
    this.end = text.length;
  }

  document(): JsonDocumentValue {
    const text = this.text;
    if (text.charCodeAt(0) === BOM) {
      throw new JsonDocumentError("found a byte order mark (U+FEFF) at offset 0: expected JSON text without one (strip it first)", 0);
    }
    // The open containers, innermost last; for each object, the name whose value is being read.
    const containers: (JsonDocumentValue[] | JsonObject)[] = [];
    const names: string[] = [];
    let value: JsonDocumentValue;
    this.skipWhitespace();

    readValue: for (;;) {
      const c = text.charCodeAt(this.pos);
      if (c === QUOTE) {
        value = this.string();
      } else if (c === LEFT_BRACE) {
        if (containers.length >= this.maxDepth) throw this.tooDeep();
        this.pos++;
        this.skipWhitespace();
        const object: JsonObject = {};
        if (text.charCodeAt(this.pos) === RIGHT_BRACE) {
          this.pos++;
          value = object;
        } else {
          names.push(this.memberName(object, "a member name in double quotes or '}'"));
          containers.push(object);
          continue;
        }
      } else if (c === LEFT_BRACKET) {
        if (containers.length >= this.maxDepth) throw this.tooDeep();
        this.pos++;
        this.skipWhitespace();
        const array: JsonDocumentValue[] = [];
        if (text.charCodeAt(this.pos) === RIGHT_BRACKET) {
          this.pos++;
          value = array;
        } else {
          names.push("");
          containers.push(array);
          continue;
        }
      } else if (c === MINUS || (c >= DIGIT_0 && c <= DIGIT_9)) {
        value = this.number();
      } else if (c === LOWER_T) {
        this.literal("true");
        value = true;
      } else if (c === LOWER_F) {
        this.literal("false");
        value = false;
      } else if (c === LOWER_N) {
        this.literal("null");
        value = null;
      } else {
        throw this.unexpected(containers.length === 0 && this.pos === this.end ? "a JSON value (the text is empty or only whitespace)" : "a JSON value");
      }

      // A value is complete: put it in its container, and close every container that ends here.
      for (;;) {
        const depth = containers.length;
        if (depth === 0) {
          this.skipWhitespace();
          if (this.pos < this.end) throw this.unexpected("the end of the text after the top-level value");
          return value;
        }
        const container = containers[depth - 1]!;
        this.skipWhitespace();
        const c = text.charCodeAt(this.pos);
        if (Array.isArray(container)) {
          container.push(value);
          if (c === COMMA) {
            this.pos++;
            this.skipWhitespace();
            continue readValue;
          }
          if (c !== RIGHT_BRACKET) throw this.unexpected("',' or ']' after an array element");
        } else {
          const name = names[depth - 1]!;
          if (name === "__proto__") {
            Object.defineProperty(container, name, { value, writable: true, enumerable: true, configurable: true });
          } else {
            container[name] = value;
          }
          if (c === COMMA) {
            this.pos++;
            this.skipWhitespace();
            names[depth - 1] = this.memberName(container, "a member name in double quotes");
            continue readValue;
          }
          if (c !== RIGHT_BRACE) throw this.unexpected("',' or '}' after an object member");
        }
        this.pos++;
        containers.pop();
        names.pop();
        value = container;
      }
    }
  }

  /** At a member name: reads it, the `:` and the whitespace after, and refuses a name already in `object`. */
  private memberName(object: JsonObject, expected: string): string {
    const at = this.pos;
    if (this.text.charCodeAt(at) !== QUOTE) throw this.unexpected(expected);
    const name = this.string();
    // (A value is never undefined, so an own member read as undefined is no member; the
    // hasOwn check is only for names Object.prototype has, like "constructor".)
    if (object[name] !== undefined && Object.hasOwn(object, name)) {
      const shown = name.length > 64 ? `${JSON.stringify(name.slice(0, 64))}…` : JSON.stringify(name);
      throw new JsonDocumentError(
        `the member name ${shown} appears twice in one object (second at offset ${at}): expected each name once (RFC 8259 §4: readers differ on which copy counts)`,
        at,
      );
    }
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) !== COLON) throw this.unexpected("':' after a member name");
    this.pos++;
    this.skipWhitespace();
    return name;
  }

  private skipWhitespace(): void {
    const text = this.text;
    let p = this.pos;
    let c = text.charCodeAt(p);
    if (c > SPACE) return;
    while (c === SPACE || c === LF || c === CR || c === TAB) c = text.charCodeAt(++p);
    this.pos = p;
  }

  /** At a `"`: the decoded string; the position ends after the closing `"`. */
  private string(): string {
    const text = this.text;
    const end = this.end;
    const start = this.pos + 1;
    let p = start;
    // Fast path: no escape, no control character.
    for (; p < end; p++) {
      const c = text.charCodeAt(p);
      if (c === QUOTE) {
        this.pos = p + 1;
        return text.slice(start, p);
      }
      if (c === BACKSLASH || c < SPACE) break;
    }
    return this.escapedString(start, p);
  }

  private escapedString(start: number, p: number): string {
    const text = this.text;
    const end = this.end;
    let decoded = "";
    let chunk = start;
    for (;;) {
      if (p >= end) {
        this.pos = p;
        throw this.unexpected(`'"' to close the string that starts at offset ${start - 1}`);
      }
      const c = text.charCodeAt(p);
      if (c === QUOTE) {
        this.pos = p + 1;
        return decoded + text.slice(chunk, p);
      }
      if (c < SPACE) {
        this.pos = p;
        throw this.unexpected("a character allowed in a string (control characters U+0000 to U+001F must be escaped)");
      }
      if (c !== BACKSLASH) {
        p++;
        continue;
      }
      decoded += text.slice(chunk, p);
      const e = text.charCodeAt(p + 1);
      switch (e) {
        case QUOTE:
          decoded += '"';
          break;
        case BACKSLASH:
          decoded += "\\";
          break;
        case SLASH:
          decoded += "/";
          break;
        case LOWER_B:
          decoded += "\b";
          break;
        case LOWER_F:
          decoded += "\f";
          break;
        case LOWER_N:
          decoded += "\n";
          break;
        case LOWER_R:
          decoded += "\r";
          break;
        case LOWER_T:
          decoded += "\t";
          break;
        case LOWER_U: {
          let unit = 0;
          for (let i = p + 2; i < p + 6; i++) {
            const digit = hexValue(text.charCodeAt(i));
            if (digit < 0) {
              this.pos = i;
              throw this.unexpected("a hexadecimal digit in a \\u escape (4 of them)");
            }
            unit = unit * 16 + digit;
          }
          // A surrogate pair is two escapes whose units join; a lone surrogate stays one, as in JSON.parse.
          decoded += String.fromCharCode(unit);
          p += 4;
          break;
        }
        default:
          this.pos = p + 1;
          throw this.unexpected('an escape after \'\\\': one of " \\ / b f n r t u');
      }
      p += 2;
      chunk = p;
    }
  }

  /** At `-` or a digit: the number's text, checked against the grammar. */
  private number(): JsonNumber {
    const text = this.text;
    const start = this.pos;
    let p = start;
    if (text.charCodeAt(p) === MINUS) p++;
    let c = text.charCodeAt(p);
    if (c === DIGIT_0) {
      c = text.charCodeAt(++p);
      if (c >= DIGIT_0 && c <= DIGIT_9) {
        this.pos = p;
        throw this.unexpected("no digit after a leading 0 (numbers have no leading zeros)");
      }
    } else if (c >= DIGIT_1 && c <= DIGIT_9) {
      do c = text.charCodeAt(++p);
      while (c >= DIGIT_0 && c <= DIGIT_9);
    } else {
      this.pos = p;
      throw this.unexpected("a digit after '-'");
    }
    if (c === DOT) {
      c = text.charCodeAt(++p);
      if (!(c >= DIGIT_0 && c <= DIGIT_9)) {
        this.pos = p;
        throw this.unexpected("a digit after the decimal point");
      }
      do c = text.charCodeAt(++p);
      while (c >= DIGIT_0 && c <= DIGIT_9);
    }
    if (c === LOWER_E || c === UPPER_E) {
      c = text.charCodeAt(++p);
      if (c === PLUS || c === MINUS) c = text.charCodeAt(++p);
      if (!(c >= DIGIT_0 && c <= DIGIT_9)) {
        this.pos = p;
        throw this.unexpected("a digit in the exponent");
      }
      do c = text.charCodeAt(++p);
      while (c >= DIGIT_0 && c <= DIGIT_9);
    }
    this.pos = p;
    return checkedNumber(text.slice(start, p));
  }

  private literal(word: "true" | "false" | "null"): void {
    const text = this.text;
    const start = this.pos;
    for (let i = 1; i < word.length; i++) {
      if (text.charCodeAt(start + i) !== word.charCodeAt(i)) {
        this.pos = start + i;
        throw this.unexpected(`${word} (the literal that starts at offset ${start})`);
      }
    }
    this.pos = start + word.length;
  }

  private tooDeep(): JsonDocumentError {
    return new JsonDocumentError(
      `found an array or object nested ${this.maxDepth + 1} deep at offset ${this.pos}: expected nesting at most ${this.maxDepth} deep (maxDepth)`,
      this.pos,
    );
  }

  private unexpected(expected: string): JsonDocumentError {
    return new JsonDocumentError(`found ${describe(this.text, this.pos)} at offset ${this.pos}: expected ${expected}`, this.pos);
  }
}

function hexValue(c: number): number {
  if (c >= DIGIT_0 && c <= DIGIT_9) return c - DIGIT_0;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= LOWER_F) return lower - 0x61 + 10;
  return -1;
}

/** The character at `at`, for a message: one character, never more of the document. */
function describe(text: string, at: number): string {
  if (at >= text.length) return "the end of the text";
  const c = text.charCodeAt(at);
  const codePoint = `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;
  if (c === SPACE) return "a space";
  if (c > SPACE && c < 0x7f) return c === 0x27 ? `"'"` : `'${text[at]}'`;
  return codePoint;
}

/** A container being written, and the index of the element or member being written. */
interface Frame {
  readonly container: object;
  /** The object's names (Object.keys), or null for an array. */
  readonly names: string[] | null;
  index: number;
}

/**
 * Compact JSON text for a document value: no whitespace, strings and member names as
 * JSON.stringify writes them, each JsonNumber as its text, members in Object.keys order.
 *
 * @throws TypeError for what is not a JsonDocumentValue (a JavaScript number, undefined, a
 * Map, a Date, a class instance...) and for a value that contains itself.
 */
export function serializeJsonDocument(value: JsonDocumentValue): string {
  let out = "";
  const stack: Frame[] = [];
  const open = new Set<object>();
  let next: unknown = value;

  for (;;) {
    if (typeof next === "string") {
      out += JSON.stringify(next);
    } else if (next instanceof JsonNumber) {
      out += next.raw;
    } else if (next === null) {
      out += "null";
    } else if (next === true) {
      out += "true";
    } else if (next === false) {
      out += "false";
    } else if (Array.isArray(next)) {
      if (next.length === 0) {
        out += "[]";
      } else {
        enter(open, next);
        stack.push({ container: next, names: null, index: 0 });
        out += "[";
        next = next[0];
        continue;
      }
    } else if (typeof next === "object") {
      const prototype: unknown = Object.getPrototypeOf(next);
      if (prototype !== Object.prototype && prototype !== null) {
        throw new TypeError(`not a JSON document value: an object of class ${String((next as { constructor?: { name?: unknown } }).constructor?.name)}`);
      }
      const names = Object.keys(next);
      if (names.length === 0) {
        out += "{}";
      } else {
        enter(open, next);
        stack.push({ container: next, names, index: 0 });
        const name = names[0]!;
        out += "{" + JSON.stringify(name) + ":";
        next = (next as JsonObject)[name];
        continue;
      }
    } else {
      const what = typeof next === "number" ? "a JavaScript number (use JsonNumber)" : String(typeof next);
      throw new TypeError(`not a JSON document value: ${what}`);
    }

    // A value is written: go on to the next element or member, closing containers that are done.
    for (;;) {
      const frame = stack[stack.length - 1];
      if (frame === undefined) return out;
      const index = ++frame.index;
      const names = frame.names;
      if (names === null) {
        const array = frame.container as unknown[];
        if (index < array.length) {
          out += ",";
          next = array[index];
          break;
        }
        out += "]";
      } else {
        if (index < names.length) {
          const name = names[index]!;
          out += "," + JSON.stringify(name) + ":";
          next = (frame.container as JsonObject)[name];
          break;
        }
        out += "}";
      }
      open.delete(frame.container);
      stack.pop();
    }
  }
}

function enter(open: Set<object>, container: object): void {
  if (open.has(container)) throw new TypeError("not a JSON document value: an array or object that contains itself");
  open.add(container);
}
