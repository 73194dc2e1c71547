/**
 * Open-loop load at a fixed request rate (open-loop/open-loop-load.c): what "latency at N
 * requests/s" means. Every request is due at its own time and its latency counts from then,
 * whether or not a connection was free, so a stall of the server shows in full instead of
 * slowing the load down (wrk paced with delay() is a closed loop and hides it).
 *
 * The program is C, compiled here on first use with the system's C compiler: wrk2, which does
 * the same, is not packaged for Debian, and a load generator in Node would share the event
 * loop costs it is meant to measure.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { runForOutput } from "./run-for-output";
import { commandLine } from "./wrk";

export const OPEN_LOOP_SOURCE = join(__dirname, "open-loop", "open-loop-load.c");

export interface OpenLoopOptions {
  readonly url: string;
  /** Requests per second, all connections together. */
  readonly rate: number;
  /** Seconds measured (after the warm-up). */
  readonly durationSeconds: number;
  /** Seconds of load before measuring. @default 0 */
  readonly warmupSeconds?: number;
  /** Keep-alive connections to spread the requests on. @default 64 */
  readonly connections?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Poisson arrivals (independent clients) or evenly spaced ones. @default "poisson" */
  readonly arrivals?: "poisson" | "uniform";
  /** Seed of the arrival times: the same seed, the same arrivals. @default 1 */
  readonly seed?: number;
  /** Seconds before an unanswered request counts as a timeout. @default 5 */
  readonly timeoutSeconds?: number;
}

/** Percentiles of one measure, in milliseconds. */
export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

export interface OpenLoopResult {
  readonly rate: number;
  readonly arrivals: "poisson" | "uniform";
  readonly connections: number;
  readonly durationSeconds: number;
  /** Requests that fell due, warm-up included. */
  readonly scheduled: number;
  /** Answers measured (requests due in the measured window). */
  readonly requests: number;
  readonly requestsPerSecond: number;
  /** Connections that failed under a request (reset, closed, malformed answer). */
  readonly errors: number;
  /** Answers with a status ≥ 400. */
  readonly non2xx: number;
  readonly timeouts: number;
  readonly reconnects: number;
  /** Most requests waiting at once for a free connection: the server fell behind. */
  readonly backlogMax: number;
  /** From the time each request was due to its answer's last byte: the figure to report. */
  readonly latencyMs: LatencySummary;
  /** From the request's first byte written to its answer's last byte. */
  readonly serviceMs: LatencySummary;
  /** How late the generator itself sent requests that found a free connection. */
  readonly sendLagMs: LatencySummary;
  readonly command: string;
}

/**
 * The compiled program in `dir`, compiled now if missing or older than its source. Throws
 * with what to install when there is no C compiler.
 */
export function buildOpenLoopLoad(dir: string): string {
  const binary = join(dir, "open-loop-load");
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(OPEN_LOOP_SOURCE).mtimeMs) return binary;
  mkdirSync(dir, { recursive: true });
  const compiler = process.env.CC ?? "cc";
  const built = spawnSync(compiler, ["-O2", "-std=c11", "-Wall", "-Wextra", "-o", binary, OPEN_LOOP_SOURCE, "-lm"], { encoding: "utf8" });
  if (built.error) throw new Error(`cannot compile the open-loop load generator: ${compiler} not found (Debian: apt-get install gcc libc6-dev)`);
  if (built.status !== 0) throw new Error(`${compiler} failed on ${OPEN_LOOP_SOURCE}:\n${built.stderr}`);
  return binary;
}

/** The program's argument list. */
export function openLoopArgs(options: OpenLoopOptions): string[] {
  const args = ["--url", options.url, "--rate", String(options.rate), "--duration", String(options.durationSeconds)];
  if (options.warmupSeconds) args.push("--warmup", String(options.warmupSeconds));
  if (options.connections !== undefined) args.push("--connections", String(options.connections));
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push("--header", `${name}: ${value}`);
  if (options.arrivals) args.push("--arrivals", options.arrivals);
  if (options.seed !== undefined) args.push("--seed", String(options.seed));
  if (options.timeoutSeconds !== undefined) args.push("--timeout", String(options.timeoutSeconds));
  return args;
}

export async function runOpenLoop(binary: string, options: OpenLoopOptions, signal?: AbortSignal): Promise<OpenLoopResult> {
  const args = openLoopArgs(options);
  const command = commandLine("open-loop-load", args);
  const { code, stdout, stderr } = await runForOutput(binary, args, signal);
  if (code !== 0) throw new Error(`${command} exited with ${code}: ${stderr.trim()}`);
  return { ...(JSON.parse(stdout) as Omit<OpenLoopResult, "command">), command };
}
