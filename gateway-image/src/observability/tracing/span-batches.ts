/**
 * Encoded spans waiting to be exported, in batches written straight into buffers: each span's
 * JSON (or protobuf entry) is copied in as it ends and then dropped, so the queue holds no objects for the garbage
 * collector to trace or promote, and a batch becomes a request body without a join of
 * thousands of strings or a conversion of the whole text to bytes at send time (which stalled
 * the event loop for milliseconds per batch: BENCHMARKS.md, "tracing").
 */

interface Batch {
  buffer: Buffer;
  /** Bytes written. */
  bytes: number;
  spans: number;
}

/**
 * First size of a batch's buffer; it grows four times over as needed (a gateway span is
 * ~1.3 KB, a batch of 512 ~660 KB: two copies on the way rather than four).
 */
const INITIAL_BYTES = 64 * 1024;
const COMMA = 0x2c;

export class SpanBatches {
  private readonly batches: Batch[] = [];
  private queued = 0;

  constructor(
    private readonly batchSize: number,
    /** Commas between spans (JSON); none for protobuf, whose span entries follow each other. */
    private readonly commas = true,
  ) {}

  /** Spans queued, in all batches. */
  get size(): number {
    return this.queued;
  }

  /** Whether the oldest batch holds `batchSize` spans. */
  hasFullBatch(): boolean {
    return this.batches.length > 0 && this.batches[0]!.spans >= this.batchSize;
  }

  /** Queues one span's JSON (a span `encodeSpan` wrote). */
  append(json: string): void {
    // UTF-8 takes at most three bytes per UTF-16 unit.
    const batch = this.batchWithRoom(1 + json.length * 3);
    if (this.commas && batch.spans > 0) batch.buffer[batch.bytes++] = COMMA;
    batch.bytes += batch.buffer.write(json, batch.bytes, "utf8");
    batch.spans++;
    this.queued++;
  }

  /** Queues one span's bytes (a protobuf span entry `encodeSpanEntry` wrote), copied. */
  appendBytes(bytes: Uint8Array): void {
    const batch = this.batchWithRoom(1 + bytes.length);
    if (this.commas && batch.spans > 0) batch.buffer[batch.bytes++] = COMMA;
    batch.buffer.set(bytes, batch.bytes);
    batch.bytes += bytes.length;
    batch.spans++;
    this.queued++;
  }

  /** The batch the next span goes into, with room for `bytes` more. */
  private batchWithRoom(bytes: number): Batch {
    let batch = this.batches[this.batches.length - 1];
    if (batch === undefined || batch.spans >= this.batchSize) {
      batch = { buffer: Buffer.allocUnsafe(INITIAL_BYTES), bytes: 0, spans: 0 };
      this.batches.push(batch);
    }
    const needed = batch.bytes + bytes;
    if (needed > batch.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, batch.buffer.length * 4));
      batch.buffer.copy(grown, 0, 0, batch.bytes);
      batch.buffer = grown;
    }
    return batch;
  }

  /** The oldest batch taken out: its spans' JSON with commas between them, and how many; null when none. */
  take(): { readonly body: Buffer; readonly spans: number } | null {
    const batch = this.batches.shift();
    if (batch === undefined) return null;
    this.queued -= batch.spans;
    return { body: batch.buffer.subarray(0, batch.bytes), spans: batch.spans };
  }

  /** Drops everything queued; returns how many spans that was. */
  clear(): number {
    const dropped = this.queued;
    this.batches.length = 0;
    this.queued = 0;
    return dropped;
  }
}
