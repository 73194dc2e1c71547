/**
 * Structured logs with pino. Two loggers share stdout: events (start, reload, errors) are
 * written synchronously so an operator or a supervisor sees them at once; access log lines,
 * one per request, are buffered (4 KiB or 250 ms, whichever comes first) because a write
 * per request would cost more than the request. Credentials, headers and bodies are never logged.
 */
import pino, { type Logger } from "pino";
import type { Exchange } from "../http/exchange";

export interface LoggerOptions {
  readonly level?: string;
  readonly destination?: number | string;
  /** Cluster worker id, on every line of a worker. */
  readonly worker?: number;
}

function base(options: LoggerOptions): Record<string, unknown> {
  return options.worker === undefined ? { service: "turnpike-gateway" } : { service: "turnpike-gateway", worker: options.worker };
}

/** The logger for gateway events: synchronous writes. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = pino.destination({ dest: options.destination ?? 1, sync: true });
  return pino({ level: options.level ?? "info", base: base(options), timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** The access logger: buffered writes, flushed every 250 ms and on exit. */
export function createAccessLogger(options: LoggerOptions & { flushIntervalMs?: number } = {}): Logger {
  const destination = pino.destination({ dest: options.destination ?? 1, sync: false, minLength: 4096 });
  const timer = setInterval(() => destination.flush(), options.flushIntervalMs ?? 250);
  timer.unref();
  process.once("exit", () => {
    try {
      destination.flushSync();
    } catch {
      // stdout already closed: nothing left to do
    }
  });
  return pino({ level: options.level ?? "info", base: base(options), timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** Writes the access log line of a finished exchange. */
export function logExchange(logger: Logger, exchange: Exchange): void {
  const route = exchange.route;
  logger.info({
    msg: "request",
    requestId: exchange.requestId,
    method: exchange.req.method,
    route: route.operation?.route ?? null,
    api: route.apiId,
    operation: route.operationId,
    status: exchange.status,
    durationMs: Math.round(exchange.elapsedMs() * 1000) / 1000,
    client: exchange.clientIp,
    consumer: exchange.consumer?.name ?? null,
    plan: exchange.subscription?.plan ?? null,
    upstream: exchange.upstreamTarget,
    cache: exchange.cacheStatus,
    failure: exchange.failure,
  });
}
