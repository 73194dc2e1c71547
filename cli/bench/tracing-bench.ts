/**
 * What OpenTelemetry tracing costs the gateway (gateway-image/src/observability/tracing).
 *
 * In isolation: µs per request of `Tracer.spanOf` (ids and the sampling decision), µs per span
 * of `Tracer.end` (the span built from a finished exchange), and µs and bytes per span of what
 * the exporter does with it: `encodeSpan` and `SpanBatches.append` for each span of a batch of
 * 512 (the default batch), then the request body around them; each span with its own request
 * id and span id. Medians of several repetitions after a warm-up.
 *
 * Through the gateway: the full chain (apiKey + rateLimit + metrics + access log), one worker,
 * in six gateway processes started at once: tracing off, every request traced (`always_on`)
 * with protobuf and with JSON, over OTLP/gRPC, with protobuf and a span per upstream attempt
 * too (`TURNPIKE_TRACES_UPSTREAM_SPANS`), and one in ten (`traceidratio` 0.1). Each tracing gateway exports to an OTLP/HTTP receiver of
 * its own (otlp-receiver.js: counts the spans, answers 200 `{}`), with the exporter's defaults
 * (OTEL_BSP_SCHEDULE_DELAY 5 s, batches of 512, queue of 2048). Every round runs wrk (closed
 * loop) on each gateway in turn, then the open-loop generator at a fixed rate, the order
 * rotating from round to round; medians reported.
 *
 * A gateway's CPU is read from /proc from the start of each run to the start of its next one
 * (or, after the last, once the exporter's schedule delay has passed): the spans a run leaves
 * queued are exported up to 5 s after it ends, and that export is part of what the run cost.
 * The gateway is idle for the rest of the window; the gateway without tracing gets the same
 * window, so what idling costs is in every figure alike.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { GATEWAY_BUNDLE, buildGateway } from "../../gateway-image/build";
import type { Exchange } from "../../gateway-image/src/http/exchange";
import { type FinishedSpan, TRACE_REQUEST_TAIL, encodeSpan, encodeTraceRequest, traceRequestHead } from "../../gateway-image/src/observability/tracing/otlp-json";
import { encodeSpanEntry, encodeTraceRequestProto, traceRequestHeadProto } from "../../gateway-image/src/observability/tracing/otlp-protobuf";
import { SpanBatches } from "../../gateway-image/src/observability/tracing/span-batches";
import { Sampler } from "../../gateway-image/src/observability/tracing/sampler";
import { traceConfigFromEnv } from "../../gateway-image/src/observability/tracing/trace-config";
import { Tracer } from "../../gateway-image/src/observability/tracing/tracer";
import type { GatewayConfig } from "../../constructs/index";
import { BENCH_KEY_ENV, BENCH_KEY_HEADER, benchApiKey, benchManifest } from "./bench-declaration";
import { BenchSession, getOnce } from "./bench-session";
import { median } from "./gateway-bench";
import { type OpenLoopResult, buildOpenLoopLoad, openLoopArgs, runOpenLoop } from "./open-loop";
import { type ManagedProcess, NGINX, UPSTREAM_BODY, freePort, startTurnpike, startUpstream, type TurnpikeService } from "./peers";
import { treesCpuSeconds } from "./process-stats";
import { WRK, type WrkResult, commandLine, runWrk } from "./wrk";

export interface TracingBenchOptions {
  /** Seconds per run, closed loop and open loop alike. @default 8 */
  readonly durationSeconds?: number;
  /** Rounds of all the gateways. @default 3 */
  readonly rounds?: number;
  /** Requests per second of the open loop. @default 3000 */
  readonly rate?: number;
  /** Seconds of wrk per gateway before the rounds (JIT, pools), not recorded. @default 2 */
  readonly warmupSeconds?: number;
  /** Repetitions of each in-isolation measure (after a warm-up). @default 7 */
  readonly isolationRepetitions?: number;
  readonly progress?: (line: string) => void;
}

export interface TracingIsolationResult {
  readonly repetitions: number;
  /** The span's name, e.g. `GET /bench/resources-1/{id}`. */
  readonly spanName: string;
  /** Attributes Tracer.end set (not null) on the span, of all it names. */
  readonly attributesSet: number;
  readonly attributesNamed: number;
  /** Tracer.spanOf on a request without a traceparent: trace and span ids, the sampling decision. */
  readonly spanOfUs: number;
  /** Tracer.end on a finished exchange whose span is decided: the span built and queued. */
  readonly endUs: number;
  readonly batchSpans: number;
  /** Distinct batches cycled through (all their spans distinct). */
  readonly distinctBatches: number;
  readonly encodeBatchUs: number;
  readonly encodeUsPerSpan: number;
  readonly batchBytes: number;
  /** The same with protobuf (`encodeSpanEntry` + `SpanBatches.appendBytes` + the head). */
  readonly protoBatchUs: number;
  readonly protoUsPerSpan: number;
  readonly protoBytesPerSpan: number;
  readonly protoGzipBytesPerSpan: number;
  readonly bytesPerSpan: number;
  readonly gzipBytesPerSpan: number;
}

export type TracingConfigName = "off" | "always_on" | "always_on-json" | "always_on-grpc" | "always_on-upstream" | "ratio-0.1";

export interface TracingLoadFigures {
  readonly requestsPerSecondByRound: number[];
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Gateway CPU per request, µs, over the run and the export of what it left queued (median of rounds). */
  readonly cpuUsPerRequest: number;
  /** Gateway CPU per request during the load only, µs (median of rounds). */
  readonly loadCpuUsPerRequest: number;
  /** Socket errors, non-2xx answers and timeouts, all rounds. */
  readonly errors: number;
}

export interface TracingSpanCounts {
  /** From the gateway's /metrics after the runs (since it started, warm-up and checks included). */
  readonly exported: number;
  readonly dropped: Readonly<Record<string, number>>;
  readonly droppedTotal: number;
  /** Spans the gateway's receiver counted (since it started). */
  readonly received: number;
  readonly exportRequests: number;
  /** The receiver's CPU per span received over the rounds, µs. */
  readonly receiverCpuUsPerSpan: number;
}

export interface TracingConfigResult {
  readonly name: TracingConfigName;
  readonly label: string;
  /** The OTEL_* settings of the gateway (none: tracing off). */
  readonly env: Readonly<Record<string, string>>;
  /** The share of requests traced (0 when off). */
  readonly ratio: number;
  readonly closed: TracingLoadFigures;
  readonly open: TracingLoadFigures & { readonly backlogMax: number };
  readonly spans: TracingSpanCounts | null;
  readonly config: string;
}

export interface TracingBenchResult {
  readonly durationSeconds: number;
  readonly rounds: number;
  readonly rate: number;
  readonly connections: number;
  readonly wrkCommand: string;
  readonly openLoopCommand: string;
  readonly isolation: TracingIsolationResult;
  readonly configurations: TracingConfigResult[];
  /** Open loop, gateway CPU: always_on with JSON minus off, µs per request. */
  readonly costPerTracedRequestJsonUs: number;
  /** Open loop, gateway CPU: always_on minus off, µs per request (every request traced). */
  readonly costPerTracedRequestUs: number;
  /** Open loop, gateway CPU: 10 % minus off, µs per request. */
  readonly ratioCostPerRequestUs: number;
  /** Open loop, gateway CPU: always_on over OTLP/gRPC minus always_on (OTLP/HTTP), µs per request. */
  readonly grpcCostUs: number;
  /** Open loop, gateway CPU: always_on with a span per upstream attempt minus always_on, µs per request (one attempt each). */
  readonly upstreamSpanCostUs: number;
  readonly warnings: string[];
}

const CONNECTIONS = 64;
const THREADS = 2;
const OPEN_LOOP_WARMUP_SECONDS = 1;
/** The exporter's OTEL_BSP_SCHEDULE_DELAY default (left unset), and a margin for the export itself. */
const SCHEDULE_DELAY_MS = 5_000;
const SETTLE_MS = SCHEDULE_DELAY_MS + 1_500;
const BATCH_SPANS = 512;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface ConfigSpec {
  readonly name: TracingConfigName;
  readonly label: string;
  readonly sampler: string | null;
  readonly ratio: number;
  readonly protocol: "http/protobuf" | "http/json" | "grpc";
  /** TURNPIKE_TRACES_UPSTREAM_SPANS=true: a CLIENT span per upstream attempt besides the request's. */
  readonly upstreamSpans?: boolean;
}

const CONFIGS: readonly ConfigSpec[] = [
  { name: "off", label: "tracing off", sampler: null, ratio: 0, protocol: "http/protobuf" },
  { name: "always_on", label: "every request traced (always_on, protobuf)", sampler: "always_on", ratio: 1, protocol: "http/protobuf" },
  { name: "always_on-json", label: "every request traced (always_on, JSON)", sampler: "always_on", ratio: 1, protocol: "http/json" },
  { name: "always_on-grpc", label: "every request traced (always_on, OTLP/gRPC)", sampler: "always_on", ratio: 1, protocol: "grpc" },
  { name: "always_on-upstream", label: "every request traced, with its upstream attempt's span (always_on, protobuf)", sampler: "always_on", ratio: 1, protocol: "http/protobuf", upstreamSpans: true },
  { name: "ratio-0.1", label: "10 % traced (traceidratio 0.1, protobuf)", sampler: "traceidratio", ratio: 0.1, protocol: "http/protobuf" },
];

// ---------------------------------------------------------------------------------------------
// In isolation

/** What the bench's route looks like to Tracer.end: the real operation of the benchmark manifest. */
interface RouteInfo {
  readonly apiId: string;
  readonly operationId: string;
  readonly operation: GatewayConfig["spec"]["apis"][number]["operations"][number];
  readonly url: string;
  readonly upstreamTarget: string;
}

const USER_AGENT = "python-requests/2.32.3";

/**
 * A finished exchange as Tracer.end reads it (only the fields it reads): a GET of the bench
 * route by the bench consumer, answered 200 by the upstream, no traceparent from the client.
 */
function fakeExchange(route: RouteInfo): Exchange {
  return {
    req: {
      method: "GET",
      httpVersion: "1.1",
      headers: { host: "127.0.0.1:8080", "user-agent": USER_AGENT, accept: "application/json", [BENCH_KEY_HEADER.toLowerCase()]: "bench-0123456789abcdef" },
      socket: { encrypted: undefined },
    },
    route: { kind: "operation", apiId: route.apiId, operationId: route.operationId, operation: route.operation },
    url: route.url,
    status: 200,
    startedAt: performance.now() - 1.3,
    clientIp: "127.0.0.1",
    consumer: { name: "load-generator", displayName: "load-generator", subscriptions: new Map() },
    subscription: { product: "benchmark", plan: "unlimited", key: "benchmark/unlimited" },
    requestId: randomUUID(),
    upstreamTarget: route.upstreamTarget,
    cacheStatus: null,
    failure: null,
    span: null,
  } as unknown as Exchange;
}

/** Median over `repetitions` of µs per call, each repetition `calls` calls, after a warm-up of one repetition. */
function medianUs(repetitions: number, calls: number, run: (index: number) => void): number {
  for (let i = 0; i < calls; i++) run(i);
  const samples: number[] = [];
  for (let repetition = 0; repetition < repetitions; repetition++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) run(i);
    samples.push(Number(process.hrtime.bigint() - started) / calls / 1000);
  }
  return median(samples);
}

export function runTracingIsolation(route: RouteInfo, repetitions = 7): TracingIsolationResult {
  // A sink like the exporter's queue: holds up to a batch, then starts over.
  let queue: FinishedSpan[] = [];
  const tracer = new Tracer(new Sampler("always_on", 1), {
    add(span) {
      queue.push(span);
      if (queue.length >= 2048) queue = [];
    },
  });
  const pool = Array.from({ length: 4096 }, () => fakeExchange(route));
  const mask = pool.length - 1;
  const spanOfUs = medianUs(repetitions, 200_000, (i) => {
    const exchange = pool[i & mask]!;
    exchange.span = null;
    tracer.spanOf(exchange);
  });
  const endUs = medianUs(repetitions, 200_000, (i) => tracer.end(pool[i & mask]!, 1.25));

  // Batches of distinct spans (each a request of its own), as the exporter sends them.
  const distinctBatches = 16;
  const batches: FinishedSpan[][] = [];
  for (let b = 0; b < distinctBatches; b++) {
    queue = [];
    for (let i = 0; i < BATCH_SPANS; i++) tracer.end(fakeExchange(route), 0.8 + (i % 7) * 0.1);
    batches.push(queue);
  }
  queue = [];
  const sample = batches[0]![0]!;
  const attributes = Object.values(sample.attributes);
  const config = traceConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" });
  if (config === null) throw new Error("traceConfigFromEnv gave no configuration for an OTLP endpoint");
  const scope = { name: "turnpike-gateway" };
  const head = Buffer.from(traceRequestHead(config.resource, scope));
  const tail = Buffer.from(TRACE_REQUEST_TAIL);
  const exportedBody = (spans: readonly FinishedSpan[]) => {
    const queued = new SpanBatches(BATCH_SPANS);
    for (const span of spans) queued.append(encodeSpan(span));
    return Buffer.concat([head, queued.take()!.body, tail]);
  };
  const encodeBatchUs = medianUs(repetitions, 64, (i) => exportedBody(batches[i % distinctBatches]!));
  const json = encodeTraceRequest(config.resource, scope, batches[0]!);
  if (!exportedBody(batches[0]!).equals(Buffer.from(json))) throw new Error("the exporter's request body is not encodeTraceRequest's");
  const batchBytes = Buffer.byteLength(json);
  const spansInJson = json.split('"spanId"').length - 1;
  if (spansInJson !== BATCH_SPANS) throw new Error(`the encoded batch has ${spansInJson} spans, expected ${BATCH_SPANS}`);
  // The same batches as protobuf (OTLP's default encoding, and the gateway's).
  const exportedProto = (spans: readonly FinishedSpan[]) => {
    const queued = new SpanBatches(BATCH_SPANS, false);
    for (const span of spans) queued.appendBytes(encodeSpanEntry(span));
    const batch = queued.take()!;
    return Buffer.concat([traceRequestHeadProto(config.resource, scope, batch.body.length), batch.body]);
  };
  const protoBatchUs = medianUs(repetitions, 64, (i) => exportedProto(batches[i % distinctBatches]!));
  const proto = exportedProto(batches[0]!);
  if (!proto.equals(encodeTraceRequestProto(config.resource, scope, batches[0]!))) throw new Error("the exporter's protobuf request body is not encodeTraceRequestProto's");
  return {
    repetitions,
    spanName: sample.name,
    attributesSet: attributes.filter((value) => value !== null && value !== undefined).length,
    attributesNamed: attributes.length,
    spanOfUs,
    endUs,
    batchSpans: BATCH_SPANS,
    distinctBatches,
    encodeBatchUs,
    encodeUsPerSpan: encodeBatchUs / BATCH_SPANS,
    batchBytes,
    bytesPerSpan: batchBytes / BATCH_SPANS,
    gzipBytesPerSpan: gzipSync(json).length / BATCH_SPANS,
    protoBatchUs,
    protoUsPerSpan: protoBatchUs / BATCH_SPANS,
    protoBytesPerSpan: proto.length / BATCH_SPANS,
    protoGzipBytesPerSpan: gzipSync(proto).length / BATCH_SPANS,
  };
}

// ---------------------------------------------------------------------------------------------
// Through the gateway

interface Receiver {
  readonly process: ManagedProcess;
  /** OTLP/HTTP and /stats. */
  readonly url: string;
  /** OTLP/gRPC (plaintext HTTP/2). */
  readonly grpcUrl: string;
}

interface ReceiverStats {
  readonly requests: number;
  readonly spans: number;
  readonly bytes: number;
}

async function startReceiver(session: BenchSession, name: string): Promise<Receiver> {
  const port = await freePort();
  const grpcPort = await freePort();
  const script = join(__dirname, "otlp-receiver.js");
  const managed = session.processes.start(name, process.execPath, [script, String(port), String(grpcPort)]);
  await managed.waitForLine((line) => line.msg === "otlp receiver listening", 15_000, "otlp receiver listening line");
  return { process: managed, url: `http://127.0.0.1:${port}`, grpcUrl: `http://127.0.0.1:${grpcPort}` };
}

async function receiverStats(receiver: Receiver): Promise<ReceiverStats> {
  const answer = await getOnce(`${receiver.url}/stats`, {});
  if (answer.status !== 200) throw new Error(`${receiver.process.name}: GET /stats answered ${answer.status}\n${receiver.process.outputTail()}`);
  return JSON.parse(answer.body) as ReceiverStats;
}

/** The span counters of a gateway's /metrics. */
async function spanMetrics(operatorUrl: string): Promise<{ exported: number; dropped: Record<string, number> }> {
  const answer = await getOnce(`${operatorUrl}/metrics`, {});
  if (answer.status !== 200) throw new Error(`GET ${operatorUrl}/metrics answered ${answer.status}`);
  const exported = /^turnpike_trace_spans_exported_total(?:\{[^}]*\})? (\S+)$/m.exec(answer.body);
  if (!exported) throw new Error(`${operatorUrl}/metrics has no turnpike_trace_spans_exported_total`);
  const dropped: Record<string, number> = {};
  for (const match of answer.body.matchAll(/^turnpike_trace_spans_dropped_total\{reason="([^"]+)"\} (\S+)$/gm)) dropped[match[1]!] = Number(match[2]);
  return { exported: Number(exported[1]), dropped };
}

interface Running {
  readonly spec: ConfigSpec;
  readonly service: TurnpikeService;
  readonly receiver: Receiver | null;
  readonly env: Record<string, string>;
  readonly operatorUrl: string;
  /** When its last run ended (ms, Date.now()): its next one waits until the exporter's schedule delay passed. */
  lastEnd: number;
}

interface Sample {
  readonly config: TracingConfigName;
  readonly kind: "closed" | "open";
  readonly round: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly backlogMax: number;
  readonly loadCpuSeconds: number;
  /** Set when the window closes (the gateway's next run, or the end). */
  cpuSeconds: number;
}

export async function runTracingBench(options: TracingBenchOptions = {}): Promise<TracingBenchResult> {
  const durationSeconds = options.durationSeconds ?? 8;
  const rounds = options.rounds ?? 3;
  const rate = options.rate ?? 3000;
  const warmupSeconds = options.warmupSeconds ?? 2;
  const progress = options.progress ?? (() => undefined);
  if (process.platform !== "linux") throw new Error("the tracing benchmark reads /proc: Linux only");
  const missing = [WRK, NGINX].filter((file) => !existsSync(file));
  if (missing.length) throw new Error(`not installed: ${missing.join(", ")}`);
  const warnings: string[] = [];

  const session = new BenchSession("tracing-bench", progress);
  try {
    progress(`building the gateway bundle (${GATEWAY_BUNDLE})`);
    await buildGateway();
    const generator = buildOpenLoopLoad(session.dir);
    session.checkInterrupted();
    const upstream = await startUpstream(session.processes, session.dir);
    const compiled = await benchManifest({ resources: 2, policies: "full", upstreamUrl: upstream.baseUrl, rootDir: session.dir });
    const manifestDir = join(session.dir, "manifests", "full");
    mkdirSync(manifestDir, { recursive: true });
    const manifestFile = join(manifestDir, "manifest.json");
    writeFileSync(manifestFile, compiled.json);

    // In isolation first, while nothing else of the benchmark runs.
    const api = compiled.manifest.spec.apis[0]!;
    const operation = api.operations.find((candidate) => candidate.operationId === compiled.operationId)!;
    progress(`in isolation: Tracer.spanOf, Tracer.end, encodeSpan + queue of ${BATCH_SPANS} spans (${options.isolationRepetitions ?? 7} repetitions)`);
    const isolation = runTracingIsolation({ apiId: api.id, operationId: compiled.operationId, operation, url: compiled.path, upstreamTarget: upstream.baseUrl }, options.isolationRepetitions ?? 7);
    progress(
      `in isolation: spanOf ${isolation.spanOfUs.toFixed(2)} µs, end ${isolation.endUs.toFixed(2)} µs, encode ${isolation.encodeUsPerSpan.toFixed(2)} µs/span (${isolation.encodeBatchUs.toFixed(0)} µs/batch), ${isolation.bytesPerSpan.toFixed(0)} bytes/span`,
    );
    session.checkInterrupted();

    // Whatever OTEL_* the caller's environment has must not reach a gateway: "" reads as unset.
    const cleared: Record<string, string> = {};
    for (const name of Object.keys(process.env)) if (name.startsWith("OTEL_")) cleared[name] = "";
    const apiKey = benchApiKey();
    const headers = { [BENCH_KEY_HEADER]: apiKey };
    const url = (service: TurnpikeService) => `${service.baseUrl}${compiled.path}`;
    const running: Running[] = [];
    for (const spec of CONFIGS) {
      const receiver = spec.sampler === null ? null : await startReceiver(session, `otlp-receiver-${spec.name}`);
      const env: Record<string, string> = {};
      if (receiver !== null && spec.sampler !== null) {
        env.OTEL_EXPORTER_OTLP_ENDPOINT = spec.protocol === "grpc" ? receiver.grpcUrl : receiver.url;
        env.OTEL_TRACES_SAMPLER = spec.sampler;
        env.OTEL_EXPORTER_OTLP_PROTOCOL = spec.protocol;
        if (spec.sampler === "traceidratio") env.OTEL_TRACES_SAMPLER_ARG = String(spec.ratio);
        if (spec.upstreamSpans) env.TURNPIKE_TRACES_UPSTREAM_SPANS = "true";
      }
      const service = await startTurnpike(session.processes, { name: `turnpike-${spec.name}`, bundle: GATEWAY_BUNDLE, manifestFile, workers: 1, accessLog: true, env: { ...cleared, [BENCH_KEY_ENV]: apiKey, ...env } });
      const listening = await service.process.waitForLine((line) => line.msg === "gateway listening", 1_000, '"gateway listening" log line');
      const tracing = listening.tracing as { endpoint?: string; sampler?: string; ratio?: number; protocol?: string; upstreamSpans?: boolean } | null | undefined;
      const tracingOk =
        spec.sampler === null
          ? tracing === null
          : tracing?.sampler === spec.sampler && tracing.ratio === spec.ratio && tracing.protocol === spec.protocol && tracing.upstreamSpans === (spec.upstreamSpans ?? false) && tracing.endpoint?.startsWith(spec.protocol === "grpc" ? receiver!.grpcUrl : receiver!.url) === true;
      if (!tracingOk) throw new Error(`${spec.name}: the gateway started with tracing ${JSON.stringify(tracing)}, expected ${spec.sampler === null ? "null" : `${spec.sampler} ${spec.ratio} to ${receiver!.url}`}\n${service.process.outputTail()}`);
      const operatorPort = service.args[service.args.indexOf("--operator-port") + 1];
      running.push({ spec, service, receiver, env, operatorUrl: `http://127.0.0.1:${operatorPort}`, lastEnd: 0 });
      progress(`started ${spec.name}: GET ${url(service)} (pid ${service.process.pid}${receiver ? `, receiver pid ${receiver.process.pid}` : ""}), tracing ${JSON.stringify(tracing)}`);
    }

    const check = async (entry: Running, when: string) => {
      const answer = await getOnce(url(entry.service), headers);
      if (answer.status !== 200 || answer.body !== UPSTREAM_BODY) {
        throw new Error(`${entry.spec.name} (${when}): GET ${url(entry.service)} answered ${answer.status} ${answer.body.slice(0, 300)}, expected 200 with the upstream's body\n${entry.service.process.outputTail()}`);
      }
    };
    for (const entry of running) await check(entry, "before the load");

    const waitForSettled = async (entry: Running) => {
      const wait = entry.lastEnd + SETTLE_MS - Date.now();
      if (wait > 0) await sleep(wait);
    };
    const stillRunning = (entry: Running) => {
      session.checkInterrupted();
      if (!entry.service.process.running) throw new Error(`${entry.spec.name} exited\n${entry.service.process.outputTail()}`);
      if (entry.receiver && !entry.receiver.process.running) throw new Error(`${entry.receiver.process.name} exited\n${entry.receiver.process.outputTail()}`);
    };

    for (const entry of running) {
      stillRunning(entry);
      const warm = await runWrk({ url: url(entry.service), threads: THREADS, connections: CONNECTIONS, durationSeconds: warmupSeconds, headers }, session.signal);
      entry.lastEnd = Date.now();
      progress(`warm-up ${entry.spec.name}: ${Math.round(warm.requestsPerSecond)} requests/s`);
    }

    const gatewayPids = running.map((entry) => entry.service.process.pid);
    const receivers = running.flatMap((entry) => (entry.receiver ? [entry.receiver] : []));
    // The receivers' CPU and counts from here to the end: CPU per span received.
    const receiverStart = new Map<Receiver, { cpu: number; stats: ReceiverStats }>();
    const receiverCpu = treesCpuSeconds(receivers.map((receiver) => receiver.process.pid));
    for (const receiver of receivers) receiverStart.set(receiver, { cpu: receiverCpu.get(receiver.process.pid) ?? 0, stats: await receiverStats(receiver) });

    const samples: Sample[] = [];
    /** Each gateway's last run, whose CPU window closes at the start of its next run. */
    const open = new Map<TracingConfigName, { sample: Sample; startCpu: number }>();
    const closeWindow = (name: TracingConfigName, cpuNow: number) => {
      const pending = open.get(name);
      if (pending) pending.sample.cpuSeconds = cpuNow - pending.startCpu;
      open.delete(name);
    };
    let wrkCommand = "";
    const openLoopOptions = (target: string) => ({ url: target, rate, durationSeconds, warmupSeconds: OPEN_LOOP_WARMUP_SECONDS, connections: CONNECTIONS, headers, arrivals: "poisson" as const });
    for (let round = 1; round <= rounds; round++) {
      const order = [...running.slice((round - 1) % running.length), ...running.slice(0, (round - 1) % running.length)];
      for (const kind of ["closed", "open"] as const) {
        for (const entry of order) {
          stillRunning(entry);
          await waitForSettled(entry);
          truncateSync(entry.service.process.stdoutFile, 0);
          const pid = entry.service.process.pid;
          const before = treesCpuSeconds(gatewayPids);
          closeWindow(entry.spec.name, before.get(pid) ?? 0);
          let sample: Sample;
          if (kind === "closed") {
            const wrk: WrkResult = await runWrk({ url: url(entry.service), threads: THREADS, connections: CONNECTIONS, durationSeconds, headers }, session.signal);
            wrkCommand = wrk.command;
            const loadCpuSeconds = (treesCpuSeconds([pid]).get(pid) ?? 0) - (before.get(pid) ?? 0);
            sample = { config: entry.spec.name, kind, round, requests: wrk.requests, requestsPerSecond: wrk.requestsPerSecond, p50Ms: wrk.latencyMs.p50, p99Ms: wrk.latencyMs.p99, errors: wrk.errors, backlogMax: 0, loadCpuSeconds, cpuSeconds: Number.NaN };
          } else {
            const result: OpenLoopResult = await runOpenLoop(generator, { ...openLoopOptions(url(entry.service)), seed: round }, session.signal);
            const loadCpuSeconds = (treesCpuSeconds([pid]).get(pid) ?? 0) - (before.get(pid) ?? 0);
            // The CPU covers the warm-up too: per request due, warm-up included.
            sample = { config: entry.spec.name, kind, round, requests: result.scheduled, requestsPerSecond: result.requestsPerSecond, p50Ms: result.latencyMs.p50, p99Ms: result.latencyMs.p99, errors: result.errors + result.non2xx + result.timeouts, backlogMax: result.backlogMax, loadCpuSeconds, cpuSeconds: Number.NaN };
          }
          entry.lastEnd = Date.now();
          stillRunning(entry);
          samples.push(sample);
          open.set(entry.spec.name, { sample, startCpu: before.get(pid) ?? 0 });
          if (sample.errors) warnings.push(`round ${round}, ${kind} loop, ${entry.spec.name}: ${sample.errors} errors`);
          progress(
            `round ${round}/${rounds} ${kind === "closed" ? "wrk" : `open loop at ${rate}/s`} ${entry.spec.name}: ${Math.round(sample.requestsPerSecond)} requests/s, p50 ${sample.p50Ms.toFixed(2)} ms, p99 ${sample.p99Ms.toFixed(2)} ms, ${((sample.loadCpuSeconds * 1e6) / Math.max(1, sample.requests)).toFixed(1)} µs CPU/request during the load${sample.errors ? `, ${sample.errors} errors` : ""}${kind === "open" ? `, queued ≤ ${sample.backlogMax}` : ""}`,
          );
        }
      }
    }
    // The last runs' queued spans: exported within the schedule delay.
    for (const entry of running) await waitForSettled(entry);
    const final = treesCpuSeconds([...gatewayPids, ...receivers.map((receiver) => receiver.process.pid)]);
    for (const entry of running) closeWindow(entry.spec.name, final.get(entry.service.process.pid) ?? 0);

    for (const entry of running) await check(entry, "after the load");

    const configurations: TracingConfigResult[] = [];
    for (const entry of running) {
      const figures = (kind: "closed" | "open"): TracingLoadFigures => {
        const runs = samples.filter((sample) => sample.config === entry.spec.name && sample.kind === kind);
        return {
          requestsPerSecondByRound: runs.map((run) => run.requestsPerSecond),
          requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
          p50Ms: median(runs.map((run) => run.p50Ms)),
          p99Ms: median(runs.map((run) => run.p99Ms)),
          cpuUsPerRequest: median(runs.map((run) => (run.cpuSeconds * 1e6) / Math.max(1, run.requests))),
          loadCpuUsPerRequest: median(runs.map((run) => (run.loadCpuSeconds * 1e6) / Math.max(1, run.requests))),
          errors: runs.reduce((total, run) => total + run.errors, 0),
        };
      };
      const openRuns = samples.filter((sample) => sample.config === entry.spec.name && sample.kind === "open");
      let spans: TracingSpanCounts | null = null;
      if (entry.receiver) {
        const metrics = await spanMetrics(entry.operatorUrl);
        const stats = await receiverStats(entry.receiver);
        const start = receiverStart.get(entry.receiver)!;
        const receivedInRounds = stats.spans - start.stats.spans;
        const droppedTotal = Object.values(metrics.dropped).reduce((total, count) => total + count, 0);
        spans = {
          exported: metrics.exported,
          dropped: metrics.dropped,
          droppedTotal,
          received: stats.spans,
          exportRequests: stats.requests,
          receiverCpuUsPerSpan: (((final.get(entry.receiver.process.pid) ?? 0) - start.cpu) * 1e6) / Math.max(1, receivedInRounds),
        };
        if (entry.spec.ratio === 1 && stats.spans < 1) throw new Error(`${entry.spec.name}: its receiver got no span\n${entry.service.process.outputTail()}\n${entry.receiver.process.outputTail()}`);
        if (droppedTotal > 0) warnings.push(`${entry.spec.name}: ${droppedTotal} spans dropped (${Object.entries(metrics.dropped).filter(([, count]) => count > 0).map(([reason, count]) => `${reason} ${count}`).join(", ")})`);
        if (metrics.exported !== stats.spans) warnings.push(`${entry.spec.name}: the gateway counts ${metrics.exported} spans exported, its receiver ${stats.spans} received`);
        progress(`${entry.spec.name}: ${metrics.exported} spans exported, ${droppedTotal} dropped; receiver: ${stats.spans} spans in ${stats.requests} requests, ${spans.receiverCpuUsPerSpan.toFixed(2)} µs CPU/span`);
      }
      configurations.push({
        name: entry.spec.name,
        label: entry.spec.label,
        env: entry.env,
        ratio: entry.spec.ratio,
        closed: figures("closed"),
        open: { ...figures("open"), backlogMax: Math.max(0, ...openRuns.map((run) => run.backlogMax)) },
        spans,
        config: entry.service.config,
      });
    }
    const byName = (name: TracingConfigName) => configurations.find((configuration) => configuration.name === name)!;
    const off = byName("off");
    const openLoopCommand = commandLine("open-loop-load", openLoopArgs({ ...openLoopOptions("<gateway URL>"), headers: { [BENCH_KEY_HEADER]: "<key>" } }));
    return {
      durationSeconds,
      rounds,
      rate,
      connections: CONNECTIONS,
      wrkCommand,
      openLoopCommand,
      isolation,
      configurations,
      costPerTracedRequestUs: byName("always_on").open.cpuUsPerRequest - off.open.cpuUsPerRequest,
      costPerTracedRequestJsonUs: byName("always_on-json").open.cpuUsPerRequest - off.open.cpuUsPerRequest,
      ratioCostPerRequestUs: byName("ratio-0.1").open.cpuUsPerRequest - off.open.cpuUsPerRequest,
      grpcCostUs: byName("always_on-grpc").open.cpuUsPerRequest - byName("always_on").open.cpuUsPerRequest,
      upstreamSpanCostUs: byName("always_on-upstream").open.cpuUsPerRequest - byName("always_on").open.cpuUsPerRequest,
      warnings,
    };
  } catch (error) {
    throw session.failure(error);
  } finally {
    await session.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The report

export function formatTracingBench(result: TracingBenchResult, machine: string, command: string): string {
  const iso = result.isolation;
  const us = (value: number) => (Math.abs(value) < 10 ? value.toFixed(2) : value.toFixed(1));
  const ms = (value: number) => value.toFixed(2);
  const off = result.configurations.find((configuration) => configuration.name === "off")!;
  const ratioConfig = result.configurations.find((configuration) => configuration.name === "ratio-0.1")!;
  const percent = (delta: number, base: number) => `${delta >= 0 ? "+" : "−"}${Math.abs((delta / base) * 100).toFixed(1)} %`;
  const signed = (value: number) => `${value >= 0 ? "+" : "−"}${us(Math.abs(value))}`;
  const rows = result.configurations.map((entry) => {
    const spans = entry.spans === null ? "—" : `${entry.spans.exported} / ${entry.spans.droppedTotal}${entry.spans.droppedTotal > 0 ? ` (${Object.entries(entry.spans.dropped).filter(([, count]) => count > 0).map(([reason, count]) => `${reason} ${count}`).join(", ")})` : ""}`;
    return (
      `| ${entry.label} | ${Math.round(entry.closed.requestsPerSecond)} (${entry.closed.requestsPerSecondByRound.map(Math.round).join(", ")}) | ${(entry.closed.requestsPerSecond / off.closed.requestsPerSecond).toFixed(2)} ` +
      `| ${ms(entry.closed.p50Ms)} / ${ms(entry.closed.p99Ms)} ms | ${us(entry.closed.cpuUsPerRequest)} µs ` +
      `| ${us(entry.open.cpuUsPerRequest)} µs; ${ms(entry.open.p50Ms)} / ${ms(entry.open.p99Ms)} ms | ${spans} |`
    );
  });
  const receivers = result.configurations
    .filter((entry) => entry.spans !== null)
    .map((entry) => `${entry.name}: ${us(entry.spans!.receiverCpuUsPerSpan)} µs per span (${entry.spans!.received} spans in ${entry.spans!.exportRequests} requests)`)
    .join("; ");
  const gateway = off.config.replace(/\S*manifest\.json/, "<manifest>");
  const settings = result.configurations
    .filter((entry) => Object.keys(entry.env).length)
    .map((entry) => `${entry.name}: \`${Object.entries(entry.env).map(([name, value]) => `${name}=${name === "OTEL_EXPORTER_OTLP_ENDPOINT" ? "<receiver>" : value}`).join(" ")}\``)
    .join("; ");
  return (
    `tracing (${machine}): what OpenTelemetry tracing (OTLP/HTTP with protobuf or JSON, OTLP/gRPC) costs the gateway\n` +
    `command: \`${command}\`\n\n` +
    `in isolation (median of ${iso.repetitions} repetitions after a warm-up): a span "${iso.spanName}", 200, ${iso.attributesSet} of ${iso.attributesNamed} attributes set, no parent; batches of ${iso.batchSpans} distinct spans (${iso.distinctBatches} batches cycled)\n` +
    `| step | cost |\n|---|---|\n` +
    `| Tracer.spanOf: trace and span ids, the sampling decision (every request, traced or not) | ${us(iso.spanOfUs)} µs per request |\n` +
    `| Tracer.end: the span built from the finished exchange and queued | ${us(iso.endUs)} µs per span |\n` +
    `| encodeSpan and SpanBatches.append per span, a batch of ${iso.batchSpans} and its request body | ${us(iso.encodeUsPerSpan)} µs per span (${(iso.encodeBatchUs / 1000).toFixed(2)} ms per batch, spread over the requests) |\n` +
    `| export request body | ${iso.bytesPerSpan.toFixed(0)} bytes per span (${(iso.batchBytes / 1024).toFixed(0)} KiB per batch; ${iso.gzipBytesPerSpan.toFixed(0)} bytes per span gzipped) |\n` +
    `| protobuf: encodeSpanEntry and SpanBatches.appendBytes per span, a batch of ${iso.batchSpans} and its request body | ${us(iso.protoUsPerSpan)} µs per span (${(iso.protoBatchUs / 1000).toFixed(2)} ms per batch) |\n` +
    `| protobuf request body | ${iso.protoBytesPerSpan.toFixed(0)} bytes per span (${iso.protoGzipBytesPerSpan.toFixed(0)} gzipped) |\n\n` +
    `through the gateway: the full chain (apiKey + rateLimit + metrics + access log), 1 worker, ${result.configurations.length} gateways started at once and measured in turn (the order rotating every round); ${result.rounds} round${result.rounds === 1 ? "" : "s"} of ${result.durationSeconds} s, medians\n` +
    `closed loop: \`${result.wrkCommand.replace(/-H '[^']*' /, "-H 'X-API-Key: …' ")}\`; open loop: \`${result.openLoopCommand}\`\n` +
    `gateway: \`${gateway}\`; ${settings} (exporter defaults otherwise: schedule delay 5 s, batches of 512, queue 2048); each tracing gateway exports to an OTLP receiver of its own (cli/bench/otlp-receiver.js, OTLP/HTTP or OTLP/gRPC)\n` +
    `CPU: the gateway process's own (from /proc; not the receiver's nor the upstream's), from the start of each run to the start of its next one, so the spans a run leaves queued (exported up to 5 s later) count with it; open loop per request due, its 1 s warm-up included\n\n` +
    `| configuration | wrk requests/s (rounds) | vs off | p50 / p99 | CPU µs/request (closed loop) | open loop at ${result.rate}/s: CPU µs/request; p50 / p99 | spans exported / dropped |\n|---|---|---|---|---|---|---|\n` +
    `${rows.join("\n")}\n\n` +
    `receiver CPU per traced request: ${receivers}\n` +
    `cost per traced request (open loop at ${result.rate}/s, gateway CPU, always_on − off): protobuf ${signed(result.costPerTracedRequestUs)} µs (${percent(result.costPerTracedRequestUs, off.open.cpuUsPerRequest)} of ${us(off.open.cpuUsPerRequest)} µs), JSON ${signed(result.costPerTracedRequestJsonUs)} µs (${percent(result.costPerTracedRequestJsonUs, off.open.cpuUsPerRequest)})\n` +
    `OTLP/gRPC instead of OTLP/HTTP (always_on-grpc − always_on): ${signed(result.grpcCostUs)} µs per request\n` +
    `a span per upstream attempt too (always_on-upstream − always_on): ${signed(result.upstreamSpanCostUs)} µs per request (one attempt each)\n` +
    `10 % traced (traceidratio 0.1 − off): ${signed(result.ratioCostPerRequestUs)} µs per request (${percent(result.ratioCostPerRequestUs, off.open.cpuUsPerRequest)}), ${signed(result.ratioCostPerRequestUs / ratioConfig.ratio)} µs per traced request\n` +
    (result.warnings.length ? `\nwarnings:\n${result.warnings.map((warning) => `- ${warning}`).join("\n")}\n` : "")
  );
}
