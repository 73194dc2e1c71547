/**
 * A real redis-server for tests: its own process on a free port with a temporary directory,
 * no persistence (`--save '' --appendonly no`), so a restart starts empty. Tests can stop it,
 * kill it (SIGKILL, as a crash), freeze it (SIGSTOP, as a hang) and start it again on the same
 * port, which is what a gateway's reconnect sees in production.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./free-port";

const REDIS_SERVER = process.env.REDIS_SERVER ?? "redis-server";
const START_TIMEOUT_MS = 5_000;

export interface TestRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** A plain client for assertions (created on first use, closed by {@link stop}). */
  client(): Redis;
  /** SIGKILL: the process dies at once, connections drop without a goodbye. */
  kill(): Promise<void>;
  /** Starts redis-server again on the same port, empty. */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open but nothing is answered. */
  freeze(): void;
  thaw(): void;
  /** Stops the server for good and removes its directory. */
  stop(): Promise<void>;
}

/** Every server started by this process, killed on exit if a test forgot to. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export async function startRedis(): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), "turnpike-redis-"));
  let port = 0;
  let child: ChildProcess | null = null;
  // A free port can be taken between finding it and binding it: try a few.
  for (let attempt = 1; child === null; attempt++) {
    port = await freePort();
    try {
      child = await spawnServer(port, dir);
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
  let server: ChildProcess | null = child;
  let client: Redis | null = null;

  const kill = async (signal: NodeJS.Signals) => {
    const current = server;
    server = null;
    if (current === null || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => current.once("exit", () => resolve()));
    // A frozen server handles SIGTERM only once it runs again.
    current.kill("SIGCONT");
    current.kill(signal);
    await exited;
  };

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    client() {
      client ??= new Redis({ port, host: "127.0.0.1", lazyConnect: false, maxRetriesPerRequest: 1 });
      return client;
    },
    kill: () => kill("SIGKILL"),
    async restart() {
      await kill("SIGKILL");
      server = await spawnServer(port, dir);
    },
    freeze() {
      server?.kill("SIGSTOP");
    },
    thaw() {
      server?.kill("SIGCONT");
    },
    async stop() {
      client?.disconnect();
      client = null;
      await kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts redis-server and resolves once it accepts connections; rejects if it exits first. */
function spawnServer(port: number, dir: string): Promise<ChildProcess> {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "", "--loglevel", "notice"];
  const child = spawn(REDIS_SERVER, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.once("exit", () => running.delete(child));
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => fail(new Error(`redis-server did not start within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(error);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => fail(new Error(`redis-server exited (${code ?? signal}) before accepting connections:\n${output}`));
    const onOutput = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        child.off("exit", onExit);
        child.stdout!.off("data", onOutput);
        // Keep draining the pipes so redis-server never blocks on a full one.
        child.stdout!.resume();
        child.stderr!.resume();
        resolve(child);
      }
    };
    child.stdout!.on("data", onOutput);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", (error) => fail(error));
    child.once("exit", onExit);
  });
}
