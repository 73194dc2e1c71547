/**
 * A gzipped tar in the layout `npm pack` writes (every entry under `package/`, ustar headers,
 * mode 644, npm's fixed mtime), so `npm install ./sdk.tgz` accepts it. Written here with
 * node:zlib rather than taken from a tar library: only regular files are needed, and the
 * output must be byte-identical for the same input (synth is deterministic).
 */
import { gzipSync } from "node:zlib";

export interface TarEntry {
  /** Path inside the package, `/`-separated (the `package/` prefix is added). */
  readonly path: string;
  readonly bytes: Buffer;
}

const BLOCK = 512;
/** npm pack's mtime for every entry (1985-10-26T08:15:00Z), so packs are reproducible. */
const NPM_MTIME_SECONDS = 499_162_500;

/** An octal number field: zero-padded digits and a NUL, `width` bytes in all. */
function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

function header(name: string, size: number): Buffer {
  const nameBytes = Buffer.from(name, "utf8");
  // Every path the SDK has is short; a longer one would need ustar's prefix field.
  if (nameBytes.length > 100) throw new Error(`tar entry "${name}" is longer than 100 bytes`);
  const block = Buffer.alloc(BLOCK, 0);
  nameBytes.copy(block, 0);
  block.write(octal(0o644, 8), 100, "ascii");
  block.write(octal(0, 8), 108, "ascii"); // uid
  block.write(octal(0, 8), 116, "ascii"); // gid
  block.write(octal(size, 12), 124, "ascii");
  block.write(octal(NPM_MTIME_SECONDS, 12), 136, "ascii");
  block.write("        ", 148, "ascii"); // checksum field counts as spaces while summing
  block.write("0", 156, "ascii"); // regular file
  block.write("ustar\0", 257, "ascii");
  block.write("00", 263, "ascii");
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return block;
}

/** The `.tgz` of a package: entries in the order given, under `package/`. */
export function npmTarball(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    if (entry.path.split("/").some((segment) => segment === "" || segment === "." || segment === "..")) throw new Error(`tar entry "${entry.path}" is not a plain relative path`);
    parts.push(header(`package/${entry.path}`, entry.bytes.length), entry.bytes);
    const padding = (BLOCK - (entry.bytes.length % BLOCK)) % BLOCK;
    if (padding > 0) parts.push(Buffer.alloc(padding, 0));
  }
  // Two zero blocks end the archive.
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return gzipSync(Buffer.concat(parts), { level: 9 });
}
