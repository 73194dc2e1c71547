/**
 * The gateway process: `node gateway.js --manifest dist/manifest.json`. With `--workers N`
 * (default: one per core) a cluster primary forks N workers that share the port and the
 * counters; with one worker the gateway runs in this process. Reloads the manifest on SIGHUP
 * and when the file changes; drains and exits on SIGTERM/SIGINT.
 */
import cluster from "node:cluster";
import { type FSWatcher, readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { AggregatorRegistry } from "prom-client";
import type { GatewayConfig } from "../../constructs/manifest/schema";
import { IpcStore, type StoreReplyMessage } from "./cluster/ipc-store";
import { HANDED_CONNECTIONS_ENV, type PrimaryMessage, type WorkerMessage, runPrimary } from "./cluster/primary";
import { fullCollection } from "./cluster/reload-collection";
import { heapGrowingFlag } from "./cluster/worker-heap";
import { loadManifest } from "./config/load-manifest";
import type { ControlPlane } from "./control/gateway/control-plane";
import type { PrimaryControlPlane } from "./control/gateway/primary-provisioning";
import { watchManifest } from "./config/watch-manifest";
import { Gateway, type TlsListenerOptions } from "./gateway";
import { createAccessLog, createLogger } from "./observability/access-log";
import { processLineWriter } from "./observability/line-writer";
import { createTracing } from "./observability/tracing/create-tracing";
import { type TraceConfig, traceConfigFromEnv } from "./observability/tracing/trace-config";
import { GatewayMetrics } from "./observability/metrics";
import { createStore } from "./store/create-store";
import { MemoryStore } from "./store/memory-store";
import type { Store } from "./store/store";
import { DEFAULT_CACHE_MAX_BYTES, configureSharedResponseStore } from "../../policies/cache/response-store";
import { defaultUpstreamClient } from "./upstream/pool-registry";

const USAGE = `usage: turnpike-gateway --manifest <file or URL> [--port 8080] [--operator-port 9901] [--host 0.0.0.0]
                        [--workers auto|N] [--store memory|redis://host:6379]
                        [--control-store sqlite:<file>|postgres://…]
                        [--tls-cert <pem file> --tls-key <pem file>] [--tls-request-client-cert]
                        [--mock-upstream <url> [--mock-apis <id,id>]] [--no-access-log] [--drain-delay-ms 0]
                        [--cache-max-mb 64] [--portal-dir <dir>] [--memory-limit-mb <MiB>]
Environment: TURNPIKE_MANIFEST, PORT, TURNPIKE_OPERATOR_PORT, TURNPIKE_WORKERS, TURNPIKE_STORE,
TURNPIKE_TLS_CERT, TURNPIKE_TLS_KEY, TURNPIKE_CONTROL_STORE, TURNPIKE_ADMIN_TOKEN,
TURNPIKE_CACHE_MAX_MB, TURNPIKE_PORTAL_DIR, TURNPIKE_MEMORY_LIMIT_MB, LOG_LEVEL.
Tracing (OpenTelemetry, OTLP/HTTP): OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL,
OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG, OTEL_SERVICE_NAME,
OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_* (gateway-image/README.md, "Tracing").
--memory-limit-mb: what the whole gateway may use (default: the container's limit, if any);
with several workers each gets its share of it as its V8 heap limit.`;

interface ProcessOptions {
  readonly source: string;
  readonly port: number;
  readonly operatorPort: number;
  readonly host: string | undefined;
  readonly workers: number;
  readonly storeUrl: string | undefined;
  /** The control plane's database (`openControlStore` URLs); none: no control plane. */
  readonly controlStoreUrl: string | undefined;
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  readonly requestClientCertificate: boolean | undefined;
  readonly mockUpstreamUrl: string | undefined;
  /** APIs sent to the mock upstream besides those declared `upstream.mock`. */
  readonly mockApis: string[];
  readonly accessLog: boolean;
  readonly drainDelayMs: number;
  /** Bytes of responses the cache policies may keep in this process (per worker). */
  readonly cacheMaxBytes: number;
  /** The developer portal's static site, served under /_turnpike/portal/; none: not served. */
  readonly portalDir: string | undefined;
  /** MiB the whole gateway may use (`--memory-limit-mb`); undefined: the container's limit, if any. */
  readonly memoryLimitMiB: number | undefined;
  /** Where and which spans go (the OTEL_* environment); null: tracing off. */
  readonly tracing: TraceConfig | null;
}

function parseOptions(argv: string[]): ProcessOptions | "help" | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      manifest: { type: "string" },
      port: { type: "string" },
      "operator-port": { type: "string" },
      host: { type: "string" },
      workers: { type: "string" },
      "mock-upstream": { type: "string" },
      "mock-apis": { type: "string" },
      "no-access-log": { type: "boolean" },
      "drain-delay-ms": { type: "string" },
      "cache-max-mb": { type: "string" },
      store: { type: "string" },
      "control-store": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "tls-request-client-cert": { type: "boolean" },
      "portal-dir": { type: "string" },
      "memory-limit-mb": { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) return "help";
  const source = values.manifest ?? process.env.TURNPIKE_MANIFEST;
  if (!source) return null;
  const workers = values.workers ?? process.env.TURNPIKE_WORKERS ?? "auto";
  return {
    source,
    port: Number(values.port ?? process.env.PORT ?? 8080),
    operatorPort: Number(values["operator-port"] ?? process.env.TURNPIKE_OPERATOR_PORT ?? 9901),
    host: values.host,
    workers: workers === "auto" ? availableParallelism() : Math.max(1, Number.parseInt(workers, 10) || 1),
    storeUrl: values.store ?? process.env.TURNPIKE_STORE,
    controlStoreUrl: (values["control-store"] ?? process.env.TURNPIKE_CONTROL_STORE) || undefined,
    tlsCert: values["tls-cert"] ?? process.env.TURNPIKE_TLS_CERT,
    tlsKey: values["tls-key"] ?? process.env.TURNPIKE_TLS_KEY,
    requestClientCertificate: values["tls-request-client-cert"],
    mockUpstreamUrl: values["mock-upstream"],
    mockApis: (values["mock-apis"] ?? "").split(",").map((id) => id.trim()).filter((id) => id !== ""),
    accessLog: !values["no-access-log"],
    drainDelayMs: Number(values["drain-delay-ms"] ?? 0),
    cacheMaxBytes: cacheMaxBytes(values["cache-max-mb"] ?? process.env.TURNPIKE_CACHE_MAX_MB),
    portalDir: (values["portal-dir"] ?? process.env.TURNPIKE_PORTAL_DIR) || undefined,
    memoryLimitMiB: memoryLimitMiB(values["memory-limit-mb"] ?? process.env.TURNPIKE_MEMORY_LIMIT_MB),
    // OpenTelemetry's own variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_SAMPLER, ...).
    tracing: traceConfigFromEnv(),
  };
}

export async function main(argv: string[]): Promise<void> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(argv);
  } catch (error) {
    // parseArgs refuses unknown flags and missing values; our own checks refuse bad values.
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (options === "help") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (options === null) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (cluster.isPrimary && options.workers > 1) await startPrimary(options);
  else await startGateway(options);
}

/** Checks the manifest and the store once, so a bad start fails once, not in every worker. */
async function startPrimary(options: ProcessOptions): Promise<void> {
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? "info" });
  let store: MemoryStore | null;
  let controlPlane: PrimaryControlPlane | null = null;
  try {
    const manifest = await loadManifest(options.source);
    // A bad store URL fails here once, not in every worker.
    if (!isEmbeddedStore(options.storeUrl)) await createStore(options.storeUrl, { logger, metrics: new GatewayMetrics({ processMetrics: false }) }).close();
    // Redis is shared by the workers directly; the embedded store lives here and is asked over IPC.
    store = isEmbeddedStore(options.storeUrl) ? new MemoryStore() : null;
    // Each worker would get a database of its own: keys issued through one unknown to the others.
    if (options.controlStoreUrl === ":memory:") throw new Error("--control-store :memory: is one process's database; with several workers use sqlite:<file> or postgres://…");
    // Migrations and provisioning once, here, before N workers open the store.
    if (options.controlStoreUrl !== undefined) controlPlane = await loadControlPlaneModules().openPrimaryControlPlane(options.controlStoreUrl, manifest, () => loadManifest(options.source), logger);
  } catch (error) {
    logger.fatal({ reason: (error as Error).message }, "cannot start");
    process.exitCode = 1;
    return;
  }
  try {
    await runPrimary({ workers: options.workers, manifestSource: options.source, port: options.port, operatorPort: options.operatorPort, host: options.host, logger, store, controlPlane, memoryLimitMiB: options.memoryLimitMiB, drainDelayMs: options.drainDelayMs, tracing: tracingSummary(options.tracing) });
  } catch (error) {
    // The port is taken, say: once, here, rather than in every worker.
    logger.fatal({ reason: (error as Error).message }, "cannot start");
    process.exit(1);
  }
}

/** The gateway itself: the whole process, or one cluster worker. */
async function startGateway(options: ProcessOptions): Promise<void> {
  const worker = cluster.isWorker;
  // V8 reads it at each full collection, so setting it now, before the load, is in time.
  const growing = heapGrowingFlag(process.execArgv, process.env.NODE_OPTIONS);
  if (growing !== null) setFlagsFromString(growing);
  configureSharedResponseStore(options.cacheMaxBytes);
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? "info", worker: cluster.worker?.id });
  let manifest: GatewayConfig;
  try {
    manifest = await loadManifest(options.source);
  } catch (error) {
    logger.fatal({ reason: (error as Error).message }, "cannot start: the manifest is not usable");
    return failStart(worker);
  }
  const metrics = new GatewayMetrics();
  metrics.watchLogLines(() => processLineWriter().dropped);
  let store: Store;
  let ipcStore: IpcStore | null = null;
  let tls: TlsListenerOptions | undefined;
  try {
    if (worker && isEmbeddedStore(options.storeUrl)) store = ipcStore = new IpcStore((message) => process.send!(message), options.workers);
    else store = createStore(options.storeUrl, { logger, metrics });
    tls = tlsOptions(options);
  } catch (error) {
    logger.fatal({ reason: (error as Error).message }, "cannot start");
    return failStart(worker);
  }
  let controlPlane: ControlPlane | null = null;
  if (options.controlStoreUrl !== undefined) {
    try {
      controlPlane = await loadControlPlaneModules().ControlPlane.open({
        url: options.controlStoreUrl,
        logger,
        manifest,
        provisions: !worker,
        bootstrapAdminToken: process.env.TURNPIKE_ADMIN_TOKEN || null,
        secureCookies: tls !== undefined,
        counters: store,
      });
    } catch (error) {
      logger.fatal({ reason: (error as Error).message }, "cannot start: the control store cannot be opened");
      await store.close().catch(() => undefined);
      return failStart(worker);
    }
  }
  // The primary accepts API connections and hands them to the worker with the fewest (cluster/primary.ts).
  const handed = worker && process.env[HANDED_CONNECTIONS_ENV] !== undefined;
  const gateway = new Gateway({
    logger,
    metrics,
    store,
    tls,
    port: handed ? Number(process.env[HANDED_CONNECTIONS_ENV]) : options.port,
    handedConnections: handed,
    // Workers leave the operator endpoints to the primary, which answers for all of them.
    operatorPort: worker ? null : options.operatorPort,
    host: options.host,
    manifestSource: options.source,
    mockUpstreamUrl: options.mockUpstreamUrl,
    mockApis: options.mockApis,
    // Access lines are info-level: a quieter LOG_LEVEL turns them off too.
    accessLog: options.accessLog && logger.isLevelEnabled("info") ? createAccessLog({ worker: cluster.worker?.id }) : null,
    tracing: options.tracing === null ? null : createTracing(options.tracing, logger),
    // With handed connections the primary waits out the drain delay before it stops handing them.
    drainDelayMs: handed ? 0 : options.drainDelayMs,
    controlPlane,
    portalDir: options.portalDir,
    collectAfterReload: fullCollection(),
  });
  let ports: { port: number; operatorPort: number | null };
  try {
    ports = await gateway.start(manifest);
  } catch (error) {
    logger.fatal({ reason: (error as Error).message }, "cannot start");
    await gateway.close(0).catch(() => undefined);
    return failStart(worker);
  }

  let stopping = false;
  let manifestWatcher: FSWatcher | null = null;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    manifestWatcher?.close();
    if (!worker) logger.info({ signal }, "shutting down: draining requests in flight");
    void gateway.close().then(() => {
      if (!worker) logger.info("stopped");
      process.exit(0);
    });
  };
  // Ctrl-C reaches every process of the group; the primary also asks workers to stop. A worker
  // the primary hands connections to waits for its word: the primary may still be handing
  // them out for the drain delay, and sends "shutdown" after the last.
  const onSignal = (signal: string) => (handed ? gateway.beginDraining() : stop(signal));
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));

  if (worker) {
    // Constructing an AggregatorRegistry is what installs prom-client's worker-side listener
    // that answers the primary's /metrics requests with this registry.
    AggregatorRegistry.setRegistries([metrics.registry]);
    new AggregatorRegistry();
    const reportClosed = closedConnectionReporter();
    process.on("message", (message: PrimaryMessage, handle: unknown) => {
      if (typeof message !== "object" || message === null || !("turnpike" in message)) return;
      if (message.turnpike === "connection") gateway.acceptConnection(handle as Socket, reportClosed);
      else if (message.turnpike === "drain") gateway.beginDraining();
      else if (message.turnpike === "store-reply") ipcStore?.receive(message as StoreReplyMessage);
      else if (message.turnpike === "reload") void gateway.reloadFrom(options.source).then((result) => process.send!({ turnpike: "reloaded", result } satisfies WorkerMessage));
      else if (message.turnpike === "shutdown") stop("shutdown");
    });
    // The primary is gone (killed): nobody would ever stop this worker or answer its store calls.
    process.once("disconnect", () => stop("primary-gone"));
    process.send!({ turnpike: "listening", port: ports.port, revision: manifest.metadata.revision } satisfies WorkerMessage);
    return;
  }

  // Declared consumers are in the store before anyone is told the gateway is up.
  await controlPlane?.settled();
  const reload = () => void gateway.reloadFrom(options.source);
  process.on("SIGHUP", reload);
  // Closed by the stop handler, so a change during the drain does not reload.
  if (!/^https?:\/\//.test(options.source)) manifestWatcher = watchManifest(options.source, reload);
  // Announced last: whoever waits for this line may change the manifest at once, and that
  // change must not fall between the line and the watch (it did, under load in the tests).
  logger.info({ port: ports.port, operatorPort: ports.operatorPort, workers: 1, revision: manifest.metadata.revision, upstreamClient: defaultUpstreamClient(), httpServer: gateway.httpServer, tracing: tracingSummary(options.tracing) }, "gateway listening");
}

/**
 * Tells the primary how many handed connections closed, one message per turn of the event
 * loop at most (a burst of closes is one message), so that its counts stay true.
 */
function closedConnectionReporter(): () => void {
  let closed = 0;
  const report = () => {
    if (process.connected) process.send!({ turnpike: "closed", count: closed } satisfies WorkerMessage);
    closed = 0;
  };
  return () => {
    if (closed++ === 0) setImmediate(report);
  };
}

/** Where spans go and which are sampled, for the start line (never the export headers: they may hold a token). */
export function tracingSummary(
  config: TraceConfig | null,
): { endpoint: string; protocol: string; sampler: string; ratio: number; upstreamSpans: boolean; tls?: { ca?: string; clientCertificate?: string } } | null {
  if (config === null) return null;
  return {
    endpoint: config.endpoint.href,
    protocol: config.protocol,
    sampler: config.sampler.name,
    ratio: config.sampler.ratio,
    upstreamSpans: config.upstreamSpans,
    // The files' paths, never their content.
    ...(config.tls !== null ? { tls: config.tls.describe() } : {}),
  };
}

/** A worker exits at once (its IPC channel would keep it alive); a lone process lets stdout drain. */
function failStart(worker: boolean): void {
  process.exitCode = 1;
  if (worker) process.exit(1);
}

/**
 * The control plane's modules, loaded only when a control store is configured: they bring the
 * control API and, when opening a store, its database driver (see control/create-control-store.ts).
 */
function loadControlPlaneModules(): typeof import("./control/gateway/control-plane") & typeof import("./control/gateway/primary-provisioning") {
  return { ...(require("./control/gateway/control-plane") as typeof import("./control/gateway/control-plane")), ...(require("./control/gateway/primary-provisioning") as typeof import("./control/gateway/primary-provisioning")) };
}

/** `--cache-max-mb`: whole MiB from 1 to 65,536; the default when absent. */
function cacheMaxBytes(value: string | undefined): number {
  if (value === undefined || value === "") return DEFAULT_CACHE_MAX_BYTES;
  const mib = Number(value);
  if (!Number.isInteger(mib) || mib < 1 || mib > 65_536) throw new Error(`--cache-max-mb must be a whole number of MiB from 1 to 65536, not "${value}"`);
  return mib * 1024 * 1024;
}

function memoryLimitMiB(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const mib = Number(value);
  if (!Number.isInteger(mib) || mib < 64 || mib > 1_048_576) throw new Error(`--memory-limit-mb must be a whole number of MiB from 64 to 1048576, not "${value}"`);
  return mib;
}

function isEmbeddedStore(url: string | undefined): boolean {
  return url === undefined || url === "" || url === "memory";
}

function tlsOptions(options: ProcessOptions): TlsListenerOptions | undefined {
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw new Error("--tls-cert and --tls-key go together");
  if (options.tlsCert === undefined || options.tlsKey === undefined) return undefined;
  return { cert: readFileSync(options.tlsCert), key: readFileSync(options.tlsKey), requestClientCertificate: options.requestClientCertificate ?? "when-declared" };
}

if (require.main === module) void main(process.argv.slice(2));
