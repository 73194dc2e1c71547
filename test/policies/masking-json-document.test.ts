/** The masking policy's lossless JSON (json-document.ts): JSON.parse's grammar, the document's numbers. */
import fc from "fast-check";
import {
  JsonDocumentError,
  type JsonDocumentValue,
  JsonNumber,
  parseJsonDocument,
  serializeJsonDocument,
} from "../../policies/masking/json-document";

/** What JSON.parse would have made of a document value: each JsonNumber read with Number(raw). */
function toPlain(value: JsonDocumentValue): unknown {
  if (value instanceof JsonNumber) return Number(value.raw);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value !== null && typeof value === "object") {
    const plain: Record<string, unknown> = {};
    for (const name of Object.keys(value)) {
      Object.defineProperty(plain, name, { value: toPlain(value[name]!), writable: true, enumerable: true, configurable: true });
    }
    return plain;
  }
  return value;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

function attempt(parse: () => unknown): Outcome {
  try {
    return { ok: true, value: parse() };
  } catch (error) {
    return { ok: false, error };
  }
}

function parseError(text: string, limits?: { maxDepth?: number }): JsonDocumentError {
  const outcome = attempt(() => parseJsonDocument(text, limits));
  if (outcome.ok) throw new Error(`accepted ${JSON.stringify(text)}`);
  expect(outcome.error).toBeInstanceOf(JsonDocumentError);
  return outcome.error as JsonDocumentError;
}

const REFUSED_BEYOND_JSON_PARSE = /appears twice in one object|expected nesting at most/;

/**
 * parseJsonDocument throws nothing but JsonDocumentError, and accepts what JSON.parse accepts,
 * with the same value, except duplicate names and nesting beyond the limit.
 */
function agreesWithJsonParse(text: string): void {
  const expected = attempt(() => JSON.parse(text) as unknown);
  if (!expected.ok) expect(expected.error).toBeInstanceOf(SyntaxError);
  const actual = attempt(() => parseJsonDocument(text));
  if (!actual.ok) {
    expect(actual.error).toBeInstanceOf(JsonDocumentError);
    const error = actual.error as JsonDocumentError;
    expect(error.offset).toBeGreaterThanOrEqual(0);
    expect(error.offset).toBeLessThanOrEqual(text.length);
    // (Text JSON.parse refuses may be refused for a duplicate name met before the grammar error.)
    if (expected.ok) expect(error.message).toMatch(REFUSED_BEYOND_JSON_PARSE);
    return;
  }
  expect(expected.ok).toBe(true);
  if (expected.ok) expect(toPlain(actual.value as JsonDocumentValue)).toStrictEqual(expected.value);
}

/** Where whitespace may go: outside strings, between tokens (never inside a number or a literal). */
function tokenBoundaries(text: string): number[] {
  const boundaries = new Set([0, text.length]);
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') {
        inString = false;
        boundaries.add(i + 1);
      }
    } else if (c === '"') {
      inString = true;
      boundaries.add(i);
    } else if ("{}[],:".includes(c!)) {
      boundaries.add(i);
      boundaries.add(i + 1);
    }
  }
  return [...boundaries].sort((a, b) => a - b);
}

function withWhitespace(text: string, blanks: readonly string[]): string {
  let out = "";
  let from = 0;
  tokenBoundaries(text).forEach((at, k) => {
    out += text.slice(from, at) + blanks[k % blanks.length]!;
    from = at;
  });
  return out + text.slice(from);
}

const blank = fc.string({ unit: fc.constantFrom(" ", "\t", "\n", "\r"), maxLength: 3 });
const blanks = fc.array(blank, { minLength: 1, maxLength: 40 });

/** Any UTF-16 code unit, lone surrogates and control characters included. */
const codeUnit = fc.nat({ max: 0xffff }).map((c) => String.fromCharCode(c));

/** JSON texts as JSON.stringify writes them (so no duplicate names), compact or indented. */
const compactJson = fc.oneof(
  fc.json(),
  fc.json({ stringUnit: "binary" }),
  fc.json({ stringUnit: codeUnit }),
  fc.jsonValue({ stringUnit: codeUnit }).map((value) => JSON.stringify(value)),
);
const jsonText = fc.oneof(
  compactJson,
  fc.jsonValue().map((value) => JSON.stringify(value, null, 2)),
  fc.jsonValue({ stringUnit: "binary" }).map((value) => JSON.stringify(value, null, "\t")),
  fc.tuple(compactJson, blanks).map(([text, spaces]) => withWhitespace(text, spaces)),
);

const TOKENS = [
  "{", "}", "[", "]", ",", ":", '"', "\\", " ", "\t", "\n", "\r", "\f", "\u00a0", "\ufeff",
  "0", "1", "2", "9", ".", "e", "E", "+", "-", "true", "false", "null", "t", "nul",
  '"a"', '"\\u0061"', "\\u", "u", "00e9", "D83D", "\\n", "/", "*", "'", "a", "\u0000", "\u001f",
];
const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 120 }).map((tokens) => tokens.join(""));

/** A valid text with a few characters deleted, inserted or replaced: near misses. */
const mutatedJson = fc
  .tuple(
    fc.json(),
    fc.array(fc.tuple(fc.constantFrom("delete", "insert", "replace"), fc.nat(), fc.constantFrom(...TOKENS)), { minLength: 1, maxLength: 3 }),
  )
  .map(([text, edits]) =>
    edits.reduce((t, [edit, n, token]) => {
      const at = n % (t.length + 1);
      if (edit === "delete") return t.slice(0, at) + t.slice(at + 1);
      if (edit === "insert") return t.slice(0, at) + token + t.slice(at);
      return t.slice(0, at) + token + t.slice(at + 1);
    }, text),
  );

// RFC 8259 §6 numbers, with long digit runs.
const digits = (minLength: number, maxLength: number) => fc.string({ unit: fc.constantFrom(..."0123456789"), minLength, maxLength });
const numberText = fc
  .tuple(
    fc.constantFrom("", "-"),
    fc.oneof(fc.constant("0"), fc.tuple(fc.constantFrom(..."123456789"), digits(0, 40)).map(([first, rest]) => first + rest)),
    fc.option(digits(1, 40).map((d) => `.${d}`), { nil: "" }),
    fc.option(fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), digits(1, 6)).map((parts) => parts.join("")), { nil: "" }),
  )
  .map((parts) => parts.join(""));

/** Compact JSON text of numbers in arrays and objects (names that are not array indexes, so order is kept), and its numbers in order. */
const { numberDocument } = fc.letrec<{ numberDocument: { text: string; numbers: string[] } }>((tie) => ({
  numberDocument: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    numberText.map((n) => ({ text: n, numbers: [n] })),
    fc.array(tie("numberDocument"), { maxLength: 5 }).map((items) => ({
      text: `[${items.map((item) => item.text).join(",")}]`,
      numbers: items.flatMap((item) => item.numbers),
    })),
    fc
      .uniqueArray(fc.tuple(fc.string({ unit: codeUnit, maxLength: 6 }).map((s) => `k${s}`), tie("numberDocument")), { selector: ([name]) => name, maxLength: 5 })
      .map((members) => ({
        text: `{${members.map(([name, member]) => `${JSON.stringify(name)}:${member.text}`).join(",")}}`,
        numbers: members.flatMap(([, member]) => member.numbers),
      })),
  ),
}));

function numbersIn(value: JsonDocumentValue): string[] {
  if (value instanceof JsonNumber) return [value.raw];
  if (Array.isArray(value)) return value.flatMap(numbersIn);
  if (value !== null && typeof value === "object") return Object.keys(value).flatMap((name) => numbersIn(value[name]!));
  return [];
}

const nested = (depth: number): string => "[".repeat(depth) + "]".repeat(depth);

describe("parseJsonDocument and serializeJsonDocument", () => {
  describe("numbers", () => {
    it("keeps every number's text byte for byte, where JSON.parse would change it", () => {
      const text = "[1234567890123456789,-0,1.0,1e400,1E+2,0.1e-5,-1.50E-0010,0,123456789012345678901234567890.000000000000000000001]";
      const document = parseJsonDocument(text);
      expect(serializeJsonDocument(document)).toBe(text);
      expect((document as JsonNumber[]).map((n) => n.raw)).toEqual(text.slice(1, -1).split(","));
      expect(JSON.stringify(JSON.parse(text))).toBe("[1234567890123456800,0,1,null,100,0.000001,-1.5e-10,0,1.2345678901234568e+29]");
    });

    it("keeps numbers as top-level values and as member values", () => {
      for (const text of ["1234567890123456789", "-0", "1.0", "1e400", "1E+2", "0.1e-5"]) {
        const document = parseJsonDocument(` ${text}\n`);
        expect(document).toBeInstanceOf(JsonNumber);
        expect(serializeJsonDocument(document)).toBe(text);
      }
      expect(serializeJsonDocument(parseJsonDocument('{ "id" : 1234567890123456789 , "price" : 10.50 }'))).toBe('{"id":1234567890123456789,"price":10.50}');
    });

    it("JsonNumber is a leaf: no own property of any kind, its text in a private field", () => {
      const number = parseJsonDocument("12.50") as JsonNumber;
      expect(Object.keys(number)).toEqual([]);
      expect(Reflect.ownKeys(number)).toEqual([]);
      expect(Object.hasOwn(number, "raw")).toBe(false);
      expect(number.raw).toBe("12.50");
      expect(number.toString()).toBe("12.50");
      expect(`${number}`).toBe("12.50");
      expect(Object.keys(new JsonNumber("-0"))).toEqual([]);
    });

    it("JsonNumber refuses text that is not an RFC 8259 number (it is written out verbatim)", () => {
      for (const raw of ["", " 1", "1 ", "01", "+1", ".5", "1.", "1e", "-", "NaN", "Infinity", "0x10", "1,2", "1]", '1,"x":2']) {
        expect(() => new JsonNumber(raw)).toThrow(TypeError);
      }
      expect(new JsonNumber("-12.5e+3").raw).toBe("-12.5e+3");
    });
  });

  describe("strings", () => {
    it("decodes every escape, surrogate pairs and lone surrogates as JSON.parse does", () => {
      const text = String.raw`"\"\\\/\b\f\n\r\t\u0041\u00e9\u00E9\uD83D\uDE00\ud800 x\uDC00 \u0000\u001F é😀"`;
      const value = parseJsonDocument(text);
      expect(value).toBe(JSON.parse(text));
      expect(value).toBe('"\\/\b\f\n\r\tAéé😀\ud800 x\udc00 \u0000\u001f é😀');
      expect(JSON.parse(serializeJsonDocument(value))).toBe(value);
    });

    it("keeps characters JSON does not require escaped: DEL, U+2028, raw lone surrogates, a BOM inside", () => {
      for (const s of ["\u007f", "\u2028\u2029", "\ud800", "a\udc00b", "\ufeff", "\\".repeat(3) + "\""]) {
        const text = JSON.stringify(s);
        expect(parseJsonDocument(text)).toBe(s);
        expect(parseJsonDocument(`"${s.replace(/["\\]/g, "\\$&")}"`)).toBe(s);
      }
    });

    it("escaped and unescaped runs join", () => {
      expect(parseJsonDocument(String.raw`"abc\ndef\u0067hij\\"`)).toBe("abc\ndefghij\\");
      expect(parseJsonDocument(String.raw`"\n"`)).toBe("\n");
      expect(parseJsonDocument(`""`)).toBe("");
    });
  });

  describe("objects", () => {
    it('makes "__proto__" an own member and changes no prototype', () => {
      const text = '{"__proto__":{"x":1},"constructor":2,"toString":{"__proto__":[]},"hasOwnProperty":null}';
      const document = parseJsonDocument(text) as Record<string, JsonDocumentValue>;
      expect(Object.getPrototypeOf(document)).toBe(Object.prototype);
      expect(Object.keys(document)).toEqual(["__proto__", "constructor", "toString", "hasOwnProperty"]);
      expect(Object.hasOwn(document, "__proto__")).toBe(true);
      expect(Object.keys(Object.getOwnPropertyDescriptor(document, "__proto__")!.value as object)).toEqual(["x"]);
      expect(({} as Record<string, unknown>)["x"]).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty("x");
      expect(serializeJsonDocument(document)).toBe(text);
      expect(toPlain(document)).toStrictEqual(JSON.parse(text));
    });

    it("keeps member order (array-index names first, as in every JavaScript object)", () => {
      expect(serializeJsonDocument(parseJsonDocument('{"b":1,"a":2,"c":{"z":0,"y":1}}'))).toBe('{"b":1,"a":2,"c":{"z":0,"y":1}}');
      expect(serializeJsonDocument(parseJsonDocument('{"b":1,"1":2,"0":3}'))).toBe('{"0":3,"1":2,"b":1}');
    });

    it("parses empty containers and top-level scalars", () => {
      const cases: [string, string][] = [
        ["{}", "{}"],
        ["[]", "[]"],
        [" [ { } , [ ] , { \"a\" : [ ] } ] ", '[{},[],{"a":[]}]'],
        ['"s"', '"s"'],
        ["0", "0"],
        ["true", "true"],
        ["false", "false"],
        ["null", "null"],
        ["\t\r\n null \n", "null"],
      ];
      for (const [text, compact] of cases) expect(serializeJsonDocument(parseJsonDocument(text))).toBe(compact);
      expect(parseJsonDocument("null")).toBeNull();
      expect(parseJsonDocument("true")).toBe(true);
      expect(parseJsonDocument("[]")).toEqual([]);
    });

    it("refuses a name that appears twice, saying which and where", () => {
      const error = parseError('{"a":1,"a":2}');
      expect(error.message).toMatch(/the member name "a" appears twice/);
      expect(error.offset).toBe(7);
      expect(parseError('{"a":1,"\\u0061":2}').message).toMatch(/"a" appears twice/);
      expect(parseError('{"a":1,"\\u0061":2}').offset).toBe(7);
      expect(parseError('[{"x":{"a":1,"b":2,"a":3}}]').offset).toBe(19);
      expect(parseError('{"__proto__":1,"__proto__":2}').message).toMatch(/"__proto__" appears twice/);
      expect(parseError('{"toString":1,"toString":2}').message).toMatch(/"toString" appears twice/);
      expect(parseError('{"":1,"":2}').message).toMatch(/"" appears twice/);
      expect(parseError(`{"${"n".repeat(1000)}":1,"${"n".repeat(1000)}":2}`).message.length).toBeLessThan(300);
    });

    it("allows the same name in different objects, and names Object.prototype has", () => {
      expect(toPlain(parseJsonDocument('[{"a":1},{"a":2},{"a":{"a":3}}]'))).toEqual([{ a: 1 }, { a: 2 }, { a: { a: 3 } }]);
      expect(Object.keys(parseJsonDocument('{"constructor":1,"valueOf":2,"__defineGetter__":3}') as object)).toEqual(["constructor", "valueOf", "__defineGetter__"]);
    });
  });

  describe("nesting", () => {
    it("accepts 512 levels by default and refuses 513", () => {
      expect(serializeJsonDocument(parseJsonDocument(nested(512)))).toBe(nested(512));
      const error = parseError(nested(513));
      expect(error.offset).toBe(512);
      expect(error.message).toMatch(/nested 513 deep .* expected nesting at most 512 deep/);
      expect(parseError('{"a":'.repeat(513) + "1" + "}".repeat(513)).offset).toBe(512 * 5);
    });

    it("counts objects and arrays alike, and follows maxDepth", () => {
      expect(parseJsonDocument("1", { maxDepth: 0 })).toBeInstanceOf(JsonNumber);
      expect(parseError("[]", { maxDepth: 0 }).offset).toBe(0);
      expect(parseJsonDocument('[{"a":[]}]', { maxDepth: 3 })).toEqual([{ a: [] }]);
      expect(parseError('[{"a":[[]]}]', { maxDepth: 3 }).offset).toBe(7);
      expect(parseJsonDocument(nested(2000), { maxDepth: Infinity })).toBeDefined();
      for (const maxDepth of [-1, 1.5, NaN]) expect(() => parseJsonDocument("1", { maxDepth })).toThrow(RangeError);
    });

    it("parses and writes 100,000 levels without recursion when allowed, and refuses them quickly by default", () => {
      const deep = '{"a":['.repeat(50_000) + "1" + "]}".repeat(50_000);
      const document = parseJsonDocument(deep, { maxDepth: 100_000 });
      expect(serializeJsonDocument(document)).toBe(deep);
      expect(parseError(deep, { maxDepth: 99_999 }).offset).toBe('{"a":['.length * 50_000 - 1);
      expect(parseError(nested(1_000_000)).offset).toBe(512);
      expect(parseError("[".repeat(1_000_000)).offset).toBe(512);
      expect(parseError("[".repeat(100_000), { maxDepth: 100_000 }).offset).toBe(100_000);
    });
  });

  describe("refusals", () => {
    it("refuses a byte order mark at the start (JSON.parse does too), or anywhere outside a string", () => {
      for (const [text, offset] of [["\ufeff{}", 0], ["\ufeff1", 0], [" \ufeff1", 1], ["[1,\ufeff2]", 3]] as const) {
        expect(parseError(text).offset).toBe(offset);
        expect(() => JSON.parse(text)).toThrow(SyntaxError);
      }
      expect(parseError("\ufeff{}").message).toMatch(/byte order mark/);
    });

    // [text, offset of the problem, a word of the message]
    const grammarErrors: [string, number, RegExp][] = [
      ["", 0, /end of the text.*expected a JSON value/],
      ["  \n ", 4, /expected a JSON value/],
      ["01", 1, /leading 0/],
      ["-01", 2, /leading 0/],
      ["00", 1, /leading 0/],
      ["[01]", 2, /leading 0/],
      ["+1", 0, /found '\+'/],
      [".5", 0, /found '\.'/],
      ["1.", 2, /digit after the decimal point/],
      ["1.e5", 2, /digit after the decimal point/],
      ["1e", 2, /digit in the exponent/],
      ["1e+", 3, /digit in the exponent/],
      ["1E-x", 3, /digit in the exponent/],
      ["-", 1, /digit after '-'/],
      ["-a", 1, /digit after '-'/],
      ["--1", 1, /digit after '-'/],
      ["- 1", 1, /digit after '-'/],
      ["0x10", 1, /end of the text/],
      ["1_000", 1, /end of the text/],
      ["[1,]", 3, /found '\]'.*expected a JSON value/],
      ['{"a":1,}', 7, /found '\}'.*member name/],
      ["[,1]", 1, /expected a JSON value/],
      ["[1 2]", 3, /',' or '\]'/],
      ["[1,,2]", 3, /expected a JSON value/],
      ['{"a" 1}', 5, /':'/],
      ['{"a":}', 5, /expected a JSON value/],
      ['{"a":1 "b":2}', 7, /',' or '\}'/],
      ["{,}", 1, /member name/],
      ['{"a":1]', 6, /',' or '\}'/],
      ['["a":1]', 4, /',' or '\]'/],
      ["'a'", 0, /found "'"/],
      ["{'a':1}", 1, /member name/],
      ["{a:1}", 1, /found 'a'.*member name/],
      ["{1:1}", 1, /member name/],
      ["/* c */ 1", 0, /found '\/'/],
      ["1 // c", 2, /end of the text/],
      ["[1,/**/2]", 3, /expected a JSON value/],
      ["# c\n1", 0, /expected a JSON value/],
      ["NaN", 0, /found 'N'/],
      ["Infinity", 0, /found 'I'/],
      ["-Infinity", 1, /digit after '-'/],
      ["[undefined]", 1, /expected a JSON value/],
      ["nul", 3, /expected null/],
      ["True", 0, /expected a JSON value/],
      ["tru e", 3, /found a space.*expected true/],
      ["fals", 4, /expected false/],
      ['"a\nb"', 2, /U\+000A.*control characters/],
      ['"\u0000"', 1, /U\+0000/],
      ['"\t"', 1, /U\+0009/],
      ['{"a\u001fb":1}', 3, /U\+001F/],
      ['"\\x"', 2, /found 'x'.*escape/],
      ['"\\U0041"', 2, /found 'U'.*escape/],
      ['"\\\'"', 2, /escape/],
      ['"\\ "', 2, /found a space.*escape/],
      ['"\\u12"', 5, /hexadecimal digit/],
      ['"\\u12G4"', 5, /found 'G'.*hexadecimal digit/],
      ['"\\u"', 3, /hexadecimal digit/],
      ['"\\', 2, /end of the text/],
      ['"abc', 4, /end of the text.*'"' to close the string that starts at offset 0/],
      ['["abc', 5, /string that starts at offset 1/],
      ["1 2", 2, /found '2'.*end of the text/],
      ["{}x", 2, /found 'x'/],
      ["[]]", 2, /found '\]'/],
      ["nullx", 4, /found 'x'/],
      ["truefalse", 4, /found 'f'/],
      ['"a""b"', 3, /found '"'/],
      ["[", 1, /end of the text.*expected a JSON value/],
      ["{", 1, /end of the text.*member name/],
      ["[1", 2, /end of the text.*',' or '\]'/],
      ['{"a":1', 6, /end of the text.*',' or '\}'/],
      ['{"a"', 4, /end of the text.*':'/],
      ["]", 0, /found '\]'/],
      ["\u00a01", 0, /U\+00A0/],
      ["\u000b1", 0, /U\+000B/],
      ["\f1", 0, /U\+000C/],
      ["[1,\u20282]", 3, /U\+2028/],
      ["\u00001", 0, /U\+0000/],
    ];

    it.each(grammarErrors)("refuses %j at offset %i, as JSON.parse does", (text, offset, message) => {
      expect(() => JSON.parse(text)).toThrow(SyntaxError);
      const error = parseError(text);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe("JsonDocumentError");
      expect(error.offset).toBe(offset);
      expect(error.message).toMatch(/^found .* at offset \d+: expected /);
      expect(error.message).toContain(`at offset ${offset}:`);
      expect(error.message).toMatch(message);
    });
  });

  describe("serializeJsonDocument", () => {
    it("writes compactly, with strings as JSON.stringify writes them", () => {
      const document = parseJsonDocument(' { "a\\u0062" : [ "\\/\\u00e9\\ud800" , true , null , 1.10 ] , "" : { } } ');
      expect(serializeJsonDocument(document)).toBe('{"ab":["/é\\ud800",true,null,1.10],"":{}}');
    });

    it("writes values built in code, including null-prototype objects", () => {
      const bare = Object.create(null) as Record<string, JsonDocumentValue>;
      bare["n"] = new JsonNumber("1.0");
      bare["list"] = [new JsonNumber("-0"), "x", false, { "__proto__": null } as unknown as JsonDocumentValue];
      expect(serializeJsonDocument(bare)).toBe('{"n":1.0,"list":[-0,"x",false,{}]}');
    });

    it("refuses what is not a document value, and a value that contains itself", () => {
      const cyclic: JsonDocumentValue[] = [];
      cyclic.push([cyclic]);
      const values: unknown[] = [1, undefined, 1n, Symbol("s"), () => 1, new Map(), new Date(0), [undefined], { a: 1 }, { a: undefined }, new Array(2), cyclic];
      for (const value of values) expect(() => serializeJsonDocument(value as JsonDocumentValue)).toThrow(TypeError);
      const shared = [new JsonNumber("1")];
      expect(serializeJsonDocument([shared, shared, { a: shared }])).toBe('[[1],[1],{"a":[1]}]');
    });

    it("writes 300,000 levels without recursion", () => {
      let value: JsonDocumentValue = new JsonNumber("7");
      for (let i = 0; i < 300_000; i++) value = i % 2 ? [value] : { k: value };
      const text = serializeJsonDocument(value);
      expect(text.length).toBe(1 + 300_000 + 150_000 * '{"k":'.length + 150_000);
      expect(text.slice(0, 12)).toBe('[{"k":[{"k":');
    });
  });

  describe("properties", () => {
    it("accepts JSON texts and gives JSON.parse's value (numbers read with Number)", () => {
      fc.assert(
        fc.property(jsonText, (text) => {
          expect(toPlain(parseJsonDocument(text))).toStrictEqual(JSON.parse(text));
        }),
        { numRuns: 1_500 },
      );
    });

    it("accepts exactly what JSON.parse accepts, and throws only JsonDocumentError", () => {
      fc.assert(fc.property(fc.string({ unit: "binary-ascii", maxLength: 80 }), agreesWithJsonParse), { numRuns: 1_000 });
      fc.assert(fc.property(fc.string({ unit: codeUnit, maxLength: 80 }), agreesWithJsonParse), { numRuns: 1_000 });
      fc.assert(fc.property(tokenSoup, agreesWithJsonParse), { numRuns: 5_000 });
      fc.assert(fc.property(mutatedJson, agreesWithJsonParse), { numRuns: 3_000 });
      fc.assert(fc.property(jsonText, agreesWithJsonParse), { numRuns: 500 });
    });

    it("accepts within maxDepth exactly what JSON.parse accepts, refusing deeper nesting", () => {
      const depthOf = (value: unknown): number =>
        value !== null && typeof value === "object" ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0;
      fc.assert(
        fc.property(fc.oneof(jsonText, tokenSoup), fc.nat({ max: 4 }), (text, maxDepth) => {
          const expected = attempt(() => JSON.parse(text) as unknown);
          const actual = attempt(() => parseJsonDocument(text, { maxDepth }));
          if (actual.ok) expect(expected.ok && depthOf(expected.value) <= maxDepth).toBe(true);
          else {
            expect(actual.error).toBeInstanceOf(JsonDocumentError);
            if (expected.ok && depthOf(expected.value) <= maxDepth) expect((actual.error as Error).message).toMatch(/appears twice/);
          }
        }),
        { numRuns: 1_500 },
      );
    });

    it("round-trips: the same value through JSON.parse, JSON.stringify's own text back exactly, and idempotent", () => {
      fc.assert(
        fc.property(jsonText, (text) => {
          const once = serializeJsonDocument(parseJsonDocument(text));
          expect(JSON.parse(once)).toStrictEqual(JSON.parse(text));
          expect(serializeJsonDocument(parseJsonDocument(once))).toBe(once);
        }),
        { numRuns: 1_000 },
      );
      fc.assert(
        fc.property(compactJson, blanks, (text, spaces) => {
          expect(serializeJsonDocument(parseJsonDocument(withWhitespace(text, spaces)))).toBe(text);
        }),
        { numRuns: 1_000 },
      );
    });

    it("keeps every number's text byte for byte, in order, whatever the whitespace", () => {
      fc.assert(
        fc.property(numberDocument, blanks, ({ text, numbers }, spaces) => {
          const document = parseJsonDocument(withWhitespace(text, spaces));
          expect(numbersIn(document)).toEqual(numbers);
          expect(serializeJsonDocument(document)).toBe(text);
          expect(toPlain(document)).toStrictEqual(JSON.parse(text));
        }),
        { numRuns: 1_500 },
      );
    });

    it("JsonNumber accepts exactly the texts JSON.parse reads as a bare number", () => {
      const numberish = fc.oneof(
        numberText,
        fc.array(fc.constantFrom(..."0123456789.eE+-"), { maxLength: 12 }).map((chars) => chars.join("")),
      );
      fc.assert(
        fc.property(numberish, (raw) => {
          const expected = attempt(() => JSON.parse(raw) as unknown);
          const actual = attempt(() => new JsonNumber(raw));
          expect(actual.ok).toBe(expected.ok && typeof expected.value === "number");
          if (!actual.ok) expect(actual.error).toBeInstanceOf(TypeError);
        }),
        { numRuns: 3_000 },
      );
    });
  });
});
