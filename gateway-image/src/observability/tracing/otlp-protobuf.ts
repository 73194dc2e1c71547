/**
 * Finished spans as an OTLP/HTTP protobuf `ExportTraceServiceRequest` (opentelemetry-proto:
 * collector/trace/v1, trace/v1, common/v1, resource/v1), written field by field: the
 * protocol's default encoding (`OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`), about half the
 * bytes of the JSON one (ids as bytes, no field names).
 *
 * Like the JSON exporter, each span is written as it ends (`encodeSpanEntry`: one
 * `ScopeSpans.spans` entry, field 2) and batched as bytes; the request's head, whose lengths
 * depend on the batch, is written at export (`traceRequestHeadProto`).
 */
import { type AttributeValue, type FinishedSpan, type InstrumentationScope, STATUS_ERROR, spanFlags } from "./otlp-json";

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;


/** Protobuf wire format into a growable buffer; nested messages get their length when they end. */
class ProtoWriter {
  buffer = Buffer.allocUnsafe(4096);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + extra));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  varint(value: number): void {
    this.ensure(10);
    let rest = value;
    while (rest > 127) {
      this.buffer[this.length++] = (rest % 128) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.buffer[this.length++] = rest;
  }

  /** A signed 64-bit integer as a varint (a negative one as its two's complement: ten bytes). */
  int64(value: number): void {
    if (value >= 0) return this.varint(value);
    this.ensure(10);
    let rest = BigInt.asUintN(64, BigInt(value));
    while (rest > 127n) {
      this.buffer[this.length++] = Number(rest & 127n) | 0x80;
      rest >>= 7n;
    }
    this.buffer[this.length++] = Number(rest);
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  string(field: number, value: string): void {
    this.tag(field, LENGTH_DELIMITED);
    const bytes = Buffer.byteLength(value, "utf8");
    this.varint(bytes);
    this.ensure(bytes);
    this.length += this.buffer.write(value, this.length, "utf8");
  }

  /** Lower-case hex (a trace or span id) as its bytes. */
  hexBytes(field: number, hex: string): void {
    this.tag(field, LENGTH_DELIMITED);
    this.varint(hex.length / 2);
    this.ensure(hex.length / 2);
    this.length += this.buffer.write(hex, this.length, "hex");
  }

  /** Microseconds as fixed64 nanoseconds (beyond 2^53: a BigInt). */
  nanos(field: number, micros: number): void {
    this.tag(field, FIXED64);
    this.ensure(8);
    this.buffer.writeBigUInt64LE(BigInt(Math.round(micros)) * 1000n, this.length);
    this.length += 8;
  }

  fixed32(field: number, value: number): void {
    this.tag(field, FIXED32);
    this.ensure(4);
    this.buffer.writeUInt32LE(value, this.length);
    this.length += 4;
  }

  double(field: number, value: number): void {
    this.tag(field, FIXED64);
    this.ensure(8);
    this.buffer.writeDoubleLE(value, this.length);
    this.length += 8;
  }

  /** Starts a nested message; `end` with what it returns. One byte is kept for its length. */
  begin(field: number): number {
    this.tag(field, LENGTH_DELIMITED);
    this.ensure(1);
    return this.length++;
  }

  end(lengthAt: number): void {
    const start = lengthAt + 1;
    const size = this.length - start;
    if (size < 128) {
      this.buffer[lengthAt] = size;
      return;
    }
    const extra = varintSize(size) - 1;
    this.ensure(extra);
    this.buffer.copyWithin(start + extra, start, this.length);
    this.length += extra;
    let rest = size;
    let at = lengthAt;
    while (rest > 127) {
      this.buffer[at++] = (rest % 128) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.buffer[at] = rest;
  }

  keyValue(field: number, key: string, value: AttributeValue): void {
    const pair = this.begin(field);
    this.string(1, key);
    const any = this.begin(2);
    // AnyValue is a oneof: even a default value ("", false, 0) is written, its presence is the type.
    if (typeof value === "string") this.string(1, value);
    else if (typeof value === "boolean") {
      this.tag(2, VARINT);
      this.varint(value ? 1 : 0);
    } else if (Number.isSafeInteger(value)) {
      this.tag(3, VARINT);
      this.int64(value);
    } else if (Number.isFinite(value)) this.double(4, value);
    else this.string(1, String(value));
    this.end(any);
    this.end(pair);
  }
}

function varintSize(value: number): number {
  let size = 1;
  for (let rest = value; rest > 127; rest = Math.floor(rest / 128)) size++;
  return size;
}

const spanWriter = new ProtoWriter();

/**
 * One span as a `ScopeSpans.spans` entry (field 2, with its length). The bytes are a view of
 * a buffer the next call overwrites: copy them before encoding another span.
 */
export function encodeSpanEntry(span: FinishedSpan): Buffer {
  const writer = spanWriter;
  writer.length = 0;
  const entry = writer.begin(2);
  writer.hexBytes(1, span.traceId);
  writer.hexBytes(2, span.spanId);
  if (span.traceState !== null && span.traceState !== "") writer.string(3, span.traceState);
  if (span.parentSpanId !== null) writer.hexBytes(4, span.parentSpanId);
  if (span.name !== "") writer.string(5, span.name);
  writer.tag(6, VARINT);
  writer.varint(span.kind);
  writer.nanos(7, span.startUnixMicros);
  writer.nanos(8, Math.max(span.endUnixMicros, span.startUnixMicros));
  const declared = span.attributes;
  for (const key in declared) {
    const value = declared[key];
    if (value !== null && value !== undefined) writer.keyValue(9, key, value);
  }
  const status = writer.begin(15);
  if (span.error !== null) {
    if (span.error !== "") writer.string(2, span.error);
    writer.tag(3, VARINT);
    writer.varint(STATUS_ERROR);
  }
  writer.end(status);
  writer.fixed32(16, spanFlags(span));
  writer.end(entry);
  return writer.buffer.subarray(0, writer.length);
}

/**
 * What comes before `spanBytes` bytes of span entries in an export request:
 * `resource_spans` (1) { `resource` (1), `scope_spans` (2) { `scope` (1), the spans } }.
 */
export function traceRequestHeadProto(resource: ReadonlyArray<readonly [string, AttributeValue]>, scope: InstrumentationScope, spanBytes: number): Buffer {
  const writer = new ProtoWriter();
  const resourceMessage = writer.begin(1);
  for (const [key, value] of resource) writer.keyValue(1, key, value);
  writer.end(resourceMessage);
  const scopeMessage = writer.begin(1);
  if (scope.name !== "") writer.string(1, scope.name);
  if (scope.version !== undefined && scope.version !== "") writer.string(2, scope.version);
  writer.end(scopeMessage);
  // Each field's tag is one byte, just before its length.
  const resourceField = writer.buffer.subarray(resourceMessage - 1, scopeMessage - 1);
  const scopeField = writer.buffer.subarray(scopeMessage - 1, writer.length);
  const scopeSpansLength = scopeField.length + spanBytes;
  const resourceSpansLength = resourceField.length + 1 + varintSize(scopeSpansLength) + scopeSpansLength;
  const head = new ProtoWriter();
  head.tag(1, LENGTH_DELIMITED);
  head.varint(resourceSpansLength);
  head.tag(2, LENGTH_DELIMITED);
  head.varint(scopeSpansLength);
  return Buffer.concat([head.buffer.subarray(0, 1 + varintSize(resourceSpansLength)), resourceField, head.buffer.subarray(1 + varintSize(resourceSpansLength), head.length), scopeField]);
}

/** One export request for `spans` (the reference the exporter's batches are equal to). */
export function encodeTraceRequestProto(resource: ReadonlyArray<readonly [string, AttributeValue]>, scope: InstrumentationScope, spans: readonly FinishedSpan[]): Buffer {
  const entries = spans.map((span) => Buffer.from(encodeSpanEntry(span)));
  const spanBytes = entries.reduce((total, entry) => total + entry.length, 0);
  return Buffer.concat([traceRequestHeadProto(resource, scope, spanBytes), ...entries]);
}

/** `partial_success` of a protobuf answer: `rejected_spans` (1) and `error_message` (2). */
export function partialSuccessProto(answer: Buffer): { rejected: number; message: string } {
  const partial = protoFields(answer, 1, LENGTH_DELIMITED).at(-1);
  if (partial === undefined) return { rejected: 0, message: "" };
  const rejected = Number(protoFields(partial, 1, VARINT).at(-1) ?? 0n);
  return { rejected: Number.isSafeInteger(rejected) && rejected > 0 ? rejected : 0, message: protoFields(partial, 2, LENGTH_DELIMITED).at(-1)?.toString("utf8") ?? "" };
}

/**
 * Every value of field `wanted` in a message, in order: varints as BigInts, length-delimited
 * ones as the bytes (a repeated field's entries, or a sub-message). Reading stops at the first
 * malformed byte, with what was read before it.
 */
export function protoFields(message: Buffer, wanted: number, wireType: 0): bigint[];
export function protoFields(message: Buffer, wanted: number, wireType: 2): Buffer[];
export function protoFields(message: Buffer, wanted: number, wireType: number): Array<bigint | Buffer> {
  let at = 0;
  const found: Array<bigint | Buffer> = [];
  const readVarint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; at < message.length && shift < 70n; shift += 7n) {
      const byte = message[at++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new Error("truncated varint");
  };
  try {
    while (at < message.length) {
      const key = Number(readVarint());
      const number = key >>> 3;
      const type = key & 7;
      if (type === VARINT) {
        const value = readVarint();
        if (number === wanted && wireType === VARINT) found.push(value);
      } else if (type === LENGTH_DELIMITED) {
        const size = Number(readVarint());
        if (at + size > message.length) return found;
        if (number === wanted && wireType === LENGTH_DELIMITED) found.push(message.subarray(at, at + size));
        at += size;
      } else if (type === FIXED64) at += 8;
      else if (type === FIXED32) at += 4;
      else return found;
    }
  } catch {
    return found;
  }
  return found;
}
