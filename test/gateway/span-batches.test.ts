/** The exporter's queue: spans' JSON written into batch buffers as they end. */
import fc from "fast-check";
import { SpanBatches } from "../../gateway-image/src/observability/tracing/span-batches";

describe("SpanBatches", () => {
  it("gives back, batch by batch and in order, exactly the texts appended, joined by commas (any text, any batch size)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        // Long texts too (past the first buffer's 64 KiB), and every kind of code unit: UTF-8 of 1 to 4 bytes, lone surrogates.
        fc.array(fc.oneof({ weight: 8, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) }, { weight: 1, arbitrary: fc.string({ unit: "grapheme", minLength: 30_000, maxLength: 40_000 }) }), { maxLength: 30 }),
        (batchSize, texts) => {
          const queue = new SpanBatches(batchSize);
          for (const [index, text] of texts.entries()) {
            queue.append(text);
            expect(queue.size).toBe(index + 1);
            expect(queue.hasFullBatch()).toBe(index + 1 >= batchSize);
          }
          const batches: { body: string; spans: number }[] = [];
          for (let batch = queue.take(); batch !== null; batch = queue.take()) batches.push({ body: batch.body.toString("utf8"), spans: batch.spans });
          expect(queue.size).toBe(0);
          const expected: { body: string; spans: number }[] = [];
          for (let at = 0; at < texts.length; at += batchSize) {
            const slice = texts.slice(at, at + batchSize);
            expected.push({ body: Buffer.from(slice.join(","), "utf8").toString("utf8"), spans: slice.length });
          }
          expect(batches).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("counts what clear() drops, and starts over empty", () => {
    const queue = new SpanBatches(2);
    for (const text of ['{"a":1}', '{"b":2}', '{"c":3}']) queue.append(text);
    expect(queue.clear()).toBe(3);
    expect([queue.size, queue.hasFullBatch(), queue.take()]).toEqual([0, false, null]);
    queue.append('{"d":4}');
    expect(queue.take()!.body.toString()).toBe('{"d":4}');
  });
});
