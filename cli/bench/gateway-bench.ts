/**
 * Gateway benchmark: Turnpike (the bundle the image runs) side by side with its peers, in one
 * run, against the same upstream (nginx answering ~100 bytes of static JSON).
 *
 * - wrk -t2 -c<N> -d<s> --latency for every connection count; contenders alternate A B C …
 *   within a round, every round; medians per contender are reported.
 * - Contenders: direct to the upstream; nginx as a reverse proxy (1 and 2 workers); haproxy;
 *   fast-gateway; Turnpike with no policies; Turnpike with the full chain (apiKey + rateLimit
 *   + metrics + access log) on 10 routes, the same with the Redis store, the same on 1,000
 *   routes; each Turnpike contender with 1 and 2 workers.
 * - CPU µs per request of each proxy's process tree (/proc), RSS per Turnpike worker.
 * - p99 added over direct at half of Turnpike's peak rate: open loop (open-loop.ts: requests
 *   due at Poisson times, latency from the due time), and, for comparison with earlier runs,
 *   wrk paced with a Lua delay() (a closed loop in millisecond clumps); the open loop also at
 *   lower fractions of the peak, to show where the added p99 stays within its target.
 *
 * Every process started is stopped at the end, on errors and on Ctrl-C.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GATEWAY_BUNDLE, buildGateway } from "../../gateway-image/build";
import { BenchSession, getOnce } from "./bench-session";
import { BENCH_KEY_ENV, BENCH_KEY_HEADER, BENCH_RATE_LIMIT, benchApiKey, benchManifest } from "./bench-declaration";
import { HAPROXY, type ManagedProcess, NGINX, REDIS_SERVER, type Service, UPSTREAM_BODY, startFastGateway, startHaproxy, startNginxProxy, startRedis, startTurnpike, startUpstream } from "./peers";
import { peakRssBytes, processTree, rssBytes, treesCpuSeconds } from "./process-stats";
import { type OpenLoopResult, buildOpenLoopLoad, openLoopArgs, runOpenLoop } from "./open-loop";
import { WRK, type WrkResult, delayScript, runWrk, wrkArgs, commandLine } from "./wrk";

export interface GatewayBenchOptions {
  /** Seconds per wrk run. @default 10 */
  readonly durationSeconds?: number;
  /** Rounds of all contenders. @default 3 */
  readonly rounds?: number;
  /** wrk connection counts, each measured every round. @default [64, 16] */
  readonly connections?: readonly number[];
  /** Contender names (or patterns with *) to run; all when empty. */
  readonly only?: readonly string[];
  /**
   * Back-to-back pairs run per throughput target (the two contenders of a ratio one right
   * after the other, at c=64, half of `durationSeconds` each); 0: none. @default 6
   */
  readonly pairs?: number;
  /** Progress lines (stderr). */
  readonly progress?: (line: string) => void;
  /** The command line that ran the benchmark, for the report. */
  readonly commandLine?: string;
}

type ContenderKind = "direct" | "nginx" | "haproxy" | "fast-gateway" | "turnpike";
type TurnpikeVariant = "bare" | "bareLog" | "full" | "redis" | "routes1000" | "nodehttp";

export interface ContenderSpec {
  readonly name: string;
  readonly label: string;
  readonly kind: ContenderKind;
  readonly workers: string;
  readonly variant?: TurnpikeVariant;
}

const TURNPIKE_VARIANTS: readonly { variant: TurnpikeVariant; name: string; label: string; workers?: readonly string[] }[] = [
  { variant: "bare", name: "turnpike-bare", label: "Turnpike, no policies, no access log" },
  // Splits the full chain's cost into the access log's and the policies'.
  { variant: "bareLog", name: "turnpike-bare-log", label: "Turnpike, no policies, with the access log", workers: ["1"] },
  { variant: "full", name: "turnpike-full", label: "Turnpike full chain (apiKey + rateLimit + metrics + access log), 10 routes" },
  { variant: "redis", name: "turnpike-redis", label: "Turnpike full chain, Redis store, 10 routes" },
  { variant: "routes1000", name: "turnpike-1000", label: "Turnpike full chain, 1,000 routes" },
  // The same full chain on node:http's server (the fallback), to show what the native-parser server saves.
  { variant: "nodehttp", name: "turnpike-nodehttp", label: "Turnpike full chain on node:http's server (TURNPIKE_HTTP_SERVER=node)", workers: ["1"] },
];

/** Every contender, in the order of a round. */
export const CONTENDERS: readonly ContenderSpec[] = [
  { name: "direct", label: "direct to the upstream (nginx, static JSON)", kind: "direct", workers: "1" },
  { name: "nginx-1w", label: "nginx reverse proxy", kind: "nginx", workers: "1" },
  { name: "nginx-2w", label: "nginx reverse proxy", kind: "nginx", workers: "2" },
  { name: "haproxy", label: "haproxy (http-reuse always)", kind: "haproxy", workers: "default threads" },
  { name: "fast-gateway", label: "fast-gateway (default config)", kind: "fast-gateway", workers: "1" },
  ...TURNPIKE_VARIANTS.flatMap(({ variant, name, label, workers: counts }) =>
    (counts ?? ["1", "2"]).map((workers): ContenderSpec => ({ name: `${name}-${workers}w`, label, kind: "turnpike", workers, variant })),
  ),
];

export interface RunSample {
  readonly round: number;
  readonly connections: number;
  readonly contender: string;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly errors: number;
  readonly non2xx: number;
  /** CPU of the proxy's process tree (for "direct": of the upstream) per request, µs. */
  readonly cpuUsPerRequest: number;
  /** CPU of redis per request, µs (Redis-store contenders only). */
  readonly redisCpuUsPerRequest: number | null;
  /** CPU of the upstream per request, µs. */
  readonly upstreamCpuUsPerRequest: number;
  /** Bytes the process wrote to stdout per request (the access log), or null for peers. */
  readonly stdoutBytesPerRequest: number | null;
  /** CPU the other, idle contenders (and redis when unused) spent meanwhile, % of one core. */
  readonly idleContendersCpuPercent: number;
}

export interface ContenderSummary {
  readonly contender: string;
  readonly connections: number;
  readonly runs: number;
  readonly requestsPerSecond: number;
  readonly requestsPerSecondByRound: number[];
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuUsPerRequest: number;
  readonly redisCpuUsPerRequest: number | null;
  readonly upstreamCpuUsPerRequest: number;
  readonly errors: number;
  readonly stdoutBytesPerRequest: number | null;
}

export interface MemoryReading {
  readonly contender: string;
  /** VmRSS of each process serving traffic (Turnpike: each worker) after the runs, bytes. */
  readonly workerRssBytes: number[];
  /** VmHWM of each of those processes: the most resident memory it had during the runs, bytes. */
  readonly workerPeakRssBytes: number[];
  /** VmRSS of the cluster primary (Turnpike with 2 workers), bytes. */
  readonly primaryRssBytes: number | null;
  readonly treeRssBytes: number;
}

export interface HalfPeakRun {
  readonly contender: string;
  readonly round: number;
  /** Mean delay before each request in this run, ms. */
  readonly delayMs: number;
  /** Runs of this round set aside because their rate was off the target by more than 5 %. */
  readonly offTarget: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

export interface HalfPeakResult {
  readonly peakRequestsPerSecond: number;
  readonly peakConnections: number;
  readonly targetRequestsPerSecond: number;
  readonly connections: number;
  /** Mean delay before each request, per contender, ms. */
  readonly delayMs: { direct: number; turnpike: number };
  readonly calibration: { direct: { delayMs: number; requestsPerSecond: number }[]; turnpike: { delayMs: number; requestsPerSecond: number }[] };
  readonly runs: HalfPeakRun[];
  readonly direct: { requestsPerSecond: number; p50Ms: number; p99Ms: number };
  readonly turnpike: { requestsPerSecond: number; p50Ms: number; p99Ms: number };
  readonly addedP99Ms: number;
}

/** One open-loop run at a fixed rate. */
export interface OpenLoopRun {
  readonly contender: string;
  /** The round (1…), or 0 for a run of the ladder below half of the peak. */
  readonly round: number;
  /** The rate asked for, requests/s. */
  readonly rate: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  /** Most requests queued at once for a free connection: the contender fell behind. */
  readonly backlogMax: number;
  readonly errors: number;
  /** The contender's process tree's CPU over the run (warm-up included) per request due. */
  readonly cpuUsPerRequest: number;
  /** p99 of the generator's own lateness in sending: its share of the latency. */
  readonly sendLagP99Ms: number;
}

export interface OpenLoopHalfPeak {
  readonly peakRequestsPerSecond: number;
  readonly targetRequestsPerSecond: number;
  readonly connections: number;
  /** The generator's command for one run (URL and key left out). */
  readonly command: string;
  readonly runs: OpenLoopRun[];
  readonly direct: { p50Ms: number; p99Ms: number; p999Ms: number; cpuUsPerRequest: number };
  readonly turnpike: { p50Ms: number; p99Ms: number; p999Ms: number; cpuUsPerRequest: number };
  readonly addedP99Ms: number;
  /** Lower fractions of the peak, one run each: where the added p99 stays small. */
  readonly ladder: { fraction: number; rate: number; direct: OpenLoopRun; turnpike: OpenLoopRun; addedP99Ms: number }[];
  /**
   * The peers the issue names, each at half of its own peak, alternating with direct at the
   * same rate in the same rounds: what "p99 added at half of the peak" is for them on this host.
   */
  readonly peers: OpenLoopPeer[];
}

/** One peer's half-peak measure on the open loop. */
export interface OpenLoopPeer {
  readonly contender: string;
  /** Its own peak, requests/s (c=64 median). */
  readonly peakRequestsPerSecond: number;
  readonly targetRequestsPerSecond: number;
  readonly runs: OpenLoopRun[];
  /** Direct to the upstream at the same rate, the same rounds. */
  readonly directRuns: OpenLoopRun[];
  readonly direct: { p50Ms: number; p99Ms: number; p999Ms: number; cpuUsPerRequest: number };
  readonly peer: { p50Ms: number; p99Ms: number; p999Ms: number; cpuUsPerRequest: number };
  readonly addedP99Ms: number;
}

/** A throughput target on a / b: a ratio of at least `target`, or a loss (1 − a/b) of at most `target` %. */
export interface PairedTarget {
  /** The numerator's contender. */
  readonly a: string;
  /** The denominator's contender. */
  readonly b: string;
  readonly measure: string;
  readonly kind: "ratio" | "loss";
  readonly target: number;
  /** The loss must stay below `target` (not reach it). */
  readonly strict?: boolean;
}

/** One throughput target's ratio measured in back-to-back pairs. */
export interface PairedRatio extends PairedTarget {
  readonly connections: number;
  /** Seconds of each run. */
  readonly seconds: number;
  /** requests/s of a and b, pair by pair (the order alternates: a b, b a, …). */
  readonly pairs: { a: number; b: number }[];
  /** a / b of each pair. */
  readonly ratios: number[];
  readonly medianRatio: number;
}

export interface TargetCheck {
  readonly measure: string;
  readonly value: string;
  readonly target: string;
  /** null: not measured in this run (contender left out). */
  readonly pass: boolean | null;
}

export interface GatewayBenchResult {
  readonly date: string;
  readonly commandLine: string | null;
  readonly durationSeconds: number;
  readonly rounds: number;
  readonly connections: number[];
  readonly threads: number;
  readonly warmupSeconds: number;
  readonly versions: Record<string, string>;
  readonly upstreamBodyBytes: number;
  /** The wrk command of each connection count (URL and key left out). */
  readonly wrkCommands: string[];
  readonly requestHeader: string;
  readonly contenders: { name: string; label: string; workers: string; url: string; config: string }[];
  readonly samples: RunSample[];
  readonly summary: ContenderSummary[];
  readonly memory: MemoryReading[];
  /** wrk paced with delay(): a closed loop, kept for comparison with earlier runs. */
  readonly halfPeak: HalfPeakResult | { skipped: string };
  /** The open-loop measure at half of the peak: the one the target is checked on. */
  readonly openLoop: OpenLoopHalfPeak | { skipped: string };
  /** The throughput ratios of the targets again, each from pairs of runs back to back. */
  readonly paired: PairedRatio[];
  readonly checks: TargetCheck[];
  readonly warnings: string[];
}

interface Running {
  readonly spec: ContenderSpec;
  readonly url: string;
  /** Root of the process tree whose CPU counts. */
  readonly process: ManagedProcess;
  readonly config: string;
  readonly workerPids?: () => number[];
}

const THREADS = 2;
const HALF_PEAK_CONNECTIONS = 64;
/** Fractions of the peak the open loop also runs at, once each, after the rounds at half. */
const OPEN_LOOP_LADDER = [0.2, 0.3, 0.4];
/** Seconds of open-loop load before each measured run. */
const OPEN_LOOP_WARMUP_SECONDS = 1;
/** Peers also measured at half of their own peak on the open loop, when they run. */
const OPEN_LOOP_PEERS = ["nginx-1w", "fast-gateway"];
/**
 * The ratios the throughput targets are about (a / b), measured again in back-to-back pairs:
 * a round of all contenders takes minutes, and this host's load changes within them, so two
 * medians of rounds can compare different hosts. A pair's two runs are seconds apart.
 */
export const PAIRED_RATIOS: readonly PairedTarget[] = [
  { a: "turnpike-full-2w", b: "nginx-2w", measure: "Turnpike full chain 2 workers / nginx 2 workers", kind: "ratio", target: 0.45 },
  { a: "turnpike-full-1w", b: "fast-gateway", measure: "Turnpike full chain 1 worker / fast-gateway", kind: "ratio", target: 1.5 },
  { a: "turnpike-full-1w", b: "turnpike-bare-1w", measure: "full chain cost vs no policies, 1 worker", kind: "loss", target: 10 },
  { a: "turnpike-full-2w", b: "turnpike-bare-2w", measure: "full chain cost vs no policies, 2 workers", kind: "loss", target: 10 },
  { a: "turnpike-1000-1w", b: "turnpike-full-1w", measure: "1,000 routes vs 10 routes, 1 worker", kind: "loss", target: 5, strict: true },
  { a: "turnpike-1000-2w", b: "turnpike-full-2w", measure: "1,000 routes vs 10 routes, 2 workers", kind: "loss", target: 5, strict: true },
];
/** Connections of the back-to-back pair runs. */
const PAIRED_CONNECTIONS = 64;

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The contenders `only` selects (names or patterns with `*`); all when empty. */
export function selectContenders(only: readonly string[] | undefined): ContenderSpec[] {
  if (!only || only.length === 0) return [...CONTENDERS];
  const patterns = only.map((pattern) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`));
  const unknown = only.filter((_, index) => !CONTENDERS.some((spec) => patterns[index]!.test(spec.name)));
  if (unknown.length) throw new Error(`unknown contender(s): ${unknown.join(", ")}; contenders: ${CONTENDERS.map((spec) => spec.name).join(", ")}`);
  return CONTENDERS.filter((spec) => patterns.some((pattern) => pattern.test(spec.name)));
}

function versionOf(command: string, args: string[], pattern: RegExp): string {
  if (!existsSync(command)) return "missing";
  const run = spawnSync(command, args, { encoding: "utf8" });
  const match = pattern.exec(`${run.stdout ?? ""}${run.stderr ?? ""}`);
  return match?.[1] ?? "unknown";
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version: string }).version;
  } catch {
    return "missing";
  }
}



export async function runGatewayBench(options: GatewayBenchOptions = {}): Promise<GatewayBenchResult> {
  const durationSeconds = options.durationSeconds ?? 10;
  const rounds = options.rounds ?? 3;
  const pairCount = options.pairs ?? 6;
  const connections = [...(options.connections ?? [64, 16])];
  const progress = options.progress ?? (() => undefined);
  const selected = selectContenders(options.only);
  if (!(durationSeconds >= 1) || !Number.isInteger(rounds) || rounds < 1 || connections.length === 0 || connections.some((count) => !Number.isInteger(count) || count < THREADS)) {
    throw new Error(`bad options: --duration ≥ 1, --rounds ≥ 1, --connections a list of integers ≥ ${THREADS}`);
  }
  if (process.platform !== "linux") throw new Error("the gateway benchmark reads /proc: Linux only");
  const kinds = new Set(selected.map((spec) => spec.kind));
  const needed: [string, boolean][] = [
    [WRK, true],
    [NGINX, true],
    [HAPROXY, kinds.has("haproxy")],
    [REDIS_SERVER, selected.some((spec) => spec.variant === "redis")],
  ];
  const missing = needed.filter(([file, need]) => need && !existsSync(file)).map(([file]) => file);
  if (missing.length) throw new Error(`not installed: ${missing.join(", ")}`);

  // Node needs seconds of traffic before its JIT settles: 5 s in a full run, 2 s in short ones.
  const warmupSeconds = Math.min(5, Math.max(2, Math.round(durationSeconds / 2)));
  const versions: Record<string, string> = {
    node: process.version,
    nginx: versionOf(NGINX, ["-v"], /nginx\/(\S+)/),
    haproxy: versionOf(HAPROXY, ["-v"], /version (\S+)/),
    wrk: versionOf(WRK, ["-v"], /wrk (\S+)/),
    redis: versionOf(REDIS_SERVER, ["--version"], /v=(\S+)/),
    "fast-gateway": packageVersion("fast-gateway"),
    "fast-proxy-lite": packageVersion("fast-proxy-lite"),
    undici: packageVersion("undici"),
  };
  const warnings: string[] = [];

  const session = new BenchSession("gateway-bench", progress);
  const { dir, processes, signal: abortSignal } = session;
  const checkInterrupted = () => session.checkInterrupted();

  try {
    const apiKey = benchApiKey();
    const headers = { [BENCH_KEY_HEADER]: apiKey };

    // The bundle first: it is what every Turnpike contender runs.
    const turnpikeSpecs = selected.filter((spec) => spec.kind === "turnpike");
    if (turnpikeSpecs.length) {
      progress(`building the gateway bundle (${GATEWAY_BUNDLE})`);
      await buildGateway();
    }
    checkInterrupted();

    const upstream = await startUpstream(processes, dir);
    progress(`upstream: nginx on ${upstream.baseUrl}`);
    const upstreamCheck = await getOnce(`${upstream.baseUrl}/`, headers);
    if (upstreamCheck.status !== 200 || upstreamCheck.body !== UPSTREAM_BODY) throw new Error(`the upstream answers ${upstreamCheck.status} ${upstreamCheck.body}`);

    // Manifests: compiled once, each written to a file of its own.
    const manifests = new Map<"bare" | "full" | "routes1000", { file: string; path: string; operations: number }>();
    const manifestOf = async (kind: "bare" | "full" | "routes1000") => {
      let entry = manifests.get(kind);
      if (!entry) {
        const compiled = await benchManifest({
          resources: kind === "routes1000" ? 200 : 2,
          policies: kind === "bare" ? "none" : "full",
          upstreamUrl: upstream.baseUrl,
          rootDir: dir,
        });
        // A directory of its own: the gateway watches the manifest's directory, and the
        // benchmark's directory has the access logs being written.
        const manifestDir = join(dir, "manifests", kind);
        mkdirSync(manifestDir, { recursive: true });
        const file = join(manifestDir, "manifest.json");
        writeFileSync(file, compiled.json);
        entry = { file, path: compiled.path, operations: compiled.operations };
        manifests.set(kind, entry);
        progress(`manifest ${kind}: ${compiled.operations} operations, request GET ${compiled.path}`);
      }
      return entry;
    };
    const defaultPath = (await manifestOf("bare")).path;

    let redis: Service | null = null;
    if (selected.some((spec) => spec.variant === "redis")) {
      redis = await startRedis(processes, dir);
      progress(`redis on ${redis.baseUrl}`);
    }

    // Start every contender, and check one request through each.
    const running: Running[] = [];
    for (const spec of selected) {
      checkInterrupted();
      let entry: Running;
      switch (spec.kind) {
        case "direct":
          entry = { spec, url: `${upstream.baseUrl}${defaultPath}`, process: upstream.process, config: upstream.config };
          break;
        case "nginx": {
          const service = await startNginxProxy(processes, dir, upstream.port, Number(spec.workers));
          entry = { spec, url: `${service.baseUrl}${defaultPath}`, process: service.process, config: service.config };
          break;
        }
        case "haproxy": {
          const service = await startHaproxy(processes, dir, upstream.port);
          entry = { spec, url: `${service.baseUrl}${defaultPath}`, process: service.process, config: service.config };
          break;
        }
        case "fast-gateway": {
          const service = await startFastGateway(processes, upstream.baseUrl);
          entry = { spec, url: `${service.baseUrl}${defaultPath}`, process: service.process, config: service.config };
          break;
        }
        case "turnpike": {
          const variant = spec.variant!;
          const manifest = await manifestOf(variant === "bare" || variant === "bareLog" ? "bare" : variant === "routes1000" ? "routes1000" : "full");
          const service = await startTurnpike(processes, {
            name: spec.name,
            bundle: GATEWAY_BUNDLE,
            manifestFile: manifest.file,
            workers: Number(spec.workers),
            accessLog: variant !== "bare",
            storeUrl: variant === "redis" ? redis!.baseUrl : undefined,
            env: { [BENCH_KEY_ENV]: apiKey, ...(variant === "nodehttp" ? { TURNPIKE_HTTP_SERVER: "node" } : {}) },
          });
          entry = { spec, url: `${service.baseUrl}${manifest.path}`, process: service.process, config: service.config, workerPids: service.workerPids };
          break;
        }
      }
      const answer = await getOnce(entry.url, headers).catch((error: Error) => ({ status: 0, body: error.message }));
      if (answer.status !== 200 || answer.body !== UPSTREAM_BODY) {
        throw new Error(`${spec.name}: GET ${entry.url} answered ${answer.status} (expected 200 with the upstream's body):\n${answer.body.slice(0, 500)}\n${entry.process.outputTail()}`);
      }
      running.push(entry);
      progress(`started ${spec.name}: ${entry.url} (pid ${entry.process.pid}) — 200 OK`);
    }

    const measure = async (
      entry: Running,
      wrkConnections: number,
      seconds: number,
      script?: string,
    ): Promise<{ wrk: WrkResult; cpuSeconds: number; redisCpuSeconds: number | null; upstreamCpuSeconds: number; idleCpuSeconds: number; stdoutBytes: number }> => {
      checkInterrupted();
      if (!entry.process.running) throw new Error(`${entry.spec.name} is no longer running\n${entry.process.outputTail()}`);
      const logged = entry.spec.kind === "turnpike";
      if (logged) truncateSync(entry.process.stdoutFile, 0);
      const usesRedis = entry.spec.variant === "redis" && redis !== null;
      // The contenders not under load must stay idle; what they spend is recorded as a check.
      const idle = [...new Set(running.map((other) => other.process.pid))].filter((pid) => pid !== entry.process.pid && pid !== upstream.process.pid);
      const roots = [entry.process.pid, upstream.process.pid, ...(redis ? [redis.process.pid] : []), ...idle];
      const before = treesCpuSeconds(roots);
      const wrk = await runWrk({ url: entry.url, threads: THREADS, connections: wrkConnections, durationSeconds: seconds, headers, script }, abortSignal);
      const after = treesCpuSeconds(roots);
      const spent = (pid: number) => (after.get(pid) ?? 0) - (before.get(pid) ?? 0);
      checkInterrupted();
      if (!entry.process.running) throw new Error(`${entry.spec.name} exited during the run\n${entry.process.outputTail()}`);
      return {
        wrk,
        cpuSeconds: spent(entry.process.pid),
        redisCpuSeconds: usesRedis ? spent(redis!.process.pid) : null,
        upstreamCpuSeconds: spent(upstream.process.pid),
        idleCpuSeconds: idle.reduce((total, pid) => total + spent(pid), 0) + (!usesRedis && redis ? spent(redis.process.pid) : 0),
        stdoutBytes: logged ? entry.process.stdoutBytes() : 0,
      };
    };

    // Warm-up (JIT, connection pools), not recorded.
    const peakConnections = Math.max(...connections);
    for (const entry of running) {
      const warm = await measure(entry, peakConnections, warmupSeconds);
      progress(`warm-up ${entry.spec.name}: ${Math.round(warm.wrk.requestsPerSecond)} requests/s`);
      if (warm.wrk.errors) warnings.push(`warm-up of ${entry.spec.name}: ${warm.wrk.errors} errors`);
    }

    const samples: RunSample[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const count of connections) {
        for (const entry of running) {
          const run = await measure(entry, count, durationSeconds);
          const requests = Math.max(1, run.wrk.requests);
          const sample: RunSample = {
            round,
            connections: count,
            contender: entry.spec.name,
            requests: run.wrk.requests,
            requestsPerSecond: run.wrk.requestsPerSecond,
            p50Ms: run.wrk.latencyMs.p50,
            p90Ms: run.wrk.latencyMs.p90,
            p99Ms: run.wrk.latencyMs.p99,
            maxMs: run.wrk.latencyMs.max,
            errors: run.wrk.errors,
            non2xx: run.wrk.non2xx,
            cpuUsPerRequest: (run.cpuSeconds * 1e6) / requests,
            redisCpuUsPerRequest: run.redisCpuSeconds === null ? null : (run.redisCpuSeconds * 1e6) / requests,
            upstreamCpuUsPerRequest: (run.upstreamCpuSeconds * 1e6) / requests,
            stdoutBytesPerRequest: entry.spec.kind === "turnpike" ? run.stdoutBytes / requests : null,
            idleContendersCpuPercent: (run.idleCpuSeconds / Math.max(0.001, run.wrk.seconds)) * 100,
          };
          if (sample.idleContendersCpuPercent > 5) warnings.push(`round ${round}, c=${count}, ${entry.spec.name}: the idle contenders used ${sample.idleContendersCpuPercent.toFixed(1)} % of a core meanwhile`);
          samples.push(sample);
          if (sample.errors) warnings.push(`round ${round}, c=${count}, ${entry.spec.name}: ${sample.errors} errors (${sample.non2xx} non-2xx/3xx answers) of ${sample.requests} requests`);
          if (entry.spec.kind === "turnpike" && entry.spec.variant !== "bare" && sample.stdoutBytesPerRequest === 0) warnings.push(`round ${round}, c=${count}, ${entry.spec.name}: no access log written`);
          progress(
            `round ${round}/${rounds} c=${count} ${entry.spec.name.padEnd(18)} ${Math.round(sample.requestsPerSecond).toString().padStart(6)} requests/s  p50 ${sample.p50Ms.toFixed(2)} ms  p99 ${sample.p99Ms.toFixed(2)} ms  ${sample.cpuUsPerRequest.toFixed(1)} µs CPU/request${sample.errors ? `  ${sample.errors} ERRORS` : ""}`,
          );
        }
      }
    }

    const summary: ContenderSummary[] = [];
    for (const count of connections) {
      for (const entry of running) {
        const runs = samples.filter((sample) => sample.contender === entry.spec.name && sample.connections === count);
        const redisValues = runs.flatMap((sample) => (sample.redisCpuUsPerRequest === null ? [] : [sample.redisCpuUsPerRequest]));
        const logValues = runs.flatMap((sample) => (sample.stdoutBytesPerRequest === null ? [] : [sample.stdoutBytesPerRequest]));
        summary.push({
          contender: entry.spec.name,
          connections: count,
          runs: runs.length,
          requestsPerSecond: median(runs.map((sample) => sample.requestsPerSecond)),
          requestsPerSecondByRound: runs.map((sample) => sample.requestsPerSecond),
          p50Ms: median(runs.map((sample) => sample.p50Ms)),
          p99Ms: median(runs.map((sample) => sample.p99Ms)),
          cpuUsPerRequest: median(runs.map((sample) => sample.cpuUsPerRequest)),
          redisCpuUsPerRequest: redisValues.length ? median(redisValues) : null,
          upstreamCpuUsPerRequest: median(runs.map((sample) => sample.upstreamCpuUsPerRequest)),
          errors: runs.reduce((total, sample) => total + sample.errors, 0),
          stdoutBytesPerRequest: logValues.length ? median(logValues) : null,
        });
      }
    }

    // The targets' ratios again, from runs back to back.
    const paired: PairedRatio[] = [];
    const pairSeconds = Math.max(1, Math.round(durationSeconds / 2));
    const rateOf = async (entry: Running, index: number) => {
      const run = await measure(entry, PAIRED_CONNECTIONS, pairSeconds);
      if (run.wrk.errors) warnings.push(`pair ${index + 1}, ${entry.spec.name}: ${run.wrk.errors} errors`);
      return run.wrk.requestsPerSecond;
    };
    for (const definition of pairCount > 0 ? PAIRED_RATIOS : []) {
      const a = running.find((entry) => entry.spec.name === definition.a);
      const b = running.find((entry) => entry.spec.name === definition.b);
      if (!a || !b) continue;
      const pairs: { a: number; b: number }[] = [];
      for (let index = 0; index < pairCount; index++) {
        // The order alternates, so neither side always runs first.
        const pair = index % 2 === 0 ? { a: await rateOf(a, index), b: await rateOf(b, index) } : { b: await rateOf(b, index), a: await rateOf(a, index) };
        pairs.push(pair);
        progress(`pair ${index + 1}/${pairCount} ${definition.a} / ${definition.b}: ${Math.round(pair.a)} / ${Math.round(pair.b)} = ${(pair.a / pair.b).toFixed(3)}`);
      }
      const ratios = pairs.map((pair) => pair.a / pair.b);
      paired.push({ ...definition, connections: PAIRED_CONNECTIONS, seconds: pairSeconds, pairs, ratios, medianRatio: median(ratios) });
    }

    // p99 added over direct at half of Turnpike's peak rate: open loop (the target), then wrk paced.
    let halfPeak: HalfPeakResult | { skipped: string };
    let openLoop: OpenLoopHalfPeak | { skipped: string };
    const direct = running.find((entry) => entry.spec.name === "direct");
    const full1 = running.find((entry) => entry.spec.name === "turnpike-full-1w");
    if (!direct || !full1) {
      halfPeak = openLoop = { skipped: "needs the contenders direct and turnpike-full-1w" };
    } else {
      const peakAt = connections.includes(HALF_PEAK_CONNECTIONS) ? HALF_PEAK_CONNECTIONS : peakConnections;
      const peak = summary.find((entry) => entry.contender === full1.spec.name && entry.connections === peakAt)!.requestsPerSecond;
      let generator: string | null = null;
      try {
        generator = buildOpenLoopLoad(dir);
      } catch (error) {
        openLoop = { skipped: (error as Error).message };
        warnings.push(`open-loop half-peak measure skipped: ${(error as Error).message}`);
      }
      if (generator !== null) {
        const binary = generator;
        const runOpen = async (entry: Running, rate: number, round: number, seed: number): Promise<OpenLoopRun> => {
          checkInterrupted();
          if (!entry.process.running) throw new Error(`${entry.spec.name} is no longer running\n${entry.process.outputTail()}`);
          if (entry.spec.kind === "turnpike") truncateSync(entry.process.stdoutFile, 0);
          const before = treesCpuSeconds([entry.process.pid]);
          const result: OpenLoopResult = await runOpenLoop(binary, { url: entry.url, rate, durationSeconds, warmupSeconds: OPEN_LOOP_WARMUP_SECONDS, connections: HALF_PEAK_CONNECTIONS, headers, seed }, abortSignal);
          const cpuSeconds = (treesCpuSeconds([entry.process.pid]).get(entry.process.pid) ?? 0) - (before.get(entry.process.pid) ?? 0);
          const run: OpenLoopRun = {
            contender: entry.spec.name,
            round,
            rate,
            requestsPerSecond: result.requestsPerSecond,
            p50Ms: result.latencyMs.p50,
            p99Ms: result.latencyMs.p99,
            p999Ms: result.latencyMs.p999,
            maxMs: result.latencyMs.max,
            backlogMax: result.backlogMax,
            errors: result.errors + result.non2xx + result.timeouts,
            cpuUsPerRequest: (cpuSeconds * 1e6) / Math.max(1, result.scheduled),
            sendLagP99Ms: result.sendLagMs.p99,
          };
          if (run.errors) warnings.push(`open loop at ${Math.round(rate)}/s, ${entry.spec.name}: ${run.errors} errors`);
          progress(
            `open loop ${round ? `round ${round}/${rounds}` : "ladder"} ${entry.spec.name} at ${Math.round(rate)}/s: p50 ${run.p50Ms.toFixed(2)} ms  p99 ${run.p99Ms.toFixed(2)} ms  p99.9 ${run.p999Ms.toFixed(2)} ms  max ${run.maxMs.toFixed(1)} ms  queued ≤ ${run.backlogMax}  ${run.cpuUsPerRequest.toFixed(1)} µs CPU/request`,
          );
          return run;
        };
        const peers = OPEN_LOOP_PEERS.flatMap((name) => {
          const entry = running.find((candidate) => candidate.spec.name === name);
          const itsPeak = summary.find((candidate) => candidate.contender === name && candidate.connections === peakAt)?.requestsPerSecond;
          return entry && itsPeak ? [{ entry, peak: itsPeak }] : [];
        });
        openLoop = await measureOpenLoop({ peak, rounds, direct, turnpike: full1, peers, run: runOpen, command: commandLine("open-loop-load", openLoopArgs({ url: "<contender URL>", rate: Math.round(peak / 2), durationSeconds, warmupSeconds: OPEN_LOOP_WARMUP_SECONDS, connections: HALF_PEAK_CONNECTIONS, headers: { [BENCH_KEY_HEADER]: "<key>" } })) });
      }
      halfPeak = await measureHalfPeak({ peak, peakAt, durationSeconds, rounds, dir, progress, run: (entry, script, seconds) => measure(entry, HALF_PEAK_CONNECTIONS, seconds, script), direct, turnpike: full1 });
    }

    // Memory after the runs, and the most each worker had during them.
    const memory: MemoryReading[] = running.map((entry) => {
      const tree = processTree(entry.process.pid);
      const treeRssBytes = tree.reduce((total, pid) => total + (rssBytes(pid) ?? 0), 0);
      if (entry.workerPids) {
        const workers = entry.workerPids();
        return {
          contender: entry.spec.name,
          workerRssBytes: workers.map((pid) => rssBytes(pid) ?? 0),
          workerPeakRssBytes: workers.map((pid) => peakRssBytes(pid) ?? 0),
          primaryRssBytes: workers.includes(entry.process.pid) ? null : rssBytes(entry.process.pid),
          treeRssBytes,
        };
      }
      return { contender: entry.spec.name, workerRssBytes: [], workerPeakRssBytes: [], primaryRssBytes: null, treeRssBytes };
    });
    for (const reading of memory) {
      const expected = CONTENDERS.find((spec) => spec.name === reading.contender)!;
      if (expected.kind === "turnpike" && reading.workerRssBytes.length !== Number(expected.workers)) {
        warnings.push(`${reading.contender}: found ${reading.workerRssBytes.length} worker processes, expected ${expected.workers}`);
      }
    }

    const result: GatewayBenchResult = {
      date: new Date().toISOString(),
      commandLine: options.commandLine ?? null,
      durationSeconds,
      rounds,
      connections,
      threads: THREADS,
      warmupSeconds,
      versions,
      upstreamBodyBytes: Buffer.byteLength(UPSTREAM_BODY),
      wrkCommands: connections.map((count) => commandLine("wrk", wrkArgs({ url: "<contender URL>", threads: THREADS, connections: count, durationSeconds, headers: { [BENCH_KEY_HEADER]: "<key>" } }))),
      requestHeader: `${BENCH_KEY_HEADER}: <key>`,
      contenders: running.map((entry) => ({ name: entry.spec.name, label: entry.spec.label, workers: entry.spec.workers, url: entry.url, config: entry.config })),
      samples,
      summary,
      memory,
      halfPeak,
      openLoop: openLoop!,
      paired,
      checks: [],
      warnings,
    };
    return { ...result, checks: targetChecks(result) };
  } catch (error) {
    throw session.failure(error);
  } finally {
    await session.close();
  }
}

/**
 * Direct and Turnpike alternating at half of Turnpike's peak, open loop, with the same arrival
 * times (one seed per round), each peer in the same rounds at half of its own peak beside
 * direct at that rate; then Turnpike and direct once each at the ladder's lower fractions.
 */
async function measureOpenLoop(input: {
  peak: number;
  rounds: number;
  direct: Running;
  turnpike: Running;
  peers: { entry: Running; peak: number }[];
  command: string;
  run: (entry: Running, rate: number, round: number, seed: number) => Promise<OpenLoopRun>;
}): Promise<OpenLoopHalfPeak> {
  const target = input.peak / 2;
  const runs: OpenLoopRun[] = [];
  const peerRuns = input.peers.map(() => ({ runs: [] as OpenLoopRun[], directRuns: [] as OpenLoopRun[] }));
  for (let round = 1; round <= input.rounds; round++) {
    for (const entry of [input.direct, input.turnpike]) runs.push(await input.run(entry, target, round, round));
    for (const [index, peer] of input.peers.entries()) {
      peerRuns[index]!.directRuns.push(await input.run(input.direct, peer.peak / 2, round, round));
      peerRuns[index]!.runs.push(await input.run(peer.entry, peer.peak / 2, round, round));
    }
  }
  const medians = (mine: readonly OpenLoopRun[]) => ({ p50Ms: median(mine.map((run) => run.p50Ms)), p99Ms: median(mine.map((run) => run.p99Ms)), p999Ms: median(mine.map((run) => run.p999Ms)), cpuUsPerRequest: median(mine.map((run) => run.cpuUsPerRequest)) });
  const of = (name: string) => medians(runs.filter((run) => run.contender === name));
  const peers: OpenLoopPeer[] = input.peers.map((peer, index) => {
    const measured = peerRuns[index]!;
    const direct = medians(measured.directRuns);
    const itself = medians(measured.runs);
    return { contender: peer.entry.spec.name, peakRequestsPerSecond: peer.peak, targetRequestsPerSecond: peer.peak / 2, runs: measured.runs, directRuns: measured.directRuns, direct, peer: itself, addedP99Ms: itself.p99Ms - direct.p99Ms };
  });
  const ladder: OpenLoopHalfPeak["ladder"] = [];
  for (const fraction of OPEN_LOOP_LADDER) {
    const rate = input.peak * fraction;
    const direct = await input.run(input.direct, rate, 0, 100 + ladder.length);
    const turnpike = await input.run(input.turnpike, rate, 0, 100 + ladder.length);
    ladder.push({ fraction, rate, direct, turnpike, addedP99Ms: turnpike.p99Ms - direct.p99Ms });
  }
  const direct = of(input.direct.spec.name);
  const turnpike = of(input.turnpike.spec.name);
  return { peakRequestsPerSecond: input.peak, targetRequestsPerSecond: target, connections: HALF_PEAK_CONNECTIONS, command: input.command, runs, direct, turnpike, addedP99Ms: turnpike.p99Ms - direct.p99Ms, ladder, peers };
}

/** How far a paced run's rate may be from half of the peak and still count. */
const TARGET_RATE_TOLERANCE = 0.05;
/** Re-runs of one paced round that was off the target rate, at most. */
const MAX_OFF_TARGET_RERUNS = 2;

async function measureHalfPeak(input: {
  peak: number;
  peakAt: number;
  durationSeconds: number;
  rounds: number;
  dir: string;
  progress: (line: string) => void;
  run: (entry: Running, script: string, seconds: number) => Promise<{ wrk: WrkResult }>;
  direct: Running;
  turnpike: Running;
}): Promise<HalfPeakResult> {
  const target = input.peak / 2;
  const period = (HALF_PEAK_CONNECTIONS * 1000) / target; // ms between requests on one connection
  const scriptFor = (entry: Running, delayMs: number) => {
    const file = join(input.dir, `half-peak-${entry.spec.name}.lua`);
    writeFileSync(file, delayScript(delayMs));
    return file;
  };
  // The rate of a paced closed loop depends on the latency, and wrk's timers overshoot: the
  // delay is calibrated for each contender, so both run at about the target rate.
  const calibrationSeconds = Math.max(2, Math.min(5, Math.round(input.durationSeconds / 2)));
  const onTarget = (requestsPerSecond: number) => Math.abs(requestsPerSecond - target) / target <= TARGET_RATE_TOLERANCE;
  const corrected = (delayMs: number, requestsPerSecond: number) => Math.max(0, delayMs + period - (HALF_PEAK_CONNECTIONS * 1000) / Math.max(1, requestsPerSecond));
  const calibrate = async (entry: Running) => {
    let delayMs = Math.max(0, period - 0.3);
    const steps: { delayMs: number; requestsPerSecond: number }[] = [];
    for (let step = 0; step < 4; step++) {
      const { wrk } = await input.run(entry, scriptFor(entry, delayMs), calibrationSeconds);
      steps.push({ delayMs, requestsPerSecond: wrk.requestsPerSecond });
      input.progress(`half-peak calibration ${entry.spec.name}: delay ${delayMs.toFixed(2)} ms → ${Math.round(wrk.requestsPerSecond)} requests/s (target ${Math.round(target)})`);
      if (onTarget(wrk.requestsPerSecond)) break;
      delayMs = corrected(delayMs, wrk.requestsPerSecond);
    }
    // The step measured closest to the target: a corrected delay nobody ran is only a guess.
    const best = steps.reduce((closest, step) => (Math.abs(step.requestsPerSecond - target) < Math.abs(closest.requestsPerSecond - target) ? step : closest));
    return { entry, delayMs: best.delayMs, steps };
  };
  const paced = [await calibrate(input.direct), await calibrate(input.turnpike)];
  // The host's load moves under a long run: a round off the target rate measures another
  // rate, so it is set aside and run again with the delay corrected (at most twice); the
  // corrected delay carries on to the next rounds.
  const runs: HalfPeakRun[] = [];
  for (let round = 1; round <= input.rounds; round++) {
    for (const pacing of paced) {
      const entry = pacing.entry;
      let offTarget = 0;
      for (;;) {
        const delayMs = pacing.delayMs;
        const { wrk } = await input.run(entry, scriptFor(entry, delayMs), input.durationSeconds);
        const line = `half-peak round ${round}/${input.rounds} ${entry.spec.name}: ${Math.round(wrk.requestsPerSecond)} requests/s  p50 ${wrk.latencyMs.p50.toFixed(2)} ms  p99 ${wrk.latencyMs.p99.toFixed(2)} ms${wrk.errors ? `  ${wrk.errors} ERRORS` : ""}`;
        if (!onTarget(wrk.requestsPerSecond) && offTarget < MAX_OFF_TARGET_RERUNS) {
          offTarget++;
          pacing.delayMs = corrected(delayMs, wrk.requestsPerSecond);
          input.progress(`${line}  off the target ${Math.round(target)}: set aside, again with delay ${pacing.delayMs.toFixed(2)} ms`);
          continue;
        }
        runs.push({ contender: entry.spec.name, round, delayMs, offTarget, requestsPerSecond: wrk.requestsPerSecond, p50Ms: wrk.latencyMs.p50, p99Ms: wrk.latencyMs.p99, errors: wrk.errors });
        input.progress(line);
        break;
      }
    }
  }
  const of = (name: string) => {
    const mine = runs.filter((run) => run.contender === name);
    return { requestsPerSecond: median(mine.map((run) => run.requestsPerSecond)), p50Ms: median(mine.map((run) => run.p50Ms)), p99Ms: median(mine.map((run) => run.p99Ms)) };
  };
  const direct = of(input.direct.spec.name);
  const turnpike = of(input.turnpike.spec.name);
  return {
    peakRequestsPerSecond: input.peak,
    peakConnections: input.peakAt,
    targetRequestsPerSecond: target,
    connections: HALF_PEAK_CONNECTIONS,
    delayMs: { direct: paced[0]!.delayMs, turnpike: paced[1]!.delayMs },
    calibration: { direct: paced[0]!.steps, turnpike: paced[1]!.steps },
    runs,
    direct,
    turnpike,
    addedP99Ms: turnpike.p99Ms - direct.p99Ms,
  };
}

/** A target's verdict on a / b: the figure as shown, the target as written, and whether it is met. */
function judge(definition: PairedTarget, ratio: number): { shown: string; target: string; pass: boolean } {
  if (definition.kind === "ratio") return { shown: ratio.toFixed(2), target: `≥ ${definition.target}`, pass: ratio >= definition.target };
  const loss = (1 - ratio) * 100;
  return {
    shown: `${loss.toFixed(1)} %`,
    target: `${definition.strict ? "<" : "≤"} ${definition.target} % fewer requests/s`,
    pass: definition.strict ? loss < definition.target : loss <= definition.target,
  };
}

/** The targets of the issue, each PASS or MISS on this run's medians. */
export function targetChecks(result: Omit<GatewayBenchResult, "checks">): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const rps = (name: string, connections: number) => result.summary.find((entry) => entry.contender === name && entry.connections === connections);
  // Each target from the medians of rounds, per connection count.
  const fromRounds = (definition: PairedTarget, split = false) => {
    for (const connections of result.connections) {
      const a = rps(definition.a, connections);
      const b = rps(definition.b, connections);
      const label = `${definition.measure}, c=${connections}`;
      const judged = judge(definition, a && b ? a.requestsPerSecond / b.requestsPerSecond : Number.NaN);
      const target = split ? "(split, not a target)" : judged.target;
      if (!a || !b) {
        checks.push({ measure: label, value: "not measured", target, pass: null });
        continue;
      }
      const cpu = a.cpuUsPerRequest - b.cpuUsPerRequest;
      const detail = definition.kind === "ratio" ? `${Math.round(a.requestsPerSecond)} / ${Math.round(b.requestsPerSecond)}` : `${Math.round(a.requestsPerSecond)} vs ${Math.round(b.requestsPerSecond)}; ${cpu >= 0 ? "+" : ""}${cpu.toFixed(1)} µs CPU/request`;
      checks.push({ measure: label, value: `${judged.shown} (${detail})`, target, pass: split ? null : judged.pass });
    }
  };
  for (const definition of PAIRED_RATIOS) fromRounds(definition);
  // Not targets: where the 1-worker chain cost comes from.
  fromRounds({ a: "turnpike-bare-log-1w", b: "turnpike-bare-1w", measure: "of which the access log (no policies, with vs without it), 1 worker", kind: "loss", target: 10 }, true);
  fromRounds({ a: "turnpike-full-1w", b: "turnpike-bare-log-1w", measure: "of which apiKey + rateLimit (full chain vs no policies, both with the access log), 1 worker", kind: "loss", target: 10 }, true);
  // The same targets from back-to-back pairs: the host's load changes less within seconds than across a round.
  for (const pair of result.paired) {
    const judged = judge(pair, pair.medianRatio);
    const range = `${pair.ratios.length} pairs, ${Math.min(...pair.ratios).toFixed(3)}–${Math.max(...pair.ratios).toFixed(3)}`;
    const detail = pair.kind === "ratio" ? `median ratio; ${range}` : `median ratio ${pair.medianRatio.toFixed(3)}; ${range}`;
    checks.push({ measure: `${pair.measure}, c=${pair.connections}, back-to-back pairs`, value: `${judged.shown} (${detail})`, target: judged.target, pass: judged.pass });
  }
  for (const name of ["turnpike-full-1w", "turnpike-full-2w"]) {
    const entry = rps(name, 64);
    const measure = `p99 at c=64, ${name}`;
    if (!entry) checks.push({ measure, value: result.connections.includes(64) ? "not measured" : "not measured (c=64 not in --connections)", target: "≤ 10 ms", pass: null });
    else checks.push({ measure, value: `${entry.p99Ms.toFixed(2)} ms`, target: "≤ 10 ms", pass: entry.p99Ms <= 10 });
  }
  if ("skipped" in result.openLoop) checks.push({ measure: "p99 added over direct at half peak, open loop", value: `not measured (${result.openLoop.skipped})`, target: "≤ 2 ms", pass: null });
  else {
    const open = result.openLoop;
    checks.push({
      measure: `p99 added over direct at half peak, open loop (${Math.round(open.targetRequestsPerSecond)} requests/s, Poisson arrivals)`,
      value: `${open.addedP99Ms >= 0 ? "+" : ""}${open.addedP99Ms.toFixed(2)} ms (${open.turnpike.p99Ms.toFixed(2)} vs ${open.direct.p99Ms.toFixed(2)} ms)`,
      target: "≤ 2 ms",
      pass: open.addedP99Ms <= 2,
    });
  }
  if (!("skipped" in result.halfPeak)) {
    const half = result.halfPeak;
    checks.push({
      measure: `p99 added over direct at half peak, wrk paced with delay() (closed loop, ~${Math.round(half.targetRequestsPerSecond)} requests/s)`,
      value: `${half.addedP99Ms >= 0 ? "+" : ""}${half.addedP99Ms.toFixed(2)} ms (${half.turnpike.p99Ms.toFixed(2)} vs ${half.direct.p99Ms.toFixed(2)} ms)`,
      target: "(for comparison with earlier runs)",
      pass: null,
    });
  }
  // Judged on each worker's peak: the resting size after the load can be tens of MiB lower.
  const workers = result.memory.flatMap((reading) =>
    reading.contender.startsWith("turnpike") ? reading.workerPeakRssBytes.map((peak, index) => ({ contender: reading.contender, peak, after: reading.workerRssBytes[index] ?? 0 })) : [],
  );
  if (!workers.length) checks.push({ measure: "peak RSS per Turnpike worker (largest VmHWM)", value: "not measured", target: "< 150 MiB", pass: null });
  else {
    const largest = workers.reduce((a, b) => (b.peak > a.peak ? b : a));
    checks.push({
      measure: "peak RSS per Turnpike worker (largest VmHWM)",
      value: `${mib(largest.peak)} MiB (${largest.contender}; ${mib(largest.after)} MiB after the runs)`,
      target: "< 150 MiB",
      pass: largest.peak < 150 * 1024 * 1024,
    });
  }
  return checks;
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const thousands = (value: number) => Math.round(value).toLocaleString("en-US");
const ms = (value: number) => `${value.toFixed(2)} ms`;
const setAside = (half: HalfPeakResult, direct: boolean) => half.runs.filter((run) => (run.contender === "direct") === direct).reduce((sum, run) => sum + run.offTarget, 0);

const steps = (calibration: readonly { delayMs: number; requestsPerSecond: number }[]) =>
  calibration.map((step) => `${step.delayMs.toFixed(2)} ms → ${thousands(step.requestsPerSecond)}/s`).join(", ");

/** The report: Markdown tables ready for BENCHMARKS.md. */
export function formatGatewayBench(result: GatewayBenchResult, machine: string): string {
  const lines: string[] = [];
  const spec = (name: string) => result.contenders.find((entry) => entry.name === name)!;
  lines.push(`gateway (${machine})`, "");
  if (result.commandLine) lines.push("```sh", result.commandLine, "```", "");
  lines.push(
    `${result.date.slice(0, 10)}; ${result.rounds} round(s) of ${result.durationSeconds} s per contender and connection count, contenders alternating within each round, medians reported; ` +
      `warm-up ${result.warmupSeconds} s each, not counted. Load: wrk, ${result.threads} threads, the same request with the \`${result.requestHeader}\` header to every contender. ` +
      `Upstream: nginx, 1 worker, \`return 200\` with ${result.upstreamBodyBytes} bytes of JSON. ` +
      `Versions: ${Object.entries(result.versions).map(([name, version]) => `${name} ${version}`).join(", ")}.`,
    "",
    `Full chain: \`apiKey()\` (key in the header) + \`rateLimit({ requests: ${BENCH_RATE_LIMIT.toLocaleString("en-US")}, perSeconds: 1 })\` per consumer (nothing is rejected) + metrics (always on) + access log (JSON lines on stdout, into a file); "no policies": a contract without security, no policy, \`--no-access-log\` (\`turnpike-bare-log-1w\`: the same with the access log, to split the full chain's cost). The request goes to a route in the middle of the route table.`,
    "",
    "CPU µs/request: user + system time of the contender's process tree (all workers) from /proc, divided by requests served; for \"direct\" it is the upstream's own.",
    "",
  );
  for (const connections of result.connections) {
    const wrk = commandLine("wrk", wrkArgs({ url: "<contender URL>", threads: result.threads, connections, durationSeconds: result.durationSeconds, headers: { [BENCH_KEY_HEADER]: "<key>" } }));
    lines.push(`#### c=${connections}: \`${wrk}\``, "", "| contender | workers | requests/s | p50 | p99 | CPU µs/request | errors | requests/s by round |", "|---|---|---|---|---|---|---|---|");
    for (const entry of result.summary.filter((summary) => summary.connections === connections)) {
      const contender = spec(entry.contender);
      const cpu = `${entry.cpuUsPerRequest.toFixed(1)}${entry.redisCpuUsPerRequest === null ? "" : ` + ${entry.redisCpuUsPerRequest.toFixed(1)} redis`}`;
      lines.push(
        `| ${contender.label} | ${contender.workers} | ${thousands(entry.requestsPerSecond)} | ${ms(entry.p50Ms)} | ${ms(entry.p99Ms)} | ${cpu} | ${entry.errors} | ${entry.requestsPerSecondByRound.map(thousands).join(", ")} |`,
      );
    }
    lines.push("");
  }
  const logged = result.summary.filter((entry) => entry.connections === result.connections[0] && entry.stdoutBytesPerRequest !== null && entry.stdoutBytesPerRequest > 0);
  if (logged.length) {
    lines.push(`Gateway stdout written (the access log, c=${result.connections[0]}): ${logged.map((entry) => `${entry.contender} ${entry.stdoutBytesPerRequest!.toFixed(0)} bytes/request`).join(", ")}.`, "");
  }
  const memory = result.memory.filter((reading) => reading.contender.startsWith("turnpike"));
  if (memory.length) {
    lines.push(
      "#### Memory: each worker's peak during the runs (VmHWM) and its size after them (VmRSS)",
      "",
      "| contender | workers | peak RSS per worker | RSS per worker after | cluster primary after | whole process tree after |",
      "|---|---|---|---|---|---|",
    );
    for (const reading of memory) {
      const contender = spec(reading.contender);
      const each = (values: readonly number[]) => values.map((bytes) => `${mib(bytes)} MiB`).join(", ");
      lines.push(
        `| ${contender.label} | ${contender.workers} | ${each(reading.workerPeakRssBytes)} | ${each(reading.workerRssBytes)} | ${reading.primaryRssBytes === null ? "—" : `${mib(reading.primaryRssBytes)} MiB`} | ${mib(reading.treeRssBytes)} MiB |`,
      );
    }
    lines.push("");
  }
  if (!("skipped" in result.halfPeak)) {
    const half = result.halfPeak;
    lines.push(
      `#### Latency at half of Turnpike's peak, wrk paced (closed loop; full chain, 1 worker: ${thousands(half.peakRequestsPerSecond)} requests/s at c=${half.peakConnections} → target ${thousands(half.targetRequestsPerSecond)})`,
      "",
      `wrk -t${result.threads} -c${half.connections} -d${result.durationSeconds}s, paced with a Lua \`delay()\` before each request, calibrated per contender for the target rate ` +
        `(direct: ${steps(half.calibration.direct)}; Turnpike: ${steps(half.calibration.turnpike)}); medians of ${result.rounds} alternating run(s). ` +
        `A run more than ${TARGET_RATE_TOLERANCE * 100} % off the target rate was set aside and run again with the delay corrected, up to ${MAX_OFF_TARGET_RERUNS} times a round ` +
        `(set aside: direct ${setAside(half, true)}, Turnpike ${setAside(half, false)}; runs counted: ${half.runs.map((run) => `${run.contender === "direct" ? "direct" : "Turnpike"} ${thousands(run.requestsPerSecond)}/s at ${run.delayMs.toFixed(2)} ms`).join(", ")}).`,
      "",
      "| contender | achieved requests/s | p50 | p99 |",
      "|---|---|---|---|",
      `| direct to the upstream | ${thousands(half.direct.requestsPerSecond)} | ${ms(half.direct.p50Ms)} | ${ms(half.direct.p99Ms)} |`,
      `| Turnpike full chain, 1 worker | ${thousands(half.turnpike.requestsPerSecond)} | ${ms(half.turnpike.p50Ms)} | ${ms(half.turnpike.p99Ms)} |`,
      `| added by Turnpike | | ${ms(half.turnpike.p50Ms - half.direct.p50Ms)} | ${ms(half.addedP99Ms)} |`,
      "",
    );
  }
  if (!("skipped" in result.openLoop)) {
    const open = result.openLoop;
    const row = (label: string, run: OpenLoopRun | { p50Ms: number; p99Ms: number; p999Ms: number; cpuUsPerRequest: number }) =>
      `| ${label} | ${ms(run.p50Ms)} | ${ms(run.p99Ms)} | ${ms(run.p999Ms)} | ${"maxMs" in run ? `${run.maxMs.toFixed(1)} ms` : "—"} | ${"backlogMax" in run ? run.backlogMax : "—"} | ${run.cpuUsPerRequest.toFixed(1)} | ${"sendLagP99Ms" in run ? ms(run.sendLagP99Ms) : "—"} |`;
    lines.push(
      `#### Latency at half of Turnpike's peak, open loop (${thousands(open.targetRequestsPerSecond)} requests/s, Poisson arrivals)`,
      "",
      `\`${open.command}\` (${open.connections} keep-alive connections; ${OPEN_LOOP_WARMUP_SECONDS} s of load before each measured run): each request is due at its own time and its latency counts from then, so a contender that falls behind is charged for the queue it causes (wrk paced with \`delay()\`, above, is a closed loop and is not). ` +
        `Direct and Turnpike alternate, ${result.rounds} round(s), the same arrival times for both in a round; medians. "Queued" is the most requests that waited at once for a free connection. CPU µs/request: the contender's process tree, warm-up included. The send lag is how late the generator itself sent requests that found a free connection: its own share of the latency.`,
      "",
      "| contender | p50 | p99 | p99.9 | max | queued | CPU µs/request | generator's send lag, p99 |",
      "|---|---|---|---|---|---|---|---|",
      ...open.runs.map((run) => row(`${run.contender === "direct" ? "direct to the upstream" : "Turnpike full chain, 1 worker"}, round ${run.round}`, run)),
      row("**direct, median**", open.direct),
      row("**Turnpike, median**", open.turnpike),
      `| **added by Turnpike** | ${ms(open.turnpike.p50Ms - open.direct.p50Ms)} | ${ms(open.addedP99Ms)} | ${ms(open.turnpike.p999Ms - open.direct.p999Ms)} | | | | |`,
      "",
      "Lower rates, one run each:",
      "",
      "| rate | direct p99 | Turnpike p50 | Turnpike p99 | Turnpike p99.9 | queued | Turnpike CPU µs/request | p99 added |",
      "|---|---|---|---|---|---|---|---|",
      ...open.ladder.map(
        (step) =>
          `| ${thousands(step.rate)}/s (${Math.round(step.fraction * 100)} % of peak) | ${ms(step.direct.p99Ms)} | ${ms(step.turnpike.p50Ms)} | ${ms(step.turnpike.p99Ms)} | ${ms(step.turnpike.p999Ms)} | ${step.turnpike.backlogMax} | ${step.turnpike.cpuUsPerRequest.toFixed(1)} | ${ms(step.addedP99Ms)} |`,
      ),
      "",
    );
    if (open.peers.length) {
      lines.push(
        "The same measure for the peers, each at half of its own peak (c=64), direct at the same rate in the same rounds; medians:",
        "",
        "| contender | its peak | rate | direct p99 | its p50 | its p99 | its p99.9 | CPU µs/request | p99 added |",
        "|---|---|---|---|---|---|---|---|---|",
        `| Turnpike full chain, 1 worker | ${thousands(open.peakRequestsPerSecond)}/s | ${thousands(open.targetRequestsPerSecond)}/s | ${ms(open.direct.p99Ms)} | ${ms(open.turnpike.p50Ms)} | ${ms(open.turnpike.p99Ms)} | ${ms(open.turnpike.p999Ms)} | ${open.turnpike.cpuUsPerRequest.toFixed(1)} | ${ms(open.addedP99Ms)} |`,
        ...open.peers.map(
          (peer) =>
            `| ${spec(peer.contender).label}, ${spec(peer.contender).workers} worker(s) | ${thousands(peer.peakRequestsPerSecond)}/s | ${thousands(peer.targetRequestsPerSecond)}/s | ${ms(peer.direct.p99Ms)} | ${ms(peer.peer.p50Ms)} | ${ms(peer.peer.p99Ms)} | ${ms(peer.peer.p999Ms)} | ${peer.peer.cpuUsPerRequest.toFixed(1)} | ${ms(peer.addedP99Ms)} |`,
        ),
        "",
      );
    }
  }
  if (result.paired.length) {
    const first = result.paired[0]!;
    lines.push(
      `#### The targets' ratios from back-to-back pairs (c=${first.connections}, ${first.seconds} s each)`,
      "",
      `\`${commandLine("wrk", wrkArgs({ url: "<contender URL>", threads: result.threads, connections: first.connections, durationSeconds: first.seconds, headers: { [BENCH_KEY_HEADER]: "<key>" } }))}\`, the two contenders of a ratio one right after the other, the order alternating (a b, b a, …), after the rounds above: a round takes minutes and the host's load changes within them; a pair's runs are seconds apart. The ratio of each pair, and their median.`,
      "",
      "| a / b | requests/s, pair by pair (a / b) | ratio, pair by pair | median ratio |",
      "|---|---|---|---|",
      ...result.paired.map((pair) => `| ${pair.a} / ${pair.b} | ${pair.pairs.map((run) => `${thousands(run.a)} / ${thousands(run.b)}`).join(", ")} | ${pair.ratios.map((ratio) => ratio.toFixed(3)).join(", ")} | ${pair.medianRatio.toFixed(3)} |`),
      "",
    );
  }
  lines.push("#### Targets", "", "| measure | this run | target | result |", "|---|---|---|---|");
  for (const check of result.checks) lines.push(`| ${check.measure} | ${check.value} | ${check.target} | ${check.pass === null ? "n/a" : check.pass ? "PASS" : "**MISS**"} |`);
  lines.push("");
  if (result.warnings.length) lines.push("Warnings:", ...result.warnings.map((warning) => `- ${warning}`), "");
  lines.push("<details><summary>Contender configurations</summary>", "");
  for (const contender of result.contenders) lines.push(`**${contender.name}** (${contender.url})`, "", "```", contender.config.trim(), "```", "");
  lines.push("</details>", "");
  return `${lines.join("\n")}\n`;
}

