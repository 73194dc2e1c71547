/**
 * Problems found in a declaration. Everything is collected in one pass and reported at once,
 * each with the construct path, the field, what was expected against what was found, and a
 * fix when one is obvious.
 */
import { closest, distance } from "fastest-levenshtein";
import type { z } from "zod";

/** Stable codes, one per kind of problem. Tools may match on them. */
export const DIAGNOSTIC_CODES = [
  "invalid-props",
  "invalid-policy",
  "unknown-policy",
  "policy-not-attachable",
  "duplicate-policy",
  "unknown-exclusion",
  "unknown-operation",
  "contract-not-found",
  "contract-unparsable",
  "contract-invalid",
  "contract-unsupported-version",
  "missing-operation-id",
  "unsupported-security-scheme",
  "missing-auth-policy",
  "duplicate-name",
  "duplicate-api-version",
  "duplicate-base-path",
  "route-conflict",
  "lifecycle",
  "foreign-construct",
  "unknown-plan",
  "ambiguous-subscription",
  "unused",
  "internal",
] as const;
export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];

export interface Diagnostic {
  readonly severity: "error" | "warning";
  readonly code: DiagnosticCode;
  /** Construct path, e.g. `acme/orders` or `acme/orders/policies[1]`. */
  readonly path: string;
  /** Field inside the construct's props, e.g. `upstream.timeoutMs`. */
  readonly field?: string;
  readonly message: string;
  readonly expected?: string;
  readonly received?: string;
  /** How to fix it, e.g. `did you mean "createOrder"?`. */
  readonly fix?: string;
  /** Contract file (relative to the project root) for contract problems. */
  readonly file?: string;
  /** JSON pointer inside `file`. */
  readonly pointer?: string;
  readonly line?: number;
  readonly column?: number;
}

/** A collector of diagnostics. */
export class Diagnostics {
  private readonly items: Diagnostic[] = [];

  add(diagnostic: Diagnostic): void {
    this.items.push(diagnostic);
  }

  error(diagnostic: Omit<Diagnostic, "severity">): void {
    this.items.push({ severity: "error", ...diagnostic });
  }

  warning(diagnostic: Omit<Diagnostic, "severity">): void {
    this.items.push({ severity: "warning", ...diagnostic });
  }

  get all(): readonly Diagnostic[] {
    return this.items;
  }

  get hasErrors(): boolean {
    return this.items.some((item) => item.severity === "error");
  }
}

/** `did you mean "x"?` for a name close to one of the candidates, else `undefined`. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates];
  if (list.length === 0) return undefined;
  const lower = name.toLowerCase();
  const caseInsensitive = list.find((candidate) => candidate.toLowerCase() === lower);
  if (caseInsensitive !== undefined) return `did you mean "${caseInsensitive}"?`;
  const best = closest(name, list);
  // Allow about one typo per three characters, so short names do not match everything.
  return distance(name, best) <= Math.max(1, Math.floor(best.length / 3)) ? `did you mean "${best}"?` : undefined;
}

/** Renders a list of names for messages: `a, b and c`, or `(none)`. */
export function listOf(names: Iterable<string>, quote = true): string {
  const items = [...names].map((name) => (quote ? `"${name}"` : name));
  if (items.length === 0) return "(none)";
  return items.length === 1 ? items[0]! : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/** A short rendering of a value received, for `got:` lines. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "function") return "a function";
  if (typeof value === "object" && value !== null && value.constructor !== Object && !Array.isArray(value)) {
    return `a ${value.constructor.name}`;
  }
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** `a.b[0].c` from a zod issue path. */
export function fieldPath(path: readonly PropertyKey[], prefix?: string): string {
  let out = prefix ?? "";
  for (const segment of path) {
    out += typeof segment === "number" ? `[${segment}]` : out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/**
 * Converts zod issues to diagnostics. `schema` is used to suggest known property names for
 * unknown ones.
 */
export function diagnosticsFromZod(
  issues: readonly z.core.$ZodIssue[],
  options: { code: DiagnosticCode; path: string; fieldPrefix?: string; schema?: z.ZodType },
): Diagnostic[] {
  return issues.flatMap((issue): Diagnostic[] => {
    const base = { severity: "error" as const, code: options.code, path: options.path };
    const input = (issue as { input?: unknown }).input;
    if (issue.code === "unrecognized_keys") {
      const known = options.schema ? knownKeysAt(options.schema, issue.path) : [];
      return issue.keys.map((key) => ({
        ...base,
        field: fieldPath([...issue.path, key], options.fieldPrefix),
        message: `unknown property "${key}"`,
        expected: known.length ? `one of ${listOf(known)}` : undefined,
        fix: didYouMean(key, known),
      }));
    }
    if (issue.code === "invalid_key") {
      // A record key failed its schema (e.g. a hop-by-hop header in `set`): report the key's own
      // problem, at the key (zod's path already ends with it).
      return diagnosticsFromZod(issue.issues.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] })) as z.core.$ZodIssue[], options);
    }
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      // A union failed every branch; name the branch that got furthest (fewest issues).
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
      const nested = best.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }));
      if (nested.every((inner) => inner.code !== "invalid_union")) {
        return diagnosticsFromZod(nested as z.core.$ZodIssue[], options);
      }
    }
    const sensitive = typeof input === "string" && issue.path.some((segment) => SENSITIVE_FIELD.test(String(segment)));
    let received: string | undefined;
    if (sensitive) received = "a string (not shown: it may be a secret)";
    else if (input === undefined) received = issue.code === "invalid_type" || issue.code === "invalid_value" ? "nothing" : undefined;
    // A refinement over a whole object reports the object as its input: not worth echoing.
    else if (!(issue.code === "custom" && typeof input === "object" && input !== null)) received = describeValue(input);
    return [
      {
        ...base,
        field: fieldPath(issue.path, options.fieldPrefix) || undefined,
        message: issue.message,
        expected: expectedOf(issue),
        received,
      },
    ];
  });
}

/** Fields whose values may be secrets: never echoed back in a diagnostic. */
const SENSITIVE_FIELD = /^(secret|credentials|password|token|trustedCa)$/i;

function expectedOf(issue: z.core.$ZodIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      return issue.expected;
    case "invalid_value":
      return `one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
    case "too_small":
      return `${issue.origin === "array" ? "at least" : issue.inclusive ? ">=" : ">"} ${String(issue.minimum)}${issue.origin === "array" ? " item(s)" : issue.origin === "string" ? " character(s)" : ""}`;
    case "too_big":
      return `${issue.origin === "array" ? "at most" : issue.inclusive ? "<=" : "<"} ${String(issue.maximum)}${issue.origin === "array" ? " item(s)" : issue.origin === "string" ? " character(s)" : ""}`;
    case "invalid_format":
      // A pattern's message already says what is expected; "regex" would say nothing.
      return issue.format === "regex" ? undefined : issue.format;
    default:
      return undefined;
  }
}

/** Property names of the object schema at `path` inside `schema`, for suggestions. */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: unknown = schema;
  const unwrap = (value: unknown): unknown => {
    let node = value as { _zod?: { def?: Record<string, unknown> } } | undefined;
    for (let depth = 0; depth < 10 && node?._zod?.def; depth++) {
      const def = node._zod.def;
      const next = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
      if (!next) break;
      node = next as typeof node;
    }
    return node;
  };
  for (const segment of path) {
    const node = unwrap(current) as { _zod?: { def?: Record<string, unknown> } } | undefined;
    const def = node?._zod?.def;
    if (!def) return [];
    if (def.type === "object") current = (def.shape as Record<string, unknown>)[String(segment)];
    else if (def.type === "array") current = def.element;
    else if (def.type === "record") current = def.valueType;
    else return [];
  }
  const def = (unwrap(current) as { _zod?: { def?: Record<string, unknown> } } | undefined)?._zod?.def;
  return def?.type === "object" ? Object.keys(def.shape as Record<string, unknown>) : [];
}

/** A lower-case slug close to `name` (`OrdersAPI` → `orders-api`), or `undefined`. */
export function suggestSlug(name: string): string | undefined {
  const slug = name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[^a-z]+|-+$/g, "");
  return slug && slug !== name ? slug : undefined;
}
