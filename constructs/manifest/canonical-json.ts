/**
 * Canonical JSON: object keys sorted at every depth, `undefined` dropped, arrays kept in
 * order. The same manifest always serializes to the same bytes, so pull-request diffs show
 * only real changes and the revision hash is stable.
 */
import { createHash } from "node:crypto";

export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const child = (value as Record<string, unknown>)[key];
      if (child !== undefined) out[key] = sortKeysDeep(child);
    }
    return out;
  }
  return value;
}

/** Pretty canonical JSON (2-space indent, trailing newline): what `dist/manifest.json` holds. */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(sortKeysDeep(value), null, 2)}\n`;
}

/** Compact canonical JSON: the input of hashes. */
export function compactCanonicalJson(value: unknown): string {
  return JSON.stringify(sortKeysDeep(value));
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
