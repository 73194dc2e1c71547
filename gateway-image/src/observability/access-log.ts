/**
 * Structured logs with pino's line format, all through the process's one LineWriter: events
 * (start, reload, errors) are written at once so an operator or a supervisor sees them;
 * access lines, one per request, are buffered (4 KiB or 250 ms, whichever comes first)
 * because a write per request would cost more than the request. Credentials, headers and
 * bodies are never logged.
 */
import pino, { type Logger } from "pino";
import type { Exchange } from "../http/exchange";
import { type LineWriter, processLineWriter } from "./line-writer";

export interface LoggerOptions {
  readonly level?: string;
  /** @default the process's stdout writer */
  readonly writer?: LineWriter;
  /** Cluster worker id, on every line of a worker. */
  readonly worker?: number;
}

function base(options: LoggerOptions): Record<string, unknown> {
  return options.worker === undefined ? { service: "turnpike-gateway" } : { service: "turnpike-gateway", worker: options.worker };
}

/** The logger for gateway events: each line written at once. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const writer = options.writer ?? processLineWriter();
  return pino({ level: options.level ?? "info", base: base(options), timestamp: pino.stdTimeFunctions.isoTime }, { write: (line: string) => writer.writeNow(line) });
}

/** Where access lines go: one JSON line per finished exchange. */
export interface AccessLog {
  /** `elapsedMs`: the exchange's duration, as its metrics recorded it. */
  write(exchange: Exchange, elapsedMs: number): void;
}

/**
 * The access log: pino's line format (`level`, `time`, `service`, `msg`, fields), serialized
 * by hand because it is the one log line per request: a route's constant fields are escaped
 * once per route, a consumer's name, a plan and an upstream target once each, the line's
 * start once per millisecond, and only what a client controls (request id, forwarded
 * address) and failures per request. pino.info() with an object cost ~11 µs per request
 * here (most of the full chain's overhead); this costs under 1 µs. Every line is ASCII
 * (JSON escapes for the rest), so the writer copies it one byte per character without
 * encoding it.
 */
export function createAccessLog(options: LoggerOptions = {}): AccessLog {
  const writer = options.writer ?? processLineWriter();
  return new JsonLinesAccessLog((line) => writer.writeAscii(line), options.worker);
}

export class JsonLinesAccessLog implements AccessLog {
  private readonly routeFields = new WeakMap<object, string>();
  /** `,"consumer":…` per consumer record (records are replaced, not changed, on reload). */
  private readonly consumerFields = new WeakMap<object, string>();
  /** `,"plan":…` per plan name. */
  private readonly planFields = new BoundedCache();
  /** The line's end, `,"upstream":…,"cache":null,"failure":null}`, per upstream target. */
  private readonly upstreamTails = new BoundedCache();
  private readonly head: string;
  private readonly clock: IsoClock;
  /** The line's start up to `"requestId":`, and the millisecond it is for. */
  private start = "";
  private startMs = Number.NaN;

  constructor(
    private readonly sink: (line: string) => void,
    worker?: number,
    /** Epoch milliseconds; replaceable in tests. */
    now: () => number = Date.now,
  ) {
    this.clock = new IsoClock(now);
    this.head = `,"service":"turnpike-gateway"${worker === undefined ? "" : `,"worker":${worker}`},"msg":"request","requestId":`;
  }

  write(exchange: Exchange, elapsedMs: number): void {
    const route = exchange.route;
    let fields = this.routeFields.get(route);
    if (fields === undefined) {
      fields = `,"route":${json(route.operation?.route ?? null)},"api":${json(route.apiId)},"operation":${json(route.operationId)}`;
      this.routeFields.set(route, fields);
    }
    const time = this.clock.now();
    if (this.clock.lastMs !== this.startMs) {
      this.startMs = this.clock.lastMs;
      this.start = `{"level":30,"time":"${time}"${this.head}`;
    }
    // Names from the manifest are escaped once, not per request, and the request id needs
    // none (RequestId): only the client's address (which a trusted proxy forwards) and
    // failures are escaped each time.
    this.sink(
      `${this.start}"${exchange.requestId}","method":"${exchange.req.method}"${fields},"status":${exchange.status || 499},"durationMs":${milliseconds(elapsedMs)},"client":${text(exchange.clientIp)}${this.consumerField(exchange)}${this.planField(exchange)}${this.tail(exchange)}`,
    );
  }

  private consumerField(exchange: Exchange): string {
    const consumer = exchange.consumer;
    if (consumer === null) return ',"consumer":null';
    let field = this.consumerFields.get(consumer);
    if (field === undefined) {
      field = `,"consumer":${text(consumer.name)}`;
      this.consumerFields.set(consumer, field);
    }
    return field;
  }

  private planField(exchange: Exchange): string {
    const plan = exchange.subscription?.plan;
    if (plan === undefined) return ',"plan":null';
    return this.planFields.get(plan) ?? this.planFields.set(plan, `,"plan":${text(plan)}`);
  }

  private tail(exchange: Exchange): string {
    const upstream = exchange.upstreamTarget;
    if (exchange.cacheStatus === null && exchange.failure === null && upstream !== null) {
      return this.upstreamTails.get(upstream) ?? this.upstreamTails.set(upstream, `,"upstream":${text(upstream)},"cache":null,"failure":null}\n`);
    }
    return `,"upstream":${nullable(upstream)},"cache":${nullable(exchange.cacheStatus)},"failure":${nullable(exchange.failure)}}\n`;
  }
}

/** Strings by string, forgotten all at once past 1,024 entries (keys come from the manifest). */
class BoundedCache {
  private readonly entries = new Map<string, string>();

  get(key: string): string | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: string): string {
    if (this.entries.size >= 1024) this.entries.clear();
    this.entries.set(key, value);
    return value;
  }
}

/**
 * Milliseconds with microsecond precision, as `Math.round(ms * 1000) / 1000` prints them, from
 * integers: turning a fractional double into text is several times slower.
 */
export function milliseconds(ms: number): string {
  const micros = Math.round(ms * 1000);
  if (!(micros >= 0 && micros < 2 ** 31)) return String(micros / 1000);
  const whole = (micros / 1000) | 0;
  const fraction = micros - whole * 1000;
  if (fraction === 0) return String(whole);
  if (fraction % 100 === 0) return `${whole}.${fraction / 100}`;
  if (fraction % 10 === 0) return `${whole}.${fraction < 100 ? "0" : ""}${fraction / 10}`;
  return `${whole}.${fraction < 10 ? "00" : fraction < 100 ? "0" : ""}${fraction}`;
}

/**
 * `Date.prototype.toISOString()` of the current millisecond, built from the second's prefix:
 * the builtin is a C++ call of ~2 µs, made here once a second instead of once a millisecond.
 */
export class IsoClock {
  /** The millisecond of the last `now()`: equal numbers mean the same string. */
  lastMs = Number.NaN;
  private secondStart = Number.NaN;
  private prefix = "";
  private time = "";

  constructor(private readonly clock: () => number = Date.now) {}

  now(): string {
    const ms = this.clock();
    if (ms === this.lastMs) return this.time;
    this.lastMs = ms;
    const offset = ms - this.secondStart;
    if (offset >= 0 && offset < 1000) {
      this.time = `${this.prefix}${offset < 10 ? "00" : offset < 100 ? "0" : ""}${offset}Z`;
    } else {
      this.time = new Date(ms).toISOString();
      this.secondStart = ms - (((ms % 1000) + 1000) % 1000);
      this.prefix = this.time.slice(0, -4);
    }
    return this.time;
  }
}

/** Characters that never need escaping in a JSON string: most values (ids, addresses, names). */
const PLAIN = /^[\w .:/@+=~,;!*()[\]{}$%&#?-]*$/;
const NON_ASCII = /[\u007f-\uffff]/g;

function text(value: string): string {
  return PLAIN.test(value) ? `"${value}"` : json(value);
}

/** JSON text in ASCII: what JSON.stringify writes, with `\uXXXX` for every non-ASCII unit. */
export function json(value: unknown): string {
  return JSON.stringify(value).replace(NON_ASCII, escapeUnit);
}

function escapeUnit(unit: string): string {
  return `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

function nullable(value: string | null | undefined): string {
  return value === null || value === undefined ? "null" : text(value);
}
