/**
 * CPU time and memory of a process tree, read from /proc (Linux only): what a proxy under
 * test spends, counting its workers (nginx, haproxy threads, cluster workers) with it.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

let clockTicks: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`, almost always 100). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

interface StatLine {
  readonly pid: number;
  readonly ppid: number;
  /** utime + stime + cutime + cstime, in clock ticks. */
  readonly ticks: number;
}

/** Fields of /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses. */
function readStat(pid: number): StatLine | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null; // exited meanwhile
  }
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
  const number = (field: number) => Number(fields[field - 3]);
  return { pid, ppid: number(4), ticks: number(14) + number(15) + number(16) + number(17) };
}

/** Every process now: pid → stat, and ppid → children. */
function snapshot(): { stats: Map<number, StatLine>; children: Map<number, number[]> } {
  const stats = new Map<number, StatLine>();
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    stats.set(stat.pid, stat);
    const siblings = children.get(stat.ppid) ?? [];
    siblings.push(stat.pid);
    children.set(stat.ppid, siblings);
  }
  return { stats, children };
}

function descendants(root: number, children: Map<number, number[]>): number[] {
  const tree: number[] = [];
  const pending = [root];
  while (pending.length) {
    const pid = pending.pop()!;
    tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** `root` and every process descending from it. */
export function processTree(root: number): number[] {
  return descendants(root, snapshot().children);
}

/**
 * CPU seconds (user + system) spent so far by the tree under `root`, including children it
 * has reaped, so the difference of two readings is what the tree spent in between.
 */
export function treeCpuSeconds(root: number): number {
  return treesCpuSeconds([root]).get(root) ?? 0;
}

/** {@link treeCpuSeconds} of several trees from one reading of /proc. */
export function treesCpuSeconds(roots: readonly number[]): Map<number, number> {
  const { stats, children } = snapshot();
  const result = new Map<number, number>();
  for (const root of roots) {
    let ticks = 0;
    for (const pid of descendants(root, children)) ticks += stats.get(pid)?.ticks ?? 0;
    result.set(root, ticks / clockTicksPerSecond());
  }
  return result;
}

/** Resident set size of one process in bytes (VmRSS), or null when it is gone. */
export function rssBytes(pid: number): number | null {
  return statusKilobytes(pid, "VmRSS");
}

/**
 * The most resident memory one process has had since it started, in bytes (VmHWM, the
 * high-water mark), or null when it is gone. A reading of VmRSS after the load can miss the
 * peak by tens of MiB: V8 lets the old generation fill with garbage before a major GC, and
 * a container's memory limit has to hold the peak, not the resting size.
 */
export function peakRssBytes(pid: number): number | null {
  return statusKilobytes(pid, "VmHWM");
}

function statusKilobytes(pid: number, field: "VmRSS" | "VmHWM"): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Direct children of `pid`. */
export function childrenOf(pid: number): number[] {
  return processTree(pid).filter((candidate) => candidate !== pid && readStat(candidate)?.ppid === pid);
}
