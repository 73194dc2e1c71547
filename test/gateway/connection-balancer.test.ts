/** The least-connections choice of the cluster primary (gateway-image/src/cluster/connection-balancer.ts). */
import fc from "fast-check";
import { ConnectionBalancer } from "../../gateway-image/src/cluster/connection-balancer";

describe("ConnectionBalancer", () => {
  it("spreads connections evenly, ties to the first worker added", () => {
    const balancer = new ConnectionBalancer();
    balancer.add(1);
    balancer.add(2);
    const picks = Array.from({ length: 64 }, () => balancer.take());
    expect(picks.filter((id) => id === 1)).toHaveLength(32);
    expect(picks.slice(0, 4)).toEqual([1, 2, 1, 2]);
  });

  it("fills the worker whose connections closed, and takes none from a removed one", () => {
    const balancer = new ConnectionBalancer();
    for (const id of [1, 2, 3]) balancer.add(id);
    for (let i = 0; i < 9; i++) balancer.take();
    balancer.closed(2, 3);
    expect([balancer.take(), balancer.take(), balancer.take()]).toEqual([2, 2, 2]);
    balancer.remove(1);
    expect(new Set(Array.from({ length: 6 }, () => balancer.take()))).toEqual(new Set([2, 3]));
    expect(new ConnectionBalancer().take()).toBeNull();
  });

  it("hands each connection to a worker with the fewest open, whatever closed before", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.oneof(fc.constant({ kind: "take" as const }), fc.record({ kind: fc.constant("close" as const), worker: fc.integer({ min: 1, max: 4 }), count: fc.integer({ min: 1, max: 3 }) })), { maxLength: 200 }),
        (workers, events) => {
          const balancer = new ConnectionBalancer();
          const model = new Map<number, number>();
          for (let id = 1; id <= workers; id++) {
            balancer.add(id);
            model.set(id, 0);
          }
          for (const event of events) {
            if (event.kind === "take") {
              const before = Math.min(...model.values());
              const id = balancer.take()!;
              // The chosen worker had the fewest open connections.
              expect(model.get(id)).toBe(before);
              model.set(id, model.get(id)! + 1);
            } else if (model.has(event.worker)) {
              balancer.closed(event.worker, event.count);
              model.set(event.worker, Math.max(0, model.get(event.worker)! - event.count));
            }
            expect(new Map(balancer.counts())).toEqual(model);
          }
        },
      ),
    );
  });
});
