/**
 * JSONPath: the subset of RFC 9535 the masking policy uses to pick the response fields it changes.
 * A path is `$` then child segments (`.name`, `.*`, `[...]`) and descendant segments (`..name`,
 * `..*`, `..[...]`) whose brackets hold one selector: a name in quotes, an index or `*`. Filters,
 * slices, unions and function extensions are refused with a JsonPathError that names them.
 */

export type Selector = { readonly kind: "name"; readonly name: string } | { readonly kind: "index"; readonly index: number } | { readonly kind: "wildcard" };
export interface Segment {
  readonly descendant: boolean;
  readonly selector: Selector;
}
export interface JsonPath {
  readonly segments: readonly Segment[];
}

/** A path that is not in the subset; `offset` is the string index (UTF-16 code unit) of what was found. */
export class JsonPathError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = "JsonPathError";
  }
}

const WILDCARD: Selector = { kind: "wildcard" };
const SELECTOR = 'a quoted name, an index or "*"';
const SHORT_ESCAPES = new Map([["b", "\b"], ["f", "\f"], ["n", "\n"], ["r", "\r"], ["t", "\t"], ["/", "/"], ["\\", "\\"]]);

const isBlank = (c: string | undefined) => c === " " || c === "\t" || c === "\n" || c === "\r";
const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
// RFC 9535 name-first: ALPHA / "_" / %x80-D7FF / %xE000-10FFFF (code points, so no lone surrogates).
const isNameFirst = (cp: number) => (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || cp === 0x5f || (cp >= 0x80 && cp <= 0xd7ff) || cp >= 0xe000;
const isNameChar = (cp: number) => isNameFirst(cp) || (cp >= 0x30 && cp <= 0x39);
const isSurrogate = (cp: number) => cp >= 0xd800 && cp <= 0xdfff;
const width = (cp: number) => (cp > 0xffff ? 2 : 1);

export function parseJsonPath(text: string): JsonPath {
  let at = 0;

  const fail = (expected: string, note?: string, offset = at, found?: string): never => {
    const shown = found ?? String.fromCodePoint(text.codePointAt(offset) ?? 0);
    const what = offset >= text.length ? "end of input" : JSON.stringify(shown.length > 24 ? `${shown.slice(0, 20)}...` : shown);
    throw new JsonPathError(`${note === undefined ? "" : `${note}: `}found ${what} at offset ${offset}, expected ${expected}`, offset);
  };

  const skipBlanks = () => {
    while (isBlank(text[at])) at++;
  };

  const hex4 = (): number => {
    for (let i = at; i < at + 4; i++) if (!/[0-9a-fA-F]/.test(text[i] ?? "")) fail("a hex digit", undefined, i);
    at += 4;
    return parseInt(text.slice(at - 4, at), 16);
  };

  // After the backslash. RFC 9535 lets `\uXXXX` name a surrogate only as half of a pair.
  const escape = (quote: string): string => {
    const c = text[at];
    const short = c === quote ? quote : SHORT_ESCAPES.get(c ?? "");
    if (short !== undefined) {
      at++;
      return short;
    }
    if (c !== "u") return fail(`an escape: b, f, n, r, t, /, \\, ${quote} or uXXXX`);
    at++;
    const start = at;
    const unit = hex4();
    if (unit >= 0xdc00 && unit <= 0xdfff) fail("a high surrogate (D800-DBFF) before a low one", undefined, start - 2, text.slice(start - 2, at));
    if (unit < 0xd800 || unit > 0xdbff) return String.fromCharCode(unit);
    if (!text.startsWith("\\u", at)) fail('"\\u" and a low surrogate (DC00-DFFF) after a high surrogate');
    at += 2;
    const lowStart = at;
    const low = hex4();
    if (low < 0xdc00 || low > 0xdfff) fail("a low surrogate (DC00-DFFF) after a high surrogate", undefined, lowStart - 2, text.slice(lowStart - 2, at));
    return String.fromCharCode(unit, low);
  };

  const string = (quote: string): string => {
    const open = at++;
    let value = "";
    for (;;) {
      const cp = text.codePointAt(at);
      if (cp === undefined) return fail(`${quote} to close the string opened at offset ${open}`);
      if (cp === quote.charCodeAt(0)) {
        at++;
        return value;
      }
      if (cp === 0x5c) {
        at++;
        value += escape(quote);
        continue;
      }
      if (cp < 0x20) fail(`the rest of the string or ${quote}`, "control characters in a string must be escaped");
      if (isSurrogate(cp)) fail(`the rest of the string or ${quote}`, "a lone surrogate is not a character");
      value += String.fromCodePoint(cp);
      at += width(cp);
    }
  };

  const integer = (): number => {
    const start = at;
    if (text[at] === "-") at++;
    const digits = at;
    while (isDigit(text[at])) at++;
    if (at === digits) fail("a digit after \"-\"");
    if (text[digits] === "0" && (at - digits > 1 || digits > start)) fail("an index without leading zeros (and not -0)", undefined, start, text.slice(start, at));
    const index = Number(text.slice(start, at));
    if (!Number.isSafeInteger(index)) fail("an index between -(2^53-1) and 2^53-1", undefined, start, text.slice(start, at));
    return index;
  };

  // What follows a "." or ".." (a bracket after ".." is handled by the caller).
  const dotted = (after: string): Selector => {
    if (text[at] === "*") {
      at++;
      return WILDCARD;
    }
    const start = at;
    let cp = text.codePointAt(at);
    if (cp === undefined || !isNameFirst(cp)) fail(after === "." ? 'a name or "*" after "."' : 'a name, "*" or "[" after ".."');
    while (cp !== undefined && isNameChar(cp)) {
      at += width(cp);
      cp = text.codePointAt(at);
    }
    // `$.a.length()` is a function call as other JSONPath dialects write it.
    if (text[at] === "(") fail('".", "[" or end of input', "function extensions are not supported");
    return { kind: "name", name: text.slice(start, at) };
  };

  const bracketSelector = (): Selector => {
    const c = text[at];
    if (c === "'" || c === '"') return { kind: "name", name: string(c) };
    if (c === "*") {
      at++;
      return WILDCARD;
    }
    if (c === "-" || isDigit(c)) return { kind: "index", index: integer() };
    if (c === "?") fail(SELECTOR, "filters are not supported");
    if (c === ":") fail(SELECTOR, "slices are not supported");
    const cp = text.codePointAt(at);
    if (cp !== undefined && isNameFirst(cp)) {
      let end = at;
      while (end < text.length && isNameChar(text.codePointAt(end)!)) end += width(text.codePointAt(end)!);
      fail(SELECTOR, text[end] === "(" ? "function extensions are not supported" : "a name in brackets must be quoted");
    }
    return fail(SELECTOR);
  };

  const bracket = (): Selector => {
    at++;
    skipBlanks();
    const selector = bracketSelector();
    skipBlanks();
    const c = text[at];
    if (c === "]") {
      at++;
      return selector;
    }
    return fail('"]"', c === "," ? "unions are not supported (write one path per field)" : c === ":" ? "slices are not supported" : undefined);
  };

  if (text[0] !== "$") fail('"$" (a JSONPath starts at the root)');
  at = 1;
  const segments: Segment[] = [];
  while (at < text.length) {
    // RFC 9535 allows blanks between segments, but not at the end.
    const blank = at;
    skipBlanks();
    if (at === text.length) fail('".", "[" or end of input', undefined, blank);
    if (text[at] === "[") {
      segments.push({ descendant: false, selector: bracket() });
    } else if (text.startsWith("..", at)) {
      at += 2;
      segments.push({ descendant: true, selector: text[at] === "[" ? bracket() : dotted("..") });
    } else if (text[at] === ".") {
      at++;
      segments.push({ descendant: false, selector: dotted(".") });
    } else {
      fail('".", "[" or end of input');
    }
  }
  return { segments };
}

const NAME_ESCAPES: Readonly<Record<string, string>> = { "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "'": "\\'", "\\": "\\\\" };

/**
 * The canonical form: `$`, then `..` before a descendant segment and `['name']`, `[3]` or `[*]`.
 * Names are escaped as in RFC 9535 §2.7 normalized paths. (A lone surrogate, which JSON.parse
 * can put in a key but RFC 9535 cannot write, comes out as `\udxxx`: readable, but not parsed.)
 */
export function formatJsonPath(path: JsonPath): string {
  let out = "$";
  for (const { descendant, selector } of path.segments) {
    if (descendant) out += "..";
    if (selector.kind === "wildcard") out += "[*]";
    else if (selector.kind === "index") out += `[${selector.index}]`;
    // With the u flag a surrogate pair is one code point, so the class only meets lone surrogates.
    else out += `['${selector.name.replace(/[\u0000-\u001f'\\\ud800-\udfff]/gu, (c) => NAME_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}']`;
  }
  return out;
}

export interface Match {
  readonly parent: Record<string, unknown> | unknown[];
  readonly key: string | number;
}

type Container = Record<string, unknown> | unknown[];

/** Whether a child selector picks the member `key` of a container (`length` for negative indexes). */
function selects(selector: Selector, key: string | number, length: number): boolean {
  // Object keys are strings and array keys numbers, so a name never picks an array element, nor an index an object member.
  if (selector.kind === "wildcard") return true;
  if (selector.kind === "name") return key === selector.name;
  return key === (selector.index < 0 ? length + selector.index : selector.index);
}

/**
 * The nodes the path selects in a JSON value (a tree, as JSON.parse makes), in document order,
 * each once. The root has no parent, so `$` selects nothing here.
 *
 * Rather than build RFC 9535's nodelist segment by segment (which repeats nodes, and repeats work
 * exponentially for `$..*..*..*`), this walks the document once, depth first with its own stack,
 * carrying the set of segment positions each node has reached: state i means the node is where
 * segment i applies. A child selected by segment i reaches i + 1; a descendant segment also passes
 * i itself down to every child. A node that reaches the end of the path is a match.
 */
export function findMatches(document: unknown, path: JsonPath): Match[] {
  const { segments } = path;
  const end = segments.length;
  const matches: Match[] = [];
  if (end === 0) return matches;

  type Visit = { value: unknown; states: readonly number[]; match?: Match };
  const stack: Visit[] = [{ value: document, states: [0] }];
  /**
   * `live`: the parent's states short of the end; `carried`: true when they are all descendant
   * segments, so that a child no selector picks reaches exactly them: the parent's list is
   * passed down as it is, and a leaf that is no match is not visited at all (most nodes of a
   * document, for a path like `$..email`).
   */
  const visit = (parent: Container, key: string | number, value: unknown, live: readonly number[], carried: boolean, length: number) => {
    if (carried) {
      let picked = false;
      for (let i = 0; i < live.length && !picked; i++) picked = selects(segments[live[i]!]!.selector, key, length);
      if (!picked) {
        if (typeof value === "object" && value !== null) stack.push({ value, states: live });
        return;
      }
    }
    const states: number[] = [];
    for (const state of live) {
      const { descendant, selector } = segments[state]!;
      if (descendant && !states.includes(state)) states.push(state);
      if (selects(selector, key, length) && !states.includes(state + 1)) states.push(state + 1);
    }
    if (states.length > 0) stack.push({ value, states, match: states.includes(end) ? { parent, key } : undefined });
  };

  while (stack.length > 0) {
    const { value, states, match } = stack.pop()!;
    if (match !== undefined) matches.push(match);
    if (typeof value !== "object" || value === null) continue;
    const live = match === undefined ? states : states.filter((state) => state < end);
    if (live.length === 0) continue;
    let carried = true;
    for (let i = 0; i < live.length && carried; i++) carried = segments[live[i]!]!.descendant;
    const container = value as Container;
    const only = live.length === 1 ? segments[live[0]!]! : undefined;
    if (only !== undefined && !only.descendant && only.selector.kind !== "wildcard") {
      // One child at most: look it up rather than walk the container.
      const { selector } = only;
      if (Array.isArray(container)) {
        const index = selector.kind === "index" ? (selector.index < 0 ? container.length + selector.index : selector.index) : -1;
        if (index >= 0 && index < container.length) visit(container, index, container[index], live, false, container.length);
      } else if (selector.kind === "name" && Object.hasOwn(container, selector.name)) {
        // Own members only: JSON.parse makes `__proto__` an own member; `constructor` is inherited.
        visit(container, selector.name, container[selector.name], live, false, 0);
      }
      continue;
    }
    // Children are pushed last first, so they come off the stack in document order.
    if (Array.isArray(container)) {
      for (let index = container.length - 1; index >= 0; index--) visit(container, index, container[index], live, carried, container.length);
    } else {
      const keys = Object.keys(container);
      for (let k = keys.length - 1; k >= 0; k--) visit(container, keys[k]!, container[keys[k]!], live, carried, 0);
    }
  }
  return matches;
}
