/**
 * The gateway of `turnpike dev`, run from its TypeScript sources (tsx) as a child process:
 * the same code the image bundles, its own event loop (a recompile never stalls traffic),
 * and it reloads by itself when the manifest file changes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { onJsonLines } from "./json-lines";

export interface GatewayLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface DevGateway {
  readonly port: number;
  readonly operatorPort: number;
  readonly process: ChildProcess;
  /** Stops the gateway (drain) and resolves when it has exited. */
  stop(): Promise<void>;
}

export interface DevGatewayOptions {
  readonly manifestFile: string;
  readonly port: number;
  readonly operatorPort: number;
  readonly host: string;
  readonly mockUpstreamUrl: string;
  /** APIs sent to the mock although not declared `upstream.mock` (their upstream is unreachable). */
  readonly mockApis: readonly string[];
  readonly env: Record<string, string>;
  /** `--control-store` URL (dev's is a SQLite file in the output directory). */
  readonly controlStore?: string;
  /** `--portal-dir`: the developer portal's static site, served under /_turnpike/portal/. */
  readonly portalDir?: string;
  /** Every log line of the gateway, parsed. */
  readonly onLine: (line: GatewayLine) => void;
}

const GATEWAY_MAIN = join(__dirname, "..", "..", "gateway-image", "src", "main.ts");

export function startDevGateway(options: DevGatewayOptions): Promise<DevGateway> {
  const child = spawn(
    process.execPath,
    [
      "--require",
      require.resolve("tsx/cjs"),
      GATEWAY_MAIN,
      "--manifest",
      options.manifestFile,
      "--port",
      String(options.port),
      "--operator-port",
      String(options.operatorPort),
      "--host",
      options.host,
      "--workers",
      "1",
      "--mock-upstream",
      options.mockUpstreamUrl,
      ...(options.mockApis.length > 0 ? ["--mock-apis", options.mockApis.join(",")] : []),
      ...(options.controlStore !== undefined ? ["--control-store", options.controlStore] : []),
      ...(options.portalDir !== undefined ? ["--portal-dir", options.portalDir] : []),
    ],
    // Its own process group: Ctrl-C reaches `turnpike dev`, which stops the gateway in order.
    { env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    let started = false;
    onJsonLines(child.stdout!, (fields) => {
      const line = { level: 30, ...fields } as GatewayLine;
      options.onLine(line);
      if (!started && line.msg === "gateway listening") {
        started = true;
        resolve({
          port: line.port as number,
          operatorPort: line.operatorPort as number,
          process: child,
          stop: async () => {
            if (child.exitCode === null) child.kill("SIGTERM");
            await exited;
          },
        });
      }
    });
    void exited.then((code) => {
      if (!started) reject(new Error(`the gateway exited (code ${code}) before it was listening${stderr ? `:\n${stderr}` : ""}`));
    });
  });
}
