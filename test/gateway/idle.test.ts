/**
 * An idle gateway stays idle: with no traffic its event loop wakes only for its periodic
 * chores (the loop-delay sample, the log flush, the connection sweeps), not 100 times a
 * second, and /metrics still reports the loop's delay. Linux only: it reads the main thread's
 * context switches from /proc (each wake-up from a blocking epoll_wait is one voluntary switch).
 */
import { readFileSync } from "node:fs";
import { itemsApi, testPlatform } from "../helpers/declaration";
import { type RunningGateway, startGateway } from "../helpers/gateway";

let gateway: RunningGateway;

// No upstream is needed: nothing here sends a request through the gateway (its upstream is
// only ever connected to for a request), so the process does nothing but its own chores.
beforeAll(async () => {
  const platform = testPlatform();
  itemsApi(platform, "items");
  gateway = await startGateway(platform);
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
});

/** Voluntary context switches of the process's main thread (its event loop) so far. */
function mainThreadSwitches(pid: number): number {
  const status = readFileSync(`/proc/${pid}/task/${pid}/status`, "utf8");
  return Number(/^voluntary_ctxt_switches:\s+(\d+)$/m.exec(status)![1]);
}

const onLinux = process.platform === "linux" ? it : it.skip;

describe("an idle gateway", () => {
  onLinux("wakes fewer than 40 times a second with no traffic (not every 10 ms)", async () => {
    // Let start-up work (compilation, the first GCs) settle, then count for 3 s.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const pid = gateway.process.pid!;
    const before = mainThreadSwitches(pid);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const perSecond = (mainThreadSwitches(pid) - before) / 3;
    // The loop-delay sample (10 a second), the access log's flush timer (4), the sweeps (~3):
    // ~17. prom-client's default sampling alone would be 100.
    expect(perSecond).toBeLessThan(40);
  }, 20_000);

  it("still reports the event loop's delay on /metrics", async () => {
    // At least a few samples (one per 100 ms) since start, whatever ran before this test.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const text = await (await fetch(`${gateway.operatorUrl}/metrics`)).text();
    const p99 = /^turnpike_nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text);
    expect(p99).not.toBeNull();
    // Sampled: a real delay of a timer, above zero and far below a second on an idle loop.
    expect(Number(p99![1])).toBeGreaterThan(0);
    expect(Number(p99![1])).toBeLessThan(1);
  });
});
