/**
 * Time to first successful call: `npm start` as a developer runs it after `npm install`
 * (`node cli/bin/turnpike.js dev` in the project root, compiling stacks/), measured from the
 * process start to dev's own check that the printed curl answered 2xx; then the printed curl
 * is sent again from here, as a developer pasting it would. Each run is a fresh process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { freePort } from "./peers";

export interface FirstCallRun {
  /** From spawning the process to the printed curl. */
  readonly curlPrintedMs: number;
  /** From spawning the process to dev's check that the curl answered 2xx. */
  readonly firstCallMs: number;
  /** Status of the printed curl sent again by the benchmark. */
  readonly replayStatus: number;
}

export interface FirstCallBenchResult {
  readonly runs: readonly FirstCallRun[];
  readonly medianFirstCallMs: number;
  readonly command: string;
}

const ROOT = join(__dirname, "..", "..");
const CLI = join(ROOT, "cli", "bin", "turnpike.js");
const RUN_TIMEOUT_MS = 60_000;

/** Runs `turnpike dev` `runs` times (default 5) in the project root. */
export async function runFirstCallBench(options: { runs?: number; progress?: (line: string) => void } = {}): Promise<FirstCallBenchResult> {
  const runs: FirstCallRun[] = [];
  for (let index = 0; index < (options.runs ?? 5); index++) {
    const run = await oneRun();
    options.progress?.(`run ${index + 1}: curl printed after ${run.curlPrintedMs.toFixed(0)} ms, first call answered after ${run.firstCallMs.toFixed(0)} ms`);
    runs.push(run);
  }
  const sorted = runs.map((run) => run.firstCallMs).sort((a, b) => a - b);
  return { runs, medianFirstCallMs: sorted[Math.floor(sorted.length / 2)]!, command: "node cli/bin/turnpike.js dev --no-watch --port <free> --operator-port <free>" };
}

async function oneRun(): Promise<FirstCallRun> {
  const [port, operatorPort] = [await freePort(), await freePort()];
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, "dev", "--no-watch", "--port", String(port), "--operator-port", String(operatorPort)], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    let output = "";
    let curlPrintedMs = 0;
    const curl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`turnpike dev did not confirm a first call within ${RUN_TIMEOUT_MS} ms:\n${output}`)), RUN_TIMEOUT_MS);
      let command: string | null = null;
      child.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        command ??= /^\s*(curl -i .+)$/m.exec(output)?.[1] ?? null;
        if (command !== null && curlPrintedMs === 0) curlPrintedMs = performance.now() - started;
        if (/✔ \S+ answered 2\d\d: the curl above works/.test(output)) {
          clearTimeout(timer);
          resolve(command!);
        } else if (/answered [1345]\d\d;|the first call failed/.test(output)) {
          clearTimeout(timer);
          reject(new Error(`the first call did not succeed:\n${output}`));
        }
      });
      child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`turnpike dev exited with ${code}:\n${output}`));
      });
    });
    const firstCallMs = performance.now() - started;
    return { curlPrintedMs, firstCallMs, replayStatus: await replay(curl) };
  } finally {
    await stop(child);
  }
}

/** Sends a printed `curl -i -H 'name: value' … 'url'` with fetch. */
async function replay(curl: string): Promise<number> {
  const headers: Record<string, string> = {};
  for (const match of curl.matchAll(/-H '([^:]+): ([^']*)'/g)) headers[match[1]!] = match[2]!;
  const url = /'(https?:\/\/[^']+)'\s*$/.exec(curl)?.[1];
  if (url === undefined) throw new Error(`cannot read the URL of the printed curl: ${curl}`);
  const response = await fetch(url, { headers });
  await response.arrayBuffer();
  return response.status;
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGINT");
  });
}
