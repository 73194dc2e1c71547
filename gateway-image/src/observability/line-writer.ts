/**
 * The one writer of a process's log lines (events and access lines alike) to stdout.
 *
 * Several writers on one file descriptor interleave: a write larger than PIPE_BUF (4 KiB) to a
 * pipe is not atomic, so an event line written while a buffered batch of access lines is half
 * out lands inside another line and both are lost (seen in the tests under load), and cluster
 * workers share their primary's stdout. So every write here is a whole number of lines, done
 * synchronously in batches: at most 4 KiB to a pipe, a socket or a terminal; up to 256 KiB to
 * a regular file, where Linux keeps each write whole whatever its size (writers sharing an
 * open file take its position lock for the whole write). A write to a file that comes
 * milliseconds after the last one costs far more than its bytes (~80 µs for 64 KiB at a
 * gateway's pace, ~20 µs back to back), so larger batches cost less per line: 0.50 µs with
 * 64 KiB batches, 0.22 µs with 256 KiB, 0.12 µs with 1 MiB, at 9,800 lines a second
 * (BENCHMARKS.md). 256 KiB keeps each write, which the event loop waits for, near 0.15 ms.
 * One longer line is written alone.
 *
 * Access lines are copied into one preallocated batch buffer as they come, so no line string
 * outlives its request and a flush is one write of bytes already encoded: keeping the strings
 * and joining them at the flush cost ~1 µs more per request (perf, BENCHMARKS.md). The buffer
 * goes out when the next line would not fit, every `flushIntervalMs` and on exit; events go out
 * at once. When stdout is a full non-blocking pipe (EAGAIN) the refused batches wait for the
 * next flush; past `maxPendingBytes` of them access lines are dropped and counted, never events.
 * Any other write error (EPIPE when the reader of stdout went away, EIO, ENOSPC) loses that
 * batch, counted, with one line on stderr per run of failures: logging never stops traffic,
 * as nginx and Envoy keep serving when a log cannot be written.
 */
import { fstatSync, writeSync } from "node:fs";

/** Largest write that a pipe keeps whole (POSIX PIPE_BUF on Linux). */
export const ATOMIC_WRITE_BYTES = 4096;
/** Largest write to a regular file. */
export const FILE_BATCH_BYTES = 256 * 1024;

/** Writes `length` bytes of `bytes` from `offset`; returns how many went out. */
export type WriteBytes = (fd: number, bytes: Uint8Array, offset: number, length: number) => number;

export interface LineWriterOptions {
  /** @default 1 (stdout) */
  readonly fd?: number;
  /** @default 250 */
  readonly flushIntervalMs?: number;
  /** Bytes refused by a full pipe kept for later; access lines past it are dropped. @default 16 MiB */
  readonly maxPendingBytes?: number;
  /**
   * Largest write, in bytes.
   * @default 256 KiB when `fd` is a regular file, else 4 KiB (PIPE_BUF)
   */
  readonly batchBytes?: number;
  /** For tests: the write call (may write part, or throw EAGAIN). @default fs.writeSync */
  readonly write?: WriteBytes;
  /** Where the one line about lost lines goes. @default 2 (stderr) */
  readonly reportFd?: number;
}

export class LineWriter {
  /** Lines lost: access lines dropped because stdout could not keep up, and lines of batches a write error lost. */
  dropped = 0;
  /** The error code of the failure run under way, reported once on stderr; null after a write succeeds. */
  private failing: string | null = null;
  /** The largest write, in bytes. */
  readonly batchBytes: number;
  private readonly batch: Buffer;
  private used = 0;
  /** Batches a full pipe refused, oldest first, each a whole number of lines. */
  private backlog: Buffer[] = [];
  private backlogBytes = 0;
  private readonly fd: number;
  private readonly maxPendingBytes: number;
  private readonly writeBytes: WriteBytes;
  private readonly reportFd: number;
  private readonly timer: NodeJS.Timeout;

  constructor(options: LineWriterOptions = {}) {
    this.fd = options.fd ?? 1;
    this.batchBytes = options.batchBytes ?? (isRegularFile(this.fd) ? FILE_BATCH_BYTES : ATOMIC_WRITE_BYTES);
    this.batch = Buffer.allocUnsafe(this.batchBytes);
    this.maxPendingBytes = options.maxPendingBytes ?? 16 * 1024 * 1024;
    this.writeBytes = options.write ?? writeSync;
    this.reportFd = options.reportFd ?? 2;
    this.timer = setInterval(() => this.flush(), options.flushIntervalMs ?? 250);
    this.timer.unref();
    process.once("exit", this.flushOnExit);
  }

  private readonly flushOnExit = (): void => this.flush();

  /**
   * Buffers an access line: ASCII only (one byte per character, copied as such), ending in
   * `\n`. The batch is written first when the line would not fit in it.
   */
  writeAscii(line: string): void {
    if (this.backlogBytes > this.maxPendingBytes) {
      this.dropped++;
      return;
    }
    if (this.used + line.length > this.batchBytes) {
      this.flush();
      if (line.length > this.batchBytes) {
        this.queue(Buffer.from(line, "latin1"));
        this.flush();
        return;
      }
    }
    this.used += this.batch.write(line, this.used, "latin1");
  }

  /** Writes a line (any text, ending in `\n`) and everything before it now. */
  writeNow(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.used + bytes > this.batchBytes) this.flush();
    if (bytes > this.batchBytes) this.queue(Buffer.from(line));
    else this.used += this.batch.write(line, this.used, "utf8");
    this.flush();
  }

  /** Writes what is buffered: the refused batches first, then the current one. */
  flush(): void {
    while (this.backlog.length > 0) {
      const bytes = this.backlog[0]!;
      if (!this.writeWhole(bytes, bytes.length)) {
        this.keepBatch();
        return;
      }
      this.backlog.shift();
      this.backlogBytes -= bytes.length;
    }
    if (this.used === 0) return;
    if (this.writeWhole(this.batch, this.used)) this.used = 0;
    else this.keepBatch();
  }

  close(): void {
    clearInterval(this.timer);
    process.off("exit", this.flushOnExit);
    this.flush();
  }

  /** Moves the current batch to the backlog (a copy), so the batch buffer takes new lines. */
  private keepBatch(): void {
    if (this.used === 0) return;
    this.queue(Buffer.from(this.batch.subarray(0, this.used)));
    this.used = 0;
  }

  private queue(bytes: Buffer): void {
    this.backlog.push(bytes);
    this.backlogBytes += bytes.length;
  }

  /**
   * Writes all of `length` bytes: false when a full pipe refused the first byte (EAGAIN), to
   * be tried again later. After part went out the rest is retried at once, so a line is never
   * cut. Any other error loses what was not written (true: nothing to keep).
   */
  private writeWhole(bytes: Uint8Array, length: number): boolean {
    let offset = 0;
    try {
      offset = this.writeBytes(this.fd, bytes, 0, length);
      while (offset < length) {
        try {
          offset += this.writeBytes(this.fd, bytes, offset, length - offset);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
        }
      }
      this.failing = null;
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unknown";
      if (code === "EAGAIN" && offset === 0) return false;
      this.lose(bytes, offset, length, code);
      return true;
    }
  }

  private lose(bytes: Uint8Array, from: number, to: number, code: string): void {
    // Every line ends in \n: those not written whole are those whose \n was not written.
    for (let index = from; index < to; index++) if (bytes[index] === 0x0a) this.dropped++;
    if (this.failing === code) return;
    this.failing = code;
    try {
      writeSync(this.reportFd, `${JSON.stringify({ level: 50, time: new Date().toISOString(), service: "turnpike-gateway", msg: "log lines lost: writing them failed; the gateway keeps serving and counts them in turnpike_log_lines_dropped_total", code, fd: this.fd })}\n`);
    } catch {
      // stderr is gone too: the counter still says it.
    }
  }
}

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

/** The process's writer, shared by every logger of the process. */
let shared: LineWriter | null = null;
export function processLineWriter(): LineWriter {
  return (shared ??= new LineWriter());
}
