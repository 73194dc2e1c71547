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
 * One walk emits the text as a flat run of pieces, in order, joined a chunk at a time: the
 * chunks are joined into the text, or fed to SHA-256 for a hash without the text. Each level
 * joining its children's strings, as before, copied every byte once per level of nesting:
 * for the benchmark's 1,000-operation manifest (5.1 MB) the text took 135-141 ms and its hash
 * 137-152 ms with tens of MB of transient strings, which the gateway paid at every load to
 * check the revision, and which set a worker's peak memory. Now 77-78 ms and 40-43 ms.
 */
import { createHash } from "node:crypto";

/** Characters gathered before a chunk of the text is joined or hashed. */
const CHUNK_CHARS = 64 * 1024;

/** Compact canonical JSON: the input of hashes. */
export function compactCanonicalJson(value: unknown): string {
  return joined(value, "", "");
}

/** Pretty canonical JSON (2-space indent, trailing newline): what `dist/manifest.json` holds. */
export function canonicalJson(value: unknown): string {
  return joined(value, "\n", "\n");
}

/**
 * SHA-256 (hex) of `canonicalJson(value)`. When JSON.stringify writes `value` canonically
 * already (a manifest read back from its file), it writes the text, in one string; otherwise
 * the walk feeds the hash without building the text, and memory stays at about `chunkChars`
 * whatever the size of `value`.
 * @param chunkChars characters gathered before each update of the hash (default 64 Ki)
 */
export function canonicalJsonSha256(value: unknown, chunkChars = CHUNK_CHARS): string {
  return stringifiesCanonically(value) ? stringifiedSha256(value) : walkedSha256(value, chunkChars);
}

/**
 * `canonicalJsonSha256`, handing the event loop back between its steps (`between`): the
 * gateway hashes a manifest it reloads while it serves, and requests should wait for one step
 * at most. For a 1,000-operation manifest read back from its file: the order check ~8 ms,
 * then the text and its hash ~22 ms.
 */
export async function canonicalJsonSha256InSteps(value: unknown, between: () => Promise<void>): Promise<string> {
  const ordered = stringifiesCanonically(value);
  await between();
  // The text and its hash in one step: waiting between them, the text (5 MB for 1,000
  // operations) would outlive collections and be kept until the next full one.
  return ordered ? stringifiedSha256(value) : walkedSha256(value, CHUNK_CHARS);
}

/** For a value `stringifiesCanonically` accepted. */
function stringifiedSha256(value: unknown): string {
  return sha256Hex(`${JSON.stringify(value, null, 2)}\n`);
}

function walkedSha256(value: unknown, chunkChars: number): string {
  const hash = createHash("sha256");
  inChunks(value, "\n", "\n", chunkChars, (chunk) => hash.update(chunk));
  return hash.digest("hex");
}

/**
 * Whether JSON.stringify already writes `value` canonically: plain objects and arrays only,
 * every object's keys in code-unit order as JavaScript enumerates them (integer-like keys
 * come first in numeric order, so "9" before "10" is not canonical). A manifest read back
 * from its canonical file is; JSON.stringify then writes its text (2-space indent is the
 * same layout): with the check, ~30 ms for a 1,000-operation manifest where the walk below
 * takes ~43 ms, and in steps that can be apart (`canonicalJsonSha256InSteps`).
 */
function stringifiesCanonically(value: unknown): boolean {
  // At the top, JSON.stringify(undefined) is no text at all; canonical JSON writes null.
  return value !== null && typeof value === "object" && inCanonicalOrder(value);
}

function inCanonicalOrder(value: unknown): boolean {
  if (value === null || typeof value !== "object") return true;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) if (!inCanonicalOrder(value[index])) return false;
    return true;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  // Anything else may have a toJSON (a Date) or inherited members JSON.stringify treats its own way.
  if (prototype !== Object.prototype && prototype !== null) return false;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  for (let index = 0; index < keys.length; index++) {
    if (index > 0 && !(keys[index - 1]! < keys[index]!)) return false;
    if (!inCanonicalOrder(record[keys[index]!])) return false;
  }
  // JSON.stringify would write what it returns instead.
  return typeof record.toJSON !== "function";
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function joined(value: unknown, newline: string, end: string): string {
  const chunks: string[] = [];
  inChunks(value, newline, end, CHUNK_CHARS, (chunk) => chunks.push(chunk));
  return chunks.length === 1 ? chunks[0]! : chunks.join("");
}

/**
 * The text of `value` followed by `end`, handed to `onChunk` in order, about `chunkChars`
 * characters at a time. Each chunk is one join of its pieces: an array of every piece of a
 * large manifest costs more to grow and join than the text itself, and appending pieces to a
 * string makes ropes that join slowly.
 */
function inChunks(value: unknown, newline: string, end: string, chunkChars: number, onChunk: (chunk: string) => void): void {
  const pieces: string[] = [];
  let length = 0;
  const out = (piece: string): void => {
    pieces.push(piece);
    length += piece.length;
    if (length >= chunkChars) {
      onChunk(pieces.join(""));
      pieces.length = 0;
      length = 0;
    }
  };
  emit(value, newline, out);
  if (end !== "") out(end);
  if (pieces.length > 0) onChunk(pieces.join(""));
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
