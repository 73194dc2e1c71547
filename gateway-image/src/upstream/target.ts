/**
 * One upstream target and what the gateway knows of its health: requests in flight, a
 * latency average, active health-check state, passive outlier ejection and a circuit breaker.
 */
import type { ConnectionPool } from "./http1-pool";
import type { UpstreamConfig } from "../../../constructs/upstream";

type CircuitState = "closed" | "open" | "half-open";

/** Weight of a new latency sample in the moving average. */
const EWMA_ALPHA = 0.3;

export class Target {
  /** `scheme://host:port`, the key of its connection pool. */
  readonly origin: string;
  /** Path prefix of the target URL, without a trailing slash (`""` when none). */
  readonly pathPrefix: string;
  /** `host[:port]` for the Host header. */
  readonly host: string;
  /** The host name or IP address (IPv6 without brackets), as a client span's `server.address`. */
  readonly address: string;
  /** The port, the scheme's default when the URL names none. */
  readonly port: number;
  inflight = 0;
  /** Moving average of response-header latency, in milliseconds. */
  latencyEwmaMs = 0;
  /** False after enough failed active health checks. */
  healthy = true;
  private ejectedUntil = 0;
  private ejections = 0;
  private consecutiveErrors = 0;
  private circuit: CircuitState = "closed";
  private circuitOpenUntil = 0;
  private halfOpenInFlight = 0;
  private halfOpenSucceeded = 0;
  /** Smooth weighted round robin's running weight. */
  currentWeight = 0;

  constructor(
    readonly url: string,
    readonly weight: number,
    readonly pool: ConnectionPool,
    private readonly settings: Pick<UpstreamConfig, "circuitBreaker" | "outlierDetection">,
  ) {
    const parsed = new URL(url);
    this.origin = parsed.origin;
    this.host = parsed.host;
    this.address = parsed.hostname.startsWith("[") ? parsed.hostname.slice(1, -1) : parsed.hostname;
    this.port = parsed.port === "" ? (parsed.protocol === "https:" ? 443 : 80) : Number(parsed.port);
    this.pathPrefix = parsed.pathname.replace(/\/+$/, "");
  }

  /** Whether a request may be sent now (healthy, not ejected, circuit not open). */
  available(nowMs: number): boolean {
    if (!this.healthy || nowMs < this.ejectedUntil) return false;
    const breaker = this.settings.circuitBreaker;
    if (breaker === null || this.circuit === "closed") return true;
    if (this.circuit === "open") {
      if (nowMs < this.circuitOpenUntil) return false;
      this.circuit = "half-open";
      this.halfOpenInFlight = 0;
      this.halfOpenSucceeded = 0;
    }
    return this.halfOpenInFlight < breaker.halfOpenRequests;
  }

  /** Call when a request is sent to this target. */
  begin(): void {
    this.inflight++;
    if (this.circuit === "half-open") this.halfOpenInFlight++;
  }

  /** Call with the outcome of a request sent to this target. */
  end(outcome: "success" | "failure", latencyMs: number, nowMs: number): void {
    this.inflight--;
    if (outcome === "success") {
      this.latencyEwmaMs = this.latencyEwmaMs === 0 ? latencyMs : this.latencyEwmaMs + EWMA_ALPHA * (latencyMs - this.latencyEwmaMs);
      this.consecutiveErrors = 0;
      if (this.circuit === "half-open") {
        this.halfOpenSucceeded++;
        if (this.halfOpenSucceeded >= (this.settings.circuitBreaker?.halfOpenRequests ?? 1)) this.circuit = "closed";
      }
      return;
    }
    this.consecutiveErrors++;
    const breaker = this.settings.circuitBreaker;
    if (breaker !== null && (this.circuit === "half-open" || this.consecutiveErrors >= breaker.consecutiveFailures)) {
      this.circuit = "open";
      this.circuitOpenUntil = nowMs + breaker.openMs;
    }
  }

  /**
   * Passive outlier detection: consecutive errors eject the target for a while, longer each
   * time. `canEject` says whether the group's ejection limit allows one more.
   */
  considerEjection(nowMs: number, canEject: boolean): boolean {
    const detection = this.settings.outlierDetection;
    if (detection === null || !canEject || this.consecutiveErrors < detection.consecutiveErrors) return false;
    this.ejections++;
    this.ejectedUntil = nowMs + detection.ejectionMs * this.ejections;
    this.consecutiveErrors = 0;
    return true;
  }

  isEjected(nowMs: number): boolean {
    return nowMs < this.ejectedUntil;
  }

  /** For metrics and tests. */
  get circuitState(): CircuitState {
    return this.circuit;
  }
}
