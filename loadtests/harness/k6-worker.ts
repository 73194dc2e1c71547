/**
 * The worker a k6 script runs in (bundled by esbuild and started by `runK6Script`): evaluates
 * the script (already CommonJS) in a `vm` context whose `require` resolves only k6 modules,
 * then runs the selected scenario's exec function for the requested number of iterations as
 * one VU, and posts back the exports, the options and every recorded sample.
 *
 * A worker rather than the main thread: k6's HTTP calls are synchronous, so the script blocks
 * (Atomics.wait) while the main thread's event loop performs the request.
 */
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { createContext, runInContext } from "node:vm";
import { type HttpRequestMessage, type HttpResponseMessage, type VuState, createK6Modules } from "./k6-modules";
import type { MetricType, Sample } from "./thresholds";

/** What the main thread gives the worker. */
export interface WorkerInput {
  /** The script as CommonJS. */
  readonly code: string;
  readonly env: Record<string, string>;
  readonly iterations: number;
  /** Scenario to run; the first of `options.scenarios` when null. */
  readonly scenario: string | null;
  readonly port: MessagePort;
  /** One Int32: set to 1 by the main thread when a response is on `port`. */
  readonly signal: SharedArrayBuffer;
}

/** What the worker posts back. */
export interface WorkerOutput {
  readonly options: unknown;
  /** Exported functions. */
  readonly exports: string[];
  readonly scenario: string;
  readonly exec: string;
  readonly samples: Sample[];
  readonly customMetrics: Record<string, MetricType>;
  /** Exceptions of iterations (k6 logs them and carries on). */
  readonly iterationErrors: string[];
  /** An exception of the init context: the script could not start. */
  readonly initError: string | null;
  readonly durationSeconds: number;
}

function run(input: WorkerInput): WorkerOutput {
  const signal = new Int32Array(input.signal);
  const http = (request: HttpRequestMessage): HttpResponseMessage => {
    input.port.postMessage(request);
    Atomics.wait(signal, 0, 0);
    Atomics.store(signal, 0, 0);
    const reply = receiveMessageOnPort(input.port);
    if (!reply) throw new Error("the harness's main thread sent no response");
    return reply.message as HttpResponseMessage;
  };
  const samples: Sample[] = [];
  const customMetrics: Record<string, MetricType> = {};
  const state: VuState = { scenario: "default", executor: "per-vu-iterations", iterationInTest: 0, iterationInScenario: 0, vu: 0, group: "" };
  const modules = createK6Modules(http, state, samples, customMetrics);
  // The script sees k6's globals and the JavaScript built-ins, nothing of Node.
  const context = createContext({ __ENV: { ...input.env }, __VU: 0, __ITER: 0, console });
  const exports: Record<string, unknown> = {};
  const module = { exports };
  const output = (partial: Partial<WorkerOutput>): WorkerOutput => ({
    options: null,
    exports: [],
    scenario: state.scenario,
    exec: "default",
    samples,
    customMetrics,
    iterationErrors: [],
    initError: null,
    durationSeconds: 0,
    ...partial,
  });
  try {
    const factory = runInContext(`(function (exports, require, module) {\n${input.code}\n})`, context, { filename: "script.js" }) as (exports: unknown, require: unknown, module: unknown) => void;
    factory(exports, modules.require, module);
  } catch (error) {
    return output({ initError: (error as Error).stack ?? String(error) });
  }
  const moduleExports = module.exports as Record<string, unknown>;
  const functions = Object.keys(moduleExports).filter((name) => typeof moduleExports[name] === "function");
  // Plain data: functions and other non-JSON values are not k6 options anyway.
  const options = moduleExports.options === undefined ? undefined : (JSON.parse(JSON.stringify(moduleExports.options)) as unknown);
  const scenarios = (options as { scenarios?: Record<string, { exec?: string; executor?: string }> } | undefined)?.scenarios ?? {};
  const scenario = input.scenario ?? Object.keys(scenarios)[0] ?? "default";
  const exec = scenarios[scenario]?.exec ?? "default";
  state.scenario = scenario;
  state.executor = scenarios[scenario]?.executor ?? "per-vu-iterations";
  state.vu = 1;
  const body = moduleExports[exec];
  if (typeof body !== "function") return output({ options, exports: functions, scenario, exec, initError: `the script exports no function "${exec}"` });
  const iterationErrors: string[] = [];
  const started = performance.now();
  for (let iteration = 0; iteration < input.iterations; iteration++) {
    state.iterationInTest = iteration;
    state.iterationInScenario = iteration;
    context.__VU = 1;
    context.__ITER = iteration;
    const start = performance.now();
    try {
      (body as () => void)();
    } catch (error) {
      iterationErrors.push(`iteration ${iteration}: ${(error as Error).message}`);
    }
    samples.push({ metric: "iterations", value: 1, tags: { scenario } });
    samples.push({ metric: "iteration_duration", value: performance.now() - start, tags: { scenario } });
  }
  return output({ options, exports: functions, scenario, exec, iterationErrors, durationSeconds: (performance.now() - started) / 1000 });
}

parentPort!.postMessage(run(workerData as WorkerInput));
