/**
 * Compile benchmark: how long `compileManifest()` takes for a contract of 1,000+ operations
 * (YAML file on disk, parsed, validated, bundled, chains resolved for every operation).
 * Reports the first (cold) run, which is what `turnpike synth` pays, and the median of warm runs.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringifyYaml } from "@redocly/openapi-core";
import { Api, OpenApi, Plan, Platform, Product, apiKey, compileManifest, cors, rateLimit, requestValidation } from "../../constructs/index";
import { largeContract } from "./large-contract";

export interface CompileBenchResult {
  readonly operations: number;
  readonly contractBytes: number;
  readonly manifestBytes: number;
  /** First compileManifest() in the process. */
  readonly coldMs: number;
  readonly warmMedianMs: number;
  readonly warmRuns: number;
  /** Median wall time of `turnpike synth` as a new process (start-up, TypeScript loading, compile, write); null when not measured. */
  readonly synthProcessMs: number | null;
  readonly synthRuns: number;
}

/** The same declaration as a module for `turnpike synth`, importing Turnpike by absolute path. */
function synthApp(contractFile: string): string {
  const turnpike = JSON.stringify(join(__dirname, "../../constructs/index"));
  return `import { Api, OpenApi, Plan, Platform, Product, apiKey, cors, rateLimit, requestValidation } from ${turnpike};
export default function () {
  const platform = new Platform("bench");
  const plans = ["free", "pro", "enterprise"].map((name, index) => new Plan(platform, name, { rateLimit: { requests: 10 ** (index + 1) }, quota: { requests: 10 ** (index + 4), period: "month" } }));
  const api = new Api(platform, "large", {
    version: "1.0.0",
    contract: OpenApi.fromFile(${JSON.stringify(contractFile)}),
    upstream: { targets: [{ url: "http://large.internal:8080" }] },
    policies: [apiKey(), requestValidation(), cors({ origins: ["https://app.example"] }), rateLimit({ requests: 100, key: "ip" })],
    operations: { createResource0: { policies: [rateLimit({ requests: 5 })] } },
  });
  new Product(platform, "everything", { apis: [api], plans });
  return platform;
}
`;
}

function declare(contractFile: string, rootDir: string): Platform {
  const platform = new Platform("bench", { rootDir });
  const plans = ["free", "pro", "enterprise"].map((name, index) => new Plan(platform, name, { rateLimit: { requests: 10 ** (index + 1) }, quota: { requests: 10 ** (index + 4), period: "month" } }));
  const api = new Api(platform, "large", {
    version: "1.0.0",
    contract: OpenApi.fromFile(contractFile),
    upstream: { targets: [{ url: "http://large.internal:8080" }] },
    policies: [apiKey(), requestValidation(), cors({ origins: ["https://app.example"] }), rateLimit({ requests: 100, key: "ip" })],
    operations: { createResource0: { policies: [rateLimit({ requests: 5 })] } },
  });
  new Product(platform, "everything", { apis: [api], plans });
  return platform;
}

export async function runCompileBench(options: { resources?: number; warmRuns?: number; synthRuns?: number } = {}): Promise<CompileBenchResult> {
  const resources = options.resources ?? 220;
  const warmRuns = options.warmRuns ?? 5;
  const synthRuns = options.synthRuns ?? 3;
  const dir = mkdtempSync(join(tmpdir(), "turnpike-bench-"));
  try {
    const file = join(dir, "large.yaml");
    const yaml = stringifyYaml(largeContract(resources));
    writeFileSync(file, yaml);
    const run = async () => {
      const started = process.hrtime.bigint();
      const result = await compileManifest(declare(file, dir));
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (!result.manifest) throw new Error(`benchmark declaration does not compile: ${JSON.stringify(result.diagnostics.slice(0, 3))}`);
      return { ms, result };
    };
    const cold = await run();
    const warm: number[] = [];
    for (let index = 0; index < warmRuns; index++) warm.push((await run()).ms);
    warm.sort((a, b) => a - b);
    const synth: number[] = [];
    if (synthRuns > 0) {
      writeFileSync(join(dir, "app.ts"), synthApp(file));
      writeFileSync(join(dir, "turnpike.json"), JSON.stringify({ app: "app.ts", output: "dist" }));
      for (let index = 0; index < synthRuns; index++) {
        const started = process.hrtime.bigint();
        const run = spawnSync(process.execPath, [join(__dirname, "../bin/turnpike.js"), "synth"], { cwd: dir, encoding: "utf8" });
        if (run.status !== 0) throw new Error(`turnpike synth failed in the benchmark project:\n${run.stderr}`);
        synth.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      synth.sort((a, b) => a - b);
    }
    return {
      operations: cold.result.manifest!.spec.apis[0]!.operations.length,
      contractBytes: Buffer.byteLength(yaml),
      manifestBytes: Buffer.byteLength(cold.result.json!),
      coldMs: cold.ms,
      warmMedianMs: warm[Math.floor(warm.length / 2)]!,
      warmRuns,
      synthProcessMs: synth.length ? synth[Math.floor(synth.length / 2)]! : null,
      synthRuns,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
