/**
 * The real gateway for integration tests: the esbuild bundle (what the image runs) started as
 * a child process on a manifest compiled from a declaration, with free ports.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type GatewayConfig, type Platform, compileManifest } from "../../constructs/index";
import { onJsonLines } from "../../cli/dev/json-lines";
import { GATEWAY_BUNDLE } from "../../gateway-image/build";

export interface RunningGateway {
  readonly url: string;
  readonly operatorUrl: string;
  readonly manifest: GatewayConfig;
  readonly manifestFile: string;
  /** Parsed JSON log lines so far. */
  readonly logs: Record<string, unknown>[];
  /** What the gateway wrote to stderr so far. */
  stderr(): string;
  readonly process: ChildProcess;
  /** Waits for a log line matching `predicate` (already written or to come). */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends SIGTERM and waits for the process to exit; resolves to its exit code. */
  stop(): Promise<number | null>;
}

export interface GatewayStartOptions {
  /** Environment added to the gateway's (e.g. consumers' API keys). */
  readonly env?: Record<string, string>;
  readonly mockUpstreamUrl?: string;
  readonly args?: readonly string[];
  /** Another copy of the bundle to run (e.g. one copied where no node_modules is). */
  readonly bundle?: string;
  /** Node's own flags, before the bundle (e.g. the image's, GATEWAY_NODE_FLAGS). */
  readonly nodeFlags?: readonly string[];
  /** Working directory of the gateway process. */
  readonly cwd?: string;
  /** The gateway serves TLS (give `--tls-cert` and `--tls-key` in `args`): `url` is https. */
  readonly tls?: boolean;
  /** `--control-store <url>`: `sqlite:<file>` or `postgres://…` (see `openControlStore`). */
  readonly controlStore?: string;
}

/** Compiles a declaration; fails the test with the diagnostics when it does not compile. */
export async function manifestOf(platform: Platform): Promise<{ manifest: GatewayConfig; json: string }> {
  const result = await compileManifest(platform);
  if (!result.manifest || !result.json) throw new Error(`the test declaration does not compile:\n${JSON.stringify(result.diagnostics, null, 2)}`);
  return { manifest: result.manifest, json: result.json };
}

export async function startGateway(source: Platform | { manifest: GatewayConfig; json: string }, options: GatewayStartOptions = {}): Promise<RunningGateway> {
  const { manifest, json } = "json" in source ? source : await manifestOf(source);
  const dir = mkdtempSync(join(tmpdir(), "turnpike-gateway-"));
  const manifestFile = join(dir, "manifest.json");
  writeFileSync(manifestFile, json);
  // One process unless a test asks for workers (`args: ["--workers", "2"]`; the last flag wins).
  const args = [...(options.nodeFlags ?? []), options.bundle ?? GATEWAY_BUNDLE, "--manifest", manifestFile, "--port", "0", "--operator-port", "0", "--host", "127.0.0.1", "--workers", "1"];
  if (options.mockUpstreamUrl) args.push("--mock-upstream", options.mockUpstreamUrl);
  if (options.controlStore) args.push("--control-store", options.controlStore);
  args.push(...(options.args ?? []));
  const child = spawn(process.execPath, args, { env: { ...process.env, LOG_LEVEL: "info", ...options.env }, stdio: ["ignore", "pipe", "pipe"], cwd: options.cwd });
  const logs: Record<string, unknown>[] = [];
  const waiters: { predicate: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  onJsonLines(child.stdout!, (line) => {
    logs.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const waitForLog = (predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 10_000) => {
    const found = logs.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching gateway log line within ${timeoutMs} ms; logs:\n${logs.map((line) => JSON.stringify(line)).join("\n")}\n${stderr}`)), timeoutMs);
      waiters.push({ predicate, resolve: (line) => (clearTimeout(timer), resolve(line)) });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`the gateway exited (${code}) before logging the expected line; logs:\n${logs.map((line) => JSON.stringify(line)).join("\n")}\n${stderr}`));
      });
    });
  };
  const listening = await waitForLog((line) => line.msg === "gateway listening");
  return {
    url: `${options.tls ? "https" : "http"}://127.0.0.1:${listening.port as number}`,
    operatorUrl: `http://127.0.0.1:${listening.operatorPort as number}`,
    manifest,
    manifestFile,
    logs,
    stderr: () => stderr,
    process: child,
    waitForLog,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}
