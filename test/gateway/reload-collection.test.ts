/**
 * The full collection after a reload: V8's own `gc()` obtained without `--expose-gc` (and
 * without leaving a `gc` global behind), run once after a burst of reloads, never after the
 * gateway closed. That each worker of the bundle runs it after its reloads is in
 * reload-and-drain.test.ts; what it does to a worker's memory, in BENCHMARKS.md.
 */
import { runInNewContext } from "node:vm";
import pino from "pino";
import { ReloadCollection, fullCollection } from "../../gateway-image/src/cluster/reload-collection";

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("fullCollection", () => {
  it("collects what nothing references any more, in a process started without --expose-gc", async () => {
    expect(process.execArgv.join(" ")).not.toMatch(/expose[-_]gc/);
    const collect = fullCollection();
    let garbage: object | null = { payload: new Array(1000).fill("x") };
    const ref = new WeakRef(garbage);
    garbage = null;
    // A WeakRef's target is kept to the end of the job that made (or dereferenced) it.
    await nextTurn();
    collect();
    expect(ref.deref()).toBeUndefined();
  });

  it("leaves no gc global behind, in this context or in contexts made later", () => {
    const before = typeof (globalThis as { gc?: unknown }).gc;
    fullCollection();
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe(before);
    expect(runInNewContext("typeof gc")).toBe("undefined");
  });
});

describe("ReloadCollection", () => {
  function collection(delayMs: number) {
    const lines: { msg: string; pauseMs?: number; heapUsedMiB?: { before: number; after: number } }[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) });
    let runs = 0;
    const reloads = new ReloadCollection(() => runs++, logger, delayMs);
    return { reloads, lines, runs: () => runs };
  }

  it("collects once, the delay after the last reload of a burst, and says what it took", async () => {
    const { reloads, lines, runs } = collection(80);
    reloads.afterReload();
    await pause(40);
    reloads.afterReload();
    await pause(40);
    reloads.afterReload();
    await pause(50);
    // 130 ms after the first reload, 50 after the last: not yet.
    expect(runs()).toBe(0);
    await pause(60);
    expect(runs()).toBe(1);
    await pause(100);
    expect(runs()).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: "collected the previous manifest's memory", pauseMs: expect.any(Number), heapUsedMiB: { before: expect.any(Number), after: expect.any(Number) } });
    expect(lines[0]!.heapUsedMiB!.before).toBeGreaterThan(0);
  });

  it("does not collect after it was closed (the gateway is shutting down)", async () => {
    const { reloads, runs } = collection(30);
    reloads.afterReload();
    reloads.close();
    await pause(80);
    expect(runs()).toBe(0);
  });
});
