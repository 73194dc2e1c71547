/**
 * The k6 compatibility harness: runs a k6 script (ES module source) against a real server,
 * without k6. The script is transformed to CommonJS with esbuild, evaluated in a worker's `vm`
 * context with the harness's k6 modules, its `options` are checked against k6's documented
 * shape, its scenario's function runs for `iterations` iterations as one VU (the harness
 * checks behaviour, not timing: executors' schedules are validated, not reproduced), and its
 * thresholds are evaluated on the recorded samples as k6 evaluates them.
 */
import { Worker, MessageChannel } from "node:worker_threads";
import { join } from "node:path";
import { buildSync, transformSync } from "esbuild";
import { Agent, request } from "undici";
import type { HttpRequestMessage, HttpResponseMessage } from "./k6-modules";
import type { WorkerOutput } from "./k6-worker";
import { optionsProblems } from "./options-validation";
import { BUILTIN_METRICS, type Sample, type ThresholdResult, evaluateThresholds } from "./thresholds";

export interface HarnessOptions {
  /** `__ENV` of the script. */
  readonly env?: Record<string, string>;
  /** @default 1 */
  readonly iterations?: number;
  /** Scenario whose exec function runs. @default the first of `options.scenarios` */
  readonly scenario?: string;
}

export interface HarnessRun {
  readonly options: unknown;
  /** What k6 would refuse in `options`; empty when valid. */
  readonly optionProblems: string[];
  readonly scenario: string;
  readonly exec: string;
  readonly samples: Sample[];
  readonly iterationErrors: string[];
  readonly initError: string | null;
  readonly thresholds: ThresholdResult[];
  /** Options valid, the script started, no iteration threw, every threshold held. */
  readonly passed: boolean;
}

let workerSource: string | undefined;

/** The worker, bundled once per process (it is TypeScript, and a worker's code is loaded from source). */
function workerCode(): string {
  workerSource ??= buildSync({ entryPoints: [join(__dirname, "k6-worker.ts")], bundle: true, platform: "node", format: "cjs", target: "node20", write: false, logLevel: "silent" }).outputFiles[0]!.text;
  return workerSource;
}

/** Converts an ES module k6 script to CommonJS; throws esbuild's syntax errors. */
export function k6ScriptToCommonJs(source: string): string {
  return transformSync(source, { format: "cjs", loader: "js", target: "es2022", sourcefile: "script.js" }).code;
}

/** Performs the worker's requests with undici, one keep-alive pool per origin, as k6 reuses connections. */
async function perform(agent: Agent, message: HttpRequestMessage): Promise<HttpResponseMessage> {
  const started = performance.now();
  try {
    const response = await request(message.url, {
      method: message.method as "GET",
      headers: message.headers,
      body: message.body ?? undefined,
      dispatcher: agent,
      headersTimeout: message.timeoutMs,
      bodyTimeout: message.timeoutMs,
    });
    const waitingMs = performance.now() - started;
    const body = await response.body.text();
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
    return { status: response.statusCode, headers, body, durationMs: performance.now() - started, waitingMs, error: "", bytesSent: Buffer.byteLength(message.body ?? "") };
  } catch (error) {
    // As in k6: a transport failure is a response with status 0 and an error.
    return { status: 0, headers: {}, body: "", durationMs: performance.now() - started, waitingMs: 0, error: (error as Error).message, bytesSent: 0 };
  }
}

export async function runK6Script(source: string, options: HarnessOptions = {}): Promise<HarnessRun> {
  const code = k6ScriptToCommonJs(source);
  const channel = new MessageChannel();
  const signal = new SharedArrayBuffer(4);
  const flag = new Int32Array(signal);
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 4 });
  channel.port1.on("message", (message: HttpRequestMessage) => {
    void perform(agent, message).then((response) => {
      channel.port1.postMessage(response);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    });
  });
  const worker = new Worker(workerCode(), {
    eval: true,
    workerData: { code, env: options.env ?? {}, iterations: options.iterations ?? 1, scenario: options.scenario ?? null, port: channel.port2, signal },
    transferList: [channel.port2],
  });
  let output: WorkerOutput;
  try {
    output = await new Promise<WorkerOutput>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`the harness worker exited (${code}) without a result`)));
    });
  } finally {
    channel.port1.close();
    await worker.terminate();
    await agent.close();
  }
  const optionProblems = output.initError === null ? optionsProblems(output.options, output.exports, output.customMetrics) : [];
  const thresholdsOption = (output.options as { thresholds?: Record<string, (string | { threshold: string })[]> } | undefined)?.thresholds ?? {};
  const thresholds =
    output.initError === null && optionProblems.length === 0
      ? evaluateThresholds(
          Object.fromEntries(Object.entries(thresholdsOption).map(([key, entries]) => [key, entries.map((entry) => (typeof entry === "string" ? entry : entry.threshold))])),
          output.samples,
          { ...BUILTIN_METRICS, ...output.customMetrics },
          output.durationSeconds,
        )
      : [];
  return {
    options: output.options,
    optionProblems,
    scenario: output.scenario,
    exec: output.exec,
    samples: output.samples,
    iterationErrors: output.iterationErrors,
    initError: output.initError,
    thresholds,
    passed: output.initError === null && optionProblems.length === 0 && output.iterationErrors.length === 0 && thresholds.every((result) => result.passed),
  };
}
