/**
 * How big each worker's V8 old generation may grow, from the memory the whole gateway may use.
 *
 * Node sizes a process's heap from the memory it may use: half of a container's limit (a 512
 * MiB cgroup gives a 259 MiB heap limit; 1 GiB, 524 MiB). Every worker of a cluster does so
 * for the whole container, so three workers in a 512 MiB pod each allow themselves 259 MiB.
 * V8 lets the old generation fill with garbage before a full collection, most of all when an
 * upstream is down (a socket per attempt, each kept until the next full collection: one worker
 * peaked at 185 MiB, against 123 MiB with a 64 MiB old generation at the same rate;
 * BENCHMARKS.md, fifteenth session), so together they can pass the limit and be killed exactly
 * during an outage. The primary gives each worker its share of the limit instead.
 */

/** What the primary itself holds (bundle, manifest, embedded store, metrics aggregation), MiB. */
export const PRIMARY_RESERVE_MIB = 96;
/** What a worker holds besides its old generation (young generation, code, sockets, buffers), MiB. */
export const WORKER_OVERHEAD_MIB = 64;
/** The smallest old generation a worker is given, MiB: a 1,000-route manifest keeps ~40 MiB live. */
export const MIN_OLD_SPACE_MIB = 64;

/** The memory limit the gateway's workers need at least: what the Kubernetes target checks. */
export function minimumMemoryMiB(workers: number): number {
  return (workers > 1 ? PRIMARY_RESERVE_MIB : 0) + workers * (WORKER_OVERHEAD_MIB + MIN_OLD_SPACE_MIB);
}

export type WorkerHeapPlan =
  /** Each worker gets `--max-old-space-size=oldSpaceMiB`. */
  | { readonly kind: "share"; readonly limitMiB: number; readonly oldSpaceMiB: number; readonly belowMinimum: boolean }
  /** The operator set the size (`--max-old-space-size` in the command line or NODE_OPTIONS): kept. */
  | { readonly kind: "operator" }
  /** No limit known: Node's own sizing from the machine's memory. */
  | { readonly kind: "unlimited" };

export interface WorkerHeapInput {
  readonly workers: number;
  /** `--memory-limit-mb` / `TURNPIKE_MEMORY_LIMIT_MB` (the Kubernetes target sets it from the container's limit). */
  readonly configuredLimitMiB: number | undefined;
  /** `process.constrainedMemory()`: the cgroup's limit in bytes, or a huge or zero value without one. */
  readonly constrainedBytes: number | undefined;
  /** `os.totalmem()`, bytes. */
  readonly totalBytes: number;
  readonly execArgv: readonly string[];
  readonly nodeOptions: string | undefined;
}

const MiB = 1024 * 1024;
const SIZE_FLAG = /(?:^|\s)--max[-_]old[-_]space[-_]size(?:=|\s|$)/;

export function planWorkerHeap(input: WorkerHeapInput): WorkerHeapPlan {
  if (input.execArgv.some((arg) => SIZE_FLAG.test(arg)) || (input.nodeOptions !== undefined && SIZE_FLAG.test(input.nodeOptions))) return { kind: "operator" };
  let limitMiB: number | null = null;
  if (input.configuredLimitMiB !== undefined) limitMiB = input.configuredLimitMiB;
  else if (input.constrainedBytes !== undefined && input.constrainedBytes > 0 && input.constrainedBytes < input.totalBytes) {
    limitMiB = Math.floor(input.constrainedBytes / MiB);
  }
  if (limitMiB === null) return { kind: "unlimited" };
  const share = Math.floor((limitMiB - (input.workers > 1 ? PRIMARY_RESERVE_MIB : 0)) / input.workers - WORKER_OVERHEAD_MIB);
  return { kind: "share", limitMiB, oldSpaceMiB: Math.max(MIN_OLD_SPACE_MIB, share), belowMinimum: share < MIN_OLD_SPACE_MIB };
}

/**
 * How much the old generation may grow after each full collection, percent of what survived
 * it. V8 picks the factor itself, up to 4× (300 %) on a machine with much memory and no
 * container limit: while an upstream refuses connections, the sockets of the attempts (native
 * handles, kept until a full collection) then fill a worker's old generation to 180 MiB
 * between collections; at 50 % it peaks at 125–137 MiB, at the same rate, and a proxied 200
 * costs the same (BENCHMARKS.md, nineteenth session). A container's limit already makes V8
 * grow by 1.3–2× (the factor scales down with the heap's limit), which 50 % is inside of.
 */
export const HEAP_GROWING_PERCENT = 50;
const GROWING_FLAG = /(?:^|\s)--heap[-_]growing[-_]percent(?:=|\s|$)/;

/** The V8 flag a serving process sets on itself, or null when the operator chose a growth (command line or NODE_OPTIONS). */
export function heapGrowingFlag(execArgv: readonly string[], nodeOptions: string | undefined): string | null {
  if (execArgv.some((arg) => GROWING_FLAG.test(arg)) || (nodeOptions !== undefined && GROWING_FLAG.test(nodeOptions))) return null;
  return `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}
