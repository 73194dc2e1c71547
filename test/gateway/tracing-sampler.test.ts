/**
 * The samplers `OTEL_TRACES_SAMPLER` names: the fixed ones, the parent-based ones following
 * the caller's sampled flag, and the trace-id ratio one, a function of the trace id alone
 * (every replica decides the same for one trace) that samples the share of traces it is set to.
 */
import fc from "fast-check";
import { randomBytes } from "node:crypto";
import { SAMPLER_NAMES, Sampler, type SamplerName } from "../../gateway-image/src/observability/tracing/sampler";

const HEX = "0123456789abcdef".split("");
const traceId = fc.string({ unit: fc.constantFrom(...HEX), minLength: 32, maxLength: 32 }).filter((id) => /[^0]/.test(id));
const ratio = fc.double({ min: 0, max: 1, noNaN: true });
const parent = fc.constantFrom(true, false, null);

/** What the ratio decision is specified to be: the last 13 hex digits below ratio × 2^52. */
function belowThreshold(id: string, r: number): boolean {
  return BigInt(`0x${id.slice(19)}`) < BigInt(Math.floor(r * 2 ** 52));
}

describe("sampler", () => {
  it("always_on samples every trace and always_off none, whatever the parent says", () => {
    fc.assert(
      fc.property(traceId, parent, ratio, (id, parentSampled, r) => {
        expect(new Sampler("always_on", r).sampled(id, parentSampled)).toBe(true);
        expect(new Sampler("always_off", r).sampled(id, parentSampled)).toBe(false);
      }),
    );
  });

  it("a parentbased_* sampler follows the parent's sampled flag whatever its ratio", () => {
    fc.assert(
      fc.property(traceId, fc.boolean(), ratio, fc.constantFrom<SamplerName>("parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"), (id, parentSampled, r, name) => {
        expect(new Sampler(name, r).sampled(id, parentSampled)).toBe(parentSampled);
      }),
    );
  });

  it("a parentbased_* sampler decides a trace the gateway starts as its root sampler does", () => {
    fc.assert(
      fc.property(traceId, ratio, (id, r) => {
        expect(new Sampler("parentbased_always_on", r).sampled(id, null)).toBe(true);
        expect(new Sampler("parentbased_always_off", r).sampled(id, null)).toBe(false);
        expect(new Sampler("parentbased_traceidratio", r).sampled(id, null)).toBe(new Sampler("traceidratio", r).sampled(id, null));
      }),
    );
  });

  it("traceidratio ignores the parent's flag", () => {
    fc.assert(
      fc.property(traceId, ratio, (id, r) => {
        const sampler = new Sampler("traceidratio", r);
        const root = sampler.sampled(id, null);
        expect([sampler.sampled(id, true), sampler.sampled(id, false)]).toEqual([root, root]);
      }),
    );
  });

  it("the ratio decision is a function of the trace id: the same id gets the same answer from every sampler of that ratio", () => {
    fc.assert(
      fc.property(traceId, ratio, parent, (id, r, parentSampled) => {
        const here = new Sampler("traceidratio", r);
        const elsewhere = new Sampler("traceidratio", r);
        const answer = here.sampled(id, parentSampled);
        expect(here.sampled(id, parentSampled)).toBe(answer);
        expect(elsewhere.sampled(id, null)).toBe(answer);
        expect(answer).toBe(belowThreshold(id, r));
      }),
    );
  });

  it("reads the trace id's last 13 hex digits, not the first 19", () => {
    fc.assert(
      fc.property(traceId, traceId, ratio, (a, b, r) => {
        const sameTail = b.slice(0, 19) + a.slice(19);
        const sampler = new Sampler("traceidratio", r);
        expect(sampler.sampled(sameTail, null)).toBe(sampler.sampled(a, null));
      }),
    );
  });

  it("samples a trace from exactly the ratio its id's last 13 hex digits read as, over 2^52", () => {
    fc.assert(
      fc.property(traceId, (id) => {
        const tail = Number.parseInt(id.slice(19), 16);
        expect(new Sampler("traceidratio", tail / 2 ** 52).sampled(id, null)).toBe(false);
        expect(new Sampler("traceidratio", (tail + 1) / 2 ** 52).sampled(id, null)).toBe(true);
      }),
    );
  });

  it("is monotone in the ratio: a trace sampled at r is sampled at every r' ≥ r", () => {
    fc.assert(
      fc.property(traceId, ratio, ratio, (id, x, y) => {
        const [low, high] = x <= y ? [x, y] : [y, x];
        if (new Sampler("traceidratio", low).sampled(id, null)) expect(new Sampler("traceidratio", high).sampled(id, null)).toBe(true);
      }),
    );
  });

  it("samples no trace at ratio 0 and every trace at ratio 1, the extreme ids included", () => {
    const extremes = ["00000000000000000000000000000001", "0000000000000000000fffffffffffff", "ffffffffffffffffffffffffffffffff", "fffffffffffffffffff0000000000000"];
    fc.assert(
      fc.property(fc.oneof(traceId, fc.constantFrom(...extremes)), (id) => {
        expect(new Sampler("traceidratio", 0).sampled(id, null)).toBe(false);
        expect(new Sampler("traceidratio", 1).sampled(id, null)).toBe(true);
      }),
    );
  });

  it("samples within ±0.02 of ratios 0.1, 0.5 and 0.9 over 20,000 random trace ids", () => {
    const ids = Array.from({ length: 20_000 }, () => randomBytes(16).toString("hex"));
    for (const r of [0.1, 0.5, 0.9]) {
      const sampler = new Sampler("traceidratio", r);
      const share = ids.filter((id) => sampler.sampled(id, null)).length / ids.length;
      expect(Math.abs(share - r)).toBeLessThanOrEqual(0.02);
    }
  });

  it("knows the six samplers the OpenTelemetry specification names", () => {
    expect([...SAMPLER_NAMES].sort()).toEqual(["always_off", "always_on", "parentbased_always_off", "parentbased_always_on", "parentbased_traceidratio", "traceidratio"]);
  });
});
