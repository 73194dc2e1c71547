/**
 * The cluster primary: forks one gateway worker per core, keeps the embedded counter store
 * every worker asks (so limits hold for the whole gateway), serves the operator endpoints
 * for all workers (/readyz when every worker is ready, /metrics aggregated across workers),
 * tells workers to reload, replaces a worker that dies, and drains them all on SIGTERM.
 * It serves no API traffic itself: it accepts API connections and hands each to the worker
 * with the fewest open (connection-balancer.ts), where Node's cluster would hand them round
 * robin to whichever worker is free at that moment.
 */
import cluster, { type Worker } from "node:cluster";
import { createServer } from "node:http";
import { type Server as NetServer, type Socket, createServer as createNetServer } from "node:net";
import { totalmem } from "node:os";
import type { Logger } from "pino";
import { AggregatorRegistry } from "prom-client";
import { watchManifest } from "../config/watch-manifest";
import { listen } from "../http/listen";
import { operatorEndpoints } from "../observability/operator-endpoints";
import type { PrimaryControlPlane } from "../control/gateway/primary-provisioning";
import type { ReloadResult } from "../gateway";
import type { MemoryStore } from "../store/memory-store";
import { defaultUpstreamClient } from "../upstream/pool-registry";
import { httpServerKind } from "../http/data-plane-server";
import { ConnectionBalancer } from "./connection-balancer";
import { answerCalls, type StoreRequestMessage } from "./ipc-store";
import { minimumMemoryMiB, planWorkerHeap } from "./worker-heap";

export interface PrimaryOptions {
  readonly workers: number;
  readonly manifestSource: string;
  /** Port for API traffic (0: any free port). */
  readonly port: number;
  readonly operatorPort: number | null;
  readonly host?: string;
  readonly logger: Logger;
  /** The embedded store the workers share; null when they use an external one (Redis). */
  readonly store: MemoryStore | null;
  /** The control store (`--control-store`): declared consumers are provisioned again on each reload; closed on shutdown. */
  readonly controlPlane?: PrimaryControlPlane | null;
  /** Longest a drain may take before workers are killed, ms. */
  readonly shutdownTimeoutMs?: number;
  /** MiB the whole gateway may use (`--memory-limit-mb`); undefined: the container's limit, if any. */
  readonly memoryLimitMiB?: number;
  /** Time /readyz reports not ready before API connections stop being accepted on shutdown, ms. @default 0 */
  readonly drainDelayMs?: number;
  /** Where the workers send their spans, for the start line; null: tracing off. */
  readonly tracing?: { readonly endpoint: string; readonly protocol: string; readonly sampler: string; readonly ratio: number } | null;
}

/** Set in a worker's environment when the primary hands it connections: the API port. */
export const HANDED_CONNECTIONS_ENV = "TURNPIKE_HANDED_CONNECTIONS_PORT";
/** Most connections held while no worker is ready (at start, or all restarting); more are refused. */
const MAX_WAITING_CONNECTIONS = 1_024;

/**
 * Whether the primary accepts API connections itself and balances them: yes, unless
 * `TURNPIKE_CONNECTION_BALANCE=round-robin` asks for Node's cluster scheduling (for
 * comparison) or the workers run node:http, which cannot be handed connections.
 */
export function balancesConnections(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.TURNPIKE_CONNECTION_BALANCE !== "round-robin" && httpServerKind(env) === "native";
}

/** Messages a worker sends its primary. */
export type WorkerMessage =
  | StoreRequestMessage
  | { turnpike: "listening"; port: number; revision: string }
  | { turnpike: "reloaded"; result: ReloadResult }
  /** Handed connections that closed since the last report. */
  | { turnpike: "closed"; count: number };

/** Messages the primary sends its workers (`connection` comes with the client socket as its handle). */
export type PrimaryMessage =
  | { turnpike: "reload" }
  | { turnpike: "drain" }
  | { turnpike: "shutdown" }
  | { turnpike: "connection" }
  | { turnpike: "store-reply"; answers: unknown[] };

const RESTART_DELAY_MS = 1_000;

/** Gives each worker its share of the gateway's memory limit as its heap limit (worker-heap.ts). */
function shareMemory(options: PrimaryOptions): void {
  const plan = planWorkerHeap({
    workers: options.workers,
    configuredLimitMiB: options.memoryLimitMiB,
    constrainedBytes: process.constrainedMemory?.(),
    totalBytes: totalmem(),
    execArgv: process.execArgv,
    nodeOptions: process.env.NODE_OPTIONS,
  });
  if (plan.kind !== "share") {
    options.logger.info({ workers: options.workers, heap: plan.kind === "operator" ? "set by --max-old-space-size" : "Node's default (no memory limit known)" }, "worker heap limit");
    return;
  }
  cluster.setupPrimary({ execArgv: [...process.execArgv, `--max-old-space-size=${plan.oldSpaceMiB}`] });
  const fields = { workers: options.workers, memoryLimitMiB: plan.limitMiB, oldSpaceMiB: plan.oldSpaceMiB };
  if (plan.belowMinimum) {
    options.logger.warn({ ...fields, neededMiB: minimumMemoryMiB(options.workers) }, "worker heap limit: the memory limit is small for this many workers; each gets the minimum, and together they may pass the limit (raise the limit or lower --workers)");
  } else options.logger.info(fields, "worker heap limit: each worker's share of the memory limit");
}

export async function runPrimary(options: PrimaryOptions): Promise<void> {
  const { logger } = options;
  const listening = new Map<number, { port: number; revision: string }>();
  let shuttingDown = false;
  let announced = false;
  const aggregator = new AggregatorRegistry();
  /** Reloads waiting for workers' answers: worker id → callbacks, in order. */
  const reloadWaiters = new Map<number, ((result: ReloadResult) => void)[]>();

  const balanced = balancesConnections();
  const balancer = new ConnectionBalancer();
  /** Connections accepted while no worker was ready, handed out as workers become ready. */
  const waiting: Socket[] = [];
  const handOut = (socket: Socket, attempt = 1): void => {
    for (;;) {
      const id = balancer.take();
      if (id === null) {
        if (waiting.length < MAX_WAITING_CONNECTIONS) waiting.push(socket);
        else socket.destroy();
        return;
      }
      const worker = cluster.workers?.[id];
      if (worker === undefined || !worker.isConnected()) {
        balancer.remove(id);
        continue;
      }
      worker.send({ turnpike: "connection" } satisfies PrimaryMessage, socket, (error: Error | null) => {
        if (error === null) return;
        // The worker is going away (as Node's cluster does, the connection goes to another).
        balancer.closed(id, 1);
        if (!worker.isConnected()) balancer.remove(id);
        if (socket.destroyed || attempt >= 3) socket.destroy();
        else handOut(socket, attempt + 1);
      });
      return;
    }
  };
  // Listening before any worker starts: a port in use fails the start once, here.
  let dataPlane: NetServer | null = null;
  let dataPort = options.port;
  if (balanced) {
    dataPlane = createNetServer({ pauseOnConnect: true }, (socket) => handOut(socket));
    dataPort = await listen(dataPlane, options.port, options.host);
  }

  const onMessage = (worker: Worker, message: WorkerMessage) => {
    if (typeof message !== "object" || message === null || !("turnpike" in message)) return;
    switch (message.turnpike) {
      case "store":
        if (options.store !== null) worker.send({ turnpike: "store-reply", answers: answerCalls(options.store, message.calls) } satisfies PrimaryMessage);
        return;
      case "closed":
        balancer.closed(worker.id, message.count);
        return;
      case "listening":
        listening.set(worker.id, { port: message.port, revision: message.revision });
        if (balanced && !shuttingDown) {
          balancer.add(worker.id);
          for (const socket of waiting.splice(0)) handOut(socket);
        }
        if (!announced && listening.size === options.workers) {
          announced = true;
          logger.info(
            { port: message.port, operatorPort, workers: options.workers, revision: message.revision, upstreamClient: defaultUpstreamClient(), httpServer: httpServerKind(), connections: balanced ? "least-connections" : "round-robin", tracing: options.tracing ?? null },
            "gateway listening",
          );
        }
        return;
      case "reloaded": {
        const entry = listening.get(worker.id);
        if (message.result.ok && entry) listening.set(worker.id, { port: entry.port, revision: message.result.revision });
        reloadWaiters.get(worker.id)?.shift()?.(message.result);
        return;
      }
    }
  };

  const fork = () => {
    const worker = cluster.fork(balanced ? { [HANDED_CONNECTIONS_ENV]: String(dataPort) } : undefined);
    worker.once("online", () => logger.info({ worker: worker.id, pid: worker.process.pid }, "gateway worker started"));
    worker.on("message", (message: WorkerMessage) => onMessage(worker, message));
    worker.once("exit", (code, signal) => {
      listening.delete(worker.id);
      // Its connections went with it.
      balancer.remove(worker.id);
      for (const waiter of reloadWaiters.get(worker.id) ?? []) waiter({ ok: false, reason: "the worker exited", revision: null });
      reloadWaiters.delete(worker.id);
      if (shuttingDown) return;
      logger.error({ worker: worker.id, code, signal }, "gateway worker exited unexpectedly; starting a new one");
      setTimeout(() => {
        if (!shuttingDown) fork();
      }, RESTART_DELAY_MS).unref();
    });
  };

  /** Asks every worker to reload; resolves to each worker's result. */
  const reloadAll = (): Promise<ReloadResult[]> => {
    void options.controlPlane?.reloaded();
    return Promise.all(
      Object.values(cluster.workers ?? {}).flatMap((worker) => {
        if (worker === undefined || !worker.isConnected()) return [];
        return [
          new Promise<ReloadResult>((resolve) => {
            const waiters = reloadWaiters.get(worker.id) ?? [];
            waiters.push(resolve);
            reloadWaiters.set(worker.id, waiters);
            worker.send({ turnpike: "reload" } satisfies PrimaryMessage);
          }),
        ];
      }),
    );
  };

  const operator =
    options.operatorPort === null
      ? null
      : createServer(
          operatorEndpoints({
            readiness: () => {
              const revisions = [...new Set([...listening.values()].map((entry) => entry.revision))];
              const ready = !shuttingDown && listening.size === options.workers;
              return { ready, status: shuttingDown ? "draining" : ready ? "ready" : "starting", workers: listening.size, revision: revisions.length === 1 ? revisions[0] : revisions };
            },
            metrics: async () => ({ contentType: aggregator.contentType, text: await aggregator.clusterMetrics() }),
            reload: async () => {
              const results = await reloadAll();
              return { ok: results.every((result) => result.ok), workers: results };
            },
          }),
        );
  const operatorPort = operator === null ? null : await listen(operator, options.operatorPort ?? 0, options.host);

  shareMemory(options);
  for (let i = 0; i < options.workers; i++) fork();

  const reload = () => void reloadAll();
  process.on("SIGHUP", reload);
  // Closed on shutdown, so a change during the drain does not reload.
  const manifestWatcher = /^https?:\/\//.test(options.manifestSource) ? null : watchManifest(options.manifestSource, reload);

  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    manifestWatcher?.close();
    logger.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, "shutting down: draining requests in flight");
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
    const exited = Promise.all(workers.map((worker) => new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once("exit", () => resolve())))));
    const send = (message: PrimaryMessage) => {
      for (const worker of workers) if (worker.isConnected()) worker.send(message);
    };
    if (dataPlane === null) send({ turnpike: "shutdown" });
    else {
      // Workers answer with Connection: close from now on; connections keep being handed out
      // for the drain delay. Then no more are accepted, and the workers are told to finish:
      // IPC keeps order, so every connection handed out reaches its worker before that.
      send({ turnpike: "drain" });
      setTimeout(() => {
        dataPlane!.close();
        for (const socket of waiting.splice(0)) socket.destroy();
        send({ turnpike: "shutdown" });
      }, options.drainDelayMs ?? 0);
    }
    const killer = setTimeout(() => {
      for (const worker of workers) if (!worker.isDead()) worker.kill("SIGKILL");
    }, (options.drainDelayMs ?? 0) + (options.shutdownTimeoutMs ?? 35_000));
    void exited.then(async () => {
      clearTimeout(killer);
      await new Promise<void>((resolve) => (operator ? operator.close(() => resolve()) : resolve()));
      await options.store?.close();
      await options.controlPlane?.close().catch(() => undefined);
      logger.info("stopped");
      process.exit(0);
    });
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}
