/**
 * Tracing settings read from OpenTelemetry's standard environment variables: when tracing is
 * on, where spans go, the defaults, the resource, and each setting refused at start with a
 * message naming the variable and what it accepts.
 */
import { TraceConfigError, traceConfigFromEnv } from "../../gateway-image/src/observability/tracing/trace-config";

const INSTANCE = { id: "i-1", host: "h", pid: 7 };

function config(env: NodeJS.ProcessEnv) {
  return traceConfigFromEnv(env, INSTANCE);
}

/** The settings of an environment that turns tracing on; fails the test when it is off. */
function on(env: NodeJS.ProcessEnv) {
  const read = config(env);
  if (read === null) throw new Error(`tracing is off for ${JSON.stringify(env)}`);
  return read;
}

/** The TraceConfigError an environment is refused with. */
function refusal(env: NodeJS.ProcessEnv): TraceConfigError {
  try {
    config(env);
  } catch (error) {
    expect(error).toBeInstanceOf(TraceConfigError);
    return error as TraceConfigError;
  }
  throw new Error(`not refused: ${JSON.stringify(env)}`);
}

const OTLP = { OTEL_TRACES_EXPORTER: "otlp" };

describe("whether tracing is on", () => {
  it("is off when no OpenTelemetry variable is set", () => {
    expect(config({})).toBeNull();
  });

  it("is off when only settings other than an exporter or endpoint are set", () => {
    expect(config({ OTEL_TRACES_SAMPLER: "always_on", OTEL_SERVICE_NAME: "x", OTEL_EXPORTER_OTLP_HEADERS: "a=1" })).toBeNull();
  });

  it("is off with OTEL_SDK_DISABLED=true, even with an endpoint", () => {
    expect(config({ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toBeNull();
    expect(config({ OTEL_SDK_DISABLED: "TRUE", ...OTLP })).toBeNull();
  });

  it("is on with OTEL_SDK_DISABLED=false and an endpoint", () => {
    expect(on({ OTEL_SDK_DISABLED: "false", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }).endpoint.href).toBe("http://c:4318/v1/traces");
  });

  it("is off with OTEL_TRACES_EXPORTER=none, even with an endpoint", () => {
    expect(config({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toBeNull();
  });

  it("treats an empty or blank variable as unset", () => {
    expect(config({ OTEL_EXPORTER_OTLP_ENDPOINT: "", OTEL_TRACES_EXPORTER: "  " })).toBeNull();
  });
});

describe("where spans are sent", () => {
  it("is http://localhost:4318/v1/traces with OTEL_TRACES_EXPORTER=otlp alone", () => {
    expect(on(OTLP).endpoint.href).toBe("http://localhost:4318/v1/traces");
  });

  it("is the base endpoint with /v1/traces appended", () => {
    expect(on({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }).endpoint.href).toBe("http://c:4318/v1/traces");
    expect(on({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318/" }).endpoint.href).toBe("http://c:4318/v1/traces");
  });

  it("keeps the base endpoint's path, without doubling its trailing slash", () => {
    expect(on({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318/base/" }).endpoint.href).toBe("http://c:4318/base/v1/traces");
    expect(on({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://c/base" }).endpoint.href).toBe("https://c/base/v1/traces");
  });

  it("is the traces-specific endpoint as given, which wins over the base endpoint", () => {
    expect(on({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://t:9999/custom" }).endpoint.href).toBe("http://t:9999/custom");
    expect(on({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://t:9999/custom", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }).endpoint.href).toBe("http://t:9999/custom");
  });
});

describe("export request headers", () => {
  it("are the key=value pairs of OTEL_EXPORTER_OTLP_HEADERS, values percent-decoded", () => {
    expect(on({ ...OTLP, OTEL_EXPORTER_OTLP_HEADERS: "a=1,b=x%20y" }).headers).toEqual({ a: "1", b: "x y" });
  });

  it("take the traces-specific ones over the general ones of the same name", () => {
    expect(on({ ...OTLP, OTEL_EXPORTER_OTLP_HEADERS: "a=1,b=2", OTEL_EXPORTER_OTLP_TRACES_HEADERS: "b=3,c=4" }).headers).toEqual({ a: "1", b: "3", c: "4" });
  });

  it("keep everything after the first = in a value, and skip empty items", () => {
    expect(on({ ...OTLP, OTEL_EXPORTER_OTLP_HEADERS: " authorization = Basic%20dTpw== ,, " }).headers).toEqual({ authorization: "Basic dTpw==" });
  });

  it("are none by default", () => {
    expect(on(OTLP).headers).toEqual({});
  });
});

describe("defaults", () => {
  it("are the OpenTelemetry SDK's: http/protobuf, timeout 10 s, no compression, parentbased_always_on, batch every 5 s of at most 512 from a queue of 2048, export timeout 30 s", () => {
    const read = on(OTLP);
    expect({
      protocol: read.protocol,
      timeoutMs: read.timeoutMs,
      compression: read.compression,
      sampler: [read.sampler.name, read.sampler.ratio],
      scheduleDelayMs: read.scheduleDelayMs,
      maxQueueSize: read.maxQueueSize,
      maxExportBatchSize: read.maxExportBatchSize,
      exportTimeoutMs: read.exportTimeoutMs,
      upstreamSpans: read.upstreamSpans,
    }).toEqual({
      protocol: "http/protobuf",
      timeoutMs: 10_000,
      compression: "none",
      sampler: ["parentbased_always_on", 1],
      scheduleDelayMs: 5_000,
      maxQueueSize: 2048,
      maxExportBatchSize: 512,
      exportTimeoutMs: 30_000,
      upstreamSpans: false,
    });
  });

  it("turn upstream attempts into spans of their own with TURNPIKE_TRACES_UPSTREAM_SPANS=true, in any case", () => {
    expect(on({ ...OTLP, TURNPIKE_TRACES_UPSTREAM_SPANS: "true" }).upstreamSpans).toBe(true);
    expect(on({ ...OTLP, TURNPIKE_TRACES_UPSTREAM_SPANS: "TRUE" }).upstreamSpans).toBe(true);
    expect(on({ ...OTLP, TURNPIKE_TRACES_UPSTREAM_SPANS: "false" }).upstreamSpans).toBe(false);
  });

  it("give way to the variables, the traces-specific ones first", () => {
    const read = on({
      ...OTLP,
      OTEL_EXPORTER_OTLP_TIMEOUT: "2000",
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: "3000",
      OTEL_EXPORTER_OTLP_COMPRESSION: "none",
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "GZIP",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.25",
      OTEL_BSP_SCHEDULE_DELAY: "0",
      OTEL_BSP_MAX_QUEUE_SIZE: "100",
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "100",
      OTEL_BSP_EXPORT_TIMEOUT: "4000",
    });
    expect([read.timeoutMs, read.compression, read.sampler.name, read.sampler.ratio, read.scheduleDelayMs, read.maxQueueSize, read.maxExportBatchSize, read.exportTimeoutMs]).toEqual([
      3000,
      "gzip",
      "parentbased_traceidratio",
      0.25,
      0,
      100,
      100,
      4000,
    ]);
  });

  it("leave a traceidratio sampler without OTEL_TRACES_SAMPLER_ARG at ratio 1", () => {
    expect(on({ ...OTLP, OTEL_TRACES_SAMPLER: "TraceIdRatio" }).sampler).toMatchObject({ name: "traceidratio", ratio: 1 });
  });

  it("ignore OTEL_TRACES_SAMPLER_ARG for a sampler that takes no ratio", () => {
    expect(on({ ...OTLP, OTEL_TRACES_SAMPLER: "always_off", OTEL_TRACES_SAMPLER_ARG: "0.5" }).sampler).toMatchObject({ name: "always_off", ratio: 1 });
  });
});

describe("resource attributes", () => {
  it("name the service turnpike-gateway and describe the instance, host, process and SDK", () => {
    expect(on(OTLP).resource).toEqual([
      ["service.name", "turnpike-gateway"],
      ["service.instance.id", "i-1"],
      ["host.name", "h"],
      ["process.pid", 7],
      ["process.runtime.name", "nodejs"],
      ["process.runtime.version", process.versions.node],
      ["telemetry.sdk.name", "turnpike"],
      ["telemetry.sdk.language", "nodejs"],
    ]);
  });

  it("hold process.pid as an integer", () => {
    const pid = new Map(on(OTLP).resource).get("process.pid");
    expect(Number.isInteger(pid)).toBe(true);
  });

  it("add those of OTEL_RESOURCE_ATTRIBUTES, percent-decoded, and let them replace a default", () => {
    const resource = new Map(on({ ...OTLP, OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=prod,team=api%20platform,service.name=from-attributes" }).resource);
    expect(resource.get("deployment.environment.name")).toBe("prod");
    expect(resource.get("team")).toBe("api platform");
    expect(resource.get("service.name")).toBe("from-attributes");
  });

  it("take OTEL_SERVICE_NAME over a service.name in OTEL_RESOURCE_ATTRIBUTES", () => {
    const resource = on({ ...OTLP, OTEL_SERVICE_NAME: "edge", OTEL_RESOURCE_ATTRIBUTES: "service.name=other" }).resource;
    expect(resource.filter(([key]) => key === "service.name")).toEqual([["service.name", "edge"]]);
  });
});

describe("settings refused at start", () => {
  it.each([
    ["OTEL_EXPORTER_OTLP_PROTOCOL", "http/xml"],
    ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc-web"],
  ])("%s=%s: one of OTLP's three protocols", (variable, value) => {
    expect(refusal({ ...OTLP, [variable]: value }).message).toBe(`${variable}: OTLP as "http/protobuf", "http/json" (port 4318) or "grpc" (port 4317), not "${value}"`);
  });

  it("takes any of OTLP's protocols, in any case", () => {
    expect([on({ ...OTLP, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }).protocol, on({ ...OTLP, OTEL_EXPORTER_OTLP_PROTOCOL: "HTTP/PROTOBUF" }).protocol, on({ ...OTLP, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "GRPC" }).protocol]).toEqual([
      "http/json",
      "http/protobuf",
      "grpc",
    ]);
  });

  it("the traces-specific protocol is the one checked when both are set", () => {
    expect(on({ ...OTLP, OTEL_EXPORTER_OTLP_PROTOCOL: "grpc", OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json" }).endpoint.href).toBe("http://localhost:4318/v1/traces");
  });

  it("OTEL_TRACES_EXPORTER=zipkin: otlp or none only", () => {
    expect(refusal({ OTEL_TRACES_EXPORTER: "zipkin" }).message).toMatch(/^OTEL_TRACES_EXPORTER: .*"otlp".*"none".*not "zipkin"/);
  });

  it.each([
    ["OTEL_EXPORTER_OTLP_ENDPOINT", "not a url", /^OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" is not a URL/],
    ["OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://c/traces", /^OTEL_EXPORTER_OTLP_ENDPOINT: .*http or https, not ftp:/],
    ["OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318", /^OTEL_EXPORTER_OTLP_ENDPOINT: .*http or https, not collector:/],
    ["OTEL_EXPORTER_OTLP_ENDPOINT", "http://user:password@c:4318", /^OTEL_EXPORTER_OTLP_ENDPOINT: put credentials in OTEL_EXPORTER_OTLP_HEADERS/],
    ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "not a url", /^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "not a url" is not a URL/],
    ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://c/traces", /^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: .*not ftp:/],
    ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://token@c/v1/traces", /^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: put credentials in OTEL_EXPORTER_OTLP_HEADERS/],
  ])("%s=%s", (variable, value, message) => {
    expect(refusal({ [variable]: value }).message).toMatch(message);
  });

  it("OTEL_TRACES_SAMPLER=unknown: one of the six built-in samplers", () => {
    expect(refusal({ ...OTLP, OTEL_TRACES_SAMPLER: "unknown" }).message).toBe(
      'OTEL_TRACES_SAMPLER: one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio, not "unknown"',
    );
  });

  it.each(["1.5", "-0.1", "abc", "Infinity"])("OTEL_TRACES_SAMPLER_ARG=%s: a ratio from 0 to 1", (ratio) => {
    for (const sampler of ["traceidratio", "parentbased_traceidratio"]) {
      expect(refusal({ ...OTLP, OTEL_TRACES_SAMPLER: sampler, OTEL_TRACES_SAMPLER_ARG: ratio }).message).toBe(`OTEL_TRACES_SAMPLER_ARG: a ratio from 0 to 1 is needed, not "${ratio}"`);
    }
  });

  it("a batch size above the queue size", () => {
    expect(refusal({ ...OTLP, OTEL_BSP_MAX_QUEUE_SIZE: "100", OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "101" }).message).toBe("OTEL_BSP_MAX_EXPORT_BATCH_SIZE (101) must not exceed OTEL_BSP_MAX_QUEUE_SIZE (100)");
    expect(refusal({ ...OTLP, OTEL_BSP_MAX_QUEUE_SIZE: "100" }).message).toMatch(/^OTEL_BSP_MAX_EXPORT_BATCH_SIZE \(512\) must not exceed OTEL_BSP_MAX_QUEUE_SIZE \(100\)$/);
  });

  it.each([
    ["OTEL_EXPORTER_OTLP_TIMEOUT", "1.5", 1],
    ["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "10s", 1],
    ["OTEL_EXPORTER_OTLP_TIMEOUT", "0", 1],
    ["OTEL_BSP_SCHEDULE_DELAY", "-1", 0],
    ["OTEL_BSP_MAX_QUEUE_SIZE", "0", 1],
    ["OTEL_BSP_EXPORT_TIMEOUT", "2.5", 1],
  ])("%s=%s: a whole number", (variable, value, min) => {
    expect(refusal({ ...OTLP, [variable]: value }).message).toBe(`${variable}: a whole number of at least ${min} is needed, not "${value}"`);
  });

  it.each([
    ["OTEL_EXPORTER_OTLP_HEADERS", "a=1,novalue"],
    ["OTEL_EXPORTER_OTLP_HEADERS", "=x"],
    ["OTEL_EXPORTER_OTLP_TRACES_HEADERS", "novalue"],
    ["OTEL_RESOURCE_ATTRIBUTES", "team"],
  ])("%s=%s: an item without key=", (variable, value) => {
    expect(refusal({ ...OTLP, [variable]: value }).message).toMatch(new RegExp(`^${variable}: ".*" is not key=value$`));
  });

  it.each([
    ["OTEL_EXPORTER_OTLP_HEADERS", "a=%zz"],
    ["OTEL_EXPORTER_OTLP_TRACES_HEADERS", "a=%E0%A4%A"],
    ["OTEL_RESOURCE_ATTRIBUTES", "a=100%"],
  ])("%s=%s: bad percent-encoding", (variable, value) => {
    expect(refusal({ ...OTLP, [variable]: value }).message).toBe(`${variable}: the value of "a" is not valid percent-encoding`);
  });

  it("a header name with characters a header name cannot have", () => {
    expect(refusal({ ...OTLP, OTEL_EXPORTER_OTLP_HEADERS: "bad name=1" }).message).toBe('OTEL_EXPORTER_OTLP_HEADERS: "bad name" is not a header name');
  });

  it("a bad header name in OTEL_EXPORTER_OTLP_TRACES_HEADERS names that variable", () => {
    expect(refusal({ ...OTLP, OTEL_EXPORTER_OTLP_TRACES_HEADERS: "bad name=1" }).message).toMatch(/^OTEL_EXPORTER_OTLP_TRACES_HEADERS: /);
  });

  // undici would refuse every export request with it ("invalid a header"), retried as a connection error.
  it("a header value that decodes to a line break", () => {
    expect(refusal({ ...OTLP, OTEL_EXPORTER_OTLP_HEADERS: "a=x%0D%0Ainjected:%201" }).message).toMatch(/^OTEL_EXPORTER_OTLP_HEADERS: /);
  });

  it.each(["1", "yes", "on"])("TURNPIKE_TRACES_UPSTREAM_SPANS=%s: true or false", (value) => {
    expect(refusal({ ...OTLP, TURNPIKE_TRACES_UPSTREAM_SPANS: value }).message).toBe(`TURNPIKE_TRACES_UPSTREAM_SPANS: "true" or "false", not "${value}"`);
  });

  it.each([
    ["OTEL_EXPORTER_OTLP_COMPRESSION", "br"],
    ["OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "deflate"],
  ])("%s=%s: gzip or none", (variable, value) => {
    expect(refusal({ ...OTLP, [variable]: value }).message).toBe(`${variable}: "gzip" or "none", not "${value}"`);
  });
});
