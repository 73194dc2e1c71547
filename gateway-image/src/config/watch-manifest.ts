/**
 * Calls `onChange` when a manifest file changes. The directory is watched, not the file:
 * tools replace files by renaming a new one over them (as `turnpike synth` does, atomically),
 * and a watch on the file would follow the replaced inode and never fire again. Events are
 * debounced, since an editor's save is often several of them.
 */
import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";

export function watchManifest(file: string, onChange: () => void, debounceMs = 100): FSWatcher {
  const name = basename(file);
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(dirname(file), (_event, changed) => {
    if (changed !== null && changed !== name) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  });
  watcher.unref();
  return watcher;
}
