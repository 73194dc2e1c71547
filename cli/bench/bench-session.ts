/**
 * What every benchmark that starts servers shares: a scratch directory, the processes it
 * started, and stopping them all at the end, on errors and on Ctrl-C (a second Ctrl-C kills
 * them at once).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Processes } from "./peers";

export class Interrupted extends Error {
  constructor(signal: string) {
    super(`interrupted (${signal}); every process the benchmark started was stopped`);
  }
}

export class BenchSession {
  readonly dir: string;
  readonly processes: Processes;
  /** Aborted on the first signal: hand it to wrk and the load generators. */
  readonly signal: AbortSignal;
  private readonly abort = new AbortController();
  private interrupted: string | null = null;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    if (this.interrupted) {
      this.processes.killAllNow("SIGKILL");
      process.exit(130);
    }
    this.interrupted = signal;
    this.progress(`${signal}: stopping every process the benchmark started (Ctrl-C again to kill them at once)`);
    this.abort.abort();
  };
  private readonly onExit = () => this.processes.killAllNow("SIGKILL");

  constructor(
    name: string,
    private readonly progress: (line: string) => void,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `turnpike-${name}-`));
    this.processes = new Processes(this.dir);
    this.signal = this.abort.signal;
    process.on("SIGINT", this.onSignal);
    process.on("SIGTERM", this.onSignal);
    process.on("SIGHUP", this.onSignal);
    process.on("exit", this.onExit);
  }

  /** Throws Interrupted once a signal came. */
  checkInterrupted(): void {
    if (this.interrupted) throw new Interrupted(this.interrupted);
  }

  /** What to report for `error`: Interrupted when a signal came (whatever failed because of it). */
  failure(error: unknown): unknown {
    return this.interrupted && !(error instanceof Interrupted) ? new Interrupted(this.interrupted) : error;
  }

  /** Stops every process; the scratch directory goes too unless something would not stop. */
  async close(): Promise<void> {
    this.progress(`stopping ${this.processes.all.length} processes`);
    await this.processes.stopAll();
    const leftovers = this.processes.leftovers();
    process.off("SIGINT", this.onSignal);
    process.off("SIGTERM", this.onSignal);
    process.off("SIGHUP", this.onSignal);
    process.off("exit", this.onExit);
    if (leftovers.length) this.progress(`WARNING: still running after stop: ${leftovers.join(", ")}`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

/** GET `url` on a new connection; resolves to status and body. */
export function getOnce(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false, timeout: 5_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 5 s")));
    req.on("error", reject);
    req.end();
  });
}
