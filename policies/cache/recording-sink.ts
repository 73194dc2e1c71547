/**
 * A ResponseSink that passes everything to the client's sink and keeps a copy of the
 * response for the cache, up to a size: beyond it the copy is dropped and the rest streams
 * through untouched, so a large response is never buffered whole.
 */
import { type HeaderMap, copyHeaders } from "../../gateway-image/src/http/exchange";
import type { ResponseSink } from "../../gateway-image/src/upstream/upstream";

export interface RecordingCallbacks {
  /**
   * The response head, as a copy the client sink will not change. Returns whether to keep
   * the body for storing.
   */
  head(status: number, headers: HeaderMap): boolean;
  /** The whole body once the response ended, or null when there is nothing to store (not kept, too large, aborted). */
  done(body: Buffer | null): void;
}

export class RecordingSink implements ResponseSink {
  /** Chunks kept so far; null while not recording (before the head, uncacheable, or over the limit). */
  private chunks: Buffer[] | null = null;
  private size = 0;
  private finished = false;

  constructor(
    private readonly client: ResponseSink,
    private readonly maxBytes: number,
    private readonly callbacks: RecordingCallbacks,
  ) {}

  head(status: number, headers: HeaderMap): void {
    // Copied before the client sink adds its per-request headers (request id, Via, X-Cache...).
    if (this.callbacks.head(status, copyHeaders(headers))) this.chunks = [];
    else this.finish(null);
    this.client.head(status, headers);
  }

  data(chunk: Buffer): boolean {
    if (this.chunks !== null) {
      this.size += chunk.length;
      if (this.size > this.maxBytes) {
        this.chunks = null;
        this.finish(null);
      } else {
        this.chunks.push(chunk);
      }
    }
    return this.client.data(chunk);
  }

  end(): void {
    const chunks = this.chunks;
    this.chunks = null;
    // Stored before the client sees the end, so its next request already finds the entry.
    this.finish(chunks === null ? null : Buffer.concat(chunks, this.size));
    this.client.end();
  }

  onDrain(resume: () => void): void {
    this.client.onDrain(resume);
  }

  get closed(): boolean {
    return this.client.closed;
  }

  abort(error: Error): void {
    this.chunks = null;
    this.finish(null);
    this.client.abort(error);
  }

  /** Gives up the copy (e.g. the upstream call failed before a head); idempotent. */
  cancel(): void {
    this.chunks = null;
    this.finish(null);
  }

  private finish(body: Buffer | null): void {
    if (this.finished) return;
    this.finished = true;
    this.callbacks.done(body);
  }
}
