/**
 * A stored response: what is kept (the upstream's status, headers and body, minus the
 * fields that belong to one request), and how it is replayed into a sink with its `Age`.
 */
import { type HeaderMap, copyHeaders } from "../../gateway-image/src/http/exchange";
import type { ResponseSink } from "../../gateway-image/src/upstream/upstream";
import { HOP_BY_HOP_HEADERS } from "../common";

export interface CachedResponse {
  /** The variant key it is stored under. */
  readonly key: string;
  readonly status: number;
  readonly headers: HeaderMap;
  readonly body: Buffer;
  /** `Date.now()` when stored. */
  readonly storedAt: number;
  /** The `Age` it arrived with, in seconds. */
  readonly initialAge: number;
  /** `Date.now()` after which it is no longer served. */
  readonly expiresAt: number;
  /** Request headers its `Vary` names. */
  readonly varyNames: readonly string[];
  /** Bytes it is counted for in the store. */
  readonly size: number;
}

/**
 * Fields never stored: per-request or per-connection ones the gateway sets afresh on every
 * answer (request id, trace context, X-Cache, Age), hop-by-hop ones, and Content-Length,
 * which is recomputed from the stored body.
 */
const NOT_STORED = new Set<string>(["age", "x-cache", "x-request-id", "traceparent", "tracestate", "set-cookie", "content-length", ...HOP_BY_HOP_HEADERS]);

/** Rough per-entry overhead (objects, map slots), so many tiny entries still count. */
const ENTRY_OVERHEAD_BYTES = 256;

export interface NewEntry {
  readonly key: string;
  readonly status: number;
  readonly headers: HeaderMap;
  readonly body: Buffer;
  readonly storedAt: number;
  readonly initialAge: number;
  readonly freshSeconds: number;
  readonly varyNames: readonly string[];
  /** The storing request's id: a header echoing it (under whatever name) is not stored. */
  readonly requestId: string;
}

export function createEntry(entry: NewEntry): CachedResponse {
  const headers: HeaderMap = {};
  let size = ENTRY_OVERHEAD_BYTES + entry.body.length + entry.key.length * 2;
  for (const name in entry.headers) {
    const value = entry.headers[name];
    if (value === undefined || NOT_STORED.has(name) || value === entry.requestId) continue;
    headers[name] = value;
    size += name.length + (Array.isArray(value) ? value.reduce((sum, item) => sum + item.length, 0) : value.length);
  }
  return {
    key: entry.key,
    status: entry.status,
    headers,
    body: entry.body,
    storedAt: entry.storedAt,
    initialAge: entry.initialAge,
    expiresAt: entry.storedAt + entry.freshSeconds * 1000,
    varyNames: entry.varyNames,
    size,
  };
}

/** The entry's current age in seconds (RFC 9111 §4.2.3, with no response delay to correct for). */
export function ageOf(entry: CachedResponse, nowMs: number): number {
  return entry.initialAge + Math.max(0, Math.floor((nowMs - entry.storedAt) / 1000));
}

/** Statuses whose answers never carry a body or Content-Length. */
const BODILESS = new Set([204, 304]);

/** Replays an entry into a sink: the stored head with a fresh `Age`, and the body unless `headOnly`. */
export function replay(entry: CachedResponse, sink: ResponseSink, nowMs: number, headOnly: boolean): void {
  if (sink.closed) return;
  const headers = copyHeaders(entry.headers);
  headers.age = String(ageOf(entry, nowMs));
  if (!BODILESS.has(entry.status)) headers["content-length"] = String(entry.body.length);
  sink.head(entry.status, headers);
  // One chunk already in memory and bounded by maxEntryBytes: the socket buffers it, so there is no producer to pause.
  if (!headOnly && entry.body.length > 0) sink.data(entry.body);
  sink.end();
}
