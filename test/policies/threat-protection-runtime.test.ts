/**
 * threatProtection's runtime pieces (policies/threat-protection): the JSON scanner against
 * JSON.parse (property tests), the XML scanner, decoding, the injection rules on attacks and
 * on ordinary values, and that no rule backtracks catastrophically.
 */
import fc from "fast-check";
import { bodyKind, inspectBody } from "../../policies/threat-protection/body-inspection";
import { decodeXmlReferences, formPairs, percentDecode } from "../../policies/threat-protection/decoding";
import { compileRules, matchRule } from "../../policies/threat-protection/injection-rules";
import { type JsonLimits, type JsonStats, UNLIMITED, scanJson } from "../../policies/threat-protection/json-scanner";
import { screenHeaders, screenPath, screenQuery } from "../../policies/threat-protection/request-screening";
import { scanXml } from "../../policies/threat-protection/xml-scanner";

const bytes = (text: string) => Buffer.from(text, "utf8");

/** The same measures as the scanner's, computed on JSON.parse's result. */
function measure(value: unknown, depth = 0, stats: JsonStats = { depth: 0, objectKeys: 0, keyLength: 0, arrayItems: 0, stringLength: 0 }): JsonStats {
  if (Array.isArray(value)) {
    stats.depth = Math.max(stats.depth, depth + 1);
    stats.arrayItems = Math.max(stats.arrayItems, value.length);
    for (const item of value) measure(item, depth + 1, stats);
  } else if (typeof value === "object" && value !== null) {
    stats.depth = Math.max(stats.depth, depth + 1);
    const keys = Object.keys(value);
    stats.objectKeys = Math.max(stats.objectKeys, keys.length);
    for (const key of keys) {
      stats.keyLength = Math.max(stats.keyLength, key.length);
      measure((value as Record<string, unknown>)[key], depth + 1, stats);
    }
  } else if (typeof value === "string") {
    stats.stringLength = Math.max(stats.stringLength, value.length);
  }
  return stats;
}

const parses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** JSON texts as clients send them: compact or indented, any Unicode in strings. */
const jsonText = fc.tuple(fc.jsonValue({ maxDepth: 6 }), fc.constantFrom(undefined, 2, "\t")).map(([value, indent]) => JSON.stringify(value, null, indent));

describe("scanJson", () => {
  it("measures depth, keys, key length, array items and string length exactly as JSON.parse-based counting does", () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        const scan = scanJson(bytes(text), UNLIMITED);
        expect(scan).toEqual({ ok: true, stats: measure(JSON.parse(text)) });
      }),
      { numRuns: 500 },
    );
  });

  it("rejects a document exactly when one measure is over its limit, naming that limit", () => {
    const measures: (keyof JsonStats)[] = ["depth", "objectKeys", "keyLength", "arrayItems", "stringLength"];
    const limitOf: Record<keyof JsonStats, keyof JsonLimits> = { depth: "maxDepth", objectKeys: "maxObjectKeys", keyLength: "maxKeyLength", arrayItems: "maxArrayItems", stringLength: "maxStringLength" };
    fc.assert(
      fc.property(jsonText, fc.constantFrom(...measures), (text, name) => {
        const stats = measure(JSON.parse(text));
        const limit = limitOf[name];
        expect(scanJson(bytes(text), { ...UNLIMITED, [limit]: stats[name] }).ok).toBe(true);
        if (stats[name] > 0) expect(scanJson(bytes(text), { ...UNLIMITED, [limit]: stats[name] - 1 })).toMatchObject({ ok: false, error: "limit", limit });
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on arbitrary input, and calls it malformed exactly when JSON.parse does", () => {
    const mutated = fc.tuple(jsonText, fc.nat(), fc.constantFrom("", ",", "]", "}", '"', "\\", "{", "[", ":", "0", "-", "e", " ", "\u0001", "tru", "nul")).map(([text, at, insert]) => {
      const index = text.length === 0 ? 0 : at % text.length;
      return text.slice(0, index) + insert + text.slice(index + (insert === "" ? 1 : 0));
    });
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), mutated), (text) => {
        const scan = scanJson(bytes(text), UNLIMITED);
        expect(scan.ok).toBe(parses(text));
      }),
      { numRuns: 2_000 },
    );
  });

  it("stops at maxDepth on absurd nesting without using the call stack", () => {
    const deep = bytes("[".repeat(1_000_000));
    expect(scanJson(deep, { ...UNLIMITED, maxDepth: 32 })).toMatchObject({ ok: false, error: "limit", limit: "maxDepth", offset: 32 });
    // Unlimited, it walks all of it and finds it unterminated.
    expect(scanJson(deep, UNLIMITED)).toMatchObject({ ok: false, error: "malformed", offset: 1_000_000 });
  });

  it("counts string lengths in UTF-16 units, escapes as one", () => {
    expect(scanJson(bytes('["\\u00e9\\n", "é😀"]'), UNLIMITED)).toMatchObject({ ok: true, stats: { stringLength: 3 } });
  });

  it("hands the visitor decoded keys and strings, and stops when it asks", () => {
    const seen: [string, boolean][] = [];
    scanJson(bytes('{"a\\u0062": ["x\\"y", 1, {"c": null}]}'), UNLIMITED, (value, isKey) => {
      seen.push([value, isKey]);
      return false;
    });
    expect(seen).toEqual([["ab", true], ['x"y', false], ["c", true]]);
    expect(scanJson(bytes('["a", "stop", "b"]'), UNLIMITED, (value) => value === "stop")).toMatchObject({ ok: false, error: "stopped", offset: 6 });
  });
});

describe("scanXml", () => {
  const limits = { rejectDtd: true, maxDepth: 3 };

  it("rejects a DTD, in any case, and any other markup declaration", () => {
    expect(scanXml('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', limits)).toMatchObject({ ok: false, error: "dtd" });
    expect(scanXml("<!doctype a><a/>", limits)).toMatchObject({ ok: false, error: "dtd" });
    expect(scanXml('<!ENTITY x SYSTEM "file:///etc/passwd"><a/>', limits)).toMatchObject({ ok: false, error: "dtd" });
  });

  it("skips a DTD when allowed, internal subset included, and never expands entities", () => {
    expect(scanXml('<!DOCTYPE a [<!ENTITY x "<b><b><b><b>">]><a>&x;&x;</a>', { rejectDtd: false, maxDepth: 3 })).toEqual({ ok: true, depth: 1 });
  });

  it("measures element depth, ignoring comments, CDATA, processing instructions, empty elements and quoted >", () => {
    const text = '<?xml version="1.0"?><a><!-- <b><b><b> --><b x="/>" y=\'>\'><![CDATA[<c><c><c>]]><c/><c></c></b></a>';
    expect(scanXml(text, limits)).toEqual({ ok: true, depth: 3 });
    expect(scanXml("<a><b><c><d/></c></b></a>", limits)).toEqual({ ok: true, depth: 3 });
    expect(scanXml("<a><b><c><d></d></c></b></a>", limits)).toMatchObject({ ok: false, error: "depth" });
  });

  it("reports markup it cannot get past as malformed", () => {
    for (const text of ["<a><!-- never closed", "<a x='1>", "</a>", "<a><![CDATA[ open"]) expect(scanXml(text, limits)).toMatchObject({ ok: false, error: "malformed" });
  });

  it("never throws on arbitrary input", () => {
    fc.assert(fc.property(fc.string(), (text) => void scanXml(text, limits)));
  });
});

describe("decoding", () => {
  it("percent-decodes once, leaving invalid UTF-8 runs and stray % as written", () => {
    expect(percentDecode("..%2f..%2fetc")).toBe("../../etc");
    expect(percentDecode("%252e%252e")).toBe("%2e%2e");
    expect(percentDecode("100% sure %41 %c0%ae")).toBe("100% sure A %c0%ae");
  });

  it("splits forms and queries into decoded pairs, + as a space", () => {
    expect(formPairs("a=1+2&b&c=%27x%27&=v&&d=e=f")).toEqual([
      ["a", "1 2"],
      ["b", ""],
      ["c", "'x'"],
      ["", "v"],
      ["d", "e=f"],
    ]);
  });

  it("decodes XML's predefined entities and character references once", () => {
    expect(decodeXmlReferences("&lt;script&gt; &#60;&#x3C; &amp;lt; &custom; &#99999999;")).toBe("<script> << &lt; &custom; &#99999999;");
  });
});

describe("injection rules", () => {
  const rules = compileRules({ sql: true, script: true, pathTraversal: true, patterns: ["\\$where", "(?:ab)+cd"] });
  const ruleOf = (value: string) => matchRule(rules, value)?.name;

  it.each([
    ["1' OR '1'='1", "sql-injection"],
    ["' or 1=1", "sql-injection"],
    ["' or 1=1--", "sql-injection"],
    ['" or ""="', "sql-injection"],
    ["x') or ('a'='a", "sql-injection"],
    ["admin'--", "sql-injection"],
    ["admin'/*", "sql-injection"],
    ["1 or 1=1", "sql-injection"],
    ["1 UNION SELECT password FROM users", "sql-injection"],
    ["1/**/union/**/all/**/select/**/1", "sql-injection"],
    ["1; DROP TABLE users", "sql-injection"],
    ["x'; delete from accounts", "sql-injection"],
    ["1; exec xp_cmdshell('dir')", "sql-injection"],
    ["1 and sleep(5)", "sql-injection"],
    ["'; waitfor delay '0:0:5'--", "sql-injection"],
    ["<script>alert(1)</script>", "script-injection"],
    ["< / ScRiPt>", "script-injection"],
    ["<iframe src=//evil>", "script-injection"],
    ["javascript:alert(1)", "script-injection"],
    ["java\tscript:alert(1)", "script-injection"],
    ['<img src=x onerror="alert(1)">', "script-injection"],
    ['" onmouseover=alert(1) x="', "script-injection"],
    ["data:text/html;base64,PHNjcmlwdD4=", "script-injection"],
    ["x=document.cookie", "script-injection"],
    ["../../etc/passwd", "path-traversal"],
    ["..\\..\\windows\\win.ini", "path-traversal"],
    ["/a/..", "path-traversal"],
    ["%2e%2e%2fetc", "path-traversal"],
    ["..%2fetc", "path-traversal"],
    ["%2e%2e/etc", "path-traversal"],
    ["%252e%252e%252f", "path-traversal"],
    ["%c0%ae%c0%ae/", "path-traversal"],
    ["file.txt\u0000.png", "path-traversal"],
    ["{ $where: 'sleep(1)' }", "sql-injection"],
    ["{ $where: 1 }", "pattern-1"],
    ["xxababababcd", "pattern-2"],
  ])("%j → %s", (value, rule) => {
    expect(ruleOf(value)).toBe(rule);
  });

  it.each([
    "O'Brien",
    "O'Brien and O'Neil",
    "Rock 'n' roll or jazz",
    "select",
    "Please select one from the list",
    "the union of two sets",
    "drop table tennis; it is fun",
    "it's -- as they say -- fine",
    "wait... what?",
    "...",
    "file.tar.gz",
    "a/b/c.d",
    "2024-05-01T10:00:00Z",
    "alice@example.com",
    "https://example.com/a/b?c=d&e=f",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "en-US,en;q=0.9",
    '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"',
    "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "session=abc; online=1; theme=dark",
    "price < 10 and size > 2",
    "1 + 1 = 2",
    "He said \"yes\" and left",
    "max-age=0, no-cache",
  ])("lets %j through", (value) => {
    expect(ruleOf(value)).toBeUndefined();
  });

  it("runs in linear time on inputs built to make backtracking patterns explode", () => {
    const builtIn = compileRules({ sql: true, script: true, pathTraversal: true, patterns: [] });
    const n = 100_000;
    const adversarial = [
      "'" + " ".repeat(n),
      "' or" + " ".repeat(n),
      "' or " + "(".repeat(n),
      "' or '" + "a".repeat(n),
      "' or " + "a".repeat(n) + " ",
      "union" + " ".repeat(n),
      "union " + "all ".repeat(n / 4),
      ";" + " ".repeat(n) + "update " + "a".repeat(n),
      "1 or " + "1".repeat(n) + "=",
      "<" + " ".repeat(n),
      "j" + " ".repeat(n) + "a",
      "on" + "a".repeat(n),
      "'".repeat(n),
      "' or '1'".repeat(n / 8),
      "%25".repeat(n / 3),
      "./".repeat(n / 2),
    ];
    const slow = adversarial
      .map((value) => {
        const started = performance.now();
        matchRule(builtIn, value);
        return { input: value.slice(0, 16), ms: performance.now() - started };
      })
      // A catastrophic pattern takes seconds to hours on these; linear ones take about a millisecond.
      .filter(({ ms }) => ms > 250);
    expect(slow).toEqual([]);
  });
});

describe("request screening", () => {
  const rules = compileRules({ sql: true, script: true, pathTraversal: true, patterns: [] });

  it("names the location and a plain parameter name, but never a suspicious name or the value", () => {
    expect(screenQuery(rules, "q=1%27%20OR%20%271%27%3D%271")).toMatchObject({ location: "query", where: 'the query parameter "q"' });
    expect(screenQuery(rules, "%3Cscript%3E=1")).toMatchObject({ where: "a query parameter" });
    expect(screenPath(rules, "/items/..%2f..%2fetc%2fpasswd")).toMatchObject({ location: "path", where: "the path", rule: { name: "path-traversal" } });
    expect(screenHeaders(rules, { "x-a": ["fine", "%3Cscript%3E"] })).toMatchObject({ location: "headers", where: "the header x-a", rule: { name: "script-injection" } });
    expect(screenHeaders(rules, { accept: "*/*", "user-agent": "curl/8.0" })).toBeUndefined();
  });
});

describe("body inspection", () => {
  const limits = { json: { ...UNLIMITED, maxDepth: 2 }, xml: { rejectDtd: true, maxDepth: 2 } };
  const rules = compileRules({ sql: true, script: true, pathTraversal: true, patterns: [] });

  it("classifies bodies by media type", () => {
    expect(["application/json; charset=utf-8", "application/problem+json", "text/xml", "application/soap+xml", "application/x-www-form-urlencoded", "text/plain", "application/octet-stream", "multipart/form-data; boundary=x", undefined].map(bodyKind)).toEqual([
      "json",
      "json",
      "xml",
      "xml",
      "form",
      "text",
      null,
      null,
      null,
    ]);
  });

  it("checks structure always, injection only when the body is screened", () => {
    expect(inspectBody(bytes("[[[1]]]"), "json", limits, null)).toMatchObject({ problem: "threat-detected", rule: "json.maxDepth" });
    expect(inspectBody(bytes('["<script>"]'), "json", limits, null)).toBeUndefined();
    expect(inspectBody(bytes('["<script>"]'), "json", limits, rules)).toMatchObject({ problem: "threat-detected", rule: "script-injection" });
    expect(inspectBody(bytes("{"), "json", limits, null)).toMatchObject({ problem: "bad-request", rule: "malformed-json" });
    expect(inspectBody(bytes("<a>&lt;script&gt;</a>"), "xml", limits, rules)).toMatchObject({ rule: "script-injection" });
    expect(inspectBody(bytes("q=1%27+or+1%3D1"), "form", limits, rules)).toMatchObject({ rule: "sql-injection", detail: 'the form field "q" matches the SQL injection rule' });
    expect(inspectBody(bytes("see ../../etc"), "text", limits, rules)).toMatchObject({ rule: "path-traversal" });
  });
});
