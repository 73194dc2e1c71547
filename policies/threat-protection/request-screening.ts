/**
 * Screening of the request line and headers: each value decoded once the way its upstream
 * reads it (the path and query percent-decoded, query `+` as a space; header values as
 * sent, and percent-decoded too when they hold a `%`), then matched against the rules.
 */
import type { IncomingHttpHeaders } from "node:http";
import { formPairs, percentDecode } from "./decoding";
import { type InjectionRule, matchRule } from "./injection-rules";

/** Where a threat was found, for the problem detail: never the value itself. */
export interface Finding {
  readonly location: "path" | "query" | "headers" | "body";
  /** e.g. `the query parameter "q"`, `the header user-agent`. */
  readonly where: string;
  readonly rule: InjectionRule;
}

/** Names are echoed only when plainly harmless; otherwise the detail stays generic. */
const SAFE_NAME = /^[A-Za-z0-9_.\-[\]]{1,64}$/;

export function screenPath(rules: readonly InjectionRule[], path: string): Finding | undefined {
  const rule = matchRule(rules, percentDecode(path));
  return rule === undefined ? undefined : { location: "path", where: "the path", rule };
}

export function screenQuery(rules: readonly InjectionRule[], query: string): Finding | undefined {
  for (const [name, value] of formPairs(query)) {
    const rule = matchRule(rules, name) ?? matchRule(rules, value);
    if (rule !== undefined) return { location: "query", where: SAFE_NAME.test(name) ? `the query parameter "${name}"` : "a query parameter", rule };
  }
  return undefined;
}

export function screenHeaders(rules: readonly InjectionRule[], headers: IncomingHttpHeaders): Finding | undefined {
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) {
      const rule = matchRule(rules, item) ?? (item.includes("%") ? matchRule(rules, percentDecode(item)) : undefined);
      // Header names are tokens (Node rejects others), so naming the header is safe.
      if (rule !== undefined) return { location: "headers", where: `the header ${name}`, rule };
    }
  }
  return undefined;
}

/** For form bodies: the same screening as the query. */
export function screenForm(rules: readonly InjectionRule[], body: string): Finding | undefined {
  const finding = screenQuery(rules, body);
  return finding === undefined ? undefined : { ...finding, location: "body", where: finding.where.replace("query parameter", "form field") };
}
