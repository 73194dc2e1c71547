/**
 * OTLP over gRPC, against a real gRPC server (@grpc/grpc-js, the implementation the
 * OpenTelemetry JavaScript SDK's gRPC exporter and Pulumi use) serving the collector's
 * TraceService with the protocol's own generated messages: what arrives, metadata, gzip,
 * the retryable and final status codes, RetryInfo, partial success, a receiver that is down
 * and comes back, TLS, and the whole gateway (the bundle) exporting its spans there.
 */
import * as grpc from "@grpc/grpc-js";
import { type AddressInfo, connect, createServer } from "node:net";
import pino from "pino";
import { OtlpSpanExporter } from "../../gateway-image/src/observability/tracing/span-exporter";
import { type TraceConfig, traceConfigFromEnv } from "../../gateway-image/src/observability/tracing/trace-config";
import { retryInfoDelayMs } from "../../gateway-image/src/observability/tracing/otlp-grpc";
import { type FinishedSpan, SPAN_KIND_SERVER } from "../../gateway-image/src/observability/tracing/otlp-json";
import { TestPki } from "../helpers/certificates";
import { numberedSpan, testTraceConfig } from "../helpers/trace-config";
import { itemsApi, testPlatform } from "../helpers/declaration";
import { startGateway } from "../helpers/gateway";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const protoRoot = require("@opentelemetry/otlp-transformer/build/src/generated/root") as {
  opentelemetry: { proto: { collector: { trace: { v1: Record<"ExportTraceServiceRequest" | "ExportTraceServiceResponse", ProtoMessage> } } } };
};
interface ProtoMessage {
  encode(message: unknown): { finish(): Uint8Array };
  decode(bytes: Uint8Array): unknown;
  fromObject(object: unknown): unknown;
  toObject(message: unknown, options: object): unknown;
}
const { ExportTraceServiceRequest, ExportTraceServiceResponse } = protoRoot.opentelemetry.proto.collector.trace.v1;

interface DecodedSpan {
  traceId: string;
  spanId: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: { stringValue?: string; intValue?: string } }[];
}
interface Received {
  spans: DecodedSpan[];
  metadata: Record<string, unknown>;
  /** The CN of the client certificate the receiver verified, when it asked for one. */
  clientCommonName: string | undefined;
}
type Answer = (call: Received, callback: grpc.sendUnaryData<unknown>) => void;

const TRACE_SERVICE: grpc.ServiceDefinition = {
  Export: {
    path: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: unknown) => Buffer.from(ExportTraceServiceRequest.encode(value).finish()),
    requestDeserialize: (bytes: Buffer) => ExportTraceServiceRequest.decode(bytes),
    responseSerialize: (value: unknown) => Buffer.from(ExportTraceServiceResponse.encode(ExportTraceServiceResponse.fromObject(value)).finish()),
    responseDeserialize: (bytes: Buffer) => ExportTraceServiceResponse.decode(bytes),
  },
};

const ok: Answer = (_call, callback) => callback(null, {});

/** A collector's OTLP/gRPC receiver: records each Export call's spans and metadata; `answer` decides what it replies. */
async function startCollector(options: { answer?: Answer; credentials?: grpc.ServerCredentials; port?: number } = {}) {
  const calls: Received[] = [];
  let answer = options.answer ?? ok;
  const server = new grpc.Server();
  server.addService(TRACE_SERVICE, {
    Export: (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const request = ExportTraceServiceRequest.toObject(call.request, { longs: String, bytes: String, enums: Number, defaults: false }) as { resourceSpans?: { scopeSpans?: { spans?: DecodedSpan[] }[] }[] };
      const spans = (request.resourceSpans ?? []).flatMap((resource) => (resource.scopeSpans ?? []).flatMap((scope) => scope.spans ?? []));
      for (const span of spans) {
        span.traceId = Buffer.from(span.traceId, "base64").toString("hex");
        span.spanId = Buffer.from(span.spanId, "base64").toString("hex");
      }
      const received = { spans, metadata: call.metadata.getMap(), clientCommonName: [call.getAuthContext()?.sslPeerCertificate?.subject?.CN].flat()[0] };
      calls.push(received);
      answer(received, callback);
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync(`127.0.0.1:${options.port ?? 0}`, options.credentials ?? grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  return {
    port,
    calls,
    spans: () => calls.flatMap((call) => call.spans),
    answerWith: (next: Answer) => (answer = next),
    // Not tryShutdown: it waits for clients to hang up, and the exporter keeps its connection.
    close: async () => server.forceShutdown(),
    kill: () => server.forceShutdown(),
  };
}

function config(endpoint: string, overrides: Partial<TraceConfig> = {}): TraceConfig {
  return testTraceConfig(endpoint, { protocol: "grpc", exportTimeoutMs: 10_000, ...overrides });
}

const span = numberedSpan;

const exporters: OtlpSpanExporter[] = [];
function exporter(settings: TraceConfig) {
  const lines: { msg: string; [field: string]: unknown }[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) });
  const created = new OtlpSpanExporter(settings, { name: "turnpike-gateway" }, logger);
  exporters.push(created);
  return { exporter: created, lines };
}

afterEach(async () => {
  await Promise.all(exporters.splice(0).map((created) => created.shutdown(500)));
});

/** A google.rpc.Status with a RetryInfo detail asking to come back after `seconds` and `nanos`, as grpc-status-details-bin carries it. */
function statusWithRetryInfo(seconds: number, nanos: number): Buffer {
  const varint = (value: number) => {
    const bytes: number[] = [];
    while (value > 0x7f) {
      bytes.push((value & 0x7f) | 0x80);
      value >>>= 7;
    }
    bytes.push(value);
    return Buffer.from(bytes);
  };
  const field = (number: number, bytes: Buffer) => Buffer.concat([varint((number << 3) | 2), varint(bytes.length), bytes]);
  const duration = Buffer.concat([varint(1 << 3), varint(seconds), varint((2 << 3) | 0), varint(nanos)]);
  const retryInfo = field(1, duration);
  const any = Buffer.concat([field(1, Buffer.from("type.googleapis.com/google.rpc.RetryInfo")), field(2, retryInfo)]);
  return Buffer.concat([varint(1 << 3), varint(8), field(2, Buffer.from("slow down")), field(3, any)]);
}

describe("OTLP/gRPC export", () => {
  it("sends the spans in one Export call, with the configured metadata, as the protocol's messages", async () => {
    const collector = await startCollector();
    try {
      const { exporter: created } = exporter(config(`http://127.0.0.1:${collector.port}`, { headers: { Authorization: "Bearer t0ken", "x-tenant": "acme", "content-type": "text/plain" } }));
      for (let index = 0; index < 3; index++) created.add(span(index));
      await created.flush();
      expect(collector.calls).toHaveLength(1);
      expect(collector.spans().map((received) => [received.traceId, received.spanId, received.name, received.kind])).toEqual([0, 1, 2].map((index) => [span(index).traceId, span(index).spanId, span(index).name, SPAN_KIND_SERVER]));
      // (grpc-js keeps the call's own headers, content-type among them, out of the metadata.)
      expect(collector.calls[0]!.metadata).toMatchObject({ authorization: "Bearer t0ken", "x-tenant": "acme" });
      expect(String(collector.calls[0]!.metadata["user-agent"])).toMatch(/^turnpike-gateway/);
      expect(created.counts).toEqual({ exported: 3, droppedQueueFull: 0, droppedExportFailed: 0, droppedRejected: 0 });
    } finally {
      await collector.close();
    }
  });

  it("gzips the messages with OTEL_EXPORTER_OTLP_COMPRESSION=gzip (grpc-encoding: gzip), which the receiver reads", async () => {
    const collector = await startCollector();
    // Bytes from exporter to receiver, counted on the way.
    let sent = 0;
    const counter = createServer((client) => {
      const server = connect(collector.port, "127.0.0.1");
      client.on("data", (chunk: Buffer) => (sent += chunk.length));
      client.pipe(server).pipe(client);
      client.on("error", () => server.destroy());
      server.on("error", () => client.destroy());
    });
    await new Promise<void>((resolve) => counter.listen(0, "127.0.0.1", resolve));
    const wordy = (index: number): FinishedSpan => ({ ...span(index), attributes: { ...span(index).attributes, "url.path": `/items/${"abc".repeat(1_000)}` } });
    try {
      const sizes: Record<string, number> = {};
      for (const compression of ["none", "gzip"] as const) {
        sent = 0;
        const { exporter: created } = exporter(config(`http://127.0.0.1:${(counter.address() as AddressInfo).port}`, { compression }));
        for (let index = 0; index < 5; index++) created.add(wordy(index));
        await created.flush();
        await created.shutdown(500);
        sizes[compression] = sent;
      }
      expect(collector.spans()).toHaveLength(10);
      expect(collector.spans().every((received) => attribute(received, "url.path") === wordy(0).attributes["url.path"])).toBe(true);
      expect(sizes.none).toBeGreaterThan(15_000);
      expect(sizes.gzip).toBeLessThan(2_500);
    } finally {
      counter.close();
      await collector.close();
    }
  });

  it("retries UNAVAILABLE and succeeds; counts what the receiver rejected (partial success)", async () => {
    let call = 0;
    const collector = await startCollector({
      answer: (_received, callback) => (++call === 1 ? callback({ code: grpc.status.UNAVAILABLE, details: "warming up" }) : callback(null, { partialSuccess: { rejectedSpans: 2, errorMessage: "too old" } })),
    });
    try {
      const { exporter: created, lines } = exporter(config(`http://127.0.0.1:${collector.port}`));
      for (let index = 0; index < 5; index++) created.add(span(index));
      await created.flush();
      expect(collector.calls).toHaveLength(2);
      expect(created.counts).toEqual({ exported: 3, droppedQueueFull: 0, droppedExportFailed: 0, droppedRejected: 2 });
      expect(lines.find((line) => line.msg === "the trace receiver rejected some spans")).toMatchObject({ rejected: 2, reason: "too old" });
    } finally {
      await collector.close();
    }
  });

  it.each([
    ["INVALID_ARGUMENT", grpc.status.INVALID_ARGUMENT],
    ["UNAUTHENTICATED", grpc.status.UNAUTHENTICATED],
    ["RESOURCE_EXHAUSTED without RetryInfo", grpc.status.RESOURCE_EXHAUSTED],
  ])("does not retry %s: the batch is dropped and counted, the reason logged", async (name, code) => {
    const collector = await startCollector({ answer: (_received, callback) => callback({ code, details: "no, 100% not" }) });
    try {
      const { exporter: created, lines } = exporter(config(`http://127.0.0.1:${collector.port}`));
      created.add(span(1));
      await created.flush();
      expect(collector.calls).toHaveLength(1);
      expect(created.counts.droppedExportFailed).toBe(1);
      const codeName = name.split(" ")[0];
      expect(lines.find((line) => line.msg === "spans could not be exported; requests are not affected")).toMatchObject({ reason: `the receiver answered gRPC ${codeName}: no, 100% not` });
    } finally {
      await collector.close();
    }
  });

  it("retries RESOURCE_EXHAUSTED after the delay its RetryInfo asks for", async () => {
    const answeredAt: number[] = [];
    const collector = await startCollector({
      answer: (_received, callback) => {
        answeredAt.push(Date.now());
        if (answeredAt.length > 1) return callback(null, {});
        const metadata = new grpc.Metadata();
        metadata.set("grpc-status-details-bin", statusWithRetryInfo(0, 300_000_000));
        callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: "slow down", metadata });
      },
    });
    try {
      const { exporter: created } = exporter(config(`http://127.0.0.1:${collector.port}`));
      created.add(span(1));
      await created.flush();
      expect(created.counts.exported).toBe(1);
      expect(answeredAt).toHaveLength(2);
      // 300 ms asked; the exporter's own backoff would be ~1 s.
      expect(answeredAt[1]! - answeredAt[0]!).toBeGreaterThanOrEqual(280);
      expect(answeredAt[1]! - answeredAt[0]!).toBeLessThan(800);
    } finally {
      await collector.close();
    }
  });

  it("reads RetryInfo's delay, capped at 30 s, and nothing from a status without one", () => {
    expect(retryInfoDelayMs(statusWithRetryInfo(2, 500_000_000).toString("base64"))).toBe(2_500);
    expect(retryInfoDelayMs(statusWithRetryInfo(600, 0).toString("base64"))).toBe(30_000);
    expect(retryInfoDelayMs(Buffer.from([0x08, 0x08]).toString("base64"))).toBeNull();
    expect(retryInfoDelayMs(undefined)).toBeNull();
    expect(retryInfoDelayMs("!!not base64 protobuf")).toBeNull();
  });

  it("retries while the receiver is down, and connects again when it is back", async () => {
    const collector = await startCollector();
    const port = collector.port;
    collector.kill();
    const { exporter: created } = exporter(config(`http://127.0.0.1:${port}`, { exportTimeoutMs: 1_500 }));
    created.add(span(1));
    await created.flush();
    expect(created.counts.droppedExportFailed).toBe(1);
    const back = await startCollector({ port });
    try {
      created.add(span(2));
      await created.flush();
      expect(back.spans().map((received) => received.name)).toEqual(["GET /items/2"]);
      expect(created.counts.exported).toBe(1);
    } finally {
      await back.close();
    }
  });

  it("speaks TLS to an https:// endpoint", async () => {
    const pki = new TestPki();
    const ca = pki.root("collector-ca");
    const certificate = ca.issue({ subject: "/CN=localhost", extendedKeyUsage: "serverAuth", altNames: "DNS:localhost,IP:127.0.0.1" });
    const collector = await startCollector({ credentials: grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(certificate.key), cert_chain: Buffer.from(certificate.cert) }], false) });
    const gateway = await startGateway(withUpstream(), {
      env: { OTEL_EXPORTER_OTLP_PROTOCOL: "grpc", OTEL_EXPORTER_OTLP_ENDPOINT: `https://localhost:${collector.port}`, OTEL_BSP_SCHEDULE_DELAY: "20", NODE_EXTRA_CA_CERTS: ca.certFile },
    });
    try {
      expect((await fetch(`${gateway.url}/items/v1/health`, { headers: { "x-request-id": "over-tls" } })).status).toBe(200);
      await until(() => collector.spans().some((received) => attribute(received, "turnpike.request_id") === "over-tls"));
    } finally {
      await gateway.stop();
      await collector.close();
      pki.remove();
    }
  });
});

describe("OTLP/gRPC over mutual TLS", () => {
  it("presents its client certificate to a receiver that requires one, trusting the receiver's private CA", async () => {
    const pki = new TestPki();
    const collectorCa = pki.root("collector-ca");
    const clientsCa = pki.root("gateway-clients-ca");
    const serverCertificate = collectorCa.issue({ subject: "/CN=localhost", extendedKeyUsage: "serverAuth", altNames: "DNS:localhost,IP:127.0.0.1" });
    const client = clientsCa.issue({ subject: "/O=Acme/CN=turnpike-gateway" });
    const collector = await startCollector({
      credentials: grpc.ServerCredentials.createSsl(Buffer.from(clientsCa.cert), [{ private_key: Buffer.from(serverCertificate.key), cert_chain: Buffer.from(serverCertificate.cert) }], true),
    });
    const fromEnv = (env: NodeJS.ProcessEnv) =>
      traceConfigFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc", OTEL_EXPORTER_OTLP_ENDPOINT: `localhost:${collector.port}`, OTEL_EXPORTER_OTLP_CERTIFICATE: collectorCa.certFile, OTEL_BSP_EXPORT_TIMEOUT: "1500", ...env }, { id: "i", host: "h", pid: 1 })!;
    try {
      const { exporter: presenting } = exporter(fromEnv({ OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: client.certFile, OTEL_EXPORTER_OTLP_CLIENT_KEY: client.keyFile }));
      presenting.add(span(0));
      await presenting.flush();
      expect(presenting.counts).toMatchObject({ exported: 1, droppedExportFailed: 0 });
      expect(collector.calls.map((call) => call.clientCommonName)).toEqual(["turnpike-gateway"]);

      // The same receiver refuses a connection without one.
      const { exporter: anonymous } = exporter(fromEnv({}));
      anonymous.add(span(1));
      await anonymous.flush();
      expect(anonymous.counts).toMatchObject({ exported: 0, droppedExportFailed: 1 });
      expect(collector.spans().map((received) => received.name)).toEqual([span(0).name]);
    } finally {
      await collector.close();
      pki.remove();
    }
  });
});

describe("the gateway exporting over OTLP/gRPC", () => {
  it("sends each request's span (and its upstream attempt's) to host:port with OTEL_EXPORTER_OTLP_INSECURE=true", async () => {
    const collector = await startCollector();
    const gateway = await startGateway(withUpstream(), {
      env: { OTEL_EXPORTER_OTLP_PROTOCOL: "grpc", OTEL_EXPORTER_OTLP_ENDPOINT: `127.0.0.1:${collector.port}`, OTEL_EXPORTER_OTLP_INSECURE: "true", OTEL_BSP_SCHEDULE_DELAY: "20", TURNPIKE_TRACES_UPSTREAM_SPANS: "true" },
    });
    try {
      expect((await fetch(`${gateway.url}/items/v1/health`, { headers: { "x-request-id": "over-grpc" } })).status).toBe(200);
      await until(() => collector.spans().length >= 2);
      const server = collector.spans().find((received) => attribute(received, "turnpike.request_id") === "over-grpc")!;
      expect(server).toMatchObject({ name: "GET /items/v1/health", kind: 2 });
      expect(collector.spans().find((received) => received.kind === 3)).toMatchObject({ traceId: server.traceId, name: "GET" });
      const listening = gateway.logs.find((line) => line.msg === "gateway listening")!;
      expect(listening.tracing).toEqual({ endpoint: `http://127.0.0.1:${collector.port}/`, protocol: "grpc", sampler: "parentbased_always_on", ratio: 1, upstreamSpans: true });
    } finally {
      await gateway.stop();
      await collector.close();
    }
  });

  it("sends the spans still queued when it shuts down", async () => {
    const collector = await startCollector();
    const gateway = await startGateway(withUpstream(), {
      env: { OTEL_EXPORTER_OTLP_PROTOCOL: "grpc", OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}`, OTEL_BSP_SCHEDULE_DELAY: "600000" },
    });
    try {
      await fetch(`${gateway.url}/items/v1/health`, { headers: { "x-request-id": "last-words-grpc" } });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(collector.spans()).toEqual([]);
      expect(await gateway.stop()).toBe(0);
      expect(collector.spans().map((received) => attribute(received, "turnpike.request_id"))).toEqual(["last-words-grpc"]);
    } finally {
      await gateway.stop();
      await collector.close();
    }
  });
});

describe("OTLP/gRPC settings", () => {
  const read = (env: NodeJS.ProcessEnv) => traceConfigFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc", ...env }, { id: "i", host: "h", pid: 1 })!;

  it("uses the endpoint as it is, defaulting to localhost:4317", () => {
    expect(read({ OTEL_TRACES_EXPORTER: "otlp" }).endpoint.href).toBe("http://localhost:4317/");
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4317" }).endpoint.href).toBe("http://collector:4317/");
    expect(read({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://otlp.vendor.example:443", OTEL_EXPORTER_OTLP_ENDPOINT: "http://ignored:4317" }).endpoint.href).toBe("https://otlp.vendor.example/");
  });

  it("takes an endpoint without a scheme as TLS, unless OTEL_EXPORTER_OTLP_INSECURE=true", () => {
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317" }).endpoint.href).toBe("https://collector:4317/");
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317", OTEL_EXPORTER_OTLP_INSECURE: "true" }).endpoint.href).toBe("http://collector:4317/");
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317", OTEL_EXPORTER_OTLP_INSECURE: "true", OTEL_EXPORTER_OTLP_TRACES_INSECURE: "false" }).endpoint.href).toBe("https://collector:4317/");
  });

  it("refuses a path (a gRPC receiver would ignore it) and an insecure setting that is not true or false", () => {
    expect(() => read({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4317/v1/traces" })).toThrow('OTEL_EXPORTER_OTLP_ENDPOINT: an OTLP/gRPC endpoint is a host and port (e.g. http://otel-collector:4317), without a path; "/v1/traces" would be ignored');
    expect(() => read({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317", OTEL_EXPORTER_OTLP_INSECURE: "yes" })).toThrow('OTEL_EXPORTER_OTLP_INSECURE: "true" or "false", not "yes"');
  });
});

let upstream: TestUpstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

function withUpstream() {
  const platform = testPlatform();
  itemsApi(platform, "items", { upstream: { targets: [{ url: upstream.url }], timeoutMs: 1_000 } });
  return platform;
}

function attribute(received: DecodedSpan, key: string): string | undefined {
  return received.attributes?.find((entry) => entry.key === key)?.value.stringValue;
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
