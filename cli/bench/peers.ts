/**
 * The processes of the gateway benchmark: the upstream (nginx answering a static JSON body),
 * the peers it is compared with (nginx as a reverse proxy, haproxy, fast-gateway), redis for
 * the shared counter store, and the Turnpike gateway bundle. Each writes its configuration
 * into the benchmark's temporary directory and runs in its own process group, so stopping it
 * stops its workers too; `Processes` keeps track of all of them so nothing outlives the run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { GATEWAY_NODE_FLAGS } from "../../gateway-image/build";
import { childrenOf } from "./process-stats";

export const NGINX = "/usr/sbin/nginx";
export const HAPROXY = "/usr/sbin/haproxy";
export const REDIS_SERVER = "/usr/bin/redis-server";

/** What the upstream answers to every request: ~100 bytes of JSON. */
export const UPSTREAM_BODY = '{"id":"bench-1","name":"benchmark item","quantity":3,"tags":["a","b"],"createdAt":"2026-01-01T00:00:00Z"}';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export interface StartOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** One started process (the leader of its own process group) with its output in files. */
export class ManagedProcess {
  readonly exited: Promise<number | null>;
  private exitStatus: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly stdoutFile: string,
    readonly stderrFile: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exitStatus = { code, signal };
        resolve(code);
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exitStatus === null;
  }

  /** Whether any process of its group is still alive. */
  groupAlive(): boolean {
    if (this.finished) return false;
    try {
      process.kill(-this.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** Bytes written to stdout so far (the access log of a gateway). */
  stdoutBytes(): number {
    try {
      return statSync(this.stdoutFile).size;
    } catch {
      return 0;
    }
  }

  /** The end of its stdout and stderr, for error messages. */
  outputTail(bytes = 4000): string {
    const tail = (file: string) => {
      try {
        const text = readFileSync(file, "utf8");
        return text.length > bytes ? `…${text.slice(-bytes)}` : text;
      } catch {
        return "";
      }
    };
    const status = this.exitStatus ? ` (exited: ${this.exitStatus.signal ?? `code ${this.exitStatus.code}`})` : "";
    return `--- ${this.name}${status} stdout:\n${tail(this.stdoutFile)}\n--- stderr:\n${tail(this.stderrFile)}`;
  }

  /**
   * Waits for a line of its stdout (JSON lines are parsed) matching `predicate`. Each poll
   * reads only what was written since the last: a gateway's stdout holds its access log,
   * hundreds of MB after a long run.
   */
  async waitForLine(predicate: (line: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    let offset = 0;
    let partial = "";
    // Keeps a character split between two reads whole.
    const decoder = new StringDecoder("utf8");
    const chunk = Buffer.alloc(1024 * 1024);
    /** The complete lines of `text` after what is left of the last read; the first that matches. */
    const matching = (text: string): Record<string, unknown> | null => {
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const text of lines) {
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text) as Record<string, unknown>;
        } catch {
          line = { msg: text };
        }
        if (predicate(line)) return line;
      }
      return null;
    };
    for (;;) {
      let fd: number | null = null;
      try {
        fd = openSync(this.stdoutFile, "r");
      } catch {
        // not created yet
      }
      try {
        for (let read = fd === null ? 0 : readSync(fd, chunk, 0, chunk.length, offset); read > 0; read = readSync(fd!, chunk, 0, chunk.length, offset)) {
          offset += read;
          const found = matching(decoder.write(chunk.subarray(0, read)));
          if (found !== null) return found;
        }
      } finally {
        if (fd !== null) closeSync(fd);
      }
      if (!this.running) throw new Error(`${this.name} exited before ${what}\n${this.outputTail()}`);
      if (Date.now() > deadline) throw new Error(`${this.name}: no ${what} within ${timeoutMs} ms\n${this.outputTail()}`);
      await sleep(50);
    }
  }

  /** Set once the leader exited and its group is empty: its pid may be reused, never signal it again. */
  private finished = false;

  /** SIGTERM to the leader, then SIGKILL to the whole group if anything is left after `timeoutMs`. */
  async stop(timeoutMs = 5_000): Promise<void> {
    if (this.finished) return;
    if (this.running) {
      try {
        process.kill(this.pid, "SIGTERM");
      } catch {
        // gone meanwhile
      }
      await Promise.race([this.exited, sleep(timeoutMs)]);
    }
    // Workers outliving their leader get a moment, then are killed.
    for (let waited = 0; this.groupAlive() && waited < 1_000; waited += 50) await sleep(50);
    if (this.groupAlive() || this.running) {
      this.killNow("SIGKILL");
      await Promise.race([this.exited, sleep(2_000)]);
      for (let waited = 0; this.groupAlive() && waited < 2_000; waited += 50) await sleep(50);
    }
    if (!this.running && !this.groupAlive()) this.finished = true;
  }

  /** Signals the whole group at once (synchronous: usable in an exit handler). */
  killNow(signal: NodeJS.Signals): void {
    if (this.finished) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // no such group
    }
    try {
      process.kill(this.pid, signal);
    } catch {
      // no such process
    }
  }
}

/** Every process the benchmark started, so all can be stopped on success, error or Ctrl-C. */
export class Processes {
  private readonly started: ManagedProcess[] = [];

  constructor(private readonly dir: string) {}

  get all(): readonly ManagedProcess[] {
    return this.started;
  }

  start(name: string, command: string, args: readonly string[], options: StartOptions = {}): ManagedProcess {
    const stdoutFile = join(this.dir, `${name}.stdout.log`);
    const stderrFile = join(this.dir, `${name}.stderr.log`);
    // O_APPEND: the file can be truncated between runs while the process keeps writing.
    const out = openSync(stdoutFile, "a");
    const err = openSync(stderrFile, "a");
    let child: ChildProcess;
    try {
      // Its own process group: Ctrl-C in the terminal reaches the benchmark, which stops it in order.
      child = spawn(command, args, { cwd: options.cwd ?? this.dir, env: options.env ?? process.env, stdio: ["ignore", out, err], detached: true });
    } finally {
      closeSync(out);
      closeSync(err);
    }
    const managed = new ManagedProcess(name, child, stdoutFile, stderrFile);
    child.once("error", () => undefined); // reported through `exited` and the output files
    this.started.push(managed);
    return managed;
  }

  /** Stops every process, newest first (dependants before what they depend on). */
  async stopAll(): Promise<void> {
    for (const managed of [...this.started].reverse()) await managed.stop();
  }

  killAllNow(signal: NodeJS.Signals): void {
    for (const managed of this.started) managed.killNow(signal);
  }

  /** Names of processes (groups) still alive. */
  leftovers(): string[] {
    return this.started.filter((managed) => managed.running || managed.groupAlive()).map((managed) => `${managed.name} (pid ${managed.pid})`);
  }
}

/** Waits until `port` accepts connections, failing early if `managed` exits. */
export async function waitForPort(managed: ManagedProcess, port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (!managed.running) throw new Error(`${managed.name} exited before listening on port ${port}\n${managed.outputTail()}`);
    if (Date.now() > deadline) throw new Error(`${managed.name}: port ${port} not open within ${timeoutMs} ms\n${managed.outputTail()}`);
    await sleep(50);
  }
}

/** A started contender or helper: where to send requests and which process tree is its. */
export interface Service {
  readonly process: ManagedProcess;
  readonly port: number;
  readonly baseUrl: string;
  /** The configuration written, for the report. */
  readonly config: string;
}

function nginxConfig(dir: string, name: string, workers: number, http: string): { prefix: string; file: string; text: string } {
  const prefix = join(dir, name);
  mkdirSync(prefix, { recursive: true });
  const text = `# ${name}: written by the Turnpike gateway benchmark
daemon off;
master_process on;
worker_processes ${workers};
worker_rlimit_nofile 65536;
pid ${join(prefix, "nginx.pid")};
error_log ${join(prefix, "error.log")} warn;
events {
  worker_connections 8192;
  multi_accept on;
}
http {
  access_log off;
  keepalive_timeout 300s;
  keepalive_requests 100000000;
${http}
}
`;
  const file = join(prefix, "nginx.conf");
  writeFileSync(file, text);
  return { prefix, file, text };
}

async function startNginx(processes: Processes, dir: string, name: string, workers: number, http: (port: number) => string): Promise<Service> {
  const port = await freePort();
  const config = nginxConfig(dir, name, workers, http(port));
  const managed = processes.start(name, NGINX, ["-p", config.prefix, "-e", join(config.prefix, "error.log"), "-c", config.file]);
  await waitForPort(managed, port);
  return { process: managed, port, baseUrl: `http://127.0.0.1:${port}`, config: config.text };
}

/** The upstream: nginx, one worker, answering UPSTREAM_BODY to everything. */
export function startUpstream(processes: Processes, dir: string): Promise<Service> {
  return startNginx(
    processes,
    dir,
    "upstream-nginx",
    1,
    (port) => `  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      default_type application/json;
      return 200 '${UPSTREAM_BODY}';
    }
  }`,
  );
}

/** nginx as a reverse proxy with a keep-alive upstream pool. */
export function startNginxProxy(processes: Processes, dir: string, upstreamPort: number, workers: number): Promise<Service> {
  return startNginx(
    processes,
    dir,
    `nginx-proxy-${workers}w`,
    workers,
    (port) => `  upstream bench_upstream {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }`,
  );
}

/** haproxy in http mode, reusing upstream connections, with its default thread count. */
export async function startHaproxy(processes: Processes, dir: string, upstreamPort: number): Promise<Service> {
  const port = await freePort();
  const prefix = join(dir, "haproxy");
  mkdirSync(prefix, { recursive: true });
  const config = `# haproxy: written by the Turnpike gateway benchmark (threads: default, one per CPU)
global
  maxconn 8192
  pidfile ${join(prefix, "haproxy.pid")}

defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s

frontend bench
  bind 127.0.0.1:${port}
  default_backend upstream

backend upstream
  server upstream 127.0.0.1:${upstreamPort}
`;
  const file = join(prefix, "haproxy.cfg");
  writeFileSync(file, config);
  const managed = processes.start("haproxy", HAPROXY, ["-db", "-f", file]);
  await waitForPort(managed, port);
  return { process: managed, port, baseUrl: `http://127.0.0.1:${port}`, config };
}

/** fast-gateway, default configuration, one process (fast-gateway-server.js). */
export async function startFastGateway(processes: Processes, upstreamUrl: string): Promise<Service> {
  const port = await freePort();
  const script = join(__dirname, "fast-gateway-server.js");
  const managed = processes.start("fast-gateway", process.execPath, [script, upstreamUrl, String(port)], { cwd: join(__dirname, "..", "..") });
  await managed.waitForLine((line) => line.msg === "fast-gateway listening", 15_000, "fast-gateway listening line");
  const config = `require("fast-gateway")({ routes: [{ prefix: "/bench", target: "${upstreamUrl}" }] }).start(${port}, "127.0.0.1")`;
  return { process: managed, port, baseUrl: `http://127.0.0.1:${port}`, config };
}

/** redis-server without persistence, for `--store redis://…`. */
export async function startRedis(processes: Processes, dir: string): Promise<Service> {
  const port = await freePort();
  const prefix = join(dir, "redis");
  mkdirSync(prefix, { recursive: true });
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", prefix, "--daemonize", "no", "--protected-mode", "no"];
  const managed = processes.start("redis", REDIS_SERVER, args);
  await waitForPort(managed, port);
  // Accepting connections is not ready (it may still load); PING must answer PONG.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pong = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      let reply = "";
      socket.once("connect", () => socket.write("PING\r\n"));
      socket.on("data", (chunk) => {
        reply += chunk.toString();
        if (reply.includes("\r\n")) {
          socket.destroy();
          resolve(reply.startsWith("+PONG"));
        }
      });
      socket.once("error", () => resolve(false));
    });
    if (pong) break;
    if (Date.now() > deadline) throw new Error(`redis on port ${port} does not answer PING\n${managed.outputTail()}`);
    await sleep(100);
  }
  return { process: managed, port, baseUrl: `redis://127.0.0.1:${port}`, config: `redis-server ${args.map((arg) => (arg === "" ? "''" : arg)).join(" ")}` };
}

export interface TurnpikeStartOptions {
  readonly name: string;
  readonly bundle: string;
  readonly manifestFile: string;
  readonly workers: number;
  readonly accessLog: boolean;
  readonly storeUrl?: string;
  /** Added to the environment (the consumer's key). */
  readonly env?: Readonly<Record<string, string>>;
  /** Node flags after the image's own (GATEWAY_NODE_FLAGS). */
  readonly nodeFlags?: readonly string[];
}

export interface TurnpikeService extends Service {
  readonly args: readonly string[];
  /** Pids of the processes serving traffic: the process itself with one worker, else the cluster workers. */
  workerPids(): number[];
}

/** The Turnpike gateway bundle; its stdout (events and access log) goes to a file, never through the benchmark. */
export async function startTurnpike(processes: Processes, options: TurnpikeStartOptions): Promise<TurnpikeService> {
  if (!existsSync(options.bundle)) throw new Error(`no gateway bundle at ${options.bundle}`);
  const port = await freePort();
  const operatorPort = await freePort();
  // Run as the image runs it (its ENTRYPOINT's flags): what is measured is what users run.
  const args = [...GATEWAY_NODE_FLAGS, ...(options.nodeFlags ?? []), options.bundle, "--manifest", options.manifestFile, "--port", String(port), "--operator-port", String(operatorPort), "--host", "127.0.0.1", "--workers", String(options.workers)];
  if (!options.accessLog) args.push("--no-access-log");
  if (options.storeUrl) args.push("--store", options.storeUrl);
  // Only the flags configure the gateway: settings from the environment of whoever runs the
  // benchmark (TURNPIKE_STORE, PORT, …) must not change a contender. The access log is at level info.
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: "info", ...options.env };
  for (const name of Object.keys(env)) if (name === "PORT" || (name.startsWith("TURNPIKE_") && !(name in (options.env ?? {})))) delete env[name];
  const managed = processes.start(options.name, process.execPath, args, { env });
  await managed.waitForLine((line) => line.msg === "gateway listening", 60_000, '"gateway listening" log line');
  return {
    process: managed,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    config: `${Object.entries(options.env ?? {})
      .filter(([name]) => name === "TURNPIKE_UPSTREAM_CLIENT" || name === "TURNPIKE_HTTP_SERVER")
      .map(([name, value]) => `${name}=${value} `)
      .join("")}node ${args.join(" ")}`,
    args,
    workerPids: () => (options.workers === 1 ? [managed.pid] : childrenOf(managed.pid)),
  };
}
