/**
 * `turnpike slo run`: the API's load test run locally against a running gateway with
 * autocannon (the requests of the k6 script, from the same model), then each SLO objective
 * against what was achieved. Exit code 0 when every measured objective holds, 1 on a breach,
 * 2 on a usage error (unknown API or profile, missing credentials, unreachable gateway).
 */
import { compileManifest } from "../../constructs/index";
import type { GatewayConfig } from "../../constructs/manifest/schema";
import { type LoadCredentials, missingCredentials, runLoad } from "../../loadtests/runner/autocannon-load";
import { progressBar } from "../../loadtests/runner/progress-bar";
import { type Achieved, type ObjectiveVerdict, achieved, verdicts } from "../../loadtests/runner/slo-verdict";
import { PROFILE_NAMES, type ProfileName, profilePlateau } from "../../loadtests/scenario/profiles";
import { type LoadTestModel, ScenarioError, apisWithSlos, loadTestModel } from "../../loadtests/scenario/scenario-model";
import { formatDiagnostics, summarize } from "../format-diagnostics";
import { loadPlatform } from "../load-app";
import type { Output } from "../output";
import type { Project } from "../project";

export interface SloRunOptions {
  /** API id; every API with an SLO when absent. */
  readonly api?: string;
  /** @default "smoke" */
  readonly profile?: string;
  /** Seconds per API; the profile's plateau when absent. */
  readonly duration?: string;
  /** @default "http://127.0.0.1:8080" (where `turnpike dev` listens) */
  readonly url?: string;
  /** API key; TURNPIKE_API_KEY when absent. */
  readonly key?: string;
  /** JWT; TURNPIKE_TOKEN when absent. */
  readonly token?: string;
  readonly json: boolean;
}

/** One API's run, as `--json` prints it. */
export interface SloRunResult {
  readonly api: string;
  readonly profile: ProfileName;
  readonly targetRps: number;
  readonly durationSeconds: number;
  readonly achieved: Achieved;
  readonly objectives: ObjectiveVerdict[];
  readonly passed: boolean;
}

/** Connections are capped: beyond this, a local run measures the load generator more than the gateway. */
const MAX_CONNECTIONS = 100;

export async function sloRunCommand(project: Project, options: SloRunOptions, output: Output, environment: NodeJS.ProcessEnv = process.env): Promise<number> {
  const usage = (message: string) => {
    output.stderr(`${output.paint(["bold", "red"], "error")} ${message}\n`);
    return 2;
  };
  const profile = (options.profile ?? "smoke") as ProfileName;
  if (!PROFILE_NAMES.includes(profile)) return usage(`--profile is one of ${PROFILE_NAMES.join(", ")}, got "${options.profile}"`);
  const seconds = options.duration === undefined ? undefined : Number(options.duration);
  if (seconds !== undefined && !(Number.isInteger(seconds) && seconds >= 1)) return usage(`--duration is a whole number of seconds ≥ 1, got "${options.duration}"`);
  const url = (options.url ?? "http://127.0.0.1:8080").replace(/\/+$/, "");
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) return usage(`--url is the gateway's http(s) base URL, got "${options.url}"`);

  const compiled = await compileManifest(await loadPlatform(project));
  if (!compiled.manifest) {
    output.stderr(`${formatDiagnostics(compiled.diagnostics, { color: output.color })}\n\n${output.paint(["bold", "red"], "✖")} ${summarize(compiled.diagnostics)}\n`);
    return 1;
  }
  let models: LoadTestModel[];
  try {
    models = modelsToRun(compiled.manifest, options.api);
  } catch (error) {
    if (error instanceof ScenarioError) return usage(error.message);
    throw error;
  }
  const credentials: LoadCredentials = { apiKey: options.key ?? environment.TURNPIKE_API_KEY, token: options.token ?? environment.TURNPIKE_TOKEN };
  for (const model of models) {
    const missing = missingCredentials(model, credentials);
    if (missing.length > 0) return usage(`${model.api}'s requests need ${missing.join(" and ")}`);
  }
  const unreachable = await reachability(url);
  if (unreachable !== null) return usage(`cannot reach the gateway at ${url} (${unreachable}); start it with \`turnpike dev\` or pass --url`);

  const results: SloRunResult[] = [];
  for (const model of models) {
    const plateau = profilePlateau(profile, model.targetRps);
    const durationSeconds = seconds ?? plateau.seconds;
    const showProgress = !options.json && output.interactive === true;
    if (!options.json) output.stderr(`${model.api}: profile ${profile}, ${plateau.rps} req/s for ${durationSeconds} s against ${url}\n`);
    const run = await runLoad(model, {
      url,
      rps: plateau.rps,
      seconds: durationSeconds,
      connections: Math.min(MAX_CONNECTIONS, model.profiles[profile].preAllocatedVUs),
      credentials,
      onProgress: showProgress ? (elapsed, responses) => output.stderr(`\r${progressBar(elapsed, durationSeconds, responses)}`) : undefined,
    });
    if (showProgress) output.stderr("\r\u001b[2K");
    const objectives = verdicts(model.thresholds, run, plateau.rps);
    results.push({ api: model.api, profile, targetRps: plateau.rps, durationSeconds: run.durationSeconds, achieved: achieved(run), objectives, passed: objectives.every((objective) => objective.passed !== false) });
  }
  const passed = results.every((result) => result.passed);
  if (options.json) output.stdout(`${JSON.stringify({ ok: passed, url, profile, runs: results }, null, 2)}\n`);
  else output.stdout(results.map((result) => formatRun(result, output)).join("\n"));
  return passed ? 0 : 1;
}

function modelsToRun(manifest: GatewayConfig, api: string | undefined): LoadTestModel[] {
  if (api !== undefined) return [loadTestModel(manifest, api)];
  const apis = apisWithSlos(manifest);
  if (apis.length === 0) throw new ScenarioError("the declaration has no SLO: declare one (an Api's `slo` prop or `new Slo(...)`) to run it");
  return apis.map((entry) => loadTestModel(manifest, entry.id));
}

/** Null when something answers HTTP at `url`, else why not. */
async function reachability(url: string): Promise<string | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await response.body?.cancel();
    return null;
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? (error as Error).message;
  }
}

const number = (value: number | null, digits = 1) => (value === null ? "–" : value.toFixed(digits));

function formatAchieved(verdict: ObjectiveVerdict): string {
  if (verdict.achieved === null) return "–";
  if (verdict.unit === "ms") return `${number(verdict.achieved)} ms`;
  if (verdict.unit === "req/s") return `${number(verdict.achieved)} req/s`;
  return `${number(verdict.achieved * 100, 3)} %`;
}

function formatRun(result: SloRunResult, output: Output): string {
  const { achieved: run } = result;
  const summary = `  ${run.requests} requests in ${number(result.durationSeconds)} s: ${number(run.throughputRps)} req/s, p50 ${number(run.p50Ms)} ms, p95 ${number(run.p95Ms)} ms, p99 ${number(run.p99Ms)} ms, errors ${number(run.errorRatePercent, 2)} % (5xx or no answer ${number(run.serverErrorPercent, 2)} %)\n`;
  const rows = [
    ["SLO", "objective", "threshold", "achieved", "result"],
    ...result.objectives.map((verdict) => [
      verdict.operations.length > 0 ? `${verdict.slo} (${verdict.operations.join(", ")})` : verdict.slo,
      `${verdict.objective} ${verdict.declared}`,
      verdict.threshold,
      formatAchieved(verdict),
      verdict.passed === null ? `n/a: ${verdict.note}` : verdict.passed ? "pass" : "FAIL",
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row, index) => {
    const text = `  ${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join("  ")}`;
    if (index === 0) return output.paint("dim", text);
    return row.at(-1) === "FAIL" ? output.paint("red", text) : text;
  });
  const failed = result.objectives.filter((verdict) => verdict.passed === false).length;
  const verdict = failed === 0 ? `${output.paint("green", "✔")} ${result.api}: every measured objective met` : `${output.paint(["bold", "red"], "✖")} ${result.api}: ${failed} objective${failed === 1 ? "" : "s"} missed`;
  return `${result.api} (${result.profile}, ${result.targetRps} req/s)\n${summary}\n${lines.join("\n")}\n\n${verdict}\n`;
}
