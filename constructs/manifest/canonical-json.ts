/**
 * Canonical JSON: object keys sorted by code unit at every depth (as in RFC 8785), members
 * whose value is `undefined` dropped, arrays kept in order. The same manifest always
 * serializes to the same bytes, so pull-request diffs show only real changes and the
 * revision hash is stable.
 *
 * Written directly rather than by sorting a copy and calling JSON.stringify: JavaScript
 * objects put integer-like keys ("200", "404") first whatever their insertion order, and
 * this runs once per chain entry of every operation at compile.
 */
import { createHash } from "node:crypto";

/** Compact canonical JSON: the input of hashes. */
export function compactCanonicalJson(value: unknown): string {
  return write(value, "", "") ?? "null";
}

/** Pretty canonical JSON (2-space indent, trailing newline): what `dist/manifest.json` holds. */
export function canonicalJson(value: unknown): string {
  return `${write(value, "\n", "  ") ?? "null"}\n`;
}

/** Serializes `value`; `newline` is "" (compact) or "\n" plus the current indentation. */
function write(value: unknown, newline: string, indent: string): string | undefined {
  if (value === null || typeof value !== "object") {
    return typeof value === "function" || typeof value === "symbol" || value === undefined ? undefined : JSON.stringify(value);
  }
  const inner = newline && newline + indent;
  const separator = newline ? ": " : ":";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[${inner}${value.map((item) => write(item, inner, indent) ?? "null").join(`,${inner}`)}${newline}]`;
  }
  const members: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const member = write((value as Record<string, unknown>)[key], inner, indent);
    if (member !== undefined) members.push(`${JSON.stringify(key)}${separator}${member}`);
  }
  return members.length === 0 ? "{}" : `{${inner}${members.join(`,${inner}`)}${newline}}`;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
