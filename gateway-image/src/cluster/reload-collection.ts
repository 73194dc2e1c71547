/**
 * A full garbage collection shortly after a reload, once the requests that started on the
 * previous snapshot have ended.
 *
 * A reload builds the new snapshot beside the one serving (text, parse, validated copy,
 * revision hash, router, handlers: as much as the start allocates), and V8 runs its first
 * full collection during that build, while the previous snapshot is still alive. It then sets
 * the old generation's next limit from that live size, so the previous snapshot (now garbage)
 * stays until the heap grows by half again, and each further reload stacks another on top: a
 * 1,000-route worker under load peaked at 191 MiB after three reloads and kept 174 MiB,
 * against 140 MiB without a reload. With one full collection a second after each reload it
 * peaks at 156–160 MiB and keeps 138 MiB; the pause is 20–30 ms with 35 MB live, about what
 * the reload's longest step takes (BENCHMARKS.md, twenty-first session).
 */
import type { Logger } from "pino";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** How long after the last reload the collection runs, ms: requests on the previous snapshot have ended by then (nearly always). */
export const RELOAD_COLLECTION_DELAY_MS = 1_000;

/** Runs one full, synchronous garbage collection. */
export type FullCollection = () => void;

/**
 * V8's `gc()`, whether or not the process was started with `--expose-gc`. The flag only adds
 * `gc` to contexts made after it is set, so one new context takes it and the flag is unset
 * again: the gateway's own context, and any the process makes later, keep no `gc` global.
 */
export function fullCollection(): FullCollection {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === "function") return () => (exposed as () => void)();
  setFlagsFromString("--expose-gc");
  try {
    const gc = runInNewContext("gc") as () => void;
    return () => gc();
  } finally {
    setFlagsFromString("--no-expose-gc");
  }
}

/** Schedules the collection after reloads: one, `delayMs` after the last of a burst. */
export class ReloadCollection {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly collect: FullCollection,
    private readonly logger: Logger,
    private readonly delayMs = RELOAD_COLLECTION_DELAY_MS,
  ) {}

  /** A new snapshot is serving: collect the previous one's memory `delayMs` from now. */
  afterReload(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), this.delayMs);
    // A gateway shutting down does not wait for it.
    this.timer.unref();
  }

  /** Cancels a collection not yet run. */
  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private run(): void {
    this.timer = null;
    const before = process.memoryUsage().heapUsed;
    const started = process.hrtime.bigint();
    this.collect();
    const pauseMs = Number(process.hrtime.bigint() - started) / 1e6;
    const after = process.memoryUsage().heapUsed;
    this.logger.info({ pauseMs: round(pauseMs), heapUsedMiB: { before: round(before / MiB), after: round(after / MiB) } }, "collected the previous manifest's memory");
  }
}

const MiB = 1024 * 1024;
const round = (value: number) => Math.round(value * 10) / 10;
