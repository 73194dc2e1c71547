/**
 * Injection patterns, in the spirit of Apigee's RegularExpressionProtection and the core of
 * OWASP CRS, narrowed to shapes that ordinary values do not take: `' or 1=1`, `union
 * select`, `; drop table`, `<script`, `javascript:`, `onerror=`, `../` and their encoded
 * forms — not the word "select" alone or the apostrophe in O'Brien.
 *
 * Every built-in pattern is linear-time on a backtracking engine: no quantified group holds
 * another quantifier, and no two adjacent quantifiers can match the same character, so a
 * failing match never retries a run of characters more than once per start position.
 * Values are matched after decoding them once (see ./decoding).
 */

export type RuleName = "sql-injection" | "script-injection" | "path-traversal" | `pattern-${number}`;

/**
 * The built-in patterns are ASCII, so they go without the `u` flag: with `i`, `u` sends
 * `\b` and `\w` down V8's Unicode case-folding path, some twenty times slower on every header.
 */
const BUILT_IN_FLAGS = "i";

export interface InjectionRule {
  readonly name: RuleName;
  /** For problem details, e.g. "SQL injection". */
  readonly label: string;
  readonly pattern: RegExp;
}

const SQL_INJECTION = new RegExp(
  [
    // A quote closing a literal, then a boolean operator and a comparison: ' or 1=1, 1' OR '1'='1, " or ""=", ') or ('a'='a
    String.raw`['"\x60][\s)]*(?:(?:x?or|and)\b|\|\||&&)[\s(]*(?:['"\x60]\w*['"\x60]|\w+)\s*(?:=|<>|!=)`,
    // A quote, then a comment cutting off the rest of the statement: admin'--, admin'/*
    String.raw`'[\s)]*(?:--|#)\s*$`,
    String.raw`'[\s)]*/\*`,
    // A numeric tautology: 1 or 1=1, 2 and 2=2
    String.raw`\b(?:or|and)[\s(]+(\d+)\s*=\s*\1\b`,
    // UNION [ALL|DISTINCT] SELECT, with spaces, comments or parentheses between
    String.raw`\bunion[\s/*()]+(?:(?:all|distinct)[\s/*()]+)?select\b`,
    // A statement stacked after a semicolon: ; drop table, ; delete from, ; exec xp_cmdshell
    String.raw`;[\s/*]*(?:(?:drop|truncate|alter|create)[\s/*]+(?:table|database|schema|index|view|user|procedure|function)\b|delete[\s/*]+from\b|insert[\s/*]+into\b|update[\s/*]+\w+[\s/*]+set\b|exec(?:ute)?[\s/*(]|shutdown\b)`,
    // Well-known probes: time delays, command execution, schema discovery, file access
    String.raw`\bxp_cmdshell\b|\bwaitfor[\s/*]+delay\b|\b(?:pg_)?sleep\s*\(\s*\d|\bbenchmark\s*\(\s*\d|\binformation_schema\s*\.|\bload_file\s*\(|\binto[\s/*]+(?:out|dump)file\b`,
  ].join("|"),
  BUILT_IN_FLAGS,
);

/** `javascript:` with the whitespace and control characters browsers ignore inside a scheme. */
const spacedWord = (word: string) => word.split("").join(String.raw`[\s\u0000]*`);

const SCRIPT_INJECTION = new RegExp(
  [
    // Elements that run script or change where a page's URLs point
    String.raw`<[\s/]*(?:script|iframe|frame|frameset|object|embed|applet|meta|base|svg|math)\b`,
    // Script URLs
    String.raw`\b(?:${spacedWord("javascript")}|${spacedWord("vbscript")}|${spacedWord("livescript")})[\s\u0000]*:`,
    String.raw`\bdata\s*:\s*(?:text/html|image/svg\+xml)`,
    // Event handler attributes
    String.raw`\bon(?:abort|animation(?:start|end|iteration)|auxclick|beforeunload|begin|blur|change|click|contextmenu|dblclick|drag\w*|error|focus\w*|hashchange|input|key(?:down|up|press)|load\w*|message|mouse\w+|pageshow|paste|pointer\w+|popstate|resize|scroll|submit|toggle|touch\w+|transitionend|unload|wheel)\s*=`,
    // Reading cookies or writing into the page
    String.raw`\bdocument\s*\.\s*(?:cookie|write|domain)\b`,
  ].join("|"),
  BUILT_IN_FLAGS,
);

const PATH_TRAVERSAL = new RegExp(
  [
    // A `..` segment, with the dots and the separators literal or still encoded after one decoding (double encoding)
    String.raw`(?:^|[\\/]|%2f|%5c)(?:\.|%2e){2}(?:[\\/]|%2f|%5c|$)`,
    // Still percent-encoded after one decoding: %252e... (triple encoding and beyond)
    String.raw`%25(?:25)*(?:2e|2f|5c)`,
    // Overlong UTF-8 and IIS %u forms of `.`, `/` and `\`
    String.raw`%(?:c0%(?:ae|af|2e|2f|5c)|c1%(?:9c|1c)|e0%80%(?:ae|af)|u002e|u002f|u005c|u2215|u2216)`,
    // A NUL byte, which truncates file names in C libraries
    String.raw`\u0000|%00`,
  ].join("|"),
  BUILT_IN_FLAGS,
);

export interface InjectionOptions {
  readonly sql: boolean;
  readonly script: boolean;
  readonly pathTraversal: boolean;
  readonly patterns: readonly string[];
}

/** The rules an instance applies, compiled once when its handler is created. */
export function compileRules(options: InjectionOptions): InjectionRule[] {
  const rules: InjectionRule[] = [];
  if (options.sql) rules.push({ name: "sql-injection", label: "SQL injection", pattern: SQL_INJECTION });
  if (options.script) rules.push({ name: "script-injection", label: "script injection", pattern: SCRIPT_INJECTION });
  if (options.pathTraversal) rules.push({ name: "path-traversal", label: "path traversal", pattern: PATH_TRAVERSAL });
  options.patterns.forEach((source, index) => {
    // The schema checked it compiles with `u`; no `g`/`y`, so `test` keeps no state between values.
    rules.push({ name: `pattern-${index + 1}`, label: `custom pattern #${index + 1}`, pattern: new RegExp(source, "u") });
  });
  return rules;
}

/** The first rule `value` matches, if any. */
export function matchRule(rules: readonly InjectionRule[], value: string): InjectionRule | undefined {
  for (let index = 0; index < rules.length; index++) if (rules[index]!.pattern.test(value)) return rules[index];
  return undefined;
}
