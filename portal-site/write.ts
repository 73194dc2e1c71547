/** Writing a generated portal to a directory (dist/portal), and removing what it no longer has. */
import { mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { PortalFile } from "./generate";

/**
 * Writes every file (each one complete or not at all: a temporary file, then rename, so the
 * gateway serving the directory never sends half a page), then removes files and empty
 * directories of a previous generation that this one does not have. Returns the paths written.
 */
export function writePortal(directory: string, files: readonly PortalFile[]): string[] {
  const written = new Set<string>();
  for (const file of files) {
    if (file.path.split("/").some((segment) => segment === "" || segment === "." || segment === "..")) throw new Error(`portal file path "${file.path}" is not a plain relative path`);
    const path = join(directory, ...file.path.split("/"));
    mkdirSync(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.bytes);
    renameSync(temporary, path);
    written.add(path);
  }
  removeStale(directory, written);
  return [...written];
}

/** Removes files not in `keep` under `directory` and emptied subdirectories; returns whether `directory` is now empty (its caller removes it; the root is kept). */
function removeStale(directory: string, keep: ReadonlySet<string>): boolean {
  let entries;
  try {
    entries = readdirSync(directory, { withFileTypes: true });
  } catch {
    return false;
  }
  let empty = true;
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (removeStale(path, keep)) rmdirSync(path);
      else empty = false;
    } else if (!keep.has(path)) {
      rmSync(path, { force: true });
    } else empty = false;
  }
  return empty;
}
