/**
 * Tracing settings from OpenTelemetry's standard environment variables (the SDK
 * specification's names, read as an OpenTelemetry SDK reads them), so that a platform that
 * already points its services at a collector points the gateway there the same way:
 * `OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318` and, for one trace in ten,
 * `OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1`.
 *
 * Tracing is on when an OTLP endpoint is set or `OTEL_TRACES_EXPORTER=otlp` asks for the
 * default one (`http://localhost:4318/v1/traces`); off otherwise, with `OTEL_SDK_DISABLED=true`
 * or with `OTEL_TRACES_EXPORTER=none`. The transport is OTLP/HTTP, protobuf-encoded as the
 * specification's default (`http/protobuf`) or JSON (`http/json`), both of which every OTLP/HTTP
 * receiver accepts (the OpenTelemetry Collector, Jaeger, Tempo, the vendors' endpoints), or
 * OTLP/gRPC (`grpc`, port 4317), whose endpoint is used as it is (no signal path appended) and
 * may be written without a scheme (`collector:4317`: TLS unless `OTEL_EXPORTER_OTLP_INSECURE`
 * is true), as the specification says. TLS beyond Node's default trust (a private CA, a client
 * certificate for mutual TLS) comes from the specification's certificate variables
 * (`export-tls.ts`).
 */
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { ExportTls, ExportTlsError, type ExportTlsFiles, type ReadFile, type TlsFile } from "./export-tls";
import type { AttributeValue } from "./otlp-json";
import { SAMPLER_NAMES, Sampler, type SamplerName } from "./sampler";

export interface TraceConfig {
  /** Where spans are POSTed: the full URL of the traces path. */
  readonly endpoint: URL;
  /** Extra request headers (an API token for a vendor's endpoint). */
  readonly headers: Readonly<Record<string, string>>;
  /** Longest wait for one export request, ms. */
  readonly timeoutMs: number;
  /** The transport and encoding of export requests: OTLP/HTTP with JSON or protobuf, or OTLP/gRPC. */
  readonly protocol: TraceProtocol;
  /** Request bodies gzipped (`OTEL_EXPORTER_OTLP_COMPRESSION=gzip`) or not. */
  readonly compression: "gzip" | "none";
  readonly sampler: Sampler;
  /** Resource attributes of every span of the process (service.name and the rest). */
  readonly resource: ReadonlyArray<readonly [string, AttributeValue]>;
  /** Longest a finished span waits before it is sent, ms. */
  readonly scheduleDelayMs: number;
  /** Spans held at most while waiting to be sent; more are dropped (and counted). */
  readonly maxQueueSize: number;
  /** Spans per export request at most. */
  readonly maxExportBatchSize: number;
  /** Longest one export may take, retries included, ms. */
  readonly exportTimeoutMs: number;
  /** Each upstream attempt a CLIENT span of its own under the request's (`TURNPIKE_TRACES_UPSTREAM_SPANS=true`). */
  readonly upstreamSpans: boolean;
  /** A private CA and a client certificate for a TLS endpoint; null: Node's default trust, no client certificate. */
  readonly tls: ExportTls | null;
}

export type TraceProtocol = "http/json" | "http/protobuf" | "grpc";

export class TraceConfigError extends Error {}

/** The default OTLP/HTTP port's traces path, as the OpenTelemetry SDKs default to. */
const DEFAULT_ENDPOINT = "http://localhost:4318/v1/traces";
/** OTLP/gRPC's default: the service's method is the request's path, the endpoint only a place. */
const DEFAULT_GRPC_ENDPOINT = "http://localhost:4317";
export const DEFAULT_SERVICE_NAME = "turnpike-gateway";
/** OTLP's default encoding for the SDKs, and the cheaper one here (BENCHMARKS.md, "tracing"). */
const DEFAULT_PROTOCOL = "http/protobuf";

/**
 * The tracing settings the environment asks for, or null when tracing is off; a setting it
 * cannot honour is a TraceConfigError naming the variable and what it accepts.
 */
export function traceConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  instance: { id: string; host: string; pid: number } = processInstance(),
  /** Reads the certificate files (a test stands where a mounted volume would be). */
  readFile?: ReadFile,
): TraceConfig | null {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  if (read("OTEL_SDK_DISABLED")?.toLowerCase() === "true") return null;
  const exporter = read("OTEL_TRACES_EXPORTER")?.toLowerCase();
  if (exporter !== undefined && exporter !== "otlp" && exporter !== "none") {
    throw new TraceConfigError(`OTEL_TRACES_EXPORTER: the gateway exports spans with "otlp" (or none with "none"), not "${exporter}"`);
  }
  if (exporter === "none") return null;
  const tracesEndpoint = read("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const baseEndpoint = read("OTEL_EXPORTER_OTLP_ENDPOINT");
  if (tracesEndpoint === undefined && baseEndpoint === undefined && exporter === undefined) return null;

  const protocolVariable = read("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") !== undefined ? "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL" : "OTEL_EXPORTER_OTLP_PROTOCOL";
  const protocol = read(protocolVariable)?.toLowerCase() ?? DEFAULT_PROTOCOL;
  if (protocol !== "http/json" && protocol !== "http/protobuf" && protocol !== "grpc") {
    throw new TraceConfigError(`${protocolVariable}: OTLP as "http/protobuf", "http/json" (port 4318) or "grpc" (port 4317), not "${protocol}"`);
  }

  let endpoint: URL;
  if (protocol === "grpc") {
    const insecureVariable = read("OTEL_EXPORTER_OTLP_TRACES_INSECURE") !== undefined ? "OTEL_EXPORTER_OTLP_TRACES_INSECURE" : "OTEL_EXPORTER_OTLP_INSECURE";
    const insecure = booleanSetting(insecureVariable, read(insecureVariable));
    endpoint =
      tracesEndpoint !== undefined
        ? grpcUrl("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", tracesEndpoint, insecure)
        : baseEndpoint !== undefined
          ? grpcUrl("OTEL_EXPORTER_OTLP_ENDPOINT", baseEndpoint, insecure)
          : new URL(DEFAULT_GRPC_ENDPOINT);
  } else {
    endpoint =
      tracesEndpoint !== undefined
        ? httpUrl("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", tracesEndpoint)
        : baseEndpoint !== undefined
          ? withTracesPath(httpUrl("OTEL_EXPORTER_OTLP_ENDPOINT", baseEndpoint))
          : new URL(DEFAULT_ENDPOINT);
  }

  const headers = {
    ...headerList("OTEL_EXPORTER_OTLP_HEADERS", read("OTEL_EXPORTER_OTLP_HEADERS")),
    ...headerList("OTEL_EXPORTER_OTLP_TRACES_HEADERS", read("OTEL_EXPORTER_OTLP_TRACES_HEADERS")),
  };

  const compressionVariable = read("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION") !== undefined ? "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION" : "OTEL_EXPORTER_OTLP_COMPRESSION";
  const compression = read(compressionVariable)?.toLowerCase() ?? "none";
  if (compression !== "gzip" && compression !== "none") throw new TraceConfigError(`${compressionVariable}: "gzip" or "none", not "${compression}"`);
  const timeoutVariable = read("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT") !== undefined ? "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT" : "OTEL_EXPORTER_OTLP_TIMEOUT";
  const maxQueueSize = whole("OTEL_BSP_MAX_QUEUE_SIZE", read("OTEL_BSP_MAX_QUEUE_SIZE"), 2048, 1);
  const maxExportBatchSize = whole("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", read("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"), 512, 1);
  if (maxExportBatchSize > maxQueueSize) throw new TraceConfigError(`OTEL_BSP_MAX_EXPORT_BATCH_SIZE (${maxExportBatchSize}) must not exceed OTEL_BSP_MAX_QUEUE_SIZE (${maxQueueSize})`);

  return {
    endpoint,
    headers,
    timeoutMs: whole(timeoutVariable, read(timeoutVariable), 10_000, 1),
    protocol,
    compression,
    sampler: sampler(read("OTEL_TRACES_SAMPLER"), read("OTEL_TRACES_SAMPLER_ARG")),
    resource: resourceAttributes(read("OTEL_SERVICE_NAME"), read("OTEL_RESOURCE_ATTRIBUTES"), instance),
    scheduleDelayMs: whole("OTEL_BSP_SCHEDULE_DELAY", read("OTEL_BSP_SCHEDULE_DELAY"), 5_000, 0),
    maxQueueSize,
    maxExportBatchSize,
    exportTimeoutMs: whole("OTEL_BSP_EXPORT_TIMEOUT", read("OTEL_BSP_EXPORT_TIMEOUT"), 30_000, 1),
    upstreamSpans: booleanSetting("TURNPIKE_TRACES_UPSTREAM_SPANS", read("TURNPIKE_TRACES_UPSTREAM_SPANS")),
    tls: exportTls(endpoint, read, readFile),
  };
}

/**
 * The certificate variables (each `_TRACES_` one wins over the general one), read and checked
 * now; null when none is set. Certificates with a plaintext endpoint are refused: whoever set
 * them meant TLS, and the exporter would silently send without it.
 */
function exportTls(endpoint: URL, read: (name: string) => string | undefined, readFile: ReadFile | undefined): ExportTls | null {
  const file = (suffix: string): TlsFile | null => {
    for (const variable of [`OTEL_EXPORTER_OTLP_TRACES_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`]) {
      const path = read(variable);
      if (path !== undefined) return { variable, path };
    }
    return null;
  };
  const files: ExportTlsFiles = { ca: file("CERTIFICATE"), clientCertificate: file("CLIENT_CERTIFICATE"), clientKey: file("CLIENT_KEY") };
  const named = files.ca ?? files.clientCertificate ?? files.clientKey;
  if (named === null) return null;
  if (endpoint.protocol !== "https:") {
    throw new TraceConfigError(`${named.variable} is set, but the endpoint ${endpoint.href} is plaintext: write it with https:// for TLS (or unset ${named.variable})`);
  }
  try {
    return new ExportTls(files, readFile);
  } catch (error) {
    if (error instanceof ExportTlsError) throw new TraceConfigError(error.message);
    throw error;
  }
}

function processInstance(): { id: string; host: string; pid: number } {
  return { id: randomUUID(), host: hostname(), pid: process.pid };
}

function httpUrl(variable: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TraceConfigError(`${variable}: "${value}" is not a URL (e.g. http://otel-collector:4318)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TraceConfigError(`${variable}: the gateway sends OTLP over http or https, not ${url.protocol}`);
  if (url.username !== "" || url.password !== "") throw new TraceConfigError(`${variable}: put credentials in OTEL_EXPORTER_OTLP_HEADERS, not in the URL`);
  return url;
}

/**
 * An OTLP/gRPC endpoint: `http://host:port` (plaintext, HTTP/2 without TLS), `https://host:port`
 * (TLS), or `host:port` (TLS unless `insecure`). The gRPC method is the request's path, so a
 * path in the endpoint would be ignored by a receiver: refused rather than dropped unsaid.
 */
function grpcUrl(variable: string, value: string, insecure: boolean): URL {
  const written = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `${insecure ? "http" : "https"}://${value}`;
  const url = httpUrl(variable, written);
  if (url.pathname !== "/" || url.search !== "") {
    throw new TraceConfigError(`${variable}: an OTLP/gRPC endpoint is a host and port (e.g. http://otel-collector:4317), without a path; "${url.pathname}${url.search}" would be ignored`);
  }
  return url;
}

/** The specification's rule for `OTEL_EXPORTER_OTLP_ENDPOINT`: the signal's path is appended. */
function withTracesPath(base: URL): URL {
  const url = new URL(base.href);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/v1/traces`;
  return url;
}

/** `key1=value1,key2=value2` with percent-encoded values (the W3C Baggage format the specification names). */
function keyValueList(variable: string, value: string | undefined): Record<string, string> {
  const pairs: Record<string, string> = {};
  if (value === undefined) return pairs;
  for (const item of value.split(",")) {
    if (item.trim() === "") continue;
    const equals = item.indexOf("=");
    if (equals <= 0) throw new TraceConfigError(`${variable}: "${item.trim()}" is not key=value`);
    const key = item.slice(0, equals).trim();
    let decoded: string;
    try {
      decoded = decodeURIComponent(item.slice(equals + 1).trim());
    } catch {
      throw new TraceConfigError(`${variable}: the value of "${key}" is not valid percent-encoding`);
    }
    pairs[key] = decoded;
  }
  return pairs;
}

/** A key=value list of request headers: names that are tokens, values without control characters. */
function headerList(variable: string, value: string | undefined): Record<string, string> {
  const headers = keyValueList(variable, value);
  for (const [name, headerValue] of Object.entries(headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new TraceConfigError(`${variable}: "${name}" is not a header name`);
    if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(headerValue)) throw new TraceConfigError(`${variable}: the value of "${name}" has a control character (a line break?), which no header may hold`);
  }
  return headers;
}

/** `true` or `false` (the default), in any case. */
function booleanSetting(variable: string, value: string | undefined): boolean {
  const lower = value?.toLowerCase();
  if (lower === undefined || lower === "false") return false;
  if (lower === "true") return true;
  throw new TraceConfigError(`${variable}: "true" or "false", not "${value}"`);
}

function whole(variable: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min) throw new TraceConfigError(`${variable}: a whole number of at least ${min} is needed, not "${value}"`);
  return number;
}

function sampler(name: string | undefined, argument: string | undefined): Sampler {
  const chosen = (name?.toLowerCase() ?? "parentbased_always_on") as SamplerName;
  if (!SAMPLER_NAMES.includes(chosen)) throw new TraceConfigError(`OTEL_TRACES_SAMPLER: one of ${SAMPLER_NAMES.join(", ")}, not "${name}"`);
  let ratio = 1;
  if (chosen.endsWith("traceidratio") && argument !== undefined) {
    ratio = Number(argument);
    if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw new TraceConfigError(`OTEL_TRACES_SAMPLER_ARG: a ratio from 0 to 1 is needed, not "${argument}"`);
  }
  return new Sampler(chosen, ratio);
}

function resourceAttributes(serviceName: string | undefined, declared: string | undefined, instance: { id: string; host: string; pid: number }): Array<readonly [string, AttributeValue]> {
  const attributes = new Map<string, AttributeValue>([
    ["service.name", DEFAULT_SERVICE_NAME],
    ["service.instance.id", instance.id],
    ["host.name", instance.host],
    ["process.pid", instance.pid],
    ["process.runtime.name", "nodejs"],
    ["process.runtime.version", process.versions.node],
    ["telemetry.sdk.name", "turnpike"],
    ["telemetry.sdk.language", "nodejs"],
  ]);
  for (const [key, value] of Object.entries(keyValueList("OTEL_RESOURCE_ATTRIBUTES", declared))) attributes.set(key, value);
  if (serviceName !== undefined) attributes.set("service.name", serviceName);
  return [...attributes];
}
