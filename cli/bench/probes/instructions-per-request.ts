/**
 * Instructions per request on the gateway's main thread, counted by callgrind: a measure of
 * the gateway's own work that does not move with the host's load (wall time and CPU time on
 * this 2-core VM move by 30 % from one minute to the next; these counts by about 1 %).
 * Behind the chain's cost figures of the eleventh session in BENCHMARKS.md.
 *
 *   npx tsx cli/bench/probes/instructions-per-request.ts [--bundle dist/gateway/gateway.js]
 *       [--warm 200] [--measure 20] [--connections 1] [--upstream http://127.0.0.1:18080]
 *       bare full [bare-log] [full-no-log]
 *
 * Each variant is the benchmark's declaration (bench-declaration.ts: `bare` no policy and no
 * access log, `full` apiKey + rateLimit + the access log), served by the bundle under
 * `valgrind --tool=callgrind` with one worker, all variants at once (counts do not depend on
 * timing). wrk warms it up with `--connections` connections for `--warm` seconds, then
 * callgrind counts for `--measure` seconds; the gateway's own request counter says how many
 * requests that was. V8 is started with `--interrupt-budget=8192` so that its optimizing
 * tier settles within the warm-up at the few hundred requests a second of callgrind.
 * Counts are user-space instructions: the kernel's share (system calls, the network) is not
 * in them. Needs valgrind (Debian package), wrk, and the bundle (`npm run build:gateway`).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BENCH_KEY_ENV, BENCH_KEY_HEADER, benchManifest } from "../bench-declaration";
import { UPSTREAM_BODY } from "../peers";

const VARIANTS = {
  bare: { policies: "none", accessLog: false },
  "bare-log": { policies: "none", accessLog: true },
  full: { policies: "full", accessLog: true },
  "full-no-log": { policies: "full", accessLog: false },
} as const;
type Variant = keyof typeof VARIANTS;

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1]! : fallback;
}

const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

async function requestsServed(operatorPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${operatorPort}/metrics`)).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith("turnpike_requests_total"))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

function wrk(port: number, path: string, key: string, connections: string, seconds: string): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn("wrk", ["-t1", `-c${connections}`, `-d${seconds}s`, "-H", `${BENCH_KEY_HEADER}: ${key}`, `http://127.0.0.1:${port}${path}`], { stdio: "ignore" });
    child.once("error", reject);
    child.once("exit", () => resolveRun());
  });
}

async function measure(variant: Variant, index: number, context: { bundle: string; dir: string; upstreamUrl: string; key: string; warm: string; seconds: string; connections: string }) {
  const compiled = await benchManifest({ resources: 2, policies: VARIANTS[variant].policies, upstreamUrl: context.upstreamUrl, rootDir: context.dir });
  const manifestDir = mkdtempSync(join(context.dir, `${variant}-`));
  const manifestFile = join(manifestDir, "manifest.json");
  writeFileSync(manifestFile, compiled.json);
  const port = 18_700 + index * 2;
  const operatorPort = port + 1;
  const out = join(manifestDir, "callgrind");
  const args = ["--tool=callgrind", "--smc-check=all-non-file", "--instr-atstart=no", "--separate-threads=yes", `--callgrind-out-file=${out}.%p`, process.execPath, "--interrupt-budget=8192", context.bundle];
  args.push("--manifest", manifestFile, "--port", String(port), "--operator-port", String(operatorPort), "--host", "127.0.0.1", "--workers", "1");
  if (!VARIANTS[variant].accessLog) args.push("--no-access-log");
  const gateway: ChildProcess = spawn("valgrind", args, { stdio: ["ignore", "ignore", "ignore"], env: { ...process.env, [BENCH_KEY_ENV]: context.key, LOG_LEVEL: "info" } });
  try {
    for (let tries = 0; ; tries++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}${compiled.path}`, { headers: { [BENCH_KEY_HEADER]: context.key } })).status === 200) break;
      } catch {
        // not listening yet
      }
      if (tries > 240) throw new Error(`${variant}: the gateway under valgrind did not answer in 2 minutes`);
      await sleep(500);
    }
    await wrk(port, compiled.path, context.key, context.connections, context.warm);
    const before = await requestsServed(operatorPort);
    execFileSync("callgrind_control", ["-i", "on", String(gateway.pid)], { stdio: "ignore" });
    await wrk(port, compiled.path, context.key, context.connections, context.seconds);
    execFileSync("callgrind_control", ["-i", "off", String(gateway.pid)], { stdio: "ignore" });
    const after = await requestsServed(operatorPort);
    execFileSync("callgrind_control", ["-d", String(gateway.pid)], { stdio: "ignore" });
    // The metrics scrape between the two counts is counted too: one request's worth.
    const requests = after - before - 1;
    const totals = (suffix: RegExp) =>
      readdirSync(manifestDir)
        .filter((name) => name.startsWith("callgrind.") && suffix.test(name))
        .map((name) => /^totals: (\d+)/m.exec(readFileSync(join(manifestDir, name), "utf8")))
        .reduce((sum, match) => sum + (match ? Number(match[1]) : 0), 0);
    const main = totals(/\.1-01$/);
    const all = totals(/\.1-\d+$/);
    return { variant, requests, mainThread: Math.round(main / requests), allThreads: Math.round(all / requests) };
  } finally {
    gateway.kill("SIGKILL");
  }
}

async function main(): Promise<void> {
  const variants = process.argv.slice(2).filter((arg, index, all) => !arg.startsWith("--") && !all[index - 1]?.startsWith("--")) as Variant[];
  for (const variant of variants) if (!(variant in VARIANTS)) throw new Error(`unknown variant ${variant}; one of ${Object.keys(VARIANTS).join(", ")}`);
  if (variants.length === 0) variants.push("bare", "full");
  // The benchmark's upstream (nginx, `return 200`) when given; else one in this process,
  // whose CPU then competes with the gateways' warm-up on a small host.
  let upstream: Server | null = null;
  let upstreamUrl = option("upstream", "");
  if (upstreamUrl === "") {
    const server = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(UPSTREAM_BODY));
    await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no upstream address");
    upstream = server;
    upstreamUrl = `http://127.0.0.1:${address.port}`;
  }
  const context = {
    bundle: resolve(option("bundle", "dist/gateway/gateway.js")),
    dir: mkdtempSync(join(tmpdir(), "instructions-per-request-")),
    upstreamUrl,
    key: "bench-instructions",
    warm: option("warm", "200"),
    seconds: option("measure", "20"),
    connections: option("connections", "1"),
  };
  try {
    const results = await Promise.all(variants.map((variant, index) => measure(variant, index, context)));
    for (const result of results) console.log(JSON.stringify(result));
  } finally {
    upstream?.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
