/**
 * Sends finished spans to an OTLP receiver (over HTTP with protobuf or JSON, or over gRPC) in
 * batches, as OpenTelemetry's batch span processor does: a span waits at most
 * `scheduleDelayMs`, a full batch goes at once, one export request is in flight at a time, and
 * while the receiver is slow or down spans queue up to `maxQueueSize` and the rest are dropped
 * and counted, never held without bound and never in the request's way. Failures are retried
 * as the OTLP specification says (the transport tells which: 429, 502, 503, 504, the retryable
 * gRPC codes and connection errors), with exponential backoff and the receiver's Retry-After or
 * RetryInfo, within `exportTimeoutMs` per batch. Each span is encoded as it is added and kept
 * as bytes (`span-batches.ts`), so an export only puts a head (and, for JSON, a tail) around a
 * batch.
 */
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { Logger } from "pino";
import type { ExportTransport } from "./export-transport";
import { OtlpGrpcTransport } from "./otlp-grpc";
import { OtlpHttpTransport } from "./otlp-http";
import { type FinishedSpan, type InstrumentationScope, TRACE_REQUEST_TAIL, encodeSpan, traceRequestHead } from "./otlp-json";
import { encodeSpanEntry, partialSuccessProto, traceRequestHeadProto } from "./otlp-protobuf";
import { SpanBatches } from "./span-batches";
import type { TraceConfig } from "./trace-config";

const gzipAsync = promisify(gzip);

/** What became of the spans handed to the exporter, since the process started. */
export interface SpanExportCounts {
  exported: number;
  /** The queue was full (the receiver slow or down for longer than the queue lasts). */
  droppedQueueFull: number;
  /** The receiver refused the batch, or did not take it within the export timeout. */
  droppedExportFailed: number;
  /** The receiver took the batch but rejected these spans (OTLP partial success). */
  droppedRejected: number;
}

const MAX_ATTEMPTS = 5;
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 5_000;
/** A failure after the first is logged at most this often (with what was lost meanwhile). */
const FAILURE_LOG_INTERVAL_MS = 60_000;

export class OtlpSpanExporter {
  readonly counts: SpanExportCounts = { exported: 0, droppedQueueFull: 0, droppedExportFailed: 0, droppedRejected: 0 };
  private readonly queue: SpanBatches;
  /** How spans, requests and answers are encoded: chosen once, from the protocol. */
  private readonly encoding: SpanEncoding;
  private timer: NodeJS.Timeout | null = null;
  private batchScheduled = false;
  private exporting: Promise<void> | null = null;
  private closed = false;
  private readonly transport: ExportTransport;
  /** Whether the last export failed, and when a failure was last logged. */
  private failing = false;
  private failureLoggedAt = Number.NEGATIVE_INFINITY;
  private queueFullLoggedAt = Number.NEGATIVE_INFINITY;
  /** Ends the backoff wait under way (shutdown does not wait out a Retry-After). */
  private wakeBackoff: (() => void) | null = null;

  constructor(
    private readonly config: TraceConfig,
    scope: InstrumentationScope,
    private readonly logger: Logger,
  ) {
    this.encoding = config.protocol === "http/json" ? jsonEncoding(config, scope) : protobufEncoding(config, scope);
    this.queue = new SpanBatches(config.maxExportBatchSize, config.protocol === "http/json");
    const compressed = config.compression === "gzip";
    const exportTls = config.tls;
    const tls = exportTls === null ? null : () => exportTls.current((problem) => this.logger.warn({ endpoint: config.endpoint.href }, problem));
    this.transport =
      config.protocol === "grpc"
        ? new OtlpGrpcTransport(config.endpoint, config.headers, compressed, tls)
        : new OtlpHttpTransport(config.endpoint, config.headers, this.encoding.contentType, compressed, tls);
  }

  /** Queues a finished span; dropped (and counted) when the queue is full or the exporter shut down. */
  add(span: FinishedSpan): void {
    if (this.closed) return;
    if (this.queue.size >= this.config.maxQueueSize) {
      this.counts.droppedQueueFull++;
      const now = Date.now();
      if (now - this.queueFullLoggedAt >= FAILURE_LOG_INTERVAL_MS) {
        this.queueFullLoggedAt = now;
        this.logger.warn({ endpoint: this.config.endpoint.href, maxQueueSize: this.config.maxQueueSize, dropped: this.counts.droppedQueueFull }, "spans dropped: the export queue is full (the trace receiver is slow or down)");
      }
      return;
    }
    // Encoded now, a few µs inside the request that ended, rather than a batch at a time later:
    // 512 spans encoded at once held the event loop for 3–6 ms.
    this.encoding.queue(this.queue, span);
    if (this.queue.hasFullBatch()) this.exportBatchSoon();
    else if (this.timer === null && this.exporting === null) this.armTimer();
  }

  /** Sends every queued span (and waits for an export under way). */
  async flush(): Promise<void> {
    while (this.exporting !== null) await this.exporting;
    await this.drain(true);
  }

  /**
   * Stops taking spans and sends what is queued, giving up after `timeoutMs`: a retry waiting
   * out its backoff goes at once, and spans still unsent at the deadline count as failed.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.wakeBackoff?.();
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise<void>((resolve) => (timeout = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timeout);
    this.counts.droppedExportFailed += this.queue.clear();
    await this.transport.close();
  }

  private armTimer(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.drain(true);
    }, this.config.scheduleDelayMs);
    this.timer.unref();
  }

  /** A full batch goes on the next turn of the loop, not inside the request that filled it. */
  private exportBatchSoon(): void {
    if (this.batchScheduled || this.exporting !== null) return;
    this.batchScheduled = true;
    setImmediate(() => {
      this.batchScheduled = false;
      void this.drain(false);
    });
  }

  /** Sends full batches, or everything with `all`; one export at a time. */
  private drain(all: boolean): Promise<void> {
    if (this.exporting !== null) return this.exporting;
    if (this.queue.size === 0 || (!all && !this.queue.hasFullBatch())) return Promise.resolve();
    this.exporting = (async () => {
      try {
        while (this.queue.hasFullBatch() || (all && this.queue.size > 0)) {
          const batch = this.queue.take()!;
          await this.send(batch.body, batch.spans);
        }
      } finally {
        this.exporting = null;
        if (this.queue.size > 0 && this.timer === null && !this.closed) this.armTimer();
      }
    })();
    return this.exporting;
  }

  private async send(encodedSpans: Buffer, spans: number): Promise<void> {
    const request = this.encoding.request(encodedSpans);
    const body = this.config.compression === "gzip" ? await gzipAsync(request) : request;
    const deadline = Date.now() + this.config.exportTimeoutMs;
    let reason = "";
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const result = await this.transport.post(body, Math.min(this.config.timeoutMs, Math.max(1, deadline - Date.now())));
      if (result.ok) {
        const partial = this.encoding.partialSuccess(result.answer);
        const rejected = Math.min(partial.rejected, spans);
        this.counts.exported += spans - rejected;
        this.counts.droppedRejected += rejected;
        if (rejected > 0) this.logger.warn({ endpoint: this.config.endpoint.href, rejected, reason: partial.message }, "the trace receiver rejected some spans");
        if (this.failing) this.logger.info({ endpoint: this.config.endpoint.href }, "spans are being exported again");
        this.failing = false;
        return;
      }
      reason = result.reason;
      if (!result.retryable || attempt === MAX_ATTEMPTS) break;
      const backoff = Math.min(FIRST_BACKOFF_MS * 2 ** (attempt - 1), MAX_BACKOFF_MS) * (0.8 + Math.random() * 0.4);
      // Shutting down: try again at once rather than wait (shutdown bounds the whole of it).
      const wait = this.closed ? 0 : (result.retryAfterMs ?? backoff);
      if (Date.now() + wait >= deadline) break;
      await this.backoff(wait);
    }
    this.counts.droppedExportFailed += spans;
    const now = Date.now();
    if (!this.failing || now - this.failureLoggedAt >= FAILURE_LOG_INTERVAL_MS) {
      this.failureLoggedAt = now;
      this.logger.warn({ endpoint: this.config.endpoint.href, reason, spansLost: this.counts.droppedExportFailed + this.counts.droppedQueueFull }, "spans could not be exported; requests are not affected");
    }
    this.failing = true;
  }

  private backoff(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.wakeBackoff = null;
        resolve();
      }
      this.wakeBackoff = done;
    });
  }
}

/** What differs between OTLP's encodings (JSON; protobuf, over HTTP or gRPC), for the exporter. */
interface SpanEncoding {
  readonly contentType: string;
  /** Encodes a finished span into the queue. */
  queue(queue: SpanBatches, span: FinishedSpan): void;
  /** The export request around a batch's encoded spans. */
  request(encodedSpans: Buffer): Buffer;
  /** Spans a 2xx answer says were rejected (OTLP partial success). */
  partialSuccess(answer: Buffer): { rejected: number; message: string };
}

function jsonEncoding(config: TraceConfig, scope: InstrumentationScope): SpanEncoding {
  const head = Buffer.from(traceRequestHead(config.resource, scope));
  const tail = Buffer.from(TRACE_REQUEST_TAIL);
  return {
    contentType: "application/json",
    queue: (queue, span) => queue.append(encodeSpan(span)),
    request: (encodedSpans) => Buffer.concat([head, encodedSpans, tail]),
    partialSuccess: (answer) => partialSuccess(answer.toString("utf8")),
  };
}

function protobufEncoding(config: TraceConfig, scope: InstrumentationScope): SpanEncoding {
  return {
    contentType: "application/x-protobuf",
    queue: (queue, span) => queue.appendBytes(encodeSpanEntry(span)),
    request: (encodedSpans) => Buffer.concat([traceRequestHeadProto(config.resource, scope, encodedSpans.length), encodedSpans]),
    partialSuccess: partialSuccessProto,
  };
}

/** OTLP's `ExportTraceServiceResponse.partial_success`: spans the receiver took but rejected. */
function partialSuccess(text: string): { rejected: number; message: string } {
  if (text === "") return { rejected: 0, message: "" };
  try {
    const parsed = JSON.parse(text) as { partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string } };
    const rejected = Number(parsed.partialSuccess?.rejectedSpans ?? 0);
    return { rejected: Number.isSafeInteger(rejected) && rejected > 0 ? rejected : 0, message: parsed.partialSuccess?.errorMessage ?? "" };
  } catch {
    // A receiver answering 200 with protobuf or nothing useful: the spans were taken.
    return { rejected: 0, message: "" };
  }
}
