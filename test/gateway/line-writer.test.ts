/** Log lines reach stdout whole: whole-line batches of at most 4 KiB, events at once, EAGAIN retried. */
import fc from "fast-check";
import { LineWriter } from "../../gateway-image/src/observability/line-writer";

function writer(writes: string[], options: { failWith?: () => string | null } = {}) {
  return new LineWriter({
    flushIntervalMs: 60_000,
    write: (_fd, text) => {
      const code = options.failWith?.() ?? null;
      if (code) throw Object.assign(new Error(code), { code });
      writes.push(text);
    },
  });
}

describe("LineWriter", () => {
  it("batches lines into whole-line writes of at most 4 KiB, in order", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 0, maxLength: 1_500 }).map((text) => `${text.replace(/\n/g, " ")}\n`), { maxLength: 60 }), (lines) => {
        const writes: string[] = [];
        const lineWriter = writer(writes);
        for (const line of lines) lineWriter.write(line);
        lineWriter.close();
        expect(writes.join("")).toBe(lines.join(""));
        for (const text of writes) {
          expect(text.endsWith("\n")).toBe(true);
          if (text.length > 4096) expect(text.indexOf("\n")).toBe(text.length - 1);
        }
      }),
    );
  });

  it("writes events at once, after the access lines buffered before them", () => {
    const writes: string[] = [];
    const lineWriter = writer(writes);
    lineWriter.write("access 1\n");
    expect(writes).toEqual([]);
    lineWriter.writeNow("event\n");
    expect(writes).toEqual(["access 1\nevent\n"]);
    lineWriter.close();
  });

  it("keeps what a full pipe refused (EAGAIN) for the next flush, and loses nothing", () => {
    const writes: string[] = [];
    let refuse = true;
    const lineWriter = writer(writes, { failWith: () => (refuse ? "EAGAIN" : null) });
    lineWriter.writeNow("event 1\n");
    expect(writes).toEqual([]);
    refuse = false;
    lineWriter.writeNow("event 2\n");
    expect(writes).toEqual(["event 1\nevent 2\n"]);
    lineWriter.close();
  });
});
