/**
 * Canonical JSON: object keys sorted by code unit at every depth (as in RFC 8785), members
 * whose value is `undefined` dropped, arrays kept in order. The same manifest always
 * serializes to the same bytes, so pull-request diffs show only real changes and the
 * revision hash is stable.
 *
 * Written directly rather than by sorting a copy and calling JSON.stringify: JavaScript
 * objects put integer-like keys ("200", "404") first whatever their insertion order, and
 * this runs once per chain entry of every operation at compile.
 *
 * One walk emits the text as a flat run of pieces, in order, to a sink: joined once for the
 * text, or fed to SHA-256 in chunks for a hash without the text. (Each level joining its
 * children's strings copied every byte once per level of nesting: for a 1,000-operation
 * manifest, ~40 MB of transient strings and 270 ms, which a gateway paid at start to check
 * the manifest's revision, and which set its peak memory.)
 */
import { createHash } from "node:crypto";

/** Compact canonical JSON: the input of hashes. */
export function compactCanonicalJson(value: unknown): string {
  return collect(value, "");
}

/** Pretty canonical JSON (2-space indent, trailing newline): what `dist/manifest.json` holds. */
export function canonicalJson(value: unknown): string {
  return `${collect(value, "\n")}\n`;
}

/**
 * SHA-256 (hex) of `canonicalJson(value)`, computed without building the text: memory stays
 * at about `flushAtChars` whatever the size of `value`.
 * @param flushAtChars characters gathered before each update of the hash (default 64 Ki)
 */
export function canonicalJsonSha256(value: unknown, flushAtChars = 64 * 1024): string {
  const hash = createHash("sha256");
  let chunk = "";
  emit(value, "\n", (piece) => {
    chunk += piece;
    if (chunk.length >= flushAtChars) {
      hash.update(chunk);
      chunk = "";
    }
  });
  return hash.update(`${chunk}\n`).digest("hex");
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function collect(value: unknown, newline: string): string {
  const pieces: string[] = [];
  emit(value, newline, (piece) => pieces.push(piece));
  return pieces.join("");
}

/** What JSON leaves out of an object, and writes as null in an array. */
function omitted(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

/** Writes `value` to `out`; `newline` is "" (compact) or "\n" plus the current indentation. */
function emit(value: unknown, newline: string, out: (piece: string) => void): void {
  if (value === null || typeof value !== "object") {
    out(omitted(value) ? "null" : JSON.stringify(value));
    return;
  }
  const inner = newline && `${newline}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return out("[]");
    out(`[${inner}`);
    for (let index = 0; index < value.length; index++) {
      if (index > 0) out(`,${inner}`);
      emit(value[index], inner, out);
    }
    return out(`${newline}]`);
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .sort()
    .filter((key) => !omitted(record[key]));
  if (keys.length === 0) return out("{}");
  const separator = newline ? ": " : ":";
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index]!;
    out(`${index === 0 ? "{" : ","}${inner}${JSON.stringify(key)}${separator}`);
    emit(record[key], inner, out);
  }
  out(`${newline}}`);
}
