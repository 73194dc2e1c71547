/**
 * A reload runs on the thread that serves: the manifest is parsed, validated, hashed and
 * compiled in steps, the event loop polling for requests between them, and a snapshot under
 * construction is never served. Through the real gateway, reload-and-drain.test.ts.
 */
import { mkdtempSync, readFile, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { type PathRoutes, Snapshot } from "../../gateway-image/src/config/compile-snapshot";
import { ManifestError, parseManifest } from "../../gateway-image/src/config/load-manifest";
import { nextTurn } from "../../gateway-image/src/config/next-turn";
import { GatewayMetrics } from "../../gateway-image/src/observability/metrics";
import { MemoryStore } from "../../gateway-image/src/store/memory-store";
import { PoolRegistry } from "../../gateway-image/src/upstream/pool-registry";
import { benchManifest } from "../../cli/bench/bench-declaration";
import { Gateway } from "../../gateway-image/src/gateway";

let large: Awaited<ReturnType<typeof benchManifest>>;

beforeAll(async () => {
  // 40 operations, with apiKey and rateLimit on each.
  large = await benchManifest({ resources: 8, policies: "full", upstreamUrl: "http://127.0.0.1:9", rootDir: mkdtempSync(join(tmpdir(), "turnpike-steps-")) });
});

/** Counts turns of the event loop (check phases) while `work` runs. */
async function turnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  try {
    const result = await work();
    return { result, turns };
  } finally {
    running = false;
  }
}

describe("nextTurn", () => {
  it("resolves after the loop has gone round, also when asked from an I/O callback (where one setImmediate would not)", async () => {
    const ranBefore = await new Promise<boolean>((resolve, reject) =>
      readFile(__filename, () => {
        let timerRan = false;
        setTimeout(() => (timerRan = true), 0);
        // Let the timer fall due: it runs in the next turn's timers phase, before that turn's poll.
        const until = Date.now() + 3;
        while (Date.now() < until);
        nextTurn().then(() => resolve(timerRan), reject);
      }),
    );
    expect(ranBefore).toBe(true);
  });
});

describe("parseManifest", () => {
  it("pauses after JSON.parse, after the schema and after the revision's order check", async () => {
    const steps: string[] = [];
    const manifest = await parseManifest(large.json, "large.json", async () => void steps.push("pause"));
    expect(manifest.metadata.revision).toBe(large.manifest.metadata.revision);
    expect(steps).toHaveLength(3);
  });

  it("still finds a change made after compiling, whatever the key order of the file", async () => {
    const changed = JSON.parse(large.json) as { spec: { apis: { basePath: string }[] } };
    changed.spec.apis[0]!.basePath = "/elsewhere";
    await expect(parseManifest(JSON.stringify(changed, null, 2), "changed.json")).rejects.toThrow(/was changed after it was compiled/);
    // Keys out of canonical order (the slow way), content unchanged: accepted.
    const reordered = JSON.parse(large.json) as Record<string, unknown>;
    const reversed = Object.fromEntries(Object.entries(reordered).reverse());
    await expect(parseManifest(JSON.stringify(reversed), "reordered.json")).resolves.toMatchObject({ metadata: { revision: large.manifest.metadata.revision } });
    // A member the schema does not know was not written by the compiler.
    const extra = JSON.parse(large.json) as { spec: Record<string, unknown> };
    extra.spec.zzz = true;
    await expect(parseManifest(`${JSON.stringify(extra, null, 2)}\n`, "extra.json")).rejects.toThrow(ManifestError);
  });
});

describe("Snapshot.build", () => {
  const options = () => ({ store: new MemoryStore(), pools: new PoolRegistry(), metrics: new GatewayMetrics(), logger: pino({ level: "silent" }), secrets: { env: { TURNPIKE_BENCH_API_KEY: "bench-key" }, readFile: () => "" } });

  it("hands the event loop back as often as its slice says: after every operation with a slice of 0, never with an endless one", async () => {
    const sliced = await turnsDuring(() => Snapshot.build(large.manifest, options(), 0));
    expect(sliced.turns).toBeGreaterThanOrEqual(large.operations);
    const whole = await turnsDuring(() => Snapshot.build(large.manifest, options(), Infinity));
    expect(whole.turns).toBe(0);
    // Built in slices or at once, the same routes.
    const route = (snapshot: Snapshot) => (snapshot.router.find("GET", large.path)?.store as PathRoutes | undefined)?.get("GET");
    expect(route(sliced.result)?.operationId).toBe(large.operationId);
    expect(route(whole.result)?.operationId).toBe(large.operationId);
    await Promise.all([sliced.result.close(), whole.result.close()]);
  });
});

describe("a reload still building when the gateway closes", () => {
  it("is not applied (what it built is closed at once)", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "turnpike-steps-")), "manifest.json");
    writeFileSync(file, large.json);
    const gateway = new Gateway({ logger: pino({ level: "silent" }), port: 0, operatorPort: null, host: "127.0.0.1", secrets: { env: { TURNPIKE_BENCH_API_KEY: "bench-key" }, readFile: () => "" } });
    await gateway.start(large.manifest);
    const reload = gateway.reloadFrom(file);
    await gateway.close(1_000);
    await expect(reload).resolves.toEqual({ ok: false, reason: "the gateway is shutting down", revision: large.manifest.metadata.revision });
  });
});
