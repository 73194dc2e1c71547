/**
 * The k6 modules a generated script imports, implemented for Node: `k6` (`check`, `group`,
 * `sleep`, `fail`), `k6/http` (`request` and the method shortcuts, `expectedStatuses`,
 * `setResponseCallback`), `k6/execution` and `k6/metrics`. They record the samples k6 would
 * (http_reqs, http_req_duration, http_req_failed, checks, iterations, group_duration…) with
 * k6's system tags (name, method, status, group, scenario, expected_response) plus the
 * request's own tags.
 *
 * k6's HTTP calls are synchronous; so are these: the request is handed to the main thread
 * (`SyncHttp`), and the worker the script runs in blocks until the response is back.
 */
import type { MetricType, Sample } from "./thresholds";

/** What the worker sends the main thread for one request. */
export interface HttpRequestMessage {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string | null;
  readonly timeoutMs: number;
}

/** The main thread's answer. */
export interface HttpResponseMessage {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** From sending the request to the end of the body, ms. */
  readonly durationMs: number;
  /** Time to the first response byte, ms. */
  readonly waitingMs: number;
  readonly error: string;
  readonly bytesSent: number;
}

/** Performs one request synchronously. */
export type SyncHttp = (request: HttpRequestMessage) => HttpResponseMessage;

interface StatusRange {
  readonly min: number;
  readonly max: number;
}

/** What `http.expectedStatuses` returns: opaque to scripts, as in k6. */
class ResponseCallback {
  constructor(readonly ranges: readonly StatusRange[]) {}
  expects(status: number): boolean {
    return this.ranges.some((range) => status >= range.min && status <= range.max);
  }
}

/** The state of the running VU, read by `k6/execution` and used for tags. */
export interface VuState {
  scenario: string;
  executor: string;
  iterationInTest: number;
  iterationInScenario: number;
  vu: number;
  /** `::group::subgroup`, `""` at the top. */
  group: string;
}

/** Canonical HTTP header names, as k6 shows them (`Content-Type`). */
function canonicalHeader(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => dash + letter.toUpperCase());
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The modules, sharing one sample list and one VU state; `require` resolves the specifiers. */
export function createK6Modules(http: SyncHttp, state: VuState, samples: Sample[], customMetrics: Record<string, MetricType>) {
  const now = () => performance.now();
  const push = (metric: string, value: number, tags: Record<string, string>) => samples.push({ metric, value, tags });
  const baseTags = () => ({ scenario: state.scenario, ...(state.group === "" ? {} : { group: state.group }) });
  let defaultCallback = new ResponseCallback([{ min: 200, max: 399 }]);

  function request(method: string, url: string, body?: unknown, params: Record<string, unknown> = {}) {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries((params.headers as Record<string, unknown> | undefined) ?? {})) headers[name] = String(value);
    let payload: string | null = null;
    if (typeof body === "string") payload = body;
    else if (body !== null && body !== undefined && typeof body === "object") {
      // k6 sends an object as a form, as a browser would.
      payload = new URLSearchParams(Object.entries(body as Record<string, unknown>).map(([name, value]): [string, string] => [name, String(value)])).toString();
      if (!Object.keys(headers).some((name) => name.toLowerCase() === "content-type")) headers["Content-Type"] = "application/x-www-form-urlencoded";
    }
    const timeout = typeof params.timeout === "number" ? params.timeout : typeof params.timeout === "string" ? Number.parseFloat(params.timeout) * (params.timeout.endsWith("ms") ? 1 : 1000) : 60_000;
    const answer = http({ method: method.toUpperCase(), url, headers, body: payload, timeoutMs: timeout });
    const callback = params.responseCallback === undefined ? defaultCallback : params.responseCallback;
    if (callback !== null && !(callback instanceof ResponseCallback)) throw new Error("responseCallback must be made with http.expectedStatuses(...) or be null");
    const expected = callback === null ? null : callback.expects(answer.status);
    const tags: Record<string, string> = {
      ...baseTags(),
      name: url,
      url,
      method: method.toUpperCase(),
      status: String(answer.status),
      ...(expected === null ? {} : { expected_response: String(expected) }),
      ...Object.fromEntries(Object.entries((params.tags as Record<string, unknown> | undefined) ?? {}).map(([key, value]) => [key, String(value)])),
    };
    push("http_reqs", 1, tags);
    push("http_req_duration", answer.durationMs, tags);
    push("http_req_waiting", answer.waitingMs, tags);
    if (expected !== null) push("http_req_failed", expected ? 0 : 1, tags);
    push("data_received", Buffer.byteLength(answer.body), tags);
    push("data_sent", answer.bytesSent, tags);
    const headersOut = Object.fromEntries(Object.entries(answer.headers).map(([name, value]) => [canonicalHeader(name), value]));
    return {
      status: answer.status,
      status_text: "",
      body: answer.body,
      headers: headersOut,
      url,
      error: answer.error,
      error_code: answer.error === "" ? 0 : 1000,
      timings: { duration: answer.durationMs, waiting: answer.waitingMs, blocked: 0, connecting: 0, tls_handshaking: 0, sending: 0, receiving: answer.durationMs - answer.waitingMs },
      request: { method: method.toUpperCase(), url, headers, body: payload ?? "" },
      json(selector?: string) {
        const value = JSON.parse(answer.body) as unknown;
        if (selector === undefined) return value;
        // A dotted path, the common subset of k6's gjson selectors.
        return selector.split(".").reduce<unknown>((current, key) => (current === null || typeof current !== "object" ? undefined : (current as Record<string, unknown>)[key]), value);
      },
    };
  }

  const shortcut = (method: string, hasBody: boolean) =>
    hasBody ? (url: string, body?: unknown, params?: Record<string, unknown>) => request(method, url, body, params) : (url: string, params?: Record<string, unknown>) => request(method, url, null, params);

  const httpModule = {
    request,
    get: shortcut("GET", false),
    head: shortcut("HEAD", false),
    post: shortcut("POST", true),
    put: shortcut("PUT", true),
    patch: shortcut("PATCH", true),
    del: shortcut("DELETE", true),
    options: shortcut("OPTIONS", true),
    batch() {
      throw new Error("http.batch is not implemented by the compatibility harness");
    },
    expectedStatuses(...statuses: (number | StatusRange)[]) {
      return new ResponseCallback(statuses.map((status) => (typeof status === "number" ? { min: status, max: status } : { min: status.min, max: status.max })));
    },
    setResponseCallback(callback: ResponseCallback | null) {
      defaultCallback = callback ?? new ResponseCallback([]);
    },
  };

  const k6Module = {
    check(value: unknown, sets: Record<string, (value: unknown) => unknown>, tags: Record<string, string> = {}) {
      let all = true;
      for (const [name, predicate] of Object.entries(sets)) {
        const passed = Boolean(typeof predicate === "function" ? predicate(value) : predicate);
        all &&= passed;
        push("checks", passed ? 1 : 0, { ...baseTags(), check: name, ...tags });
      }
      return all;
    },
    group<T>(name: string, body: () => T): T {
      const outer = state.group;
      state.group = `${outer}::${name}`;
      const start = now();
      try {
        return body();
      } finally {
        push("group_duration", now() - start, { ...baseTags() });
        state.group = outer;
      }
    },
    sleep(seconds: number) {
      sleepMs(seconds * 1000);
    },
    fail(message?: string): never {
      throw new Error(message ?? "fail()");
    },
  };

  const executionModule = {
    get scenario() {
      return { name: state.scenario, executor: state.executor, iterationInTest: state.iterationInTest, iterationInInstance: state.iterationInTest, startTime: 0, progress: 0 };
    },
    get vu() {
      return { idInTest: state.vu, idInInstance: state.vu, iterationInScenario: state.iterationInScenario, iterationInInstance: state.iterationInScenario, tags: {}, metrics: { tags: {} } };
    },
    get instance() {
      return { iterationsCompleted: state.iterationInTest, iterationsInterrupted: 0, vusActive: 1, vusInitialized: 1, currentTestRunDuration: 0 };
    },
    test: {
      abort(message?: string): never {
        throw new Error(`test aborted${message ? `: ${message}` : ""}`);
      },
    },
  };

  const metric = (type: MetricType) =>
    class {
      constructor(readonly name: string) {
        customMetrics[name] = type;
      }
      add(value: number | boolean, tags: Record<string, string> = {}) {
        push(this.name, typeof value === "boolean" ? Number(value) : value, { ...baseTags(), ...tags });
      }
    };
  const metricsModule = { Counter: metric("counter"), Gauge: metric("gauge"), Rate: metric("rate"), Trend: metric("trend") };

  // ES module namespaces as esbuild's CommonJS output reads them: `default` is the default export.
  const modules: Record<string, Record<string, unknown>> = {
    k6: { __esModule: true, default: k6Module, ...k6Module },
    "k6/http": { __esModule: true, default: httpModule, ...httpModule },
    "k6/execution": { __esModule: true, default: executionModule, get scenario() { return executionModule.scenario; }, get vu() { return executionModule.vu; }, get instance() { return executionModule.instance; }, test: executionModule.test },
    "k6/metrics": { __esModule: true, default: metricsModule, ...metricsModule },
  };
  return {
    require(specifier: string): Record<string, unknown> {
      const found = modules[specifier];
      if (!found) throw new Error(`the script imports "${specifier}", which is not a k6 module the harness implements (${Object.keys(modules).join(", ")})`);
      return found;
    },
  };
}
