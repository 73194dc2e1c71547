/** `turnpike dev`, `lint`, `policies` and `bench`. */
import { runCompileBench } from "../../cli/bench/compile-bench";
import { formatFailurePathsBench, runFailurePathsBench } from "../../cli/bench/failure-paths-bench";
import { formatReloadMemoryBench, runReloadMemoryBench } from "../../cli/bench/reload-memory-bench";
import { PAIRED_RATIOS, median, targetChecks } from "../../cli/bench/gateway-bench";
import { POLICIES } from "../../policies/index";
import { REPO_ROOT, runCli, tempProject } from "../helpers/cli";

describe("turnpike dev (npm start)", () => {
  it("says what it does in --help", async () => {
    const run = await runCli(["dev", "--help"], REPO_ROOT);
    expect(run.stdout).toMatch(/serve it through the gateway/);
  });

  it("exits non-zero and prints the errors when the declaration is broken", async () => {
    const root = tempProject({ "turnpike.json": '{"app":"app.ts"}', "app.ts": 'import { Platform, Plan } from "turnpike";\nexport default () => { const p = new Platform("x"); new Plan(p, "Free"); return p; };\n' });
    const run = await runCli(["dev"], root);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error[invalid-props] x/Free\n  name "Free" is not usable');
  });
});

describe("turnpike lint", () => {
  it("passes the example stack: declaration, Redocly's recommended rules, the house rules and the model rules", async () => {
    const run = await runCli(["lint"], REPO_ROOT);
    expect(run).toMatchObject({
      code: 0,
      stderr: "",
      stdout:
        "documentation coverage: catalog-v1 100% · orders-v1 100% · orders-v2 100% · payments-v1 100%\n" +
        "waived catalog-v1 › operation-auth (3 findings): catalog reads (listCategories, listProducts, getProduct) are public by design, so storefronts can browse without a key; they are rate limited per IP and cached, and every write needs an API key\n" +
        "✔ lint: 0 errors, 0 warnings, 3 waived\n",
    });
  });

  it("reports recommended-rule problems of a contract with file and line", async () => {
    const contract = {
      openapi: "3.1.0",
      info: { title: "x", version: "1" },
      paths: { "/things/": { get: { operationId: "listThings", security: [], responses: { "200": { description: "ok" } } } } },
    };
    const root = tempProject({
      "turnpike.json": '{"app":"app.ts"}',
      "api.json": JSON.stringify(contract, null, 2),
      "app.ts": 'import { Api, OpenApi, Platform } from "turnpike";\nexport default () => { const p = new Platform("x"); new Api(p, "things", { version: "1.0.0", lifecycle: "draft", contract: OpenApi.fromFile("api.json"), upstream: { mock: true } }); return p; };\n',
    });
    const run = await runCli(["lint", "--json"], root);
    const { ok, diagnostics } = JSON.parse(run.stdout) as { ok: boolean; diagnostics: { severity: string; code: string; file: string; line: number }[] };
    expect(ok).toBe(false);
    expect(run.code).toBe(1);
    expect(diagnostics).toContainEqual(expect.objectContaining({ severity: "error", file: "api.json", code: "no-path-trailing-slash" }));
    expect(diagnostics).toContainEqual(expect.objectContaining({ severity: "warning", code: "info-license", line: 3 }));
  });
});

describe("turnpike policies", () => {
  it("lists every policy from the registry with phases and levels", async () => {
    const run = await runCli(["policies", "--json"], REPO_ROOT);
    const rows = JSON.parse(run.stdout) as { name: string; levels: string[]; phases: string[] }[];
    expect(rows.map((row) => row.name)).toEqual(POLICIES.map((policy) => policy.name));
    expect(rows.find((row) => row.name === "rateLimit")).toMatchObject({ phases: ["limit"], levels: ["platform", "api", "operation", "plan"] });
    expect(rows.find((row) => row.name === "lifecycle")).toMatchObject({ levels: ["(added by the compiler)"] });
    const text = await runCli(["policies"], REPO_ROOT);
    expect(text.stdout).toContain("phases: access, response · attaches to: platform, api");
  });
});

describe("turnpike bench", () => {
  it("measures compiling a generated contract (small here; npm run bench runs 1,100 operations)", async () => {
    const result = await runCompileBench({ resources: 4, warmRuns: 1, synthRuns: 1 });
    expect(result.operations).toBe(20);
    expect(result.synthProcessMs).toBeGreaterThan(0);
    expect(result.coldMs).toBeGreaterThan(0);
    expect(result.manifestBytes).toBeGreaterThan(result.contractBytes / 2);
  });

  it("measures the gateway's refusals beside a proxied answer, each checked for its status and problem type (short run)", async () => {
    // Short and light (one wrk thread, one connection): other suites with time bounds run beside it.
    const result = await runFailurePathsBench({ durationSeconds: 1, rounds: 1, warmupSeconds: 1, connections: 1, only: ["no-key-401", "circuit-open-503"] });
    expect(result.scenarios.map((entry) => [entry.scenario.name, entry.refusedShare])).toEqual([
      ["proxied-200", 0],
      ["no-key-401", 1],
      ["circuit-open-503", 1],
    ]);
    for (const entry of result.scenarios) {
      expect(entry.requestsPerSecond).toBeGreaterThan(100);
      // Read from /proc: a gateway is more than 50 MiB resident, and its peak is at least its size after.
      expect(entry.rssAfterBytes).toBeGreaterThan(50 * 1024 * 1024);
      expect(entry.peakRssBytes).toBeGreaterThanOrEqual(entry.rssAfterBytes);
      expect(entry.cpuUsPerRequest).toBeGreaterThan(0);
    }
    const report = formatFailurePathsBench(result, "test machine", "turnpike bench failure-paths");
    expect(report).toContain("| upstream down, circuit breaker open, 503 |");
    expect(report).toContain("-H 'X-API-Key: …'");
    expect(report).not.toMatch(/bench-[0-9a-f]{32}/); // the API key
    await expect(runFailurePathsBench({ only: ["no-such-scenario"] })).rejects.toThrow("unknown scenario(s): no-such-scenario; available: proxied-200, no-key-401");
  }, 120_000);

  it("measures a worker's memory across reloads under load, for each young-generation variant (short run)", async () => {
    const result = await runReloadMemoryBench({ durationSeconds: 2, rounds: 1, reloadCounts: [1], resources: 2, warmupSeconds: 0, connections: 1 });
    expect(result.rows.map((row) => [row.variant.name, row.reloads])).toEqual([
      ["v8-default", 1],
      ["semi-space-8", 1],
    ]);
    for (const row of result.rows) {
      const [run] = row.runs;
      expect(run).toMatchObject({ reloads: 1, errors: 0 });
      expect(run!.collectionPausesMs).toEqual([expect.any(Number)]);
      // The live heap after the collection: the gateway's, read from its log line (a 2-route manifest: 10–60 MiB).
      expect(run!.liveHeapMiB).toEqual([expect.any(Number)]);
      expect(run!.liveHeapMiB[0]).toBeGreaterThan(10);
      expect(run!.liveHeapMiB[0]).toBeLessThan(60);
      expect(run!.requestsPerSecond).toBeGreaterThan(100);
      expect(run!.rssAfterBytes).toBeGreaterThan(50 * 1024 * 1024);
      expect(run!.peakRssBytes).toBeGreaterThanOrEqual(run!.rssAfterBytes);
    }
    expect(result.config).toContain("--enable-source-maps");
    const report = formatReloadMemoryBench(result, "test machine", "turnpike bench reload-memory");
    expect(report).toContain("| `--max-semi-space-size=8` | 1 |");
    expect(report).not.toMatch(/bench-[0-9a-f]{32}/); // the API key
  }, 120_000);

  it("refuses unknown suites", async () => {
    expect(await runCli(["bench", "gateway-x"], REPO_ROOT)).toMatchObject({ code: 2, stderr: "unknown benchmark suite(s): gateway-x; available: compile, first-call, portal-search, masking, gateway, failure-paths, tracing, reload-memory\n" });
  });

  it("refuses a --pairs that is not a whole number ≥ 0", async () => {
    for (const pairs of ["-1", "1.5", "x"]) {
      const result = await runCli(["bench", "gateway", "--pairs", pairs], REPO_ROOT);
      expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining("--pairs a whole number ≥ 0") });
    }
  });

  it("judges the throughput targets on back-to-back pairs by the median pair ratio", () => {
    const pair = (a: string, b: string, ratios: number[]) => ({ ...PAIRED_RATIOS.find((target) => target.a === a && target.b === b)!, connections: 64, seconds: 5, pairs: ratios.map((ratio) => ({ a: ratio * 1000, b: 1000 })), ratios, medianRatio: median(ratios) });
    const result = {
      connections: [64],
      summary: [],
      memory: [],
      halfPeak: { skipped: "not run" },
      openLoop: { skipped: "not run" },
      paired: [
        pair("turnpike-full-2w", "nginx-2w", [0.44, 0.46, 0.47]),
        pair("turnpike-full-2w", "turnpike-bare-2w", [0.75, 0.8, 0.95]),
        pair("turnpike-1000-1w", "turnpike-full-1w", [0.9, 0.95, 1.2]),
        pair("turnpike-1000-2w", "turnpike-full-2w", [0.96, 0.97, 1.0]),
      ],
    } as unknown as Parameters<typeof targetChecks>[0];
    const verdicts = Object.fromEntries(targetChecks(result).filter((check) => check.measure.endsWith("back-to-back pairs")).map((check) => [check.measure, [check.pass, check.value]]));
    expect(verdicts).toEqual({
      "Turnpike full chain 2 workers / nginx 2 workers, c=64, back-to-back pairs": [true, "0.46 (median ratio; 3 pairs, 0.440–0.470)"],
      "full chain cost vs no policies, 2 workers, c=64, back-to-back pairs": [false, "20.0 % (median ratio 0.800; 3 pairs, 0.750–0.950)"],
      // A loss of exactly 5 % misses "< 5 %"; 3 % passes.
      "1,000 routes vs 10 routes, 1 worker, c=64, back-to-back pairs": [false, "5.0 % (median ratio 0.950; 3 pairs, 0.900–1.200)"],
      "1,000 routes vs 10 routes, 2 workers, c=64, back-to-back pairs": [true, "3.0 % (median ratio 0.970; 3 pairs, 0.960–1.000)"],
    });
  });

  it("judges the same targets on the medians of rounds, and shows the splits without a verdict", () => {
    const median = (contender: string, requestsPerSecond: number, cpuUsPerRequest: number) => ({ contender, connections: 64, requestsPerSecond, cpuUsPerRequest, p99Ms: 7 });
    const result = {
      connections: [64],
      summary: [median("turnpike-full-1w", 22_017, 45.1), median("turnpike-bare-1w", 24_857, 39.6), median("turnpike-bare-log-1w", 22_834, 43.4), median("fast-gateway", 9_772, 100)],
      memory: [],
      halfPeak: { skipped: "not run" },
      openLoop: { skipped: "not run" },
      paired: [],
    } as unknown as Parameters<typeof targetChecks>[0];
    const checks = Object.fromEntries(targetChecks(result).map((check) => [check.measure, [check.value, check.target, check.pass]]));
    expect(checks["full chain cost vs no policies, 1 worker, c=64"]).toEqual(["11.4 % (22017 vs 24857; +5.5 µs CPU/request)", "≤ 10 % fewer requests/s", false]);
    expect(checks["Turnpike full chain 1 worker / fast-gateway, c=64"]).toEqual(["2.25 (22017 / 9772)", "≥ 1.5", true]);
    expect(checks["of which the access log (no policies, with vs without it), 1 worker, c=64"]).toEqual(["8.1 % (22834 vs 24857; +3.8 µs CPU/request)", "(split, not a target)", null]);
    expect(checks["Turnpike full chain 2 workers / nginx 2 workers, c=64"]).toEqual(["not measured", "≥ 0.45", null]);
  });

  it("judges memory per worker on its peak (VmHWM), not on its size after the load", () => {
    const MiB = 1024 * 1024;
    const judge = (memory: unknown[]) =>
      targetChecks({ connections: [64], summary: [], memory, halfPeak: { skipped: "not run" }, openLoop: { skipped: "not run" }, paired: [] } as unknown as Parameters<typeof targetChecks>[0]).find((check) =>
        check.measure.startsWith("peak RSS per Turnpike worker"),
      );
    const reading = (contender: string, after: number[], peak: number[]) => ({ contender, workerRssBytes: after.map((value) => value * MiB), workerPeakRssBytes: peak.map((value) => value * MiB), primaryRssBytes: null, treeRssBytes: 0 });
    // 130 MiB after the runs would pass; the 171 MiB one worker reached during them does not.
    expect(judge([reading("turnpike-full-1w", [120], [140]), reading("turnpike-full-2w", [130, 125], [171, 149]), reading("nginx-2w", [], [])])).toEqual({
      measure: "peak RSS per Turnpike worker (largest VmHWM)",
      value: "171 MiB (turnpike-full-2w; 130 MiB after the runs)",
      target: "< 150 MiB",
      pass: false,
    });
    expect(judge([reading("turnpike-full-1w", [120], [140])])).toMatchObject({ pass: true });
    expect(judge([])).toMatchObject({ value: "not measured", pass: null });
  });
});
