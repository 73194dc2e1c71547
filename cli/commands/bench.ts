/** `turnpike bench`: the benchmark suites; results go into BENCHMARKS.md by hand, with this command. */
import { cpus } from "node:os";
import { runCompileBench } from "../bench/compile-bench";
import type { Output } from "../output";

export const BENCH_SUITES = ["compile"] as const;

export async function benchCommand(suites: readonly string[], options: { json: boolean }, output: Output): Promise<number> {
  const selected = suites.length ? suites : BENCH_SUITES;
  const unknown = selected.filter((suite) => !(BENCH_SUITES as readonly string[]).includes(suite));
  if (unknown.length) {
    output.stderr(`unknown benchmark suite(s): ${unknown.join(", ")}; available: ${BENCH_SUITES.join(", ")}\n`);
    return 2;
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, Node ${process.version}`;
  const results: Record<string, unknown> = { machine };
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
  if (options.json) output.stdout(`${JSON.stringify(results, null, 2)}\n`);
  return 0;
}
