/**
 * The gateway: an HTTP listener for API traffic and an operator listener for /healthz,
 * /readyz and /metrics, serving the current manifest snapshot. A reload validates and
 * compiles a new manifest and swaps it in atomically; requests in flight finish on the
 * snapshot they started with; an invalid manifest is rejected and the old one keeps serving.
 */
import { STATUS_CODES, type Server, createServer } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "pino";
import type { GatewayConfig } from "../../constructs/manifest/schema";
import { Snapshot, type SnapshotOptions } from "./config/compile-snapshot";
import type { ControlPlane } from "./control/gateway/control-plane";
import { ManifestError, loadManifest } from "./config/load-manifest";
import { type DataPlaneServer, createDataPlaneServer } from "./http/data-plane-server";
import { handleRequest } from "./http/handle-request";
import type { GatewayRequest, GatewayResponse } from "./http/server/message-types";
import { endSoon } from "./http/server/server-connection";
import { listen } from "./http/listen";
import { problem } from "./http/problem";
import type { SecretSources } from "./identity/consumer-directory";
import type { AccessLog } from "./observability/access-log";
import type { Tracing } from "./observability/tracing/create-tracing";
import { GatewayMetrics } from "./observability/metrics";
import { operatorEndpoints } from "./observability/operator-endpoints";
import { MemoryStore } from "./store/memory-store";
import type { Store } from "./store/store";
import { PortalSite } from "./portal/portal-site";
import { PoolRegistry } from "./upstream/pool-registry";
import { type FullCollection, ReloadCollection } from "./cluster/reload-collection";

export interface GatewayOptions {
  /** Gateway events (start, reload, errors). */
  readonly logger: Logger;

  /** Port for API traffic (0: any free port). */
  readonly port: number;
  /** Port for /healthz, /readyz and /metrics (0: any free port; null: none). */
  readonly operatorPort: number | null;
  readonly host?: string;
  readonly store?: Store;
  /** Where mocked APIs are sent, at `<url>/<api id>` (see `SnapshotOptions.mockUpstreamUrl`). */
  readonly mockUpstreamUrl?: string;
  /** Ids of APIs sent to the mock upstream although not declared `upstream.mock`. */
  readonly mockApis?: readonly string[];
  /** Where access lines go (one per request); none when absent. */
  readonly accessLog?: AccessLog | null;
  /**
   * The gateway's OpenTelemetry spans (`createTracing`, configured by the `OTEL_*`
   * environment); its queued spans are sent as the gateway closes. None: tracing off.
   */
  readonly tracing?: Tracing | null;
  readonly secrets?: SecretSources;
  /** Longest request header section accepted, in bytes; larger ones get 431. @default 16384 */
  readonly maxHeaderBytes?: number;
  /** Time /readyz reports not ready before the listener stops on shutdown, ms. @default 0 */
  readonly drainDelayMs?: number;
  /**
   * The cluster primary accepts API connections and hands them over (`acceptConnection`): do
   * not listen, and report `port` as the port. Only with the native HTTP server.
   * @default false
   */
  readonly handedConnections?: boolean;
  readonly metrics?: GatewayMetrics;
  /** Where the manifest comes from, for `POST /reload` on the operator port. */
  readonly manifestSource?: string;
  /** Serve API traffic over TLS (HTTP/1.1). */
  readonly tls?: TlsListenerOptions;
  /**
   * The control plane (`--control-store`): issued API keys, usage, the control API under
   * `/_turnpike/`. Closed with the gateway. None: the gateway enforces the manifest alone.
   */
  readonly controlPlane?: ControlPlane | null;
  /**
   * Directory of the developer portal's static site (`--portal-dir`), served under
   * `/_turnpike/portal/` (the portal API under `/_turnpike/portal/v1` stays the control
   * plane's). None: nothing is served there.
   */
  readonly portalDir?: string | null;
  /**
   * Runs a full garbage collection a second after each reload (`fullCollection()`), so that
   * the previous snapshot's memory is given back instead of stacking up reload after reload.
   * None: V8 collects it when it chooses.
   */
  readonly collectAfterReload?: FullCollection | null;
}

/** A reload finished building after the gateway began to close: not applied. */
class ShuttingDown extends Error {
  constructor() {
    super("the gateway is shutting down");
  }
}

/** What a reload did: the revision now served, and why a rejected manifest was rejected. */
export type ReloadResult = { readonly ok: true; readonly revision: string } | { readonly ok: false; readonly reason: string; readonly revision: string | null };

export interface TlsListenerOptions {
  /** PEM certificate chain of the gateway. */
  readonly cert: string | Buffer;
  /** PEM private key. */
  readonly key: string | Buffer;
  /**
   * Ask clients for a certificate during the handshake (for the `mtls` policy). Never
   * enforced by the handshake: each `mtls` policy verifies the chain against its own CAs,
   * so APIs without `mtls` on the same listener stay open to clients without certificates.
   * `"when-declared"`: from the first manifest that declares an `mtls` policy on, including
   * one that arrives by reload (connections made before it keep their handshake).
   * @default false
   */
  readonly requestClientCertificate?: boolean | "when-declared";
}

export class Gateway {
  readonly metrics: GatewayMetrics;
  private current: Snapshot | null = null;
  private readonly store: Store;
  private readonly pools = new PoolRegistry();
  private readonly server: DataPlaneServer;
  private readonly operator: Server | null;
  private draining = false;
  private readonly logger: Logger;
  private readonly reloadCollection: ReloadCollection | null;
  private reloadRunning: Promise<ReloadResult> | null = null;
  private reloadQueued: Promise<ReloadResult> | null = null;
  private closing = false;

  constructor(private readonly options: GatewayOptions) {
    this.logger = options.logger;
    this.reloadCollection = options.collectAfterReload ? new ReloadCollection(options.collectAfterReload, this.logger) : null;
    this.metrics = options.metrics ?? new GatewayMetrics();
    this.store = options.store ?? new MemoryStore();
    const tracing = options.tracing ?? null;
    if (tracing !== null) this.metrics.watchSpans(() => tracing.exporter.counts);
    const context = { logger: this.logger, metrics: this.metrics, accessLog: options.accessLog ?? null, tracer: tracing?.tracer ?? null };
    const controlPlane = options.controlPlane ?? null;
    const portal = options.portalDir ? new PortalSite(options.portalDir) : null;
    const tls = options.tls ? { cert: options.tls.cert, key: options.tls.key, requestCert: options.tls.requestClientCertificate === true, rejectUnauthorized: false } : null;
    const listener = (req: GatewayRequest, res: GatewayResponse) => {
      const snapshot = this.current;
      if (snapshot === null) {
        res.writeHead(503, { "content-type": "application/problem+json", "retry-after": "1" }).end(problem("service-unavailable", "the gateway has no configuration yet").body);
        return;
      }
      // Draining: tell keep-alive clients to go elsewhere after this response.
      if (this.draining) res.setHeader("connection", "close");
      if (portal && portal.owns(req.url ?? "/")) return portal.handle(req, res);
      if (controlPlane && controlPlane.owns(req.url ?? "/")) return controlPlane.handle(req, res);
      void handleRequest(snapshot, req, res, context);
    };
    this.server = createDataPlaneServer(
      { maxHeaderBytes: options.maxHeaderBytes ?? 16_384, requestTimeoutMs: 300_000, headersTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000, tls },
      listener,
      (error, socket) => this.rejectMalformed(error, socket),
    );
    const source = options.manifestSource;
    this.operator =
      options.operatorPort === null
        ? null
        : createServer(
            operatorEndpoints({
              readiness: () => ({ ready: this.current !== null && !this.draining, status: this.draining ? "draining" : this.current === null ? "starting" : "ready", revision: this.current?.revision ?? null }),
              metrics: async () => ({ contentType: this.metrics.registry.contentType, text: await this.metrics.registry.metrics() }),
              reload: source === undefined ? undefined : () => this.reloadFrom(source),
            }),
          );
  }

  /** Which HTTP server parses API traffic (`native` unless unavailable or `TURNPIKE_HTTP_SERVER=node`). */
  get httpServer(): "native" | "node" {
    return this.server.kind;
  }

  /** The manifest being served. */
  get manifest(): GatewayConfig | null {
    return this.current?.manifest ?? null;
  }

  /** Loads the first manifest and starts listening. */
  async start(manifest: GatewayConfig): Promise<{ port: number; operatorPort: number | null }> {
    await this.apply(manifest);
    const port = this.options.handedConnections ? this.options.port : await listen(this.server.listener, this.options.port, this.options.host);
    const operatorPort = this.operator ? await listen(this.operator, this.options.operatorPort ?? 0, this.options.host) : null;
    return { port, operatorPort };
  }

  /**
   * Replaces the manifest. Throws (and keeps serving the old one) when the new one is invalid
   * or cannot be compiled. The current one serves while the new one is built.
   */
  private async apply(manifest: GatewayConfig, loadMs?: number): Promise<void> {
    let next: Snapshot;
    const compileStarted = performance.now();
    try {
      next = await Snapshot.build(manifest, this.snapshotOptions());
    } catch (error) {
      this.metrics.reloads.labels("rejected").inc();
      throw error instanceof ManifestError ? error : new ManifestError(`the manifest cannot be served: ${(error as Error).message}`);
    }
    if (this.closing) {
      // Built while the gateway shut down: its pools and health checks must not outlive it.
      void next.close();
      throw new ShuttingDown();
    }
    const previous = this.current;
    this.current = next;
    this.options.controlPlane?.manifestApplied(manifest);
    if (this.options.tls?.requestClientCertificate === "when-declared" && manifest.spec.policies.some((policy) => policy.policy === "mtls")) {
      // Never unset: a certificate requested but not needed costs nothing, and clients keep working.
      this.server.requestClientCertificates();
    }
    this.metrics.reloads.labels("applied").inc();
    this.metrics.revision.reset();
    this.metrics.revision.labels(manifest.metadata.revision).set(1);
    // How long it took to load (read, parse, validate, hash; none at start) and to build, requests served in between.
    const compileMs = Math.round(performance.now() - compileStarted);
    this.logger.info({ revision: manifest.metadata.revision, apis: manifest.spec.apis.length, loadMs: loadMs && Math.round(loadMs), compileMs }, previous ? "manifest reloaded" : "manifest loaded");
    // Requests still running on the previous snapshot keep their upstream pools: they close gracefully.
    if (previous) {
      void previous.close();
      this.reloadCollection?.afterReload();
    }
  }

  /**
   * Loads a manifest from a file or URL and applies it; on failure logs and keeps the current
   * one. One reload at a time, and the latest source wins: asked while one runs, it waits for
   * it, then reads the source again; further asks meanwhile share that second reload.
   */
  reloadFrom(source: string): Promise<ReloadResult> {
    if (this.reloadQueued !== null) return this.reloadQueued;
    if (this.reloadRunning !== null) {
      this.reloadQueued = this.reloadRunning.then(() => {
        this.reloadQueued = null;
        return this.runReload(source);
      });
      return this.reloadQueued;
    }
    return this.runReload(source);
  }

  private runReload(source: string): Promise<ReloadResult> {
    const run = this.reloadOnce(source).finally(() => {
      if (this.reloadRunning === run) this.reloadRunning = null;
    });
    this.reloadRunning = run;
    return run;
  }

  private async reloadOnce(source: string): Promise<ReloadResult> {
    try {
      const started = performance.now();
      const manifest = await loadManifest(source);
      await this.apply(manifest, performance.now() - started);
      return { ok: true, revision: manifest.metadata.revision };
    } catch (error) {
      if (error instanceof ShuttingDown) return { ok: false, reason: error.message, revision: this.current?.revision ?? null };
      if (!(error instanceof ManifestError)) this.metrics.reloads.labels("rejected").inc();
      const reason = (error as Error).message;
      this.logger.error({ source, reason }, "manifest rejected; still serving the previous one");
      return { ok: false, reason, revision: this.current?.revision ?? null };
    }
  }

  /** Serves a client connection the cluster primary accepted; `onClosed` runs when it closes. */
  acceptConnection(socket: Socket, onClosed: () => void): void {
    socket.once("close", onClosed);
    if (this.server.acceptHanded === null) {
      socket.destroy();
      return;
    }
    this.server.acceptHanded(socket);
  }

  /** Answers from now on ask keep-alive clients to close (`Connection: close`), ahead of `close()`. */
  beginDraining(): void {
    this.draining = true;
  }

  /**
   * Graceful shutdown: /readyz turns 503, then (after the drain delay) the listener stops
   * accepting, idle connections close, requests in flight finish, then pools and store close.
   */
  async close(timeoutMs = 30_000): Promise<void> {
    this.closing = true;
    this.draining = true;
    this.reloadCollection?.close();
    if (this.options.drainDelayMs) await new Promise((resolve) => setTimeout(resolve, this.options.drainDelayMs));
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Connections become idle as their last response ends (with `Connection: close`, see the
    // listener): close them as they do, not only those idle at this moment.
    this.server.closeIdleConnections();
    const sweeper = setInterval(() => this.server.closeIdleConnections(), 50);
    const timer = setTimeout(() => this.server.closeAllConnections(), timeoutMs);
    timer.unref();
    await closed;
    clearInterval(sweeper);
    clearTimeout(timer);
    if (this.operator) {
      const operatorClosed = new Promise<void>((resolve) => this.operator!.close(() => resolve()));
      this.operator.closeAllConnections();
      await operatorClosed;
    }
    await this.current?.close();
    await this.pools.closeAll();
    await this.store.close();
    // Every request has ended, so its span is queued: send what is left.
    await this.options.tracing?.exporter.shutdown(Math.min(timeoutMs, 5_000));
    // Last: every request has finished, so its usage is counted in the final flush.
    await this.options.controlPlane?.close();
  }

  private snapshotOptions(): SnapshotOptions {
    return { store: this.store, pools: this.pools, metrics: this.metrics, logger: this.logger, mockUpstreamUrl: this.options.mockUpstreamUrl, mockApis: new Set(this.options.mockApis), secrets: this.options.secrets, issuedKeys: this.options.controlPlane?.issuedKeys, usage: this.options.controlPlane?.usage };
  }

  /** Requests Node's parser refuses (bad bytes, ambiguous framing, huge headers) never reach an upstream. */
  private rejectMalformed(error: Error & { code?: string; bytesParsed?: number }, socket: Socket): void {
    if (!socket.writable || error.bytesParsed === undefined) {
      socket.destroy();
      return;
    }
    const reply =
      error.code === "HPE_HEADER_OVERFLOW"
        ? problem("headers-too-large", "the request's header section is too large")
        : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? problem("request-timeout", "the request did not arrive in time")
          : problem("bad-request", "the request is not valid HTTP/1.1 and was not forwarded");
    this.logger.warn({ code: error.code, reason: error.message }, "malformed request rejected");
    this.metrics.rejections.labels("none", reply.kind!).inc();
    endSoon(
      socket,
      `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status]}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(reply.body)}\r\nconnection: close\r\n\r\n${reply.body}`,
    );
  }
}
