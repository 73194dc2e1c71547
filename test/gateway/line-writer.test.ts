/**
 * Log lines reach stdout whole: whole-line batches of at most the batch size (4 KiB for a
 * pipe, 256 KiB for a file), events at once, EAGAIN and partial writes retried, nothing lost.
 */
import fc from "fast-check";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ATOMIC_WRITE_BYTES, FILE_BATCH_BYTES, LineWriter } from "../../gateway-image/src/observability/line-writer";

interface Outcome {
  /** What each write call put out, as text. */
  readonly writes: string[];
}

function writer(outcome: Outcome, options: { batchBytes?: number; maxPendingBytes?: number; refuse?: () => boolean; partial?: () => boolean; fail?: () => string | null; reportFd?: number } = {}) {
  return new LineWriter({
    flushIntervalMs: 60_000,
    batchBytes: options.batchBytes ?? ATOMIC_WRITE_BYTES,
    maxPendingBytes: options.maxPendingBytes,
    reportFd: options.reportFd,
    write: (_fd, bytes, offset, length) => {
      if (options.refuse?.()) throw Object.assign(new Error("EAGAIN"), { code: "EAGAIN" });
      const code = options.fail?.() ?? null;
      if (code !== null) throw Object.assign(new Error(code), { code });
      // A partial write puts out half (at least one byte) of what it was given.
      const written = options.partial?.() ? Math.max(1, length >> 1) : length;
      outcome.writes.push(Buffer.from(bytes.subarray(offset, offset + written)).toString());
      return written;
    },
  });
}

const asciiLine = fc.string({ minLength: 0, maxLength: 1_500 }).map((text) => `${text.replace(/[^\x20-\x7e]/g, "?")}\n`);

describe("LineWriter", () => {
  it("batches access lines into whole-line writes of at most the batch size, in order", () => {
    fc.assert(
      fc.property(fc.array(asciiLine, { maxLength: 60 }), fc.constantFrom(ATOMIC_WRITE_BYTES, 1_000, FILE_BATCH_BYTES), (lines, batchBytes) => {
        const outcome: Outcome = { writes: [] };
        const lineWriter = writer(outcome, { batchBytes });
        for (const line of lines) lineWriter.writeAscii(line);
        lineWriter.close();
        expect(outcome.writes.join("")).toBe(lines.join(""));
        for (const text of outcome.writes) {
          expect(text.endsWith("\n")).toBe(true);
          if (text.length > batchBytes) expect(text.indexOf("\n")).toBe(text.length - 1);
        }
      }),
    );
  });

  it("keeps access lines and events in the order they came, across groups, batches and flushes", () => {
    const operation = fc.oneof(
      { weight: 8, arbitrary: asciiLine.map((line) => ({ kind: "access" as const, line })) },
      { weight: 1, arbitrary: fc.string({ maxLength: 80 }).map((text) => ({ kind: "event" as const, line: `{"event":${JSON.stringify(text)}}\n` })) },
      { weight: 1, arbitrary: fc.constant({ kind: "flush" as const, line: "" }) },
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 150 }), fc.constantFrom(ATOMIC_WRITE_BYTES, 1_000, FILE_BATCH_BYTES), (operations, batchBytes) => {
        const outcome: Outcome = { writes: [] };
        const lineWriter = writer(outcome, { batchBytes });
        for (const { kind, line } of operations) {
          if (kind === "access") lineWriter.writeAscii(line);
          else if (kind === "event") lineWriter.writeNow(line);
          else lineWriter.flush();
        }
        lineWriter.close();
        expect(outcome.writes.join("")).toBe(operations.map(({ line }) => line).join(""));
      }),
    );
  });

  it("writes events at once, in UTF-8, after the access lines buffered before them", () => {
    const outcome: Outcome = { writes: [] };
    const lineWriter = writer(outcome);
    lineWriter.writeAscii("access 1\n");
    expect(outcome.writes).toEqual([]);
    lineWriter.writeNow('{"msg":"reloaded ünïcode ✓ 😀"}\n');
    expect(outcome.writes).toEqual(['access 1\n{"msg":"reloaded ünïcode ✓ 😀"}\n']);
    const long = `${"é".repeat(3_000)}\n`;
    lineWriter.writeAscii("access 2\n");
    lineWriter.writeNow(long);
    expect(outcome.writes.slice(1)).toEqual(["access 2\n", long]);
    lineWriter.close();
  });

  it("keeps what a full pipe refused (EAGAIN) for the next flush, in order, and loses nothing", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), asciiLine, fc.boolean()), { maxLength: 40 }), (steps) => {
        const outcome: Outcome = { writes: [] };
        let refuse = false;
        const lineWriter = writer(outcome, { refuse: () => refuse });
        const expected: string[] = [];
        for (const [pipeFull, line, event] of steps) {
          refuse = pipeFull;
          if (event) lineWriter.writeNow(line);
          else lineWriter.writeAscii(line);
          expected.push(line);
        }
        refuse = false;
        lineWriter.close();
        expect(outcome.writes.join("")).toBe(expected.join(""));
        for (const text of outcome.writes) expect(text.endsWith("\n") || text.length === 0).toBe(true);
      }),
    );
  });

  it("finishes a write that went out in part at once, so no line is ever cut", () => {
    const outcome: Outcome = { writes: [] };
    let calls = 0;
    const lineWriter = writer(outcome, { partial: () => calls++ % 2 === 0 });
    const lines = Array.from({ length: 30 }, (_, index) => `{"line":${index},"pad":"${"x".repeat(200)}"}\n`);
    for (const line of lines) lineWriter.writeAscii(line);
    lineWriter.close();
    expect(outcome.writes.join("")).toBe(lines.join(""));
  });

  it("drops access lines, never events, once the refused backlog passes maxPendingBytes", () => {
    const outcome: Outcome = { writes: [] };
    let refuse = true;
    const lineWriter = writer(outcome, { batchBytes: 100, maxPendingBytes: 300, refuse: () => refuse });
    for (let index = 0; index < 20; index++) lineWriter.writeAscii(`${String(index).padStart(48, "0")}\n`);
    lineWriter.writeNow("event\n");
    expect(lineWriter.dropped).toBeGreaterThan(0);
    refuse = false;
    lineWriter.close();
    const text = outcome.writes.join("");
    expect(text.endsWith("event\n")).toBe(true);
    expect(text.split("\n").length - 1).toBe(20 - lineWriter.dropped + 1);
  });

  it("loses a batch a write error refused (EPIPE: the reader went away), counts its lines, reports once per run of failures, and never throws", () => {
    const directory = mkdtempSync(join(tmpdir(), "line-writer-"));
    const reportPath = join(directory, "stderr");
    const reportFd = openSync(reportPath, "w");
    try {
      const outcome: Outcome = { writes: [] };
      let failure: string | null = "EPIPE";
      const lineWriter = writer(outcome, { batchBytes: 100, fail: () => failure, reportFd });
      for (let index = 0; index < 10; index++) lineWriter.writeAscii(`${String(index).padStart(39, "0")}\n`);
      expect(() => lineWriter.writeNow("event while the pipe is broken\n")).not.toThrow();
      expect(outcome.writes).toEqual([]);
      expect(lineWriter.dropped).toBe(11);
      failure = null;
      lineWriter.writeNow("event after\n");
      expect(outcome.writes).toEqual(["event after\n"]);
      failure = "EPIPE";
      lineWriter.writeNow("lost again\n");
      expect(lineWriter.dropped).toBe(12);
      lineWriter.close();
      const reports = readFileSync(reportPath, "utf8").trim().split("\n").map((line) => JSON.parse(line) as { level: number; code: string; msg: string });
      // One line per run of failures: the first run and the one after the successful write.
      expect(reports).toHaveLength(2);
      expect(reports[0]).toMatchObject({ level: 50, code: "EPIPE" });
      expect(reports[0]!.msg).toContain("turnpike_log_lines_dropped_total");
    } finally {
      closeSync(reportFd);
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("counts the line a write error cut in half as lost, and the lines after it", () => {
    const written: string[] = [];
    let calls = 0;
    const lineWriter = new LineWriter({
      flushIntervalMs: 60_000,
      batchBytes: ATOMIC_WRITE_BYTES,
      reportFd: -1,
      // The first call writes half of what it was given, the next one fails.
      write: (_fd, bytes, offset, length) => {
        if (calls++ === 1) throw Object.assign(new Error("EIO"), { code: "EIO" });
        const half = length >> 1;
        written.push(Buffer.from(bytes.subarray(offset, offset + half)).toString());
        return half;
      },
    });
    const lines = Array.from({ length: 4 }, (_, index) => `line ${index} ${"x".repeat(20)}\n`);
    for (const line of lines) lineWriter.writeAscii(line);
    lineWriter.flush();
    const whole = written.join("").split("\n").length - 1;
    expect(whole).toBe(2);
    expect(lineWriter.dropped).toBe(2);
    lineWriter.close();
  });

  it("takes 256 KiB batches on a regular file and 4 KiB ones elsewhere, and writes the file whole", () => {
    const directory = mkdtempSync(join(tmpdir(), "line-writer-"));
    const path = join(directory, "access.log");
    const fd = openSync(path, "w");
    try {
      const writes: number[] = [];
      const fileWriter = new LineWriter({
        fd,
        flushIntervalMs: 60_000,
        write: (target, bytes, offset, length) => {
          writes.push(length);
          return writeSync(target, bytes, offset, length);
        },
      });
      expect(fileWriter.batchBytes).toBe(FILE_BATCH_BYTES);
      // 2,000 lines of ~100 bytes: one write, where 64 KiB batches took four.
      const lines = Array.from({ length: 2_000 }, (_, index) => `{"line":${index},"pad":"${"x".repeat(80)}"}\n`);
      for (const line of lines) fileWriter.writeAscii(line);
      fileWriter.close();
      const whole = lines.join("");
      expect(readFileSync(path, "utf8")).toBe(whole);
      expect(writes).toEqual([whole.length]);
      const devNull = openSync("/dev/null", "w");
      const otherWriter = new LineWriter({ fd: devNull, flushIntervalMs: 60_000 });
      expect(otherWriter.batchBytes).toBe(ATOMIC_WRITE_BYTES);
      otherWriter.close();
      closeSync(devNull);
    } finally {
      closeSync(fd);
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
