/**
 * The one writer of a process's log lines (events and access lines alike) to stdout.
 * Several writers on one file descriptor interleave: a write larger than PIPE_BUF (4 KiB)
 * to a pipe is not atomic, so an event line written while a buffered batch of access lines
 * is half out lands inside another line and both are lost (seen in the tests under load),
 * and cluster workers share their primary's stdout. So every write here is a whole number
 * of lines and at most 4 KiB (one longer line is written alone), done synchronously in
 * batches: buffered lines go out at 4 KiB, every `flushIntervalMs` and on exit; events are
 * flushed at once. When stdout is a full non-blocking pipe the rest waits for the next
 * flush; past `maxPendingBytes` access lines are dropped and counted, never events.
 */
import { writeSync } from "node:fs";

/** Largest write that a pipe keeps whole (POSIX PIPE_BUF on Linux). */
const ATOMIC_WRITE_BYTES = 4096;

export interface LineWriterOptions {
  /** @default 1 (stdout) */
  readonly fd?: number;
  /** @default 250 */
  readonly flushIntervalMs?: number;
  /** @default 16 MiB */
  readonly maxPendingBytes?: number;
  /** For tests: the write call. */
  readonly write?: (fd: number, text: string) => void;
}

export class LineWriter {
  private pending: string[] = [];
  private pendingBytes = 0;
  /** Access lines dropped because stdout could not keep up. */
  dropped = 0;
  private readonly fd: number;
  private readonly maxPendingBytes: number;
  private readonly writeText: (fd: number, text: string) => void;
  private readonly timer: NodeJS.Timeout;

  constructor(options: LineWriterOptions = {}) {
    this.fd = options.fd ?? 1;
    this.maxPendingBytes = options.maxPendingBytes ?? 16 * 1024 * 1024;
    this.writeText = options.write ?? writeWhole;
    this.timer = setInterval(() => this.flush(), options.flushIntervalMs ?? 250);
    this.timer.unref();
    process.once("exit", this.flushOnExit);
  }

  private readonly flushOnExit = (): void => this.flush();

  /** Buffers a line (ending in `\n`); writes the buffer when the line would not fit in 4 KiB with it. */
  write(line: string): void {
    if (this.pendingBytes > this.maxPendingBytes) {
      this.dropped++;
      return;
    }
    // Flushing before the batch overflows makes each flush one full write, not a full one
    // and a one-line remainder.
    if (this.pendingBytes + line.length > ATOMIC_WRITE_BYTES) this.flush();
    this.pending.push(line);
    this.pendingBytes += line.length;
  }

  /** Writes a line and everything before it now. */
  writeNow(line: string): void {
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.flush();
  }

  /** Writes what is buffered, in whole-line batches of at most 4 KiB. */
  flush(): void {
    const lines = this.pending;
    if (lines.length === 0) return;
    let index = 0;
    try {
      while (index < lines.length) {
        let batch = lines[index]!;
        let next = index + 1;
        while (next < lines.length && batch.length + lines[next]!.length <= ATOMIC_WRITE_BYTES) batch += lines[next++];
        this.writeText(this.fd, batch);
        index = next;
      }
      this.pending = [];
      this.pendingBytes = 0;
    } catch (error) {
      // A full non-blocking pipe (EAGAIN): keep the rest for the next flush.
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      this.pending = lines.slice(index);
      this.pendingBytes = this.pending.reduce((sum, line) => sum + line.length, 0);
    }
  }

  close(): void {
    clearInterval(this.timer);
    process.off("exit", this.flushOnExit);
    this.flush();
  }
}

/** The process's writer, shared by every logger of the process. */
let shared: LineWriter | null = null;
export function processLineWriter(): LineWriter {
  return (shared ??= new LineWriter());
}

/**
 * Writes all of `text`. EAGAIN before anything went out is thrown (the batch waits for the
 * next flush); after part of it went out the rest is retried at once, so a line is never cut.
 */
function writeWhole(fd: number, text: string): void {
  // Usually all of it goes out at once, encoded by writeSync itself without a Buffer.
  const first = writeSync(fd, text);
  if (first === Buffer.byteLength(text)) return;
  const bytes = Buffer.from(text);
  let offset = first;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN" || offset === 0) throw error;
    }
  }
}
