/**
 * Cluster workers' counters: leased rate limits never let more through than the one bucket
 * in the primary would (no overshoot), and refuse at most what other workers hold unused
 * (bounded undershoot); small limits are decided per request.
 */
import fc from "fast-check";
import { IpcStore, LEASE_MS, answerCalls, type StoreRequestMessage } from "../../gateway-image/src/cluster/ipc-store";
import { MemoryStore, gcraStep, gcraTake } from "../../gateway-image/src/store/memory-store";
import { StoreUnavailableError, type GcraDecision } from "../../gateway-image/src/store/store";

/** `workers` IpcStores talking to one primary store through asynchronous messages (each seen by `observe`). */
function cluster(workers: number, observe: (message: StoreRequestMessage) => void = () => undefined) {
  const primary = new MemoryStore();
  const stores: IpcStore[] = [];
  for (let index = 0; index < workers; index++) {
    const store: IpcStore = new IpcStore((message: StoreRequestMessage) => {
      observe(message);
      setImmediate(() => store.receive({ turnpike: "store-reply", answers: answerCalls(primary, message.calls) }));
      return true;
    }, workers);
    stores.push(store);
  }
  return { primary, stores, close: () => Promise.all([primary.close(), ...stores.map((store) => store.close())]) };
}

const HOUR_MS = 3_600_000;

describe("gcraTake", () => {
  it("with want = 1 decides exactly as gcraStep, and never grants more than one-by-one steps would", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 8 })), { maxLength: 40 }), fc.integer({ min: 1, max: 20 }), (steps, burst) => {
        const taken = new Map<string, number>();
        const stepped = new Map<string, number>();
        let now = 1_000;
        for (const [advance, want] of steps) {
          now += advance;
          const lease = gcraTake(taken, "k", 10, burst, now, want);
          let granted = 0;
          while (granted < want && gcraStep(stepped, "k", 10, burst, now).allowed) granted++;
          expect(lease.granted).toBe(granted);
          if (want === 1) expect(gcraTake(new Map(stepped), "x", 10, burst, now, 1).allowed).toBe(gcraStep(new Map(stepped), "x", 10, burst, now).allowed);
        }
      }),
    );
  });
});

describe("IpcStore", () => {
  it("leases large limits: never more than the bucket, and refuses at most what other workers hold", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: 300 }), async (workerOfRequest) => {
        const { stores, close } = cluster(2);
        const burst = 64; // leases of 4 per worker
        const decisions = await Promise.all(workerOfRequest.map((worker) => stores[worker]!.gcra("k", HOUR_MS, burst, Date.now())));
        const allowed = decisions.filter((decision) => decision.allowed).length;
        expect(allowed).toBeLessThanOrEqual(burst);
        expect(allowed).toBeGreaterThanOrEqual(Math.min(workerOfRequest.length, burst - 2 * 4));
        await close();
      }),
      { numRuns: 60 },
    );
  });

  it("a limit far above the traffic costs one round trip per 1,024 requests of a worker", async () => {
    let leaseCalls = 0;
    const { stores, close } = cluster(2, (message) => (leaseCalls += message.calls.filter((call) => call[1] === "t").length));
    const decisions = await Promise.all(Array.from({ length: 5_000 }, (_, index) => stores[index % 2]!.gcra("k", 0.0001, 10_000_000, Date.now())));
    expect(decisions.every((decision) => decision.allowed)).toBe(true);
    // 2,500 requests per worker: 3 leases each (1,024 + 1,024 + 452 used).
    expect(leaseCalls).toBe(6);
    await close();
  });

  it("a primary that never answers fails the decision as unavailable, after about a second", async () => {
    const store = new IpcStore(() => true, 1);
    const started = performance.now();
    await expect(store.gcra("k", HOUR_MS, 10, Date.now())).rejects.toThrow(new StoreUnavailableError("the cluster primary did not answer"));
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(1_000);
    expect(waited).toBeLessThan(2_500);
    await store.close();
  });

  it("does not blame the primary for its own event loop's stall, before or after the batch went out", async () => {
    const stall = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    const { stores, close } = cluster(1);
    // Stalled before the batch is sent: the watchdog's timer is due before the flush runs.
    const before = stores[0]!.gcra("k", HOUR_MS, 10, Date.now());
    stall(1_300);
    expect((await before).allowed).toBe(true);
    // Stalled with the answer waiting: it is read before the watchdog looks.
    const after = stores[0]!.gcra("k", HOUR_MS, 10, Date.now());
    await new Promise((resolve) => setImmediate(resolve)); // the batch goes out
    stall(1_300);
    expect((await after).allowed).toBe(true);
    await close();
  });

  it("decides small limits one request at a time, exactly", async () => {
    const { stores, close } = cluster(2);
    const decisions: GcraDecision[] = await Promise.all(Array.from({ length: 30 }, (_, index) => stores[index % 2]!.gcra("k", HOUR_MS, 10, Date.now())));
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(10);
    await close();
  });

  it("gives back what a lease left unused, so another worker can have it", async () => {
    const { stores, close } = cluster(2);
    const [a, b] = stores as [IpcStore, IpcStore];
    const burst = 64;
    // Worker a takes a lease of 4 and uses one; b drains the rest of the bucket.
    expect((await a.gcra("k", HOUR_MS, burst, Date.now())).allowed).toBe(true);
    let allowedB = 0;
    for (let i = 0; i < 70; i++) if ((await b.gcra("k", HOUR_MS, burst, Date.now())).allowed) allowedB++;
    expect(allowedB).toBe(burst - 4);
    // a's three unused requests go back after the lease time; then b may have them.
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 700));
    await new Promise((resolve) => setTimeout(resolve, 50));
    let later = 0;
    for (let i = 0; i < 10; i++) if ((await b.gcra("k", HOUR_MS, burst, Date.now())).allowed) later++;
    expect(later).toBe(3);
    await close();
  });
});

describe("IpcStore quota", () => {
  it("counts in the primary for every worker, and reads the count without counting", async () => {
    const { stores, close } = cluster(2);
    const end = Date.now() + HOUR_MS;
    const decisions = await Promise.all([0, 1, 0, 1, 0].map((index) => stores[index]!.quota("q:api:c:ann", 4, end, Date.now())));
    // Each worker's batch reaches the primary whole: which request is the fifth depends on that order.
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(4);
    expect(await stores[1]!.quotaUsed("q:api:c:ann", end)).toBe(4);
    expect(await stores[0]!.quotaUsed("q:api:c:ann", end + HOUR_MS)).toBe(0);
    await close();
  });
});
