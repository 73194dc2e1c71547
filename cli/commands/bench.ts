/** `turnpike bench`: the benchmark suites; results go into BENCHMARKS.md by hand, with this command. */
import { cpus } from "node:os";
import { relative } from "node:path";
import { runCompileBench } from "../bench/compile-bench";
import { runFirstCallBench } from "../bench/first-call-bench";
import { formatMaskingBench, runMaskingBench } from "../bench/masking-bench";
import { runPortalSearchBench } from "../bench/portal-search-bench";
import { Interrupted } from "../bench/bench-session";
import { FAILURE_SCENARIOS, formatFailurePathsBench, runFailurePathsBench } from "../bench/failure-paths-bench";
import { formatGatewayBench, runGatewayBench, selectContenders } from "../bench/gateway-bench";
import { formatReloadMemoryBench, runReloadMemoryBench } from "../bench/reload-memory-bench";
import { formatTracingBench, runTracingBench } from "../bench/tracing-bench";
import { commandLine } from "../bench/wrk";
import type { Output } from "../output";

export const BENCH_SUITES = ["compile", "first-call", "portal-search", "masking", "gateway", "failure-paths", "tracing", "reload-memory"] as const;

export interface BenchOptions {
  readonly json: boolean;
  /** gateway: seconds per wrk run (default 10). */
  readonly duration?: string;
  /** gateway: rounds of all contenders (default 3). */
  readonly rounds?: string;
  /** gateway: wrk connection counts, comma-separated (default 64,16). */
  readonly connections?: string;
  /** gateway: contenders to run, comma-separated names or patterns with * (default all). */
  readonly only?: string;
  /** gateway: back-to-back pairs per throughput target, 0 for none (default 6). */
  readonly pairs?: string;
  /** tracing: requests per second of the open loop (default 3000). */
  readonly rate?: string;
}

export async function benchCommand(suites: readonly string[], options: BenchOptions, output: Output): Promise<number> {
  const selected = suites.length ? suites : BENCH_SUITES;
  const unknown = selected.filter((suite) => !(BENCH_SUITES as readonly string[]).includes(suite));
  if (unknown.length) {
    output.stderr(`unknown benchmark suite(s): ${unknown.join(", ")}; available: ${BENCH_SUITES.join(", ")}\n`);
    return 2;
  }
  const duration = Number(options.duration ?? 10);
  const rounds = Number(options.rounds ?? 3);
  const connections = (options.connections ?? "64,16").split(",").map((count) => Number(count.trim()));
  const only = options.only === undefined ? [] : options.only.split(",").map((name) => name.trim()).filter(Boolean);
  const pairs = Number(options.pairs ?? 6);
  if (!(duration >= 1) || !Number.isInteger(duration) || !Number.isInteger(rounds) || rounds < 1 || connections.some((count) => !Number.isInteger(count) || count < 2) || !Number.isInteger(pairs) || pairs < 0) {
    output.stderr("--duration and --rounds are whole numbers ≥ 1 (seconds, rounds); --connections a comma-separated list of whole numbers ≥ 2; --pairs a whole number ≥ 0\n");
    return 2;
  }
  const rate = Number(options.rate ?? 3000);
  if (!(rate > 0) || !Number.isFinite(rate)) {
    output.stderr("--rate is a number of requests per second > 0\n");
    return 2;
  }
  // --only names gateway contenders or failure-path scenarios; each suite takes its own.
  const scenarioNames = new Set(FAILURE_SCENARIOS.map((scenario) => scenario.name));
  const onlyScenarios = only.filter((name) => scenarioNames.has(name));
  const onlyContenders = only.filter((name) => !scenarioNames.has(name));
  if (selected.includes("gateway")) {
    try {
      selectContenders(onlyContenders);
    } catch (error) {
      output.stderr(`${(error as Error).message}\n`);
      return 2;
    }
  }
  const script = process.argv[1] ? relative(process.cwd(), process.argv[1]) || process.argv[1] : "cli/bin/turnpike.js";
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, Node ${process.version}`;
  const results: Record<string, unknown> = { machine };
  const command = commandLine("node", [script, ...process.argv.slice(2)]);
  // Given on the command line, or left to each suite's own defaults.
  const given = { durationSeconds: options.duration === undefined ? undefined : duration, rounds: options.rounds === undefined ? undefined : rounds };
  const progressOf = (suite: string) => (line: string) => output.stderr(`${output.paint("dim", `[bench ${suite}]`)} ${line}\n`);
  const failed = (what: string, error: unknown): number => {
    output.stderr(`${output.paint(["bold", "red"], "error")} ${what} benchmark: ${(error as Error).message}\n`);
    return error instanceof Interrupted ? 130 : 1;
  };
  if (selected.includes("compile")) {
    const compile = await runCompileBench();
    results.compile = compile;
    if (!options.json) {
      output.stdout(
        `compile (${machine})\n` +
          `| operations | contract (YAML) | manifest | compileManifest(), first | compileManifest(), median of ${compile.warmRuns} more | \`turnpike synth\` process, median of ${compile.synthRuns} |\n` +
          `|---|---|---|---|---|---|\n` +
          `| ${compile.operations} | ${(compile.contractBytes / 1024).toFixed(0)} KiB | ${(compile.manifestBytes / 1024 / 1024).toFixed(1)} MiB | ${compile.coldMs.toFixed(0)} ms | ${compile.warmMedianMs.toFixed(0)} ms | ${compile.synthProcessMs === null ? "n/a" : `${compile.synthProcessMs.toFixed(0)} ms`} |\n`,
      );
    }
  }
  if (selected.includes("first-call")) {
    const firstCall = await runFirstCallBench({ progress: progressOf("first-call") });
    results.firstCall = firstCall;
    if (!options.json) {
      output.stdout(
        `${selected.includes("compile") ? "\n" : ""}time to first successful call (${machine}): \`${firstCall.command}\` in the project root, ${firstCall.runs.length} runs\n` +
          `| run | curl printed | first call answered 2xx | printed curl sent again |\n|---|---|---|---|\n` +
          firstCall.runs.map((run, index) => `| ${index + 1} | ${(run.curlPrintedMs / 1000).toFixed(2)} s | ${(run.firstCallMs / 1000).toFixed(2)} s | ${run.replayStatus} |`).join("\n") +
          `\n| median | | ${(firstCall.medianFirstCallMs / 1000).toFixed(2)} s (target < 5 s) | |\n`,
      );
    }
  }
  if (selected.includes("portal-search")) {
    const search = await runPortalSearchBench();
    results.portalSearch = search;
    if (!options.json) {
      output.stdout(
        `\nportal catalog search (${machine}): ${search.apis} APIs, ${search.operations} operations, index ${(search.indexBytes / 1024).toFixed(0)} KiB (${(search.indexGzipBytes / 1024).toFixed(0)} KiB gzip), loaded in ${search.loadMs.toFixed(1)} ms\n` +
          `| queries | median | p99 | max | target |\n|---|---|---|---|---|\n| ${search.queries} | ${search.medianMs.toFixed(2)} ms | ${search.p99Ms.toFixed(2)} ms | ${search.maxMs.toFixed(2)} ms | < 50 ms |\n`,
      );
    }
  }
  if (selected.includes("masking")) {
    const masking = runMaskingBench();
    results.masking = masking;
    if (!options.json) output.stdout(`\n${formatMaskingBench(masking, machine)}`);
  }
  if (selected.includes("gateway")) {
    try {
      const gateway = await runGatewayBench({
        durationSeconds: duration,
        rounds,
        connections,
        only: onlyContenders,
        pairs,
        commandLine: command,
        progress: progressOf("gateway"),
      });
      results.gateway = gateway;
      if (!options.json) output.stdout(`${selected.includes("compile") ? "\n" : ""}${formatGatewayBench(gateway, machine)}`);
    } catch (error) {
      return failed("gateway", error);
    }
  }
  if (selected.includes("failure-paths")) {
    try {
      // The suite's own defaults: 8 s, 2 rounds.
      const failures = await runFailurePathsBench({ ...given, only: onlyScenarios, progress: progressOf("failure-paths") });
      results.failurePaths = failures;
      if (!options.json) output.stdout(`\n${formatFailurePathsBench(failures, machine, command)}`);
    } catch (error) {
      return failed("failure-path", error);
    }
  }
  if (selected.includes("tracing")) {
    try {
      // The suite's own default: 8 s; 3 rounds.
      const tracing = await runTracingBench({ durationSeconds: given.durationSeconds, rounds, rate, progress: progressOf("tracing") });
      results.tracing = tracing;
      if (!options.json) output.stdout(`\n${formatTracingBench(tracing, machine, command)}`);
    } catch (error) {
      return failed("tracing", error);
    }
  }
  if (selected.includes("reload-memory")) {
    try {
      // The suite's own defaults: 24 s, 3 rounds.
      const reloadMemory = await runReloadMemoryBench({ ...given, progress: progressOf("reload-memory") });
      results.reloadMemory = reloadMemory;
      if (!options.json) output.stdout(`\n${formatReloadMemoryBench(reloadMemory, machine, command)}`);
    } catch (error) {
      return failed("reload-memory", error);
    }
  }
  if (options.json) output.stdout(`${JSON.stringify(results, null, 2)}\n`);
  return 0;
}
