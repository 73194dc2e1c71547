/**
 * Runs wrk and reads its `--latency` report: requests/s, latency percentiles from the
 * latency distribution, socket errors and non-2xx/3xx answers.
 */
import { runForOutput } from "./run-for-output";

export const WRK = "/usr/bin/wrk";

export interface WrkOptions {
  readonly url: string;
  readonly threads: number;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** A Lua script file (`-s`), e.g. one with `delay()` for a lower request rate. */
  readonly script?: string;
  /** Request timeout (`--timeout`), seconds. @default 5 */
  readonly timeoutSeconds?: number;
}

export interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p75: number; readonly p90: number; readonly p99: number; readonly avg: number; readonly max: number };
  readonly socketErrors: { readonly connect: number; readonly read: number; readonly write: number; readonly timeout: number };
  /** Answers with a status ≥ 400 (wrk's "Non-2xx or 3xx responses"). */
  readonly non2xx: number;
  /** Socket errors plus non-2xx answers. */
  readonly errors: number;
  readonly command: string;
}

/** The argument list of a wrk run. */
export function wrkArgs(options: WrkOptions): string[] {
  const args = [`-t${options.threads}`, `-c${options.connections}`, `-d${options.durationSeconds}s`, "--latency", "--timeout", `${options.timeoutSeconds ?? 5}s`];
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push("-H", `${name}: ${value}`);
  if (options.script) args.push("-s", options.script);
  args.push(options.url);
  return args;
}

/** A shell-quoted command line, for printing. */
export function commandLine(command: string, args: readonly string[]): string {
  return [command, ...args].map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`)).join(" ");
}

export async function runWrk(options: WrkOptions, signal?: AbortSignal): Promise<WrkResult> {
  const args = wrkArgs(options);
  const command = commandLine("wrk", args);
  const { code, stdout, stderr } = await runForOutput(WRK, args, signal);
  if (code !== 0) throw new Error(`${command} exited with ${code}:\n${stdout}${stderr}`);
  try {
    return { ...parseWrkOutput(stdout), command };
  } catch (error) {
    throw new Error(`${command}: ${(error as Error).message}\n${stdout}${stderr}`);
  }
}

/** A wrk duration ("812.00us", "1.23ms", "2.00s", "1.00m") in milliseconds. */
export function parseDurationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(`not a wrk duration: "${text}"`);
  const value = Number(match[1]);
  const unit = match[2]!;
  return unit === "us" ? value / 1000 : unit === "ms" ? value : unit === "s" ? value * 1000 : unit === "m" ? value * 60_000 : value * 3_600_000;
}

/** Reads the report of `wrk --latency`. */
export function parseWrkOutput(text: string): Omit<WrkResult, "command"> {
  const percentile = (p: number): number => {
    const match = new RegExp(`^[ \\t]*${p}%[ \\t]+(\\S+)[ \\t]*$`, "m").exec(text);
    if (!match) throw new Error(`no ${p}% line in the latency distribution (was --latency given?)`);
    return parseDurationMs(match[1]!);
  };
  const total = /^\s*(\d+) requests in ([\d.]+\w+),/m.exec(text);
  if (!total) throw new Error('no "N requests in T" line in the wrk report');
  const rate = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  if (!rate) throw new Error('no "Requests/sec" line in the wrk report');
  const latency = /^[ \t]*Latency[ \t]+(\d\S*)[ \t]+\S+[ \t]+(\S+)/m.exec(text);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  const socketErrors = { connect: Number(socket?.[1] ?? 0), read: Number(socket?.[2] ?? 0), write: Number(socket?.[3] ?? 0), timeout: Number(socket?.[4] ?? 0) };
  const non2xxCount = Number(non2xx?.[1] ?? 0);
  return {
    requests: Number(total[1]),
    seconds: parseDurationMs(total[2]!) / 1000,
    requestsPerSecond: Number(rate[1]),
    latencyMs: {
      p50: percentile(50),
      p75: percentile(75),
      p90: percentile(90),
      p99: percentile(99),
      avg: latency ? parseDurationMs(latency[1]!) : Number.NaN,
      max: latency ? parseDurationMs(latency[2]!) : Number.NaN,
    },
    socketErrors,
    non2xx: non2xxCount,
    errors: socketErrors.connect + socketErrors.read + socketErrors.write + socketErrors.timeout + non2xxCount,
  };
}

/**
 * A Lua script for wrk that waits `delayMs` before each request on a connection, so that
 * `connections × 1000 / (delayMs + latency)` requests/s are sent. wrk's timers take whole
 * milliseconds, so a fractional delay is drawn between its floor and ceiling with the right mean.
 */
export function delayScript(delayMs: number): string {
  const floor = Math.max(0, Math.floor(delayMs));
  const fraction = Math.max(0, delayMs - floor);
  return `-- wrk at a lower rate: a mean delay of ${delayMs.toFixed(3)} ms before each request.
local floor = ${floor}
local fraction = ${fraction.toFixed(6)}
function delay()
  if math.random() < fraction then return floor + 1 end
  return floor
end
`;
}
