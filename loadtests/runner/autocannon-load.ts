/**
 * Sends a {@link LoadTestModel}'s requests to a running gateway with autocannon at a fixed
 * arrival rate, and records every response: which operation it answered, its status, its
 * latency. The requests follow the model's weighted schedule, so the mix is the k6 script's.
 *
 * autocannon reports latency per response without saying which request it answered; its
 * per-request `onResponse` hook runs synchronously just before that report, so the two are
 * paired by order.
 */
import type { Credential, LoadTestModel, ScenarioRequest } from "../scenario/scenario-model";

/** The part of autocannon's API used here (it ships no types). */
interface RequestTemplate {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}
interface AutocannonRequest extends RequestTemplate {
  /** Called before each send with the connection's context; returns the request to send. */
  setupRequest: (request: RequestTemplate, context: Record<string, unknown>) => RequestTemplate;
  onResponse: (status: number, body: string, context: Record<string, unknown>) => void;
}
interface AutocannonInstance {
  on(event: "response", listener: (client: unknown, status: number, bytes: number, latencyMs: number) => void): void;
  on(event: "reqError", listener: (error: Error) => void): void;
  on(event: "done", listener: (result: { duration: number; timeouts: number; errors: number }) => void): void;
  stop(): void;
}
type Autocannon = (options: Record<string, unknown>) => AutocannonInstance;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require("autocannon") as Autocannon;

/** The secrets requests authenticate with. */
export interface LoadCredentials {
  readonly apiKey?: string;
  readonly token?: string;
}

export interface LoadOptions {
  /** The gateway's base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Arrival rate, requests per second (whole, ≥ 1). */
  readonly rps: number;
  readonly seconds: number;
  readonly connections: number;
  readonly credentials: LoadCredentials;
  /** Called about every 100 ms with the seconds elapsed and the responses so far. */
  readonly onProgress?: (elapsedSeconds: number, responses: number) => void;
}

/** One answered (or failed) request. */
export interface Measurement {
  readonly operationId: string;
  /** 0 when the request failed without a response. */
  readonly status: number;
  readonly latencyMs: number;
  /** The status is one the operation expects (documented 2xx/3xx). */
  readonly expected: boolean;
  /** When the request went out, seconds from the start of the run. */
  readonly sentAtSeconds: number;
}

export interface LoadMeasurements {
  readonly measurements: Measurement[];
  /** Requests that got no response (connection errors, timeouts), not in `measurements`' latencies. */
  readonly transportErrors: number;
  /** From start to stop as autocannon measured it: the planned seconds, and up to one more (it stops on its one-second tick). */
  readonly durationSeconds: number;
  /** The run's planned length: the window its arrival rate is judged over. */
  readonly plannedSeconds: number;
}

/** The credentials a request needs, missing from `credentials`; empty when it can be sent. */
export function missingCredentials(model: LoadTestModel, credentials: LoadCredentials): string[] {
  const missing = new Set<string>();
  for (const request of model.requests) {
    for (const credential of request.credentials) {
      if (credential.kind === "apiKey" && !credentials.apiKey) missing.add("an API key (--key or TURNPIKE_API_KEY)");
      if (credential.kind === "bearer" && !credentials.token) missing.add("a JWT (--token or TURNPIKE_TOKEN)");
    }
  }
  return [...missing];
}

function withCredentials(request: ScenarioRequest, credentials: LoadCredentials): { path: string; headers: Record<string, string> } {
  let path = request.path;
  const headers = { ...request.headers };
  for (const credential of request.credentials as Credential[]) {
    if (credential.kind === "bearer") headers[credential.header] = `Bearer ${credentials.token ?? ""}`;
    else if (credential.in === "header") headers[credential.name] = credentials.apiKey ?? "";
    else path += `${path.includes("?") ? "&" : "?"}${encodeURIComponent(credential.name)}=${encodeURIComponent(credentials.apiKey ?? "")}`;
  }
  return { path, headers };
}

export async function runLoad(model: LoadTestModel, options: LoadOptions): Promise<LoadMeasurements> {
  const measurements: Measurement[] = [];
  let pending: { operationId: string; status: number; expected: boolean } | null = null;
  // A base URL with a path (a gateway behind a prefix) prefixes every request, as `BASE_URL + path` does in the k6 script; autocannon would replace it.
  const base = new URL(options.url).pathname.replace(/\/+$/, "");
  const prepared = model.requests.map((request) => {
    const { path, headers } = withCredentials(request, options.credentials);
    return { method: request.method, path: `${base}${path}`, headers, body: request.body ?? undefined };
  });
  // One template whose setupRequest picks the next request of the weighted schedule for
  // whichever connection sends next: the schedule is walked once across all connections, as
  // k6 walks it by iterationInTest, instead of each connection restarting it.
  let sent = 0;
  const requests: AutocannonRequest[] = [
    {
      setupRequest: (template, context) => {
        const index = model.schedule[sent++ % model.schedule.length]!;
        // Pipelining is off: a connection's context names its one request in flight.
        context.index = index;
        return { ...template, ...prepared[index]!, headers: { ...template.headers, ...prepared[index]!.headers } };
      },
      onResponse: (status, _body, context) => {
        const request = model.requests[context.index as number]!;
        pending = { operationId: request.operationId, status, expected: request.expectedStatuses.some((range) => status >= range.min && status <= range.max) };
      },
    },
  ];
  const rps = Math.max(1, Math.round(options.rps));
  const started = performance.now();
  const instance = autocannon({
    url: options.url,
    // Never more connections than requests per second: autocannon gives each a whole rate.
    connections: Math.max(1, Math.min(options.connections, rps)),
    duration: options.seconds,
    overallRate: rps,
    requests,
    timeout: 10,
  });
  let transportErrors = 0;
  instance.on("response", (_client, _status, _bytes, latencyMs) => {
    const answered = pending;
    pending = null;
    if (answered !== null) measurements.push({ ...answered, latencyMs, sentAtSeconds: (performance.now() - started - latencyMs) / 1000 });
  });
  instance.on("reqError", () => transportErrors++);
  const progress = options.onProgress === undefined ? undefined : setInterval(() => options.onProgress!((performance.now() - started) / 1000, measurements.length), 100);
  try {
    const result = await new Promise<{ duration: number; timeouts: number; errors: number }>((resolve) => instance.on("done", resolve));
    return { measurements, transportErrors: Math.max(transportErrors, result.errors), durationSeconds: result.duration, plannedSeconds: options.seconds };
  } finally {
    if (progress !== undefined) clearInterval(progress);
  }
}
