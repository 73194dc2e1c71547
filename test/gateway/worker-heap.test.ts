/** Each worker's share of the gateway's memory limit, as its V8 old-generation limit. */
import fc from "fast-check";
import { MIN_OLD_SPACE_MIB, PRIMARY_RESERVE_MIB, WORKER_OVERHEAD_MIB, heapGrowingFlag, minimumMemoryMiB, planWorkerHeap } from "../../gateway-image/src/cluster/worker-heap";

const MiB = 1024 * 1024;
const base = { workers: 2, configuredLimitMiB: undefined, constrainedBytes: undefined, totalBytes: 24 * 1024 * MiB, execArgv: [], nodeOptions: undefined };

describe("planWorkerHeap", () => {
  it("shares the limit left after the primary among the workers, less what a worker holds outside its old generation", () => {
    expect(planWorkerHeap({ ...base, workers: 2, configuredLimitMiB: 512 })).toEqual({ kind: "share", limitMiB: 512, oldSpaceMiB: 144, belowMinimum: false });
    expect(planWorkerHeap({ ...base, workers: 4, configuredLimitMiB: 1024 })).toEqual({ kind: "share", limitMiB: 1024, oldSpaceMiB: 168, belowMinimum: false });
  });

  it("reads the container's limit when none is configured, and a configured one wins", () => {
    expect(planWorkerHeap({ ...base, constrainedBytes: 512 * MiB })).toMatchObject({ kind: "share", limitMiB: 512, oldSpaceMiB: 144 });
    expect(planWorkerHeap({ ...base, constrainedBytes: 512 * MiB, configuredLimitMiB: 2048 })).toMatchObject({ limitMiB: 2048 });
  });

  it("leaves Node's own sizing without a limit: no cgroup (0), one above the machine's memory, or none at all", () => {
    for (const constrainedBytes of [undefined, 0, 2 ** 64, 24 * 1024 * MiB]) expect(planWorkerHeap({ ...base, constrainedBytes })).toEqual({ kind: "unlimited" });
  });

  it("keeps a size the operator set, on the command line or in NODE_OPTIONS, in either spelling", () => {
    expect(planWorkerHeap({ ...base, configuredLimitMiB: 512, execArgv: ["--enable-source-maps", "--max-old-space-size=300"] })).toEqual({ kind: "operator" });
    expect(planWorkerHeap({ ...base, configuredLimitMiB: 512, nodeOptions: "--trace-warnings --max_old_space_size=300" })).toEqual({ kind: "operator" });
    // Other heap flags are not the old generation's size.
    expect(planWorkerHeap({ ...base, configuredLimitMiB: 512, nodeOptions: "--max-semi-space-size=16" })).toMatchObject({ kind: "share" });
  });

  it("gives the minimum and says so when the limit is too small for the workers", () => {
    expect(planWorkerHeap({ ...base, workers: 4, configuredLimitMiB: 512 })).toEqual({ kind: "share", limitMiB: 512, oldSpaceMiB: MIN_OLD_SPACE_MIB, belowMinimum: true });
    expect(minimumMemoryMiB(4)).toBe(PRIMARY_RESERVE_MIB + 4 * (WORKER_OVERHEAD_MIB + MIN_OLD_SPACE_MIB));
    expect(minimumMemoryMiB(1)).toBe(WORKER_OVERHEAD_MIB + MIN_OLD_SPACE_MIB);
  });

  it("within any limit at or above the minimum, the primary and every worker at its largest fit in it (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 64 }), fc.integer({ min: 0, max: 64 * 1024 }), (workers, spareMiB) => {
        const limitMiB = minimumMemoryMiB(workers) + spareMiB;
        const plan = planWorkerHeap({ ...base, workers, configuredLimitMiB: limitMiB });
        if (plan.kind !== "share") throw new Error(plan.kind);
        expect(plan.belowMinimum).toBe(false);
        expect(plan.oldSpaceMiB).toBeGreaterThanOrEqual(MIN_OLD_SPACE_MIB);
        expect(PRIMARY_RESERVE_MIB + workers * (plan.oldSpaceMiB + WORKER_OVERHEAD_MIB)).toBeLessThanOrEqual(limitMiB);
      }),
    );
  });
});

describe("heapGrowingFlag", () => {
  it("lets the old generation grow by half of what survived each full collection", () => {
    expect(heapGrowingFlag([], undefined)).toBe("--heap-growing-percent=50");
    expect(heapGrowingFlag(["--enable-source-maps", "--max-old-space-size=300"], "--trace-warnings")).toBe("--heap-growing-percent=50");
  });

  it("keeps a growth the operator chose, on the command line or in NODE_OPTIONS, in either spelling", () => {
    expect(heapGrowingFlag(["--heap-growing-percent=100"], undefined)).toBeNull();
    expect(heapGrowingFlag([], "--max-old-space-size=300 --heap_growing_percent=0")).toBeNull();
    expect(heapGrowingFlag([], "--heap-growing-percentage-of-nothing")).toBe("--heap-growing-percent=50");
  });
});
