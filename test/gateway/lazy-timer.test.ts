/**
 * The upstream connection's countdowns (head and body timeouts): arming and refreshing only
 * move a deadline, yet a countdown fires once, at its deadline (within the 1 ms of Node's
 * timers), whatever the sequence of arms, refreshes and stops before it.
 */
import fc from "fast-check";
import { LazyTimer } from "../../gateway-image/src/upstream/http1-pool";

type Operation = { kind: "arm"; ms: number } | { kind: "refresh" } | { kind: "stop" } | { kind: "wait"; ms: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant("arm" as const), ms: fc.integer({ min: -1, max: 40 }) }),
  fc.record({ kind: fc.constant("arm" as const), ms: fc.integer({ min: 1, max: 40 }).map((ms) => ms - 0.5) }),
  fc.record({ kind: fc.constant("refresh" as const) }),
  fc.record({ kind: fc.constant("stop" as const) }),
  fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 60 }) }),
);

describe("LazyTimer", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("fires once per countdown, at its deadline, as a timer re-armed on every call would", () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 40 }), (operations) => {
        jest.clearAllTimers();
        const fired: { at: number; ms: number }[] = [];
        const timer = new LazyTimer((ms) => fired.push({ at: performance.now(), ms }));
        // The model: one deadline, moved by every arm and refresh, cleared by stop and by firing.
        let deadline: number | null = null;
        let duration = 0;
        const expected: { at: number; ms: number }[] = [];
        for (const step of operations) {
          const now = performance.now();
          if (step.kind === "arm") {
            timer.arm(step.ms);
            if (step.ms <= 0) deadline = null;
            else {
              duration = step.ms;
              deadline = now + step.ms;
            }
          } else if (step.kind === "refresh") {
            timer.refresh();
            if (deadline !== null) deadline = now + duration;
          } else if (step.kind === "stop") {
            timer.stop();
            deadline = null;
          } else {
            jest.advanceTimersByTime(step.ms);
            // Node's timers count whole milliseconds: the first tick at or after the deadline.
            if (deadline !== null && Math.ceil(deadline) <= now + step.ms) {
              expected.push({ at: Math.ceil(deadline), ms: duration });
              deadline = null;
            }
          }
          // Every countdown the model says ended has fired, and none other.
          expect(fired.length).toBe(expected.length);
        }
        jest.advanceTimersByTime(100);
        if (deadline !== null) expected.push({ at: Math.ceil(deadline), ms: duration });
        expect(fired.map((fire) => fire.ms)).toEqual(expected.map((fire) => fire.ms));
        // On the whole-millisecond clock of these tests, at the first tick at or after its deadline.
        expect(fired.map((fire) => fire.at)).toEqual(expected.map((fire) => fire.at));
        timer.dispose();
      }),
      { numRuns: 500 },
    );
  });

  it("keeps a single Node timer however often it is armed and refreshed", () => {
    const timer = new LazyTimer(() => undefined);
    for (let index = 0; index < 1_000; index++) {
      timer.arm(30_000);
      timer.refresh();
    }
    expect(jest.getTimerCount()).toBe(1);
    // A per-try timeout is what is left of the total: a little less on each request.
    for (let index = 0; index < 1_000; index++) {
      jest.advanceTimersByTime(1);
      timer.arm(30_000 - index - 0.001 * index);
    }
    expect(jest.getTimerCount()).toBe(1);
    timer.dispose();
    expect(jest.getTimerCount()).toBe(0);
  });
});
