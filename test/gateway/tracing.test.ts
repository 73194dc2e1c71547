/**
 * OpenTelemetry tracing through the real gateway (the bundle): a real upstream, and an HTTP
 * receiver standing where an OpenTelemetry Collector's OTLP/HTTP receiver would (no
 * collector binary can be installed here; the JSON it receives is checked against the
 * OpenTelemetry SDK's own encoder in tracing-otlp-json.test.ts).
 */
import type { ServerResponse } from "node:http";
import { Consumer, Credential, Plan, Product, Secret } from "../../constructs/index";
import { itemsApi, testPlatform } from "../helpers/declaration";
import { type RunningGateway, manifestOf, startGateway } from "../helpers/gateway";
import { type RecordedRequest, type TestUpstream, startUpstream } from "../helpers/upstream";

const KEY = "test-key-0123456789";
const CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c";
const CLIENT_SPAN = "b7ad6b7169203331";

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  flags?: number;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: OtlpValue }[];
  status: { code?: number; message?: string };
}
interface OtlpRequest {
  resourceSpans: { resource: { attributes: { key: string; value: OtlpValue }[] }; scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[] }[];
}

/** Attributes as a plain object: strings, numbers (int64 read from their decimal text) and booleans. */
function attributesOf(list: { key: string; value: OtlpValue }[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list) out[key] = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : (value.boolValue ?? value.doubleValue!));
  return out;
}

async function until<T>(read: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const protoRoot = require("@opentelemetry/otlp-transformer/build/src/generated/root") as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: { decode(bytes: Uint8Array): unknown; toObject(message: unknown, options: object): unknown } } } } } };
};
const ProtoRequest = protoRoot.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

/**
 * An export request as OTLP JSON, whichever encoding it came in: a protobuf one decoded with
 * the protocol's generated messages (from OpenTelemetry's own otlp-transformer), ids as hex.
 */
function exportRequestOf(request: RecordedRequest): OtlpRequest {
  if (request.headers["content-type"] === "application/json") return JSON.parse(request.body) as OtlpRequest;
  expect(request.headers["content-type"]).toBe("application/x-protobuf");
  const decoded = ProtoRequest.toObject(ProtoRequest.decode(request.bodyBytes), { longs: String, bytes: String, enums: Number, defaults: false }) as OtlpRequest;
  const hex = (base64: string | undefined) => (base64 === undefined ? undefined : Buffer.from(base64, "base64").toString("hex"));
  for (const resourceSpans of decoded.resourceSpans) {
    for (const scopeSpans of resourceSpans.scopeSpans) {
      for (const span of scopeSpans.spans) {
        span.traceId = hex(span.traceId)!;
        span.spanId = hex(span.spanId)!;
        if (span.parentSpanId !== undefined) span.parentSpanId = hex(span.parentSpanId);
        span.status ??= {};
        span.attributes ??= [];
      }
    }
  }
  return decoded;
}

/** An OTLP/HTTP receiver: records each export, answers as `answer` says (200 and an empty answer by default). */
async function startReceiver(answer: (request: RecordedRequest, res: ServerResponse) => void = (request, res) => res.writeHead(200, { "content-type": String(request.headers["content-type"]) }).end(request.headers["content-type"] === "application/json" ? "{}" : "")) {
  const receiver = await startUpstream(answer);
  const exports = () => receiver.requests.filter((request) => request.method === "POST");
  const spans = () => exports().flatMap((request) => exportRequestOf(request).resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans)));
  return { receiver, exports, spans, spanWithRequestId: (id: string) => spans().find((span) => attributesOf(span.attributes)["turnpike.request_id"] === id) };
}

async function metric(gateway: RunningGateway, line: RegExp): Promise<number> {
  const text = await (await fetch(`${gateway.operatorUrl}/metrics`)).text();
  const found = text.split("\n").find((candidate) => line.test(candidate));
  return found === undefined ? 0 : Number(found.split(" ").pop());
}

let upstream: TestUpstream;
let declaration: Awaited<ReturnType<typeof manifestOf>>;

beforeAll(async () => {
  upstream = await startUpstream();
  const platform = testPlatform();
  const api = itemsApi(platform, "items", { upstream: { targets: [{ url: upstream.url }], timeoutMs: 1_000 } });
  const product = new Product(platform, "shop", { apis: [api], plans: [new Plan(platform, "free")] });
  new Consumer(platform, "app", { subscriptions: [{ product, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("APP_KEY") })] });
  declaration = await manifestOf(platform);
});

afterAll(async () => {
  await upstream?.close();
});

describe("tracing with OTLP/HTTP", () => {
  let collector: Awaited<ReturnType<typeof startReceiver>>;
  let gateway: RunningGateway;

  beforeAll(async () => {
    collector = await startReceiver();
    gateway = await startGateway(declaration, {
      env: {
        APP_KEY: KEY,
        OTEL_EXPORTER_OTLP_ENDPOINT: `${collector.receiver.url}/otlp`,
        OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20t0ken",
        OTEL_SERVICE_NAME: "edge",
        OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=test,service.name=overridden",
        OTEL_BSP_SCHEDULE_DELAY: "50",
      },
    });
  });

  afterAll(async () => {
    await gateway?.stop();
    await collector?.receiver.close();
  });

  it("exports the gateway's span in the client's trace, and names it as the upstream's parent", async () => {
    const response = await fetch(`${gateway.url}/items/v1/items/a1?limit=2&api_key=never-recorded`, {
      headers: { "x-api-key": KEY, traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`, tracestate: "vendor=abc", "x-request-id": "trace-1", "user-agent": "tests/1.0" },
    });
    expect(response.status).toBe(200);
    const seen = (await response.json()) as { headers: Record<string, string> };
    const [, traceId, spanId, flags] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(seen.headers.traceparent!)!;
    expect([traceId, flags]).toEqual([CLIENT_TRACE, "01"]);
    expect(spanId).not.toBe(CLIENT_SPAN);
    expect(seen.headers.tracestate).toBe("vendor=abc");

    const span = await until(() => collector.spanWithRequestId("trace-1"));
    expect(span).toMatchObject({ traceId: CLIENT_TRACE, spanId, parentSpanId: CLIENT_SPAN, traceState: "vendor=abc", kind: 2, name: "GET /items/v1/items/{itemId}", status: {} });
    expect(attributesOf(span.attributes)).toEqual({
      "http.request.method": "GET",
      "http.route": "/items/v1/items/{itemId}",
      "http.response.status_code": 200,
      "url.path": "/items/v1/items/a1",
      "url.scheme": "http",
      "server.address": "127.0.0.1",
      "server.port": Number(new URL(gateway.url).port),
      "client.address": "127.0.0.1",
      "network.protocol.version": "1.1",
      "user_agent.original": "tests/1.0",
      "turnpike.api": "items-v1",
      "turnpike.operation": "getItem",
      "turnpike.consumer": "app",
      "turnpike.plan": "free",
      "turnpike.request_id": "trace-1",
      "turnpike.upstream.target": upstream.url,
    });
    // Never the credential or the query.
    expect(JSON.stringify(span)).not.toMatch(/never-recorded|test-key/);
    const start = BigInt(span.startTimeUnixNano);
    const end = BigInt(span.endTimeUnixNano);
    expect(end >= start).toBe(true);
    expect(Number((BigInt(Date.now()) * 1_000_000n - start) / 1_000_000n)).toBeLessThan(10_000);

    // Protobuf, the specification's default encoding.
    const post = collector.exports().find((request) => request.bodyBytes.includes("trace-1"))!;
    expect(post.url).toBe("/otlp/v1/traces");
    expect(post.headers["content-type"]).toBe("application/x-protobuf");
    expect(post.headers.authorization).toBe("Bearer t0ken");
    const resource = attributesOf(exportRequestOf(post).resourceSpans[0]!.resource.attributes);
    expect(resource).toMatchObject({ "service.name": "edge", "deployment.environment": "test", "telemetry.sdk.name": "turnpike", "process.pid": gateway.process.pid });
    expect(resource["service.instance.id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("follows a caller that did not sample: no span, and the upstream is told not to sample either", async () => {
    const response = await fetch(`${gateway.url}/items/v1/health`, { headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-00`, "x-request-id": "unsampled-1" } });
    const seen = (await response.json()) as { headers: Record<string, string> };
    expect(seen.headers.traceparent).toMatch(new RegExp(`^00-${CLIENT_TRACE}-[0-9a-f]{16}-00$`));
    // A later request's span arriving proves the exporter ran after this one.
    await fetch(`${gateway.url}/items/v1/health`, { headers: { "x-request-id": "after-unsampled" } });
    await until(() => collector.spanWithRequestId("after-unsampled"));
    expect(collector.spanWithRequestId("unsampled-1")).toBeUndefined();
  });

  it("starts a sampled trace for a request without one, as the root of its trace", async () => {
    const response = await fetch(`${gateway.url}/items/v1/health`, { headers: { "x-request-id": "root-1", tracestate: "dropped=1" } });
    const seen = (await response.json()) as { headers: Record<string, string> };
    const [, traceId, spanId] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(seen.headers.traceparent!)!;
    expect(seen.headers.tracestate).toBeUndefined();
    const span = await until(() => collector.spanWithRequestId("root-1"));
    expect(span).toMatchObject({ traceId, spanId, name: "GET /items/v1/health" });
    expect(span.parentSpanId).toBeUndefined();
    expect(attributesOf(span.attributes)["turnpike.consumer"]).toBeUndefined();
  });

  it("records the answers the gateway makes itself: a 401 as a client error, a 404 with no route", async () => {
    expect((await fetch(`${gateway.url}/items/v1/items`, { headers: { "x-request-id": "denied-1" } })).status).toBe(401);
    expect((await fetch(`${gateway.url}/nowhere`, { headers: { "x-request-id": "lost-1" } })).status).toBe(404);
    const denied = await until(() => collector.spanWithRequestId("denied-1"));
    expect(denied.status).toEqual({});
    expect(attributesOf(denied.attributes)).toMatchObject({ "http.response.status_code": 401, "turnpike.operation": "listItems" });
    expect(attributesOf(denied.attributes)["turnpike.upstream.target"]).toBeUndefined();
    const lost = await until(() => collector.spanWithRequestId("lost-1"));
    expect(lost.name).toBe("GET");
    expect(attributesOf(lost.attributes)).toMatchObject({ "http.response.status_code": 404, "url.path": "/nowhere" });
    expect(attributesOf(lost.attributes)["http.route"]).toBeUndefined();
  });

  it("says where spans go in its start line, without the export headers (they may hold a token)", () => {
    const listening = gateway.logs.find((line) => line.msg === "gateway listening")!;
    expect(listening.tracing).toEqual({ endpoint: `${collector.receiver.url}/otlp/v1/traces`, protocol: "http/protobuf", sampler: "parentbased_always_on", ratio: 1, upstreamSpans: false });
    expect(JSON.stringify(gateway.logs)).not.toContain("t0ken");
  });

  it("counts the exported spans in /metrics", async () => {
    await until(() => collector.spanWithRequestId("trace-1"));
    expect(await metric(gateway, /^turnpike_trace_spans_exported_total /)).toBeGreaterThanOrEqual(1);
    expect(await metric(gateway, /^turnpike_trace_spans_dropped_total\{reason="export-failed"\}/)).toBe(0);
  });
});

describe("tracing failures", () => {
  it("marks an upstream failure as an error span", async () => {
    const collector = await startReceiver();
    const closed = await startUpstream();
    await closed.close();
    const platform = testPlatform();
    itemsApi(platform, "items", { upstream: { targets: [{ url: closed.url }], timeoutMs: 1_000 } });
    const gateway = await startGateway(platform, { env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.receiver.url}/v1/traces`, OTEL_BSP_SCHEDULE_DELAY: "50" } });
    try {
      expect((await fetch(`${gateway.url}/items/v1/health`, { headers: { "x-request-id": "refused-1" } })).status).toBe(502);
      const span = await until(() => collector.spanWithRequestId("refused-1"));
      expect(span.status.code).toBe(2);
      expect(span.status.message).toMatch(/ECONNREFUSED|connect/i);
      expect(attributesOf(span.attributes)).toMatchObject({ "http.response.status_code": 502, "error.type": "502" });
    } finally {
      await gateway.stop();
      await collector.receiver.close();
    }
  });

  it("keeps serving while the receiver is down, counts the lost spans and says so once; exports again when it is back", async () => {
    let down = true;
    // A slow 503: requests go on meanwhile, so the queue fills up too.
    const collector = await startReceiver((_request, res) => (down ? setTimeout(() => res.writeHead(503).end(), 150) : res.writeHead(200).end("{}")));
    const gateway = await startGateway(declaration, {
      env: { APP_KEY: KEY, OTEL_EXPORTER_OTLP_ENDPOINT: collector.receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_BSP_SCHEDULE_DELAY: "20", OTEL_BSP_EXPORT_TIMEOUT: "300", OTEL_BSP_MAX_QUEUE_SIZE: "4", OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "4" },
    });
    try {
      for (let i = 0; i < 40; i++) expect((await fetch(`${gateway.url}/items/v1/health`)).status).toBe(200);
      await gateway.waitForLog((line) => line.msg === "spans could not be exported; requests are not affected");
      expect(await metric(gateway, /^turnpike_trace_spans_dropped_total\{reason="export-failed"\}/)).toBeGreaterThan(0);
      expect(await metric(gateway, /^turnpike_trace_spans_dropped_total\{reason="queue-full"\}/)).toBeGreaterThan(0);
      expect(gateway.logs.filter((line) => line.msg === "spans could not be exported; requests are not affected")).toHaveLength(1);
      // The receiver is back: spans of new requests arrive.
      await until(() => (collector.exports().length > 0 ? true : undefined));
      down = false;
      // The queue (4 spans) may still be full of the outage's spans, which go first: a new
      // request's span is dropped until there is room, so requests go on until one arrives.
      const deadline = Date.now() + 8_000;
      let arrived = false;
      for (let attempt = 0; !arrived && Date.now() < deadline; attempt++) {
        expect((await fetch(`${gateway.url}/items/v1/health`, { headers: { "x-request-id": `after-outage-${attempt}` } })).status).toBe(200);
        arrived = await until(() => collector.spanWithRequestId(`after-outage-${attempt}`), 500).then(
          () => true,
          () => false,
        );
      }
      expect(arrived).toBe(true);
      await gateway.waitForLog((line) => line.msg === "spans are being exported again");
    } finally {
      await gateway.stop();
      await collector.receiver.close();
    }
  });

  it("sends the spans still queued when it shuts down", async () => {
    const collector = await startReceiver();
    const gateway = await startGateway(declaration, { env: { APP_KEY: KEY, OTEL_EXPORTER_OTLP_ENDPOINT: collector.receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_BSP_SCHEDULE_DELAY: "600000" } });
    try {
      await fetch(`${gateway.url}/items/v1/health`, { headers: { "x-request-id": "last-words" } });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(collector.spanWithRequestId("last-words")).toBeUndefined();
      expect(await gateway.stop()).toBe(0);
      expect(collector.spanWithRequestId("last-words")).toBeDefined();
    } finally {
      await gateway.stop();
      await collector.receiver.close();
    }
  });

  it("samples new traces by trace id with traceidratio, whatever the caller's flag", async () => {
    const collector = await startReceiver();
    const gateway = await startGateway(declaration, {
      env: { APP_KEY: KEY, OTEL_EXPORTER_OTLP_ENDPOINT: collector.receiver.url, OTEL_BSP_SCHEDULE_DELAY: "20", OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.5" },
    });
    try {
      // The decision reads the trace id's last 13 hex digits: below 0.5 × 2^52 (8 followed by zeros) is sampled.
      const cases = [
        { trace: `${"1".repeat(19)}0000000000000`, flag: "00", sampled: true },
        { trace: `${"1".repeat(19)}7ffffffffffff`, flag: "00", sampled: true },
        { trace: `${"1".repeat(19)}8000000000000`, flag: "01", sampled: false },
        { trace: `${"1".repeat(19)}fffffffffffff`, flag: "01", sampled: false },
      ];
      for (const [index, { trace, flag, sampled }] of cases.entries()) {
        const response = await fetch(`${gateway.url}/items/v1/health`, { headers: { traceparent: `00-${trace}-${CLIENT_SPAN}-${flag}`, "x-request-id": `ratio-${index}` } });
        const seen = (await response.json()) as { headers: Record<string, string> };
        expect(seen.headers.traceparent!.endsWith(sampled ? "-01" : "-00")).toBe(true);
      }
      await fetch(`${gateway.url}/items/v1/health`, { headers: { traceparent: `00-${"2".repeat(32)}-${CLIENT_SPAN}-01`, "x-request-id": "ratio-last" } });
      await until(() => collector.spanWithRequestId("ratio-last"));
      expect(cases.map((_, index) => collector.spanWithRequestId(`ratio-${index}`) !== undefined)).toEqual(cases.map((c) => c.sampled));
    } finally {
      await gateway.stop();
      await collector.receiver.close();
    }
  });

  it("refuses to start on tracing settings it cannot honour, naming the variable", async () => {
    await expect(startGateway(declaration, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4317/v1/traces", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" } })).rejects.toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT: an OTLP\/gRPC endpoint is a host and port/);
    await expect(startGateway(declaration, { env: { OTEL_TRACES_EXPORTER: "otlp", OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "10%" } })).rejects.toThrow(/OTEL_TRACES_SAMPLER_ARG: a ratio from 0 to 1 is needed, not "10%"/);
  });
});

describe("upstream spans (TURNPIKE_TRACES_UPSTREAM_SPANS=true)", () => {
  const kinds = { server: 2, client: 3 };
  /** The spans of one trace: the request's SERVER span and its CLIENT spans, in start order. */
  async function traceOf(collector: Awaited<ReturnType<typeof startReceiver>>, requestId: string, clientSpans: number) {
    const server = await until(() => collector.spanWithRequestId(requestId));
    const attempts = await until(() => {
      const found = collector.spans().filter((span) => span.kind === kinds.client && span.parentSpanId === server.spanId);
      return found.length >= clientSpans ? found.sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1)) : undefined;
    });
    return { server, attempts };
  }

  it("records each attempt as a CLIENT span under the request's, and the upstream's parent is its attempt", async () => {
    const collector = await startReceiver();
    // The first try of each request is given back as a 503, the retry answered.
    const tries = new Map<string, number>();
    const flaky = await startUpstream((request, res) => {
      const id = String(request.headers["x-request-id"]);
      const count = (tries.get(id) ?? 0) + 1;
      tries.set(id, count);
      if (count === 1) res.writeHead(503).end();
      else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ traceparent: request.headers.traceparent }));
    });
    const platform = testPlatform();
    itemsApi(platform, "items", { upstream: { targets: [{ url: flaky.url }], timeoutMs: 2_000, retries: { maxRetries: 1, retryOn: ["503"], backoffBaseMs: 1 } } });
    // JSON: the protobuf decoder here predates Span.flags, which tells a remote parent from a local one.
    const gateway = await startGateway(platform, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_BSP_SCHEDULE_DELAY: "20", TURNPIKE_TRACES_UPSTREAM_SPANS: "true" } });
    try {
      const response = await fetch(`${gateway.url}/items/v1/health?probe=never-recorded`, { headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`, tracestate: "vendor=abc", "x-request-id": "retried-1" } });
      expect(response.status).toBe(200);
      const { traceparent } = (await response.json()) as { traceparent: string };

      const { server, attempts } = await traceOf(collector, "retried-1", 2);
      expect(server).toMatchObject({ traceId: CLIENT_TRACE, parentSpanId: CLIENT_SPAN, kind: kinds.server, flags: 0x301 });
      expect(attempts).toHaveLength(2);
      const [first, second] = attempts as [OtlpSpan, OtlpSpan];
      // The upstream's parent is the attempt that reached it, not the request's span.
      expect(traceparent).toBe(`00-${CLIENT_TRACE}-${second.spanId}-01`);
      expect(first.spanId).not.toBe(second.spanId);
      const port = Number(new URL(flaky.url).port);
      expect(first).toMatchObject({ traceId: CLIENT_TRACE, name: "GET", traceState: "vendor=abc", flags: 0x101, status: { code: 2, message: "answered 503" } });
      const target = { "http.request.method": "GET", "server.address": "127.0.0.1", "server.port": port, "url.full": `${flaky.url}/health`, "network.protocol.version": "1.1" };
      expect(attributesOf(first.attributes)).toEqual({ ...target, "http.response.status_code": 503, "error.type": "503" });
      expect(second.status).toEqual({});
      expect(attributesOf(second.attributes)).toEqual({ ...target, "http.response.status_code": 200, "http.request.resend_count": 1 });
      // Within the request's span, one after the other.
      expect(BigInt(first.startTimeUnixNano) >= BigInt(server.startTimeUnixNano)).toBe(true);
      expect(BigInt(first.endTimeUnixNano) <= BigInt(second.startTimeUnixNano)).toBe(true);
      expect(BigInt(second.endTimeUnixNano) <= BigInt(server.endTimeUnixNano)).toBe(true);
      expect(JSON.stringify(attempts)).not.toContain("never-recorded");

      const listening = gateway.logs.find((line) => line.msg === "gateway listening")!;
      expect(listening.tracing).toMatchObject({ upstreamSpans: true });
    } finally {
      await gateway.stop();
      await collector.receiver.close();
      await flaky.close();
    }
  });

  it("records an answer the upstream cut off mid-body as a reset, not as the client going away", async () => {
    const collector = await startReceiver();
    // The head and part of the body, then the connection is cut.
    const cutting = await startUpstream((_request, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      res.write('{"partial":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const platform = testPlatform();
    itemsApi(platform, "items", { upstream: { targets: [{ url: cutting.url }], timeoutMs: 2_000 } });
    const gateway = await startGateway(platform, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.receiver.url, OTEL_BSP_SCHEDULE_DELAY: "20", TURNPIKE_TRACES_UPSTREAM_SPANS: "true" } });
    try {
      const response = await fetch(`${gateway.url}/items/v1/health`, { headers: { "x-request-id": "cut-off" } });
      expect(response.status).toBe(200);
      await expect(response.text()).rejects.toThrow();
      const { attempts } = await traceOf(collector, "cut-off", 1);
      expect(attributesOf(attempts[0]!.attributes)).toMatchObject({ "error.type": "reset", "http.response.status_code": 200 });
      expect(attempts[0]!.status).toEqual({ code: 2, message: expect.stringMatching(/^connection to .* failed/) });
    } finally {
      await gateway.stop();
      await collector.receiver.close();
      await cutting.close();
    }
  });

  it("records attempts that never reached the upstream, and none for a caller that did not sample", async () => {
    const collector = await startReceiver();
    const closed = await startUpstream();
    await closed.close();
    const platform = testPlatform();
    itemsApi(platform, "items", { upstream: { targets: [{ url: closed.url }], timeoutMs: 2_000, retries: { maxRetries: 1, retryOn: ["connect-failure"], backoffBaseMs: 1 } } });
    const gateway = await startGateway(platform, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.receiver.url, OTEL_BSP_SCHEDULE_DELAY: "20", TURNPIKE_TRACES_UPSTREAM_SPANS: "true" } });
    try {
      expect((await fetch(`${gateway.url}/items/v1/health`, { headers: { "x-request-id": "refused-twice" } })).status).toBe(502);
      const { server, attempts } = await traceOf(collector, "refused-twice", 2);
      expect(server.parentSpanId).toBeUndefined();
      expect(attempts.map((span) => [attributesOf(span.attributes)["error.type"], attributesOf(span.attributes)["http.response.status_code"], attributesOf(span.attributes)["http.request.resend_count"]])).toEqual([
        ["connect-failure", undefined, undefined],
        ["connect-failure", undefined, 1],
      ]);
      for (const attempt of attempts) expect(attempt.status).toEqual({ code: 2, message: expect.stringMatching(/^cannot connect to .*ECONNREFUSED/) });

      // Unsampled: neither the request's span nor its attempts' are exported.
      await fetch(`${gateway.url}/items/v1/health`, { headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-00`, "x-request-id": "unsampled-attempts" } });
      await fetch(`${gateway.url}/items/v1/health`, { headers: { "x-request-id": "after-unsampled-attempts" } });
      await traceOf(collector, "after-unsampled-attempts", 2);
      expect(collector.spans().filter((span) => span.traceId === CLIENT_TRACE)).toEqual([]);
    } finally {
      await gateway.stop();
      await collector.receiver.close();
    }
  });
});
