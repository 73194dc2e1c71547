/**
 * What hot reloads of a large manifest do to a worker's memory under load, and what V8's
 * young generation costs and saves: a 1,000-route manifest, the full chain (apiKey +
 * rateLimit + metrics + access log), one worker, wrk -t2 -c64 for the whole run while the
 * gateway is sent SIGHUP at even intervals (each reload reads, validates and compiles the
 * manifest again, as a rotated Secret file or a changed manifest would make it do).
 *
 * Each run is a gateway process of its own, so its peak RSS (VmHWM) is the run's own, start
 * included. The variants (Node flags added to the image's) alternate run by run, the reload
 * counts inside each, every round; medians reported, and the throughput of each variant
 * against the first (V8's defaults) as the median of the per-round ratios, since the host's
 * speed moves between rounds more than the variants differ.
 */
import { createReadStream, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { GATEWAY_BUNDLE, buildGateway } from "../../gateway-image/build";
import { BenchSession, getOnce } from "./bench-session";
import { median } from "./gateway-bench";
import { BENCH_KEY_ENV, BENCH_KEY_HEADER, benchApiKey, benchManifest } from "./bench-declaration";
import { NGINX, UPSTREAM_BODY, startTurnpike, startUpstream } from "./peers";
import { peakRssBytes, rssBytes } from "./process-stats";
import { WRK, runWrk } from "./wrk";

export interface ReloadMemoryVariant {
  readonly name: string;
  readonly label: string;
  /** Node flags added after the image's own (GATEWAY_NODE_FLAGS). */
  readonly nodeFlags: readonly string[];
}

/** The first is the baseline the others are compared with. */
export const RELOAD_MEMORY_VARIANTS: readonly ReloadMemoryVariant[] = [
  { name: "v8-default", label: "V8's young generation (16 MiB semi-spaces)", nodeFlags: [] },
  { name: "semi-space-8", label: "`--max-semi-space-size=8`", nodeFlags: ["--max-semi-space-size=8"] },
];

export interface ReloadMemoryBenchOptions {
  /** Seconds of load per run, the reloads inside it. @default 24 */
  readonly durationSeconds?: number;
  /** Rounds of all runs. @default 3 */
  readonly rounds?: number;
  /** Reload counts measured, each a run of its own. @default [0, 3] */
  readonly reloadCounts?: readonly number[];
  /** Resources of the contract (5 operations each). @default 200 (1,000 routes) */
  readonly resources?: number;
  /** Seconds of load before the measured run (JIT, pools), in the same process. @default 2 */
  readonly warmupSeconds?: number;
  readonly variants?: readonly ReloadMemoryVariant[];
  /** wrk connections, and threads (2, or 1 below 2 connections). @default 64 */
  readonly connections?: number;
  readonly progress?: (line: string) => void;
}

export interface ReloadMemoryRun {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  /** VmHWM of the process, start included, bytes. */
  readonly peakRssBytes: number;
  /** VmRSS when the load ended, bytes. */
  readonly rssAfterBytes: number;
  readonly reloads: number;
  /** Pauses of the full collections after the reloads, ms. */
  readonly collectionPausesMs: number[];
  /** The heap in use right after each of those collections, MiB: what the worker keeps live (its snapshot included). */
  readonly liveHeapMiB: number[];
  readonly errors: number;
}

export interface ReloadMemoryRow {
  readonly variant: ReloadMemoryVariant;
  readonly reloads: number;
  readonly runs: ReloadMemoryRun[];
  readonly requestsPerSecond: number;
  /** Median over rounds of this run's requests/s over the baseline variant's with the same reloads. */
  readonly ratioToBaseline: number;
  readonly p99Ms: number;
  readonly peakRssBytes: number;
  readonly maxPeakRssBytes: number;
  readonly rssAfterBytes: number;
  readonly collectionPauseMs: number | null;
  /** Median of the runs' live heap after a collection, MiB; null without reloads. */
  readonly liveHeapMiB: number | null;
}

export interface ReloadMemoryBenchResult {
  readonly durationSeconds: number;
  readonly rounds: number;
  readonly routes: number;
  readonly manifestBytes: number;
  readonly wrkCommand: string;
  readonly config: string;
  readonly rows: ReloadMemoryRow[];
}

export async function runReloadMemoryBench(options: ReloadMemoryBenchOptions = {}): Promise<ReloadMemoryBenchResult> {
  const durationSeconds = options.durationSeconds ?? 24;
  const rounds = options.rounds ?? 3;
  const reloadCounts = options.reloadCounts ?? [0, 3];
  const variants = options.variants ?? RELOAD_MEMORY_VARIANTS;
  const progress = options.progress ?? (() => undefined);
  const connections = options.connections ?? 64;
  const threads = Math.min(2, connections);
  if (process.platform !== "linux") throw new Error("the reload-memory benchmark reads /proc: Linux only");
  const missing = [WRK, NGINX].filter((file) => !existsSync(file));
  if (missing.length) throw new Error(`not installed: ${missing.join(", ")}`);

  const session = new BenchSession("reload-memory-bench", progress);
  try {
    progress(`building the gateway bundle (${GATEWAY_BUNDLE})`);
    await buildGateway();
    session.checkInterrupted();
    const upstream = await startUpstream(session.processes, session.dir);
    const apiKey = benchApiKey();
    const compiled = await benchManifest({ resources: options.resources ?? 200, policies: "full", upstreamUrl: upstream.baseUrl, rootDir: session.dir });
    mkdirSync(join(session.dir, "manifest"), { recursive: true });
    const manifestFile = join(session.dir, "manifest", "manifest.json");
    writeFileSync(manifestFile, compiled.json);
    const headers = { [BENCH_KEY_HEADER]: apiKey };

    let wrkCommand = "";
    let config = "";
    const measure = async (variant: ReloadMemoryVariant, reloads: number, round: number): Promise<ReloadMemoryRun> => {
      session.checkInterrupted();
      const name = `${variant.name}-${reloads}-reloads-round-${round}`;
      const service = await startTurnpike(session.processes, { name, bundle: GATEWAY_BUNDLE, manifestFile, workers: 1, accessLog: true, env: { [BENCH_KEY_ENV]: apiKey }, nodeFlags: variant.nodeFlags });
      if (variant === variants[0]) config = service.config;
      try {
        const url = `${service.baseUrl}${compiled.path}`;
        const answer = await getOnce(url, headers);
        if (answer.status !== 200 || answer.body !== UPSTREAM_BODY) throw new Error(`${name}: GET ${url} answered ${answer.status} ${answer.body.slice(0, 300)}\n${service.process.outputTail()}`);
        if (options.warmupSeconds !== 0) await runWrk({ url, threads, connections, durationSeconds: options.warmupSeconds ?? 2, headers }, session.signal);
        const pid = service.process.pid;
        // Evenly inside the run: with 3 reloads in 24 s, at 6, 12 and 18 s.
        const timers = Array.from({ length: reloads }, (_, index) => setTimeout(() => process.kill(pid, "SIGHUP"), ((index + 1) * durationSeconds * 1000) / (reloads + 1)));
        const wrk = await runWrk({ url, threads, connections, durationSeconds, headers }, session.signal).finally(() => timers.forEach(clearTimeout));
        wrkCommand = wrk.command;
        session.checkInterrupted();
        if (!service.process.running) throw new Error(`${name} exited during the run\n${service.process.outputTail()}`);
        const peak = peakRssBytes(pid) ?? 0;
        const after = rssBytes(pid) ?? 0;
        // The last collection runs a second after the last reload, after the load ended.
        if (reloads > 0) await service.process.waitForLine((line) => line.msg === "collected the previous manifest's memory", 10_000, "collection after the last reload");
        const events = await eventLines(service.process.stdoutFile, ["manifest reloaded", "collected the previous manifest's memory", "manifest rejected; still serving the previous one"]);
        const collections = events.filter((line) => line.msg === "collected the previous manifest's memory");
        const rejected = events.filter((line) => line.msg === "manifest rejected; still serving the previous one");
        if (rejected.length) throw new Error(`${name}: a reload was rejected: ${JSON.stringify(rejected[0])}`);
        return {
          requestsPerSecond: wrk.requestsPerSecond,
          p99Ms: wrk.latencyMs.p99,
          peakRssBytes: peak,
          rssAfterBytes: after,
          reloads: events.filter((line) => line.msg === "manifest reloaded").length,
          collectionPausesMs: collections.map((line) => Number(line.pauseMs)),
          liveHeapMiB: collections.map((line) => Number((line.heapUsedMiB as { after: number }).after)),
          errors: wrk.errors,
        };
      } finally {
        await service.process.stop();
      }
    };

    const samples = new Map<string, ReloadMemoryRun[]>();
    const key = (variant: ReloadMemoryVariant, reloads: number) => `${variant.name}/${reloads}`;
    for (let round = 1; round <= rounds; round++) {
      for (const reloads of reloadCounts) {
        for (const variant of variants) {
          const run = await measure(variant, reloads, round);
          samples.set(key(variant, reloads), [...(samples.get(key(variant, reloads)) ?? []), run]);
          progress(
            `round ${round} ${variant.name}, ${reloads} reloads: ${Math.round(run.requestsPerSecond)} requests/s, p99 ${run.p99Ms.toFixed(2)} ms, ` +
              `peak ${(run.peakRssBytes / MiB).toFixed(1)} MiB, after ${(run.rssAfterBytes / MiB).toFixed(1)} MiB, ${run.reloads} reloaded, collections ${run.collectionPausesMs.map((pause) => `${pause} ms`).join(" ") || "none"}${run.liveHeapMiB.length ? `, live heap after ${run.liveHeapMiB.map((heap) => `${heap} MiB`).join(" ")}` : ""}`,
          );
          if (run.reloads !== reloads) throw new Error(`${variant.name}: ${run.reloads} reloads logged, ${reloads} sent`);
        }
      }
    }

    const rows = reloadCounts.flatMap((reloads) =>
      variants.map((variant): ReloadMemoryRow => {
        const runs = samples.get(key(variant, reloads))!;
        const baseline = samples.get(key(variants[0]!, reloads))!;
        const pauses = runs.flatMap((run) => run.collectionPausesMs);
        const liveHeaps = runs.flatMap((run) => run.liveHeapMiB);
        return {
          variant,
          reloads,
          runs,
          requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
          ratioToBaseline: median(runs.map((run, index) => run.requestsPerSecond / baseline[index]!.requestsPerSecond)),
          p99Ms: median(runs.map((run) => run.p99Ms)),
          peakRssBytes: median(runs.map((run) => run.peakRssBytes)),
          maxPeakRssBytes: Math.max(...runs.map((run) => run.peakRssBytes)),
          rssAfterBytes: median(runs.map((run) => run.rssAfterBytes)),
          collectionPauseMs: pauses.length ? median(pauses) : null,
          liveHeapMiB: liveHeaps.length ? median(liveHeaps) : null,
        };
      }),
    );
    return { durationSeconds, rounds, routes: compiled.operations, manifestBytes: Buffer.byteLength(compiled.json), wrkCommand, config, rows };
  } catch (error) {
    throw session.failure(error);
  } finally {
    await session.close();
  }
}

const MiB = 1024 * 1024;

/** The gateway's event lines with these messages, read from its stdout file (access lines are skipped unparsed). */
async function eventLines(file: string, messages: readonly string[]): Promise<Record<string, unknown>[]> {
  const needles = messages.map((message) => `"msg":${JSON.stringify(message)}`);
  const found: Record<string, unknown>[] = [];
  const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity });
  for await (const line of lines) if (needles.some((needle) => line.includes(needle))) found.push(JSON.parse(line) as Record<string, unknown>);
  return found;
}

/** The report: one row per variant and reload count. */
export function formatReloadMemoryBench(result: ReloadMemoryBenchResult, machine: string, command: string): string {
  const rows = result.rows.map((row) => {
    const baseline = row.variant === result.rows.find((candidate) => candidate.reloads === row.reloads)!.variant;
    return (
      `| ${row.variant.label} | ${row.reloads} | ${Math.round(row.requestsPerSecond)} (${row.runs.map((run) => Math.round(run.requestsPerSecond)).join(", ")}) | ${baseline ? "1" : row.ratioToBaseline.toFixed(3)} | ` +
      `${row.p99Ms.toFixed(2)} ms | ${(row.peakRssBytes / MiB).toFixed(0)} MiB (${row.runs.map((run) => (run.peakRssBytes / MiB).toFixed(0)).join(", ")}) | ${(row.rssAfterBytes / MiB).toFixed(0)} MiB | ${row.collectionPauseMs === null ? "" : `${row.collectionPauseMs.toFixed(1)} ms`} | ${row.liveHeapMiB === null ? "" : `${row.liveHeapMiB.toFixed(1)} MiB`} |`
    );
  });
  return (
    `reload memory (${machine}): ${result.routes} routes (manifest ${(result.manifestBytes / MiB).toFixed(1)} MiB), the full chain, 1 worker, a gateway process per run; ${result.rounds} rounds of ${result.durationSeconds} s runs, SIGHUP at even intervals inside each; medians\n` +
    `command: \`${command}\`; each run: \`${result.wrkCommand.replace(/-H '[^']*' /, "-H 'X-API-Key: …' ")}\`\n` +
    `gateway: \`${result.config.replace(/\S*manifest\.json/, "<manifest>")}\` (plus each variant's flags)\n\n` +
    `| young generation | reloads | requests/s (rounds) | vs V8's default (median of rounds) | p99 | peak RSS, VmHWM (rounds) | RSS after | collection pause after a reload (median) | heap live after it (median) |\n|---|---|---|---|---|---|---|---|---|\n` +
    `${rows.join("\n")}\n`
  );
}
