/** How an export request reaches the receiver: OTLP/HTTP (`otlp-http.ts`) or OTLP/gRPC (`otlp-grpc.ts`). */
import type { ExportTlsOptions } from "./export-tls";

/** A sent request's outcome: the receiver's answer message, or why not and whether to try again. */
export type PostResult =
  /** `answer`: the ExportTraceServiceResponse as the receiver encoded it (it may report rejected spans); `note`: why it could not be read. */
  | { readonly ok: true; readonly answer: Buffer; readonly note?: string }
  | { readonly ok: false; readonly retryable: boolean; readonly retryAfterMs: number | null; readonly reason: string };

export interface ExportTransport {
  /** Sends one export request (gzipped already when the exporter compresses), giving up after `timeoutMs`. */
  post(body: Buffer, timeoutMs: number): Promise<PostResult>;
  close(): Promise<void>;
}

/** The TLS options for a new connection to the receiver (`ExportTls.current`). */
export type TlsSource = () => ExportTlsOptions;
