/**
 * The batching OTLP/HTTP span exporter against a real local receiver (node:http on
 * 127.0.0.1): batches by size and by delay, one export in flight, the request it sends,
 * retries (429/502/503/504, connection errors, Retry-After) within the export timeout, what
 * it drops and counts (queue full, failed export, partial success), and shutdown.
 */
import fc from "fast-check";
import { type IncomingHttpHeaders, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import pino from "pino";
import { type FinishedSpan, SPAN_KIND_SERVER, encodeTraceRequest } from "../../gateway-image/src/observability/tracing/otlp-json";
import { encodeTraceRequestProto } from "../../gateway-image/src/observability/tracing/otlp-protobuf";
import { testTraceConfig } from "../helpers/trace-config";
import { OtlpSpanExporter } from "../../gateway-image/src/observability/tracing/span-exporter";
import type { TraceConfig } from "../../gateway-image/src/observability/tracing/trace-config";

// ---------------------------------------------------------------------------------------------
// A scripted OTLP/HTTP receiver

interface Received {
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body as sent on the wire, and as text after gunzip when it was gzipped. */
  readonly raw: Buffer;
  readonly body: string;
  /** Span names in the request, in order. */
  readonly spans: string[];
  /** Date.now() when the request (headers and body) had arrived, and when it was answered. */
  readonly arrivedAt: number;
  answeredAt: number | null;
}

/** How the receiver answers the nth request (from 0); it may wait first (a slow or stuck receiver). */
type Answer = (request: Received, res: ServerResponse, index: number) => void | Promise<void>;

interface Receiver {
  readonly url: string;
  readonly requests: Received[];
  /** The most requests it was answering at once. */
  readonly maxConcurrent: () => number;
  close(): Promise<void>;
}

const ok: Answer = (_request, res) => void res.writeHead(200, { "content-type": "application/json" }).end("{}");

const receivers: Receiver[] = [];

async function startReceiver(answer: Answer = ok): Promise<Receiver> {
  const requests: Received[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const server: Server = createServer((req, res) => {
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    let done = false;
    const finished = () => {
      if (done) return;
      done = true;
      concurrent--;
    };
    res.on("close", finished);
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const body = (req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8");
      const request: Received = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, raw, body, spans: spanNames(body), arrivedAt: Date.now(), answeredAt: null };
      res.on("finish", () => (request.answeredAt = Date.now()));
      const index = requests.push(request) - 1;
      void answer(request, res, index);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const receiver: Receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    maxConcurrent: () => maxConcurrent,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  receivers.push(receiver);
  return receiver;
}

function spanNames(body: string): string[] {
  try {
    const request = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[] };
    return request.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((span) => span.name)));
  } catch {
    return [];
  }
}

/** A promise the test resolves: a receiver waiting on it holds its answer until then. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves when `predicate` holds (checked every 5 ms); fails after `timeoutMs`. */
async function until(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${predicate.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// ---------------------------------------------------------------------------------------------
// Exporters under test

const SCOPE = { name: "turnpike-gateway", version: "test" };
const RESOURCE = [["service.name", "turnpike-gateway"], ["service.instance.id", "i-1"]] as const;

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}
const WARN = 40;
const INFO = 30;

const exporters: OtlpSpanExporter[] = [];

function configFor(receiverUrl: string, overrides: Partial<TraceConfig> = {}): TraceConfig {
  return testTraceConfig(`${receiverUrl}/v1/traces`, { resource: RESOURCE, ...overrides });
}

function exporterFor(receiverUrl: string, overrides: Partial<TraceConfig> = {}) {
  const lines: LogLine[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  const config = configFor(receiverUrl, overrides);
  const exporter = new OtlpSpanExporter(config, SCOPE, logger);
  exporters.push(exporter);
  return { exporter, config, lines };
}

let spanCounter = 0;
function spans(count: number): FinishedSpan[] {
  return Array.from({ length: count }, () => {
    const i = spanCounter++;
    return {
      traceId: (i + 1).toString(16).padStart(32, "0"),
      spanId: (i + 1).toString(16).padStart(16, "0"),
      parentSpanId: null,
      remoteParent: false,
      traceState: null,
      name: `span-${i}`,
      kind: SPAN_KIND_SERVER,
      startUnixMicros: 1_700_000_000_000_000 + i,
      endUnixMicros: 1_700_000_000_000_100 + i,
      attributes: { "http.request.method": "GET", "http.response.status_code": 200 },
      error: null,
    };
  });
}

const names = (list: readonly FinishedSpan[]) => list.map((span) => span.name);
const spansReceived = (receiver: Receiver) => receiver.requests.flatMap((request) => request.spans);
const noDrops = { droppedQueueFull: 0, droppedExportFailed: 0, droppedRejected: 0 };

afterEach(async () => {
  await Promise.all(exporters.splice(0).map((exporter) => exporter.shutdown(100)));
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

// ---------------------------------------------------------------------------------------------

describe("batching", () => {
  it("sends a full batch at once, without waiting for the schedule delay", async () => {
    const receiver = await startReceiver();
    const { exporter, config } = exporterFor(receiver.url, { scheduleDelayMs: 60_000, maxExportBatchSize: 5 });
    const batch = spans(5);
    for (const span of batch) exporter.add(span);
    await until(() => exporter.counts.exported === 5, 2_000);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.body).toBe(encodeTraceRequest(config.resource, SCOPE, batch));
    expect(exporter.counts).toEqual({ exported: 5, ...noDrops });
  });

  it("sends fewer spans than a batch once the schedule delay has passed, not before", async () => {
    const receiver = await startReceiver();
    const { exporter } = exporterFor(receiver.url, { scheduleDelayMs: 300, maxExportBatchSize: 10 });
    const few = spans(3);
    const addedAt = Date.now();
    for (const span of few) exporter.add(span);
    await until(() => receiver.requests.length === 1, 3_000);
    const waited = receiver.requests[0]!.arrivedAt - addedAt;
    expect(waited).toBeGreaterThanOrEqual(295);
    expect(waited).toBeLessThan(1_500);
    expect(receiver.requests[0]!.spans).toEqual(names(few));
  });

  it("never sends more than a batch, and every span arrives exactly once, in order (bursts of any size at any pace)", async () => {
    const receiver = await startReceiver();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.record({ size: fc.integer({ min: 1, max: 15 }), pauseMs: fc.constantFrom(0, 0, 5, 20) }), { minLength: 1, maxLength: 5 }),
        async (batchSize, bursts) => {
          receiver.requests.length = 0;
          const { exporter } = exporterFor(receiver.url, { scheduleDelayMs: 15, maxExportBatchSize: batchSize, maxQueueSize: 1_000 });
          const sent: FinishedSpan[] = [];
          for (const { size, pauseMs } of bursts) {
            const burst = spans(size);
            sent.push(...burst);
            for (const span of burst) exporter.add(span);
            // A pause of generated length between bursts: part of the input, not a wait for an event.
            if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
          }
          await until(() => exporter.counts.exported === sent.length, 3_000);
          expect(receiver.requests.every((request) => request.spans.length >= 1 && request.spans.length <= batchSize)).toBe(true);
          expect(spansReceived(receiver)).toEqual(names(sent));
          expect(exporter.counts).toEqual({ exported: sent.length, ...noDrops });
          await exporter.shutdown(100);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("has one export request in flight at a time, however far behind the receiver is", async () => {
    const receiver = await startReceiver(async (request, res, index) => {
      await new Promise((resolve) => setTimeout(resolve, 40));
      ok(request, res, index);
    });
    const { exporter } = exporterFor(receiver.url, { scheduleDelayMs: 5, maxExportBatchSize: 2, maxQueueSize: 100 });
    const all = spans(12);
    for (const span of all.slice(0, 7)) exporter.add(span);
    await until(() => receiver.requests.length >= 1);
    for (const span of all.slice(7)) exporter.add(span);
    await until(() => exporter.counts.exported === 12);
    expect(receiver.maxConcurrent()).toBe(1);
    for (let i = 1; i < receiver.requests.length; i++) expect(receiver.requests[i]!.arrivedAt).toBeGreaterThanOrEqual(receiver.requests[i - 1]!.answeredAt!);
    expect(spansReceived(receiver)).toEqual(names(all));
  });

  it("sends everything queued on flush()", async () => {
    const receiver = await startReceiver();
    const { exporter } = exporterFor(receiver.url, { scheduleDelayMs: 60_000, maxExportBatchSize: 5 });
    const queued = spans(7);
    for (const span of queued) exporter.add(span);
    await exporter.flush();
    expect(receiver.requests.map((request) => request.spans.length)).toEqual([5, 2]);
    expect(spansReceived(receiver)).toEqual(names(queued));
    expect(exporter.counts).toEqual({ exported: 7, ...noDrops });
  });
});

describe("the export request", () => {
  it("is a POST of the OTLP JSON to the endpoint's path and query, with the configured headers and content-type application/json", async () => {
    const receiver = await startReceiver();
    const { exporter, config } = exporterFor(receiver.url, { maxExportBatchSize: 2, headers: { "x-api-key": "k-123", authorization: "Bearer t" } });
    const endpoint = new URL(`${receiver.url}/otlp/v1/traces?tenant=t1`);
    const { exporter: withQuery } = exporterFor(receiver.url, { ...config, endpoint });
    const two = spans(2);
    for (const span of two) exporter.add(span);
    await until(() => receiver.requests.length === 1);
    const [request] = receiver.requests;
    expect(request!.method).toBe("POST");
    expect(request!.path).toBe("/v1/traces");
    expect(request!.headers).toMatchObject({ "content-type": "application/json", "x-api-key": "k-123", authorization: "Bearer t", "user-agent": "turnpike-gateway" });
    expect(request!.headers["content-encoding"]).toBeUndefined();
    expect(request!.body).toBe(encodeTraceRequest(config.resource, SCOPE, two));

    for (const span of spans(2)) withQuery.add(span);
    await until(() => receiver.requests.length === 2);
    expect(receiver.requests[1]!.path).toBe("/otlp/v1/traces?tenant=t1");
  });

  it("sends protobuf (application/x-protobuf) with protocol http/protobuf, and reads a protobuf partial success", async () => {
    // ExportTraceServiceResponse { partial_success (1) { rejected_spans (1): 1 } }
    const receiver = await startReceiver((_request, res) => void res.writeHead(200, { "content-type": "application/x-protobuf" }).end(Buffer.from([0x0a, 0x02, 0x08, 0x01])));
    const { exporter, config } = exporterFor(receiver.url, { protocol: "http/protobuf", maxExportBatchSize: 3 });
    const three = spans(3);
    for (const span of three) exporter.add(span);
    await until(() => exporter.counts.exported + exporter.counts.droppedRejected === 3);
    const [request] = receiver.requests;
    expect(request!.headers["content-type"]).toBe("application/x-protobuf");
    expect(request!.raw.equals(encodeTraceRequestProto(config.resource, SCOPE, three))).toBe(true);
    expect(exporter.counts).toEqual({ exported: 2, droppedQueueFull: 0, droppedExportFailed: 0, droppedRejected: 1 });
  });

  it("is gzipped with compression gzip", async () => {
    const receiver = await startReceiver();
    const { exporter, config } = exporterFor(receiver.url, { compression: "gzip", maxExportBatchSize: 3 });
    const three = spans(3);
    for (const span of three) exporter.add(span);
    await until(() => exporter.counts.exported === 3);
    const [request] = receiver.requests;
    expect(request!.headers["content-encoding"]).toBe("gzip");
    expect(request!.raw.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(request!.body).toBe(encodeTraceRequest(config.resource, SCOPE, three));
  });
});

describe("retries", () => {
  it("retries a 503 after a backoff of about a second and counts the spans exported once", async () => {
    const receiver = await startReceiver((request, res, index) => {
      if (index === 0) res.writeHead(503).end("busy");
      else ok(request, res, index);
    });
    const { exporter, lines } = exporterFor(receiver.url, { maxExportBatchSize: 4 });
    const four = spans(4);
    for (const span of four) exporter.add(span);
    await until(() => exporter.counts.exported === 4, 4_000);
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests[1]!.body).toBe(receiver.requests[0]!.body);
    const backoff = receiver.requests[1]!.arrivedAt - receiver.requests[0]!.answeredAt!;
    expect(backoff).toBeGreaterThanOrEqual(790); // 1 s ± 20 % jitter
    expect(backoff).toBeLessThan(2_000);
    expect(exporter.counts).toEqual({ exported: 4, ...noDrops });
    expect(lines.filter((line) => line.level >= WARN)).toEqual([]);
  });

  it.each([429, 502, 503, 504])("retries a %i (with retry-after: 0, at once)", async (status) => {
    const receiver = await startReceiver((request, res, index) => {
      if (index === 0) res.writeHead(status, { "retry-after": "0" }).end();
      else ok(request, res, index);
    });
    const { exporter } = exporterFor(receiver.url, { maxExportBatchSize: 2 });
    for (const span of spans(2)) exporter.add(span);
    await until(() => exporter.counts.exported === 2, 2_000);
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests[1]!.arrivedAt - receiver.requests[0]!.answeredAt!).toBeLessThan(500);
    expect(exporter.counts).toEqual({ exported: 2, ...noDrops });
  });

  it("retries after a connection the receiver dropped without answering", async () => {
    const receiver = await startReceiver((request, res, index) => {
      if (index === 0) res.socket?.destroy();
      else ok(request, res, index);
    });
    const { exporter } = exporterFor(receiver.url, { maxExportBatchSize: 2 });
    const two = spans(2);
    for (const span of two) exporter.add(span);
    await until(() => exporter.counts.exported === 2, 4_000);
    expect(receiver.requests.map((request) => request.spans)).toEqual([names(two), names(two)]);
    expect(exporter.counts).toEqual({ exported: 2, ...noDrops });
  });

  it("honours Retry-After: a 429 with retry-after: 1 is retried after a second", async () => {
    const receiver = await startReceiver((request, res, index) => {
      if (index === 0) res.writeHead(429, { "retry-after": "1" }).end();
      else ok(request, res, index);
    });
    const { exporter } = exporterFor(receiver.url, { maxExportBatchSize: 2 });
    for (const span of spans(2)) exporter.add(span);
    await until(() => exporter.counts.exported === 2, 4_000);
    const waited = receiver.requests[1]!.arrivedAt - receiver.requests[0]!.answeredAt!;
    expect(waited).toBeGreaterThanOrEqual(990);
    expect(waited).toBeLessThan(1_600);
    expect(exporter.counts).toEqual({ exported: 2, ...noDrops });
  });

  it("gives up at once when Retry-After points past the export timeout", async () => {
    const receiver = await startReceiver((_request, res) => void res.writeHead(503, { "retry-after": "10" }).end());
    const { exporter, lines } = exporterFor(receiver.url, { maxExportBatchSize: 2, exportTimeoutMs: 2_000 });
    const startedAt = Date.now();
    for (const span of spans(2)) exporter.add(span);
    await until(() => exporter.counts.droppedExportFailed === 2, 2_000);
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    expect(receiver.requests).toHaveLength(1);
    expect(lines.filter((line) => line.level === WARN).map((line) => line.reason)).toEqual(["the receiver answered 503"]);
  });

  it("does not retry a 400, counts the batch as failed and warns with the receiver's answer", async () => {
    const receiver = await startReceiver((_request, res) => void res.writeHead(400, { "content-type": "text/plain" }).end("bad span"));
    const { exporter, config, lines } = exporterFor(receiver.url, { maxExportBatchSize: 3 });
    for (const span of spans(3)) exporter.add(span);
    await until(() => exporter.counts.droppedExportFailed === 3, 2_000);
    expect(receiver.requests).toHaveLength(1);
    expect(exporter.counts).toEqual({ exported: 0, droppedQueueFull: 0, droppedExportFailed: 3, droppedRejected: 0 });
    expect(lines.filter((line) => line.level >= WARN)).toEqual([
      expect.objectContaining({ level: WARN, msg: "spans could not be exported; requests are not affected", endpoint: config.endpoint.href, reason: "the receiver answered 400: bad span", spansLost: 3 }),
    ]);
  });

  it("fails a batch after retrying a receiver that is not listening, within the export timeout, and warns", async () => {
    const port = await closedPort();
    const { exporter, config, lines } = exporterFor(`http://127.0.0.1:${port}`, { maxExportBatchSize: 2, exportTimeoutMs: 1_500, timeoutMs: 500 });
    const startedAt = Date.now();
    for (const span of spans(2)) exporter.add(span);
    await until(() => exporter.counts.droppedExportFailed === 2, 3_000);
    const took = Date.now() - startedAt;
    // The first attempt fails at once; the retry comes after 0.8 to 1.2 s; the next backoff would pass the 1.5 s budget.
    expect(took).toBeGreaterThanOrEqual(790);
    expect(took).toBeLessThan(1_500 + 250);
    expect(exporter.counts).toEqual({ exported: 0, droppedQueueFull: 0, droppedExportFailed: 2, droppedRejected: 0 });
    const warnings = lines.filter((line) => line.level >= WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: WARN, msg: "spans could not be exported; requests are not affected", endpoint: config.endpoint.href, spansLost: 2 });
    expect(warnings[0]!.reason).toMatch(/ECONNREFUSED/);
  });

  it("fails a batch the receiver does not answer within the request timeout", async () => {
    const never = gate();
    const receiver = await startReceiver(async () => never.opened);
    const { exporter } = exporterFor(receiver.url, { maxExportBatchSize: 1, timeoutMs: 200, exportTimeoutMs: 900 });
    const startedAt = Date.now();
    exporter.add(spans(1)[0]!);
    await until(() => exporter.counts.droppedExportFailed === 1, 2_000);
    // One attempt of 200 ms; a backoff of at least 800 ms would end past the 900 ms budget.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(190);
    expect(Date.now() - startedAt).toBeLessThan(800);
    expect(receiver.requests).toHaveLength(1);
    never.open();
  });

  it("logs a failure once and the recovery once: further failures within a minute are not logged again", async () => {
    const receiver = await startReceiver((request, res, index) => {
      if (index < 2) res.writeHead(400).end("no");
      else ok(request, res, index);
    });
    const { exporter, lines } = exporterFor(receiver.url, { maxExportBatchSize: 1 });
    for (const span of spans(3)) exporter.add(span);
    await until(() => exporter.counts.exported === 1);
    expect(exporter.counts).toEqual({ exported: 1, droppedQueueFull: 0, droppedExportFailed: 2, droppedRejected: 0 });
    expect(lines.filter((line) => line.level >= INFO).map((line) => [line.level, line.msg])).toEqual([
      [WARN, "spans could not be exported; requests are not affected"],
      [INFO, "spans are being exported again"],
    ]);
  });
});

describe("dropping", () => {
  it("drops and counts exactly the spans beyond the queue while the receiver is slow, and sends the rest once it answers", async () => {
    const slow = gate();
    const receiver = await startReceiver(async (request, res, index) => {
      if (index === 0) await slow.opened;
      ok(request, res, index);
    });
    const { exporter } = exporterFor(receiver.url, { maxExportBatchSize: 2, maxQueueSize: 4 });
    const all = spans(8);
    exporter.add(all[0]!);
    exporter.add(all[1]!);
    await until(() => receiver.requests.length === 1);
    // The first batch is in flight; the queue holds 4 more, the last 2 are dropped.
    for (const span of all.slice(2)) exporter.add(span);
    expect(exporter.counts).toEqual({ exported: 0, droppedQueueFull: 2, droppedExportFailed: 0, droppedRejected: 0 });
    slow.open();
    await until(() => exporter.counts.exported === 6);
    expect(spansReceived(receiver)).toEqual(names(all.slice(0, 6)));
    expect(exporter.counts).toEqual({ exported: 6, droppedQueueFull: 2, droppedExportFailed: 0, droppedRejected: 0 });
  });

  it("counts the spans a receiver rejects in a partial success, and the rest as exported", async () => {
    const receiver = await startReceiver(
      (_request, res) => void res.writeHead(200, { "content-type": "application/json" }).end('{"partialSuccess":{"rejectedSpans":"2","errorMessage":"x"}}'),
    );
    const { exporter, config, lines } = exporterFor(receiver.url, { maxExportBatchSize: 5 });
    for (const span of spans(5)) exporter.add(span);
    await until(() => exporter.counts.exported + exporter.counts.droppedRejected === 5);
    expect(exporter.counts).toEqual({ exported: 3, droppedQueueFull: 0, droppedExportFailed: 0, droppedRejected: 2 });
    expect(lines.filter((line) => line.level >= WARN)).toEqual([
      expect.objectContaining({ level: WARN, msg: "the trace receiver rejected some spans", endpoint: config.endpoint.href, rejected: 2, reason: "x" }),
    ]);
  });

  it("counts a partial success that rejects nothing as a full success", async () => {
    const receiver = await startReceiver((_request, res) => void res.writeHead(200, { "content-type": "application/json" }).end('{"partialSuccess":{}}'));
    const { exporter, lines } = exporterFor(receiver.url, { maxExportBatchSize: 2 });
    for (const span of spans(2)) exporter.add(span);
    await until(() => exporter.counts.exported === 2);
    expect(exporter.counts).toEqual({ exported: 2, ...noDrops });
    expect(lines.filter((line) => line.level >= WARN)).toEqual([]);
  });
});

describe("shutdown", () => {
  it("sends the queued spans at once and ignores spans added afterwards", async () => {
    const receiver = await startReceiver();
    const { exporter } = exporterFor(receiver.url, { scheduleDelayMs: 60_000, maxExportBatchSize: 10 });
    const queued = spans(3);
    for (const span of queued) exporter.add(span);
    const startedAt = Date.now();
    await exporter.shutdown(2_000);
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    expect(receiver.requests.map((request) => request.spans)).toEqual([names(queued)]);
    expect(exporter.counts).toEqual({ exported: 3, ...noDrops });

    for (const span of spans(12)) exporter.add(span);
    await exporter.flush();
    expect(receiver.requests).toHaveLength(1);
    expect(exporter.counts).toEqual({ exported: 3, ...noDrops });
  });

  it("returns within about its timeout when the receiver never answers, and counts the batch as failed", async () => {
    const never = gate();
    const receiver = await startReceiver(async () => never.opened);
    const { exporter } = exporterFor(receiver.url, { scheduleDelayMs: 60_000, maxExportBatchSize: 10, timeoutMs: 10_000, exportTimeoutMs: 30_000 });
    for (const span of spans(3)) exporter.add(span);
    const startedAt = Date.now();
    await exporter.shutdown(300);
    const took = Date.now() - startedAt;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(800);
    expect(receiver.requests).toHaveLength(1);
    await until(() => exporter.counts.droppedExportFailed === 3, 1_000);
    expect(exporter.counts).toEqual({ exported: 0, droppedQueueFull: 0, droppedExportFailed: 3, droppedRejected: 0 });
    never.open();
  });

  // An export waiting out a Retry-After is woken and retried at once: the process exits after
  // shutdown, so a wait past it would lose the queue although the receiver may be up.
  it("sends the queued spans within its timeout even while an export waits out a Retry-After", async () => {
    const receiver = await startReceiver((request, res, index) => {
      if (index === 0) res.writeHead(503, { "retry-after": "2" }).end();
      else ok(request, res, index);
    });
    const { exporter } = exporterFor(receiver.url, { maxExportBatchSize: 1, exportTimeoutMs: 10_000 });
    const [a, b, c] = spans(3);
    exporter.add(a!);
    await until(() => receiver.requests.length === 1);
    exporter.add(b!);
    exporter.add(c!);
    try {
      await exporter.shutdown(500);
      expect(spansReceived(receiver)).toEqual(expect.arrayContaining([b!.name, c!.name]));
    } finally {
      // Let the backoff timer run out so that it does not outlive the test.
      await until(() => exporter.counts.droppedExportFailed + exporter.counts.exported === 3, 3_000);
    }
  });

  it("is idempotent", async () => {
    const receiver = await startReceiver();
    const { exporter } = exporterFor(receiver.url);
    exporter.add(spans(1)[0]!);
    await exporter.shutdown(1_000);
    await exporter.shutdown(1_000);
    expect(receiver.requests).toHaveLength(1);
  });
});
