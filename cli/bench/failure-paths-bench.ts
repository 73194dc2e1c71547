/**
 * What the gateway costs when it says no: the full chain (apiKey + rateLimit + metrics +
 * access log, one worker) answering each kind of refusal at full load, beside the same chain
 * proxying a 200. A gateway is under the most load exactly then (a flood of bad keys, a
 * client over its limit retrying, an upstream down), and an answer it makes itself should cost
 * less than one it proxies, in CPU and in memory.
 *
 * Each scenario has a gateway process of its own, so its peak RSS (VmHWM) is its own. wrk
 * -t2 -c64 --latency (connections: an option), the scenarios alternating A B C … every round; medians reported. Each
 * gateway is asked once before and once after the runs, and must answer the scenario's status
 * with its problem type both times.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GATEWAY_BUNDLE, buildGateway } from "../../gateway-image/build";
import { BenchSession, getOnce } from "./bench-session";
import { median } from "./gateway-bench";
import { BENCH_KEY_ENV, BENCH_KEY_HEADER, benchApiKey, benchManifest } from "./bench-declaration";
import { NGINX, UPSTREAM_BODY, freePort, startTurnpike, startUpstream, type TurnpikeService } from "./peers";
import { peakRssBytes, rssBytes, treesCpuSeconds } from "./process-stats";
import { WRK, runWrk } from "./wrk";

type ManifestKind = "open" | "limited" | "refused" | "breaker";

export interface FailureScenario {
  readonly name: string;
  readonly label: string;
  readonly status: number;
  /** The problem type's last segment (`https://turnpike.dev/problems/<type>`); null for the 200. */
  readonly problem: string | null;
  readonly manifest: ManifestKind;
  /** Sends the consumer's key. */
  readonly key: boolean;
  /** Asks for a path no API serves. */
  readonly unknownPath: boolean;
}

export const FAILURE_SCENARIOS: readonly FailureScenario[] = [
  { name: "proxied-200", label: "proxied, 200 (the baseline)", status: 200, problem: null, manifest: "open", key: true, unknownPath: false },
  { name: "no-key-401", label: "no API key, 401", status: 401, problem: "unauthorized", manifest: "open", key: false, unknownPath: false },
  { name: "no-route-404", label: "no such route, 404", status: 404, problem: "not-found", manifest: "open", key: true, unknownPath: true },
  { name: "rate-limited-429", label: "over the rate limit (1/s), 429", status: 429, problem: "rate-limited", manifest: "limited", key: true, unknownPath: false },
  { name: "refused-502", label: "upstream refusing connections, 502", status: 502, problem: "bad-gateway", manifest: "refused", key: true, unknownPath: false },
  { name: "circuit-open-503", label: "upstream down, circuit breaker open, 503", status: 503, problem: "service-unavailable", manifest: "breaker", key: true, unknownPath: false },
];

export interface FailurePathsBenchOptions {
  /** Seconds per wrk run. @default 8 */
  readonly durationSeconds?: number;
  /** Rounds of all scenarios. @default 2 */
  readonly rounds?: number;
  /** Scenario names to run (the 200 baseline always runs). @default all */
  readonly only?: readonly string[];
  /** Seconds of load per gateway before the rounds (JIT, pools), not recorded. @default 2 */
  readonly warmupSeconds?: number;
  /** wrk connections, and threads (2, or 1 below 2 connections). @default 64 */
  readonly connections?: number;
  readonly progress?: (line: string) => void;
}

export interface FailureScenarioResult {
  readonly scenario: FailureScenario;
  readonly requestsPerSecondByRound: number[];
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU of the gateway per request, µs (median of rounds). */
  readonly cpuUsPerRequest: number;
  /** Answers that were not 2xx/3xx, as a share of all (median of rounds). */
  readonly refusedShare: number;
  readonly socketErrors: number;
  /** VmHWM of the gateway over the whole benchmark, bytes. */
  readonly peakRssBytes: number;
  readonly rssAfterBytes: number;
  readonly config: string;
}

export interface FailurePathsBenchResult {
  readonly durationSeconds: number;
  readonly rounds: number;
  readonly connections: number;
  readonly wrkCommand: string;
  readonly scenarios: FailureScenarioResult[];
}

/** The rate limit of the "limited" manifest: nearly every request is over it. */
const LOW_RATE_LIMIT = 1;

export async function runFailurePathsBench(options: FailurePathsBenchOptions = {}): Promise<FailurePathsBenchResult> {
  const durationSeconds = options.durationSeconds ?? 8;
  const rounds = options.rounds ?? 2;
  const progress = options.progress ?? (() => undefined);
  const connections = options.connections ?? 64;
  const threads = Math.min(2, connections);
  const unknown = (options.only ?? []).filter((name) => !FAILURE_SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(", ")}; available: ${FAILURE_SCENARIOS.map((scenario) => scenario.name).join(", ")}`);
  const scenarios = FAILURE_SCENARIOS.filter((scenario) => !options.only?.length || scenario.status === 200 || options.only.includes(scenario.name));
  if (process.platform !== "linux") throw new Error("the failure-path benchmark reads /proc: Linux only");
  const missing = [WRK, NGINX].filter((file) => !existsSync(file));
  if (missing.length) throw new Error(`not installed: ${missing.join(", ")}`);

  const session = new BenchSession("failure-paths-bench", progress);
  try {
    progress(`building the gateway bundle (${GATEWAY_BUNDLE})`);
    await buildGateway();
    session.checkInterrupted();
    const upstream = await startUpstream(session.processes, session.dir);
    // Nothing listens there: every connection attempt is refused.
    const closedPort = await freePort();
    const apiKey = benchApiKey();
    const manifestFiles = new Map<ManifestKind, { file: string; path: string }>();
    const manifestOf = async (kind: ManifestKind) => {
      let entry = manifestFiles.get(kind);
      if (entry === undefined) {
        const compiled = await benchManifest({
          resources: 2,
          policies: "full",
          upstreamUrl: kind === "refused" || kind === "breaker" ? `http://127.0.0.1:${closedPort}` : upstream.baseUrl,
          rootDir: session.dir,
          rateLimit: kind === "limited" ? LOW_RATE_LIMIT : undefined,
          circuitBreaker: kind === "breaker",
        });
        const dir = join(session.dir, "manifests", kind);
        mkdirSync(dir, { recursive: true });
        entry = { file: join(dir, "manifest.json"), path: compiled.path };
        writeFileSync(entry.file, compiled.json);
        manifestFiles.set(kind, entry);
      }
      return entry;
    };

    const running: { scenario: FailureScenario; service: TurnpikeService; url: string; headers: Record<string, string> }[] = [];
    for (const scenario of scenarios) {
      const manifest = await manifestOf(scenario.manifest);
      const service = await startTurnpike(session.processes, { name: scenario.name, bundle: GATEWAY_BUNDLE, manifestFile: manifest.file, workers: 1, accessLog: true, env: { [BENCH_KEY_ENV]: apiKey } });
      const url = `${service.baseUrl}${scenario.unknownPath ? "/no-such-api/items" : manifest.path}`;
      const headers: Record<string, string> = scenario.key ? { [BENCH_KEY_HEADER]: apiKey } : {};
      running.push({ scenario, service, url, headers });
      progress(`started ${scenario.name}: GET ${url}`);
    }

    // Asked once before the load: answers as the scenario says (the breaker opens after 5 failures).
    const check = async (entry: (typeof running)[number], when: string) => {
      let answer = await getOnce(entry.url, entry.headers);
      for (let attempt = 0; attempt < 10 && answer.status !== entry.scenario.status; attempt++) answer = await getOnce(entry.url, entry.headers);
      const type = entry.scenario.problem === null ? null : `https://turnpike.dev/problems/${entry.scenario.problem}`;
      const body = answer.body;
      const ok = answer.status === entry.scenario.status && (type === null ? body === UPSTREAM_BODY : problemTypeOf(body) === type);
      if (!ok) throw new Error(`${entry.scenario.name} (${when}): GET ${entry.url} answered ${answer.status} ${body.slice(0, 300)}, expected ${entry.scenario.status}${type ? ` ${type}` : ""}\n${entry.service.process.outputTail()}`);
    };
    for (const entry of running) await check(entry, "before the load");

    const measure = async (entry: (typeof running)[number], seconds: number) => {
      session.checkInterrupted();
      const pid = entry.service.process.pid;
      const before = treesCpuSeconds([pid]).get(pid) ?? 0;
      const wrk = await runWrk({ url: entry.url, threads, connections, durationSeconds: seconds, headers: entry.headers }, session.signal);
      const cpuSeconds = (treesCpuSeconds([pid]).get(pid) ?? 0) - before;
      session.checkInterrupted();
      if (!entry.service.process.running) throw new Error(`${entry.scenario.name} exited during the run\n${entry.service.process.outputTail()}`);
      return { wrk, cpuSeconds };
    };
    for (const entry of running) {
      const warm = await measure(entry, options.warmupSeconds ?? 2);
      progress(`warm-up ${entry.scenario.name}: ${Math.round(warm.wrk.requestsPerSecond)} requests/s`);
    }
    const samples = new Map<string, Awaited<ReturnType<typeof measure>>[]>();
    let wrkCommand = "";
    for (let round = 1; round <= rounds; round++) {
      for (const entry of running) {
        const run = await measure(entry, durationSeconds);
        wrkCommand = run.wrk.command;
        samples.set(entry.scenario.name, [...(samples.get(entry.scenario.name) ?? []), run]);
        progress(`round ${round} ${entry.scenario.name}: ${Math.round(run.wrk.requestsPerSecond)} requests/s, p99 ${run.wrk.latencyMs.p99.toFixed(2)} ms, ${run.wrk.non2xx} refused of ${run.wrk.requests}`);
      }
    }
    for (const entry of running) await check(entry, "after the load");

    const scenarioResults = running.map(({ scenario, service }): FailureScenarioResult => {
      const runs = samples.get(scenario.name)!;
      const pid = service.process.pid;
      return {
        scenario,
        requestsPerSecondByRound: runs.map((run) => run.wrk.requestsPerSecond),
        requestsPerSecond: median(runs.map((run) => run.wrk.requestsPerSecond)),
        p50Ms: median(runs.map((run) => run.wrk.latencyMs.p50)),
        p99Ms: median(runs.map((run) => run.wrk.latencyMs.p99)),
        cpuUsPerRequest: median(runs.map((run) => (run.cpuSeconds * 1e6) / Math.max(1, run.wrk.requests))),
        refusedShare: median(runs.map((run) => run.wrk.non2xx / Math.max(1, run.wrk.requests))),
        socketErrors: runs.reduce((total, run) => total + run.wrk.socketErrors.connect + run.wrk.socketErrors.read + run.wrk.socketErrors.write + run.wrk.socketErrors.timeout, 0),
        peakRssBytes: peakRssBytes(pid) ?? 0,
        rssAfterBytes: rssBytes(pid) ?? 0,
        config: service.config,
      };
    });
    return { durationSeconds, rounds, connections, wrkCommand, scenarios: scenarioResults };
  } catch (error) {
    throw session.failure(error);
  } finally {
    await session.close();
  }
}

function problemTypeOf(body: string): unknown {
  try {
    return (JSON.parse(body) as { type?: unknown }).type;
  } catch {
    return undefined;
  }
}

/** The report: one row per scenario, requests/s against the proxied 200 of the same run. */
export function formatFailurePathsBench(result: FailurePathsBenchResult, machine: string, command: string): string {
  const MiB = 1024 * 1024;
  const baseline = result.scenarios.find((entry) => entry.scenario.status === 200)!;
  const rows = result.scenarios.map((entry) => {
    const ratio = entry.requestsPerSecond / baseline.requestsPerSecond;
    return `| ${entry.scenario.label} | ${Math.round(entry.requestsPerSecond)} (${entry.requestsPerSecondByRound.map(Math.round).join(", ")}) | ${ratio.toFixed(2)} | ${entry.p50Ms.toFixed(2)} / ${entry.p99Ms.toFixed(2)} ms | ${entry.cpuUsPerRequest.toFixed(1)} µs | ${(entry.refusedShare * 100).toFixed(1)} % | ${(entry.peakRssBytes / MiB).toFixed(0)} MiB (${(entry.rssAfterBytes / MiB).toFixed(0)} after) |`;
  });
  return (
    `failure paths (${machine}): the full chain, 1 worker, each scenario a gateway of its own; ${result.rounds} rounds of ${result.durationSeconds} s, medians\n` +
    `command: \`${command}\`; each run: \`${result.wrkCommand.replace(/-H '[^']*' /, "-H 'X-API-Key: …' ")}\`\n` +
    `gateway: \`${baseline.config.replace(/\S*manifest\.json/, "<manifest>")}\`\n\n` +
    `| answer | requests/s (rounds) | vs proxied 200 | p50 / p99 | gateway CPU per request | refused | peak RSS (VmHWM) |\n|---|---|---|---|---|---|---|\n` +
    `${rows.join("\n")}\n`
  );
}
