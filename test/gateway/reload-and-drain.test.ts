/**
 * Operations: a new manifest swapped in under load with no failed request (file change,
 * SIGHUP, POST /reload; one process and two workers), a bad manifest rejected while the old
 * one keeps serving, and a graceful shutdown that finishes requests in flight.
 */
import { writeFileSync } from "node:fs";
import { Pool } from "undici";
import { Plan, Product, apiKey, transform } from "../../constructs/index";
import { itemsApi, testPlatform } from "../helpers/declaration";
import { type RunningGateway, manifestOf, startGateway } from "../helpers/gateway";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

let upstream: TestUpstream;

beforeAll(async () => {
  upstream = await startUpstream((request, res) => {
    if (request.url.includes("slow=1")) {
      setTimeout(() => res.writeHead(200, { "content-type": "text/plain" }).end("slow but fine"), 1_500).unref();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
  });
});

afterAll(() => upstream?.close());

/** A public API whose responses say which manifest variant served them. */
async function variant(name: string) {
  const platform = testPlatform();
  const api = itemsApi(platform, "items", {
    upstream: { targets: [{ url: upstream.url }], timeoutMs: 5_000 },
    policies: [apiKey(), transform({ response: { headers: { set: { "x-variant": name } } } })],
  });
  new Product(platform, "shop", { apis: [api], plans: [new Plan(platform, "free")] });
  return manifestOf(platform);
}

interface LoadResult {
  readonly ok: number;
  readonly failed: string[];
  readonly variants: Map<string, number>;
}

/** Keeps `connections` keep-alive connections busy with GETs until `until` resolves. */
async function load(gateway: RunningGateway, until: Promise<unknown>, connections = 8): Promise<LoadResult> {
  const pool = new Pool(gateway.url, { connections, pipelining: 1 });
  const result = { ok: 0, failed: [] as string[], variants: new Map<string, number>() };
  let done = false;
  void until.finally(() => (done = true));
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (!done) {
        try {
          const response = await pool.request({ path: "/items/v1/health", method: "GET" });
          await response.body.dump();
          if (response.statusCode === 200) result.ok++;
          else result.failed.push(`status ${response.statusCode}`);
          const name = String(response.headers["x-variant"]);
          result.variants.set(name, (result.variants.get(name) ?? 0) + 1);
        } catch (error) {
          result.failed.push((error as Error).message);
        }
      }
    }),
  );
  await pool.close();
  return result;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each([
  ["one process", "1"],
  ["two workers", "2"],
])("hot reload under load (%s)", (_label, workers) => {
  let gateway: RunningGateway;
  let a: Awaited<ReturnType<typeof variant>>;
  let b: Awaited<ReturnType<typeof variant>>;

  beforeAll(async () => {
    [a, b] = await Promise.all([variant("a"), variant("b")]);
    gateway = await startGateway(a, { args: ["--workers", workers] });
  }, 60_000);

  afterAll(() => gateway?.stop());

  const reloads = (message: string) => gateway.logs.filter((line) => line.msg === message).length;

  it("swaps manifests on file change, SIGHUP and POST /reload with zero failed requests", async () => {
    const swaps = (async () => {
      for (let round = 0; round < 3; round++) {
        const next = round % 2 === 0 ? b : a;
        const applied = () => gateway.logs.filter((line) => line.msg === "manifest reloaded" && line.revision === next.manifest.metadata.revision).length;
        const before = applied();
        writeFileSync(gateway.manifestFile, next.json);
        // Every worker logs its own reload.
        await waitFor(() => applied() >= before + Number(workers), 10_000, gateway);
        await pause(150);
      }
      process.kill(gateway.process.pid!, "SIGHUP");
      await pause(300);
      const response = await fetch(`${gateway.operatorUrl}/reload`, { method: "POST" });
      expect(response.status).toBe(200);
      await pause(150);
    })();
    const result = await load(gateway, swaps);
    await swaps;
    expect(result.failed).toEqual([]);
    expect(result.ok).toBeGreaterThan(200);
    expect(result.variants.get("a")).toBeGreaterThan(0);
    expect(result.variants.get("b")).toBeGreaterThan(0);
    expect([...result.variants.keys()].sort()).toEqual(["a", "b"]);
    // The last file written was "b": that is what is served now.
    const now = await fetch(`${gateway.url}/items/v1/health`);
    expect(now.headers.get("x-variant")).toBe("b");
    expect(reloads("manifest reloaded")).toBeGreaterThanOrEqual(5 * Number(workers));
    // A second after its last reload, each serving process collects the previous snapshot's memory.
    const collected = (line: Record<string, unknown>) => line.msg === "collected the previous manifest's memory";
    const lastReload = (worker: unknown) => Math.max(...gateway.logs.filter((line) => line.msg === "manifest reloaded" && line.worker === worker).map((line) => Date.parse(String(line.time))));
    await waitFor(() => new Set(gateway.logs.filter(collected).map((line) => line.worker)).size === Number(workers), 5_000, gateway);
    for (const line of gateway.logs.filter(collected)) {
      expect(line).toMatchObject({ pauseMs: expect.any(Number), heapUsedMiB: { before: expect.any(Number), after: expect.any(Number) } });
    }
    const lastCollections = new Map(gateway.logs.filter(collected).map((line) => [line.worker, Date.parse(String(line.time))]));
    for (const [worker, at] of lastCollections) expect(at - lastReload(worker)).toBeGreaterThanOrEqual(900);
  }, 30_000);

  it("runs reloads asked at once one at a time, those asked meanwhile together", async () => {
    const variantNow = async () => (await fetch(`${gateway.url}/items/v1/health`)).headers.get("x-variant");
    const served = await variantNow();
    const before = reloads("manifest reloaded");
    // Ten asks at once (the file is unchanged: no watch event): one reload runs, the others share the next.
    const answers = await Promise.all(Array.from({ length: 10 }, () => fetch(`${gateway.operatorUrl}/reload`, { method: "POST" })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    // The workers' log lines come through their output pipe, the answers through the primary.
    await pause(200);
    const applied = reloads("manifest reloaded") - before;
    expect(applied).toBeGreaterThanOrEqual(Number(workers));
    // Ten each without sharing; two each when all ten arrive during the first (a slow host may split them).
    expect(applied).toBeLessThanOrEqual(5 * Number(workers));
    expect(await variantNow()).toBe(served);
    // Past the collection that follows the last reload, which the next test counts.
    await pause(1_500);
  }, 30_000);

  it("rejects a bad manifest and keeps serving the previous one", async () => {
    const before = reloads("manifest rejected; still serving the previous one");
    const swap = (async () => {
      writeFileSync(gateway.manifestFile, '{"apiVersion":"turnpike.dev/v1","kind":"GatewayConfig"');
      await waitFor(() => reloads("manifest rejected; still serving the previous one") >= before + Number(workers), 10_000, gateway);
      const response = await fetch(`${gateway.operatorUrl}/reload`, { method: "POST" });
      expect(response.status).toBe(422);
      await pause(100);
    })();
    const result = await load(gateway, swap, 4);
    await swap;
    expect(result.failed).toEqual([]);
    expect([...result.variants.keys()]).toEqual(["b"]);
    const ready = (await (await fetch(`${gateway.operatorUrl}/readyz`)).json()) as { revision: string };
    expect(ready.revision).toBe(b.manifest.metadata.revision);
    // Nothing was swapped, so nothing is collected.
    const collections = reloads("collected the previous manifest's memory");
    await pause(1_300);
    expect(reloads("collected the previous manifest's memory")).toBe(collections);
  }, 30_000);
});

describe.each([
  ["one process", "1"],
  ["two workers", "2"],
])("graceful shutdown (%s)", (_label, workers) => {
  it("turns /readyz to 503 during the drain delay, finishes requests in flight, then exits 0", async () => {
    const gateway = await startGateway(await variant("a"), { args: ["--workers", workers, "--drain-delay-ms", "600"] });
    const slow = fetch(`${gateway.url}/items/v1/health?slow=1`).then(async (response) => ({ status: response.status, body: await response.text() }));
    await pause(200);
    const exited = gateway.stop();
    await pause(150);
    const ready = await fetch(`${gateway.operatorUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { status: string }).status).toBe("draining");
    // Still serving during the drain delay, so the load balancer has time to stop sending.
    expect((await fetch(`${gateway.url}/items/v1/health`)).status).toBe(200);
    expect(await slow).toEqual({ status: 200, body: "slow but fine" });
    expect(await exited).toBe(0);
    await expect(fetch(`${gateway.url}/items/v1/health`)).rejects.toThrow();
    expect(gateway.logs.some((line) => line.msg === "stopped")).toBe(true);
  }, 30_000);
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000, gateway?: RunningGateway): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      const events = (gateway?.logs ?? []).filter((line) => line.msg !== "request").map((line) => JSON.stringify(line));
      throw new Error(`condition not met in time; the gateway's event log:\n${events.join("\n")}\nstderr:\n${gateway?.stderr() ?? ""}`);
    }
    await pause(20);
  }
}
