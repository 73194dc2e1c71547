/**
 * JSONPath for the masking policy (policies/masking/json-path.ts): the RFC 9535 subset it parses,
 * the errors for what it refuses, the canonical form it writes, and the nodes it selects, checked
 * against a literal reading of RFC 9535's nodelist rules.
 */
import fc from "fast-check";
import { type JsonPath, JsonPathError, type Match, type Segment, type Selector, findMatches, formatJsonPath, parseJsonPath } from "../../policies/masking/json-path";

const name = (n: string): Selector => ({ kind: "name", name: n });
const index = (i: number): Selector => ({ kind: "index", index: i });
const wildcard: Selector = { kind: "wildcard" };
const child = (selector: Selector): Segment => ({ descendant: false, selector });
const descendant = (selector: Selector): Segment => ({ descendant: true, selector });

const valueOf = ({ parent, key }: Match): unknown => (Array.isArray(parent) ? parent[key as number] : parent[key as string]);
const select = (document: unknown, path: string) => findMatches(document, parseJsonPath(path)).map(valueOf);

function refusal(text: string): JsonPathError {
  try {
    parseJsonPath(text);
  } catch (error) {
    if (error instanceof JsonPathError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(text)} parsed`);
}

/** A path of keys as an RFC 9535 normalized path (formatJsonPath writes one for child names and indexes). */
const normalized = (keys: readonly (string | number)[]) =>
  formatJsonPath({ segments: keys.map((key) => child(typeof key === "number" ? index(key) : name(key))) });

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

type Located = { value: unknown; keys: (string | number)[] };

function childrenOf({ value, keys }: Located): Located[] {
  if (Array.isArray(value)) return value.map((item, i) => ({ value: item, keys: [...keys, i] }));
  if (isObject(value)) return Object.keys(value).map((key) => ({ value: value[key], keys: [...keys, key] }));
  return [];
}

/** Every node, each before its descendants, children in document order. */
const preOrder = (node: Located): Located[] => [node, ...childrenOf(node).flatMap(preOrder)];

/** RFC 9535 §2.3 and §2.5, read literally: a nodelist per segment, duplicates and all. */
function reference(document: unknown, path: JsonPath): string[] {
  const apply = (selector: Selector, node: Located): Located[] => {
    const { value, keys } = node;
    switch (selector.kind) {
      case "wildcard":
        return childrenOf(node);
      case "name":
        return isObject(value) && Object.hasOwn(value, selector.name) ? [{ value: value[selector.name], keys: [...keys, selector.name] }] : [];
      case "index": {
        if (!Array.isArray(value)) return [];
        const i = selector.index < 0 ? value.length + selector.index : selector.index;
        return i >= 0 && i < value.length ? [{ value: value[i], keys: [...keys, i] }] : [];
      }
    }
  };
  let nodes: Located[] = [{ value: document, keys: [] }];
  for (const segment of path.segments) {
    // §2.5.2.2: the selector applied to the node and to each of its descendants.
    nodes = nodes.flatMap((node) => (segment.descendant ? preOrder(node) : [node]).flatMap((d) => apply(segment.selector, d)));
  }
  return nodes.map((node) => normalized(node.keys));
}

/** Normalized paths of the matches, from where each parent sits in the document. */
function matchedPaths(document: unknown, matches: readonly Match[]): string[] {
  const where = new Map<unknown, (string | number)[]>();
  for (const node of preOrder({ value: document, keys: [] })) if (typeof node.value === "object" && node.value !== null) where.set(node.value, node.keys);
  return matches.map(({ parent, key }) => {
    const keys = where.get(parent);
    if (keys === undefined) throw new Error("a match's parent is not in the document");
    return normalized([...keys, key]);
  });
}

// RFC 9535 §1.5.
const bookstore = JSON.parse(`{ "store": {
    "book": [
      { "category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95 },
      { "category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99 },
      { "category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99 },
      { "category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings", "isbn": "0-395-19395-8", "price": 22.99 }
    ],
    "bicycle": { "color": "red", "price": 399 }
  }
}`);
const authors = ["Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"];

describe("parseJsonPath", () => {
  it("reads each kind of segment and selector", () => {
    expect(parseJsonPath("$")).toEqual({ segments: [] });
    expect(parseJsonPath("$.a..b[0].*")).toEqual({ segments: [child(name("a")), descendant(name("b")), child(index(0)), child(wildcard)] });
    expect(parseJsonPath(`$..*..['x']..[-1][*]["y"]`)).toEqual({
      segments: [descendant(wildcard), descendant(name("x")), descendant(index(-1)), child(wildcard), child(name("y"))],
    });
  });

  it("reads member-name shorthands as RFC 9535 spells them: a letter, _ or non-ASCII first, then digits too", () => {
    expect(parseJsonPath("$._a1.é.日本.😀x.Z9")).toEqual({ segments: ["_a1", "é", "日本", "😀x", "Z9"].map((n) => child(name(n))) });
    expect(refusal("$.1a").offset).toBe(2);
    expect(refusal("$.a-b").offset).toBe(3);
    expect(refusal("$.$").offset).toBe(2);
  });

  it("reads string escapes, surrogate pairs and either quote", () => {
    expect(parseJsonPath(String.raw`$['\b\f\n\r\t\/\\\'"']`).segments[0]).toEqual(child(name("\b\f\n\r\t/\\'\"")));
    expect(parseJsonPath(String.raw`$["\"'"]`).segments[0]).toEqual(child(name(`"'`)));
    expect(parseJsonPath(String.raw`$['\u00e9\u00E9\uD83D\uDE00 \ud83d\ude00']`).segments[0]).toEqual(child(name("éé😀 😀")));
    expect(parseJsonPath("$['']").segments[0]).toEqual(child(name("")));
    expect(parseJsonPath("$['\u007f😀\u2028']").segments[0]).toEqual(child(name("\u007f😀\u2028")));
  });

  it("reads indexes up to ±(2^53 − 1)", () => {
    expect(parseJsonPath("$[0][7][-1][9007199254740991][-9007199254740991]").segments).toEqual(
      [0, 7, -1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER].map((i) => child(index(i))),
    );
  });

  it("allows blanks inside brackets and between segments, as RFC 9535 does", () => {
    expect(parseJsonPath("$[ 'a' ][\t0\n][\r* ]")).toEqual({ segments: [child(name("a")), child(index(0)), child(wildcard)] });
    expect(parseJsonPath("$ .a\n..b [0]")).toEqual({ segments: [child(name("a")), descendant(name("b")), child(index(0))] });
  });

  describe("refusals", () => {
    it.each<[string, number, RegExp]>([
      ["", 0, /^found end of input at offset 0, expected "\$"/],
      ["a.b", 0, /^found "a" at offset 0, expected "\$"/],
      [" $", 0, /^found " " at offset 0, expected "\$"/],
      ["@.a", 0, /^found "@" at offset 0/],
      ["$.", 2, /^found end of input at offset 2, expected a name or "\*" after "\."$/],
      ["$.a.", 4, /^found end of input at offset 4, expected a name or "\*" after "\."$/],
      ["$..", 3, /^found end of input at offset 3, expected a name, "\*" or "\[" after "\.\."$/],
      ["$...a", 3, /^found "\." at offset 3/],
      ["$.[0]", 2, /^found "\[" at offset 2, expected a name or "\*" after "\."$/],
      ["$.a ", 3, /^found " " at offset 3, expected "\.", "\[" or end of input$/],
      ["$.a b", 4, /^found "b" at offset 4, expected "\.", "\[" or end of input$/],
      ["$a", 1, /^found "a" at offset 1, expected "\.", "\[" or end of input$/],
      ["$.a)", 3, /^found "\)" at offset 3/],
      ["$[0]]", 4, /^found "\]" at offset 4/],
      ["$[", 2, /^found end of input at offset 2, expected a quoted name, an index or "\*"$/],
      ["$[0", 3, /^found end of input at offset 3, expected "\]"$/],
      ["$['a'", 5, /^found end of input at offset 5, expected "\]"$/],
      ["$['abc", 6, /^found end of input at offset 6, expected ' to close the string opened at offset 2$/],
      [`$["a\\"]`, 7, /^found end of input at offset 7, expected " to close the string opened at offset 2$/],
      ["$[]", 2, /^found "\]" at offset 2, expected a quoted name, an index or "\*"$/],
      ["$[a]", 2, /^a name in brackets must be quoted: found "a" at offset 2/],
      ["$[01]", 2, /^found "01" at offset 2, expected an index without leading zeros/],
      ["$[-0]", 2, /^found "-0" at offset 2, expected an index without leading zeros \(and not -0\)$/],
      ["$[-]", 3, /^found "\]" at offset 3, expected a digit after "-"$/],
      ["$[+1]", 2, /^found "\+" at offset 2/],
      ["$[1.5]", 3, /^found "\." at offset 3, expected "\]"$/],
      ["$[9007199254740992]", 2, /^found "9007199254740992" at offset 2, expected an index between -\(2\^53-1\) and 2\^53-1$/],
      ["$[-9007199254740992]", 2, /expected an index between/],
      [`$[${"9".repeat(400)}]`, 2, /^found "9{20}\.\.\." at offset 2, expected an index between/],
      [String.raw`$['\x']`, 4, /^found "x" at offset 4, expected an escape: b, f, n, r, t, \/, \\, ' or uXXXX$/],
      [String.raw`$['\"']`, 4, /^found "\\"" at offset 4, expected an escape/],
      [String.raw`$["\'"]`, 4, /^found "'" at offset 4, expected an escape: b, f, n, r, t, \/, \\, " or uXXXX$/],
      [String.raw`$['\U0041']`, 4, /^found "U" at offset 4, expected an escape/],
      [String.raw`$['\u00g1']`, 7, /^found "g" at offset 7, expected a hex digit$/],
      [String.raw`$['\u12']`, 7, /^found "'" at offset 7, expected a hex digit$/],
      [String.raw`$['\uDC00']`, 3, /^found "\\\\uDC00" at offset 3, expected a high surrogate \(D800-DBFF\) before a low one$/],
      [String.raw`$['\uD83D']`, 9, /^found "'" at offset 9, expected "\\u" and a low surrogate \(DC00-DFFF\) after a high surrogate$/],
      [String.raw`$['\uD83D\u0041']`, 9, /^found "\\\\u0041" at offset 9, expected a low surrogate/],
      ["$['a\u0000']", 4, /^control characters in a string must be escaped: found "\\u0000" at offset 4/],
      ["$['\u001f']", 3, /^control characters in a string must be escaped: found "\\u001f" at offset 3/],
      ["$['\n']", 3, /^control characters in a string must be escaped/],
      ["$['\ud800']", 3, /^a lone surrogate is not a character: found "\\ud800" at offset 3/],
      ["$['\udc00\ud800']", 3, /^a lone surrogate is not a character/],
      ["$.a\ud800", 3, /^found "\\ud800" at offset 3, expected "\.", "\[" or end of input$/],
      ["$.\udc00", 2, /^found "\\udc00" at offset 2/],
    ])("refuses %j at offset %i", (text, offset, message) => {
      const error = refusal(text);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe("JsonPathError");
      expect(error.offset).toBe(offset);
      expect(error.message).toMatch(message);
    });

    it.each<[string, number, string]>([
      ["$[?@.isbn]", 2, "filters are not supported"],
      ["$..book[?(@.price < 10)]", 8, "filters are not supported"],
      ["$[?length(@) > 1]", 2, "filters are not supported"],
      ["$[1:3]", 3, "slices are not supported"],
      ["$[:2]", 2, "slices are not supported"],
      ["$[::-1]", 2, "slices are not supported"],
      ["$[-1 :]", 5, "slices are not supported"],
      ["$['a','b']", 5, "unions are not supported (write one path per field)"],
      ["$..book[0, 1]", 9, "unions are not supported (write one path per field)"],
      ["$[*,'a']", 3, "unions are not supported (write one path per field)"],
      ["$.a.length()", 10, "function extensions are not supported"],
      ["$..book.count()", 13, "function extensions are not supported"],
      ["$[length(@)]", 2, "function extensions are not supported"],
    ])("names the unsupported feature in %j", (text, offset, feature) => {
      const error = refusal(text);
      expect(error.offset).toBe(offset);
      expect(error.message).toContain(`${feature}: found`);
      expect(error.message).toContain(`at offset ${offset}, expected`);
    });
  });

  it("throws only JsonPathError, and what it reads formats back to the same path (property)", () => {
    const alphabet = fc.constantFrom(
      ..."$ . .. [ ] * ' \" \\ 0 1 7 9 - a Z _ é 😀 ? : , ( ) @ u D 8 \u0001 \ud800 \udc00".split(" "),
      " ",
      "\t",
      "\n",
      "\r",
    );
    const codeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)) });
    const text = fc.oneof(
      fc.string({ unit: "binary" }),
      codeUnits,
      fc.string({ unit: alphabet, maxLength: 30 }),
      fc.string({ unit: alphabet, maxLength: 30 }).map((s) => `$${s}`),
      fc.tuple(fc.string({ unit: alphabet, maxLength: 8 }), fc.constantFrom("'", '"'), codeUnits).map(([s, q, rest]) => `$[${q}${s}${rest}`),
    );
    fc.assert(
      fc.property(text, (input) => {
        let path: JsonPath;
        try {
          path = parseJsonPath(input);
        } catch (error) {
          if (!(error instanceof JsonPathError)) throw error;
          expect(Number.isInteger(error.offset) && error.offset >= 0 && error.offset <= input.length).toBe(true);
          expect(error.message).toContain(`at offset ${error.offset}, expected `);
          return;
        }
        expect(parseJsonPath(formatJsonPath(path))).toEqual(path);
      }),
      { numRuns: 2_000 },
    );
  });
});

// Names with everything a name can hold: quotes, backslashes, path punctuation, control characters, astral characters.
const awkward = fc.constantFrom("'", '"', "\\", ".", "..", "[", "]", "$", "*", "?", " ", "\u0000", "\u001f", "\b", "\n", "\u007f", "a", "_", "7", "é", "😀", "\u2028", "/");
const anyName = fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: awkward }), fc.string());
const anySelector: fc.Arbitrary<Selector> = fc.oneof(
  anyName.map(name),
  fc.maxSafeInteger().map((i) => index(i + 0)), // (+ 0: the path never holds -0)
  fc.integer({ min: -3, max: 3 }).map((i) => index(i + 0)),
  fc.constant(wildcard),
);
const pathOf = (selector: fc.Arbitrary<Selector>, maxLength = 6): fc.Arbitrary<JsonPath> =>
  fc.array(fc.record({ descendant: fc.boolean(), selector }), { maxLength }).map((segments) => ({ segments }));

const SHORT = new Map([["\b", "\\b"], ["\f", "\\f"], ["\n", "\\n"], ["\r", "\\r"], ["\t", "\\t"], ["/", "\\/"], ["\\", "\\\\"]]);
const SHORTHAND = /^[A-Za-z_\u0080-\ud7ff\ue000-\u{10ffff}][A-Za-z0-9_\u0080-\ud7ff\ue000-\u{10ffff}]*$/u;

/** One of the ways RFC 9535 lets a path be written, choices made by `pick`. */
function spell(path: JsonPath, pick: (options: string[]) => string): string {
  const blanks = () => pick(["", "", " ", "\t", "\n \r"]);
  const hex = (unit: number) => "\\u" + pick([unit.toString(16).padStart(4, "0"), unit.toString(16).padStart(4, "0").toUpperCase()]);
  const quoted = (n: string) => {
    const quote = pick(["'", '"']);
    let body = "";
    for (const c of n) {
      const options = [Array.from({ length: c.length }, (_, i) => hex(c.charCodeAt(i))).join("")];
      if (c.codePointAt(0)! >= 0x20 && c !== quote && c !== "\\") options.push(c);
      if (c === quote) options.push(`\\${quote}`);
      const short = SHORT.get(c);
      if (short !== undefined) options.push(short);
      body += pick(options);
    }
    return quote + body + quote;
  };
  let text = "$";
  for (const { descendant, selector } of path.segments) {
    text += pick(["", "", " "]);
    const inner = selector.kind === "wildcard" ? "*" : selector.kind === "index" ? `${selector.index}` : quoted(selector.name);
    const bracket = `[${blanks()}${inner}${blanks()}]`;
    const short = selector.kind === "wildcard" ? "*" : selector.kind === "name" && SHORTHAND.test(selector.name) ? selector.name : undefined;
    text += descendant ? ".." + (short === undefined ? bracket : pick([short, bracket])) : short === undefined ? bracket : pick([`.${short}`, bracket]);
  }
  return text;
}

describe("formatJsonPath", () => {
  it("writes the canonical form", () => {
    expect(formatJsonPath(parseJsonPath("$.a..b[0].*"))).toBe("$['a']..['b'][0][*]");
    expect(formatJsonPath(parseJsonPath("$"))).toBe("$");
    expect(formatJsonPath(parseJsonPath(`$..*["x"][-1]..[ 5 ]`))).toBe("$..[*]['x'][-1]..[5]");
  });

  it("escapes names as RFC 9535 normalized paths do", () => {
    const formatName = (n: string) => formatJsonPath({ segments: [child(name(n))] });
    expect(formatName("it's \\ \"x\"")).toBe(String.raw`$['it\'s \\ "x"']`);
    expect(formatName("\b\f\n\r\t")).toBe(String.raw`$['\b\f\n\r\t']`);
    expect(formatName("\u0000\u0001\u000b\u001f\u007f/")).toBe("$['\\u0000\\u0001\\u000b\\u001f\u007f/']");
    expect(formatName("é😀\u2028")).toBe("$['é😀\u2028']");
    // RFC 9535 cannot write a lone surrogate; it comes out escaped, and is refused if read back.
    expect(formatName("a\ud800b\udfff")).toBe(String.raw`$['a\ud800b\udfff']`);
  });

  it("round trips through parseJsonPath (property)", () => {
    fc.assert(
      fc.property(pathOf(anySelector), (path) => {
        expect(parseJsonPath(formatJsonPath(path))).toEqual(path);
      }),
      { numRuns: 1_000 },
    );
  });

  it("reads every RFC 9535 spelling of a path (shorthands, either quote, escapes, blanks) as that path (property)", () => {
    fc.assert(
      fc.property(pathOf(anySelector), fc.gen(), (path, g) => {
        expect(parseJsonPath(spell(path, (options) => g(fc.constantFrom, ...options)))).toEqual(path);
      }),
      { numRuns: 500 },
    );
  });
});

describe("findMatches", () => {
  it("selects what RFC 9535 §1.5's examples select in the bookstore", () => {
    expect(select(bookstore, "$.store.book[*].author")).toEqual(authors);
    expect(select(bookstore, "$..author")).toEqual(authors);
    expect(select(bookstore, "$.store.*")).toEqual([bookstore.store.book, bookstore.store.bicycle]);
    expect(select(bookstore, "$.store..price")).toEqual([8.95, 12.99, 8.99, 22.99, 399]);
    expect(select(bookstore, "$..book[2]")).toEqual([bookstore.store.book[2]]);
    expect(select(bookstore, "$..book[2].author")).toEqual(["Herman Melville"]);
    expect(select(bookstore, "$..book[2].publisher")).toEqual([]);
    expect(select(bookstore, "$..book[-1]")).toEqual([bookstore.store.book[3]]);
    expect(select(bookstore, "$..isbn")).toEqual(["0-553-21311-3", "0-395-19395-8"]);
    // store, book, 4 books, 18 book members, bicycle, 2 bicycle members.
    expect(findMatches(bookstore, parseJsonPath("$..*"))).toHaveLength(27);
    expect(findMatches(bookstore, parseJsonPath("$..*")).map(valueOf)).toEqual(preOrder({ value: bookstore, keys: [] }).slice(1).map((n) => n.value));
  });

  it("returns each node as its parent and key: the member name, or the element's actual index", () => {
    const [match] = findMatches(bookstore, parseJsonPath("$.store.book[-1]"));
    expect(match!.parent).toBe(bookstore.store.book);
    expect(match!.key).toBe(3);
    const [price] = findMatches(bookstore, parseJsonPath("$['store']['bicycle'].price"));
    expect(price).toEqual({ parent: bookstore.store.bicycle, key: "price" });
    expect(price!.parent).toBe(bookstore.store.bicycle);
  });

  it("matches an own __proto__ member as an ordinary name, and never an inherited member", () => {
    const document = JSON.parse(`{"__proto__": {"secret": 1}, "a": [{"__proto__": 2}], "own": {"constructor": 3}}`);
    expect(Object.hasOwn(document, "__proto__")).toBe(true);
    expect(select(document, "$.__proto__.secret")).toEqual([1]);
    expect(select(document, "$['__proto__']")).toEqual([{ secret: 1 }]);
    expect(select(document, "$..__proto__")).toEqual([{ secret: 1 }, 2]);
    expect(select(document, "$..secret")).toEqual([1]);
    for (const inherited of ["constructor", "toString", "hasOwnProperty", "valueOf"]) {
      expect(select(document, `$.${inherited}`)).toEqual([]);
      expect(select(document, `$.a.${inherited}`)).toEqual([]);
      expect(select({ x: "y" }, `$.x.${inherited}`)).toEqual([]);
    }
    expect(select(document, "$..constructor")).toEqual([3]);
    expect(select(document, "$.own.constructor")).toEqual([3]);
    expect(select([1, 2], "$.length")).toEqual([]);
    expect(select("abc", "$.length")).toEqual([]);
  });

  it("applies names to objects only, indexes to arrays only, and wildcards to neither primitive", () => {
    expect(select({ 0: "zero" }, "$[0]")).toEqual([]);
    expect(select({ 0: "zero" }, "$['0']")).toEqual(["zero"]);
    expect(select(["zero"], "$['0']")).toEqual([]);
    expect(select(["zero"], "$[0]")).toEqual(["zero"]);
    expect(select([1, 2, 3], "$[-3]")).toEqual([1]);
    expect(select([1, 2, 3], "$[-4]")).toEqual([]);
    expect(select([1, 2, 3], "$[3]")).toEqual([]);
    expect(select([], "$[-1]")).toEqual([]);
    for (const primitive of [null, 1, "s", true]) {
      expect(select(primitive, "$.*")).toEqual([]);
      expect(select(primitive, "$..*")).toEqual([]);
      expect(select(primitive, "$[0]")).toEqual([]);
    }
  });

  it("cannot return the root: $ alone selects nothing", () => {
    expect(findMatches(bookstore, parseJsonPath("$"))).toEqual([]);
  });

  it("returns a node once however many routes reach it, in document order", () => {
    const document = JSON.parse(`{"a": {"a": {"b": 1}, "b": 2}}`);
    // RFC 9535's nodelist for $..a..b holds /a/a/b twice, and first after /a/b.
    expect(reference(document, parseJsonPath("$..a..b"))).toEqual(["$['a']['b']", "$['a']['a']['b']", "$['a']['a']['b']"]);
    expect(matchedPaths(document, findMatches(document, parseJsonPath("$..a..b")))).toEqual(["$['a']['a']['b']", "$['a']['b']"]);
    expect(select(document, "$..*..*")).toEqual([{ b: 1 }, 1, 2]);
    expect(select([[[0]]], "$..*..*..*")).toEqual([0]);
    expect(select([[[0]]], "$..[0]")).toEqual([[[0]], [0], 0]);
  });

  it("does not overflow the stack on documents nested 100,000 deep", () => {
    const depth = 100_000;
    const arrays = JSON.parse("[".repeat(depth) + "]".repeat(depth));
    expect(findMatches(arrays, parseJsonPath("$..*"))).toHaveLength(depth - 1);
    expect(findMatches(arrays, parseJsonPath("$..[0]..[0]"))).toHaveLength(depth - 2);
    expect(findMatches(arrays, parseJsonPath("$" + "[0]".repeat(depth - 1)))).toHaveLength(1);
    const objects = JSON.parse('{"a":'.repeat(depth) + '"end"' + "}".repeat(depth));
    const all = findMatches(objects, parseJsonPath("$..a"));
    expect(all).toHaveLength(depth);
    expect(valueOf(all[depth - 1]!)).toBe("end");
    expect(select(objects, "$" + ".a".repeat(depth))).toEqual(["end"]);
  });

  it("visits each node once per state: $..*..*..*..* on 2,000 nodes is quick", () => {
    // A chain, where RFC 9535's nodelists would hold about C(2000, 4) = 6.6e11 entries.
    const chain = JSON.parse("[".repeat(2_000) + "]".repeat(2_000));
    // A bushy tree: each array holds four arrays, down to 2,000-odd nodes.
    const bushy: unknown[] = [];
    const queue = [bushy];
    for (let count = 1; count < 2_000; count++) {
      const node: unknown[] = [];
      queue[Math.floor((count - 1) / 4)]!.push(node);
      queue.push(node);
    }
    const depthOf = (document: unknown) => {
      const depths: number[] = [];
      const walk = (value: unknown, depth: number): void => {
        depths.push(depth);
        if (Array.isArray(value)) for (const item of value) walk(item, depth + 1);
      };
      walk(document, 0);
      return depths;
    };
    const started = performance.now();
    for (const document of [chain, bushy]) {
      const deepEnough = depthOf(document).filter((depth) => depth >= 4).length;
      expect(findMatches(document, parseJsonPath("$..*..*..*..*"))).toHaveLength(deepEnough);
    }
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  describe("against a literal reading of RFC 9535", () => {
    const key = fc.constantFrom("a", "b", "c", "__proto__", "constructor");
    const { document: smallDocument } = fc.letrec<{ document: unknown }>((tie) => ({
      document: fc.oneof(
        { maxDepth: 5, depthSize: "small" },
        fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 9 }), fc.constantFrom("a", "x", true)),
        fc.array(tie("document"), { maxLength: 4 }),
        // Object.fromEntries makes own members, __proto__ included, as JSON.parse does.
        fc.array(fc.tuple(key, tie("document")), { maxLength: 4 }).map((entries) => Object.fromEntries(entries)),
      ),
    }));
    const smallSelector: fc.Arbitrary<Selector> = fc.oneof(key.map(name), fc.integer({ min: -3, max: 3 }).map((i) => index(i + 0)), fc.constant(wildcard));
    const smallPath = pathOf(smallSelector, 5);
    // Arbitrary JSON, made by JSON.parse so its objects are what the gateway hands over.
    const anyDocument = fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.parse(JSON.stringify(value)) as unknown);
    const cases = fc.oneof(fc.tuple(smallDocument, smallPath), fc.tuple(anyDocument, pathOf(fc.oneof(smallSelector, anySelector), 4)));

    it("selects the set of nodes RFC 9535's nodelist holds, each once, never the root (property)", () => {
      fc.assert(
        fc.property(cases, ([document, path]) => {
          const expected = new Set(reference(document, path));
          expected.delete("$");
          const actual = matchedPaths(document, findMatches(document, path));
          expect(new Set(actual)).toEqual(expected);
          expect(actual).toHaveLength(expected.size);
        }),
        { numRuns: 2_000 },
      );
    });

    it("returns the nodes in the order a depth-first pre-order walk meets them (property)", () => {
      fc.assert(
        fc.property(cases, ([document, path]) => {
          const order = new Map(preOrder({ value: document, keys: [] }).map((node, i) => [normalized(node.keys), i]));
          const positions = matchedPaths(document, findMatches(document, path)).map((p) => order.get(p)!);
          expect(positions).toEqual([...positions].sort((x, y) => x - y));
        }),
        { numRuns: 1_000 },
      );
    });
  });
});
