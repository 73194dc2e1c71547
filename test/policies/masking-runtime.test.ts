/**
 * The masking handler's body rewrite (policies/masking/handler.ts `maskBody`): what each rule
 * does to a document, and properties over arbitrary documents and rules: the result is what
 * applying the rules to JSON.parse's value gives, a field a rule names never survives, and an
 * untouched document is the same bytes.
 */
import fc from "fast-check";
import { BodyRewriteError } from "../../gateway-image/src/http/body-rewrite";
import { maskBody } from "../../policies/masking/handler";
import { findMatches, formatJsonPath, parseJsonPath, type JsonPath } from "../../policies/masking/json-path";

interface Rule {
  path: JsonPath;
  action: "redact" | "remove";
  replacement: string;
  keepLast: number;
}

const rule = (path: string, more: Partial<Omit<Rule, "path">> = {}): Rule => ({ path: parseJsonPath(path), action: "redact", replacement: "****", keepLast: 0, ...more });
const mask = (text: string, ...rules: Rule[]) => maskBody(Buffer.from(text), rules).toString();

describe("maskBody", () => {
  it("redacts strings, numbers, objects, lists and null alike", () => {
    expect(mask('{"a":"x","b":12,"c":{"d":1},"e":[1],"f":null,"g":true,"h":"keep"}', rule("$.a"), rule("$.b"), rule("$.c"), rule("$.e"), rule("$.f"), rule("$.g"))).toBe(
      '{"a":"****","b":"****","c":"****","e":"****","f":"****","g":"****","h":"keep"}',
    );
  });

  it("keeps the last characters only of values at least twice as long, by code point", () => {
    const last4 = rule("$[*]", { keepLast: 4, replacement: "#" });
    expect(mask('["4111111111111111", 4111111111111111, "12345678", "1234567", "ab😀cd😀ef"]', last4)).toBe('["#1111","#1111","#5678","#","#d😀ef"]');
  });

  it("removes members and array elements, however many from one list", () => {
    expect(mask('{"a":[1,2,3,4],"b":{"c":1,"d":2}}', rule("$.a[1]", { action: "remove" }), rule("$.a[-1]", { action: "remove" }), rule("$.b.c", { action: "remove" }))).toBe('{"a":[1,3],"b":{"d":2}}');
    expect(mask('{"a":[1,2,3]}', rule("$.a[*]", { action: "remove" }))).toBe('{"a":[]}');
    expect(mask('[{"s":1},{"s":2,"t":3}]', rule("$[*].s", { action: "remove" }))).toBe('[{},{"t":3}]');
  });

  it("applies the rules in order", () => {
    expect(mask('{"a":{"b":1}}', rule("$.a.b", { replacement: "x" }), rule("$.a", { action: "remove" }))).toBe("{}");
    expect(mask('{"a":{"b":1}}', rule("$.a", { replacement: "x" }), rule("$.a.b", { action: "remove" }))).toBe('{"a":"x"}');
  });

  it("treats __proto__ and constructor members as ordinary fields", () => {
    expect(mask('{"__proto__":{"admin":true},"constructor":"c","x":1}', rule("$.__proto__"), rule("$.constructor", { action: "remove" }))).toBe('{"__proto__":"****","x":1}');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it("returns the very same bytes when no rule matches", () => {
    const body = Buffer.from('{ "a" : 1.50 ,\n "b": [ ] }');
    expect(maskBody(body, [rule("$.c"), rule("$..d", { action: "remove" })])).toBe(body);
  });

  it.each([
    ["an empty body", "", /empty/],
    ["truncated JSON", '{"a":1', /cannot be read to mask it/],
    ["a name twice", '{"a":1,"a":2}', /twice/],
    ["600 levels of nesting", "[".repeat(600) + "]".repeat(600), /deep|depth|nest/i],
  ])("refuses %s with a BodyRewriteError", (_name, text, reason) => {
    expect(() => mask(text, rule("$.a"))).toThrow(BodyRewriteError);
    expect(() => mask(text, rule("$.a"))).toThrow(reason);
  });

  it("drops a leading byte order mark", () => {
    expect(mask('\ufeff{"a":"x"}', rule("$.a"))).toBe('{"a":"****"}');
  });
});

describe("properties", () => {
  const names = ["a", "b", "email", "__proto__"];
  const key = fc.constantFrom(...names);
  const document = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: "small", withCrossShrink: true }, fc.string({ maxLength: 12 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), tie("list"), tie("object")),
    list: fc.array(tie("value"), { maxLength: 4 }),
    object: fc.uniqueArray(fc.tuple(key, tie("value")), { maxLength: 4, selector: ([name]) => name }).map((entries) => {
      const object: Record<string, unknown> = {};
      for (const [name, value] of entries) Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
      return object;
    }),
  })).value;
  const selector = fc.oneof(key.map((name) => `['${name}']`), fc.constantFrom("[*]", "[0]", "[-1]"));
  const pathText = fc.array(fc.tuple(fc.boolean(), selector), { minLength: 1, maxLength: 3 }).map((segments) => "$" + segments.map(([descendant, text]) => (descendant ? ".." : "") + text).join(""));
  const rules = fc.array(
    fc.record({ path: pathText.map(parseJsonPath), action: fc.constantFrom("redact" as const, "remove" as const), replacement: fc.constantFrom("****", "[x]"), keepLast: fc.constantFrom(0, 2) }).map((r) => ({ ...r, keepLast: r.action === "remove" ? 0 : r.keepLast })),
    { minLength: 1, maxLength: 3 },
  );

  /** The rules applied to a plain JSON.parse value with the same matcher: what maskBody must produce. */
  function reference(value: unknown, list: readonly Rule[]): unknown {
    for (const r of list) {
      const matches = findMatches(value, r.path);
      if (r.action === "redact") {
        for (const { parent, key: k } of matches) {
          const current = (parent as Record<string | number, unknown>)[k];
          const text = typeof current === "string" ? current : typeof current === "number" ? JSON.stringify(current) : null;
          const chars = text === null ? [] : Array.from(text);
          (parent as Record<string | number, unknown>)[k] = r.keepLast > 0 && chars.length >= 2 * r.keepLast ? r.replacement + chars.slice(-r.keepLast).join("") : r.replacement;
        }
      } else {
        const fromLists = matches.filter((m) => Array.isArray(m.parent)).sort((x, y) => (y.key as number) - (x.key as number));
        for (const m of matches) if (!Array.isArray(m.parent)) delete (m.parent as Record<string, unknown>)[m.key as string];
        for (const m of fromLists) (m.parent as unknown[]).splice(m.key as number, 1);
      }
    }
    return value;
  }

  it("gives what applying the rules to JSON.parse's value gives", () => {
    fc.assert(
      fc.property(document, rules, (value, list) => {
        const text = JSON.stringify(value);
        const masked = maskBody(Buffer.from(text), list).toString();
        expect(JSON.parse(masked)).toEqual(reference(JSON.parse(text), list));
      }),
      { numRuns: 1_000 },
    );
  });

  it("leaves no value of a field a redact rule names, and no field a remove rule names", () => {
    fc.assert(
      fc.property(document, key, fc.boolean(), (value, name, remove) => {
        const path = parseJsonPath(`$..['${name}']`);
        const masked = JSON.parse(maskBody(Buffer.from(JSON.stringify(value)), [{ path, action: remove ? "remove" : "redact", replacement: "****", keepLast: 0 }]).toString());
        for (const { parent, key: k } of findMatches(masked, path)) {
          expect(remove).toBe(false);
          expect((parent as Record<string, unknown>)[k as string]).toBe("****");
        }
      }),
      { numRuns: 1_000 },
    );
  });

  it("writes every number it does not mask back as the upstream wrote it", () => {
    const numberText = fc.tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.constantFrom("", ".0", ".10", "e5", "E-2")).map(([n, tail]) => `${n}${tail}`);
    fc.assert(
      fc.property(fc.array(numberText, { minLength: 1, maxLength: 6 }), (numbers) => {
        const text = `{"email":"x","n":[${numbers.join(",")}]}`;
        expect(mask(text, rule("$.email"))).toBe(`{"email":"****","n":[${numbers.join(",")}]}`);
      }),
    );
  });

  it("formats every generated path back to itself (the rules the manifest carries)", () => {
    fc.assert(fc.property(pathText, (text) => expect(formatJsonPath(parseJsonPath(text))).toBe(text)));
  });
});
